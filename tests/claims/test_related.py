"""claims/related.py: the claims on the same order and those with the same picture, shown to
the adjudicator beside a claim, and never approved automatically while they count."""

from __future__ import annotations

import io

from PIL import Image

from claims.related import weighs
from tests.claims.conftest import (
    another_photo,
    bearer,
    file_claim,
    recoloured_copy,
    sample_photo,
    wait,
)
from vision.fingerprint import (
    FACE_NEAR_DISTANCE,
    NEAR_DISTANCE,
    fingerprint_distance,
    fingerprint_variants,
)

AUTO = {"auto_approve": ["shade_mismatch"]}  # the sample photo against N02: a mismatch


def _auto(client, tokens):
    resp = client.put("/api/v1/brands/demo-cosmetics/policy", json=AUTO,
                      headers=bearer(tokens["brand"]))  # fmt: skip
    assert resp.status_code == 200, resp.json


def _view(client, tokens, cid, role="adjudicator"):
    """A claim's view, as the document says it is (its related claims' photo matches too)."""
    from claims.responses import ClaimView

    resp = client.get(f"/api/v1/claims/{cid}", headers=bearer(tokens[role]))
    assert resp.status_code == 200, resp.json
    ClaimView.model_validate(resp.json)
    return resp.json


def _notes(view) -> list[str]:
    return [n["code"] for n in view["suggestion"]["notes"]]


def test_a_photo_another_shopper_filed_is_told_both_ways_and_never_approved_automatically(
        app, client, tokens):  # fmt: skip
    """Shopper A's claim is approved automatically; shopper B sends A's photo saved again
    and recoloured, for her own order: B's claim waits for an adjudicator, who reads that
    its photo is A's picture (not the same file; fingerprints a few bits apart), and A's
    claim now lists B's. Shoppers are not told."""
    _auto(client, tokens)
    first = file_claim(client, tokens["shopper"], key="a", shade="N02", order_ref="O-A").json["id"]
    wait(app)
    assert _view(client, tokens, first)["status"] == "decided"
    copy = recoloured_copy(sample_photo())
    second = file_claim(client, tokens["shopper_b"], key="b", shade="N02", order_ref="O-B",
                        photo=copy).json["id"]  # fmt: skip
    wait(app)
    view = _view(client, tokens, second)
    assert (
        view["status"] == "ready"
        and view["photo_sha256"] != _view(client, tokens, first)["photo_sha256"]
    )
    assert "photo_in_other_claims" in _notes(view) and not view["suggestion"]["automatic"]
    (item,) = view["related"]["claims"]
    assert item["id"] == first and item["outcome"] == "approve_price_difference"
    assert not item["same_shopper"] and not item["same_order"] and item["same_product"]
    photo = item["photo"]
    assert (photo["this"], photo["that"], photo["same_file"]) == ("photo", "photo", False)
    assert 0 < photo["distance"] <= 10 and item["counts"]
    assert photo["picture"] == f"/api/v1/claims/{first}/photo.png"  # pixelated, to compare
    assert view["related"]["photo_claims"] == 1 and view["related"]["order_claims"] == 0
    back = _view(client, tokens, first)["related"]
    assert [c["id"] for c in back["claims"]] == [second] and back["claims"][0]["photo"]
    # a list's items carry no suggestion: it weighs the claims beside each, read for one
    listed = client.get("/api/v1/claims", headers=bearer(tokens["adjudicator"])).json["items"]
    assert {c["id"] for c in listed} == {first, second}
    assert all("suggestion" not in c and "related" not in c for c in listed)
    for role, cid in (("shopper", first), ("shopper_b", second)):
        own = _view(client, tokens, cid, role)
        assert "related" not in own and "suggestion" not in own


def test_a_copy_filed_for_another_product_by_another_shopper_is_found_by_its_bands(
        app, client, tokens, monkeypatch):  # fmt: skip
    """Shopper A's selfie for a serum's redness claim; shopper B sends it recoloured as her
    lips for a lipstick's shade claim: another product, another shopper, another file. Only
    the fingerprint's bands find the picture among every stored photo (with them not looked
    up, as for a band too common, nothing is found), and the faces' match written down as
    B's analysis fingerprinted her face (without it, the bands alone)."""
    from sqlalchemy import delete

    from claims.models import FaceMatch
    from tests.claims.conftest import face_jpeg

    selfie = face_jpeg()
    red = file_claim(client, tokens["shopper"], key="r", type="redness", sku="SERUM-RETINOL",
                     shade=None, roi=None, consent_health="true", order_ref="O-R",
                     photo=selfie).json["id"]  # fmt: skip
    lips = file_claim(client, tokens["shopper_b"], key="l", shade="N02", roi=None,
                      order_ref="O-L", photo=recoloured_copy(selfie)).json["id"]  # fmt: skip
    wait(app)
    view = _view(client, tokens, lips)
    (item,) = view["related"]["claims"]
    assert item["id"] == red and not item["same_product"] and not item["same_shopper"]
    assert not item["photo"]["same_file"] and not item["photo"]["by_face"] and item["counts"]
    assert "photo_in_other_claims" in _notes(view)
    with app.extensions["hueproof"]["store"].write() as s:  # the bands alone find it
        assert s.execute(delete(FaceMatch)).rowcount == 2  # one each way
    assert [c["id"] for c in _view(client, tokens, lips)["related"]["claims"]] == [red]
    monkeypatch.setattr("claims.related.COMMON_BAND", 0)
    assert "related" not in _view(client, tokens, lips)


