"""Face landmarks from the MediaPipe Tasks Face Landmarker (IMAGE mode, CPU delegate).

MediaPipe types never leave this module: callers pass the internal float32 linear-sRGB image
and get frozen dataclasses of NumPy arrays back. MediaPipe receives its own ``srgb_u8`` view.

References
----------
.. [1] Y. Kartynnik, A. Ablavatski, I. Grishchenko, M. Grundmann, "Real-time Facial Surface
   Geometry from Monocular Video on Mobile GPUs", CVPR Workshops, 2019 (the 468-point mesh;
   478 with the iris points).
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from calibration.colorimetry import rgb_lin_to_srgb_u8
from models.face_landmarker.provision import face_model_path
from models.native import quiet_start

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging: warnings and up

__all__ = [
    "FaceLandmarker",
    "FaceLandmarks",
    "LandmarkerOptions",
    "LazyFaceLandmarker",
    "head_pose_degrees",
]

N_LANDMARKS = 478
#: The landmarker sees photos shrunk to this longer side. It finds no face narrower than about
#: an eleventh of the photo's longer side (session 18, a separate script: the four held-out
#: photos' heads and the astronaut's pasted into 1200, 2000 and 4000 px wide photos, the face
#: at 1/9 ... 1/14 of the width: found at 1/9 in 4 of 5, at 1/10 in 2-3 of 5, at 1/11 in 1 of
#: 5 (at 4000 and 2000 px), at 1/12 and narrower in none); the privacy mosaic's face search
#: relies on it for its speed (models/face_detector, SEARCH_MIN_SIDE).
DETECT_MAX_SIDE = 1600


@dataclass(frozen=True)
class LandmarkerOptions:
    """How to build a :class:`FaceLandmarker`.

    ``model_path`` None means the provisioned, checksum-verified model (or
    ``$HUEPROOF_FACE_MODEL``). ``max_faces`` > 1 lets the landmarker see every face so that
    the largest one is chosen and the others reported, not silently ignored.
    """

    model_path: str | None = None
    max_faces: int = 4
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5


@dataclass(frozen=True)
class FaceLandmarks:
    """One face.

    Attributes
    ----------
    points : (478, 2) float64, pixel x, y in the (upright) image
    depth : (478,) float64, MediaPipe's relative depth, in pixels of the image width
    blendshapes : dict of str → float, the 52 ARKit-style expression scores in [0, 1]
    yaw, pitch, roll : float, head pose in degrees (0, 0, 0 facing the camera upright)
    bbox : (x, y, w, h) int, bounding box of the points
    faces_in_image : int, how many faces the landmarker found (this is the largest)
    warnings : tuple of str
    """

    points: np.ndarray = field(repr=False)
    depth: np.ndarray = field(repr=False)
    blendshapes: dict = field(repr=False)
    yaw: float
    pitch: float
    roll: float
    bbox: tuple[int, int, int, int]
    faces_in_image: int
    warnings: tuple[str, ...] = ()

    @property
    def width(self) -> float:
        return float(self.bbox[2])

    def to_dict(self) -> dict:
        return {
            "detected": True,
            "landmarks": int(len(self.points)),
            "bbox": list(self.bbox),
            "pose": {
                "yaw": round(self.yaw, 1),
                "pitch": round(self.pitch, 1),
                "roll": round(self.roll, 1),
            },
            "faces_in_image": self.faces_in_image,
            "warnings": list(self.warnings),
        }


def head_pose_degrees(matrix) -> tuple[float, float, float]:
    """Yaw, pitch and roll (degrees) of a 4×4 face transformation matrix.

    With the rotation written R = Rz(roll)·Ry(yaw)·Rx(pitch): yaw = asin(−R₃₁),
    pitch = atan2(R₃₂, R₃₃), roll = atan2(R₂₁, R₁₁).
    """
    r = np.asarray(matrix, dtype=np.float64)[:3, :3]
    yaw = np.degrees(np.arcsin(np.clip(-r[2, 0], -1.0, 1.0)))
    pitch = np.degrees(np.arctan2(r[2, 1], r[2, 2]))
    roll = np.degrees(np.arctan2(r[1, 0], r[0, 0]))
    return float(yaw), float(pitch), float(roll)


class FaceLandmarker:
    """A MediaPipe face landmarker, built once from options and shared (thread-safe).

    Examples
    --------
    >>> from vision.testset import astronaut_face
    >>> with FaceLandmarker() as lm:
    ...     faces = lm.detect(astronaut_face())
    >>> len(faces), faces[0].points.shape
    (1, (478, 2))
    """

    def __init__(self, options: LandmarkerOptions | None = None):
        from mediapipe.tasks.python import BaseOptions, vision

        self.options = options or LandmarkerOptions()
        path = Path(self.options.model_path) if self.options.model_path else face_model_path()
        self.model_path = path
        self.model_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        mp_options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path), delegate=BaseOptions.Delegate.CPU),
            running_mode=vision.RunningMode.IMAGE,
            num_faces=self.options.max_faces,
            min_face_detection_confidence=self.options.min_detection_confidence,
            min_face_presence_confidence=self.options.min_presence_confidence,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        with quiet_start():  # MediaPipe's start-up chatter on stderr
            self._landmarker = vision.FaceLandmarker.create_from_options(mp_options)
        self._lock = threading.Lock()  # one graph, many request threads

    def close(self) -> None:
        with self._lock:
            if self._landmarker is not None:
                self._landmarker.close()
                self._landmarker = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def detect(self, rgb_lin: np.ndarray) -> tuple[FaceLandmarks, ...]:
        """Landmarks of the largest face, or ``()`` when there is none.

        Parameters
        ----------
        rgb_lin : (H, W, 3) float32, linear sRGB, [0, 1]

        Returns
        -------
        tuple of FaceLandmarks
            Empty, or one face: the largest, with a warning when there were several.
        """
        import mediapipe as mp

        rgb_lin = np.asarray(rgb_lin)
        if rgb_lin.ndim != 3 or rgb_lin.shape[2] != 3:
            raise ValueError(f"rgb_lin must have shape (H, W, 3); got {rgb_lin.shape}")
        h, w = rgb_lin.shape[:2]
        # MediaPipe works on a 256 px crop of the face: a 12 MP photo only costs conversion
        # time, so the landmarker sees at most DETECT_MAX_SIDE px (coordinates come back in
        # the photo's pixels, since MediaPipe's are normalised).
        k = min(1.0, DETECT_MAX_SIDE / max(h, w))
        if k < 1.0:
            rgb_lin = cv2.resize(rgb_lin, (max(1, round(w * k)), max(1, round(h * k))),
                                 interpolation=cv2.INTER_AREA)  # fmt: skip
        srgb_u8 = np.ascontiguousarray(rgb_lin_to_srgb_u8(rgb_lin))
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=srgb_u8)
        with self._lock:
            if self._landmarker is None:
                raise RuntimeError("the face landmarker was closed")
            result = self._landmarker.detect(image)
        if not result.face_landmarks:
            return ()
        faces = []
        for k, lms in enumerate(result.face_landmarks):
            xyz = np.array([(p.x * w, p.y * h, p.z * w) for p in lms], dtype=np.float64)
            x0, y0 = xyz[:, :2].min(axis=0)
            x1, y1 = xyz[:, :2].max(axis=0)
            faces.append((float((x1 - x0) * (y1 - y0)), k, xyz, (x0, y0, x1, y1)))
        faces.sort(key=lambda f: -f[0])
        _, k, xyz, (x0, y0, x1, y1) = faces[0]
        warnings = ()
        if len(faces) > 1:
            warnings = (f"{len(faces)} faces in the photo; the largest was analysed",)
        blend = {}
        if result.face_blendshapes:
            blend = {c.category_name: float(c.score) for c in result.face_blendshapes[k]}
        yaw = pitch = roll = float("nan")
        if result.facial_transformation_matrixes:
            yaw, pitch, roll = head_pose_degrees(result.facial_transformation_matrixes[k])
        bbox = (int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1 - x0)), int(np.ceil(y1 - y0)))
        return (
            FaceLandmarks(
                points=xyz[:, :2],
                depth=xyz[:, 2],
                blendshapes=blend,
                yaw=yaw,
                pitch=pitch,
                roll=roll,
                bbox=bbox,
                faces_in_image=len(faces),
                warnings=warnings,
            ),
        )


class LazyFaceLandmarker:
    """A :class:`FaceLandmarker` built on first use (the model loads in about 0.1 s), shared
    by threads; for services that may never need one."""

    def __init__(self, options: LandmarkerOptions | None = None):
        self.options = options
        self._lm = None
        self._lock = threading.Lock()

    def _get(self) -> FaceLandmarker:
        with self._lock:
            if self._lm is None:
                self._lm = FaceLandmarker(self.options)
            return self._lm

    def detect(self, rgb_lin):
        return self._get().detect(rgb_lin)

    @property
    def model_sha256(self) -> str:
        return self._get().model_sha256

    def close(self) -> None:
        with self._lock:
            if self._lm is not None:
                self._lm.close()
                self._lm = None
