"""``hueproof analyze``: one selfie (and optionally a baseline) → face, quality, redness, lips."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from calibration.colorimetry import rgb_lin_to_srgb_u8
from calibration.detect import detect_colour_checker
from calibration.errors import InvalidInputError
from vision.beforeafter import RednessChange, redness_change
from vision.landmarks import DETECT_MAX_SIDE, FaceLandmarker, FaceLandmarks
from vision.overlay import PNG_COMPRESS_LEVEL, heatmap_image, mosaic_face_width, scaled_box
from vision.quality import (
    Finding,
    assess_quality,
    baseline_size_findings,
    capture_findings,
    colour_findings,
    compression_findings,
    edit_findings,
    expression_findings,
    face_difference,
    framing_findings,
    grain_findings,
    identity_findings,
    origin_findings,
    picture_difference,
    pose_findings,
    same_picture_findings,
    skin_texture,
    texture_findings,
)
from vision.redness import RednessResult, redness_map
from vision.regions import REDNESS_ZONES, face_box, region_masks
from vision.shade import face_shade

__all__ = ["ANALYSIS_VERSION", "FaceAnalysis", "analyze_selfie"]

#: Recorded with every result; changes whenever the same photos could give a different result.
#: 0.2: the detection limit (session 7), the grain and noisy-pair findings (session 8).
#: 0.3: the expression_changed finding of a pair (session 9).
#: 0.4: the baseline_face_too_small, baseline_smoothed and light_direction_changed findings of
#: a pair, and a mirrored baseline flipped back (baseline_mirrored); the share of a single
#: photo's flagged area lying in folds or shadows, per zone and in all (session 10).
#: 0.5: the camera_changed, baseline_not_earlier and pose_changed findings of a pair; a
#: pair's warp refined by optical flow, and skin the earlier photo shows foreshortened left
#: out (session 11).
#: 0.6: camera_changed says when one photo is a frame of the capture page's video; a mirrored
#: photo from before is told by the melanin mismatch (``melanin_mismatch_od``), so that real
#: pairs, noisy either way, are flipped back too (session 12).
#: 0.7: a photo without colour (``no_colour``) has its redness reported as not measurable,
#: and a photo from before without colour (``baseline_no_colour``) or that is the new photo's
#: picture (``baseline_same_photo``) is not used (session 13).
#: 0.8: a photo from before whose face the face matcher takes for another person's
#: (``baseline_other_person``) is not used; the pixelated heatmap's blocks are those of the
#: photo shown, a sixth of the face wide (session 14).
#: 0.9: when the face detector finds a face much wider than the landmarked one (another
#: person, nearer the camera), the pixelated heatmap is cut for that face too, as the photo
#: shown already was; a file whose EXIF names a photo editor as what saved it is reported
#: (``edited``, ``baseline_edited``; a shade claim's photo too) (session 15).
#: 0.10: an editor named only in a file's XMP ``CreatorTool`` is reported (JPEG, PNG and WebP
#: in session 16, HEIC in session 17); faces turned a quarter or half turn set the mosaic
#: (session 16), and the upright search for a wider face runs where such a face spans 54 px
#: instead of at 640 px (session 17), so a mosaic's blocks may differ.
ANALYSIS_VERSION = "hueproof-analyze/0.10"
#: After detection the analysis runs on the head only, scaled so that the face is at most
#: this wide (or up to PREVIEW_AS_WORKING times it, see there): redness lives at the scale of
#: the face, and a 12 MP selfie would otherwise cost minutes. The mask is scaled back to the
#: photo's size; the heatmaps stay at the working size.
WORK_FACE_WIDTH = 480.0
#: A chart held up in a selfie is large: one detection stage at 640 px finds it (all 20
#: simulated chart photos of seeds 0-19 at 640 px as at 1000 px, in 80 % of the time).
SELFIE_CHART_STAGES = ((640, 5, 3),)
#: When the preview's face is at most this much wider than WORK_FACE_WIDTH, the analysis
#: uses the preview's pixels as they are (one resampling less).
PREVIEW_AS_WORKING = 1.1
#: The heatmaps cover the face's box grown by this fraction of the face width.
HEATMAP_MARGIN = 0.3


def _scaled(face, f: float):
    """The landmarks of ``face`` in an image scaled by ``f``."""
    x, y, bw, bh = face.bbox
    bbox = (int(x * f), int(y * f), int(np.ceil(bw * f)), int(np.ceil(bh * f)))
    return replace(face, points=face.points * f, depth=face.depth * f, bbox=bbox)


def _preview(rgb_lin):
    """The photo shrunk by the smallest whole factor that brings it to at most DETECT_MAX_SIDE
    px, made once for face and chart detection: a whole factor (the last rows and columns
    that do not fill a block are left out) takes cv2's box-filter path, twice as fast on a
    12 MP photo as a fractional one. Returns the preview and its scale (1 / the factor)."""
    h, w = rgb_lin.shape[:2]
    # a strip of a picture (5000 × 3) is shrunk no thinner than a pixel (it holds no face)
    n = min(-(-max(h, w) // DETECT_MAX_SIDE), h, w)
    if n <= 1:
        return rgb_lin, 1.0
    whole = rgb_lin[: h - h % n, : w - w % n]
    return cv2.resize(whole, (w // n, h // n), interpolation=cv2.INTER_AREA), 1.0 / n


def _head_copy(rgb_lin, preview, k, face_full):
    """The head (the face's box grown by HEATMAP_MARGIN) at the working scale, cut from the
    preview when that is detailed enough, else from the photo: everything after detection
    works on the head only. Returns the copy, the face in its pixels, the working scale, and
    the head's box in the photo's pixels."""
    s = min(1.0, WORK_FACE_WIDTH / max(face_full.width, 1.0))
    box = face_box(face_full, rgb_lin.shape[:2], margin=HEATMAP_MARGIN)
    src, f = (preview, k) if s <= k else (rgb_lin, 1.0)
    if s <= k <= PREVIEW_AS_WORKING * s:  # the preview's face is near enough the working size
        s = k
    x0, y0 = int(box[0] * f), int(box[1] * f)
    x1 = min(src.shape[1], int(np.ceil(box[2] * f)))
    y1 = min(src.shape[0], int(np.ceil(box[3] * f)))
    crop = src[y0:y1, x0:x1]
    r = s / f
    if r != 1.0:
        size = (max(1, round(crop.shape[1] * r)), max(1, round(crop.shape[0] * r)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    face = _moved(face_full, (x0 / f, y0 / f), s)
    return crop, face, s, (int(x0 / f), int(y0 / f), int(np.ceil(x1 / f)), int(np.ceil(y1 / f)))


def _moved(face, origin, r: float):
    """The landmarks of ``face`` in a crop starting at ``origin`` (x, y), scaled by ``r``."""
    points = (face.points - origin) * r
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    bbox = (int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1 - x0)), int(np.ceil(y1 - y0)))
    return replace(face, points=points, depth=face.depth * r, bbox=bbox)


def _paste(part, shape, origin):
    """``part`` placed at ``origin`` (x, y) in an array of ``shape``, zero elsewhere."""
    out = np.zeros(shape + part.shape[2:], part.dtype)
    x0, y0 = origin
    out[y0 : y0 + part.shape[0], x0 : x0 + part.shape[1]] = part
    return out


def _full_size(mask_head, shape, head_box):
    """The head's working-size mask at the photo's size, as a PNG-ready uint8 (255 where
    flagged, 0 outside the head)."""
    x0, y0, x1, y1 = head_box
    x1, y1 = min(x1, shape[1]), min(y1, shape[0])
    u8 = mask_head.astype(np.uint8) * 255
    if u8.shape != (y1 - y0, x1 - x0):
        u8 = cv2.resize(u8, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
    return _paste(u8, tuple(shape), (x0, y0))


@dataclass(frozen=True)
class FaceAnalysis:
    """What ``analyze`` found; ``images`` holds the pictures to write (name → uint8 array).

    ``redness`` and ``change`` hold their maps over the face's box in the working copy (the
    head, scaled to :data:`WORK_FACE_WIDTH`); the heatmaps show that head and
    ``redness_mask.png`` is at the photo's size. A face with no ``redness`` is a photo
    without colour (``no_colour``): nothing measured, nothing flagged.
    """

    face: FaceLandmarks | None
    quality: tuple[Finding, ...]
    redness: RednessResult | None
    change: RednessChange | None
    lips: dict | None
    images: dict = field(default_factory=dict, repr=False)
    model_sha256: str = ""
    models: dict = field(default_factory=dict)
    #: the baseline photo's face, in its own pixels (None without a baseline or a face in it)
    baseline_face: FaceLandmarks | None = None
    #: how alike the two photos' faces are (the face matcher's cosine, models/face_matcher;
    #: None when not compared)
    baseline_face_match: float | None = None
    #: the face width (the photo's pixels) every mosaic of this photo is cut for: the
    #: heatmap's and the pixelated photo's (vision/overlay.py mosaic_face_width; None without
    #: a face)
    mosaic_face_width: float | None = None

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
            "models": self.models,
            "note": "Redness maps are evidence for a human reviewer, not a diagnosis.",
        }
        if self.baseline_face_match is not None:
            out["baseline_face_match"] = round(self.baseline_face_match, 3)
        if self.face is not None and self.redness is None:  # a photo without colour
            out["redness"] = {
                "measurable": False,
                "zones": {},
                "mask": "redness_mask.png",
                "heatmap": "redness_heatmap.png",
                "heatmap_unpixelated": "redness_heatmap_raw.png",
                "method": None,
                "compared_to_baseline": False,
            }
        if self.redness is not None:
            source = self.change if self.change is not None else self.redness
            out["redness"] = {
                "measurable": True,
                "zones": {k: v.to_dict() for k, v in source.zones.items()},
                "mask": "redness_mask.png",
                "heatmap": "redness_heatmap.png",
                "heatmap_unpixelated": "redness_heatmap_raw.png",
                "method": self.redness.method,
                "compared_to_baseline": self.change is not None,
            }
            if source.detection_limit is not None:
                out["redness"]["detection_limit"] = source.detection_limit.to_dict()
            if self.change is None and self.redness.shaded_fraction is not None:
                out["redness"]["shaded_fraction"] = round(self.redness.shaded_fraction, 3)
            if self.change is not None:
                out["redness"]["baseline"] = self.change.to_dict()
        return out

    def write_images(self, out_dir) -> None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, arr in self.images.items():
            Image.fromarray(arr).save(out_dir / name, compress_level=PNG_COMPRESS_LEVEL)


#: Front cameras often save selfies mirrored, and the capture page's photo is not: compared
#: as it is, a mirrored photo from before puts one cheek over the other. A pair whose change
#: is noisy (noisy_pair) is compared flipped back too, and kept so when the person's own
#: features then fall on each other better: the melanin mismatch after the mesh's warp
#: (:class:`vision.beforeafter.RednessChange`'s ``melanin_mismatch``) MIRROR_MARGIN times
#: lower flipped than as it is.
#: Measured in session 10 (a separate script): mirrored copies of the held-out people's
#: and the astronaut's photos spread 0.05-0.27 OD (noisy_pair; the astronaut's flagged 1.1 %
#: of unchanged skin), 0.001-0.012 flipped back; but the real pairs of one man, mirrored or
#: not, spread 0.09-0.25 either way, so that a rule on the spread (flipped back when that is
#: not noisy, sessions 10-11) never flipped them.
#: Measured in session 12 (a separate script, analyze_selfie with and without the earlier
#: photo mirrored): the melanin mismatch of the six ordered real pairs of vision/people's
#: three photos of one man is 0.42-0.78 OD straight and 1.09-1.28 times that mirrored, in
#: every pair; the test set's pairs (ten faces, the second photo, and turned 10° and relit)
#: 0.005-0.046 straight and 7.9-83 times that mirrored. What the mesh's landmarks alone
#: show does not tell (the shape of the 478 points, aligned in 3D: mirrored against straight
#: 0.97-1.04 times as far apart on those real pairs, 1.02 between two men).
MIRROR_MARGIN = 1.05
MIRRORED_MESSAGE = ("The photo from before is mirrored (as front cameras often save selfies): "
                    "it was compared flipped back.")  # fmt: skip


def _face_srgb(rgb_lin, face):
    """The face's box (and a margin the matcher's crop needs) in 8-bit sRGB, and its landmarks
    there: what :meth:`models.face_matcher.FaceMatcher.similarity` reads."""
    x0, y0, x1, y1 = face_box(face, rgb_lin.shape[:2], margin=0.4)
    return rgb_lin_to_srgb_u8(rgb_lin[y0:y1, x0:x1]), face.points - (x0, y0)


def _noisy(change: RednessChange) -> bool:
    return any(f["code"] == "noisy_pair" for f in change.findings)


def analyze_selfie(
    rgb_lin: np.ndarray,
    *,
    landmarker: FaceLandmarker,
    baseline_rgb_lin: np.ndarray | None = None,
    method: str = "tsumura",
    redness_model=None,
    colour_model=None,
    jpeg_quality: int | None = None,
    baseline_jpeg_quality: int | None = None,
    origin=None,
    baseline_origin=None,
    face_matcher=None,
) -> FaceAnalysis:
    """Landmarks, quality findings, redness (single photo or against a baseline), lip colour.

    Without a face only the ``no_face`` finding comes back (the analysis is impossible).
    With ``redness_model`` (a :class:`models.redness.RednessModel`) the single-photo redness
    is computed by that ONNX graph, the same file the capture page runs; with
    ``colour_model`` (:class:`models.illuminant.IlluminantModel`) the lips get a chart-free
    colour, with its uncertainty, when no chart is in the frame. ``jpeg_quality`` and
    ``baseline_jpeg_quality`` (the files', from :mod:`vision.ingest`) feed the compression
    gate; ``origin`` and ``baseline_origin`` (their :class:`vision.metadata.Origin`) the pair's
    camera and date findings. With ``face_matcher`` (a :class:`models.face_matcher.FaceMatcher`)
    a photo from before whose face is another person's is not used (``baseline_other_person``).
    """
    preview, k = _preview(rgb_lin)
    found = landmarker.detect(preview)
    if not found:
        return FaceAnalysis(None, assess_quality(preview, None), None, None, None,
                            model_sha256=landmarker.model_sha256)  # fmt: skip
    face_full = _scaled(found[0], 1.0 / k)
    full_shape = rgb_lin.shape[:2]
    # the face width (the photo's pixels) the photo's mosaics are cut for: the landmarked
    # face's, or a much wider one the face detector finds (another person, nearer the camera:
    # vision/overlay.py); looked for once, so that the heatmap and the pixelated photo
    # (claims/analysis.py) share one block size as well as one grid
    mosaic_width = mosaic_face_width(preview, face_full.width * k, scaled_box(face_full, k)) / k
    # after detection everything works on the head, at the working scale
    rgb_lin, face, scale, head_box = _head_copy(rgb_lin, preview, k, face_full)
    # the photo's corner in the head's pixels (the landmarks moved by the crop and scaled):
    # the heatmap's mosaic is anchored there, as the pixelated photo's is (vision/overlay.py)
    photo_corner = tuple(face.points[0] - face_full.points[0] * scale)
    shape = rgb_lin.shape[:2]
    # masks and maps are made on the face's box only (all of the face oval is inside it)
    x0, y0, x1, y1 = face_box(face, shape)
    box_points = face.points - (x0, y0)
    box_rgb = rgb_lin[y0:y1, x0:x1]
    bx, by, bw, bh = face.bbox
    box_face = replace(face, points=box_points, bbox=(bx - x0, by - y0, bw, bh))
    masks = region_masks(box_points, box_rgb.shape[:2], names=("skin", "lips", *REDNESS_ZONES))
    skin = masks["skin"]
    # framing and the light's colour are judged on the whole frame, the rest on the head
    colourless = colour_findings(box_rgb)
    quality = [
        *framing_findings(preview, found[0], scale=k),
        *colourless,
        *capture_findings(box_rgb, box_face, skin_mask=skin),
        *compression_findings(jpeg_quality),
        *edit_findings(origin),
    ]
    zones = {z: masks[z] for z in REDNESS_ZONES}
    change = baseline_face = red = face_match = None
    if colourless:  # no colour, no redness to see: nothing is flagged, nothing ruled out
        excess, flagged = np.zeros(skin.shape, np.float32), np.zeros(skin.shape, bool)
    elif redness_model is not None and method == "tsumura":
        from models.redness import redness_map_onnx

        red = redness_map_onnx(redness_model, box_rgb, skin_mask=skin, zone_masks=zones,
                               face_width=face.width)  # fmt: skip
    else:
        red = redness_map(box_rgb, skin_mask=skin, zone_masks=zones, face_width=face.width,
                          method=method)  # fmt: skip
    if red is not None:
        excess, flagged = red.excess, red.mask
    if baseline_rgb_lin is not None and red is not None:
        base_preview, bk = _preview(baseline_rgb_lin)
        aspects = (full_shape[1] / full_shape[0],
                   baseline_rgb_lin.shape[1] / baseline_rgb_lin.shape[0])  # fmt: skip
        # not used (each finding says why): the same picture (or it saved mirrored), no face,
        # a crop or a turn of the same picture (its face falls on the new one), no colour
        unused = same_picture_findings(picture_difference(preview, base_preview, aspects=aspects))
        base_found = () if unused else landmarker.detect(base_preview)
        if base_found:
            moved = face_difference(preview, found[0], base_preview, base_found[0])
            unused = same_picture_findings(moved, aligned=True)
        if base_found and not unused and face_matcher is not None:  # another person?
            faces = (*_face_srgb(preview, found[0]), *_face_srgb(base_preview, base_found[0]))
            face_match = face_matcher.similarity(*faces)
            unused = identity_findings(face_match)
        if base_found and not unused:
            baseline_face = _scaled(base_found[0], 1.0 / bk)
            baseline_rgb_lin, base_face, _, _ = _head_copy(baseline_rgb_lin, base_preview, bk,
                                                           baseline_face)  # fmt: skip
            base_found = (base_face,)
            bx0, by0, bx1, by1 = face_box(base_face, baseline_rgb_lin.shape[:2])
            unused = colour_findings(baseline_rgb_lin[by0:by1, bx0:bx1], baseline=True)
        elif not unused:
            unused = (Finding("baseline_no_face", "No face was found in the baseline photo: it "
                              "was not used.", 0, 1),)  # fmt: skip
        quality.extend(unused)
        if not unused:
            compare = partial(redness_change, box_rgb, after_points=box_points, skin_mask=skin,
                              zone_masks=zones)  # fmt: skip
            change = compare(baseline_rgb_lin, before_points=base_found[0].points)
            if _noisy(change):  # a selfie saved mirrored? its features match better flipped
                flipped = np.ascontiguousarray(baseline_rgb_lin[:, ::-1])
                flipped_found = landmarker.detect(flipped)
                # or the new photo's own picture, saved mirrored and cropped: not compared
                same = flipped_found and same_picture_findings(face_difference(
                    box_rgb, box_face, flipped, flipped_found[0]), aligned=True)  # fmt: skip
                again = not same and flipped_found and compare(
                    flipped, before_points=flipped_found[0].points)  # fmt: skip
                if same:
                    quality.extend(same)
                    change = None
                elif again and change.melanin_mismatch > MIRROR_MARGIN * again.melanin_mismatch:
                    change, baseline_rgb_lin, base_found = again, flipped, flipped_found
                    quality.append(Finding("baseline_mirrored", MIRRORED_MESSAGE, 1, 0))
            if change is not None:
                excess, flagged = change.increase, change.mask
                quality.extend(compression_findings(baseline_jpeg_quality, baseline=True))
                quality.extend(expression_findings(face, base_found[0]))
                quality.extend(pose_findings(face, base_found[0]))
                quality.extend(origin_findings(origin, baseline_origin))
                quality.extend(edit_findings(baseline_origin, baseline=True))
                quality.extend(baseline_size_findings(baseline_face.width))
                base_skin = region_masks(base_found[0].points, baseline_rgb_lin.shape[:2],
                                         names=("skin",))["skin"]  # fmt: skip
                quality.extend(grain_findings(baseline_rgb_lin, base_found[0], base_skin,
                                              baseline=True))  # fmt: skip
                quality.extend(texture_findings(
                    skin_texture(box_rgb, skin, face.width),
                    skin_texture(baseline_rgb_lin, base_skin, base_found[0].width)))  # fmt: skip
                for f in change.findings:
                    quality.append(Finding(f["code"], f["message"], f.get("value", 1),
                                           f.get("limit", 0)))  # fmt: skip
    excess, flagged = _paste(excess, shape, (x0, y0)), _paste(flagged, shape, (x0, y0))
    # a chart held up in a selfie is large: the detector's first stage on the preview suffices
    charts = tuple(replace(c, quad=c.quad / k) for c in
                   detect_colour_checker(preview, working_stages=SELFIE_CHART_STAGES))  # fmt: skip
    try:
        # the lips and the chart-free regions all lie in the face's box: measure there
        m, _ = face_shade(box_rgb, face=box_face, region="lips", detections=charts,
                          colour_model=colour_model, masks=masks)  # fmt: skip
    except InvalidInputError:  # lips too small to measure: no lip colour, not an error
        lips = None
    else:
        u = None if m.uncertainty is None else round(m.uncertainty.expanded, 3)
        lips = {
            "lab": np.round(m.lab, 3).tolist(),
            "calibrated": m.calibrated,
            "colour_source": m.colour_source,
            "uncertainty_de00": u,
        }
    # the heatmaps show the head (the face's box and a margin), not the whole frame
    srgb = rgb_lin_to_srgb_u8(rgb_lin)
    images = {
        "redness_mask.png": _full_size(flagged, full_shape, head_box),
        "redness_heatmap.png": heatmap_image(
            srgb, excess, flagged, face_width=mosaic_width * scale, anchor=photo_corner
        ),
        "redness_heatmap_raw.png": heatmap_image(
            srgb, excess, flagged, face_width=face.width, pixelated=False
        ),
    }
    models = {"face_landmarker": landmarker.model_sha256}
    if redness_model is not None:
        models["redness"] = redness_model.sha256
    if colour_model is not None:
        models["illuminant"] = colour_model.sha256
    if face_match is not None:
        models["face_matcher"] = face_matcher.sha256
    return FaceAnalysis(
        face_full,
        tuple(quality),
        red,
        change,
        lips,
        images,
        landmarker.model_sha256,
        models,
        baseline_face,
        face_match,
        mosaic_width,
    )