def test_the_same_order_claimed_again_waits_for_an_adjudicator(app, client, tokens):
    """A mismatch approved automatically on order O-7; the same order's product claimed
    again (its number typed "o 7") with another photo is not (a product refunded once), and
    says why; a claim on
    another order, with its own photo, still is. Two claims on one order's product filed at
    once both wait: each is open while the other is analysed."""
    _auto(client, tokens)

    def filed(k, order):
        return file_claim(client, tokens["shopper"], key=f"k{k}", shade="N02", order_ref=order,
                          photo=another_photo(k)).json["id"]  # fmt: skip

    ids = [filed(0, "O-7")]
    wait(app)
    ids += [filed(1, "o 7"), filed(2, "O-8"), filed(3, "O-11"), filed(4, "O-11")]
    wait(app)
    first, again, other, *at_once = (_view(client, tokens, cid) for cid in ids)
    assert first["status"] == "decided" and other["status"] == "decided"
    assert again["status"] == "ready" and not again["suggestion"]["automatic"]
    assert "other_claims_on_order" in _notes(again) and "photo_in_other_claims" not in _notes(again)
    (item,) = again["related"]["claims"]
    assert item["id"] == ids[0] and item["same_order"] and item["photo"] is None and item["counts"]
    assert item["outcome"] == "approve_price_difference"
    assert "related" not in other  # another order, another picture: nothing beside it
    # the first decided claim lists the one filed after it
    assert [c["id"] for c in first["related"]["claims"]] == [ids[1]]
    assert [v["status"] for v in at_once] == ["ready", "ready"]
    assert all(v["related"]["order_claims"] == 1 for v in at_once)


def test_filing_again_as_asked_is_not_held_but_the_same_photo_again_is(app, client, tokens):
    """An adjudicator asks for more evidence; the shopper files the order's product again
    with a new photo: the earlier claim is listed, does not count, and the new one is
    approved automatically. Filed again with the very photo asked to be replaced, it waits."""
    first = file_claim(client, tokens["shopper"], key="k0", shade="N02", order_ref="O-9").json["id"]
    wait(app)
    asked = client.post(f"/api/v1/claims/{first}/decision", headers=bearer(tokens["adjudicator"]),
                        json={"outcome": "request_evidence", "reason_code": "inconclusive_photo",
                              "note": "a photo in daylight, please"})  # fmt: skip
    assert asked.status_code == 201, asked.json
    _auto(client, tokens)
    new = file_claim(client, tokens["shopper"], key="k1", shade="N02", order_ref="O-9",
                     photo=another_photo(1)).json["id"]  # fmt: skip
    same = file_claim(client, tokens["shopper"], key="k2", shade="N02", order_ref="O-10").json["id"]
    wait(app)
    new_view, same_view = _view(client, tokens, new), _view(client, tokens, same)
    earlier = next(c for c in new_view["related"]["claims"] if c["id"] == first)
    assert earlier["outcome"] == "request_evidence" and not earlier["counts"]
    assert new_view["status"] == "decided" and new_view["decision"]["automatic"]
    assert same_view["status"] == "ready" and "photo_in_other_claims" in _notes(same_view)
    same_file = next(c for c in same_view["related"]["claims"] if c["id"] == first)
    assert same_file["photo"]["same_file"] and same_file["photo"]["distance"] == 0


