"""The model registry: every model file hueproof runs, with its checksum and input spec.

``hueproof models list`` prints it; ``hueproof models verify`` checks every file. A file
whose SHA-256 is not the registered one is refused (a stale export or a corrupted download
must never produce evidence). Results record the model name, version and SHA-256.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from models.face_detector import DETECTOR_FILE
from models.face_matcher import MATCHER_FILE

__all__ = ["MODELS", "ModelEntry", "ModelVerificationError", "open_session", "verify"]

ROOT = Path(__file__).resolve().parent


class ModelVerificationError(RuntimeError):
    """A model file is missing or is not the registered one."""


@dataclass(frozen=True)
class ModelEntry:
    name: str
    file: str
    sha256: str
    version: str
    inputs: str
    outputs: str
    provision: str

    @property
    def path(self) -> Path:
        return ROOT / self.file

    def to_dict(self) -> dict:
        return {"name": self.name, "file": self.file, "sha256": self.sha256,
                "version": self.version, "inputs": self.inputs, "outputs": self.outputs,
                "provision": self.provision}  # fmt: skip


def _pinned(name, pinned, version, inputs, outputs) -> ModelEntry:
    """The entry of a file fetched by :class:`models.pypi.PinnedFile`."""
    return ModelEntry(name, pinned.path.relative_to(ROOT).as_posix(), pinned.sha256, version,
                      inputs, outputs, f"{pinned.command} (make setup)")  # fmt: skip


MODELS = {
    "face_landmarker": ModelEntry(
        "face_landmarker", "face_landmarker/face_landmarker.task",
        "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff", "float16/1",
        "image (MediaPipe Tasks)", "478 landmarks, blendshapes, transformation matrix",
        "python -m models.face_landmarker.provision (make setup)",
    ),
    # the two fetched by PinnedFile: file, checksum and command are their pins'
    "face_detector": _pinned(
        "face_detector", DETECTOR_FILE, "2023mar int8bq",
        "image (OpenCV FaceDetectorYN), BGR uint8, longer side at most 640 px",
        "faces: box, five points, score (privacy: the mosaic's block, never a measurement)",
    ),
    "face_matcher": _pinned(
        "face_matcher", MATCHER_FILE, "2021dec int8bq",
        "data (1,3,112,112) float32, BGR 0-255, the face aligned on five points (ArcFace "
        "template)",
        "fc1 (1,128) float32; only the cosine of two photos' vectors is kept",
    ),
    "redness": ModelEntry(
        "redness", "redness/redness.onnx",
        "f4adfc65ff278b9a801b75cb2615164d55833ddd378160ff7db3fd6d59032d9a", "2",
        "rgb_lin (N,3,H,W) float32 linear sRGB, skin (N,1,H,W) float32; H, W multiples of 16; "
        "face 128 px wide",
        "haemoglobin, melanin, shading, band_fine, band_detect, melanin_fine, shading_fine "
        "(N,1,H,W) and large_shift, band_detect_large (N,1,H/4,W/4) float32, optical density",
        "python -m models.redness.export (committed; a test checks it is current)",
    ),
    "illuminant": ModelEntry(
        "illuminant", "illuminant/illuminant.onnx",
        "50544b3787bcc2680f0b3ae42db4ab5b39b5061519899ef42ce1d6d8dcac8199", "4",
        "features (N,12) float32: ln(R/G), ln(B/G), ln Y of the mean linear sRGB of skin, lips, "
        "sclera, teeth (sclera again when the teeth are hidden); swatch (N,3) float32: the same "
        "three of a swatch beside the face",
        "white (N,3) ln(R/G), ln(B/G), ln Y of a white in the photo; lips_lab, swatch_lab (N,3) "
        "CIELAB D65",
        "python -m models.illuminant.train (committed, trained on simulated faces; seeded)",
    ),
}  # fmt: skip


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(name: str, path: Path | None = None) -> Path:
    """The model's file after checking its SHA-256; raises ModelVerificationError."""
    try:
        entry = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODELS)}") from None
    path = Path(path) if path else entry.path
    if not path.is_file():
        raise ModelVerificationError(f"model {name!r}: no file at {path}; run: {entry.provision}")
    got = _sha256(path)
    if got != entry.sha256:
        raise ModelVerificationError(
            f"model {name!r}: {path} has sha256 {got[:12]}…, expected {entry.sha256[:12]}…; "
            f"run: {entry.provision}"
        )
    return path


def open_session(name: str, path=None, *, threads: int = 1):
    """An onnxruntime CPU session over a model: (session, path, sha256).

    Without ``path`` the registered file is used after its checksum is verified; a given
    path (an override) is hashed so that results still record which file produced them.
    """
    import onnxruntime as ort

    if path is None:
        path, sha = verify(name), MODELS[name].sha256
    else:
        path = Path(path)
        sha = _sha256(path)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    # Not ORT_ENABLE_ALL: its NCHWc layout rewrite wraps the redness model's few-channel
    # convolutions in reorders that cost more than they save (fastest round 3.3-3.6 against
    # 3.6-4.1 ms at 256×256 on one 2 GHz EPYC core, bench_models.py interleaved).
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    return session, path, sha
