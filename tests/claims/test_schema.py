"""The migration matches the models; the OpenAPI document covers every route; the store
runs on a fresh directory and on an existing one."""

from __future__ import annotations

import io

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from PIL import Image as PILImage

from claims.db import open_store
from claims.models import Base


def test_migrations_create_exactly_the_models(tmp_path):
    store = open_store(tmp_path / "d")
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    with store.engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"
    store.dispose()
    again = open_store(tmp_path / "d")  # upgrading an up-to-date store is a no-op
    again.dispose()


def test_openapi_document_covers_every_api_route(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        for m in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((m, path))
    assert routes == documented
    claim = doc["paths"]["/api/v1/claims"]["post"]
    form = claim["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"type", "sku", "photo", "consent_version"} <= set(form["required"])
    assert claim["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ClaimView"
    )
    for ref in _refs(doc):
        assert ref.split("/")[-1] in doc["components"]["schemas"], ref


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_files_stored_before_migration_0002_are_marked_as_keeping_their_metadata(tmp_path):
    """A store at the first schema: its image rows come out of 0002 as not stripped (so the
    next start strips them), the rows added since as stripped."""
    import datetime as dt

    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from claims.db import MIGRATIONS, database_url
    from claims.models import Image, UTCDateTime

    engine = sa.create_engine(database_url(tmp_path))
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    columns = [sa.column(c) for c in ("sha256", "media_type", "size", "width", "height")]
    images = sa.table("images", *columns, sa.column("created_at", UTCDateTime()))
    row = dict(sha256="a" * 64, media_type="image/jpeg", size=1, width=1, height=1,
               created_at=dt.datetime.now(dt.UTC))  # fmt: skip
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(images.insert().values(**row))
    engine.dispose()
    store = open_store(tmp_path)
    with store.write() as s:
        assert s.get(Image, "a" * 64).metadata_stripped is False
        s.add(Image(sha256="b" * 64, media_type="image/jpeg", size=1, width=1, height=1))
    with store.read() as s:
        assert s.get(Image, "b" * 64).metadata_stripped is True
    store.dispose()


def _down_and_up(app, data_dir, revision: str, column: str | None,
                 table: str | None = "claims") -> None:  # fmt: skip
    """``app`` closed, its store migrated down to ``revision`` (where ``table`` has no
    ``column``, or with None, there is no ``table``; with neither, a revision that changed
    rows only) and up to the newest again."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from claims.db import MIGRATIONS, database_url

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    app.extensions["hueproof"]["close"]()
    engine = sa.create_engine(database_url(data_dir))  # SQLite's keys off: its batch mode
    with engine.begin() as conn:  # copies the table, which they would refuse
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        if table is None:
            pass
        elif column is None:
            assert not sa.inspect(conn).has_table(table)
        else:
            assert column not in {c["name"] for c in sa.inspect(conn).get_columns(table)}
        command.upgrade(cfg, "head")
    engine.dispose()


def test_claims_released_before_migration_0010_are_marked_released(tmp_path):
    """A store at 0009: a claim whose consent was withdrawn and one whose photo was erased
    come out of 0010 released (their photos no longer needed), a live claim not."""
    import datetime as dt

    from claims.models import Claim, Consent, Image
    from tests.claims.conftest import bearer, face_jpeg, file_claim, seeded_app

    app, tokens = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)
    client = app.test_client()
    ids = [file_claim(client, tokens["shopper"], key=f"k{k}", order_ref=f"O{k}", roi=None,
                      photo=face_jpeg(2.0 + k / 4)).json["id"] for k in range(3)]  # fmt: skip
    assert client.post(f"/api/v1/claims/{ids[0]}/withdraw",
                       headers=bearer(tokens["shopper"])).status_code == 200  # fmt: skip
    store = app.extensions["hueproof"]["store"]
    erased = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with store.write() as s:
        s.get(Image, s.get(Claim, ids[1]).photo_sha256).erased_at = erased
        withdrawn = s.get(Consent, s.get(Claim, ids[0]).consent_id).withdrawn_at
    _down_and_up(app, tmp_path / "d", "0009", "raw_released_at")
    store = open_store(tmp_path / "d")
    with store.read() as s:
        released = [s.get(Claim, c).raw_released_at for c in ids]
    assert released == [withdrawn, erased, None]
    store.dispose()


def test_claims_filed_before_migration_0011_get_a_random_statistics_key(tmp_path):
    """A store at 0010 holds no record keys: 0011 gives each claim its own random one (the
    brand statistics' perturbation is drawn from their sums), and the statistics read."""

    from claims.catalog import get_brand
    from claims.models import STATS_KEY_RANGE, Claim
    from claims.stats import brand_stats
    from tests.claims.conftest import file_claim, seeded_app

    app, tokens = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)
    client = app.test_client()
    ids = [file_claim(client, tokens["shopper"], key=f"k{k}", order_ref=f"O{k}").json["id"]
           for k in range(6)]  # fmt: skip
    _down_and_up(app, tmp_path / "d", "0010", "stats_key")
    store = open_store(tmp_path / "d")
    with store.read() as s:
        keys = [s.get(Claim, c).stats_key for c in ids]
        stats = brand_stats(s, get_brand(s, "demo-cosmetics"))
    assert len(set(keys)) == len(keys) and all(0 <= k < STATS_KEY_RANGE for k in keys), keys
    assert abs(stats["skus"]["LIP-VELVET"]["claims"] - 6) <= 2
    store.dispose()


def test_claims_filed_before_migration_0014_get_their_batch_key(tmp_path):
    """A store at 0013 has no batch keys: 0014 computes each claim's from its batch as typed
    (claims.catalog.batch_key), empty without a batch."""
    from claims.models import Claim
    from tests.claims.conftest import file_claim, seeded_app

    app, tokens = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)
    client = app.test_client()
    typed = ["b2026 11", "B2026-11", ""]
    ids = [file_claim(client, tokens["shopper"], key=f"k{k}", order_ref=f"O{k}",
                      batch=b).json["id"] for k, b in enumerate(typed)]  # fmt: skip
    _down_and_up(app, tmp_path / "d", "0013", "batch_key")
    store = open_store(tmp_path / "d")
    with store.read() as s:
        assert [s.get(Claim, c).batch_key for c in ids] == ["B202611", "B202611", ""]
    store.dispose()


def test_photos_stored_before_migration_0015_are_fingerprinted_when_the_service_starts(tmp_path):
    """A store at 0014 has no fingerprints, and a migration does not read files: the service
    fingerprints the stored photos as it starts (the same as at filing, within the small
    decode's few bits), and the same picture filed again is then found against them. An
    erased photo stays without one."""
    from claims.models import Claim, Image
    from server import create_app
    from tests.claims.conftest import bearer, face_jpeg, file_claim, sample_photo, seeded_app
    from vision.fingerprint import fingerprint_distance

    app, tokens = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)
    client = app.test_client()
    photos = [None, face_jpeg()]  # the swatch sample, a face
    ids = [file_claim(client, tokens["shopper"], key=f"k{k}", order_ref=f"O{k}",
                      photo=photo).json["id"] for k, photo in enumerate(photos)]  # fmt: skip
    gone = file_claim(client, tokens["shopper"], key="k9", order_ref="O9",
                      photo=face_jpeg(earlier=True)).json["id"]  # fmt: skip
    withdrawn = client.post(f"/api/v1/claims/{gone}/withdraw", headers=bearer(tokens["shopper"]))
    assert withdrawn.status_code == 200, withdrawn.json
    store = app.extensions["hueproof"]["store"]
    with store.read() as s:
        filed = {c: s.get(Image, s.get(Claim, c).photo_sha256).fingerprint for c in ids}
    assert all(v is not None for v in filed.values())
    _down_and_up(app, tmp_path / "d", "0014", "fingerprint", table="images")
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "d"), "ANALYSIS_WORKERS": 0})
    linking = app.extensions["hueproof"]["linking"]  # beside the start
    linking.join()
    assert linking.fingerprinted == {"fingerprinted": 2, "flat": 0, "missing": 0, "failed": {}}
    with app.extensions["hueproof"]["store"].read() as s:
        again = {c: s.get(Image, s.get(Claim, c).photo_sha256).fingerprint for c in ids}
        erased = s.get(Image, s.get(Claim, gone).photo_sha256)
        assert erased.erased_at is not None and erased.fingerprint is None
    assert all(fingerprint_distance(filed[c], again[c]) <= 3 for c in ids), (filed, again)
    client = app.test_client()
    resaved = io.BytesIO()
    PILImage.open(io.BytesIO(sample_photo())).save(resaved, "JPEG", quality=70)
    copy = file_claim(client, tokens["shopper"], key="copy", order_ref="O-copy",
                      photo=resaved.getvalue()).json["id"]  # fmt: skip
    seen = client.get(f"/api/v1/claims/{copy}", headers=bearer(tokens["adjudicator"])).json
    assert [c["id"] for c in seen["related"]["claims"] if c["photo"]] == [ids[0]]
    app.extensions["hueproof"]["close"]()


