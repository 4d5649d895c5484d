# The two commands a fresh Debian machine needs (each runs the set-up first, doing only what is missing):
#   make demo   — the main job on the default model (EfficientNet-Lite0): classify the photos, build gallery-out/
#   make test   — the test suite, in a release build (numeric code is 30-300x slower in debug)
SHELL := /bin/bash
ENV := source scripts/env.sh &&
GLIMPSE := .build/release/glimpse
PHOTOS = $${GLIMPSE_CACHE:-$$HOME/.cache/glimpse}/photos

.PHONY: setup build test demo bench clean

setup:
	@bash scripts/setup.sh

build: setup
	$(ENV) swift build -c release --product glimpse

# The Fashion-MNIST CNN that the attack and defense suites load is trained (once, cached under GLIMPSE_CACHE) by
# FashionMNISTAccuracyTests; running it first keeps those suites from skipping on a fresh machine.
test:
	@bash scripts/setup.sh --test
	$(ENV) swift build -c release --build-tests
	$(ENV) swift test -c release --skip-build --filter FashionMNISTAccuracyTests
	$(ENV) swift test -c release --skip-build

demo: build
	$(ENV) $(GLIMPSE) classify --top 3 $(PHOTOS)/*.png $(PHOTOS)/*.jpg
	$(ENV) $(GLIMPSE) gallery demo --out gallery-out

bench: build
	$(ENV) bash scripts/bench.sh

clean:
	rm -rf .build
