"""The other claims an adjudicator sees beside one: on the same order, and with the same picture.

Two patterns cost a shop money without a faulty product. A claim filed again on an order's
product that was refunded already (or rejected, and filed again hoping for another
adjudicator or another photo), and one photo sent for several claims: another shopper's, the
shop's own picture, or the same selfie blamed on two products. Neither shows in one claim.
:func:`related_claims` finds them: the claims on the same order (however its number was
typed: :func:`claims.catalog.order_key`), and those whose photo or photo from before is the
same picture as this claim's (the same file, or the same :mod:`vision.fingerprint` within
:data:`vision.fingerprint.NEAR_DISTANCE` bits: saved again, made smaller, recoloured,
mirrored, turned a quarter or upside down, or framed), among the claims on the same product
and the same shopper's (a bounded set however many claims the service holds), and anywhere
the same file (by its hash) or a picture sharing a band of the fingerprint of the picture
turned or flipped any way (every one within 4 bits, and most copies farther: 81 of 81
measured). A picture whose face is one picture's face with another's (cropped around it,
turned by any angle: :class:`claims.models.FaceMatch`, found by :func:`face_candidates` and
confirmed by the service as the analysis fingerprints the face) is the same picture too,
anywhere.

Those that :func:`weighs` says count make the policy say so, and the claim is never approved
automatically (claims/policy.py ``other_claims_on_order``, ``photo_in_other_claims``). A
shopper refiling as the service asked is not counted: after a failed analysis, a withdrawn
claim, or a decision that asked for more evidence (though the same photo sent again as that
evidence is).

:func:`link_claim` writes a claim's related claims down as it is filed (both ways), so that
:func:`related_marks` tells the review queue which of its claims have some without finding
them again for each; a claim's own view, its analysis and its decision find them afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from claims.models import Claim, ClaimLink, FaceMatch, Image, ImageBand, Shade, Sku, signed64
from claims.stats import OUTCOME_IN_FORCE, with_outcome
from vision.fingerprint import (
    BANDS,
    FACE_NEAR_DISTANCE,
    FINGERPRINT_BITS,
    NEAR_DISTANCE,
    NO_FINGERPRINTS,
    Fingerprints,
    Turn,
    fingerprint_bands,
    fingerprint_distance,
    fingerprint_variants,
    four_ways,
    mirrored_fingerprint,
)

__all__ = [
    "LINKS_VERSION",
    "NOT_LINKED",
    "RELATED_SHOWN",
    "ClaimRows",
    "claim_rows",
    "face_candidates",
    "find_links",
    "forget_picture",
    "index_face",
    "index_picture",
    "link_claim",
    "links_current",
    "product_claims",
    "record_face_match",
    "related_claims",
    "related_marks",
    "weighs",
]

#: the related claims a view lists, newest first (all are counted)
RELATED_SHOWN = 20
#: a fingerprint band's value shared by more stored pictures than this is not looked up
#: (:func:`_sharing_a_band`): under uniform bits, 8 192 values a band, a million pictures
#: share one about 120 times
COMMON_BAND = 500
#: a fingerprint's 64 bits, however it was stored (a BIGINT is signed)
MASK = 2**FINGERPRINT_BITS - 1
#: a claim in these states was not pursued: filing again is what the shopper was to do
NOT_PURSUED = ("failed", "withdrawn")
#: the search a claim's links are found by (claims.models.Claim.links_version): 1 a picture
#: as it is or mirrored (migration 0019); 2 turned a quarter or upside down too, and without
#: a plain frame (0020); 3 one picture's face too (0021: claims.models.FaceMatch); 4 the
#: face's fingerprint of its inner part (0022: vision.fingerprint.FACE_HASHED), which finds
#: a copy cropped to the face. A claim linked by an older one is searched again.
LINKS_VERSION = 4
#: the claims not linked yet, or linked by an older search (ClaimsService.link_stored_claims;
#: :func:`links_current` in SQL)
NOT_LINKED = Claim.links_version < LINKS_VERSION
#: the bands of a face's fingerprint are kept beside the picture's (claims.models.ImageBand),
#: numbered from here
FACE_BANDS = BANDS


def related_claims(session, claim: Claim) -> dict | None:
    """The claims related to ``claim``, or None when there are none.

    Returns
    -------
    dict
        ``claims``: up to :data:`RELATED_SHOWN`, newest first, each with its ``id``,
        ``type``, ``sku``, ``shade``, ``status``, ``outcome`` (the decision in force, or
        None), ``filed_at``, whether it is the same shopper's (``same_shopper``), on the same
        order (``same_order``) and product (``same_product``), ``photo`` (None, or which of
        this claim's pictures matched which of its: ``this``, ``that`` "photo" or "baseline",
        ``same_file``, ``mirrored`` and ``turned``: ``that`` is ``this`` mirrored (flipped
        left to right) or not, then turned clockwise by 0, 90, 180 or 270 degrees;
        ``distance`` in fingerprint bits (once turned so), ``by_face``: one picture's face
        (:class:`claims.models.FaceMatch`; cropped, or turned by any angle: ``turned`` 0 and
        ``distance`` the faces' fingerprints'), ``picture``: the URL of its picture pixelated,
        None once erased) and whether it ``counts``
        (:func:`weighs`); ``total``; ``counting``, how many count; ``order_claims`` and
        ``photo_claims``, those counting for each reason (one may count for both).
    """
    return _described(session, claim, find_links(session, claim))


@dataclass(frozen=True)
class ClaimRows:
    """Claims as :func:`find_links` reads them (:func:`_candidates`' rows) with their
    fingerprints as arrays (:func:`_fingerprints`), to compare with a claim's all at once:
    one by one, the eight turns of each took most of a search among a product's thousands of
    claims. A product's are read once for all of its claims when a store's claims are
    linked (:func:`product_claims`)."""

    rows: list
    ids: frozenset
    #: (n, 2) the photos' and photos' from before upright fingerprints, unsigned; known or not
    fingerprints: np.ndarray
    known: np.ndarray
    #: (n, 2, 4) their turned fingerprints' four ways (vision.fingerprint.four_ways); known or not
    turned: np.ndarray
    turned_known: np.ndarray
    #: an order key or a file's hash → the rows with it
    by_key: dict


def claim_rows(rows: list, *, index: bool = True) -> ClaimRows:
    """:class:`ClaimRows` of ``rows`` (:func:`_candidates`); ``index``: with ``by_key`` (for
    many claims' searches: one looks the keys up in the rows themselves)."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * 8
    by_key: dict[str, list[int]] = {}
    for k, keys in enumerate(zip(*columns[1:4], strict=True) if index else ()):
        for key in set(keys) - {"", None}:
            by_key.setdefault(key, []).append(k)
    fingerprints, known = _fingerprints(columns[4:6])
    turned, turned_known = _fingerprints(columns[6:8])
    return ClaimRows(rows, frozenset(columns[0]), fingerprints, known, four_ways(turned),
                     turned_known, by_key)  # fmt: skip


def product_claims(session, sku_id: int) -> ClaimRows:
    """The claims on the product ``sku_id``, for :func:`find_links` (:class:`ClaimRows`)."""
    return claim_rows(_read(session, _candidates(Claim.sku_id == sku_id)))


def _read(session, query) -> list:
    """The rows of ``query`` as the database gives them (without the ORM's processing of
    each: a third of the time to read a product's thousands)."""
    return session.connection().execute(query).all()


def _candidates(*where):
    """The claims ``where`` says, with what a match is made of: (id, order key, photo, photo
    from before, their upright fingerprints, their turned fingerprints)."""
    photo_img, base_img = aliased(Image), aliased(Image)
    return (select(Claim.id, Claim.order_key, Claim.photo_sha256,
                   Claim.baseline_sha256, photo_img.fingerprint, base_img.fingerprint,
                   photo_img.fingerprint_turned, base_img.fingerprint_turned)
            .outerjoin(photo_img, photo_img.sha256 == Claim.photo_sha256)
            .outerjoin(base_img, base_img.sha256 == Claim.baseline_sha256)
            .where(*where))  # fmt: skip


def find_links(
    session, claim: Claim, product: ClaimRows | None = None
) -> dict[str, tuple[bool, dict | None]]:
    """The claims related to ``claim``: id → (on the same order, the pictures' match), as
    :func:`link_claim` writes them down (found in a read, a writer need not wait while they
    are looked for). ``product``: :func:`product_claims` of its product, read already."""
    pictures = _pictures(session, claim)
    order = claim.order_key
    own = [sha for sha in (claim.photo_sha256, claim.baseline_sha256) if sha]
    faces = _face_matches(session, own)
    own += _sharing_a_band(session, [fp for pic in pictures for fp, _ in pic.variants])
    own += [other for _, other in faces]
    near = [Claim.shopper_id == claim.shopper_id,
            Claim.photo_sha256.in_(own), Claim.baseline_sha256.in_(own)]  # fmt: skip
    if product is None:
        near.append(Claim.sku_id == claim.sku_id)
    if order:
        near.append(Claim.order_key == order)
    rows = _read(session, _candidates(Claim.id != claim.id, or_(*near)))
    # of the rows, only those with a fingerprint near (all at once) or sharing the order or a
    # file are matched one by one
    mine = {pic.sha for pic in pictures} | {other for _, other in faces}
    if product is None:
        candidates, rest = claim_rows(rows, index=False), []
        look = {k for k, row in enumerate(rows)
                if (order and row[1] == order) or row[2] in mine or row[3] in mine}  # fmt: skip
    else:  # the product's rows, read once for all its claims, and the others
        candidates, rest = product, [row for row in rows if row[0] not in product.ids]
        look = {k for key in (order, *mine) for k in candidates.by_key.get(key, ())}
    look.update(np.flatnonzero(_near(pictures, candidates)).tolist())
    rows = [*(candidates.rows[k] for k in sorted(look)), *rest]
    found = {}  # claim id → (same order, photo match)
    for cid, other_order, photo, base, photo_fp, base_fp, photo_turned, base_turned in rows:
        if cid == claim.id:
            continue
        same_order = bool(order) and other_order == order
        theirs = [("photo", photo, Fingerprints(photo_fp, photo_turned)),
                  ("baseline", base, Fingerprints(base_fp, base_turned))]  # fmt: skip
        match = _best_match(pictures, theirs, faces)
        if same_order or match is not None:
            found[cid] = (same_order, match)
    return found


def _described(session, claim: Claim, found: dict) -> dict | None:
    """:func:`related_claims`' answer for the claims ``found`` (:func:`find_links`)."""
    if not found:
        return None
    # each found claim's few columns (a photo filed a thousand times lists a thousand) in one
    # query: its product's and shade's codes, the outcome in force, the pictures it holds
    others = session.execute(with_outcome(
        select(Claim.id, Claim.type, Claim.shopper_id, Claim.sku_id, Sku.code.label("sku"),
               Shade.code.label("shade"), Claim.status, Claim.created_at, Claim.artefacts,
               OUTCOME_IN_FORCE.label("outcome"))
        .join(Sku, Sku.id == Claim.sku_id).outerjoin(Shade, Shade.id == Claim.shade_id)
    ).where(Claim.id.in_(found))).all()  # fmt: skip
    items = []
    for other in sorted(others, key=lambda c: (c.created_at, c.id), reverse=True):
        same_order, match = found[other.id]
        item = {
            "id": other.id, "type": other.type, "sku": other.sku, "shade": other.shade,
            "status": other.status, "outcome": other.outcome,
            "filed_at": other.created_at.isoformat(),
            "same_shopper": other.shopper_id == claim.shopper_id, "same_order": same_order,
            "same_product": other.sku_id == claim.sku_id, "photo": match,
        }  # fmt: skip
        item["counts"] = weighs(item)
        if match is not None and len(items) < RELATED_SHOWN:  # its picture, pixelated, to
            kind = match["that"]  # compare with this claim's
            held = f"{kind}_pixelated" in (other.artefacts or {})
            match["picture"] = f"/api/v1/claims/{other.id}/{kind}.png" if held else None
        items.append(item)
    shown = items[:RELATED_SHOWN]
    counting = [i for i in items if i["counts"]]
    return {"claims": shown, "total": len(items), "counting": len(counting),
            "order_claims": sum(i["same_order"] and i["same_product"] for i in counting),
            "photo_claims": sum(i["photo"] is not None for i in counting)}  # fmt: skip


def link_claim(session, claim: Claim, found: dict | None = None) -> int:
    """Write down ``claim``'s related claims (:class:`claims.models.ClaimLink`, both ways) and
    mark it linked; returns how many it has. ``found``: :func:`find_links` read since the
    claim was committed (else they are found now). Run once its row is committed (as it is
    filed, and again for any claim not marked): of two claims filed at once, the second to be
    linked finds the first committed, so no pair is missed. A pair written already is left as
    it is (its two claims linked at once by two processes)."""
    if found is None:
        found = find_links(session, claim)
    rows = [row for other, (same_order, match) in found.items()
            for row in ({"claim_id": claim.id, "other_id": other, "same_order": same_order,
                         "same_picture": match is not None},
                        {"claim_id": other, "other_id": claim.id, "same_order": same_order,
                         "same_picture": match is not None})]  # fmt: skip
    if rows:  # in the key's order: two processes writing the same pairs do not deadlock
        rows.sort(key=lambda row: (row["claim_id"], row["other_id"]))
        dialect = {"sqlite": sqlite, "postgresql": postgresql}[session.get_bind().dialect.name]
        session.execute(dialect.insert(ClaimLink).on_conflict_do_nothing(), rows)
    claim.links_version = LINKS_VERSION
    return len(found)


def links_current(claim: Claim) -> bool:
    """Whether ``claim``'s related claims are written down by the current search
    (:data:`LINKS_VERSION`; not :data:`NOT_LINKED`)."""
    return claim.links_version >= LINKS_VERSION


def related_marks(session, claims: list[Claim]) -> dict[str, dict]:
    """For a page of ``claims`` (the review queue): claim id → ``total``, ``counting``,
    ``order_claims`` and ``photo_claims`` counted as :func:`related_claims` counts them, for
    those with related claims; read from their links (:func:`link_claim`), found now for a
    claim not linked yet (a linked claim does not see a claim related to it that is not:
    filed before links were kept and not reached yet by ClaimsService.link_stored_claims)."""
    pairs: dict[str, dict[str, tuple[bool, bool]]] = {}  # claim → other → (order, picture)
    linked = [c.id for c in claims if c.links_version]  # by this search or an older one
    for cid, other, same_order, same_picture in session.execute(
            select(ClaimLink.claim_id, ClaimLink.other_id, ClaimLink.same_order,
                   ClaimLink.same_picture).where(ClaimLink.claim_id.in_(linked))):  # fmt: skip
        pairs.setdefault(cid, {})[other] = (same_order, same_picture)
    for c in claims:
        if not c.links_version and (found := find_links(session, c)):
            pairs[c.id] = {other: (same_order, match is not None)
                           for other, (same_order, match) in found.items()}  # fmt: skip
    ids = {other for found in pairs.values() for other in found}
    others = {row.id: row for row in session.execute(with_outcome(
        select(Claim.id, Claim.shopper_id, Claim.sku_id, Claim.status,
               OUTCOME_IN_FORCE.label("outcome"))).where(Claim.id.in_(ids)))}  # fmt: skip
    marks = {}
    for c in claims:
        if c.id not in pairs:
            continue
        mark = {"total": len(pairs[c.id]), "counting": 0, "order_claims": 0, "photo_claims": 0}
        for other, (same_order, same_picture) in pairs[c.id].items():
            row = others[other]
            item = {"status": row.status, "outcome": row.outcome, "same_order": same_order,
                    "same_product": row.sku_id == c.sku_id,
                    "same_shopper": row.shopper_id == c.shopper_id,
                    "photo": True if same_picture else None}  # fmt: skip
            if weighs(item):
                mark["counting"] += 1
                mark["order_claims"] += same_order and item["same_product"]
                mark["photo_claims"] += same_picture
        marks[c.id] = mark
    return marks


def weighs(item: dict) -> bool:
    """Whether a related claim (an item of :func:`related_claims`) counts against the claim:
    one on the same order's product that was pursued (open, or decided otherwise than by
    asking for more evidence), or one sharing a picture, but the same shopper's claim on the
    same order and product that was not pursued (she filed again, as she was to)."""
    refiled = item["status"] in NOT_PURSUED or item["outcome"] == "request_evidence"
    if item["same_order"] and item["same_product"] and not refiled:
        return True
    if item["photo"] is None:
        return False
    return not (item["same_shopper"] and item["same_order"] and item["same_product"]
                and item["status"] in NOT_PURSUED)  # fmt: skip


def index_picture(session, sha: str, fingerprints: Fingerprints) -> None:
    """Give the stored picture ``sha`` its ``fingerprints`` (vision.fingerprint; either None:
    none) and the bands its upright one is found by (:class:`claims.models.ImageBand`; a
    search looks up those of its own picture turned every way), in place of any it had (its
    face's kept: :func:`index_face`)."""
    session.execute(delete(ImageBand).where(ImageBand.sha256 == sha,
                                            ImageBand.band < FACE_BANDS))  # fmt: skip
    image = session.get(Image, sha)
    image.fingerprint, image.fingerprint_turned = map(signed64, fingerprints)
    image.fingerprinted = True
    if fingerprints.upright is not None:
        session.add_all(ImageBand(band=b, value=v, sha256=sha)
                        for b, v in fingerprint_bands(fingerprints.upright))  # fmt: skip


def index_face(session, sha: str, face: int | None) -> None:
    """Give the stored picture ``sha`` its face's fingerprint (vision.fingerprint
    .face_fingerprint; None: no face) and the bands it is found by
    (:func:`face_candidates`), numbered from :data:`FACE_BANDS`, in place of any it had."""
    session.execute(delete(ImageBand).where(ImageBand.sha256 == sha,
                                            ImageBand.band >= FACE_BANDS))  # fmt: skip
    image = session.get(Image, sha)
    image.face_fingerprint, image.face_printed = signed64(face), True
    if face is not None:
        session.add_all(ImageBand(band=FACE_BANDS + b, value=v, sha256=sha)
                        for b, v in fingerprint_bands(face))  # fmt: skip


def face_candidates(session, sha: str, face: int) -> list[tuple[str, int, bool]]:
    """The stored pictures, not erased, whose face may be the face ``face`` of the picture
    ``sha`` (vision.fingerprint.face_fingerprint): within
    :data:`vision.fingerprint.FACE_NEAR_DISTANCE` as they are or mirrored; among the
    pictures of the claims on the products and of the shoppers of the claims holding ``sha``
    (read whole), and anywhere through the bands of both ways (every one within 4 bits, most
    farther: 63 % at 8 bits); (sha256, distance, mirrored), nearest first, without those
    matched already. Faces are alike: which of them show this picture's face the service
    decides by their detail (vision.fingerprint.face_correlation,
    :func:`record_face_match`)."""
    ways = ((False, face & MASK), (True, mirrored_fingerprint(face)))
    keys = {(FACE_BANDS + b, v) for _, fp in ways for b, v in fingerprint_bands(fp)}
    holding = or_(Claim.photo_sha256 == sha, Claim.baseline_sha256 == sha)
    beside = or_(Claim.sku_id.in_(select(Claim.sku_id).where(holding)),
                 Claim.shopper_id.in_(select(Claim.shopper_id).where(holding)))  # fmt: skip
    rows = session.execute(select(Image.sha256, Image.face_fingerprint).where(
        Image.face_fingerprint.is_not(None), Image.sha256 != sha, Image.erased_at.is_(None),
        Image.sha256.not_in(select(FaceMatch.other_sha256).where(FaceMatch.sha256 == sha)),
        or_(Image.sha256.in_(select(ImageBand.sha256).where(or_(
                *(and_(ImageBand.band == b, ImageBand.value == v) for b, v in keys)))),
            Image.sha256.in_(select(Claim.photo_sha256).where(beside)),
            Image.sha256.in_(select(Claim.baseline_sha256).where(beside))))).all()  # fmt: skip
    out = []
    for other, other_face in rows:
        distance, mirrored = min((fingerprint_distance(fp, other_face), mirrored)
                                 for mirrored, fp in ways)  # fmt: skip
        if distance <= FACE_NEAR_DISTANCE:
            out.append((other, distance, mirrored))
    return sorted(out, key=lambda c: c[1])


def record_face_match(session, sha: str, other: str, *, distance: int, mirrored: bool,
                      correlation: float) -> None:  # fmt: skip
    """Write down that the pictures ``sha`` and ``other`` show one picture's face (both
    ways; a pair written already is left as it is)."""
    dialect = {"sqlite": sqlite, "postgresql": postgresql}[session.get_bind().dialect.name]
    rows = [{"sha256": a, "other_sha256": b, "distance": distance, "mirrored": mirrored,
             "correlation": correlation}
            for a, b in sorted([(sha, other), (other, sha)])]  # fmt: skip
    session.execute(dialect.insert(FaceMatch).on_conflict_do_nothing(), rows)


def _face_matches(session, shas: list[str]) -> dict[tuple[str, str], tuple[int, bool]]:
    """(one of ``shas``, a picture showing its face) → (distance, mirrored)
    (:class:`claims.models.FaceMatch`)."""
    if not shas:
        return {}
    return {(a, b): (distance, mirrored) for a, b, distance, mirrored in session.execute(
        select(FaceMatch.sha256, FaceMatch.other_sha256, FaceMatch.distance,
               FaceMatch.mirrored).where(FaceMatch.sha256.in_(shas)))}  # fmt: skip


def forget_picture(session, sha: str, replaced_by: str | None = None) -> None:
    """The bands of a picture whose row goes (its file replaced by a stripped copy,
    ``replaced_by``: its face's matches are that one's now)."""
    session.execute(delete(ImageBand).where(ImageBand.sha256 == sha))
    matches = session.execute(select(FaceMatch).where(
        or_(FaceMatch.sha256 == sha, FaceMatch.other_sha256 == sha))).scalars().all()  # fmt: skip
    for m in matches:
        session.delete(m)
    session.flush()
    for m in matches if replaced_by else ():
        a, b = (replaced_by, m.other_sha256) if m.sha256 == sha else (m.sha256, replaced_by)
        if a != b:
            record_face_match(session, a, b, distance=m.distance, mirrored=m.mirrored,
                              correlation=m.correlation)  # fmt: skip


def _sharing_a_band(session, fingerprints: list[int]) -> list[str]:
    """The stored pictures sharing a band with one of ``fingerprints``: every one within 4
    bits, and most copies farther (vision.fingerprint.fingerprint_bands), among all the
    service holds. A band value more than :data:`COMMON_BAND` pictures share says little of
    a picture and would read many: left out (the product's and the shopper's claims are
    read whole anyway)."""
    keys = {key for fp in fingerprints for key in fingerprint_bands(fp)}
    if not keys:
        return []

    def any_of(pairs):  # a band's values at once, each a seek of the key (SQLite scans the
        values: dict[int, list[int]] = {}  # whole key for a row-value IN; an expression a key,
        for b, v in sorted(pairs):  # for two pictures' 8 turns' 80 keys: 7-10 ms, against 2)
            values.setdefault(b, []).append(v)
        return or_(*(and_(ImageBand.band == b, ImageBand.value.in_(vs))
                     for b, vs in values.items()))  # fmt: skip

    shared = session.execute(
        select(ImageBand.band, ImageBand.value, func.count())
        .where(any_of(keys)).group_by(ImageBand.band, ImageBand.value)
    ).all()  # fmt: skip
    telling = [(b, v) for b, v, n in shared if n <= COMMON_BAND]
    if not telling:
        return []
    return list(session.execute(
        select(ImageBand.sha256).distinct().where(any_of(telling))).scalars())  # fmt: skip


class _Picture(NamedTuple):
    """One of a claim's pictures as its search compares it (:func:`_pictures`)."""

    which: str  # "photo" or "baseline"
    sha: str
    #: its upright fingerprint, as stored (signed), or None
    upright: int | None
    #: its fingerprints turned and flipped every way (vision.fingerprint.fingerprint_variants)
    variants: list[tuple[int, Turn]]


def _pictures(session, claim) -> list[_Picture]:
    """``claim``'s photo and photo from before (:class:`_Picture`)."""
    shas = {"photo": claim.photo_sha256, "baseline": claim.baseline_sha256}
    prints = {sha: Fingerprints(upright, turned) for sha, upright, turned in session.execute(
        select(Image.sha256, Image.fingerprint, Image.fingerprint_turned).where(
            Image.sha256.in_([sha for sha in shas.values() if sha])))}  # fmt: skip
    return [_Picture(which, sha, fps.upright, fingerprint_variants(fps))
            for which, sha in shas.items() if sha
            for fps in [prints.get(sha, NO_FINGERPRINTS)]]  # fmt: skip


def _fingerprints(columns) -> tuple[np.ndarray, np.ndarray]:
    """The photos' and photos' from before fingerprints, two ``columns`` of rows
    (:func:`_candidates`; as stored, signed 64-bit): (n, 2) unsigned 64-bit, and whether each
    is known. Read a column at a time (a row's item costs more than a tuple's)."""
    known = np.array([[fp is not None for fp in column] for column in columns], bool).T
    stored = [[0 if fp is None else fp for fp in column] for column in columns]
    return np.array(stored, np.int64).T.view(np.uint64).reshape(-1, 2), known.reshape(-1, 2)


def _near(pictures: list[_Picture], product: ClaimRows) -> np.ndarray:
    """Which of ``product``'s rows hold a picture whose fingerprint is within
    :data:`NEAR_DISTANCE` of one of ``pictures``', turned or flipped any way
    (:func:`_closest`): all at once, where :func:`_best_match` row by row took most of a
    search among a product's thousands of claims."""
    near = np.zeros(len(product.rows), bool)
    mine = np.array([fp for pic in pictures for fp, _ in pic.variants], np.uint64)
    if len(mine) and len(near):
        apart = np.bitwise_count(product.fingerprints[:, :, None] ^ mine[None, None, :])
        near |= ((apart <= NEAR_DISTANCE) & product.known[:, :, None]).any(axis=(1, 2))
    upright = np.array([pic.upright & MASK for pic in pictures if pic.upright is not None],
                       np.uint64)  # fmt: skip
    if len(upright) and len(near):
        apart = np.bitwise_count(product.turned[..., None] ^ upright)
        near |= ((apart <= NEAR_DISTANCE) & product.turned_known[:, :, None, None]).any(
            axis=(1, 2, 3))  # fmt: skip
    return near


def _best_match(mine: list[_Picture], theirs, faces=None) -> dict | None:
    """The closest pair of one of ``mine`` (:func:`_pictures`) and one of ``theirs`` (which,
    sha256, Fingerprints) that are the same picture (the same file, or fingerprints within
    :data:`NEAR_DISTANCE`, turned or flipped any way: :func:`_closest`), or else that show one
    picture's face (``faces``: :func:`_face_matches`); or None."""
    best = by_face = None
    for this, sha, upright, variants in mine:
        for that, other_sha, prints in theirs:
            if other_sha is None:
                continue
            if sha == other_sha:
                distance, turn = 0, Turn(False, 0)
            else:
                distance, turn = _closest(upright, variants, prints)
            if distance <= NEAR_DISTANCE and (best is None or distance < best["distance"]):
                best = {"this": this, "that": that, "same_file": sha == other_sha,
                        "mirrored": turn.mirrored, "turned": turn.degrees,
                        "distance": distance, "by_face": False}  # fmt: skip
            face = (faces or {}).get((sha, other_sha))
            if face is not None and (by_face is None or face[0] < by_face["distance"]):
                by_face = {"this": this, "that": that, "same_file": False, "mirrored": face[1],
                           "turned": 0, "distance": face[0], "by_face": True}  # fmt: skip
    return best or by_face


def _closest(upright, variants, theirs: Fingerprints) -> tuple[int, Turn | None]:
    """How far one picture (its ``upright`` fingerprint and its ``variants``) is from another
    (``theirs``), the closer of the two ways of looking: this picture turned every way
    against the other upright, and the other turned a quarter against this one upright (the
    other's upright four ways are this one's: the same distances). Returns the distance and
    the :class:`Turn` that makes this picture the other (None, and more than 64 bits, when
    one has no fingerprint). Either picture's two fingerprints give the same answer, so the
    two claims' searches find each other."""
    best = (FINGERPRINT_BITS + 1, None)
    if theirs.upright is not None:
        for fp, turn in variants:
            if (distance := fingerprint_distance(fp, theirs.upright)) < best[0]:
                best = (distance, turn)
    if upright is not None:
        for fp, turn in fingerprint_variants(Fingerprints(None, theirs.turned)):
            if (distance := fingerprint_distance(fp, upright)) < best[0]:
                best = (distance, turn.inverse())
    return best