def test_claims_filed_before_migration_0016_get_their_order_key(tmp_path):
    """A store at 0015 compares order numbers as typed: 0016 computes each claim's key
    (claims.catalog.order_key), and the list's search by order finds them however typed."""
    from claims.models import Claim
    from tests.claims.conftest import bearer, file_claim, seeded_app

    app, tokens = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)
    client = app.test_client()
    typed = ["o 2026-77", "O2026-77", ""]
    ids = [file_claim(client, tokens["shopper"], key=f"k{k}", order_ref=o).json["id"]
           for k, o in enumerate(typed)]  # fmt: skip
    _down_and_up(app, tmp_path / "d", "0015", "order_key")
    store = open_store(tmp_path / "d")
    with store.read() as s:
        assert [s.get(Claim, c).order_key for c in ids] == ["O202677", "O202677", ""]
    store.dispose()
    from server import create_app

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "d"), "ANALYSIS_WORKERS": 0})
    found = app.test_client().get("/api/v1/claims?order_ref=o2026%2077",
                                  headers=bearer(tokens["adjudicator"])).json  # fmt: skip
    assert sorted(c["id"] for c in found["items"]) == sorted(ids[:2])
    app.extensions["hueproof"]["close"]()


def test_pictures_fingerprinted_before_migration_0017_get_their_bands(tmp_path):
    """A store at 0016 has fingerprints and no bands: 0017 computes each picture's from its
    fingerprint (vision.fingerprint.fingerprint_bands, no file read), as filing does."""
    from sqlalchemy import select

    from claims.models import ImageBand
    from tests.claims.conftest import another_photo, file_claim, seeded_app

    app, tokens = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)
    client = app.test_client()
    for k in range(3):
        file_claim(client, tokens["shopper"], key=f"k{k}", order_ref=f"O{k}",
                   photo=another_photo(k))  # fmt: skip
    with app.extensions["hueproof"]["store"].read() as s:
        filed = sorted(s.execute(select(ImageBand.band, ImageBand.value, ImageBand.sha256)).all())
    assert len(filed) == 3 * 5
    _down_and_up(app, tmp_path / "d", "0016", None, table="image_bands")
    store = open_store(tmp_path / "d")
    with store.read() as s:
        again = sorted(s.execute(select(ImageBand.band, ImageBand.value, ImageBand.sha256)).all())
    assert again == filed
    store.dispose()


