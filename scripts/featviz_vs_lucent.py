"""Feature visualisation, Glimpse vs Lucent 0.1.8, measured in one run (224x224, batch 1, _blocks.10).

  ~/.cache/glimpse-anchors/venv/bin/python scripts/featviz_vs_lucent.py --glimpse .build/release/glimpse \
      [--old OTHER_GLIMPSE (timed on the first channel only)] [--channels 0,7,20,50] [--steps 256] [--out /tmp/fv_compare]
      [--glimpse-args "--transforms lucent" (extra options for glimpse visualize)] [--seeds 3 (Glimpse seeds per channel)]
      [--lucent-images DIR (score lucent_<c>.png saved by an earlier run with the same steps instead of rerunning
       Lucent: Lucent is deterministic with these seeds, its PNGs are identical run to run; no Lucent timing then)]
      [--lucent-seeds (Lucent runs with the same seeds as Glimpse, not seed c only)] [--lucent-cache DIR (reuse Lucent
       PNGs of earlier runs with the same channel, seed and steps; new ones are stored there)]

For every channel: Lucent's render_vis with its defaults (Fourier + decorrelated 224 image, standard transforms,
Adam 0.05, parameters of the model frozen) and `glimpse visualize --batch 1` with the same step count. Both final
images are quantised to uint8 (Glimpse writes PNGs) and scored by the same PyTorch model: the mean activation of
the channel on the image, and its mean over 16 seeded draws of Lucent's standard transforms (same draws for both), and over 16 draws of Lucid's (Glimpse's) standard transforms.
With --seeds N, Glimpse runs every channel with seeds c, c+1000, …, c+1000(N−1) (seed c alone is the historic run) and a
final summary gives, per channel, the mean and the min..max of Glimpse's scores over the seeds, and how many seeds
reach Lucent on each score. With --lucent-seeds Lucent is seeded like Glimpse (torch and NumPy seeds c + 1000k) and
the summary compares the two tools' seed means, each with its own spread, and adds a table of the differences with
their standard errors and t (Welch) when both tools have two seeds or more. Timing: Lucent = mean ms between objective evaluations; Glimpse = median ms per step from visualize.json and
the whole command's wall time / steps. Page faults from /usr/bin/time. Prints a markdown table.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, "/work/shared/anchors")
import common as C  # noqa: E402

LAYER_T, LAYER_G = "_blocks_10", "_blocks.10"


def lucent(channel, steps, seed=None):
    from lucent.optvis import objectives, param, render, transform
    seed = channel if seed is None else seed
    torch.manual_seed(seed)
    np.random.seed(seed)
    model = C.load_model(dynamic_pad=True).requires_grad_(False)
    obj = objectives.channel(LAYER_T, channel)
    stamps = []

    def timed(hook):
        stamps.append(time.perf_counter())
        return obj(hook)

    imgs = render.render_vis(model, timed, param_f=lambda: param.image(224),
                             transforms=transform.standard_transforms + [C.Normalize()], preprocess=False,
                             thresholds=(steps,), progress=False, show_image=False)
    img = np.clip(np.round(imgs[-1][0] * 255), 0, 255).astype(np.uint8)
    return img, (stamps[-1] - stamps[0]) / (len(stamps) - 1) * 1e3


def glimpse(binary, channel, steps, out, extra=(), seed=None):
    seed = channel if seed is None else seed
    d = os.path.join(out, f"g{channel}_s{seed}_{os.path.basename(binary)}")
    cmd = ["/usr/bin/time", "-f", "%e %R %M", binary, "visualize", "--layer", LAYER_G, "--channels", str(channel),
           "--batch", "1", "--steps", str(steps), "--seed", str(seed), "--out", d, "--no-resume", *extra]
    p = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall, faults, rss = p.stderr.strip().splitlines()[-1].split()
    rec = json.load(open(os.path.join(d, "visualize.json")))["runs"][0]
    from PIL import Image
    img = np.asarray(Image.open(os.path.join(d, rec["image"])).convert("RGB"))
    return img, rec["msPerStep"], float(wall), int(faults), int(rss)


def lucid_standard(t, rng):
    """Lucid's standard transforms (Glimpse's default): pad 12 (0.5), random crop -8, bilinear resize by
    0.90..1.10, rotation about the centre (bilinear, black corners), random crop -4."""
    import torch.nn.functional as F
    t = F.pad(t, (12, 12, 12, 12), value=0.5)

    def crop(t, d):
        y, x = rng.integers(0, d + 1, 2)
        return t[..., y:t.shape[-2] - d + y, x:t.shape[-1] - d + x]

    t = crop(t, 8)
    s = rng.choice([1 + (i - 5) / 50 for i in range(11)])
    t = F.interpolate(t, size=(int(s * t.shape[-2]), int(s * t.shape[-1])), mode="bilinear", align_corners=False)
    a = np.deg2rad(rng.choice(list(range(-10, 11)) + [0] * 5))
    theta = torch.tensor([[[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0]]], dtype=torch.float32)
    grid = F.affine_grid(theta, list(t.shape), align_corners=False)
    t = F.grid_sample(t, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return crop(t, 4)


def score(model, img, channel, samples=16):
    """(plain, mean over Lucent's standard transforms, mean over Lucid's standard transforms)."""
    from lucent.optvis import transform
    acts = {}
    h = model._blocks[10].register_forward_hook(lambda m, i, o: acts.__setitem__("a", o))
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        model(C.Normalize()(x))
        plain = acts["a"][0, channel].mean().item()
        np.random.seed(1234)
        torch.manual_seed(1234)
        tot = 0.0
        for _ in range(samples):
            t = x
            for f in transform.standard_transforms:
                t = f(t)
            model(C.Normalize()(t))
            tot += acts["a"][0, channel].mean().item()
        rng = np.random.default_rng(1234)
        lucid = 0.0
        for _ in range(samples):
            model(C.Normalize()(lucid_standard(x, rng)))
            lucid += acts["a"][0, channel].mean().item()
    h.remove()
    return plain, tot / samples, lucid / samples


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--glimpse", required=True)
    ap.add_argument("--old")
    ap.add_argument("--channels", default="0,7,20,50")
    ap.add_argument("--steps", type=int, default=256)
    ap.add_argument("--out", default="/tmp/fv_compare")
    ap.add_argument("--lucent-images")
    ap.add_argument("--seeds", type=int, default=1, help="Glimpse seeds per channel: c, c+1000, ...")
    ap.add_argument("--lucent-seeds", action="store_true", help="seed Lucent like Glimpse: c, c+1000, ...")
    ap.add_argument("--lucent-cache", help="directory of Lucent PNGs by channel, seed and steps (read and written)")
    ap.add_argument("--glimpse-args", default="", help="extra options for glimpse visualize, e.g. '--transforms lucent'")
    a = ap.parse_args()
    C.set_threads()
    os.makedirs(a.out, exist_ok=True)
    model = C.load_model(dynamic_pad=True).eval()
    print(f"glimpse visualize {a.glimpse_args}".strip())
    print(f"{a.steps} steps, 224x224, batch 1, {LAYER_G}; scores by the PyTorch model on uint8 images "
          "(plain / mean of 16 Lucent standard transforms / mean of 16 Lucid standard transforms)\n")
    head = "| channel | Lucent ms/step | Glimpse ms/step (median; wall/steps) | speed-up | Lucent score | Glimpse score |"
    if a.old:
        head += " old Glimpse ms/step (median; wall/steps) | faults old → new |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    summary = []
    for c in [int(s) for s in a.channels.split(",")]:
        C.wait_quiet(max_wait=20)
        lucent_runs, per_seed = [], []
        for k in range(a.seeds):
            seed = c + 1000 * k
            if k == 0 or a.lucent_seeds:
                limg, lms = lucent_image(a, c, seed)
                lucent_runs.append(score(model, limg, c))
            ls = lucent_runs[-1]
            gimg, gms, gwall, gfaults, _ = glimpse(a.glimpse, c, a.steps, a.out, a.glimpse_args.split(), seed=seed)
            gs = score(model, gimg, c)
            per_seed.append(gs)
            row = (f"| {c}{f' (seed {seed})' if a.seeds > 1 else ''} | {lms:.1f} | {gms:.1f}; "
                   f"{gwall / a.steps * 1e3:.1f} | {lms / gms:.2f}× | "
                   f"{ls[0]:.2f} / {ls[1]:.2f} / {ls[2]:.2f} | {gs[0]:.2f} / {gs[1]:.2f} / {gs[2]:.2f} |")
            if a.old and k == 0 and c == int(a.channels.split(",")[0]):
                _, oms, owall, ofaults, _ = glimpse(a.old, c, a.steps, a.out)
                row += f" {oms:.1f}; {owall / a.steps * 1e3:.1f} | {ofaults} → {gfaults} |"
            print(row, flush=True)
        summary.append((c, lucent_runs, per_seed))
    if a.seeds > 1:
        print_summary(summary)


def lucent_image(a, channel, seed):
    """Lucent's uint8 image for (channel, seed) and its ms per step (NaN when read from a file)."""
    from PIL import Image
    if a.lucent_images and seed == channel:
        return np.asarray(Image.open(os.path.join(a.lucent_images, f"lucent_{channel}.png")).convert("RGB")), float("nan")
    cached = a.lucent_cache and os.path.join(a.lucent_cache, f"lucent_c{channel}_s{seed}_n{a.steps}.png")
    if cached and os.path.exists(cached):
        return np.asarray(Image.open(cached).convert("RGB")), float("nan")
    img, ms = lucent(channel, a.steps, seed)
    print(f"  lucent channel {channel} seed {seed}: {ms:.1f} ms/step", file=sys.stderr, flush=True)
    name = f"lucent_{channel}.png" if seed == channel else f"lucent_{channel}_s{seed}.png"  # --lucent-images reads the first
    for path in filter(None, [cached, os.path.join(a.out, name)]):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Image.fromarray(img).save(path + ".tmp.png")
        os.replace(path + ".tmp.png", path)
    return img, ms


