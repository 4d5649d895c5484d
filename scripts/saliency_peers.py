"""pytorch-grad-cam reference outputs and timings for Glimpse's saliency methods (EfficientNet-Lite0, chelsea).

Uses the peer venv and helpers of ../shared/anchors (model with a separate `_head_act` ReLU6, reference
preprocessing). Two modes:
    ~/.cache/glimpse-anchors/venv/bin/python scripts/saliency_peers.py fixtures
        writes Tests/GlimpseSaliencyTests/Fixtures/cam_ablationcam_{weights_1280,raw_7x7,224x224}.npy
        (AblationCAM, target = raw logit of the top-1 class, layer _head_act);
    ~/.cache/glimpse-anchors/venv/bin/python scripts/saliency_peers.py bench [--skip-scorecam]
        prints one JSON object of wall times in ms (Grad-CAM median of 5, Score-CAM and AblationCAM one call).
Set GLIMPSE_SHARED to the shared folder if it is not ../shared beside the repository.
"""
import json, os, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("GLIMPSE_SHARED", os.path.join(HERE, "..", "..", "shared"))
sys.path.insert(0, os.path.join(SHARED, "anchors"))

import numpy as np
import torch
import common as C
from pytorch_grad_cam import AblationCAM, GradCAM, ScoreCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
import pytorch_grad_cam.ablation_cam as ablation_module
import pytorch_grad_cam.score_cam as score_module

ablation_module.tqdm.tqdm = lambda it, **k: it
score_module.tqdm.tqdm = lambda it, **k: it


def setup():
    C.set_threads()
    model = C.load_model()
    x = C.preprocess(C.photo("chelsea"))
    with torch.no_grad():
        top = int(model(x).argmax())
    return model, x, [ClassifierOutputTarget(top)]


def fixtures():
    model, x, targets = setup()
    out = os.path.join(HERE, "..", "Tests", "GlimpseSaliencyTests", "Fixtures")
    cam = AblationCAM(model=model, target_layers=[model._head_act])
    captured = {}
    original = cam.get_cam_weights

    def keep(*args, **kwargs):
        w = original(*args, **kwargs)
        captured["weights"] = np.float32(w)[0]
        return w

    cam.get_cam_weights = keep
    full = cam(input_tensor=x, targets=targets)[0]
    with torch.no_grad():
        a = model.extract_features(x)[0].numpy()
    raw = np.maximum((captured["weights"][:, None, None] * a).sum(0), 0).astype(np.float32)
    np.save(os.path.join(out, "cam_ablationcam_weights_1280.npy"), captured["weights"])
    np.save(os.path.join(out, "cam_ablationcam_raw_7x7.npy"), raw)
    np.save(os.path.join(out, "cam_ablationcam_224x224.npy"), np.float32(full))
    print("wrote AblationCAM fixtures; weights range", captured["weights"].min(), captured["weights"].max())


def bench(skip_scorecam):
    model, x, targets = setup()
    times = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    gc = GradCAM(model=model, target_layers=[model._head_act])
    times["gradcam_ms"] = C.bench(lambda: gc(input_tensor=x, targets=targets), 5, 1, attempts=1)["median_ms"]
    for name, make in [("ablationcam", lambda: AblationCAM(model=model, target_layers=[model._head_act])),
                       ("scorecam", lambda: ScoreCAM(model=model, target_layers=[model._head_act]))]:
        if name == "scorecam" and skip_scorecam:
            continue
        cam = make()
        t0 = time.perf_counter()
        cam(input_tensor=x, targets=targets)
        times[name + "_ms"] = (time.perf_counter() - t0) * 1e3
    print(json.dumps(times))


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "bench"
    fixtures() if mode == "fixtures" else bench("--skip-scorecam" in sys.argv)