def test_what_counts_against_a_claim():
    """:func:`claims.related.weighs`: refiling as the shopper was to does not count; the
    same order's product pursued, or a picture shared otherwise, does."""
    base = {"same_shopper": True, "same_order": True, "same_product": True, "photo": None,
            "status": "decided", "outcome": "approve_refund"}  # fmt: skip
    photo = {"this": "photo", "that": "photo", "same_file": True, "distance": 0}
    cases = [
        ({}, True),  # the order's product refunded already
        ({"outcome": "reject"}, True),  # rejected, filed again hoping for another decision
        ({"status": "ready", "outcome": None}, True),  # two claims open at once
        ({"outcome": "request_evidence"}, False),  # asked to file again
        ({"status": "failed", "outcome": None}, False),
        ({"status": "withdrawn", "outcome": None}, False),
        ({"same_product": False}, False),  # another product on the order
        ({"status": "failed", "outcome": None, "photo": photo}, False),  # a failed claim refiled
        ({"outcome": "request_evidence", "photo": photo}, True),  # the photo asked to be replaced
        ({"same_order": False, "status": "failed", "outcome": None, "photo": photo}, True),
        ({"same_shopper": False, "same_order": False, "photo": photo}, True),
        ({"same_shopper": False, "same_order": False}, False),  # nothing shared: not related
    ]
    for change, counts in cases:
        assert weighs({**base, **change}) is counts, change


def test_a_photo_filed_many_times_lists_the_newest_and_counts_them_all(app, client, tokens):
    """One file behind 24 other claims: the 20 newest listed, all 24 counted."""
    import datetime as dt

    from tests.claims.conftest import claim_copies

    first = file_claim(client, tokens["shopper"], key="k", order_ref="O-many").json["id"]
    wait(app)
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    copies = claim_copies(app, first, [start + dt.timedelta(hours=h) for h in range(24)], "ready")
    related = _view(client, tokens, first)["related"]
    assert related["total"] == 24 and related["photo_claims"] == 24
    assert [c["id"] for c in related["claims"]] == copies[::-1][:20]  # the newest first
    assert all(c["photo"]["same_file"] and c["photo"]["picture"] for c in related["claims"])


def _listed(client, token, query="") -> dict:
    resp = client.get(f"/api/v1/claims?order=oldest{query}", headers=bearer(token))
    assert resp.status_code == 200, resp.json
    return resp.json


def test_the_queue_marks_the_claims_with_related_claims_and_keeps_them_when_asked(
        app, client, tokens):  # fmt: skip
    """Three claims on one order's product, the third by another shopper with the first's
    photo copied (counted once, for both reasons), a fourth with nothing beside it: the
    queue's items carry how many claims are related to each, counted as each claim's own
    view counts them, and ``related=true`` keeps those with some. Shoppers see no such count
    and may not ask for the filter."""
    from claims.models import ClaimLink

    a = file_claim(client, tokens["shopper"], key="a", shade="N02", order_ref="O-7",
                   photo=another_photo(0)).json["id"]  # fmt: skip
    b = file_claim(client, tokens["shopper"], key="b", shade="N02", order_ref="o 7",
                   photo=another_photo(1)).json["id"]  # fmt: skip
    c = file_claim(client, tokens["shopper_b"], key="c", shade="N02", order_ref="O7",
                   photo=recoloured_copy(another_photo(0))).json["id"]  # fmt: skip
    d = file_claim(client, tokens["shopper_b"], key="d", shade="N02", order_ref="O-9",
                   photo=another_photo(3)).json["id"]  # fmt: skip
    wait(app)
    adj = tokens["adjudicator"]
    marks = {i["id"]: i["related_counts"] for i in _listed(client, adj)["items"]}
    assert marks == {
        a: {"total": 2, "counting": 2, "order_claims": 2, "photo_claims": 1},
        b: {"total": 2, "counting": 2, "order_claims": 2, "photo_claims": 0},
        c: {"total": 2, "counting": 2, "order_claims": 2, "photo_claims": 1},
        d: None,
    }, marks
    for cid, mark in marks.items():  # as the claim's own view counts them
        view = _view(client, tokens, cid).get("related")
        assert mark == (
            view and {k: view[k] for k in ("total", "counting", "order_claims", "photo_claims")}
        )
    with app.extensions["hueproof"]["store"].read() as s:  # written down as each was filed
        pairs = {(link.claim_id, link.other_id) for link in s.query(ClaimLink)}
    assert pairs == {(a, b), (b, a), (a, c), (c, a), (b, c), (c, b)}
    kept = _listed(client, adj, "&related=true")
    assert [i["id"] for i in kept["items"]] == [a, b, c] and kept["total"] == 3
    assert all("related_counts" not in i for i in _listed(client, tokens["shopper"])["items"])
    refused = client.get("/api/v1/claims?related=true", headers=bearer(tokens["shopper"]))
    assert refused.status_code == 403, refused.json
    wrong = client.get("/api/v1/claims?related=maybe", headers=bearer(adj))
    assert wrong.status_code == 422 and "related" in wrong.json["detail"]


