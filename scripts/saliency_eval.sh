#!/bin/sh
# The faithfulness table of Docs/SALIENCY.md: every saliency method (all but rts, which needs a trained masker)
# on the 8 bundled photos, deletion/insertion AUC, ADCC and the pointing game on our hand-annotated boxes
# (Docs/data/photo-boxes.json). Resumable: a re-run computes only what Docs/saliency-eval/records.json lacks,
# so an interrupted run continues where it stopped. Hours of CPU; runs at nice 5.
#   scripts/saliency_eval.sh            (GLIMPSE=path/to/glimpse to use another build)
set -e
cd "$(dirname "$0")/.."
. scripts/env.sh
GLIMPSE="${GLIMPSE:-.build/release/glimpse}"
METHODS=vanilla,gradient-x-input,smoothgrad,integrated-gradients,guided-backprop,deconvnet,guided-gradcam
METHODS=$METHODS,cam,gradcam,gradcam++,xgradcam,hirescam,layercam,eigencam,ablationcam,reciprocam,fdcam,shapcam
METHODS=$METHODS,scorecam,scorecam-original,abscam,sess:gradcam,rise,mask
exec nice -n 5 "$GLIMPSE" evaluate --method "$METHODS" --metric deletion,insertion,adcc,pointing \
  --boxes Docs/data/photo-boxes.json --rise-masks 1000 --seed 0 \
  --json Docs/saliency-eval/records.json --markdown Docs/saliency-eval/table.md "$GLIMPSE_CACHE"/photos/*
