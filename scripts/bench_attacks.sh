#!/usr/bin/env bash
# PGD-10 on one 224x224 image with EfficientNet-Lite0: torchattacks (in the anchors venv) and Glimpse, measured
# one after the other in this run, then the speed ratio. Needs a release build and ../shared/anchors.
#   bash scripts/bench_attacks.sh            # 5 timed runs each (ATTACK_BENCH_RUNS to change), 3 rounds
#   ATTACK_BENCH_ROUNDS=1 bash scripts/bench_attacks.sh
# Each round times the peer, then Glimpse, and prints that round's ratio; the last line gives the median and range
# of the rounds' ratios. The host's speed drifts by tens of percent over minutes (see Docs/BENCHMARKS.md), so one
# round can pair a slow phase of one tool with a fast phase of the other; several short rounds expose that.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
VENV="${ANCHORS_VENV:-$HOME/.cache/glimpse-anchors/venv}"
OUT="${ANCHORS_OUT:-$HOME/.cache/glimpse-anchors/out}"
RUNS="${ATTACK_BENCH_RUNS:-5}"
ROUNDS="${ATTACK_BENCH_ROUNDS:-3}"
mkdir -p "$OUT"
ratios=()
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round of $ROUNDS"
  GLIMPSE_ANCHORS="${GLIMPSE_SHARED:-../shared}/anchors" ATTACK_BENCH_RUNS="$RUNS" PYTHONWARNINGS=ignore \
    "$VENV/bin/python" scripts/pgd_peer.py "$OUT/attack_peer.json"
  report=$(.build/release/glimpse bench-attacks --runs "$RUNS" --peers "$OUT/attack_peer.json")
  echo "$report"
  ratio=$(echo "$report" | sed -n 's/.*+ prediction: .*Glimpse is \([0-9.]*\)× faster.*/\1/p')
  [ -n "$ratio" ] || { echo "bench_attacks: no ratio in glimpse bench-attacks' output" >&2; exit 1; }
  ratios+=("$ratio")
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{r[NR] = $1} END {
  printf "PGD-10 + prediction, torchattacks time / Glimpse time over %d rounds: median %s× (range %s–%s×)\n",
         NR, r[int((NR + 1) / 2)], r[1], r[NR] }'