def test_claims_filed_before_links_were_kept_are_linked_as_the_service_starts(tmp_path):
    """A store whose claims were filed before links were written down (migration 0019): the
    queue finds each claim's related claims as it lists it, and the service links them on a
    thread as it starts; then the filter finds them. A claim whose filing stopped between its
    commit and its linking is linked by its analysis."""
    from sqlalchemy import delete, select, update

    from claims.models import Claim, ClaimLink
    from tests.claims.conftest import seeded_app

    app, tokens = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)
    client = app.test_client()
    ids = [file_claim(client, tokens["shopper"], key=f"k{k}", shade="N02", order_ref=order,
                      photo=another_photo(k)).json["id"]
           for k, order in enumerate(["O-1", "O-1", "O-2"])]  # fmt: skip

    def forget_links(app):
        with app.extensions["hueproof"]["store"].write() as s:
            s.execute(delete(ClaimLink))
            s.execute(update(Claim).values(links_version=0))

    forget_links(app)
    adj = tokens["adjudicator"]
    marks = [i["related_counts"] for i in _listed(client, adj)["items"]]
    assert [m and m["total"] for m in marks] == [1, 1, None], marks
    assert _listed(client, adj, "&related=true")["total"] == 0  # not linked yet
    app.extensions["hueproof"]["close"]()

    app, _ = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)  # the service started again
    linking = app.extensions["hueproof"]["linking"]
    linking.thread.join(timeout=60)
    assert linking.linked == 3
    client = app.test_client()
    assert [i["id"] for i in _listed(client, adj, "&related=true")["items"]] == ids[:2]
    assert [i["related_counts"] for i in _listed(client, adj)["items"]] == marks
    forget_links(app)  # as a filing stopped after its commit: the analysis links it
    service = app.extensions["hueproof"]["service"]
    assert service.run_analysis(ids[1]) == "ready"
    with app.extensions["hueproof"]["store"].read() as s:
        assert s.get(Claim, ids[1]).links_version and not s.get(Claim, ids[0]).links_version
        assert s.scalars(select(ClaimLink.other_id).where(ClaimLink.claim_id == ids[0])).all() == [
            ids[1]
        ]
    app.extensions["hueproof"]["close"]()


def test_a_claim_whose_linking_fails_is_filed_and_linked_by_its_analysis(tmp_path, monkeypatch):
    """The database failing between a filing's commit and its linking: the claim is filed
    (202, not a 500 for a claim that exists) and its analysis links it."""
    from sqlalchemy.exc import OperationalError

    from claims.models import Claim
    from tests.claims.conftest import seeded_app

    app, tokens = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)
    client = app.test_client()
    first = file_claim(client, tokens["shopper"], key="k0", order_ref="O-3").json["id"]

    def locked(session, claim, found=None):
        raise OperationalError("INSERT INTO claim_links", {}, Exception("database is locked"))

    monkeypatch.setattr("claims.service.link_claim", locked)
    resp = file_claim(client, tokens["shopper"], key="k1", order_ref="O-3", photo=another_photo(1))
    assert resp.status_code == 202, resp.json
    monkeypatch.undo()
    ext = app.extensions["hueproof"]
    with ext["store"].read() as s:
        assert not s.get(Claim, resp.json["id"]).links_version
    assert ext["service"].run_analysis(resp.json["id"]) == "ready"
    marks = {i["id"]: i["related_counts"] for i in _listed(client, tokens["adjudicator"])["items"]}
    assert marks[first]["total"] == marks[resp.json["id"]]["total"] == 1, marks
    ext["close"]()


def test_a_mirrored_copy_is_found_and_said_to_be_mirrored(app, client, tokens):
    """Shopper A's selfie for a serum; shopper B sends it flipped left to right (as a front
    camera's preview shows it) and recoloured, for a lipstick: found through the mirror
    image's fingerprint, said to be mirrored, both ways, and held against B's claim. Before,
    a mirror image was another picture (34 bits apart)."""
    import io

    from PIL import Image

    from tests.claims.conftest import face_jpeg

    selfie = face_jpeg()
    buf = io.BytesIO()
    Image.open(io.BytesIO(selfie)).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(
        buf, "JPEG", quality=90)  # fmt: skip
    red = file_claim(client, tokens["shopper"], key="r", type="redness", sku="SERUM-RETINOL",
                     shade=None, roi=None, consent_health="true", order_ref="O-R",
                     photo=selfie).json["id"]  # fmt: skip
    flipped = recoloured_copy(buf.getvalue())
    lips = file_claim(client, tokens["shopper_b"], key="l", shade="N02", roi=None,
                      order_ref="O-L", photo=flipped).json["id"]  # fmt: skip
    wait(app)
    view = _view(client, tokens, lips)
    (item,) = view["related"]["claims"]
    assert item["id"] == red and item["counts"] and "photo_in_other_claims" in _notes(view)
    photo = item["photo"]
    assert photo["mirrored"] and not photo["same_file"] and photo["distance"] <= 4, photo
    (back,) = _view(client, tokens, red)["related"]["claims"]
    assert back["id"] == lips and back["photo"]["mirrored"], back


