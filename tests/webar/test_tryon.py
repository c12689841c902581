"""The try-on page finds the face in the fake camera and paints the lips, and only the lips;
its painting matches the Python reference renderer on the same photo."""

from __future__ import annotations

import base64
import io
import re

import cv2
import numpy as np
from PIL import Image

from calibration.colorimetry import (
    delta_e00,
    rgb_lin_to_xyz,
    srgb_u8_to_rgb_lin,
    xyz_to_lab,
)
from tests.webar.conftest import assert_accessible, camera_frame, wait_js

LIPS = {"upper lip": (0, 13), "lower lip": (17, 14)}  # outer and inner landmark of each lip
TEETH = (13, 14)  # between the inner contours: the mouth opening
SKIN = (205, 425, 151)  # cheeks and forehead


def _canvas(page) -> np.ndarray:
    url = page.evaluate("document.getElementById('view').toDataURL('image/png')")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


def _at(img, pts, a, b=None):
    p = pts[a] if b is None else (np.asarray(pts[a]) + np.asarray(pts[b])) / 2
    x, y = int(round(p[0])), int(round(p[1]))
    return img[y - 1 : y + 2, x - 1 : x + 2].reshape(-1, 3).astype(float).mean(axis=0)


def test_tryon_paints_the_lips_only(page):
    page.goto(page.base + "/tryon?lang=en")
    wait_js(page, "window.hueproof && window.hueproof.frames.filter(f => f.face)"
                           ".length > 8", timeout=90_000)  # fmt: skip
    assert page.evaluate("window.hueproof.errors") == []
    shades = page.evaluate("window.hueproof.shades")
    berry = next(s for s in shades if s["shade"] == "B03")
    page.click("button[data-shade='B03']")
    page.fill("#opacity", "0")
    page.wait_for_timeout(400)
    before = _canvas(page)
    page.fill("#opacity", "100")
    page.wait_for_timeout(400)
    after = _canvas(page)
    pts = page.evaluate("window.hueproof.lastPoints")
    target = np.asarray(Image.new("RGB", (1, 1), berry["render"]["srgbHex"]))[0, 0].astype(float)
    for name, (a, b) in LIPS.items():
        b0, a0 = _at(before, pts, a, b), _at(after, pts, a, b)
        assert np.linalg.norm(a0 - target) < 0.6 * np.linalg.norm(b0 - target), name
    assert np.abs(_at(after, pts, *TEETH) - _at(before, pts, *TEETH)).max() <= 3
    for k in SKIN:
        assert np.abs(_at(after, pts, k) - _at(before, pts, k)).max() <= 3
    frames = page.evaluate("window.hueproof.frames")
    assert np.median([f["totalMs"] for f in frames]) > 0
    assert page.text_content("#state") == "Ready"
    assert_accessible(page, "the try-on page, a shade on the lips")


def test_js_render_matches_the_python_reference(page, landmarker):
    from vision.tryon import lip_mask, paint_lips

    frame = camera_frame()
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="PNG")
    frame_url = re.compile(r"^http://127\.0\.0\.1:\d+/test-frame\.png$")
    page.route(frame_url, lambda route: route.fulfill(
        status=200, body=buf.getvalue(), content_type="image/png"))  # fmt: skip
    page.goto(page.base + "/tryon?lang=en&image=/test-frame.png")
    wait_js(page, "window.hueproof && window.hueproof.ready", timeout=90_000)
    rgb_lin = srgb_u8_to_rgb_lin(frame)
    (face,) = landmarker.detect(rgb_lin)
    js_points = np.asarray(page.evaluate("window.hueproof.lastPoints"))
    # the landmarks of the two MediaPipe builds agree to a fraction of a pixel
    assert np.median(np.linalg.norm(js_points - face.points, axis=1)) < 1.0
    js_mask, _ = lip_mask(js_points, rgb_lin.shape[:2])
    kernel = np.ones((3, 3), np.uint8)
    for lab in ([28.1, 40.0, -10.6], [64.2, 11.3, 21.2], [40.2, 50.1, 28.5]):
        out = page.evaluate(f"(() => {{ const r = window.hueproof.paintWith({lab}); "
                            "return {gain: r.gain, pixels: r.pixels}; })()")  # fmt: skip
        js = srgb_u8_to_rgb_lin(_canvas(page))
        py = paint_lips(rgb_lin, face.points, lab)
        # the fitted shade (linear RGB) of both renderers
        fitted = [xyz_to_lab(rgb_lin_to_xyz(np.asarray(g, np.float64))) for g in
                  (py.shade_rgb_lin, out["gain"])]  # fmt: skip
        assert delta_e00(*fitted) <= 1.0, (lab, fitted)
        # the painted lips where both renderers paint (away from the anti-aliased edge)
        both = cv2.erode((py.mask & js_mask).astype(np.uint8), kernel).astype(bool)
        lab_js = xyz_to_lab(rgb_lin_to_xyz(js[both].astype(np.float64))).mean(axis=0)
        lab_py = xyz_to_lab(rgb_lin_to_xyz(py.rgb_lin[both].astype(np.float64))).mean(axis=0)
        assert delta_e00(lab_py, lab_js) <= 1.0, (lab, lab_py, lab_js)
        assert delta_e00(lab, py.mean_lab) <= 1.5


def test_shades_are_tried_on_a_photo_from_the_device(page, tmp_path):
    """A selfie chosen on the device replaces the camera: its lips take each shade clicked,
    the opacity and the split redraw it, the skin stays; nothing is sent (the page fixture
    fails on a request leaving the page's own server, and no request carries the photo).
    Before, the page offered the camera only: without one there was nothing to try on."""
    path = tmp_path / "selfie.png"
    Image.fromarray(camera_frame()).save(path)
    sent = []
    page.on("request", lambda r: sent.append((r.method, r.url)))
    page.goto(page.base + "/tryon?lang=en")
    wait_js(page, "window.hueproof && window.hueproof.ready", timeout=90_000)
    page.set_input_files("#photo", str(path))
    wait_js(page, "window.hueproof.ready && window.hueproof.lastPoints?.length === 478",
            timeout=90_000)  # fmt: skip
    shades = {s["shade"]: s for s in page.evaluate("window.hueproof.shades")}
    pts = page.evaluate("window.hueproof.lastPoints")
    page.fill("#opacity", "0")
    bare = _canvas(page)
    page.fill("#opacity", "100")
    seen = {}
    for code in ("B03", "N02"):
        page.click(f"button[data-shade='{code}']")
        seen[code] = _canvas(page)
        target = np.asarray(Image.new("RGB", (1, 1), shades[code]["render"]["srgbHex"]))[0, 0]
        for name, (a, b) in LIPS.items():
            before, after = _at(bare, pts, a, b), _at(seen[code], pts, a, b)
            assert np.linalg.norm(after - target) < 0.6 * np.linalg.norm(before - target), name
        for k in SKIN:
            assert np.abs(_at(seen[code], pts, k) - _at(bare, pts, k)).max() <= 3
    page.fill("#split", "100")  # all of it as it is
    assert np.abs(_canvas(page).astype(int) - bare.astype(int)).max() <= 2
    assert [m for m, _ in sent if m != "GET"] == []  # the photo never left the page
    assert page.text_content("#state") == "Ready"
    assert_accessible(page, "the try-on page, a photo from the device")