def print_summary(summary):
    """Per channel: each tool's mean (min..max) over its seeds, and Glimpse's seeds at or above Lucent's mean."""
    def cells(runs):
        g = np.array(runs)
        if len(g) == 1:
            return " / ".join(f"{v:.2f}" for v in g[0])
        return " / ".join(f"{g[:, i].mean():.2f} ({g[:, i].min():.2f}..{g[:, i].max():.2f})" for i in range(3))
    print("\n| channel | Lucent (mean over its seeds) | Glimpse mean over seeds (min..max) | Glimpse seeds ≥ Lucent mean "
          "(plain / Lucent-tf / Lucid-tf) |")
    print("|---|---|---|---|")
    for c, lruns, runs in summary:
        ls, g = np.mean(lruns, axis=0), np.array(runs)
        wins = " / ".join(str(int((g[:, i] >= ls[i]).sum())) for i in range(3))
        print(f"| {c} | {cells(lruns)} | {cells(runs)} | {wins} of {len(runs)} |")
    rel = np.array([[np.mean(np.array(r)[:, i]) / np.mean(np.array(l)[:, i]) - 1 for i in range(3)]
                    for _, l, r in summary]) * 100
    print("\nGlimpse seed-mean vs Lucent seed-mean, % (plain / Lucent-tf / Lucid-tf): mean over channels "
          + " / ".join(f"{v:+.2f}" for v in rel.mean(0)) + "; worst channel " + " / ".join(f"{v:+.2f}" for v in rel.min(0)))
    print_significance(summary)


def print_significance(summary):
    """Per channel and score: Glimpse − Lucent in % of Lucent's mean, the standard error of that difference of two
    seed means (Welch), and t = difference / standard error. Needs at least two seeds of each tool."""
    if any(len(l) < 2 or len(r) < 2 for _, l, r in summary):
        return
    print("\n| channel | Glimpse − Lucent, % ± standard error (t), plain / Lucent-tf / Lucid-tf |")
    print("|---|---|")
    for c, lruns, runs in summary:
        l, g = np.array(lruns), np.array(runs)
        cells = []
        for i in range(3):
            d = g[:, i].mean() - l[:, i].mean()
            se = np.sqrt(l[:, i].var(ddof=1) / len(l) + g[:, i].var(ddof=1) / len(g))
            cells.append(f"{100 * d / l[:, i].mean():+.2f} ± {100 * se / l[:, i].mean():.2f} (t {d / se:+.1f})")
        print(f"| {c} | " + " / ".join(cells) + " |")


if __name__ == "__main__":
    main()
