#!/usr/bin/env python3
"""Object-on-background scenes for training and checking an ImageNet masker without ImageNet.

No ImageNet-like image folder can be downloaded here (not on Debian or PyPI), but Debian ships photographs:
the cut-out photos (with alpha) of animals, food, plants, vehicles, household objects ... in
`tuxpaint-stamps-default`, and landscape photos in `ukui-wallpapers` / `mate-backgrounds`. This script pastes one
cut-out per scene onto a random crop of a background photo (seeded: position, scale, flip, crop) and writes

    OUT/train/scene-NNNNN.png          scenes of the training objects
    OUT/test/scene-NNNNN.png           scenes of held-out objects (every 10th stamp by sorted path)
    OUT/test/scene-NNNNN.mask.png      the object's alpha there (ground truth for pointing / mask overlap)
    OUT/scenes.json                    per scene: stamp path, background, box, split

The .deb files are fetched with `apt-get download` into CACHE/debs (no installation). Drawings are dropped
(`symbols`, `seasonal`, `space`, and stamps whose picture has few colours); which remaining stamps Lite0 recognises
is for the caller to decide. Needs Pillow and NumPy (the anchors venv has both).

    python scripts/stamp_scenes.py --out ~/.cache/glimpse/stamp-scenes --count 1200 --seed 0
"""
import argparse, glob, json, os, random, subprocess, sys

import numpy as np
from PIL import Image

DEBS = ["tuxpaint-stamps-default", "ukui-wallpapers", "mate-backgrounds"]
SKIP_TOPICS = {"symbols", "seasonal", "space", "naturalforces"}
# Wallpapers used as backgrounds: the photographs of both packages plus three smooth abstract ones (the rest are
# logos, drawings, or contain an animal).
BACKGROUNDS = ["Aqua", "Dune", "FreshFlower", "Garden", "GreenMeadow", "RainDrops", "Storm", "TwoWings", "Wood",
               "YellowFlower", "2004default", "rhythm", "string"]
SIDE = 224


def fetch(cache):
    root = os.path.join(cache, "debs")
    os.makedirs(root, exist_ok=True)
    for name in DEBS:
        if not glob.glob(os.path.join(root, name + "_*.deb")):
            got = subprocess.run(["apt-get", "download", name], cwd=root, stderr=subprocess.PIPE, text=True)
            if got.returncode != 0:
                sys.exit("stamp_scenes: apt-get download %s failed (run apt-get update first?): %s"
                         % (name, got.stderr.strip().splitlines()[-1] if got.stderr.strip() else got.returncode))
        tree = os.path.join(root, name)
        if not os.path.isdir(tree):
            deb = glob.glob(os.path.join(root, name + "_*.deb"))[0]
            subprocess.run(["dpkg-deb", "-x", deb, tree + ".tmp"], check=True)
            os.rename(tree + ".tmp", tree)
    return root