def test_a_picture_without_structure_is_read_once_not_at_every_start(tmp_path):
    """A store at 0017 cannot tell a picture fingerprinted without a fingerprint (too little
    structure) from one never fingerprinted: after 0018 the service reads it once as it
    starts, marks it, and the next start reads nothing. Before, each start of each process
    read it again."""
    from claims.models import Claim, Image
    from server import create_app
    from tests.claims.conftest import file_claim, seeded_app

    blank = io.BytesIO()
    PILImage.new("RGB", (300, 300), (128, 128, 128)).save(blank, "JPEG")
    app, tokens = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)
    cid = file_claim(app.test_client(), tokens["shopper"], key="flat", type="redness",
                     sku="SERUM-RETINOL", shade=None, roi=None, consent_health="true",
                     photo=blank.getvalue()).json["id"]  # fmt: skip
    with app.extensions["hueproof"]["store"].read() as s:
        image = s.get(Image, s.get(Claim, cid).photo_sha256)
        assert image.fingerprint is None and image.fingerprinted  # at filing: none, and done
    _down_and_up(app, tmp_path / "d", "0017", "fingerprinted", table="images")
    config = {"TESTING": True, "DATA_DIR": str(tmp_path / "d"), "ANALYSIS_WORKERS": 0}
    app = create_app(config)
    linking = app.extensions["hueproof"]["linking"]
    linking.join()
    assert linking.fingerprinted == {"fingerprinted": 0, "flat": 1, "missing": 0, "failed": {}}
    app.extensions["hueproof"]["close"]()
    app = create_app(config)  # nothing left to read: no thread
    assert app.extensions["hueproof"]["linking"].thread is None
    app.extensions["hueproof"]["close"]()


