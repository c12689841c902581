"""The face matcher tells one man from another."""

from __future__ import annotations

from calibration.colorimetry import rgb_lin_to_srgb_u8
from models.face_matcher import SAME_PERSON_COSINE, FaceMatcher, five_points
from vision.ingest import load_image
from vision.people import people_photos


def test_the_face_matcher_tells_one_man_from_another(landmarker):
    """The man's two photos (other days, light and expression) score over the matcher's
    threshold, another man under it, and a mirrored photo as high as the straight one; the
    five points it aligns on lie as its template has them."""
    photos = {p.name: p for p in people_photos()}
    matcher = FaceMatcher()
    faces = {}
    for name in ("obama.jpg", "obama3.jpg", "biden.jpg"):
        rgb_lin = load_image(photos[name].path).rgb_lin
        (face,) = landmarker.detect(rgb_lin)
        pts = five_points(face.points)
        assert pts[0, 0] < pts[1, 0] and pts[3, 0] < pts[4, 0]  # left to right in the picture
        assert pts[2, 1] > pts[:2, 1].max() and pts[3:, 1].min() > pts[2, 1]  # eyes, nose, mouth
        faces[name] = (rgb_lin_to_srgb_u8(rgb_lin), face.points)
    same = matcher.similarity(*faces["obama.jpg"], *faces["obama3.jpg"])
    assert same > SAME_PERSON_COSINE
    assert matcher.similarity(*faces["obama.jpg"], *faces["biden.jpg"]) < SAME_PERSON_COSINE
    flipped = faces["obama3.jpg"][0][:, ::-1].copy()
    (face,) = landmarker.detect(flipped.astype("float32") / 255.0)
    assert matcher.similarity(*faces["obama.jpg"], flipped, face.points) > SAME_PERSON_COSINE
