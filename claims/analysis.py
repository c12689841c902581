"""The analysis a claim's photos get: calibration/ and vision/ called with the claim's facts.

Pure with respect to the store: photo bytes and the shade reference in; a JSON-ready result
and the rendered pictures (PNG bytes) out. Nothing here knows about users or transactions.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from calibration.colorimetry import rgb_lin_to_srgb_u8
from calibration.errors import InvalidInputError
from calibration.measure import ALGORITHM_VERSION as MEASURE_VERSION
from calibration.measure import measure_shade
from vision.analysis import ANALYSIS_VERSION, analyze_selfie
from vision.fingerprint import FACE_DETAIL, detail_fingerprint, face_detail
from vision.ingest import ingest_image
from vision.overlay import PNG_COMPRESS_LEVEL, mosaic_face_width, pixelate, scaled_box
from vision.quality import edit_findings

__all__ = [
    "CLAIM_ANALYSIS_VERSION",
    "FAILURE_CODES",
    "AnalysisFailed",
    "ClaimAnalysis",
    "FaceCapture",
    "analyse_claim",
    "face_capture",
    "file_face",
]

#: Recorded with every result and part of each job's idempotency key.
CLAIM_ANALYSIS_VERSION = f"hueproof-claim/1 ({MEASURE_VERSION}; {ANALYSIS_VERSION})"


#: Why a claim's analysis failed, each code (a claim's ``failure_code``; the pages say it in
#: their language, webar/js/i18n.js ``failure_<code>``).
FAILURE_CODES = (
    "no_face",  # no face in a redness claim's photo, nor in a shade claim's without a region
    "no_lips",  # the face's lips too small to measure
    "photo_unreadable",  # a stored photo the analysis cannot read
    "analysis_error",  # anything else (the message says what)
)


class AnalysisFailed(RuntimeError):
    """The photo cannot be analysed for this claim (no face in a selfie, ...): ``code`` is one
    of :data:`FAILURE_CODES`, the message says what in English."""

    def __init__(self, code: str, message: str):
        if code not in FAILURE_CODES:
            raise ValueError(f"unknown failure code {code!r}; expected one of {FAILURE_CODES}")
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ClaimAnalysis:
    result: dict
    pictures: dict = field(default_factory=dict, repr=False)  # name → PNG bytes
    #: "photo" (and "baseline": when the analysis used it, or it shows another person) → its
    #: :class:`FaceCapture`
    faces: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FaceCapture:
    """A picture's face as the search for its copies needs it (claims/related.py): its
    fingerprint (vision.fingerprint.face_fingerprint; None: no face) and its detail
    (vision.fingerprint.face_detail; kept in memory only: a picture of the face)."""

    fingerprint: int | None
    detail: np.ndarray | None = field(default=None, repr=False)


def face_capture(rgb_lin, face) -> FaceCapture:
    """The :class:`FaceCapture` of ``face`` (vision.landmarks.FaceLandmarks or None) in
    ``rgb_lin``."""
    detail = None if face is None else face_detail(rgb_lin, face.points)
    return FaceCapture(detail_fingerprint(detail), detail)


#: A picture's file read for its face only (:func:`file_face`) is decoded at 1/2, 1/4 or 1/8 of
#: its size per side keeping its shorter side this long (the face landmarker looks for faces
#: in a copy shrunk to a few hundred pixels: a face it finds whole it found here, on ten 12 MP
#: photos), then its face at least :data:`FILE_FACE_WIDTH` wide.
FILE_FACE_SHORT_SIDE = 512
#: vision.fingerprint.FACE_DETAIL: the face's detail is then taken from as many pixels as it
#: has or more (faces 106-142 px wide at 1/4 of a 12 MP photo gave the whole picture's face
#: fingerprint and detail correlated 0.97-0.99 with it; 69 px, 5 bits apart and 0.95)
FILE_FACE_WIDTH = FACE_DETAIL


def file_face(data: bytes, landmarker) -> FaceCapture:
    """The :class:`FaceCapture` of the largest face in a picture's file, as the analysis takes
    it from the whole picture, decoded no larger than the face needs: a JPEG at the largest
    reduction (vision.ingest.ingest_image's ``reduce``) keeping its shorter side
    :data:`FILE_FACE_SHORT_SIDE` px or more, then again larger if its face is narrower than
    :data:`FILE_FACE_WIDTH` there (whole at most). A 12 MP selfie's face is read in about a
    third of a whole read's time, its fingerprint and detail the same
    (benchmarks/bench_related.py).

    Raises
    ------
    calibration.errors.InvalidImageError
        As vision.ingest.ingest_image: the file is no acceptable picture.
    """
    try:
        with Image.open(io.BytesIO(data)) as im:  # its header only
            short = min(im.size)
    except Exception:  # no picture: ingest_image below says why
        short = 0
    reduce = 8
    while reduce > 1 and short // reduce < FILE_FACE_SHORT_SIDE:
        reduce //= 2
    while True:
        image = ingest_image(data, reduce=reduce)
        found = landmarker.detect(image.rgb_lin)
        face = found[0] if found else None
        if face is None or image.reduced == 1 or face.width >= FILE_FACE_WIDTH:
            return face_capture(image.rgb_lin, face)
        reduce = image.reduced // 2
        while reduce > 1 and face.width * image.reduced / reduce < FILE_FACE_WIDTH:
            reduce //= 2


def _png(srgb_u8: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(srgb_u8).save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def _pixelated_photo(rgb_lin, face=None, *, mosaic_width: float | None = None) -> bytes:
    """The photo as anyone may see it: mosaicked with blocks of a sixth of the face width, the
    face the landmarker found or, when it found none or there is a wider one, the face
    detector's (vision/overlay.py: mosaic_face_width). ``mosaic_width`` (the photo's pixels)
    is that width when the analysis has already chosen it (its heatmap is cut for it too)."""
    h, w = rgb_lin.shape[:2]
    s = min(1.0, 1024 / max(h, w))
    if s < 1.0:  # shrunk in linear light first: the sRGB curve then runs on 1 MP, not 12
        rgb_lin = cv2.resize(rgb_lin, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    srgb = rgb_lin_to_srgb_u8(rgb_lin)
    if mosaic_width is None:
        if face is None:
            mosaic_width = mosaic_face_width(srgb) / s
        else:
            mosaic_width = mosaic_face_width(srgb, face.width * s, scaled_box(face, s)) / s
    return _png(pixelate(srgb, mosaic_width * s))


def analyse_claim(
    claim_type: str,
    photo: bytes,
    *,
    landmarker,
    baseline: bytes | None = None,
    roi=None,
    reference: dict | None = None,
) -> ClaimAnalysis:
    """Analyse a claim's photo(s).

    Parameters
    ----------
    claim_type : {"shade", "redness"}
    photo, baseline : bytes, the uploaded files
    landmarker : vision.landmarks.FaceLandmarker
    roi : (x, y, w, h) of the product in the photo, optional (shade claims); without it the
        lips of the face are measured
    reference : {"lab": [L, a, b], "expanded_u": U, "tolerance": T, "version": n}, optional

    Raises
    ------
    AnalysisFailed
    """
    image = ingest_image(photo)
    versions = {
        "analysis": CLAIM_ANALYSIS_VERSION,
        "face_model_sha256": landmarker.model_sha256,
        "colour_profile": image.facts().get("colour_profile"),
    }
    result = {"type": claim_type, "photo": image.facts(), "versions": versions}
    if claim_type == "redness":  # the analysis finds the faces itself: no second detection
        return _redness_claim(image, baseline, landmarker, result)
    found = landmarker.detect(image.rgb_lin)
    face = found[0] if found else None
    pictures = {"photo_pixelated": _pixelated_photo(image.rgb_lin, face)}
    if claim_type == "shade":
        options = {"tolerance": (reference or {}).get("tolerance", 3.0)}
        if reference is not None:
            options.update(reference_lab=reference["lab"],
                           reference_expanded_u=reference.get("expanded_u", 0.0))  # fmt: skip
        if roi is not None:
            m = measure_shade(image.rgb_lin, roi=tuple(roi), **options)
            result["measured_region"] = "roi"
            if not m.calibrated and face is not None:  # no chart, but a face: chart-free
                from models.illuminant import default_model as colour_model
                from vision.shade import chart_free_swatch

                m = chart_free_swatch(m, image.rgb_lin, face, colour_model(), tuple(roi),
                                      **options)  # fmt: skip
        else:
            from vision.shade import face_shade

            if face is None:
                raise AnalysisFailed("no_face", "no face and no product region: nothing to "
                                     "measure")  # fmt: skip
            try:
                from models.illuminant import default_model as colour_model

                m, _ = face_shade(image.rgb_lin, face=face, region="lips",
                                  colour_model=colour_model(), **options)  # fmt: skip
            except InvalidInputError as exc:
                raise AnalysisFailed("no_lips", str(exc)) from exc
            result["measured_region"] = "lips"
        result["shade"] = m.to_dict()
        result["reference"] = reference
        edited = edit_findings(image.origin)  # a redness claim's are among its face findings
        result["quality"] = {"problems": [f.code for f in edited],
                             "findings": [f.to_dict() for f in edited]}  # fmt: skip
    else:
        raise ValueError(f"unknown claim type {claim_type!r}")
    return ClaimAnalysis(result, pictures, {"photo": face_capture(image.rgb_lin, face)})


def _redness_claim(image, baseline, landmarker, result) -> ClaimAnalysis:
    from models.face_matcher import default_matcher
    from models.illuminant import default_model as colour_model
    from models.redness import default_model

    base_rgb = base_quality = base_origin = None
    if baseline is not None:
        base_image = ingest_image(baseline)
        base_rgb, base_quality = base_image.rgb_lin, base_image.jpeg_quality
        base_origin = base_image.origin
        result["baseline"] = base_image.facts()
    a = analyze_selfie(image.rgb_lin, landmarker=landmarker, baseline_rgb_lin=base_rgb,
                       redness_model=default_model(), colour_model=colour_model(),
                       jpeg_quality=image.jpeg_quality, baseline_jpeg_quality=base_quality,
                       origin=image.origin, baseline_origin=base_origin,
                       face_matcher=None if base_rgb is None else default_matcher())  # fmt: skip
    if a.face is None:
        raise AnalysisFailed("no_face", "no face found in the photo: redness cannot be mapped")
    shown = _pixelated_photo(image.rgb_lin, mosaic_width=a.mosaic_face_width)
    pictures = {"photo_pixelated": shown}
    faces = {"photo": face_capture(image.rgb_lin, a.face)}
    if base_rgb is not None:
        # the stored file's face, as file_face reads it again (a.baseline_face is in its
        # pixels: captured from the picture flipped back, it was another face, 29 bits away)
        if a.baseline_face is not None:  # else not used (the same picture, another person's)
            faces["baseline"] = face_capture(base_rgb, a.baseline_face)
        elif any(f.code == "baseline_other_person" for f in a.quality):
            # not compared, but another person's picture sent as one's own "before" is searched
            # for as a photo is (its face found again: the analysis's was on a preview)
            faces["baseline"] = file_face(baseline, landmarker)
        if any(f.code == "baseline_mirrored" for f in a.quality):  # shown as it was compared:
            base_rgb = base_rgb[:, ::-1]  # a mirrored selfie flipped back
        pictures["baseline_pixelated"] = _pixelated_photo(base_rgb, a.baseline_face)
    result["versions"]["models"] = a.models
    result["redness"] = a.to_dict()
    pictures["heatmap"] = _png(a.images["redness_heatmap.png"])
    pictures["heatmap_raw"] = _png(a.images["redness_heatmap_raw.png"])
    return ClaimAnalysis(result, pictures, faces)