def test_a_store_from_before_migration_0020_finds_turned_copies_once_fingerprinted_again(tmp_path):
    """A store at 0019 has one fingerprint a picture (along its rows) and links found by the
    search before: a copy turned a quarter was not found. 0020 reads no file: it marks every
    picture to be fingerprinted again (keeping its fingerprint meanwhile) and every linked
    claim linked by search 1 (its links kept); beside the start, the service fingerprints
    them again and searches each claim again, adding the turned copy's link."""
    from sqlalchemy import delete, or_, select

    from claims.models import Claim, ClaimLink, Image
    from claims.related import LINKS_VERSION
    from server import create_app
    from tests.claims.conftest import another_photo, bearer, file_claim, seeded_app

    app, tokens = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)
    client = app.test_client()
    turned = io.BytesIO()
    PILImage.open(io.BytesIO(another_photo(0))).transpose(PILImage.Transpose.ROTATE_90).save(
        turned, "JPEG", quality=90)  # fmt: skip
    ids = [file_claim(client, tokens["shopper"], key=f"k{k}", order_ref=order,
                      photo=photo).json["id"]
           for k, (order, photo) in enumerate([("O-1", another_photo(0)),
                                               ("O-2", turned.getvalue()),
                                               ("O-3", another_photo(3)),
                                               ("o 3", another_photo(4))])]  # fmt: skip
    store = app.extensions["hueproof"]["store"]

    def links():
        with store.read() as s:
            return {(a, b) for a, b in s.execute(select(ClaimLink.claim_id, ClaimLink.other_id))}

    both = {(ids[0], ids[1]), (ids[1], ids[0]), (ids[2], ids[3]), (ids[3], ids[2])}
    assert links() == both  # as filed: the turned copy, and one order's two claims
    with store.write() as s:  # as the search before 0020 left them: the turned copy not found
        s.execute(delete(ClaimLink).where(or_(ClaimLink.claim_id.in_(ids[:2]),
                                              ClaimLink.other_id.in_(ids[:2]))))  # fmt: skip
        filed = {c.photo_sha256: s.get(Image, c.photo_sha256).fingerprint
                 for c in s.scalars(select(Claim))}  # fmt: skip
    _down_and_up(app, tmp_path / "d", "0019", "links_version")
    store = open_store(tmp_path / "d")
    with store.read() as s:
        images = {i.sha256: i for i in s.scalars(select(Image))}
        assert {sha: images[sha].fingerprint for sha in filed} == filed  # kept meanwhile
        assert not any(i.fingerprinted or i.fingerprint_turned for i in images.values())
        assert [c.links_version for c in s.scalars(select(Claim))] == [1] * 4
    assert links() == both - {(ids[0], ids[1]), (ids[1], ids[0])}
    store.dispose()
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "d"), "ANALYSIS_WORKERS": 0})
    linking = app.extensions["hueproof"]["linking"]
    linking.join()
    assert linking.fingerprinted == {"fingerprinted": 4, "flat": 0, "missing": 0, "failed": {}}
    assert linking.faces == {"faces": 0, "no_face": 4, "missing": 0, "failed": {}}
    assert linking.linked == 4
    store = app.extensions["hueproof"]["store"]
    assert links() == both
    with store.read() as s:
        assert all(i.fingerprinted and i.fingerprint_turned is not None and i.face_printed
                   for i in s.scalars(select(Image)))  # fmt: skip
        assert {c.links_version for c in s.scalars(select(Claim))} == {LINKS_VERSION}
    seen = app.test_client().get(f"/api/v1/claims/{ids[0]}", headers=bearer(tokens["adjudicator"]))
    (item,) = seen.json["related"]["claims"]
    assert item["id"] == ids[1] and item["photo"]["turned"] == 270, item
    app.extensions["hueproof"]["close"]()


