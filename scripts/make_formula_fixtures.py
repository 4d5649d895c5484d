"""Writes architecture fixtures for models whose real weights are too large to keep in the repository.

For each torchvision model, every state-dict tensor k (in file order) is filled with a deterministic formula
(see `formula` below, mirrored in Tests/GlimpseModelsTests/FormulaWeights.swift), the model runs in eval mode on
a formula input, and the key list with shapes plus the logits go to Tests/GlimpseModelsTests/Fixtures/<name>_formula.json.
Run once with PyTorch + torchvision available (e.g. the peer venv of ../shared/anchors):
    ~/.cache/glimpse-anchors/venv/bin/python scripts/make_formula_fixtures.py
"""
import json, math, sys
import numpy as np
import torch, torchvision

def formula(name, shape, k):
    n = int(np.prod(shape)) if len(shape) else 1
    j = np.arange(n, dtype=np.float64)
    s = np.sin(0.7 * j + 1.3 * k)
    if name.endswith("num_batches_tracked"):
        return np.zeros(shape, dtype=np.int64)
    if name.endswith("running_var"):
        v = 1.0 + 0.5 * np.abs(s)
    elif name.endswith("running_mean") or name.endswith("bias"):
        v = 0.1 * s
    elif len(shape) == 1:          # batch-norm weight
        v = 1.0 + 0.1 * s
    else:                          # conv / linear weight: unit-variance-ish activations
        fan_in = n // shape[0]
        v = s * math.sqrt(2.0 / fan_in)
    return v.reshape(shape).astype(np.float32)

def formula_input(shape):
    j = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (0.5 + 0.4 * np.sin(0.37 * j)).reshape(shape).astype(np.float32)

def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/GlimpseModelsTests/Fixtures"
    torch.set_num_threads(2)
    models = [("mobilenet_v2", torchvision.models.mobilenet_v2), ("vgg16", torchvision.models.vgg16),
              ("resnet34", torchvision.models.resnet34), ("resnet50", torchvision.models.resnet50),
              ("googlenet", lambda: torchvision.models.googlenet(aux_logits=False, transform_input=False, init_weights=False))]
    for name, ctor in models:
        model = ctor().eval()
        sd = model.state_dict()
        keys = []
        new = {}
        for k, (key, t) in enumerate(sd.items()):
            shape = list(t.shape)
            keys.append([key, shape])
            new[key] = torch.from_numpy(formula(key, shape, k))
        model.load_state_dict(new)
        x = torch.from_numpy(formula_input((1, 3, 224, 224)))
        with torch.no_grad():
            logits = model(x)
        extra = {}
        if name == "googlenet":
            # torchvision's ImageNet GoogLeNet sets transform_input: it receives ImageNet-normalised images.
            model.transform_input = True
            mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
            with torch.no_grad():
                extra["logits_imagenet_transform_input"] = [float(v) for v in model((x - mean) / std)[0]]
        doc = {"model": name, "torchvision": torchvision.__version__, "input": "0.5 + 0.4 sin(0.37 j), [1,3,224,224]",
               "keys": keys, "logits": [float(v) for v in logits[0]], **extra}
        with open(f"{out}/{name}_formula.json", "w") as f:
            json.dump(doc, f)
        print(name, len(keys), "keys; logits[:3]", doc["logits"][:3])

main()
