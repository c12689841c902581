"""What the browser benchmarks share: a live hueproof server and Debian's Chromium."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path

CHROMIUM = os.environ.get("HUEPROOF_CHROMIUM", "/usr/bin/chromium")
#: The machine's probe flags: no connection attempt leaves the machine.
QUIET = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def have_chromium() -> bool:
    if Path(CHROMIUM).exists():
        return True
    print(f"\n(no Chromium at {CHROMIUM}: browser figures skipped; `make test` installs it)")
    return False


@contextlib.contextmanager
def live_server(seed: bool = True):
    """A hueproof server on 127.0.0.1 (werkzeug, threaded), no analysis workers; yields base."""
    from werkzeug.serving import make_server

    from claims.demo import seed_demo
    from server import create_app

    app = create_app({"DATA_DIR": tempfile.mkdtemp(prefix="hueproof-bench-"),
                      "ANALYSIS_WORKERS": 0})  # fmt: skip
    if seed:
        with app.extensions["hueproof"]["store"].write() as s:
            seed_demo(s)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        app.extensions["hueproof"]["close"]()


@contextlib.contextmanager
def chromium(camera: Path | None = None):
    """Headless Chromium driven by Playwright, optionally with a fake camera (Y4M)."""
    from playwright.sync_api import sync_playwright

    args = list(QUIET)
    if camera is not None:
        args += ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 f"--use-file-for-fake-video-capture={camera}"]  # fmt: skip
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            yield b
        finally:
            b.close()
