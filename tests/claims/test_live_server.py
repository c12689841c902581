"""``hueproof serve`` as a user starts it: a real HTTP server in its own process."""

from __future__ import annotations

import json
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


@pytest.fixture()
def live(tmp_path):
    port = _free_port()
    data = tmp_path / "var"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port), "--data", str(data)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
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
    yield base, tokens, data, "".join(lines)
    proc.terminate()
    proc.wait(timeout=20)


def test_newcomer_path_on_a_live_server(live, tmp_path):
    base, tokens, data, banner = live
    assert set(tokens) == {"shopper", "adjudicator", "brand", "admin"}, banner
    assert "/api/v1/openapi.json" in banner
    status, shades = _call(base, "GET", "/api/v1/shades?sku=LIP-VELVET")
    assert status == 200 and {s["shade"] for s in shades["shades"]} == {"R01", "N02", "B03"}
    body, ctype = _multipart(
        {"type": "shade", "sku": "LIP-VELVET", "shade": "R01", "roi": SAMPLE_ROI,
         "consent_version": NOTICE_VERSION, "consent_facial": "true", "order_ref": "L1"},
        {"photo": ("swatch.jpg", sample_photo())},
    )  # fmt: skip
    status, claim = _call(base, "POST", "/api/v1/claims", tokens["shopper"], body, ctype,
                          {"Idempotency-Key": "live-1"})  # fmt: skip
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
