"""`hueproof backup`: a checked copy of an embedded data directory while the service runs."""

from __future__ import annotations

import json
import threading

import pytest

import cli
from claims.backup import backup
from tests.claims.conftest import _make_app, bearer, decided_claim, file_claim, seeded_app, wait


def test_a_backup_taken_while_claims_are_filed_is_whole_and_serves(tmp_path, capsys):
    """A decided claim, then a backup taken while another shopper keeps filing claims: the
    copy passes SQLite's integrity check and the chain's verification, the decision's report
    verifies against it, and a service started on the copy serves the claim and its photo.
    Before, there was no backup command, and copying the SQLite file of a running service
    can catch a write half done."""
    app, tokens = seeded_app(tmp_path / "live")
    client = app.test_client()
    cid, report = decided_claim(app, client, tokens, "kept")
    stop, filed = threading.Event(), []

    def keep_filing():
        busy = app.test_client()
        while not stop.is_set() and len(filed) < 15:
            resp = file_claim(busy, tokens["shopper"], key=f"busy-{len(filed)}")
            filed.append(resp.status_code)

    writer = threading.Thread(target=keep_filing)
    writer.start()
    try:
        while len(filed) < 2:  # the writer is under way
            stop.wait(0.05)
        copy = tmp_path / "copy"
        assert cli.main(["backup", str(copy), "--data", str(tmp_path / "live"), "--json"]) == 0
    finally:
        stop.set()
        writer.join()
        wait(app)
    done = json.loads(capsys.readouterr().out)
    assert done["integrity"] == "ok" and done["chain_ok"] and done["images_missing"] == 0
    assert 1 + 2 <= done["claims"] <= 1 + len(filed) and done["image_files"] >= 1
    assert (copy / "keys").stat().st_mode & 0o077 == 0  # the private key's folder stays private
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    assert cli.main(["verify", str(path), "--data", str(copy)]) == 0
    restored = _make_app(copy)  # the copy as it is: the same users and tokens
    view = restored.test_client().get(f"/api/v1/claims/{cid}",
                                      headers=bearer(tokens["adjudicator"]))  # fmt: skip
    assert view.status_code == 200 and view.json["status"] == "decided"
    photo = restored.test_client().get(view.json["links"]["photo"],
                                       headers=bearer(tokens["adjudicator"]))  # fmt: skip
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    restored.extensions["hueproof"]["close"]()
    app.extensions["hueproof"]["close"]()


def test_a_backup_never_overwrites_and_says_what_it_cannot_copy(tmp_path, monkeypatch, capsys):
    app, _ = seeded_app(tmp_path / "live")
    app.extensions["hueproof"]["close"]()
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    for dest, said in [(taken, "exists and is not an empty directory"),
                       (tmp_path / "live" / "inside", "outside the data directory")]:  # fmt: skip
        assert cli.main(["backup", str(dest), "--data", str(tmp_path / "live")]) == 2
        assert said in capsys.readouterr().err
    assert (taken / "notes.txt").read_text() == "mine"
    with pytest.raises(ValueError, match=r"holds no hueproof\.sqlite3"):
        backup(tmp_path / "nothing", tmp_path / "b1")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/x")
    with pytest.raises(ValueError, match="pg_dump"):
        backup(tmp_path / "live", tmp_path / "b2")
