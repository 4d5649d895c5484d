"""torchattacks PGD-10 on EfficientNet-Lite0 and the chelsea photo, the peer of `glimpse bench-attacks`.

Same settings as Glimpse's PGD default: eps=8/255, alpha=2/255, 10 steps, random start, [0,1] image with the
model's (x*255-127)/128 normalisation inside the model. The timed work is the same as Glimpse's `attack` call: the
adversarial image and the model's prediction on it (one more forward pass; `pgd10`); the attack alone, without the
prediction, is timed too (`pgd10_attack_only`, the figure torchattacks users see). Writes {"pgd10": {"median_ms",
"min_ms", "max_ms", "runs", "others"}, "pgd10_attack_only": {...}, "meta": {...}} to the path given as the first
argument. Run by scripts/bench_attacks.sh.
"""
import json
import os
import sys

sys.path.insert(0, os.environ.get("GLIMPSE_ANCHORS", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "anchors")))
import common as C  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torchattacks  # noqa: E402


def main():
    out = sys.argv[1]
    runs = int(os.environ.get("ATTACK_BENCH_RUNS", "5"))
    C.set_threads()
    model = C.load_model()
    norm_model = nn.Sequential(C.Normalize(), model).eval()
    x01 = C.to_tensor01(C.photo("chelsea"))
    with torch.no_grad():
        label = norm_model(x01).argmax(1)
    atk = torchattacks.PGD(norm_model, eps=8 / 255, alpha=2 / 255, steps=10, random_start=True)
    def attack_and_predict():
        adversarial = atk(x01, label)
        with torch.no_grad():
            return norm_model(adversarial).argmax(1)

    torch.manual_seed(0)
    bare = C.bench(lambda: atk(x01, label), runs)
    print(f"torchattacks {torchattacks.__version__} PGD-10, attack only: {C.fmt(bare)}")
    r = C.bench(attack_and_predict, runs)
    print(f"torchattacks {torchattacks.__version__} PGD-10 + prediction of the result: {C.fmt(r)}")
    meta = {"torch": torch.__version__, "torchattacks": torchattacks.__version__, "threads": torch.get_num_threads()}
    with open(out + ".tmp", "w") as f:
        json.dump({"pgd10": r, "pgd10_attack_only": bare, "meta": meta}, f, indent=1)
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