def test_a_turned_copy_and_a_screenshot_are_found_and_said_how(app, client, tokens):
    """Shopper A's selfie for a serum; shopper B sends it turned a quarter clockwise (saved
    sideways without its EXIF orientation) and recoloured, for a lipstick, and shopper C a
    screenshot of it (on a phone's screen between its status bar and buttons): both found,
    both ways, held against their claims; B's said to be turned (A's picture is B's turned a
    quarter anticlockwise, and B's is A's turned a quarter clockwise), C's not turned. Before,
    a turned copy was another picture (21 bits apart, 29 mirrored), and a screenshot had no
    fingerprint (its black frame most of its cells: too little structure)."""
    import io

    from PIL import Image, ImageDraw

    from claims.auth import create_user
    from tests.claims.conftest import face_jpeg

    selfie = face_jpeg()
    im = Image.open(io.BytesIO(selfie))
    buf = io.BytesIO()
    im.transpose(Image.Transpose.ROTATE_270).save(buf, "JPEG", quality=90)  # clockwise
    turned = recoloured_copy(buf.getvalue())
    screen = Image.new("RGB", (im.width + 80, round((im.width + 80) * 19.5 / 9)), (0, 0, 0))
    screen.paste(im, (40, (screen.height - im.height) // 2))
    ImageDraw.Draw(screen).text((10, 5), "9:41    LTE  87%", fill=(255, 255, 255))
    shot = io.BytesIO()
    screen.save(shot, "PNG")
    with app.extensions["hueproof"]["store"].write() as s:
        shopper_c = create_user(s, role="shopper", name="C")[1]
    red = file_claim(client, tokens["shopper"], key="r", type="redness", sku="SERUM-RETINOL",
                     shade=None, roi=None, consent_health="true", order_ref="O-R",
                     photo=selfie).json["id"]  # fmt: skip
    lips = file_claim(client, tokens["shopper_b"], key="l", shade="N02", roi=None,
                      order_ref="O-L", photo=turned).json["id"]  # fmt: skip
    other = file_claim(client, shopper_c, key="c", shade="R01", roi=None, order_ref="O-C",
                       photo=shot.getvalue()).json["id"]  # fmt: skip
    wait(app)
    view = _view(client, tokens, lips)  # A's and C's: C's screenshot is of the same picture
    items = {c["id"]: c for c in view["related"]["claims"]}
    assert set(items) == {red, other} and items[red]["counts"], items
    assert "photo_in_other_claims" in _notes(view)
    photo = items[red]["photo"]
    assert (photo["mirrored"], photo["turned"]) == (False, 270) and photo["distance"] <= 4, photo
    related = {c["id"]: c["photo"] for c in _view(client, tokens, red)["related"]["claims"]}
    assert set(related) == {lips, other}, related
    assert (related[lips]["mirrored"], related[lips]["turned"]) == (False, 90), related
    assert (related[other]["mirrored"], related[other]["turned"]) == (False, 0), related
    assert related[other]["distance"] <= 4, related
    view = _view(client, tokens, other)
    assert "photo_in_other_claims" in _notes(view)
    assert {c["id"] for c in view["related"]["claims"]} == {red, lips}
    marks = {i["id"]: i["related_counts"] for i in _listed(client, tokens["adjudicator"])["items"]}
    assert [marks[c]["photo_claims"] for c in (red, lips, other)] == [2, 2, 2], marks


def test_linking_stored_claims_writes_the_links_their_filings_wrote(tmp_path):
    """Claims related in each way (one order's two claims, a copy filed for another product
    by another shopper, a mirrored copy for another shade, one with nothing beside it): the
    links the start-up's linking writes for them, a product's claims read once for all of
    its claims, are those written as each was filed."""
    import io

    from PIL import Image
    from sqlalchemy import delete, select, update

    from claims.auth import create_user
    from claims.models import Claim, ClaimLink
    from tests.claims.conftest import seeded_app

    app, tokens = seeded_app(tmp_path / "d", ANALYSIS_WORKERS=0)
    ext = app.extensions["hueproof"]
    with ext["store"].write() as s:
        other = create_user(s, role="shopper", name="B")[1]
    flipped = io.BytesIO()
    Image.open(io.BytesIO(another_photo(1))).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(
        flipped, "JPEG", quality=90)  # fmt: skip
    serum = {"type": "redness", "sku": "SERUM-RETINOL", "shade": None, "roi": None,
             "consent_health": "true"}  # fmt: skip
    client = app.test_client()
    for key, token, fields, photo in (
        ("a", tokens["shopper"], {"order_ref": "O-1"}, another_photo(0)),
        ("b", tokens["shopper"], {"order_ref": "o 1"}, another_photo(1)),
        ("c", other, {**serum, "order_ref": "O-2"}, recoloured_copy(another_photo(0))),
        ("d", other, {"order_ref": "O-3", "shade": "R01"}, flipped.getvalue()),
        ("e", tokens["shopper"], {**serum, "order_ref": "O-4"}, another_photo(4)),
    ):
        assert file_claim(client, token, key=key, photo=photo, **fields).status_code == 202

    def links():
        with ext["store"].read() as s:
            rows = s.execute(select(ClaimLink.claim_id, ClaimLink.other_id,
                                    ClaimLink.same_order, ClaimLink.same_picture))  # fmt: skip
            return set(rows.all())

    filed = links()
    assert len(filed) == 2 * 3, filed  # a-b (order), a-c (picture), b-d (picture, mirrored)
    with ext["store"].write() as s:
        s.execute(delete(ClaimLink))
        s.execute(update(Claim).values(links_version=0))
    assert ext["service"].link_stored_claims() == 5
    assert links() == filed
    ext["close"]()


def test_the_rows_near_a_claims_pictures_are_those_compared_one_by_one():
    """claims/related.py _near (all of a product's claims at once) against the distances
    taken row by row (_closest): fingerprints stored signed or not, missing ones, near copies
    of the pictures turned or flipped any way (seen through the row's upright fingerprint or
    through its turned one) among random ones."""
    import random

    from claims.related import MASK, _closest, _near, _Picture, claim_rows
    from vision.fingerprint import Fingerprints, fingerprint_variants

    rng = random.Random(3)

    def picture(which):
        fps = Fingerprints(rng.getrandbits(64), rng.getrandbits(64))
        return _Picture(which, which[0], fps.upright, fingerprint_variants(fps))

    pictures = [picture("photo"), picture("baseline")]

    def near_copy(fp):
        for bit in rng.sample(range(64), rng.randrange(0, 14)):
            fp ^= 1 << bit
        return fp

    def stored(fp):  # None, or as a BIGINT holds it
        return None if fp is None else fp - 2**64 if fp >= 2**63 else fp

    def turned_copy(pic):  # a turned copy's own turned fingerprint: a variant of pic's upright
        way = rng.choice(fingerprint_variants(Fingerprints(None, pic.upright)))[0]
        return near_copy(way)

    kinds = [lambda: (None, None), lambda: (rng.getrandbits(64), rng.getrandbits(64)),
             lambda: (near_copy(rng.choice(rng.choice(pictures).variants)[0]), None),
             lambda: (rng.getrandbits(64), turned_copy(rng.choice(pictures))),
             lambda: (None, turned_copy(pictures[0]))]  # fmt: skip
    rows = []
    for _ in range(800):
        (photo, photo_t), (base, base_t) = rng.choice(kinds)(), rng.choice(kinds)()
        rows.append(("id", "", "x", "y", *map(stored, (photo, base, photo_t, base_t))))

    expected = [any(_closest(pic.upright, pic.variants, Fingerprints(
                        None if up is None else up & MASK, None if t is None else t & MASK)
                    )[0] <= NEAR_DISTANCE
                    for up, t in ((r[4], r[6]), (r[5], r[7])) for pic in pictures)
                for r in rows]  # fmt: skip
    assert 100 < sum(expected) < 700  # both kinds present
    through_turned = [any(_closest(pic.upright, [], Fingerprints(None, t))[0] <= NEAR_DISTANCE
                          for t in (r[6], r[7]) if t is not None for pic in pictures)
                      for r in rows]  # fmt: skip
    assert sum(through_turned) > 50  # found through the row's turned fingerprint
    assert _near(pictures, claim_rows(rows)).tolist() == expected
    nothing = [_Picture("photo", "p", None, [])]
    assert _near(nothing, claim_rows(rows)).tolist() == [False] * 800
    assert _near(pictures, claim_rows([])).tolist() == []


def _cropped_and_turned(jpeg: bytes, degrees: float = 0.0) -> bytes:
    """The photo turned by ``degrees`` (anticlockwise), cropped to the middle of it, made
    smaller and saved again: to the picture's fingerprint another picture
    (vision/fingerprint.py)."""
    im = Image.open(io.BytesIO(jpeg)).convert("RGB").rotate(degrees, resample=Image.BILINEAR)
    w, h = im.size
    im = im.crop((w // 6, h // 8, w - w // 6, h - h // 10))
    im = im.resize((im.width // 2, im.height // 2))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def test_a_selfie_sent_again_cropped_is_found_by_its_face_both_ways(app, client, tokens):
    """Shopper A's selfie for a serum's redness claim; shopper B sends it cropped and
    smaller for her own order: another file, and another picture to the picture's
    fingerprint (turned by an angle too: tests/vision/test_fingerprint.py, the review page's
    test). Once the claims are analysed, B's face is A's picture's face (the
    faces' fingerprints near, their detail alike): each claim lists the other by the face,
    the policy notes it, and the queue marks both."""
    from tests.claims.conftest import face_jpeg
    from vision.ingest import file_fingerprints

    selfie = face_jpeg()
    copy = _cropped_and_turned(selfie)
    prints = [file_fingerprints(f) for f in (selfie, copy)]
    assert all(fingerprint_distance(way, prints[1].upright) > NEAR_DISTANCE
               for way, _ in fingerprint_variants(prints[0]))  # fmt: skip
    fields = {"type": "redness", "sku": "SERUM-RETINOL", "shade": None, "roi": None,
              "consent_health": "true"}  # fmt: skip
    first = file_claim(client, tokens["shopper"], key="a", order_ref="O-A", photo=selfie,
                       **fields).json["id"]  # fmt: skip
    second = file_claim(client, tokens["shopper_b"], key="b", order_ref="O-B", photo=copy,
                        **fields).json["id"]  # fmt: skip
    wait(app)
    view = _view(client, tokens, second)
    assert view["status"] == "ready"
    (item,) = view["related"]["claims"]
    photo = item["photo"]
    assert item["id"] == first and not item["same_shopper"] and item["counts"]
    assert photo["by_face"] and not photo["same_file"] and photo["turned"] == 0
    assert photo["distance"] <= FACE_NEAR_DISTANCE and photo["picture"]
    assert "photo_in_other_claims" in _notes(view)
    back = _view(client, tokens, first)["related"]["claims"]
    assert [(c["id"], c["photo"]["by_face"]) for c in back] == [(second, True)]
    marked = client.get("/api/v1/claims?related=true",
                        headers=bearer(tokens["adjudicator"])).json["items"]  # fmt: skip
    assert {c["id"] for c in marked} == {first, second}


def _in_frame(u8, share: float, size=(3000, 4000)) -> bytes:
    """``u8`` scaled to ``share`` of a portrait frame's width (12 MP), centred on grey: a JPEG."""
    import cv2
    import numpy as np

    width, height = size
    w = round(width * share)
    u8 = cv2.resize(u8, (w, round(w * u8.shape[0] / u8.shape[1])), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((height, width, 3), 180, np.uint8)
    y0, x0 = (height - u8.shape[0]) // 2, (width - w) // 2
    canvas[y0 : y0 + u8.shape[0], x0 : x0 + w] = u8[:height]
    buf = io.BytesIO()
    Image.fromarray(canvas).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def test_a_stored_pictures_face_is_read_reduced_as_the_whole_picture_gives_it(
    landmarker, monkeypatch
):
    """claims.analysis.file_face, how a candidate's file (and in an upgrade, each stored
    photo) is read for its face: a 12 MP selfie decoded at a quarter of its size per side,
    once; a face a third as wide at a quarter, then at half (narrower than FILE_FACE_WIDTH at
    a quarter); a PNG whole. Each gives the face the whole picture gives (fingerprints 1 bit
    apart at most, detail correlated 0.95 or more). Before, every file was decoded whole."""
    import claims.analysis
    from calibration.colorimetry import rgb_lin_to_srgb_u8
    from claims.analysis import face_capture, file_face
    from tests.claims.conftest import face_jpeg
    from vision.fingerprint import face_correlation
    from vision.ingest import ingest_image
    from vision.testset import astronaut_face

    reads = []

    def ingest(data, **kw):
        image = ingest_image(data, **kw)
        reads.append(image.reduced)
        return image

    monkeypatch.setattr(claims.analysis, "ingest_image", ingest)
    head = rgb_lin_to_srgb_u8(astronaut_face(1.0))
    png = io.BytesIO()
    Image.open(io.BytesIO(face_jpeg())).save(png, "PNG")
    for data, decoded in ((_in_frame(head, 1.0), [4]), (_in_frame(head, 0.3), [4, 2]),
                          (png.getvalue(), [1])):  # fmt: skip
        reads.clear()
        face = file_face(data, landmarker)
        assert reads == decoded
        whole = ingest_image(data).rgb_lin
        (found, *_) = landmarker.detect(whole)
        ref = face_capture(whole, found)
        assert fingerprint_distance(face.fingerprint, ref.fingerprint) <= 1
        assert face_correlation(face.detail, ref.detail) >= 0.95


def test_another_persons_photo_sent_as_ones_photo_from_before_is_found_by_its_face(
    app, client, tokens
):
    """Shopper A's redness claim with her selfie (a held-out portrait); shopper B's pair, her
    own selfie and, as her photo from before, A's selfie cropped and smaller. The analysis
    does not compare B's pair (another person: baseline_other_person), yet B's photo from
    before is A's picture's face: B's claim lists A's by the face, from B's photo from before
    to A's photo, and A's lists B's. Before, a photo from before not compared got no face's
    fingerprint and the pair was not linked."""
    from tests.claims.conftest import face_jpeg
    from vision.people import people_photos

    (portrait,) = (p.path.read_bytes() for p in people_photos() if p.name == "obama.jpg")
    fields = {"type": "redness", "sku": "SERUM-RETINOL", "shade": None, "roi": None,
              "consent_health": "true"}  # fmt: skip
    first = file_claim(client, tokens["shopper"], key="a", order_ref="O-A", photo=portrait,
                       **fields).json["id"]  # fmt: skip
    second = file_claim(client, tokens["shopper_b"], key="b", order_ref="O-B",
                        photo=face_jpeg(), baseline=_cropped_and_turned(portrait),
                        **fields).json["id"]  # fmt: skip
    wait(app)
    view = _view(client, tokens, second)
    assert "baseline_other_person" in view["analysis"]["redness"]["quality"]["problems"]
    (item,) = view["related"]["claims"]
    photo = item["photo"]
    assert item["id"] == first and (photo["this"], photo["that"]) == ("baseline", "photo")
    assert photo["by_face"] and not photo["same_file"]
    back = _view(client, tokens, first)["related"]["claims"]
    assert [(c["id"], c["photo"]["by_face"]) for c in back] == [(second, True)]


def test_a_fault_in_the_face_search_does_not_hold_the_claims_result(app, client, tokens,
                                                                     monkeypatch):  # fmt: skip
    """The search for a photo's face among the stored pictures meets an error it does not
    expect (here, comparing two faces' detail): the claim's analysis is written all the same
    (ready), the pair not linked by the face. Before, the error left the claim "analyzing"."""
    import vision.fingerprint
    from tests.claims.conftest import face_jpeg

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(vision.fingerprint, "face_correlation", broken)
    selfie = face_jpeg()
    fields = {"type": "redness", "sku": "SERUM-RETINOL", "shade": None, "roi": None,
              "consent_health": "true"}  # fmt: skip
    ids = [file_claim(client, tokens[who], key=who, order_ref=f"O-{who}", photo=photo,
                      **fields).json["id"]
           for who, photo in (("shopper", selfie),
                              ("shopper_b", _cropped_and_turned(selfie)))]  # fmt: skip
    wait(app)
    for cid in ids:
        view = _view(client, tokens, cid)
        assert view["status"] == "ready" and not view.get("related"), view.get("related")


def test_a_mirrored_photo_from_before_gets_its_stored_files_face(landmarker):
    """A pair whose photo from before was saved mirrored: the analysis flips it back to
    compare it, but the face it records for the search is the stored file's, as a later read
    of that file gives it (0 bits apart). Before, it was captured from the picture flipped
    back with the file's landmarks: 29 bits from the file's face."""
    from calibration.colorimetry import rgb_lin_to_srgb_u8
    from claims.analysis import analyse_claim, file_face
    from vision.testset import astronaut_face, second_photo

    def jpeg(rgb_lin):
        out = io.BytesIO()
        Image.fromarray(rgb_lin_to_srgb_u8(rgb_lin)).save(out, "JPEG", quality=92)
        return out.getvalue()

    before = jpeg(second_photo(astronaut_face(2.5))[:, ::-1])
    a = analyse_claim("redness", jpeg(astronaut_face(2.5)), landmarker=landmarker,
                      baseline=before)  # fmt: skip
    assert "baseline_mirrored" in a.result["redness"]["quality"]["problems"]
    stored = file_face(before, landmarker)
    assert fingerprint_distance(a.faces["baseline"].fingerprint, stored.fingerprint) <= 1
