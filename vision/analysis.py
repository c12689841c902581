"""``hueproof analyze``: one selfie (and optionally a baseline) → face, quality, redness, lips."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from calibration.detect import WORKING_STAGES, detect_colour_checker
from calibration.errors import InvalidInputError
from vision.beforeafter import RednessChange, redness_change
from vision.landmarks import FaceLandmarker, FaceLandmarks
from vision.overlay import heatmap_image
from vision.quality import Finding, assess_quality
from vision.redness import RednessResult, redness_map
from vision.regions import REDNESS_ZONES, region_masks
from vision.shade import face_shade

__all__ = ["ANALYSIS_VERSION", "FaceAnalysis", "analyze_selfie"]

ANALYSIS_VERSION = "hueproof-analyze/0.1"
#: The analysis runs on the photo scaled so that the face is at most this wide: redness
#: lives at the scale of the face, and a 12 MP selfie would otherwise cost minutes. The mask
#: is scaled back to the photo's size; the heatmaps stay at the working size.
WORK_FACE_WIDTH = 480.0


def _working_copy(rgb_lin, face):
    s = min(1.0, WORK_FACE_WIDTH / max(face.width, 1.0))
    if s == 1.0:
        return rgb_lin, face, 1.0
    h, w = rgb_lin.shape[:2]
    small = cv2.resize(rgb_lin, (max(1, round(w * s)), max(1, round(h * s))),
                       interpolation=cv2.INTER_AREA)  # fmt: skip
    x, y, bw, bh = face.bbox
    bbox = (int(x * s), int(y * s), int(np.ceil(bw * s)), int(np.ceil(bh * s)))
    return small, replace(face, points=face.points * s, bbox=bbox), s


def _full_size(mask_small, shape):
    big = cv2.resize(
        mask_small.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR
    )
    return big >= 0.5


@dataclass(frozen=True)
class FaceAnalysis:
    """What ``analyze`` found; ``images`` holds the pictures to write (name → uint8 array)."""

    face: FaceLandmarks | None
    quality: tuple[Finding, ...]
    redness: RednessResult | None
    change: RednessChange | None
    lips: dict | None
    images: dict = field(default_factory=dict, repr=False)
    model_sha256: str = ""

    def to_dict(self) -> dict:
        out = {
            "face": self.face.to_dict() if self.face else {"detected": False, "landmarks": 0},
            "quality": {
                "problems": [f.code for f in self.quality],
                "findings": [f.to_dict() for f in self.quality],
            },
            "redness": None,
            "lips": self.lips,
            "algorithm_version": ANALYSIS_VERSION,
            "model_sha256": self.model_sha256,
            "note": "Redness maps are evidence for a human reviewer, not a diagnosis.",
        }
        if self.redness is not None:
            source = self.change if self.change is not None else self.redness
            out["redness"] = {
                "zones": {k: v.to_dict() for k, v in source.zones.items()},
                "mask": "redness_mask.png",
                "heatmap": "redness_heatmap.png",
                "heatmap_unpixelated": "redness_heatmap_raw.png",
                "method": self.redness.method,
                "compared_to_baseline": self.change is not None,
            }
            if self.change is not None:
                out["redness"]["baseline"] = self.change.to_dict()
        return out

    def write_images(self, out_dir) -> None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, arr in self.images.items():
            Image.fromarray(arr).save(out_dir / name)


def analyze_selfie(
    rgb_lin: np.ndarray,
    *,
    landmarker: FaceLandmarker,
    baseline_rgb_lin: np.ndarray | None = None,
    method: str = "tsumura",
) -> FaceAnalysis:
    """Landmarks, quality findings, redness (single photo or against a baseline), lip colour.

    Without a face only the ``no_face`` finding comes back (the analysis is impossible).
    """
    found = landmarker.detect(rgb_lin)
    if not found:
        return FaceAnalysis(None, assess_quality(rgb_lin, None), None, None, None,
                            model_sha256=landmarker.model_sha256)  # fmt: skip
    face_full = found[0]
    full_rgb_lin = rgb_lin
    rgb_lin, face, scale = _working_copy(full_rgb_lin, face_full)
    shape = rgb_lin.shape[:2]
    masks = region_masks(face.points, shape, names=("skin", *REDNESS_ZONES))
    skin = masks["skin"]
    quality = list(assess_quality(rgb_lin, face, skin_mask=skin, scale=scale))
    zones = {z: masks[z] for z in REDNESS_ZONES}
    red = redness_map(rgb_lin, skin_mask=skin, zone_masks=zones, face_width=face.width,
                      method=method)  # fmt: skip
    change = None
    excess, flagged = red.excess, red.mask
    if baseline_rgb_lin is not None:
        base_found = landmarker.detect(baseline_rgb_lin)
        if base_found:
            baseline_rgb_lin, base_face, _ = _working_copy(baseline_rgb_lin, base_found[0])
            base_found = (base_face,)
        if not base_found:
            quality.append(Finding("baseline_no_face", "No face was found in the baseline "
                                   "photo: it was not used.", 0, 1))  # fmt: skip
        else:
            change = redness_change(rgb_lin, baseline_rgb_lin, after_points=face.points,
                                    before_points=base_found[0].points, skin_mask=skin,
                                    zone_masks=zones)  # fmt: skip
            excess, flagged = change.increase, change.mask
            for f in change.findings:
                quality.append(Finding(f["code"], f["message"], 1, 0))
    # a chart held up in a selfie is large: the detector's first stage suffices
    charts = detect_colour_checker(full_rgb_lin, working_stages=WORKING_STAGES[:1])
    try:
        m, _ = face_shade(rgb_lin, face=face, region="lips", detections=charts)
    except InvalidInputError:  # lips too small to measure: no lip colour, not an error
        lips = None
    else:
        u = None if m.uncertainty is None else round(m.uncertainty.expanded, 3)
        lips = {
            "lab": np.round(m.lab, 3).tolist(),
            "calibrated": m.calibrated,
            "uncertainty_de00": u,
        }
    images = {
        "redness_mask.png": (_full_size(flagged, full_rgb_lin.shape[:2]).astype(np.uint8) * 255),
        "redness_heatmap.png": heatmap_image(rgb_lin, excess, flagged, face_width=face.width),
        "redness_heatmap_raw.png": heatmap_image(
            rgb_lin, excess, flagged, face_width=face.width, pixelated=False
        ),
    }
    return FaceAnalysis(
        face_full, tuple(quality), red, change, lips, images, landmarker.model_sha256
    )
