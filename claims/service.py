"""The claims service: every operation a user can ask for, each one transaction.

Each operation authorises first (:func:`claims.auth.authorize`), changes the store, and
appends its audit entry in the same transaction, so a change and its record commit or fail
together. Files are written content-addressed before the transaction and removed again when
it fails, so nothing is left half-written.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import random
import re
import secrets
import threading
import uuid
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import defer

from calibration.colorimetry import delta_e00
from calibration.errors import InvalidImageError, InvalidInputError
from calibration.region import roi_numbers
from claims import audit
from claims.analysis import CLAIM_ANALYSIS_VERSION, AnalysisFailed, analyse_claim, file_face
from claims.auth import PERMISSIONS, Principal, authorize, token_sha256
from claims.catalog import (
    MAX_CODE_TEXT,
    add_calibration,
    batch_key,
    batch_listed,
    calibration_history,
    check_shade_code,
    find_shade,
    find_sku,
    get_brand,
    ingredient_flags,
    latest_calibration,
    order_key,
    shade_listing,
    upsert_sku,
)
from claims.consent import NOTICE_SHA256, NOTICE_VERSION, PURPOSE
from claims.errors import (
    ConsentRequired,
    IdempotencyConflict,
    NotFound,
    RateLimited,
    StateConflict,
)
from claims.models import (
    CLAIM_TYPES,
    Alert,
    Appeal,
    AuditEntry,
    Brand,
    Claim,
    ClaimLink,
    Consent,
    Decision,
    Image,
    Job,
    RevealGrant,
    Shade,
    Sku,
    User,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from claims.policy import OUTCOMES, REASON_CODES, decision_problem, suggest
from claims.related import (
    NOT_LINKED,
    face_candidates,
    find_links,
    forget_picture,
    index_face,
    index_picture,
    link_claim,
    links_current,
    product_claims,
    record_face_match,
    related_claims,
    related_marks,
)
from claims.reports import body_sha256, report_body, sign_report, verify_report
from claims.stats import batch_context

__all__ = ["ClaimsService", "ServiceConfig"]

log = logging.getLogger("hueproof.claims")

SYSTEM_ACTOR = "system"
#: The largest page start a claims list takes (a larger one overflowed the database's
#: integers: a 500).
MAX_OFFSET = 10**9
#: Shades one CSV may calibrate at once.
MAX_SHADES_AT_ONCE = 500
#: A reason for viewing a raw photo: at least 10 characters between its first and last that
#: are not blanks (explicit classes: the OpenAPI document states the same pattern, and a
#: client's regular expressions read Python's ``\s`` otherwise).
REVEAL_REASON = re.compile(r"[^ \t\n\r][\s\S]{8,}[^ \t\n\r]")
#: an appeal's statement: as a reveal's reason, at least 10 characters not blank at either end
STATEMENT = REVEAL_REASON
#: How long an adjudicator's hold on a claim lasts unless renewed (the review page renews it
#: while the claim is open): one who walked away holds nothing for long.
HOLD = dt.timedelta(minutes=10)
#: the outcomes a shopper may appeal: a refund is all she asked for; evidence asked for is
#: given by filing again (the page fills the form in); an escalated claim is decided elsewhere
APPEALABLE = ("reject", "approve_price_difference", "approve_replacement")
#: why an outcome cannot be appealed, in the refusal's words
NOT_APPEALABLE = {
    "approve_refund": "the claim was approved with a refund; there is nothing to appeal",
    "request_evidence": "the decision asked for more evidence: file the claim again with it",
    "escalate": "the claim was escalated and is decided outside this service",
}
#: A running job not finished after this long is taken to be abandoned (its worker stopped).
JOB_LEASE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class ServiceConfig:
    """Limits and periods (``create_app`` fills them from the Flask config)."""

    reveal_seconds: int = 300
    reveal_alert_per_hour: int = 10
    #: claims one shopper may file in an hour (0: no limit); more answer 429 with Retry-After,
    #: so that one account (or a script with its token) cannot flood everyone's queue
    claims_per_hour: int = 20
    purge_after_days: int = 30
    #: a decision may be appealed this many days after it was made
    appeal_days: int = 30
    stats_min_cell: int = 5
    redness_cluster_claims: int = 3
    redness_cluster_hours: int = 72
    max_image_bytes: int = 40 * 2**20
    max_image_pixels: int = 64_000_000
    #: seconds before a webhook delivery's first retry (claims/webhooks.py RETRY_BASE)
    webhook_retry_base: float = 30.0


def _parse_roi(text):
    if text in (None, ""):
        return None
    values = roi_numbers(text)
    if values is None or values[2] <= 0 or values[3] <= 0 or min(values[:2]) < 0:
        raise InvalidInputError(f"expected roi as X,Y,W,H with W, H > 0; got {text!r}")
    return list(values)


#: a claim's row locked for a change that keeps its id (``SELECT … FOR NO KEY UPDATE``): a row
#: inserted elsewhere that refers to the claim (a link, claims/related.py) takes a key-share
#: lock on it, which ``FOR UPDATE`` would refuse; two processes linking two related claims
#: at once, each holding its own claim, then waited for each other (a deadlock, PostgreSQL)
KEEPING_ITS_KEY = {"key_share": True}


def _get_claim(session, claim_id, *, lock=False) -> Claim | None:
    """The claim (None for an id that is no text); with ``lock``, its row locked until the
    transaction ends (``SELECT … FOR NO KEY UPDATE``: :data:`KEEPING_ITS_KEY`; SQLite's
    write transactions are serial already). Each change of a claim's state reads and writes
    under the lock: without it, on PostgreSQL, two adjudicators deciding one claim at once
    both passed the status check (the second then failed on the decisions' unique key: a
    500), and an analysis finishing beside a withdrawal could make the withdrawn claim ready
    again."""
    if not isinstance(claim_id, str):
        return None
    return session.get(Claim, claim_id, with_for_update=KEEPING_ITS_KEY if lock else None)


def _by_key(session, principal, key) -> Claim | None:
    """The shopper's claim filed under Idempotency-Key ``key``, if any."""
    return session.execute(
        select(Claim).where(Claim.shopper_id == principal.id, Claim.idempotency_key == key)
    ).scalar()


def _rows_for_views(session, page: list[Claim]):
    """What the views of a page of claims read, in five queries: (the products, brands,
    shades and consents, to hold while the views are made; the decisions by claim id, without
    their reports). The session's identity map holds rows weakly: one product's row was read
    again for each of its claims, 450 reads for a page of 50."""
    held = list(session.scalars(select(Sku).where(Sku.id.in_({c.sku_id for c in page}))))
    held += session.scalars(select(Brand).where(Brand.id.in_({k.brand_id for k in held})))
    held += session.scalars(
        select(Shade).where(Shade.id.in_({c.shade_id for c in page if c.shade_id}))
    )
    held += session.scalars(select(Consent).where(Consent.id.in_({c.consent_id for c in page})))
    ids = [c.id for c in page]
    no_report = select(Decision).options(defer(Decision.report))
    decisions = {d.claim_id: d for d in session.scalars(
        no_report.where(Decision.claim_id.in_(ids)))}  # fmt: skip
    appeals = {a.claim_id: a for a in session.scalars(
        select(Appeal).options(defer(Appeal.report)).where(Appeal.claim_id.in_(ids)))}  # fmt: skip
    return held, (decisions, appeals)


def _sku_view(brand, sku) -> dict:
    """A product as its brand sees it: name, ingredients (those known to irritate flagged)
    and the batch codes it lists."""
    return {"brand": brand.slug, "sku": sku.code, "name": sku.name,
            "ingredients": sku.ingredients,
            "flagged_ingredients": ingredient_flags(sku.ingredients),
            "batches": sku.batches or []}  # fmt: skip


def _suggestion(claim, sku, brand, same_batch=None, related=None) -> dict | None:
    """The policy's suggestion for ``claim`` (claims.policy.suggest), the product's batch
    codes weighed: one the brand does not list is said and never approved automatically; so
    are the ``related`` claims that count (claims.related.related_claims)."""
    unlisted = claim.batch if batch_listed(sku, claim.batch) is False else None
    return suggest(claim.type, claim.analysis, brand.policy, same_batch, unlisted, related)


def _decision_of(session, claim) -> Decision | None:
    return session.execute(select(Decision).where(Decision.claim_id == claim.id)).scalar()


def _appeal_of(session, claim) -> Appeal | None:
    return session.execute(select(Appeal).where(Appeal.claim_id == claim.id)).scalar()


def _decision_view(decision, appeal=None) -> dict:
    """A decision as a claim's view shows it: ``decision``'s, or its ``appeal``'s once that
    is decided (never automatic)."""
    if appeal is not None and appeal.decided_at is not None:
        return {"outcome": appeal.outcome, "reason_code": appeal.reason_code, "automatic": False,
                "decided_at": appeal.decided_at.isoformat(), "note": appeal.note,
                "on_appeal": True}  # fmt: skip
    return {"outcome": decision.outcome, "reason_code": decision.reason_code,
            "automatic": decision.automatic, "decided_at": decision.created_at.isoformat(),
            "note": decision.note, "on_appeal": False}  # fmt: skip


def _held_by_another(claim, principal, now=None) -> bool:
    now = now or utcnow()
    return (claim.held_by is not None and claim.held_by != principal.id
            and claim.held_until is not None and claim.held_until > now)  # fmt: skip


def _hold_view(claim, principal) -> dict | None:
    """A live hold on ``claim``: whether it is the asker's, and until when."""
    if claim.held_by is None or claim.held_until is None or claim.held_until <= utcnow():
        return None
    return {"mine": claim.held_by == principal.id, "until": claim.held_until.isoformat()}


