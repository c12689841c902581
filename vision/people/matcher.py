"""Whether a picture still shows who someone is, measured with a face matcher.

The pixelated pictures anyone allowed to see a claim is shown (vision/overlay.py) must not
tell who is in them. That is measured, not assumed, with a face matcher nobody here trained
(models/face_matcher): held-out photos and copies of them are obscured as the service obscures
them, attacked as someone holding the pictures could, and scored against the unaltered ones
(benchmarks/bench_privacy.py, tests/vision/test_overlay.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from models.face_matcher import FaceMatcher
from vision.overlay import PIXELATION_BLOCKS_PER_FACE, mosaic_edges, pixelate, pixelation_block

__all__ = [
    "ATTACKS",
    "IdentityScores",
    "Portrait",
    "identity_scores",
    "pixelated",
    "portraits",
]

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
