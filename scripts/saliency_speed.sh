#!/bin/sh
# Glimpse vs pytorch-grad-cam saliency timings on EfficientNet-Lite0 / chelsea, measured in one run:
# Glimpse (release build), then the peers, then Glimpse again (the host's speed drifts; both Glimpse runs are shown).
# Each Glimpse run also prints the model's plain forward latency, the unit of the "under two forward passes" goal,
# and repeats the cheap methods three times (the first call of a process pays for fresh memory).
#   scripts/saliency_speed.sh [--skip-scorecam]
set -e
cd "$(dirname "$0")/.."
. scripts/env.sh
PHOTO="${GLIMPSE_CACHE}/photos/chelsea.png"
PY="${HOME}/.cache/glimpse-anchors/venv/bin/python"
glimpse_run() {
  .build/release/glimpse bench --skip-kernels --runs 20 2>&1 | grep "forward, batch 1" | sed 's/^ */glimpse: /'
  .build/release/glimpse saliency --method gradcam,gradcam,gradcam,ablationcam,ablationcam,ablationcam,reciprocam,reciprocam,reciprocam,fdcam,scorecam \
    "$PHOTO" 2>&1 | sed 's/^/glimpse: /'
}
glimpse_run
echo "peers: $("$PY" scripts/saliency_peers.py bench "$@" 2>/dev/null)"
glimpse_run
