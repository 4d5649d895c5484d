#!/usr/bin/env bash
# Measures the peers (PyTorch, ONNX Runtime, via ../shared/anchors) and Glimpse in one run on this machine,
# then prints Glimpse's speed ratios. Needs a release build (make build) and ../shared beside the repo.
#   bash scripts/bench.sh           # quick peer run (~3 min the first time after the venv exists)
#   ANCHORS_FULL=1 bash scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
SHARED="${GLIMPSE_SHARED:-../shared}"
OUT="${ANCHORS_OUT:-$HOME/.cache/glimpse-anchors/out}"
if [ -d "$SHARED/anchors" ]; then
  if [ -n "${ANCHORS_FULL:-}" ]; then ANCHORS_OUT="$OUT" bash "$SHARED/anchors/run.sh"
  else
    export ANCHORS_VENV="${ANCHORS_VENV:-$HOME/.cache/glimpse-anchors/venv}" ANCHORS_OUT="$OUT" PYTHONWARNINGS=ignore
    bash "$SHARED/anchors/setup.sh"
    mkdir -p "$OUT"
    (cd "$SHARED/anchors" && "$ANCHORS_VENV/bin/python" bench.py --quick | tee "$OUT/bench.md")
  fi
  .build/release/glimpse bench --peers "$OUT/peer_timings.json" --json "$OUT/glimpse_bench.json"
else
  echo "bench: $SHARED/anchors not found; measuring Glimpse alone" >&2
  .build/release/glimpse bench
fi
