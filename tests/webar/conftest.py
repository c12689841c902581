"""Debian's Chromium, driven by Playwright, against a live hueproof server on 127.0.0.1.

The camera is Chromium's fake device fed with a Y4M video of ``skimage.data.astronaut()``.
Screenshots are kept in ``test-artifacts/``. Without ``/usr/bin/chromium`` the tests are
skipped (which ``CI=true`` turns into failures): ``make test`` installs it.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import pytest

from vision.testset import camera_frame, write_y4m

CHROMIUM = os.environ.get("HUEPROOF_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
JS = Path(__file__).resolve().parents[2] / "webar" / "js"
#: axe-core (webar/package.json's devDependencies), the accessibility rules the pages meet
AXE = Path(__file__).resolve().parents[2] / "webar" / "node_modules" / "axe-core" / "axe.min.js"
__all__ = [
    "JS",
    "QUIET",
    "as_user",
    "assert_accessible",
    "camera_frame",
    "drag_over",
    "js_value",
    "launch",
    "wait_js",
]

#: Flags of the machine's probe: no connection attempt leaves the machine.
QUIET = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def fake_camera(tmp_path_factory):
    return write_y4m(tmp_path_factory.mktemp("cam") / "face.y4m", camera_frame())


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A live server (werkzeug, threaded) with the demo catalog and users; (base, tokens, app)."""
    from werkzeug.serving import make_server

    from claims.demo import seed_demo
    from server import create_app

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path_factory.mktemp("web") / "d")})
    with app.extensions["hueproof"]["store"].write() as s:
        tokens = seed_demo(s)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}", tokens, app
    srv.shutdown()
    app.extensions["hueproof"]["close"]()


@pytest.fixture(scope="session")
def chromium():
    """Playwright's Chromium driver, for :func:`launch` (one per session)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p.chromium


def launch(chromium, camera: Path):
    """Debian's Chromium, headless, its camera the Y4M video ``camera``."""
    return chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        *QUIET, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}"])  # fmt: skip


@pytest.fixture(scope="session")
def browser(chromium, fake_camera):
    b = launch(chromium, fake_camera)
    yield b
    b.close()


def wait_js(page, expression: str, timeout: float = 30_000, interval: float = 100):
    """``page.wait_for_function`` for pages under the server's Content-Security-Policy: the
    expression is evaluated over the DevTools protocol, which the policy does not govern.
    Playwright's own polling compiles it in the page (``new Function``), which the policy
    refuses as it would any injected script. Returns the first truthy value."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            value = page.evaluate(expression)
        except Error as exc:  # a navigation under way: its new document is asked next time
            if "context was destroyed" not in str(exc):
                raise
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{expression!r} was still falsy after {timeout / 1000:g} s")
        page.wait_for_timeout(interval)


def assert_accessible(page, where: str):
    """No violation of axe-core's rules (WCAG 2.x A and AA, and its best practices: labels,
    contrast, headings, names of buttons and images, …) on the page as it stands now.

    axe is evaluated over the DevTools protocol, which the pages' Content-Security-Policy
    does not govern (see :func:`wait_js`); it checks only what is shown, so a test calls this
    at each state worth checking."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    found = page.evaluate("""axe.run(document, { resultTypes: ["violations"] }).then((r) =>
      r.violations.map((v) => `${v.impact} ${v.id} (${v.help}): ` +
        v.nodes.slice(0, 4).map((n) => n.target.join(" ")).join(", ")))""")
    assert found == [], f"{where}: {len(found)} accessibility rule(s) broken: " + "; ".join(found)


def drag_over(page, selector: str, region, photo_width: int):
    """Drag the mouse over ``region`` (x, y, w, h in the photo's pixels) on the canvas
    ``selector``, which shows a photo ``photo_width`` pixels wide scaled to its box."""
    x, y, w, h = region
    canvas = page.locator(selector)
    canvas.scroll_into_view_if_needed()  # a checkbox clicked lower down scrolled it away
    box = canvas.bounding_box()
    k = box["width"] / photo_width
    page.mouse.move(box["x"] + x * k, box["y"] + y * k)
    page.mouse.down()
    page.mouse.move(box["x"] + (x + w) * k, box["y"] + (y + h) * k, steps=5)
    page.mouse.up()
    return k


def as_user(page, token: str):
    """Make the page's bearer token ``token`` (kept in localStorage, as a user would)."""
    page.context.add_init_script(f"localStorage.setItem('hueproof.token', {token!r});")


@pytest.fixture()
def page(browser, server, request):
    """A fresh page that records every request and fails if one leaves 127.0.0.1, or if the
    server's Content-Security-Policy refused anything the page did (its pages run under it)."""
    base = server[0]
    context = browser.new_context(viewport={"width": 1100, "height": 900},
                                  permissions=["camera"])  # fmt: skip
    context.add_init_script("document.addEventListener('securitypolicyviolation', (e) => "
                            "(window.__refused ||= []).push(`${e.violatedDirective} "
                            "${e.blockedURI}`));")  # fmt: skip
    pg = context.new_page()
    requests, console = [], []
    pg.on("request", lambda r: requests.append(r.url))
    pg.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    pg.base = base
    pg.console_lines = console
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    refused = pg.evaluate("window.__refused || []")
    context.close()
    outside = [u for u in requests if not u.startswith((base, "data:", "blob:"))]
    assert outside == [], f"requests left 127.0.0.1: {outside[:5]}"
    refused += [line for line in console if "Content Security Policy" in line]
    assert refused == [], f"the page's Content-Security-Policy refused: {refused[:5]}"


def js_value(file: str, name: str):
    """A constant of one of the pages' modules (``webar/js/<file>``): a number or a JSON list."""
    text = (JS / file).read_text()
    m = re.search(rf"\b{name} = (\[.*?\](?=;)|[-0-9.e]+)", text, re.S)
    assert m, f"{name} not found in {file}"
    return json.loads(re.sub(r",\s*\]", "]", m.group(1)))