def test_a_store_from_before_migration_0021_finds_a_cropped_selfie_by_its_face(tmp_path):
    """A store at 0020 holds two shoppers' redness claims, a selfie and a copy of it cropped
    and made smaller (another picture to the picture's fingerprint), not linked. 0021 reads
    no file: it marks every picture to have its face fingerprinted and every claim linked
    by the search before; beside the start, the service reads each picture's face, finds the
    two one picture's face, and searches each claim again: linked by the face, both ways."""
    from sqlalchemy import delete, func, select

    from claims.auth import create_user
    from claims.models import Claim, ClaimLink, FaceMatch, Image
    from tests.claims.conftest import face_jpeg, file_claim, seeded_app
    from tests.claims.test_related import _cropped_and_turned

    app, tokens = seeded_app(tmp_path / "d")
    with app.extensions["hueproof"]["store"].write() as s:
        tokens["shopper_b"] = create_user(s, role="shopper", name="B")[1]
    client = app.test_client()
    selfie = face_jpeg(2.2)
    fields = {"type": "redness", "sku": "SERUM-RETINOL", "shade": None, "roi": None,
              "consent_health": "true"}  # fmt: skip
    ids = [file_claim(client, tokens[who], key=who, order_ref=f"O-{who}", photo=photo,
                      **fields).json["id"]
           for who, photo in (("shopper", selfie),
                              ("shopper_b", _cropped_and_turned(selfie)))]  # fmt: skip
    assert app.extensions["hueproof"]["pool"].wait_idle(120)
    store = app.extensions["hueproof"]["store"]
    with store.write() as s:  # as the search before 0021 left them: not linked
        assert s.scalar(select(func.count()).select_from(FaceMatch)) == 2
        s.execute(delete(ClaimLink))
    _down_and_up(app, tmp_path / "d", "0020", "face_printed", table="images")
    store = open_store(tmp_path / "d")
    with store.read() as s:
        assert not any(i.face_printed or i.face_fingerprint for i in s.scalars(select(Image)))
        assert [c.links_version for c in s.scalars(select(Claim))] == [2] * 2  # searched again
        assert not s.scalars(select(FaceMatch)).all()
    store.dispose()
    app = _started_and_linked_by_face(tmp_path / "d", tokens, ids)
    with app.extensions["hueproof"]["store"].read() as s:
        assert len(s.scalars(select(ClaimLink)).all()) == 2  # written down both ways
    app.extensions["hueproof"]["close"]()


def _started_and_linked_by_face(data_dir, tokens, ids):
    """The service started on ``data_dir`` (the app): beside its start it fingerprints the
    faces of the two claims ``ids``' photos, and links the second to the first by the face,
    by the newest search."""
    from sqlalchemy import select

    from claims.models import Claim
    from claims.related import LINKS_VERSION
    from server import create_app
    from tests.claims.conftest import bearer

    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "ANALYSIS_WORKERS": 0})
    linking = app.extensions["hueproof"]["linking"]
    linking.join()
    assert linking.faces == {"faces": 2, "no_face": 0, "missing": 0, "failed": {}}
    assert linking.linked == 2
    seen = app.test_client().get(f"/api/v1/claims/{ids[1]}", headers=bearer(tokens["adjudicator"]))
    (item,) = seen.json["related"]["claims"]
    assert item["id"] == ids[0] and item["photo"]["by_face"], item
    with app.extensions["hueproof"]["store"].read() as s:
        assert {c.links_version for c in s.scalars(select(Claim))} == {LINKS_VERSION}
    return app


