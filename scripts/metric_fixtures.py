"""Reference values for Glimpse's map statistics from scikit-image and SciPy.

    ~/.cache/glimpse-anchors/venv/bin/python scripts/metric_fixtures.py
writes Tests/GlimpseMetricsTests/Fixtures/{map_a,map_b}_20x24.npy (seeded random maps, the second with ties and a
correlated part) and statistics.json: skimage.metrics.structural_similarity (defaults, data_range=1), scipy.stats
spearmanr of the maps and of their absolute values, pearsonr.
"""
import json, os
import numpy as np
from scipy import stats
from skimage.metrics import structural_similarity

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "GlimpseMetricsTests", "Fixtures")
rng = np.random.default_rng(3)
a = rng.random((20, 24)).astype(np.float32)
b = (0.6 * a + 0.4 * rng.random((20, 24))).astype(np.float32)
b[:, :5] = np.round(b[:, :5] * 4) / 4 - 0.5          # ties and negative values
np.save(os.path.join(out, "map_a_20x24.npy"), a)
np.save(os.path.join(out, "map_b_20x24.npy"), b)
an = (a - a.min()) / (a.max() - a.min()); bn = (b - b.min()) / (b.max() - b.min())
values = {
    "ssim_normalized": float(structural_similarity(an.astype(np.float64), bn.astype(np.float64), data_range=1.0)),
    "spearman": float(stats.spearmanr(a.ravel(), b.ravel())[0]),
    "spearman_abs": float(stats.spearmanr(np.abs(a).ravel(), np.abs(b).ravel())[0]),
    "pearson": float(stats.pearsonr(a.ravel().astype(np.float64), b.ravel().astype(np.float64))[0]),
}
json.dump(values, open(os.path.join(out, "statistics.json"), "w"), indent=1)
print(values)

# ROAD's noisy linear imputer (pytorch-grad-cam, noise 0) on a small image with a removed region touching the border.
from pytorch_grad_cam.metrics.road import NoisyLinearImputer
import torch
img = rng.random((3, 12, 14)).astype(np.float32)
keep = np.ones((12, 14), dtype=np.float32)
keep[3:8, 4:9] = 0
keep[0:3, 11:14] = 0
keep[10, 2] = 0
imputed = NoisyLinearImputer(noise=0.0)(torch.from_numpy(img), torch.from_numpy(keep)).numpy()
np.save(os.path.join(out, "road_image_3x12x14.npy"), img)
np.save(os.path.join(out, "road_keep_12x14.npy"), keep)
np.save(os.path.join(out, "road_imputed_3x12x14.npy"), imputed.astype(np.float32))
print("ROAD imputation fixture written")