def _int_id(value) -> int:
    """A numeric id from a URL (0, which no row has, for anything else)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _delivery_view(d) -> dict:
    def iso(t):
        return None if t is None else t.isoformat()

    return {"id": d.id, "event": d.event, "claim_id": d.claim_id, "attempts": d.attempts,
            "created_at": iso(d.created_at), "next_attempt_at": iso(d.next_attempt_at),
            "delivered_at": iso(d.delivered_at), "failed_at": iso(d.failed_at),
            "last_error": d.last_error or None,
            "state": "delivered" if d.delivered_at else "failed" if d.failed_at
            else "pending"}  # fmt: skip


#: the stored pictures to fingerprint from their files (ClaimsService.fingerprint_stored_photos):
#: not fingerprinted yet, or not since their second fingerprint was taken; an erased one's file
#: is gone (it keeps what it had)
NOT_FINGERPRINTED = and_(Image.fingerprinted.is_(False), Image.erased_at.is_(None))


#: a face's candidates read from their files (ClaimsService._index_face), the nearest first:
#: each costs 0.3-0.6 s for a 12 MP photo, and a picture sent many times (in many copies, each
#: near the others) would have each new copy read all the others
FACE_CANDIDATES_READ = 8
#: the stored pictures whose face to fingerprint from their files
#: (ClaimsService.face_print_stored_photos): stored before faces were (migration 0021)
NOT_FACE_PRINTED = and_(Image.face_printed.is_(False), Image.erased_at.is_(None))


def _each_picture(todo: list[str], read, report: dict, stop) -> dict:
    """``read`` each stored picture of ``todo`` in a random order (processes at it at once
    share the work), until ``stop`` is set; ``report`` counts what each gave ("failed: WHY"
    kept by sha256)."""
    random.shuffle(todo)
    for sha in todo:
        if stop is not None and stop.is_set():
            break
        done = read(sha)
        if done.startswith("failed: "):
            report["failed"][sha] = done.removeprefix("failed: ")
        elif done in report:
            report[done] += 1
    return report


def _waiting_for_prints(image: Image | None) -> bool:
    """Whether the stored picture ``image`` is one :data:`NOT_FINGERPRINTED` says."""
    return image is not None and not image.fingerprinted and image.erased_at is None


def _hex64(fingerprint: int | None) -> str | None:
    """A fingerprint as stored (a signed 64-bit integer) in 16 hex digits, or None."""
    return None if fingerprint is None else f"{fingerprint & (2**64 - 1):016x}"


def _truthy(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


@dataclass
class ClaimsService:
    """The domain operations over one :class:`claims.db.Store`.

    ``landmarker`` is the shared face landmarker used by analysis jobs; ``submit`` hands a
    claim id to the worker pool (the embedded default) once its transaction committed;
    ``on_event`` is called once a transaction that wrote webhook deliveries committed (it
    wakes the embedded pool's sender).
    """

    store: object
    keys: object
    config: ServiceConfig = field(default_factory=ServiceConfig)
    landmarker: object = None
    submit: object = None
    on_event: object = None
    _filing: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # ---- claims -------------------------------------------------------------------------

    def file_claim(self, principal: Principal | None, form: dict, photo: bytes | None,
                   baseline: bytes | None, idempotency_key: str | None):  # fmt: skip
        """File a claim; returns (view, created). Same key and request: the same claim."""
        from vision.ingest import check_image

        authorize(principal, "claims.create")
        if not idempotency_key or len(idempotency_key) > 200:
            raise InvalidInputError("expected an Idempotency-Key header of 1-200 characters")
        with self.store.read() as s:  # before the photos are read: a refusal costs nothing
            if _by_key(s, principal, idempotency_key) is None:  # a replay is never refused
                self._check_filing_rate(s, principal)
        claim_type = form.get("type")
        if claim_type not in CLAIM_TYPES:
            raise InvalidInputError(f"expected type one of {list(CLAIM_TYPES)}; got {claim_type!r}")
        sku_code = (form.get("sku") or "").strip()
        if not sku_code:
            raise InvalidInputError("expected a 'sku' field")
        shade_code = (form.get("shade") or "").strip() or None
        for name, what in (("order_ref", "an order number"), ("batch", "a batch code")):
            typed = (form.get(name) or "").strip()
            if len(typed) > MAX_CODE_TEXT:  # stored whole or refused, never cut short
                raise InvalidInputError(f"expected {what} ({name}) of at most {MAX_CODE_TEXT} "
                                        f"characters; got {len(typed)}")  # fmt: skip
        if claim_type == "shade" and not shade_code:
            raise InvalidInputError("a shade claim needs a 'shade' field")
        if photo is None:
            raise InvalidInputError("expected a multipart file field 'photo'")
        roi = _parse_roi(form.get("roi"))
        if form.get("consent_version") != NOTICE_VERSION:
            raise ConsentRequired(
                f"expected consent to notice version {NOTICE_VERSION} (GET /api/v1/consent); "
                f"got {form.get('consent_version')!r}"
            )
        facial, health = _truthy(form.get("consent_facial")), _truthy(form.get("consent_health"))
        if not facial:
            raise ConsentRequired("photos may show a face: consent_facial=true is required")
        if claim_type == "redness" and not health:
            raise ConsentRequired("a redness claim is health data: consent_health=true is required")
        limits = dict(
            max_bytes=self.config.max_image_bytes, max_pixels=self.config.max_image_pixels
        )
        # checked and stored now (without their metadata: vision/metadata.py), decoded for
        # analysis by the worker: no float image here
        images = [check_image(photo, **limits)]
        if baseline is not None:
            images.append(check_image(baseline, **limits))
        if roi is not None:
            x, y, w, h = roi
            if x + w > images[0].width or y + h > images[0].height:
                size = f"{images[0].width}x{images[0].height}"
                raise InvalidInputError(f"expected roi inside the {size} photo; got "
                                        f"{form.get('roi')!r}")  # fmt: skip
        fields = {
            "type": claim_type, "sku": sku_code, "shade": shade_code,
            "brand": form.get("brand") or None,
            "order_ref": (form.get("order_ref") or "").strip(),
            "batch": (form.get("batch") or "").strip(), "roi": roi,
            "consent_version": NOTICE_VERSION,
            "consent_facial": facial, "consent_health": health,
            "photo_sha256": images[0].sha256,
            "baseline_sha256": images[1].sha256 if baseline is not None else None,
        }  # fmt: skip
        request_sha = audit.sha256_hex(audit.canonical(fields))
        existing = self._idempotent(principal, idempotency_key, request_sha)
        if existing is not None:
            return existing, False
        with self.store.read() as s:  # refuse unknown products before any file is written
            brand = get_brand(s, fields["brand"]) if fields["brand"] else None
            sku = find_sku(s, sku_code, brand)
            if shade_code:
                find_shade(s, sku, shade_code)
        with self._filing:
            new_files = [im.sha256 for im in images if not self.store.blobs.exists(im.sha256)]
            for im in images:
                self.store.blobs.put(im.stored)
            insert = functools.partial(self._insert_claim, principal, fields, images,
                                       idempotency_key, request_sha)  # fmt: skip
            try:
                view, claim_id = insert()
            except IntegrityError:  # another process filed the same new photo at the same
                # instant (PostgreSQL; one process files one at a time), or this request, and
                # its rows came first: this one is filed again, and finds them
                existing = self._idempotent(principal, idempotency_key, request_sha)
                if existing is not None:
                    return existing, False
                try:
                    view, claim_id = insert()
                except Exception:
                    self._forget_files(new_files)
                    raise
            except Exception:
                self._forget_files(new_files)  # nothing half-written
                existing = self._idempotent(principal, idempotency_key, request_sha)
                if existing is not None:  # a concurrent duplicate won the race
                    return existing, False
                raise
        try:
            self._link(claim_id)  # once committed: see claims.related.link_claim
        except SQLAlchemyError:  # the claim is filed: its analysis links it
            log.exception("claim %s filed, not linked to its related claims yet", claim_id)
        if self.submit is not None:
            self.submit(claim_id)
        return view, True

    def _link(self, claim_id: str, product=None, *, again: bool = False) -> bool:
        """Write down the claim's related claims unless done (claims.related.link_claim):
        found in a read, written in a short write (SQLite's writers wait for one another).
        ``product``: the claims on its product, read already (claims.related.product_claims);
        ``again``: searched again though done (its analysis has found its faces)."""
        with self.store.read() as s:
            claim = s.get(Claim, claim_id)
            if claim is None or (links_current(claim) and not again):
                return False
            waiting = [sha for sha in (claim.photo_sha256, claim.baseline_sha256)
                       if sha and _waiting_for_prints(s.get(Image, sha))]  # fmt: skip
            found = None if waiting else find_links(s, claim, product)
        if waiting:  # its pictures fingerprinted first (another process is at them), then
            for sha in waiting:  # it is searched (a filing's are: one read, as before)
                self._fingerprint_stored(sha)
            with self.store.read() as s:
                found = find_links(s, s.get(Claim, claim_id), product)
        with self.store.write() as s:
            claim = s.get(Claim, claim_id, with_for_update=KEEPING_ITS_KEY)
            if links_current(claim) and not again:  # by another process meanwhile
                return False
            link_claim(s, claim, found)
            return True

    def unlinked_claims(self) -> int:
        """How many claims are not linked yet, or were linked by an older search than
        :data:`claims.related.LINKS_VERSION` (:meth:`link_stored_claims`)."""
        with self.store.read() as s:
            return s.scalar(select(func.count()).where(NOT_LINKED))

    def link_stored_claims(self, stop: threading.Event | None = None) -> int:
        """Link the claims not linked yet (filed before links were kept: migration 0019; or
        left by a process stopped between a filing's commit and its linking), and search again
        those linked by an older search (0020: their links kept, those found added), one
        transaction each; returns how many it linked. Safe to run in several processes at
        once and while claims are filed: each takes them in its own random order and skips
        those another linked meanwhile, so that web processes starting together share the
        work rather than each search every claim. ``stop`` set ends it between two claims.
        Until a claim is linked, the queue finds its related claims as it lists it (and
        reads the links of one linked by an older search). A product's claims are read once
        for all of its claims to link (a claim filed on it meanwhile links itself to them as
        it is filed). A claim's pictures not fingerprinted yet (:meth:`fingerprint_stored_photos`)
        are first."""
        by_product: dict[int, list[str]] = {}
        with self.store.read() as s:
            for claim_id, sku_id in s.execute(select(Claim.id, Claim.sku_id).where(NOT_LINKED)):
                by_product.setdefault(sku_id, []).append(claim_id)
        products = list(by_product)
        random.shuffle(products)
        done = 0
        for sku_id in products:
            with self.store.read() as s:
                product = product_claims(s, sku_id)
            todo = by_product[sku_id]
            random.shuffle(todo)
            for claim_id in todo:
                if stop is not None and stop.is_set():
                    return done
                done += self._link(claim_id, product)
        return done

    def _forget_files(self, shas):
        """Delete files written for a filing that failed, unless a stored claim uses them."""
        with self.store.read() as s:
            for sha in shas:
                if s.get(Image, sha) is None:
                    self.store.blobs.delete(sha)

    def _check_filing_rate(self, session, principal, *, lock=False):
        """Refuse a claim beyond :attr:`ServiceConfig.claims_per_hour` for this shopper
        (``lock``: the shopper's row held, so that claims filed at once are counted one by
        one)."""
        limit = self.config.claims_per_hour
        if limit <= 0:
            return
        if lock:
            session.get(User, principal.id, with_for_update=True)
        since = utcnow() - dt.timedelta(hours=1)
        recent = session.execute(select(Claim.created_at).where(
            Claim.shopper_id == principal.id, Claim.created_at >= since
        ).order_by(Claim.created_at)).scalars().all()  # fmt: skip
        if len(recent) >= limit:
            oldest = recent[len(recent) - limit]
            wait = max(1, math.ceil((oldest - since).total_seconds()))
            raise RateLimited(f"at most {limit} claims an hour may be filed; the next one in "
                              f"{wait} s (Retry-After)", wait)  # fmt: skip

    def _insert_claim(self, principal, fields, images, idempotency_key, request_sha):
        facial, health = fields["consent_facial"], fields["consent_health"]
        with self.store.write() as s:
            self._check_filing_rate(s, principal, lock=True)
            brand = get_brand(s, fields["brand"]) if fields["brand"] else None
            sku = find_sku(s, fields["sku"], brand)
            shade = find_shade(s, sku, fields["shade"]) if fields["shade"] else None
            for im in images:
                row = s.get(Image, im.sha256)
                if row is None:
                    s.add(Image(sha256=im.sha256, media_type=f"image/{im.format.lower()}",
                                size=im.byte_size, width=im.width, height=im.height))  # fmt: skip
                    s.flush()
                    index_picture(s, im.sha256, im.fingerprints)
                else:  # the same file filed again: the same fingerprints, indexed already
                    row.erased_at = None
                    if not row.fingerprinted:  # stored before they were taken
                        index_picture(s, im.sha256, im.fingerprints)
            consent = Consent(user_id=principal.id, notice_version=NOTICE_VERSION,
                              notice_sha256=NOTICE_SHA256, purpose=PURPOSE, facial=facial,
                              health=health)  # fmt: skip
            s.add(consent)
            s.flush()
            claim = Claim(
                id=uuid.uuid4().hex, shopper_id=principal.id, type=fields["type"],
                sku_id=sku.id, shade_id=shade.id if shade else None,
                order_ref=fields["order_ref"], order_key=order_key(fields["order_ref"]),
                batch=fields["batch"], batch_key=batch_key(fields["batch"]),
                status="queued", photo_sha256=fields["photo_sha256"],
                baseline_sha256=fields["baseline_sha256"], roi=fields["roi"],
                consent_id=consent.id, idempotency_key=idempotency_key,
                request_sha256=request_sha, artefacts={},
            )  # fmt: skip
            s.add(claim)
            s.flush()
            s.add(Job(claim_id=claim.id, image_sha256=claim.photo_sha256,
                      analysis_version=CLAIM_ANALYSIS_VERSION))  # fmt: skip
            self._audit(s, principal.actor, "consent.given", f"consent:{consent.id}", {
                "notice_version": NOTICE_VERSION, "notice_sha256": NOTICE_SHA256,
                "purpose": PURPOSE, "facial": facial, "health": health,
            })  # fmt: skip
            self._audit(s, principal.actor, "claim.filed", f"claim:{claim.id}", {
                "type": claim.type, "sku": fields["sku"], "shade": fields["shade"],
                "photo_sha256": claim.photo_sha256, "baseline_sha256": claim.baseline_sha256,
                # the files as sent, before their metadata was removed
                "uploads_sha256": [im.upload_sha256 for im in images],
                "consent_id": consent.id,
            })  # fmt: skip
            self._event(s, claim, "claim.filed")
            return self._view(s, claim, principal), claim.id

    def _idempotent(self, principal, key, request_sha):
        with self.store.read() as s:
            claim = _by_key(s, principal, key)
            if claim is None:
                return None
            if claim.request_sha256 != request_sha:
                raise IdempotencyConflict(
                    "this Idempotency-Key was used for a different request; use a new key"
                )
            return self._view(s, claim, principal)

    def _audit(self, session, actor, action, subject, payload):
        return audit.append(session, actor=actor, action=action, subject=subject,
                            payload=payload, keys=self.keys)  # fmt: skip

    def _event(self, session, claim, event: str, decision: dict | None = None) -> None:
        """Write one delivery of ``event`` on ``claim`` per webhook that wants it, in the
        transaction of the event (claims/webhooks.py); ``on_event`` once it commits."""
        from claims.webhooks import event_body

        sku = session.get(Sku, claim.sku_id)
        hooks = [h for h in session.execute(select(Webhook).where(
                     Webhook.disabled_at.is_(None))).scalars()
                 if event in h.events and h.brand_id in (None, sku.brand_id)]  # fmt: skip
        if not hooks:
            return
        shade = session.get(Shade, claim.shade_id) if claim.shade_id else None
        base = f"/api/v1/claims/{claim.id}"
        summary = {
            "id": claim.id, "type": claim.type, "status": claim.status,
            "brand": session.get(Brand, sku.brand_id).slug, "sku": sku.code,
            "shade": shade.code if shade else None, "order_ref": claim.order_ref,
            "batch": claim.batch, "failure_code": claim.failure_code or None,
            "decision": decision,
            "links": {"claim": base, **({"report": f"{base}/report"} if decision else {})},
        }  # fmt: skip
        now = utcnow()
        body = event_body(event, summary, now=now)
        for h in hooks:
            session.add(WebhookDelivery(webhook_id=h.id, event=event, claim_id=claim.id,
                                        body=body, next_attempt_at=now))  # fmt: skip
        if self.on_event is not None:
            sa_event.listen(session, "after_commit", lambda _s: self.on_event(), once=True)

    def _claim(self, session, principal, claim_id, action, *, lock=False) -> Claim:
        """The claim ``principal`` may act on; ``lock`` holds its row until the transaction
        ends (:func:`_get_claim`), for an action that changes what it reads."""
        claim = _get_claim(session, claim_id, lock=lock)
        if claim is None:
            authorize(principal, action)  # anonymous → 401, wrong role → 403, before 404
            raise NotFound("no such claim")
        authorize(principal, action, claim=claim)
        return claim

    def _view(self, session, claim: Claim, principal: Principal, decisions=None,
              same_batch=None, related=None) -> dict:  # fmt: skip
        """The claim as ``principal`` sees it; ``decisions`` (claim id → Decision, claim id →
        Appeal) when a page of claims loaded them together (:meth:`list_claims`, whose items
        carry no suggestion: it weighs the claims beside each, read for one claim's view);
        ``same_batch`` and ``related`` (one claim's view: :meth:`get_claim`) shown to
        adjudicators and weighed by the suggestion. ``decision`` is the decision in force: an
        appeal's once it is decided."""
        sku = session.get(Sku, claim.sku_id)
        brand = session.get(Brand, sku.brand_id)
        shade = session.get(Shade, claim.shade_id) if claim.shade_id else None
        if decisions is not None:
            decision, appeal = decisions[0].get(claim.id), decisions[1].get(claim.id)
        else:
            decision = _decision_of(session, claim)
            appeal = _appeal_of(session, claim) if decision is not None else None
        consent = session.get(Consent, claim.consent_id)
        base = f"/api/v1/claims/{claim.id}"
        view = {
            "id": claim.id, "type": claim.type, "status": claim.status,
            "failure_reason": claim.failure_reason or None,
            "failure_code": claim.failure_code or None, "brand": brand.slug, "sku": sku.code,
            "shade": shade.code if shade else None, "order_ref": claim.order_ref,
            "batch": claim.batch, "created_at": claim.created_at.isoformat(),
            "updated_at": claim.updated_at.isoformat(),
            "photo_sha256": claim.photo_sha256, "baseline_sha256": claim.baseline_sha256,
            "consent": {"notice_version": consent.notice_version, "facial": consent.facial,
                        "health": consent.health,
                        "withdrawn": consent.withdrawn_at is not None},
            "analysis": claim.analysis,
            "decision": None,
            "links": {"self": base},
        }  # fmt: skip
        if "photo_pixelated" in (claim.artefacts or {}):
            view["links"]["photo"] = f"{base}/photo.png"
        if "heatmap" in (claim.artefacts or {}):
            view["links"]["heatmap"] = f"{base}/heatmap.png"
        if "baseline_pixelated" in (claim.artefacts or {}):
            view["links"]["baseline"] = f"{base}/baseline.png"
        if decision is not None:
            view["decision"] = _decision_view(decision)
            view["links"]["report"] = f"{base}/report"
            if appeal is not None:
                view["appeal"] = {
                    "filed_at": appeal.filed_at.isoformat(), "statement": appeal.statement,
                    "appealed": view["decision"], "decided": appeal.decided_at is not None,
                }  # fmt: skip
                if principal.role in ("adjudicator", "admin"):
                    view["appeal"]["you_decided_the_claim"] = (
                        decision.adjudicator_id == principal.id)  # fmt: skip
                view["decision"] = _decision_view(decision, appeal)
            elif principal.role == "shopper":
                refused, until = self._appeal_refusal(claim, decision, consent, None)
                if refused is None:
                    view["appeal_until"] = until.isoformat()
        if principal.role in ("adjudicator", "admin"):
            view["hold"] = _hold_view(claim, principal)
            if decisions is None:
                view["suggestion"] = _suggestion(claim, sku, brand, same_batch, related)
            if same_batch is not None:
                view["same_batch"] = same_batch
            if related is not None:
                view["related"] = related
            listed = batch_listed(sku, claim.batch)
            if listed is not None:
                view["batch_listed"] = listed
            if claim.type == "redness":
                view["ingredients"] = {"listed": sku.ingredients,
                                       "known_irritants_and_allergens":
                                           ingredient_flags(sku.ingredients),
                                       "note": "Information for the reviewer: a listed "
                                               "ingredient is a possible cause, not a "
                                               "diagnosis."}  # fmt: skip
        return view

    def get_claim(self, principal, claim_id) -> dict:
        """The claim as ``principal`` sees it; for an adjudicator, the other claims on its
        product and batch (``same_batch``, :func:`claims.stats.batch_context`), those on its
        order or with the same picture (``related``, :func:`claims.related.related_claims`),
        and for a shade claim whose verdict used a version of the brand's reference that has
        been recalibrated since, the newest version and how far it moved (``reference_now``)."""
        with self.store.read() as s:
            claim = self._claim(s, principal, claim_id, "claims.read")
            staff = principal.role in ("adjudicator", "admin")
            view = self._view(s, claim, principal,
                              same_batch=batch_context(s, claim) if staff else None,
                              related=related_claims(s, claim) if staff else None)  # fmt: skip
            used = (claim.analysis or {}).get("reference") or {}
            if principal.role in ("adjudicator", "admin") and claim.shade_id and used:
                now = latest_calibration(s, s.get(Shade, claim.shade_id))
                if now is not None and now.version != used.get("version"):
                    view["reference_now"] = {
                        "version": now.version, "lab": now.lab,
                        "created_at": now.created_at.isoformat(),
                        "delta_e00_from_used": round(float(delta_e00(used["lab"], now.lab)), 3),
                    }  # fmt: skip
            return view

    def list_claims(self, principal, *, status=None, claim_type=None, limit=50, offset=0,
                    order="newest", order_ref=None, sku=None, related=False):  # fmt: skip
        """A page of claims, newest or oldest filed first; claims filed in the same instant
        keep one order (by id), so that no claim falls between two pages. ``order_ref`` and
        ``sku`` keep the claims of one order (however typed: :func:`claims.catalog.order_key`)
        or one product (as filed, spaces around aside): a shopper asking after her order's
        claim is found by it. ``status``: one status or several (claims in any of them).
        Staff see each claim's ``related_counts`` (:func:`claims.related.related_marks`), and
        may keep the claims with related claims (``related``; those linked: see
        :meth:`link_stored_claims`)."""
        authorize(principal, "claims.list")
        if isinstance(related, str):  # as the query gave it
            if related.strip().lower() not in ("", "true", "false", "1", "0"):
                raise InvalidInputError(f"expected related true or false; got {related!r}")
            related = related.strip().lower() in ("true", "1")
        if related:
            authorize(principal, "claims.related")
        if order not in ("newest", "oldest"):
            raise InvalidInputError(f"expected order 'newest' or 'oldest'; got {order!r}")
        try:
            limit, offset = int(limit), int(offset)
        except (TypeError, ValueError):
            raise InvalidInputError(f"expected integer limit and offset; got {limit!r}, "
                                    f"{offset!r}") from None  # fmt: skip
        if not 1 <= limit <= 200 or not 0 <= offset <= MAX_OFFSET:
            raise InvalidInputError(f"expected 1 ≤ limit ≤ 200 and 0 ≤ offset ≤ {MAX_OFFSET}")
        with self.store.read() as s:
            q = select(Claim)
            if principal.role == "shopper":
                q = q.where(Claim.shopper_id == principal.id)
            if status:
                q = q.where(Claim.status.in_([status] if isinstance(status, str) else status))
            if claim_type:
                q = q.where(Claim.type == claim_type)
            if order_ref and order_ref.strip():
                key = order_key(order_ref)  # none for "--": then the number as typed
                q = q.where(Claim.order_key == key if key else Claim.order_ref == order_ref.strip())
            if sku and sku.strip():
                q = q.where(Claim.sku_id.in_(select(Sku.id).where(Sku.code == sku.strip())))
            if related:
                q = q.where(Claim.id.in_(select(ClaimLink.claim_id)))
            total = s.execute(select(func.count()).select_from(q.subquery())).scalar()
            counts_q = select(Claim.status, func.count()).group_by(Claim.status)
            if principal.role == "shopper":
                counts_q = counts_q.where(Claim.shopper_id == principal.id)
            counts = dict(s.execute(counts_q).all())
            filed = Claim.created_at.desc() if order == "newest" else Claim.created_at.asc()
            page = s.scalars(q.order_by(filed, Claim.id).limit(limit).offset(offset)).all()
            _held, decisions = _rows_for_views(s, page)  # held while the views are made
            items = [self._view(s, c, principal, decisions) for c in page]
            if principal.role in PERMISSIONS["claims.related"]:  # as may filter by them
                marks = related_marks(s, page)
                for item in items:
                    item["related_counts"] = marks.get(item["id"])
        return {"items": items, "total": total, "counts": counts, "limit": limit,
                "offset": offset}  # fmt: skip

    def picture(self, principal, claim_id, which: str) -> bytes:
        """The pixelated photo or heatmap (what anyone allowed to see the claim may see)."""
        name = {"photo": "photo_pixelated", "heatmap": "heatmap",
                "baseline": "baseline_pixelated"}[which]  # fmt: skip
        with self.store.read() as s:
            claim = self._claim(s, principal, claim_id, "claims.images")
            sha = (claim.artefacts or {}).get(name)
        if sha is None or not self.store.blobs.exists(sha):
            raise NotFound(f"no {which} for this claim (not analysed yet, or erased)")
        return self.store.blobs.get(sha)

    # ---- analysis -------------------------------------------------------------------------

    def run_analysis(self, claim_id: str) -> str:
        """Analyse one queued claim; returns its final status. Safe to call twice."""
        with self.store.write() as s:
            claim = _get_claim(s, claim_id, lock=True)
            if claim is None or claim.status not in ("queued", "analyzing"):
                return claim.status if claim else "missing"
            job = s.execute(select(Job).where(Job.claim_id == claim_id,
                                              Job.analysis_version == CLAIM_ANALYSIS_VERSION)
                            ).scalar()  # fmt: skip
            if job is None:
                job = Job(claim_id=claim_id, image_sha256=claim.photo_sha256,
                          analysis_version=CLAIM_ANALYSIS_VERSION, attempts=0)  # fmt: skip
                s.add(job)
            now = utcnow()
            if job.status == "running" and job.started_at and now - job.started_at < JOB_LEASE:
                return claim.status  # another worker holds it
            if not claim.links_version:  # its filing stopped between the commit and the linking
                link_claim(s, claim)  # (one linked by an older search: by link_stored_claims)
            job.status, job.attempts, job.started_at = "running", job.attempts + 1, now
            claim.status, claim.updated_at = "analyzing", utcnow()
            self._audit(
                s,
                SYSTEM_ACTOR,
                "claim.analyzing",
                f"claim:{claim_id}",
                {"attempt": job.attempts, "analysis_version": CLAIM_ANALYSIS_VERSION},
            )
            reference = None
            if claim.shade_id:
                shade = s.get(Shade, claim.shade_id)
                cal = latest_calibration(s, shade)
                if cal is not None:
                    reference = {"lab": cal.lab, "expanded_u": cal.expanded_u,
                                 "tolerance": shade.tolerance, "version": cal.version,
                                 "source": cal.source}  # fmt: skip
            claim_type, roi = claim.type, claim.roi
            photo_sha, base_sha = claim.photo_sha256, claim.baseline_sha256
        try:
            photo = self.store.blobs.get(photo_sha)
            baseline = self.store.blobs.get(base_sha) if base_sha else None
            result = analyse_claim(claim_type, photo, landmarker=self.landmarker,
                                   baseline=baseline, roi=roi, reference=reference)  # fmt: skip
            error = code = None
        except (AnalysisFailed, InvalidInputError, FileNotFoundError, ValueError) as exc:
            result, error = None, str(exc) or type(exc).__name__
            code = (exc.code if isinstance(exc, AnalysisFailed)
                    else "photo_unreadable" if isinstance(exc, InvalidInputError)
                    else "analysis_error")  # fmt: skip
        except (OSError, MemoryError):  # the store or the machine, not the photo: run again
            raise  # (the job's lease runs out: WorkerPool.resume, the broker's sweep)
        except Exception as exc:  # a fault of the analysis on this photo, which would recur:
            # failed and said, where the claim stayed "analyzing", run again every lease
            log.exception("claim %s: the analysis failed unexpectedly", claim_id)
            result, code = None, "analysis_error"
            error = f"the analysis failed ({type(exc).__name__})"
        matched = 0
        if error is None:  # its faces' copies among the stored pictures, before its result
            shas = {"photo": photo_sha, "baseline": base_sha}  # (and any suggestion) is written
            for which, face in result.faces.items():
                try:
                    matched += self._index_face(shas[which], face, self.landmarker)
                except Exception:  # the database, or a fault in the search: it helps the
                    # adjudicator and must not hold the claim's result (a raised error left
                    # the claim "analyzing"); found when its picture is matched from the other
                    log.exception("claim %s: its %s's face not matched", claim_id, which)
        try:
            status = self._write_analysis(claim_id, result, error, code)
        except (SQLAlchemyError, OSError):  # the store: the claim is run again (its lease)
            raise
        except Exception as exc:  # a fault writing this result (the suggestion, the record)
            if error is not None:  # would recur: the claim failed and said, where it stayed
                raise  # "analyzing", run again every lease
            log.exception("claim %s: its analysis's result could not be written", claim_id)
            error = f"the analysis's result could not be written ({type(exc).__name__})"
            status = self._write_analysis(claim_id, None, error, "analysis_error")
        if matched and error is None and status in ("ready", "decided"):  # searched again
            try:  # with the faces' matches (the suggestion found them)
                self._link(claim_id, again=True)
            except SQLAlchemyError:  # its links stay those found as it was filed
                log.exception("claim %s analysed, not linked again by its face", claim_id)
        return status

    def _write_analysis(self, claim_id: str, result, error: str | None, code: str | None) -> str:
        """Write a claim's analysis (``result``: claims.analysis.ClaimAnalysis) or its failure
        (``error``, ``code``) and what follows (audit, events, an automatic decision) in one
        transaction; returns the claim's status (a claim withdrawn meanwhile keeps its own)."""
        with self.store.write() as s:
            claim = _get_claim(s, claim_id, lock=True)
            job = s.execute(select(Job).where(Job.claim_id == claim_id,
                                              Job.analysis_version == CLAIM_ANALYSIS_VERSION)
                            ).scalar()  # fmt: skip
            job.finished_at = utcnow()
            if claim.status != "analyzing":  # withdrawn meanwhile: the result is discarded
                job.status = "discarded"
                return claim.status
            claim.updated_at = utcnow()
            if error is not None:
                claim.status, claim.failure_reason, claim.failure_code = "failed", error, code
                job.status, job.error = "failed", error
                self._audit(s, SYSTEM_ACTOR, "claim.failed", f"claim:{claim_id}",
                            {"reason": error, "code": code})  # fmt: skip
                self._event(s, claim, "claim.failed")
                return "failed"
            artefacts = {name: self.store.blobs.put(png) for name, png in result.pictures.items()}
            claim.artefacts = artefacts
            claim.analysis = result.result
            claim.status = "ready"
            job.status = "done"
            self._audit(s, SYSTEM_ACTOR, "claim.analysed", f"claim:{claim_id}", {
                "result_sha256": audit.sha256_hex(audit.canonical(result.result)),
                "artefacts": artefacts, "analysis_version": CLAIM_ANALYSIS_VERSION,
            })  # fmt: skip
            self._event(s, claim, "claim.ready")
            sku = s.get(Sku, claim.sku_id)
            brand = s.get(Brand, sku.brand_id)
            hint = _suggestion(claim, sku, brand)
            if hint and hint["automatic"]:  # unless claims beside it hold it back (read only
                hint = _suggestion(claim, sku, brand, related=related_claims(s, claim))  # then)
            if hint and hint["automatic"]:
                self._decide(s, claim, None, hint["outcome"], hint["reason_code"],
                             f"automatic approval under the brand's rule {hint['rule']!r}",
                             automatic_rule=hint["rule"])  # fmt: skip
            status = claim.status
        return status

    def pending_claims(self) -> list[str]:
        """Claims a worker should (re)run: queued, or left analysing by a stopped process."""
        with self.store.read() as s:
            return list(s.execute(select(Claim.id).where(
                Claim.status.in_(("queued", "analyzing"))).order_by(Claim.created_at)
            ).scalars())  # fmt: skip

    def claims_to_resend(self, after: dt.timedelta) -> list[str]:
        """Claims a broker should be asked to analyse again (claims/broker.py): queued and
        sent more than ``after`` ago (the broker was down when the claim was filed, or lost the
        message), or analysing past their job's lease (the worker died). Each is marked sent
        now under its claim's row lock, so that several workers' sweeps send it once."""
        now = utcnow()
        with self.store.write() as s:
            # candidates (queued or started that long ago), then each re-read under its lock
            ids = list(s.execute(select(Claim.id).where(
                Claim.status.in_(("queued", "analyzing")), Claim.updated_at <= now - after
            ).order_by(Claim.created_at)).scalars())  # fmt: skip
            out = []
            for claim_id in ids:
                claim = _get_claim(s, claim_id, lock=True)
                if claim is None or claim.status not in ("queued", "analyzing"):
                    continue
                job = s.execute(select(Job).where(Job.claim_id == claim_id,
                                                  Job.analysis_version == CLAIM_ANALYSIS_VERSION)
                                ).scalar()  # fmt: skip
                if job is None:  # filed under an earlier analysis version
                    job = Job(claim_id=claim_id, image_sha256=claim.photo_sha256,
                              analysis_version=CLAIM_ANALYSIS_VERSION, created_at=now)  # fmt: skip
                    s.add(job)
                elif now - (job.sent_at or job.created_at) < after:
                    continue
                elif (
                    job.status == "running" and job.started_at and now - job.started_at < JOB_LEASE
                ):
                    continue  # a worker holds it
                job.sent_at = now
                out.append(claim_id)
            return out

    # ---- decisions and reports ------------------------------------------------------------

    def decide(self, principal, claim_id, *, outcome, reason_code, note="") -> dict:
        if outcome not in OUTCOMES:
            raise InvalidInputError(f"expected outcome one of {list(OUTCOMES)}; got {outcome!r}")
        if reason_code not in REASON_CODES:
            raise InvalidInputError(
                f"expected reason_code one of {list(REASON_CODES)}; got {reason_code!r}"
            )
        if not isinstance(note, str) or len(note) > 2000:
            raise InvalidInputError("expected note as text of at most 2000 characters")
        with self.store.write() as s:
            claim = self._claim(s, principal, claim_id, "claims.decide", lock=True)
            if claim.status not in ("ready", "appealed"):
                raise StateConflict(f"only a claim in status 'ready' or 'appealed' can be "
                                    f"decided; this one is {claim.status!r}")  # fmt: skip
            if _held_by_another(claim, principal):
                raise StateConflict(f"another reviewer is deciding this claim (held until "
                                    f"{claim.held_until:%H:%M} UTC)")  # fmt: skip
            appeal = self._not_the_decider(s, claim, principal)
            problem = decision_problem(claim.type, outcome, reason_code, note)
            if problem:
                raise InvalidInputError(problem)
            return self._decide(s, claim, principal, outcome, reason_code, note, appeal=appeal)

    def _not_the_decider(self, s, claim, principal) -> Appeal | None:
        """An appealed claim's appeal; 409 for the adjudicator who made the decision appealed
        (deciding or holding it: another adjudicator decides an appeal)."""
        appeal = _appeal_of(s, claim) if claim.status == "appealed" else None
        if appeal is not None and s.get(Decision, appeal.decision_id).adjudicator_id == (
                principal.id):  # fmt: skip
            raise StateConflict("you decided this claim: its appeal is decided by another "
                                "adjudicator")  # fmt: skip
        return appeal

    def _decide(self, s, claim, principal, outcome, reason_code, note, automatic_rule=None,
                appeal=None):  # fmt: skip
        """Sign and record a decision: the claim's, or its ``appeal``'s (whose report names
        the decision appealed, its chain entry, and the shopper's statement)."""
        sku = s.get(Sku, claim.sku_id)
        brand = s.get(Brand, sku.brand_id)
        shade = s.get(Shade, claim.shade_id) if claim.shade_id else None
        now = utcnow().isoformat(timespec="seconds").replace("+00:00", "Z")
        decision = {
            "outcome": outcome, "reason_code": reason_code, "note": note,
            "adjudicator": principal.actor if principal else SYSTEM_ACTOR,
            "automatic": automatic_rule is not None, "rule": automatic_rule, "time": now,
            "suggestion": _suggestion(claim, sku, brand, batch_context(s, claim),
                                      related_claims(s, claim)),
        }  # fmt: skip
        if appeal is not None:
            first = s.get(Decision, appeal.decision_id)
            decision["appeal"] = {
                "statement": appeal.statement,
                "filed_at": appeal.filed_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "decision_appealed": {
                    **{k: first.report["decision"][k] for k in
                       ("outcome", "reason_code", "adjudicator", "automatic", "time")},
                    "chain_seq": first.report["chain"]["seq"],
                    "report_sha256": first.report["chain"]["payload"]["report_sha256"],
                },
            }  # fmt: skip
        body = report_body(claim, brand=brand.slug, sku=sku.code,
                           shade=shade.code if shade else None, decision=decision)  # fmt: skip
        entry = self._audit(s, decision["adjudicator"], "claim.decided", f"claim:{claim.id}", {
            "outcome": outcome, "reason_code": reason_code, "automatic": decision["automatic"],
            "report_sha256": body_sha256(body), **({"appeal": True} if appeal else {}),
        })  # fmt: skip
        report = sign_report(body, entry, self.keys)
        if appeal is not None:
            appeal.adjudicator_id, appeal.outcome, appeal.reason_code = (
                principal.id, outcome, reason_code)  # fmt: skip
            appeal.note, appeal.report, appeal.decided_at = note, report, utcnow()
        else:
            s.add(Decision(claim_id=claim.id, adjudicator_id=principal.id if principal else None,
                           automatic=automatic_rule is not None, outcome=outcome,
                           reason_code=reason_code, note=note, report=report))  # fmt: skip
        claim.status, claim.updated_at = "decided", utcnow()
        claim.held_by = claim.held_until = None
        self._event(
            s,
            claim,
            "claim.decided",
            decision={
                "outcome": outcome,
                "reason_code": reason_code,
                "automatic": decision["automatic"],
                "on_appeal": appeal is not None,
            },
        )
        return report

    def appeal(self, principal, claim_id, *, statement) -> dict:
        """Appeal a claim's decision: its shopper, once, within ``appeal_days`` of it, saying
        why it is wrong. The claim goes back to the reviewers' queue as 'appealed'; another
        adjudicator than the one appealed decides it (:meth:`decide`), and the appeal's signed
        report, naming the decision appealed, is then the claim's report."""
        if not isinstance(statement, str) or not STATEMENT.search(statement) or (
                len(statement) > 2000):  # fmt: skip
            raise InvalidInputError("expected a statement of 10-2000 characters saying why the "
                                    "decision is wrong")  # fmt: skip
        with self.store.write() as s:
            claim = self._claim(s, principal, claim_id, "claims.appeal", lock=True)
            decision = _decision_of(s, claim)
            refused, _ = self._appeal_refusal(claim, decision, s.get(Consent, claim.consent_id),
                                              _appeal_of(s, claim))  # fmt: skip
            if refused is not None:
                raise StateConflict(refused)
            s.add(Appeal(claim_id=claim.id, decision_id=decision.id, statement=statement))
            self._audit(s, principal.actor, "claim.appealed", f"claim:{claim.id}", {
                "decision_chain_seq": decision.report["chain"]["seq"],
                "statement_sha256": audit.sha256_hex(statement.encode()),
            })  # fmt: skip
            claim.status, claim.updated_at = "appealed", utcnow()
            self._event(s, claim, "claim.appealed")
            s.flush()
            return self._view(s, claim, principal)

    def _appeal_refusal(self, claim, decision, consent, appeal
                        ) -> tuple[str | None, dt.datetime | None]:  # fmt: skip
        """Why ``claim`` cannot be appealed now (None when it can), and until when its
        decision may be appealed (None without one): the one rule behind the shopper's
        ``appeal_until`` and :meth:`appeal`'s refusals."""
        if appeal is not None:
            return "this claim's decision was appealed already; a decision is appealed once", None
        if claim.status != "decided":
            return f"only a decided claim can be appealed; this one is {claim.status!r}", None
        until = decision.created_at + dt.timedelta(days=self.config.appeal_days)
        if decision.outcome not in APPEALABLE:
            return NOT_APPEALABLE.get(decision.outcome, "this decision cannot be appealed"), until
        if consent.withdrawn_at is not None:
            return ("consent was withdrawn for this claim and its photos erased; file a new "
                    "claim"), until  # fmt: skip
        if utcnow() > until:
            return (f"a decision can be appealed within {self.config.appeal_days} days of it; "
                    f"this one's time ran out on {until:%Y-%m-%d %H:%M} UTC"), until  # fmt: skip
        return None, until

    def hold(self, principal, claim_id) -> dict:
        """Hold a ready claim for :data:`HOLD` while deciding it (renewed by asking again):
        reviewers working one queue do not decide one claim twice. Held by another reviewer:
        409 saying until when; their decision would be refused too."""
        with self.store.write() as s:
            claim = self._claim(s, principal, claim_id, "claims.decide", lock=True)
            if claim.status not in ("ready", "appealed"):
                raise StateConflict(f"only a claim in status 'ready' or 'appealed' can be held; "
                                    f"this one is {claim.status!r}")  # fmt: skip
            self._not_the_decider(s, claim, principal)
            now = utcnow()
            if _held_by_another(claim, principal, now):
                raise StateConflict(f"another reviewer is deciding this claim (held until "
                                    f"{claim.held_until:%H:%M} UTC)")  # fmt: skip
            claim.held_by, claim.held_until = principal.id, now + HOLD
            return {"claim_id": claim.id, **_hold_view(claim, principal)}

    def release(self, principal, claim_id) -> dict:
        """Let go of one's hold on a claim (another claim opened, the page left)."""
        with self.store.write() as s:
            claim = self._claim(s, principal, claim_id, "claims.decide", lock=True)
            mine = claim.held_by == principal.id
            if mine:
                claim.held_by = claim.held_until = None
            return {"claim_id": claim.id, "released": mine}

    def report(self, principal, claim_id, *, which: str = "current") -> dict:
        """The claim's signed report: the decision in force (``current``: an appeal's once it
        is decided), or the decision an appeal was made against (``appealed``), which stays
        evidence of its own."""
        if which not in ("current", "appealed"):
            raise InvalidInputError(f"expected decision 'current' or 'appealed'; got {which!r}")
        with self.store.read() as s:
            claim = self._claim(s, principal, claim_id, "claims.read")
            d = _decision_of(s, claim)
            if d is None:
                raise NotFound("this claim has no decision yet")
            appeal = _appeal_of(s, claim)
            if which == "appealed":
                if appeal is None:
                    raise NotFound("this claim's decision was not appealed")
                return d.report
            return appeal.report if appeal is not None and appeal.report else d.report

    # ---- privacy --------------------------------------------------------------------------

    def reveal(self, principal, claim_id, *, reason, which="photo") -> dict:
        """A short-lived URL to the raw photo; the reason goes into the chain first."""
        if which not in ("photo", "baseline", "heatmap"):
            raise InvalidInputError(f"expected which = photo, baseline or heatmap; got {which!r}")
        if not isinstance(reason, str) or not REVEAL_REASON.search(reason) or len(reason) > 1000:
            raise InvalidInputError("expected a reason of 10-1000 characters for viewing the raw "
                                    "photo")  # fmt: skip
        token = secrets.token_urlsafe(24)
        now = utcnow()
        expires = now + dt.timedelta(seconds=self.config.reveal_seconds)
        with self.store.write() as s:
            claim = self._claim(s, principal, claim_id, "claims.reveal", lock=True)
            sha = {"photo": claim.photo_sha256, "baseline": claim.baseline_sha256,
                   "heatmap": (claim.artefacts or {}).get("heatmap_raw")}[which]  # fmt: skip
            if sha is None or not self.store.blobs.exists(sha):
                raise NotFound(f"no raw {which} for this claim (none, or erased)")
            s.add(RevealGrant(token_sha256=token_sha256(token), claim_id=claim.id,
                              user_id=principal.id, which=which, reason=reason.strip(),
                              expires_at=expires))  # fmt: skip
            self._audit(s, principal.actor, "photo.revealed", f"claim:{claim.id}",
                        {"which": which, "image_sha256": sha, "reason": reason.strip(),
                         "expires_at": expires.isoformat()})  # fmt: skip
            s.flush()
            recent = s.execute(select(func.count()).select_from(RevealGrant).where(
                RevealGrant.user_id == principal.id,
                RevealGrant.created_at >= now - dt.timedelta(hours=1))).scalar()  # fmt: skip
            if recent > self.config.reveal_alert_per_hour:
                detail = {"reveals_last_hour": recent,
                          "limit": self.config.reveal_alert_per_hour}  # fmt: skip
                s.add(Alert(kind="reveal_rate", user_id=principal.id, detail=detail))
                self._audit(s, SYSTEM_ACTOR, "alert.raised", f"user:{principal.id}",
                            {"kind": "reveal_rate", **detail})  # fmt: skip
        return {"url": f"/api/v1/raw/{token}", "expires_at": expires.isoformat(),
                "which": which}  # fmt: skip

    def raw_picture(self, principal, token: str) -> tuple[bytes, str]:
        with self.store.read() as s:
            grant = s.execute(select(RevealGrant).where(
                RevealGrant.token_sha256 == token_sha256(token))).scalar()  # fmt: skip
            if grant is None or grant.expires_at < utcnow():
                raise NotFound("no such raw-photo link, or it expired")
            authorize(principal, "claims.reveal")
            if principal.id != grant.user_id:
                raise NotFound("no such raw-photo link, or it expired")
            claim = s.get(Claim, grant.claim_id)
            sha = {"photo": claim.photo_sha256, "baseline": claim.baseline_sha256,
                   "heatmap": (claim.artefacts or {}).get("heatmap_raw")}[grant.which]  # fmt: skip
            media = "image/png" if grant.which == "heatmap" else s.get(Image, sha).media_type
        if sha is None or not self.store.blobs.exists(sha):
            raise NotFound("the raw photo was erased")
        return self.store.blobs.get(sha), media

    def _erase(self, s, claim, *, keep_pixelated: bool, actor: str, why: str) -> list[str]:
        """Delete the claim's raw pictures (and the pixelated ones unless kept), but those a
        claim still needing its raw photos shares (the same photo sent twice); hashes stay.
        The claim is released: a file it shares goes when the last claim using it is."""
        claim.raw_released_at = utcnow()
        shas = [claim.photo_sha256, claim.baseline_sha256, (claim.artefacts or {}).get(
            "heatmap_raw")]  # fmt: skip
        if not keep_pixelated:
            shas += [(claim.artefacts or {}).get(k)
                     for k in ("photo_pixelated", "heatmap", "baseline_pixelated")]  # fmt: skip
        own = [sha for sha in (claim.photo_sha256, claim.baseline_sha256) if sha]
        sharing = s.execute(select(Claim).where(
            Claim.id != claim.id, Claim.raw_released_at.is_(None),
            Claim.photo_sha256.in_(own) | Claim.baseline_sha256.in_(own))).scalars()  # fmt: skip
        keep = set()  # files another claim still needs
        for other in sharing:
            if other.photo_sha256 in own or other.baseline_sha256 in own:
                keep |= {other.photo_sha256, other.baseline_sha256,
                         *(other.artefacts or {}).values()}  # fmt: skip
        erased = []
        for sha in filter(None, shas):
            if sha in keep:
                continue
            if self.store.blobs.delete(sha):
                erased.append(sha)
            img = s.get(Image, sha)
            if img is not None:
                img.erased_at = utcnow()
        self._audit(s, actor, "claim.photos_erased", f"claim:{claim.id}",
                    {"why": why, "erased_sha256": erased})  # fmt: skip
        return erased

    def withdraw(self, principal, claim_id) -> dict:
        """Withdraw consent: processing stops and the photos are erased."""
        with self.store.write() as s:
            claim = self._claim(s, principal, claim_id, "claims.withdraw", lock=True)
            self._withdraw(s, claim, principal.actor)
            return self._view(s, claim, principal)

    def _withdraw(self, s, claim, actor: str) -> bool:
        """Withdraw the consent of ``claim`` (locked) in session ``s``, recorded as done by
        ``actor``; False when it was."""
        consent = s.get(Consent, claim.consent_id)
        if consent.withdrawn_at is not None:
            return False
        consent.withdrawn_at = utcnow()
        self._audit(s, actor, "consent.withdrawn", f"consent:{consent.id}",
                    {"claim": claim.id})  # fmt: skip
        if claim.status == "appealed":  # the appeal stops with its evidence; the
            # decision appealed stands (the chain keeps the appeal's entry)
            s.delete(_appeal_of(s, claim))
            claim.status = "decided"
            self._audit(s, actor, "appeal.withdrawn", f"claim:{claim.id}", {})
        elif claim.status != "decided":
            claim.status, claim.failure_reason = "withdrawn", "consent withdrawn"
            self._event(s, claim, "claim.withdrawn")
        claim.updated_at = utcnow()
        self._erase(s, claim, keep_pixelated=False, actor=actor, why="consent withdrawn")
        claim.artefacts = {}
        return True

    def erase_account(self, principal, *, actor: str | None = None) -> dict:
        """The shopper's right to erasure, at once: consent withdrawn on every claim (processing
        stops, an appeal waiting stops, every photo is erased, pixelated copies too), the
        account's name erased and its token disabled. Kept, with no photo: each claim's row
        under the account's number (product, order, measurements, hashes) and a decided one's
        signed report, the record of what was decided that the shop and the platform may have
        to show; the audit chain, which names the account by number. ``actor``: who the chain
        names as doing it when not the shopper herself (an operator, `hueproof users erase`)."""
        if principal is None:
            from claims.errors import Unauthorized

            raise Unauthorized("expected a bearer token to erase your account")
        authorize(principal, "account.erase")
        with self.store.write() as s:
            user = s.get(User, principal.id, with_for_update=True)
            own = select(Claim).where(Claim.shopper_id == user.id).order_by(Claim.created_at)
            claims = s.execute(own.with_for_update()).scalars().all()
            actor = actor or principal.actor
            withdrawn = sum(self._withdraw(s, c, actor) for c in claims)
            user.name, user.disabled = "", True
            self._audit(s, actor, "user.erased", f"user:{user.id}",
                        {"claims": len(claims), "consents_withdrawn": withdrawn})  # fmt: skip
            return {"erased_at": utcnow().isoformat(), "claims": len(claims),
                    "consents_withdrawn": withdrawn}  # fmt: skip

    def purge(self, now: dt.datetime | None = None) -> int:
        """Erase raw photos of claims decided more than ``purge_after_days`` ago, and of claims
        whose analysis failed as long ago (they are never decided: the shopper files again;
        before, their faces were kept for ever); delete webhook deliveries delivered or given
        up as long ago."""
        now = now or utcnow()
        days = self.config.purge_after_days
        cutoff = now - dt.timedelta(days=days)
        n = 0
        with self.store.write() as s:
            # a claim under appeal keeps its photos; an appeal decided counts from its
            # decision; a claim released (erased before, or withdrawn) is not read again: the
            # hourly purge read every claim ever decided, 2.5-3.2 s at 20 000, writes waiting
            held = Claim.raw_released_at.is_(None)
            decided = s.execute(select(Claim).join(Decision, Decision.claim_id == Claim.id)
                                .outerjoin(Appeal, Appeal.claim_id == Claim.id).where(
                held, Decision.created_at <= cutoff, Claim.status != "appealed",
                or_(Appeal.id.is_(None), Appeal.decided_at <= cutoff))).scalars().all()  # fmt: skip
            failed = s.execute(select(Claim).where(
                held, Claim.status == "failed", Claim.updated_at <= cutoff)).scalars()  # fmt: skip
            due = [(c, "decision") for c in decided]
            due += [(c, "the analysis failed") for c in failed]
            for claim, after in due:
                self._erase(s, claim, keep_pixelated=True, actor=SYSTEM_ACTOR,
                            why=f"retention: {days} days after {after}")  # fmt: skip
                arte = dict(claim.artefacts or {})
                arte.pop("heatmap_raw", None)
                claim.artefacts = arte
                n += 1
            # webhook deliveries done with (delivered, or given up) as long ago: they name
            # orders, and the endpoint has what it needed
            s.execute(
                delete(WebhookDelivery).where(
                    or_(WebhookDelivery.delivered_at <= cutoff, WebhookDelivery.failed_at <= cutoff)
                )
            )
        return n

    def strip_stored_metadata(self) -> dict:
        """Rewrite every stored photo that still carries its metadata (stored before uploads
        were stripped, session 11) as an upload is stored now: without its location, owner,
        serial numbers, XMP and trailing data, the pixels, colour profile, orientation, camera
        and date unchanged (:func:`vision.ingest.check_image` decodes the new file and refuses
        it otherwise). The new file replaces the old one under its own hash: the claims using
        it point to it, the chain records ``image.metadata_stripped`` with both hashes (a
        report signed before names the file as it was filed), and the old file is deleted.
        Files of claims being analysed wait for the next run; a file that cannot be stripped
        stays as it is and is counted. Safe to run again, also after an interruption.

        Returns
        -------
        dict
            ``stripped``, ``unchanged`` (nothing to remove), ``waiting`` (being analysed),
            ``missing`` (no file), ``failed`` (refused: {sha256: reason}), ``bytes_removed``.
        """
        from vision.ingest import check_image

        report = {"stripped": 0, "unchanged": 0, "waiting": 0, "missing": 0, "failed": {},
                  "bytes_removed": 0}  # fmt: skip
        self._delete_replaced_files()
        with self.store.read() as s:
            kept = select(Image.sha256).where(Image.metadata_stripped.is_(False),
                                              Image.erased_at.is_(None))  # fmt: skip
            old = list(s.execute(kept).scalars())
        limits = dict(max_bytes=self.config.max_image_bytes,
                      max_pixels=self.config.max_image_pixels)  # fmt: skip
        for sha in old:
            if not self.store.blobs.exists(sha):
                report["missing"] += 1
                continue
            data = self.store.blobs.get(sha)
            try:
                im = check_image(data, **limits)
            except InvalidImageError as exc:
                report["failed"][sha] = str(exc)
                continue
            if im.stored != data:
                self.store.blobs.put(im.stored)  # before the rows point to it
            outcome = self._replace_file(sha, im)
            report[outcome] += 1
            if outcome == "stripped":
                report["bytes_removed"] += len(data) - len(im.stored)
                self.store.blobs.delete(sha)
            elif outcome == "waiting" and im.sha256 != sha:
                self._forget_files([im.sha256])
        return report

    def unfingerprinted_photos(self) -> int:
        """How many stored photos are not fingerprinted yet (:meth:`fingerprint_stored_photos`)."""
        with self.store.read() as s:
            return s.scalar(select(func.count()).where(NOT_FINGERPRINTED))

    def fingerprint_stored_photos(self, stop: threading.Event | None = None) -> dict:
        """Fingerprint the stored photos not fingerprinted yet (stored before fingerprints were
        taken: migration 0015, or before their second was: 0020; ``images.fingerprinted``), so
        that a photo filed again is found against them (claims/related.py); each is read once
        (a picture with too little structure is marked done without one), and one waiting
        keeps the fingerprint it had meanwhile. Safe to run again, in several processes at
        once (each takes them in its own random order and skips those done meanwhile), and
        while claims are filed. ``stop`` set ends it between two photos.

        Returns
        -------
        dict
            ``fingerprinted``, ``flat`` (too little structure), ``missing`` (no file),
            ``failed`` (unreadable: {sha256: reason}).
        """
        report = {"fingerprinted": 0, "flat": 0, "missing": 0, "failed": {}}
        with self.store.read() as s:
            todo = list(s.execute(select(Image.sha256).where(NOT_FINGERPRINTED)).scalars())
        return _each_picture(todo, self._fingerprint_stored, report, stop)

    def _fingerprint_stored(self, sha: str) -> str:
        """Fingerprint the stored picture ``sha`` from its file unless done: "fingerprinted",
        "flat", "missing", "failed: REASON", or "done" (before, or by another process)."""
        from vision.ingest import file_fingerprints

        with self.store.read() as s:
            if not _waiting_for_prints(s.get(Image, sha)):
                return "done"
        if not self.store.blobs.exists(sha):
            return "missing"
        try:
            fingerprints = file_fingerprints(self.store.blobs.get(sha))
        except (OSError, ValueError) as exc:
            return f"failed: {exc}"
        with self.store.write() as s:  # locked: of processes at it at once, one writes it
            row = s.get(Image, sha, with_for_update=True)
            if row is None or row.fingerprinted:
                return "done"
            index_picture(s, sha, fingerprints)
        return "flat" if fingerprints.upright is None else "fingerprinted"

    def unfaceprinted_photos(self) -> int:
        """How many stored photos' faces are not fingerprinted yet
        (:meth:`face_print_stored_photos`)."""
        with self.store.read() as s:
            return s.scalar(select(func.count()).where(NOT_FACE_PRINTED))

    def face_print_stored_photos(self, stop: threading.Event | None = None) -> dict:
        """Fingerprint the faces of the stored photos stored before faces were
        (``images.face_printed``: migration 0021), so that a photo filed again cropped or
        turned by any angle is found against them (claims/related.py). Each is read whole
        and its face looked for by a landmarker of its own (closed when done: a web process
        need not keep one), 0.3-0.6 s a 12 MP photo; otherwise as
        :meth:`fingerprint_stored_photos` (several processes at once, ``stop``).

        Returns
        -------
        dict
            ``faces`` (fingerprinted), ``no_face``, ``missing`` (no file), ``failed``
            (unreadable: {sha256: reason}).
        """
        report = {"faces": 0, "no_face": 0, "missing": 0, "failed": {}}
        with self.store.read() as s:
            todo = list(s.execute(select(Image.sha256).where(NOT_FACE_PRINTED)).scalars())
        if not todo:
            return report
        from vision.landmarks import FaceLandmarker

        # the service's options (its face model), or the default ones (the command line's)
        with FaceLandmarker(getattr(self.landmarker, "options", None)) as landmarker:
            read = functools.partial(self._face_print_stored, landmarker=landmarker)
            return _each_picture(todo, read, report, stop)

    def _face_print_stored(self, sha: str, landmarker) -> str:
        """Fingerprint the face of the stored picture ``sha`` from its file unless done, and
        match it (:meth:`_index_face`): "faces", "no_face", "missing", "failed: REASON" or
        "done"."""
        with self.store.read() as s:
            row = s.get(Image, sha)
            if row is None or row.face_printed:
                return "done"
        try:
            face = self._face_of(sha, landmarker)
        except FileNotFoundError:
            return "missing"
        except (OSError, ValueError) as exc:
            return f"failed: {exc}"
        self._index_face(sha, face, landmarker, unless_done=True)
        return "no_face" if face.fingerprint is None else "faces"

    def _face_of(self, sha: str, landmarker):
        """The face of the stored picture ``sha`` (claims.analysis.FaceCapture) read from its
        file, decoded no larger than it needs (claims.analysis.file_face): the largest, as the
        analysis takes it."""
        if not self.store.blobs.exists(sha):
            raise FileNotFoundError(sha)
        return file_face(self.store.blobs.get(sha), landmarker)

    def _index_face(self, sha: str, face, landmarker, *, unless_done: bool = False) -> int:
        """Give the stored picture ``sha`` its ``face`` (claims.analysis.FaceCapture:
        claims.related.index_face), then write down the stored pictures showing the same
        picture's face (claims.related.face_candidates whose detail is alike:
        vision.fingerprint.face_correlation; each read from its file, the nearest
        :data:`FACE_CANDIDATES_READ`); returns how many. ``unless_done``: nothing if another
        process fingerprinted it meanwhile."""
        from vision.fingerprint import SAME_FACE_CORRELATION, face_correlation

        with self.store.write() as s:  # locked: of processes at it at once, one writes it
            row = s.get(Image, sha, with_for_update=True)
            if row is None or (unless_done and row.face_printed):
                return 0
            index_face(s, sha, face.fingerprint)
        if face.fingerprint is None or face.detail is None:
            return 0
        with self.store.read() as s:
            candidates = face_candidates(s, sha, face.fingerprint)
        matched = 0
        for other, distance, mirrored in candidates[:FACE_CANDIDATES_READ]:
            try:
                theirs = self._face_of(other, landmarker)
            except (OSError, ValueError):  # erased meanwhile, or unreadable: not this face
                continue
            if theirs.detail is None:
                continue
            correlation = face_correlation(face.detail, theirs.detail)
            if correlation >= SAME_FACE_CORRELATION:
                with self.store.write() as s:
                    record_face_match(s, sha, other, distance=distance, mirrored=mirrored,
                                      correlation=correlation)  # fmt: skip
                matched += 1
        return matched

    def _replace_file(self, sha: str, im) -> str:
        """Point everything at the stripped file ``im`` (a :class:`vision.ingest.ImageCheck`)
        instead of ``sha``, in one transaction: "stripped", "unchanged" or "waiting"."""
        with self.store.write() as s:
            row = s.get(Image, sha)
            if row is None or row.metadata_stripped:  # done meanwhile by another process
                return "unchanged"
            uses = (Claim.photo_sha256 == sha) | (Claim.baseline_sha256 == sha)
            using = list(s.execute(select(Claim).where(uses)).scalars())
            if any(c.status == "analyzing" for c in using):  # a worker may be reading it
                return "waiting"
            if im.sha256 == sha:
                row.metadata_stripped = True
                return "unchanged"
            new = s.get(Image, im.sha256)
            if new is None:  # else: the same picture, filed again since, is stored already
                new = Image(sha256=im.sha256, media_type=row.media_type, size=im.byte_size,
                            width=row.width, height=row.height, created_at=row.created_at,
                            face_printed=row.face_printed)  # fmt: skip
                s.add(new)
            new.erased_at, new.metadata_stripped = None, True
            s.flush()  # the row exists before the claims and its bands point to it
            index_picture(s, im.sha256, im.fingerprints)
            if row.face_printed:  # the same pixels: the same face (and its matches, below)
                index_face(s, im.sha256, row.face_fingerprint)
            for claim in using:
                if claim.photo_sha256 == sha:
                    claim.photo_sha256 = im.sha256
                if claim.baseline_sha256 == sha:
                    claim.baseline_sha256 = im.sha256
            s.flush()
            size = row.size
            forget_picture(s, sha, replaced_by=im.sha256)
            s.delete(row)
            self._audit(s, SYSTEM_ACTOR, "image.metadata_stripped", f"image:{im.sha256}", {
                "before_sha256": sha, "after_sha256": im.sha256,
                "bytes_before": size, "bytes_after": im.byte_size,
                "claims": sorted(c.id for c in using),
            })  # fmt: skip
            return "stripped"

    def _delete_replaced_files(self) -> None:
        """Delete files the chain says were replaced by a stripped copy, if a run stopped
        between its commit and the deletion (no image row uses them any more)."""
        with self.store.read() as s:
            replaced = s.execute(select(AuditEntry.payload).where(
                AuditEntry.action == "image.metadata_stripped")).scalars()  # fmt: skip
            gone = [p["before_sha256"] for p in replaced
                    if s.get(Image, p["before_sha256"]) is None]  # fmt: skip
        for sha in gone:
            self.store.blobs.delete(sha)

    # ---- webhooks ---------------------------------------------------------------------------

    def add_webhook(self, principal, url: str, events=None, brand_slug=None) -> dict:
        """Register an endpoint for ``events`` (all by default) of every claim, or of one
        brand's; the admin's registration is a link of the chain."""
        from claims.webhooks import EVENTS, WEBHOOK_URL

        authorize(principal, "webhooks.manage")
        if not isinstance(url, str) or not WEBHOOK_URL.match(url):
            raise InvalidInputError(f"expected an http:// or https:// URL; got {url!r}")
        events = list(EVENTS if events is None else events)
        unknown = [e for e in events if e not in EVENTS]
        if unknown or not events:
            raise InvalidInputError(f"expected events among {list(EVENTS)}; got {events}")
        with self.store.write() as s:
            brand = get_brand(s, brand_slug) if brand_slug else None
            hook = Webhook(url=url, events=events, brand_id=brand.id if brand else None)
            s.add(hook)
            s.flush()
            self._audit(s, principal.actor, "webhook.added", f"webhook:{hook.id}",
                        {"url": url, "events": events, "brand": brand_slug})  # fmt: skip
            return self._webhook_view(s, hook)

    def _webhook_view(self, s, hook) -> dict:
        delivered, failed, total = s.execute(
            select(
                func.count(WebhookDelivery.delivered_at),
                func.count(WebhookDelivery.failed_at),
                func.count(),
            ).where(WebhookDelivery.webhook_id == hook.id)
        ).one()
        return {"id": hook.id, "url": hook.url, "events": list(hook.events),
                "brand": s.get(Brand, hook.brand_id).slug if hook.brand_id else None,
                "created_at": hook.created_at.isoformat(),
                "disabled": hook.disabled_at is not None,
                "deliveries": {"delivered": delivered, "failed": failed,
                               "pending": total - delivered - failed}}  # fmt: skip

    def webhooks(self, principal) -> list[dict]:
        authorize(principal, "webhooks.manage")
        with self.store.read() as s:
            return [
                self._webhook_view(s, h)
                for h in s.execute(select(Webhook).order_by(Webhook.id)).scalars()
            ]

    def disable_webhook(self, principal, webhook_id) -> dict:
        """No more deliveries to it, pending ones included (kept, listed)."""
        authorize(principal, "webhooks.manage")
        with self.store.write() as s:
            hook = s.get(Webhook, _int_id(webhook_id), with_for_update=True)
            if hook is None:
                raise NotFound("no such webhook")
            if hook.disabled_at is None:
                hook.disabled_at = utcnow()
                self._audit(s, principal.actor, "webhook.disabled", f"webhook:{hook.id}", {})
            return self._webhook_view(s, hook)

    def webhook_deliveries(self, principal, webhook_id, state=None, limit=50) -> list[dict]:
        """A webhook's deliveries, newest first; ``state``: pending, delivered or failed."""
        authorize(principal, "webhooks.manage")
        conditions = {
            None: [],
            "delivered": [WebhookDelivery.delivered_at.is_not(None)],
            "failed": [WebhookDelivery.failed_at.is_not(None)],
            "pending": [WebhookDelivery.delivered_at.is_(None),
                        WebhookDelivery.failed_at.is_(None)],
        }  # fmt: skip
        if state not in conditions:
            raise InvalidInputError(f"expected state pending, delivered or failed; got {state!r}")
        try:
            limit = int(limit)
        except (TypeError, ValueError):
            raise InvalidInputError(f"expected an integer limit; got {limit!r}") from None
        if not 1 <= limit <= 500:
            raise InvalidInputError("expected 1 ≤ limit ≤ 500")
        with self.store.read() as s:
            if s.get(Webhook, _int_id(webhook_id)) is None:
                raise NotFound("no such webhook")
            rows = s.execute(
                select(WebhookDelivery)
                .where(WebhookDelivery.webhook_id == _int_id(webhook_id), *conditions[state])
                .order_by(WebhookDelivery.id.desc())
                .limit(limit)
            ).scalars()
            return [_delivery_view(d) for d in rows]

    def retry_delivery(self, principal, delivery_id) -> dict:
        """A delivery given up sent again (from its first delay)."""
        authorize(principal, "webhooks.manage")
        with self.store.write() as s:
            d = s.get(WebhookDelivery, _int_id(delivery_id), with_for_update=True)
            if d is None:
                raise NotFound("no such delivery")
            if d.delivered_at is not None:
                raise StateConflict("this delivery was delivered")
            d.failed_at, d.attempts, d.next_attempt_at = None, 0, utcnow()
            self._audit(s, principal.actor, "webhook.retried", f"webhook:{d.webhook_id}",
                        {"delivery": d.id})  # fmt: skip
            view = _delivery_view(d)
        if self.on_event is not None:
            self.on_event()
        return view

    def take_deliveries(self, *, limit: int, lease: float) -> list[dict]:
        """Deliveries due now, each held for ``lease`` seconds by the caller (another sender
        skips them; one that stopped leaves them to the next after the lease)."""
        now = utcnow()
        with self.store.write() as s:
            rows = s.execute(
                select(WebhookDelivery, Webhook.url)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .where(WebhookDelivery.delivered_at.is_(None), WebhookDelivery.failed_at.is_(None),
                       WebhookDelivery.next_attempt_at <= now, Webhook.disabled_at.is_(None),
                       or_(WebhookDelivery.lease_until.is_(None),
                           WebhookDelivery.lease_until < now))
                .order_by(WebhookDelivery.id).limit(limit)
                .with_for_update(skip_locked=True, of=WebhookDelivery)
            ).all()  # fmt: skip
            for d, _ in rows:
                d.lease_until = now + dt.timedelta(seconds=lease)
            return [{"id": d.id, "url": url, "event": d.event, "body": d.body} for d, url in rows]

    def delivery_answered(self, delivery_id: int, error: str | None) -> None:
        """Record an attempt: delivered (``error`` None), else retried later or given up."""
        from claims.webhooks import MAX_ATTEMPTS, retry_delay

        now = utcnow()
        with self.store.write() as s:
            d = s.get(WebhookDelivery, delivery_id, with_for_update=True)
            d.attempts, d.lease_until = d.attempts + 1, None
            if error is None:
                d.delivered_at, d.last_error = now, ""
            else:
                d.last_error = error[:1000]
                if d.attempts >= MAX_ATTEMPTS:
                    d.failed_at = now
                else:
                    delay = retry_delay(d.attempts, self.config.webhook_retry_base)
                    d.next_attempt_at = now + dt.timedelta(seconds=delay)

    def metrics(self, principal) -> str:
        """The service's figures in Prometheus' text format (claims/metrics.py)."""
        from claims.metrics import collect, render

        authorize(principal, "metrics.read")
        with self.store.read() as s:
            return render(collect(s, utcnow()))

    def alerts(self, principal) -> list[dict]:
        authorize(principal, "alerts.read")
        with self.store.read() as s:
            rows = s.execute(select(Alert).order_by(Alert.created_at.desc()).limit(200)).scalars()
            return [{"id": a.id, "kind": a.kind, "user_id": a.user_id, "detail": a.detail,
                     "created_at": a.created_at.isoformat()} for a in rows]  # fmt: skip

    # ---- catalog --------------------------------------------------------------------------

    def shades(self, sku: str | None = None) -> list[dict]:
        with self.store.read() as s:
            return shade_listing(s, sku)

    def skus(self, principal, brand_slug) -> list[dict]:
        """The brand's products, as :meth:`put_sku` answers each, in order of code."""
        with self.store.read() as s:
            brand = self._brand(s, principal, brand_slug)
            rows = s.execute(select(Sku).where(Sku.brand_id == brand.id).order_by(Sku.code))
            return [_sku_view(brand, sku) for sku in rows.scalars()]

    def put_sku(self, principal, brand_slug, payload: dict) -> dict:
        with self.store.write() as s:
            brand = self._brand(s, principal, brand_slug, lock=True)
            sku = upsert_sku(s, brand, payload.get("sku"), name=payload.get("name"),
                             ingredients=payload.get("ingredients"),
                             batches=payload.get("batches"))  # fmt: skip
            self._audit(s, principal.actor, "catalog.sku", f"brand:{brand.slug}",
                        {"sku": sku.code, "ingredients": sku.ingredients,
                         "batches": sku.batches or []})  # fmt: skip
            return _sku_view(brand, sku)

    def _brand(self, s, principal, slug, action: str = "catalog.write", *, lock=False) -> Brand:
        """The brand ``slug`` if ``principal`` may do ``action`` on it (a missing brand answers
        401/403 before 404, like a missing claim). ``lock`` holds the brand's row until the
        transaction ends: one brand's catalog changes one at a time (on PostgreSQL, two
        calibrations of one shade, or of two shades of a new SKU, sent at once both read the
        same next version or no SKU, and the second failed on a unique key: a 500)."""
        query = select(Brand).where(Brand.slug == slug)
        brand = s.execute(query.with_for_update() if lock else query).scalar()
        if brand is None:
            authorize(principal, action)
            raise NotFound("no such brand")
        authorize(principal, action, brand=brand)
        return brand

    def add_shade(self, principal, brand_slug, *, sku, shade, record, name="", tolerance=None,
                  dry_run=False):  # fmt: skip
        """Store a new calibration version (``record``: calibration.swatch.SwatchCalibration).

        With ``dry_run`` nothing is stored: the brand sees the calibration (chart outline,
        per-patch residuals) before saving it.
        """
        if dry_run:
            with self.store.read() as s:
                brand = self._brand(s, principal, brand_slug)
                return {"brand": brand.slug, "sku": sku, "shade": shade, "version": 0,
                        "lab": [round(float(v), 4) for v in record.lab],
                        "uncertainty_de00": round(float(record.expanded_u), 4),
                        "source": record.source, "record": record.to_dict(),
                        "saved": False}  # fmt: skip
        with self.store.write() as s:
            brand = self._brand(s, principal, brand_slug, lock=True)
            cal = add_calibration(s, brand, sku=sku, shade=shade, record=record, name=name,
                                  user_id=principal.id, tolerance=tolerance)  # fmt: skip
            # the tolerance the shade's verdicts use from now on: it decides them as much as
            # the reference does
            self._audit(s, principal.actor, "catalog.calibrated", f"brand:{brand.slug}", {
                "sku": sku, "shade": shade, "version": cal.version, "lab": cal.lab,
                "source": cal.source, "tolerance": s.get(Shade, cal.shade_id).tolerance,
                "record_sha256": audit.sha256_hex(audit.canonical(cal.record)),
            })  # fmt: skip
            return {"brand": brand.slug, "sku": sku, "shade": shade, "version": cal.version,
                    "lab": cal.lab, "uncertainty_de00": cal.expanded_u, "source": cal.source,
                    "record": cal.record, "saved": True}  # fmt: skip

    def add_shades_csv(self, principal, brand_slug, *, sku, data: bytes, dry_run=False):
        """:meth:`add_shades` from a spectrophotometer's CSV
        (:func:`calibration.swatch.calibrate_from_csv`), read once the role may."""
        from calibration.swatch import calibrate_from_csv

        authorize(principal, "catalog.write")
        records, names = calibrate_from_csv(data)
        return self.add_shades(principal, brand_slug, sku=sku, records=records, names=names,
                               dry_run=dry_run)  # fmt: skip

    def add_shades(self, principal, brand_slug, *, sku, records, names=None,
                   dry_run=False) -> dict:  # fmt: skip
        """Calibrate many shades of one SKU at once (a spectrophotometer's CSV): every one a
        new version, in one transaction (one bad row saves none). With ``dry_run``, nothing is
        stored. ``names``: shade code → name, where the file gives one."""
        names = names or {}
        if not records:
            raise InvalidInputError("expected at least one shade")
        if len(records) > MAX_SHADES_AT_ONCE:
            raise InvalidInputError(f"expected at most {MAX_SHADES_AT_ONCE} shades at once; got "
                                    f"{len(records)}")  # fmt: skip
        out = []
        with self.store.read() if dry_run else self.store.write() as s:
            brand = self._brand(s, principal, brand_slug, lock=not dry_run)
            for record in records:
                row = {"shade": record.shade, "name": names.get(record.shade, ""),
                       "source": record.source, "record": record.to_dict()}  # fmt: skip
                if dry_run:
                    check_shade_code(record.shade)
                    row.update(version=0, lab=[round(float(v), 4) for v in record.lab],
                               uncertainty_de00=round(float(record.expanded_u), 4))  # fmt: skip
                else:
                    cal = add_calibration(s, brand, sku=sku, shade=record.shade, record=record,
                                          name=row["name"], user_id=principal.id)  # fmt: skip
                    self._audit(s, principal.actor, "catalog.calibrated", f"brand:{brand.slug}", {
                        "sku": sku, "shade": record.shade, "version": cal.version,
                        "lab": cal.lab, "source": cal.source,
                        "tolerance": s.get(Shade, cal.shade_id).tolerance,
                        "record_sha256": audit.sha256_hex(audit.canonical(cal.record)),
                    })  # fmt: skip
                    row.update(version=cal.version, lab=cal.lab,
                               uncertainty_de00=cal.expanded_u)  # fmt: skip
                out.append(row)
            return {"brand": brand.slug, "sku": sku, "saved": not dry_run, "shades": out}

    def set_policy(self, principal, brand_slug, policy: dict) -> dict:
        allowed = {"auto_approve", "no_proof_allergy"}
        if not isinstance(policy, dict) or set(policy) - allowed:
            raise InvalidInputError(f"expected a policy with keys among {sorted(allowed)}")
        with self.store.write() as s:
            brand = self._brand(s, principal, brand_slug, lock=True)
            brand.policy = {**(brand.policy or {}), **policy}
            self._audit(s, principal.actor, "catalog.policy", f"brand:{brand.slug}",
                        dict(brand.policy))  # fmt: skip
            return dict(brand.policy)

    def check_report(self, report: dict) -> dict:
        """Whether ``report`` is a decision report this service signed, unchanged: its
        signature, its chain entry, and that entry in the chain (:func:`verify_report`, as
        ``hueproof verify`` checks it). Anyone may ask: a report travels."""
        with self.store.read() as s:
            problems = verify_report(report, self.keys.public_keys(), s)
        if problems:  # nothing of an unverified report is repeated as if it were so
            return {"valid": False, "problems": problems, "claim_id": None, "decision": None,
                    "chain_seq": None}  # fmt: skip
        return {
            "valid": True,
            "problems": [],
            "claim_id": report["claim_id"],
            "decision": report["decision"],
            "chain_seq": report["chain"]["seq"],
        }

    def shade_history(self, principal, brand_slug, sku_code, shade_code) -> dict:
        """Every version of a shade's reference, newest first (:func:`calibration_history`): a
        brand's own, and any for adjudicators (a verdict names the version it used)."""
        with self.store.read() as s:
            brand = self._brand(s, principal, brand_slug, "catalog.history")
            shade = find_shade(s, find_sku(s, sku_code, brand), shade_code)
            return {"brand": brand.slug, "sku": sku_code, "shade": shade.code,
                    "name": shade.name, "tolerance": shade.tolerance,
                    "versions": calibration_history(s, shade)}  # fmt: skip

    def stats(self, principal, brand_slug) -> dict:
        from claims.stats import brand_stats

        with self.store.read() as s:
            brand = self._brand(s, principal, brand_slug, "brand.stats")
            c = self.config
            return brand_stats(s, brand, min_cell=c.stats_min_cell,
                               cluster_claims=c.redness_cluster_claims,
                               cluster_hours=c.redness_cluster_hours)  # fmt: skip

    def whoami(self, principal) -> dict:
        if principal is None:
            from claims.errors import Unauthorized

            raise Unauthorized("expected a bearer token")
        with self.store.read() as s:
            brand = s.get(Brand, principal.brand_id) if principal.brand_id else None
            return {"id": principal.id, "role": principal.role, "name": principal.name,
                    "brand": brand.slug if brand else None}  # fmt: skip

    def export(self, principal) -> dict:
        """Everything the service holds about the asking user (the right to a copy of one's
        personal data): the account, the consents given and withdrawn, every claim as its
        owner sees it, what is kept of each of her photos (its hash and fingerprint, which stay
        after the photo is erased) and each time a reviewer viewed one of the user's original
        photos, with the reason stated (the reviewer unnamed). The export is a link of the
        chain."""
        if principal is None:
            from claims.errors import Unauthorized

            raise Unauthorized("expected a bearer token to export your data")
        with self.store.write() as s:
            user = s.get(User, principal.id)
            brand = s.get(Brand, user.brand_id) if user.brand_id else None
            claims = s.execute(select(Claim).where(Claim.shopper_id == user.id)
                               .order_by(Claim.created_at)).scalars().all()  # fmt: skip
            consents = s.execute(select(Consent).where(Consent.user_id == user.id)
                                 .order_by(Consent.id)).scalars().all()  # fmt: skip
            by_consent = {}
            for c in claims:
                by_consent.setdefault(c.consent_id, []).append(c.id)
            views = s.execute(select(RevealGrant).where(
                RevealGrant.claim_id.in_([c.id for c in claims])).order_by(RevealGrant.id)
            ).scalars().all() if claims else []  # fmt: skip

            def iso(t):
                return None if t is None else t.isoformat()

            pairs = [(c.photo_sha256, c.baseline_sha256) for c in claims]
            shas = list(dict.fromkeys(sha for pair in pairs for sha in pair if sha))
            images = {i.sha256: i for i in s.execute(
                select(Image).where(Image.sha256.in_(shas))).scalars()} if shas else {}  # fmt: skip

            out = {
                "exported_at": utcnow().isoformat(),
                "user": {"id": user.id, "role": user.role, "name": user.name,
                         "brand": brand.slug if brand else None,
                         "created_at": iso(user.created_at), "disabled": user.disabled},
                "consents": [{"id": c.id, "notice_version": c.notice_version,
                              "notice_sha256": c.notice_sha256, "purpose": c.purpose,
                              "facial": c.facial, "health": c.health,
                              "given_at": iso(c.given_at), "withdrawn_at": iso(c.withdrawn_at),
                              "claims": by_consent.get(c.id, [])} for c in consents],
                "claims": [self._view(s, c, principal) for c in claims],
                "pictures": [{"sha256": sha, "fingerprint": _hex64(images[sha].fingerprint),
                              "fingerprint_turned": _hex64(images[sha].fingerprint_turned),
                              "face_fingerprint": _hex64(images[sha].face_fingerprint),
                              "erased": images[sha].erased_at is not None} for sha in shas],
                "original_photo_views": [{"claim_id": v.claim_id, "which": v.which,
                                          "reason": v.reason, "at": iso(v.created_at),
                                          "by": "a reviewer"} for v in views],
            }  # fmt: skip
            self._audit(s, principal.actor, "user.exported", f"user:{user.id}",
                        {"claims": len(claims), "consents": len(consents)})  # fmt: skip
            return out

    def user_count(self) -> int:
        with self.store.read() as s:
            return s.execute(select(func.count()).select_from(User)).scalar()
