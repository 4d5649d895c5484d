#!/usr/bin/env python3
"""Scores saliency maps of stamp scenes (scripts/stamp_scenes.py) against the pasted object's alpha mask.

    glimpse saliency --method rts,gradcam --masker DIR --npy MAPS SCENES/test/scene-*[0-9].png
    python scripts/scene_saliency_score.py --scenes SCENES --maps MAPS --methods rts,gradcam

Per method, over the test scenes: pointing (the map's maximum lies on the object), mass on the object (share of the
map's sum inside the alpha mask; the object's mean area is what a uniform map gets), and ROC AUC of the map's values
as a detector of object pixels (0.5 = chance). A centred Gaussian (σ = a quarter of the side) is the prior baseline.
Maps are resized bilinearly to the scene's 224×224 grid. Prints a markdown table.
"""
import argparse, glob, os

import numpy as np
from PIL import Image


def auc(scores, labels):
    """ROC AUC by the rank-sum (Mann-Whitney) statistic, tied scores sharing their mean rank."""
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]
    pos = labels.sum()
    neg = len(labels) - pos
    return (ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg)


def score(saliency, alpha):
    obj = alpha > 0.5
    flat = saliency.ravel()
    hit = obj.ravel()[int(np.argmax(flat))]
    total = flat.sum()
    mass = (flat * obj.ravel()).sum() / total if total > 0 else float("nan")
    return hit, mass, auc(flat, obj.ravel())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenes", required=True)
    ap.add_argument("--maps", required=True)
    ap.add_argument("--methods", default="rts")
    args = ap.parse_args()
    scenes = sorted(p for p in glob.glob(os.path.join(args.scenes, "test", "scene-*.png")) if not p.endswith(".mask.png"))
    side = 224
    yy, xx = np.mgrid[0:side, 0:side] + 0.5
    centre = np.exp(-((yy - side / 2) ** 2 + (xx - side / 2) ** 2) / (2 * (side / 4) ** 2))
    rows = {m: [] for m in ["centre prior"] + args.methods.split(",")}
    areas = []
    for scene in scenes:
        stem = os.path.splitext(os.path.basename(scene))[0]
        alpha = np.asarray(Image.open(scene[:-4] + ".mask.png"), dtype=np.float32) / 255
        areas.append((alpha > 0.5).mean())
        rows["centre prior"].append(score(centre, alpha))
        for m in args.methods.split(","):
            found = glob.glob(os.path.join(args.maps, stem + "*" + m + "*.npy"))
            if len(found) != 1:
                raise SystemExit("scene_saliency_score: expected one map of %s for %s, found %s" % (m, stem, found))
            a = np.load(found[0]).astype(np.float32).squeeze()
            a = np.asarray(Image.fromarray(a, mode="F").resize((side, side), Image.BILINEAR))
            rows[m].append(score(a, alpha))
    print("%d test scenes, object area %.3f of the image on average (the mass a uniform map puts on it)\n"
          % (len(scenes), float(np.mean(areas))))
    print("| map | pointing | mass on object | ROC AUC |")
    print("|---|---|---|---|")
    for m, values in rows.items():
        v = np.array(values, dtype=np.float64)
        print("| %s | %.3f | %.3f | %.3f |" % (m, v[:, 0].mean(), np.nanmean(v[:, 1]), v[:, 2].mean()))


if __name__ == "__main__":
    main()
