"""``hueproof serve`` as a user starts it: a real HTTP server in its own process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from claims.consent import NOTICE_VERSION
from tests.claims.conftest import SAMPLE_ROI, sample_photo

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                     .encode())  # fmt: skip
    for k, (name, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; '
                     f'filename="{name}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode() + data
                     + b"\r\n")  # fmt: skip
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _call(base, method, path, token=None, body=None, ctype=None, headers=None):
    req = urllib.request.Request(base + path, data=body, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if ctype:
        req.add_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _serve(data: Path, stderr=subprocess.DEVNULL, env=None):
    """``hueproof serve`` on a free port (``env`` added to its environment), once it answers:
    the process, its base URL, the tokens it printed and what it printed."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port), "--data", str(data)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    tokens, lines = {}, []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        words = line.split()
        if len(words) == 2 and words[0] in ("shopper", "adjudicator", "brand", "admin"):
            tokens[words[0]] = words[1]
        if line.startswith("  API "):
            break
    base = f"http://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            break
        except OSError:
            time.sleep(0.1)
    return proc, base, tokens, "".join(lines)


def _file_shade_claim(base, token, key):
    body, ctype = _multipart(
        {"type": "shade", "sku": "LIP-VELVET", "shade": "R01", "roi": SAMPLE_ROI,
         "consent_version": NOTICE_VERSION, "consent_facial": "true", "order_ref": "L1"},
        {"photo": ("swatch.jpg", sample_photo())},
    )  # fmt: skip
    return _call(base, "POST", "/api/v1/claims", token, body, ctype, {"Idempotency-Key": key})


@pytest.fixture()
def live(tmp_path):
    data = tmp_path / "var"
    proc, base, tokens, banner = _serve(data)
    yield base, tokens, data, banner
    proc.terminate()
    proc.wait(timeout=20)


def test_newcomer_path_on_a_live_server(live, tmp_path):
    base, tokens, data, banner = live
    assert set(tokens) == {"shopper", "adjudicator", "brand", "admin"}, banner
    assert "/api/v1/openapi.json" in banner
    status, shades = _call(base, "GET", "/api/v1/shades?sku=LIP-VELVET")
    assert status == 200 and {s["shade"] for s in shades["shades"]} == {"R01", "N02", "B03"}
    status, claim = _file_shade_claim(base, tokens["shopper"], "live-1")
    assert status == 202, claim
    for _ in range(300):
        status, view = _call(base, "GET", f"/api/v1/claims/{claim['id']}", tokens["adjudicator"])
        if view["status"] not in ("queued", "analyzing"):
            break
        time.sleep(0.1)
    assert view["status"] == "ready", view
    decision = json.dumps({"outcome": "reject", "reason_code": "shade_within_tolerance"})
    url = f"/api/v1/claims/{claim['id']}/decision"
    status, report = _call(base, "POST", url, tokens["adjudicator"], decision.encode(),
                           "application/json")  # fmt: skip
    assert status == 201
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    for cmd in (["verify", str(path)], ["audit", "verify"]):
        res = subprocess.run([sys.executable, "-m", "cli", *cmd, "--data", str(data)], cwd=ROOT,
                             capture_output=True, text=True)  # fmt: skip
        assert res.returncode == 0, res.stdout + res.stderr
    # a token printed by `users add` works at once against the running server
    add = ["users", "add", "--role", "shopper", "--data", str(data)]
    res = subprocess.run([sys.executable, "-m", "cli", *add], cwd=ROOT, capture_output=True,
                         text=True)  # fmt: skip
    token = res.stdout.split()[-1]
    status, mine = _call(base, "GET", "/api/v1/claims", token)
    assert status == 200 and mine["total"] == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_server_finishes_its_analyses_and_exits_cleanly(tmp_path, sig):
    """Ctrl+C, or a service manager's SIGTERM, just after a claim was filed: the claim is
    analysed before the process ends, which exits 0 and says so in two lines. Before, Ctrl+C
    printed waitress's KeyboardInterrupt traceback and exited 1, and SIGTERM ended the
    process at once, the claim left queued until the next start."""
    from server import create_app

    data = tmp_path / "var"
    with open(tmp_path / "stderr", "w") as err:
        proc, base, tokens, _ = _serve(data, stderr=err)
        status, claim = _file_shade_claim(base, tokens["shopper"], "stop-1")
        assert status == 202, claim
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == 0
    printed = (tmp_path / "stderr").read_text()
    assert "Traceback" not in printed and printed.endswith("hueproof serve: stopped\n"), printed
    app = create_app({"DATA_DIR": str(data), "ANALYSIS_WORKERS": 0})
    try:
        view = app.test_client().get(
            f"/api/v1/claims/{claim['id']}",
            headers={"Authorization": f"Bearer {tokens['shopper']}"},
        )
        assert view.status_code == 200 and view.get_json()["status"] == "ready", view.get_json()
    finally:
        app.extensions["hueproof"]["close"]()


def test_serve_on_a_broker_says_the_workers_analyse(tmp_path):
    """With BROKER_URL the service analyses nothing itself: it says so when it starts, a
    claim filed stays queued for the workers (the broker down: the workers' sweep sends it),
    and stopping does not wait for analyses (before, it said "analyses under way finish
    first" of analyses it never runs)."""
    data = tmp_path / "var"
    with open(tmp_path / "stderr", "w") as err:
        proc, base, tokens, _ = _serve(
            data, stderr=err, env={"BROKER_URL": "redis://127.0.0.1:9/0"}
        )
        status, claim = _file_shade_claim(base, tokens["shopper"], "broker-1")
        assert status == 202 and claim["status"] == "queued", claim
        proc.send_signal(signal.SIGTERM)
        rest = proc.stdout.read()
        assert proc.wait(timeout=60) == 0
    assert "analyses: by `hueproof worker` processes (none in this one)" in rest, rest
    printed = (tmp_path / "stderr").read_text()
    assert printed.endswith("hueproof serve: stopping\nhueproof serve: stopped\n"), printed


def test_a_port_in_use_stops_serve_before_it_shows_anything(tmp_path):
    """One line, exit 2, nothing on stdout; the next start, on a free port, is the first
    start and shows the demo's tokens. Before, the first start's tokens were printed, the
    demo seeded, and then waitress's error ended the process."""
    data = tmp_path / "var"
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        res = subprocess.run(
            [sys.executable, "-m", "cli", "serve", "--port", str(port), "--data", str(data)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert res.returncode == 2 and res.stdout == "", res.stdout
    assert f"cannot listen on 127.0.0.1:{port}" in res.stderr and res.stderr.count("\n") == 1
    proc, _, tokens, banner = _serve(data)
    try:
        assert set(tokens) == {"shopper", "adjudicator", "brand", "admin"}, banner
    finally:
        proc.terminate()
        proc.wait(timeout=20)
