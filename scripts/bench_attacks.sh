#!/usr/bin/env bash
# PGD-10 on one 224x224 image with EfficientNet-Lite0: torchattacks (in the anchors venv) and Glimpse, measured
# one after the other in this run, then the speed ratio. Needs a release build and ../shared/anchors.
#   bash scripts/bench_attacks.sh            # 5 timed runs each (ATTACK_BENCH_RUNS to change)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
VENV="${ANCHORS_VENV:-$HOME/.cache/glimpse-anchors/venv}"
OUT="${ANCHORS_OUT:-$HOME/.cache/glimpse-anchors/out}"
RUNS="${ATTACK_BENCH_RUNS:-5}"
mkdir -p "$OUT"
GLIMPSE_ANCHORS="${GLIMPSE_SHARED:-../shared}/anchors" ATTACK_BENCH_RUNS="$RUNS" PYTHONWARNINGS=ignore \
  "$VENV/bin/python" scripts/pgd_peer.py "$OUT/attack_peer.json"
.build/release/glimpse bench-attacks --runs "$RUNS" --peers "$OUT/attack_peer.json"
