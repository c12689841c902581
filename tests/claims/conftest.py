"""A claims service on a temporary data directory, seeded with the demo catalog and users."""

from __future__ import annotations

import io
import itertools
import os
import uuid

import numpy as np
import pytest
from PIL import Image

from claims.auth import create_user
from claims.consent import NOTICE_VERSION
from claims.demo import seed_demo
from server import create_app

SAMPLE = "samples/swatch_with_chart.jpg"
#: The PostgreSQL server of the scale-out tests (default: the local one with trust
#: authentication, as on the project's CI machines); each test gets its own database.
PG_ADMIN_URL = os.environ.get(
    "HUEPROOF_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SAMPLE_ROI = "218,455,90,72"


@pytest.fixture()
def pg_url():
    """A new database on the PostgreSQL server, dropped afterwards. Without a reachable
    server the test is skipped (a failure under ``CI=true``)."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"hueproof_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at {PG_ADMIN_URL}: {exc.orig}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


def _make_app(data_dir, **config):
    return create_app({"TESTING": True, "DATA_DIR": str(data_dir), **config})


def seeded_app(data_dir, **config):
    """(app, role → token): an app with the demo catalog and users, configured by ``config``."""
    app = _make_app(data_dir, **config)
    with app.extensions["hueproof"]["store"].write() as s:
        tokens = seed_demo(s)
    return app, tokens


@pytest.fixture()
def app(tmp_path):
    app = _make_app(tmp_path / "data")
    yield app
    app.extensions["hueproof"]["close"]()


@pytest.fixture()
def tokens(app):
    """role → token for the demo users, plus a second shopper and a second brand."""
    ext = app.extensions["hueproof"]
    with ext["store"].write() as s:
        tokens = seed_demo(s)
        tokens["shopper_b"] = create_user(s, role="shopper", name="B")[1]
        tokens["brand_y"] = create_user(s, role="brand", brand="other-brand")[1]
    return tokens


@pytest.fixture()
def client(app):
    return app.test_client()


def bearer(token):
    return {"Authorization": f"Bearer {token}"} if token else {}


def sample_photo() -> bytes:
    with open(SAMPLE, "rb") as f:
        return f.read()


def another_photo(k: int) -> bytes:
    """The sample photo with grey blocks of random lightness over its background (seed ``k``):
    the chart and the swatch as they are, and another picture (vision/fingerprint.py: 20-30
    bits from the sample, 17 or more apart for k < 30), for claims that must not share one."""
    im = np.asarray(Image.open(SAMPLE).convert("RGB")).copy()
    rng = np.random.default_rng(k)
    ch, cw = im.shape[0] // 8, im.shape[1] // 9  # the fingerprint's cells
    for r, c in itertools.product(range(8), range(9)):  # those the chart and swatch are not in
        if r >= 6 or (r <= 3 and c <= 3) or (r == 5 and c <= 2) or (r <= 5 and c >= 7):
            im[r * ch : (r + 1) * ch, c * cw : (c + 1) * cw] = rng.integers(40, 220)
    buf = io.BytesIO()
    Image.fromarray(im).save(buf, format="JPEG", quality=92)
    return buf.getvalue()


def recoloured_copy(jpeg: bytes) -> bytes:
    """The photo saved again at a lower quality, its colours warmer: another file, a shade
    that moved, and the same picture (vision/fingerprint.py)."""
    im = Image.open(io.BytesIO(jpeg)).convert("RGB")
    r, g, b = im.split()
    im = Image.merge("RGB", (r.point(lambda v: min(255, round(v * 1.1))), g,
                             b.point(lambda v: round(v * 0.9))))  # fmt: skip
    out = io.BytesIO()
    im.save(out, "JPEG", quality=70)
    return out.getvalue()


def face_jpeg(scale=2.5, erythema=None, *, earlier=False) -> bytes:
    """The astronaut's face as a JPEG, optionally with a red patch on the left cheek;
    ``earlier``: another photo of it (vision/testset.py's second_photo), as a pair's photo
    from before (the same picture is not compared)."""
    from calibration.colorimetry import rgb_lin_to_srgb_u8
    from vision.testset import astronaut_face, second_photo

    img = astronaut_face(scale)
    if earlier:
        img = second_photo(img)
    if erythema is not None:
        img = erythema(img)
    buf = io.BytesIO()
    Image.fromarray(rgb_lin_to_srgb_u8(img)).save(buf, format="JPEG", quality=92)
    return buf.getvalue()


def saved_by(jpeg: bytes, software: str | None, *, endian: str = ">", camera=None,
             xmp: str | None = None) -> bytes:  # fmt: skip
    """The JPEG saved again with an EXIF naming ``software`` as what saved it (and ``camera``
    as its model), its TIFF structure big- (">") or little-endian ("<"), and with ``xmp`` an
    XMP packet whose CreatorTool attribute is that text (XML-escaped already)."""
    exif = Image.Exif()
    exif.endian = endian
    if camera is not None:
        exif[0x0110] = camera
    if software is not None:
        exif[0x0131] = software
    extra = {}
    if xmp is not None:
        extra["xmp"] = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3'
                        '.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.'
                        f'adobe.com/xap/1.0/" xmp:CreatorTool="{xmp}"/></rdf:RDF></x:xmpmeta>'
                        ).encode()  # fmt: skip
    out = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).save(out, "JPEG", quality=95, exif=exif, **extra)
    return out.getvalue()


def claim_form(photo: bytes, **fields) -> dict:
    form = {
        "type": "shade", "sku": "LIP-VELVET", "shade": "R01", "order_ref": "ORDER-1",
        "batch": "B2026-11", "roi": SAMPLE_ROI, "consent_version": NOTICE_VERSION,
        "consent_facial": "true",
    }  # fmt: skip
    form.update({k: v for k, v in fields.items() if v is not None})
    for k in [k for k, v in fields.items() if v is None]:
        form.pop(k, None)
    form["photo"] = (io.BytesIO(photo), "photo.jpg")
    return form


def file_claim(client, token, key="key-1", photo=None, baseline=None, **fields):
    form = claim_form(photo if photo is not None else sample_photo(), **fields)
    if baseline is not None:
        form["baseline"] = (io.BytesIO(baseline), "before.jpg")
    return client.post("/api/v1/claims", data=form, content_type="multipart/form-data",
                       headers={**bearer(token), "Idempotency-Key": key})  # fmt: skip


def wait(app):
    assert app.extensions["hueproof"]["pool"].wait_idle(120)


def claims_analysed(app, client, tokens, counts: dict[str, int], batches=()) -> None:
    """Claims filed and analysed, ``counts`` kind → how many: a shade code for shade claims
    on LIP-VELVET with the sample photo ("classic red": R01 matches it, N02 and B03 do not),
    "redness" for single-photo redness claims on SERUM-RETINOL; on ``batches`` in turn when
    given. Then every claim's record key is set (1000 × its rank of filing), so that the
    statistics' perturbation is the same every run."""
    from claims.models import Claim

    for kind, n in counts.items():
        for k in range(n):
            fields = {"shade": kind} if kind != "redness" else {
                "type": "redness", "sku": "SERUM-RETINOL", "shade": None, "roi": None,
                "consent_health": "true", "photo": face_jpeg(2.0 + 0.1 * k)}  # fmt: skip
            if batches:
                fields["batch"] = batches[k % len(batches)]
            file_claim(client, tokens["shopper"], key=f"{kind}-{k}", order_ref=f"{kind}{k}",
                       **fields)  # fmt: skip
    wait(app)
    with app.extensions["hueproof"]["store"].write() as s:
        for k, claim in enumerate(s.query(Claim).order_by(Claim.created_at)):
            claim.stats_key = 1000 * k


def reject_within_tolerance(client, tokens, cid: str) -> dict:
    """The analysed shade claim ``cid`` rejected by the adjudicator, the colour within
    tolerance: its signed report."""
    decided = client.post(
        f"/api/v1/claims/{cid}/decision",
        headers=bearer(tokens["adjudicator"]),
        json={"outcome": "reject", "reason_code": "shade_within_tolerance"},
    )
    assert decided.status_code == 201, decided.json
    return decided.json


def decided_claim(app, client, tokens, key: str) -> tuple[str, dict]:
    """A shade claim filed with the sample photo, analysed and rejected (the colour within
    tolerance): its id and signed report."""
    cid = file_claim(client, tokens["shopper"], key=key).json["id"]
    wait(app)
    return cid, reject_within_tolerance(client, tokens, cid)


def claim_copies(app, claim_id: str, times, status: str) -> list[str]:
    """Copies of a claim's row filed at ``times`` (aware datetimes, repeats allowed) with
    ``status``: many claims for a list's order and pages, without analysing each; each
    linked to its related claims as a filing links it (the same photo: each other's)."""
    import uuid

    from claims.models import Claim
    from claims.related import link_claim

    ids = []
    with app.extensions["hueproof"]["store"].write() as s:
        src = s.get(Claim, claim_id)
        columns = {c.name: getattr(src, c.name) for c in Claim.__table__.columns}
        for when in times:
            ids.append(uuid.uuid4().hex)
            s.add(Claim(**{**columns, "id": ids[-1], "idempotency_key": f"copy-{ids[-1]}",
                           "created_at": when, "updated_at": when, "status": status,
                           "links_version": 0}))  # fmt: skip
        s.flush()
        for cid in ids:
            link_claim(s, s.get(Claim, cid))
    return ids


def png_shape(data: bytes):
    return np.asarray(Image.open(io.BytesIO(data))).shape


class Receiver:
    """A webhook endpoint on localhost: records each delivery (headers, body) and answers
    the next of ``answers`` (then 200)."""

    def __init__(self, answers=()):
        import http.server
        import threading

        self.received, self.answers = [], list(answers)
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append((dict(self.headers), body))
                    code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict]:
        import json

        with self.lock:
            return [json.loads(body) for _, body in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