def test_a_store_from_before_migration_0022_finds_a_selfie_cropped_to_its_face(
    tmp_path, landmarker
):
    """A store at 0021: a selfie and, another shopper's, a copy cropped to the face's
    landmarks, their faces' fingerprints of the old kind (the face's whole square) more than
    FACE_NEAR_DISTANCE apart: not linked. 0022 reads no file: it drops the old kind's
    fingerprints and their bands, marks the pictures with a face to be read again, and the
    claims linked by the search before; beside the start, the service fingerprints both faces
    anew (their inner part: near), finds them one picture's face, and links the claims."""
    from sqlalchemy import delete, func, select

    from claims.auth import create_user
    from claims.models import Claim, ClaimLink, FaceMatch, Image, ImageBand
    from claims.related import LINKS_VERSION, index_face
    from tests.claims.conftest import file_claim, seeded_app
    from vision.fingerprint import (
        FACE_NEAR_DISTANCE,
        _difference_hash,
        face_detail,
        fingerprint_distance,
    )
    from vision.ingest import ingest_image
    from vision.people import people_photos

    (selfie,) = (p.path.read_bytes() for p in people_photos() if p.name == "obama.jpg")
    rgb_lin = ingest_image(selfie).rgb_lin
    (face,) = landmarker.detect(rgb_lin)
    x, y, w, h = face.bbox
    cropped = io.BytesIO()
    PILImage.open(io.BytesIO(selfie)).crop((x, y, x + w, y + h)).save(cropped, "JPEG", quality=90)
    cropped = cropped.getvalue()

    def old_kind(data):  # the face's whole square hashed, as before 0022
        img = ingest_image(data).rgb_lin
        (found,) = landmarker.detect(img)
        return _difference_hash(face_detail(img, found.points))

    old = [old_kind(selfie), old_kind(cropped)]
    assert fingerprint_distance(*old) > FACE_NEAR_DISTANCE  # 13 bits: not a candidate

    app, tokens = seeded_app(tmp_path / "d")
    with app.extensions["hueproof"]["store"].write() as s:
        tokens["shopper_b"] = create_user(s, role="shopper", name="B")[1]
    fields = {"type": "redness", "sku": "SERUM-RETINOL", "shade": None, "roi": None,
              "consent_health": "true"}  # fmt: skip
    ids = [file_claim(app.test_client(), tokens[who], key=who, order_ref=f"O-{who}",
                      photo=photo, **fields).json["id"]
           for who, photo in (("shopper", selfie), ("shopper_b", cropped))]  # fmt: skip
    assert app.extensions["hueproof"]["pool"].wait_idle(120)
    store = app.extensions["hueproof"]["store"]
    with store.write() as s:  # as 0021's search left them: the old kind, not linked
        assert s.scalar(select(func.count()).select_from(FaceMatch)) == 2  # found anew
        s.execute(delete(ClaimLink))
        s.execute(delete(FaceMatch))
        for claim_id, fingerprint in zip(ids, old, strict=True):
            index_face(s, s.get(Claim, claim_id).photo_sha256, fingerprint)
        for claim in s.scalars(select(Claim)):
            claim.links_version = 3
    _down_and_up(app, tmp_path / "d", "0021", None, table=None)
    store = open_store(tmp_path / "d")
    with store.read() as s:
        images = s.scalars(select(Image)).all()
        assert [(i.face_fingerprint, i.face_printed) for i in images] == [(None, False)] * 2
        assert not s.scalars(select(ImageBand).where(ImageBand.band >= 5)).all()
        assert all(c.links_version < LINKS_VERSION for c in s.scalars(select(Claim)))
    store.dispose()
    _started_and_linked_by_face(tmp_path / "d", tokens, ids).extensions["hueproof"]["close"]()