def stamps(root):
    paths = sorted(glob.glob(os.path.join(root, "tuxpaint-stamps-default", "**", "stamps", "**", "*.png"), recursive=True))
    kept = []
    for p in paths:
        topic = p.split("/stamps/")[1].split("/")[0]
        if topic in SKIP_TOPICS:
            continue
        im = Image.open(p).convert("RGBA")
        a = np.asarray(im)
        opaque = a[..., 3] > 128
        if opaque.sum() < 2000:
            continue
        # Photographs have many distinct colours; flat drawings have few.
        colours = np.unique((a[opaque][:, :3] // 8).astype(np.int32) @ np.array([1024, 32, 1])).size
        if colours < 600:
            continue
        kept.append(p)
    return kept


def backgrounds(root):
    found = []
    for p in sorted(glob.glob(os.path.join(root, "*-*wallpapers", "**", "*.*"), recursive=True)
                    + glob.glob(os.path.join(root, "mate-backgrounds", "**", "*.*"), recursive=True)):
        base = os.path.splitext(os.path.basename(p))[0]
        if p.lower().endswith((".jpg", ".png")) and base.split("_")[0] in BACKGROUNDS:
            found.append(p)
    # One file per picture name (some come in several resolutions): the smallest.
    by_name = {}
    for p in found:
        key = os.path.splitext(os.path.basename(p))[0].split("_")[0]
        if key not in by_name or os.path.getsize(p) < os.path.getsize(by_name[key]):
            by_name[key] = p
    return [by_name[k] for k in sorted(by_name)]


def scene(rng, stamp, bg):
    side = rng.randint(SIDE, min(bg.size))
    x0, y0 = rng.randint(0, bg.size[0] - side), rng.randint(0, bg.size[1] - side)
    canvas = bg.crop((x0, y0, x0 + side, y0 + side)).resize((SIDE, SIDE), Image.BILINEAR).convert("RGBA")
    obj = stamp.crop(stamp.getbbox())
    if rng.random() < 0.5:
        obj = obj.transpose(Image.FLIP_LEFT_RIGHT)
    extent = rng.uniform(0.45, 0.85) * SIDE
    scale = extent / max(obj.size)
    obj = obj.resize((max(1, round(obj.size[0] * scale)), max(1, round(obj.size[1] * scale))), Image.LANCZOS)
    ox, oy = rng.randint(0, SIDE - obj.size[0]), rng.randint(0, SIDE - obj.size[1])
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    layer.paste(obj, (ox, oy))
    out = Image.alpha_composite(canvas, layer).convert("RGB")
    return out, layer.getchannel("A"), [ox, oy, ox + obj.size[0], oy + obj.size[1]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=1200, help="scenes in all (train + test)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", default=os.environ.get("GLIMPSE_CACHE", os.path.expanduser("~/.cache/glimpse")))
    args = ap.parse_args()
    root = fetch(args.cache)
    objects, bgs = stamps(root), backgrounds(root)
    if not objects or not bgs:
        sys.exit("stamp_scenes: no stamps or backgrounds found under " + root)
    test_objects = set(objects[::10])
    loaded_bgs = [Image.open(p).convert("RGB") for p in bgs]
    loaded_bgs = [b.resize((b.size[0] * 1024 // min(b.size), b.size[1] * 1024 // min(b.size))) if min(b.size) > 1024 else b
                  for b in loaded_bgs]
    loaded_objects = {p: Image.open(p).convert("RGBA") for p in objects}
    rng = random.Random(args.seed)
    for split in ("train", "test"):
        os.makedirs(os.path.join(args.out, split), exist_ok=True)
    records = []
    for i in range(args.count):
        stamp_path = objects[i % len(objects)] if i < len(objects) else rng.choice(objects)
        b = rng.randrange(len(bgs))
        image, alpha, box = scene(rng, loaded_objects[stamp_path], loaded_bgs[b])
        split = "test" if stamp_path in test_objects else "train"
        name = os.path.join(args.out, split, "scene-%05d" % i)
        image.save(name + ".png")
        if split == "test":
            alpha.save(name + ".mask.png")
        records.append({"scene": os.path.relpath(name + ".png", args.out), "split": split, "box": box,
                        "stamp": stamp_path.split("/stamps/")[1], "background": os.path.basename(bgs[b])})
    with open(os.path.join(args.out, "scenes.json.tmp"), "w") as f:
        json.dump({"seed": args.seed, "stamps": len(objects), "backgrounds": len(bgs), "scenes": records}, f, indent=1)
    os.replace(os.path.join(args.out, "scenes.json.tmp"), os.path.join(args.out, "scenes.json"))
    n_test = sum(r["split"] == "test" for r in records)
    print("stamp_scenes: %d stamps, %d backgrounds -> %d train + %d test scenes in %s"
          % (len(objects), len(bgs), len(records) - n_test, n_test, args.out))


if __name__ == "__main__":
    main()
