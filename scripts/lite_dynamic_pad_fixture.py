"""Fixture for EfficientNetLite0.padsSamePerInput(): PyTorch's EfficientNet-Lite0 with per-input TF-"same" pads
(image_size=None) on the chelsea reference input padded to 249x249 (0.5 fill: 12 px top/left, 13 px bottom/right).

  ~/.cache/glimpse-anchors/venv/bin/python scripts/lite_dynamic_pad_fixture.py
writes Tests/GlimpseModelsTests/Fixtures/block10_dynamic_pad_249_1x112x16x16.npy."""
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, "/work/shared/anchors")
import common as C  # noqa: E402

x = torch.from_numpy(np.load("Tests/GlimpseModelsTests/Fixtures/input_1x3x224x224.npy"))
x01 = F.pad((x * 128 + 127) / 255, (12, 13, 12, 13), value=0.5)
model = C.load_model(dynamic_pad=True)
out = {}
model._blocks[10].register_forward_hook(lambda m, i, o: out.__setitem__("b", o))
with torch.no_grad():
    model(C.Normalize()(x01))
np.save("Tests/GlimpseModelsTests/Fixtures/block10_dynamic_pad_249_1x112x16x16.npy", out["b"].numpy().astype(np.float32))
print(out["b"].shape)
