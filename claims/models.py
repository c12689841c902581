"""The claims store's tables (SQLAlchemy 2 declarative; migrations in ``claims/migrations``).

Times are timezone-aware UTC. Photos are never in the database: an :class:`Image` row names a
file stored content-addressed by its sha256 under the data directory; erasing a photo deletes
the file and keeps the row (and its hash) as evidence of what was once there.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Alert",
    "Appeal",
    "AuditEntry",
    "Base",
    "Brand",
    "ChainHead",
    "Checkpoint",
    "Claim",
    "Consent",
    "Decision",
    "Image",
    "ImageBand",
    "Job",
    "RevealGrant",
    "Shade",
    "ShadeCalibration",
    "Sku",
    "User",
    "Webhook",
    "WebhookDelivery",
    "signed64",
    "utcnow",
]

ROLES = ("shopper", "adjudicator", "brand", "admin")
CLAIM_TYPES = ("shade", "redness")
#: queued → analyzing → ready → decided; failed (with a reason); withdrawn (consent withdrawn
#: before a decision: processing stopped, photos erased); decided → appealed → decided (the
#: shopper appealed the decision once; another adjudicator decides the appeal).
CLAIM_STATUSES = (
    "queued", "analyzing", "ready", "decided", "appealed", "failed", "withdrawn",
)  # fmt: skip


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


#: claims.stats_key is below this (a signed 32-bit integer in every database)
STATS_KEY_RANGE = 2**31


def new_stats_key() -> int:
    """A claim's random record key (:attr:`Claim.stats_key`)."""
    return secrets.randbelow(STATS_KEY_RANGE)


def signed64(value: int | None) -> int | None:
    """An unsigned 64-bit value (a fingerprint) as the signed 64-bit integer every database's
    BIGINT holds: the same bits (:func:`vision.fingerprint.fingerprint_distance` reads
    either)."""
    if value is None:
        return None
    return value - 2**64 if value >= 2**63 else value


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC that always comes back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dt.datetime: UTCDateTime(), dict: JSON, list: JSON}


class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: {"auto_approve": [rule, ...], "no_proof_allergy": bool}
    policy: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), default="")
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id"))
    #: sha256 of the bearer token; the token itself is shown once and never stored
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)

    brand: Mapped[Brand | None] = relationship()


class Sku(Base):
    __tablename__ = "skus"
    __table_args__ = (UniqueConstraint("brand_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    #: INCI names, as printed on the pack
    ingredients: Mapped[list] = mapped_column(default=list)
    #: the batch codes the brand produced (claims.catalog.batch_listed); None: not listed
    batches: Mapped[list | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    brand: Mapped[Brand] = relationship()


class Shade(Base):
    __tablename__ = "shades"
    __table_args__ = (UniqueConstraint("sku_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    tolerance: Mapped[float] = mapped_column(Float, default=3.0)

    sku: Mapped[Sku] = relationship()


class ShadeCalibration(Base):
    """One immutable version of a shade's reference colour (never updated, only added)."""

    __tablename__ = "shade_calibrations"
    __table_args__ = (UniqueConstraint("shade_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shade_id: Mapped[int] = mapped_column(ForeignKey("shades.id"))
    version: Mapped[int] = mapped_column(Integer)
    lab: Mapped[list] = mapped_column()
    expanded_u: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(32))
    record: Mapped[dict] = mapped_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Image(Base):
    __tablename__ = "images"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[dt.datetime | None] = mapped_column()
    #: whether the stored file has lost its metadata (vision/metadata.py's strip_metadata):
    #: true for every file stored since session 11; older ones (false after migration 0002)
    #: are stripped by ``hueproof images strip-metadata``, which ``hueproof serve`` runs first
    metadata_stripped: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the picture's perceptual fingerprint (vision/fingerprint.py) as a signed 64-bit
    #: integer (:func:`signed64`), kept like the hash when the file is erased: a photo filed
    #: again, re-saved or recoloured, is found (claims/related.py). None: a picture with too
    #: little structure, or a file erased before fingerprints were taken
    fingerprint: Mapped[int | None] = mapped_column(BigInteger)
    #: whether the picture was fingerprinted (its ``fingerprint`` None: too little structure);
    #: false for pictures stored before fingerprints were taken (migration 0018) or before
    #: the second one was (0020), which ``hueproof serve`` fingerprints beside its start
    fingerprinted: Mapped[bool] = mapped_column(Boolean, default=True)
    #: its second fingerprint, down its columns (vision.fingerprint.Fingerprints.turned), which
    #: finds it turned a quarter; None like ``fingerprint``, and for a picture whose file was
    #: erased before this one was taken (migration 0020)
    fingerprint_turned: Mapped[int | None] = mapped_column(BigInteger)
    #: the fingerprint of its face (vision.fingerprint.face_fingerprint), taken by the claim's
    #: analysis from the face's landmarks, which finds it cropped or turned by any angle; None:
    #: no face found, or not taken yet
    face_fingerprint: Mapped[int | None] = mapped_column(BigInteger)
    #: whether the face's was looked for: by the analysis (for a picture stored since
    #: migration 0021, true from the start: its analysis takes it); false for pictures stored
    #: before, which ``hueproof serve`` reads again beside its start
    face_printed: Mapped[bool] = mapped_column(Boolean, default=True)


class ImageBand(Base):
    """A band of an image's fingerprint (vision.fingerprint.fingerprint_bands): a picture
    within a few bits of another shares one, found by this table's key instead of reading
    every fingerprint (claims/related.py). Kept with the fingerprint. Bands 0-4 are the
    upright fingerprint's, 5-9 its face's (claims.related.FACE_BANDS)."""

    __tablename__ = "image_bands"

    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("images.sha256"), primary_key=True)


class FaceMatch(Base):
    """Two stored pictures showing one picture's face (a copy cropped around it, turned by
    any angle, mirrored): their faces' fingerprints near and their fine detail alike once laid
    on each other (vision.fingerprint.face_correlation), as found when the second one's face
    was fingerprinted (claims/related.py ``face_candidates``). A row each way; kept with the
    pictures' hashes, like their fingerprints."""

    __tablename__ = "face_matches"

    sha256: Mapped[str] = mapped_column(ForeignKey("images.sha256"), primary_key=True)
    other_sha256: Mapped[str] = mapped_column(ForeignKey("images.sha256"), primary_key=True)
    #: the faces' fingerprints' distance in bits, the nearer of as they are and mirrored
    distance: Mapped[int] = mapped_column(SmallInteger)
    #: whether the other's face is this one's mirrored (flipped left to right)
    mirrored: Mapped[bool] = mapped_column(Boolean)
    #: the correlation of their fine detail (vision.fingerprint.face_correlation)
    correlation: Mapped[float] = mapped_column(Float)


class ClaimLink(Base):
    """Two related claims (claims/related.py): on the same order, or with the same picture. A
    pair is written both ways, so that a claim's are read by its id: the review queue marks
    its claims that have some without finding them again for each (4-50 ms a claim)."""

    __tablename__ = "claim_links"

    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    other_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    same_order: Mapped[bool] = mapped_column(Boolean)
    same_picture: Mapped[bool] = mapped_column(Boolean)


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    notice_version: Mapped[str] = mapped_column(String(32))
    notice_sha256: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    facial: Mapped[bool] = mapped_column(Boolean)
    health: Mapped[bool] = mapped_column(Boolean)
    given_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column()


class Claim(Base):
    __tablename__ = "claims"
    #: the review queue reads one status in order of filing (ClaimsService.list_claims): with
    #: 200 000 claims in SQLite, 26 ms a page without this index, 0.04 ms with it
    #: a photo's claims (erasing a file another claim may share, stripping a file's
    #: metadata) are found by its hash: with 20 000 claims, 36 ms a scan without these
    #: indexes, once for each claim the purge erases
    __table_args__ = (UniqueConstraint("shopper_id", "idempotency_key"),
                      Index("ix_claims_status_created_at", "status", "created_at"),
                      Index("ix_claims_order_key", "order_key"),
                      Index("ix_claims_photo_sha256", "photo_sha256"),
                      Index("ix_claims_sku_batch_key", "sku_id", "batch_key"),
                      Index("ix_claims_baseline_sha256", "baseline_sha256"))  # fmt: skip

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(String(16))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    shade_id: Mapped[int | None] = mapped_column(ForeignKey("shades.id"))
    order_ref: Mapped[str] = mapped_column(String(100), default="")
    #: the order number as compared (claims.catalog.order_key: "o 2026-77" is "O202677"): the
    #: related claims (claims/related.py) and the list's search by order
    order_key: Mapped[str] = mapped_column(String(100), default="", server_default="")
    batch: Mapped[str] = mapped_column(String(100), default="")
    #: the batch as compared (claims.catalog.batch_key: "b2026 11" is "B2026-11"'s
    #: "B202611"): the statistics' batch cells, the claims beside one, the alerts
    batch_key: Mapped[str] = mapped_column(String(100), default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    #: claims/analysis.py FAILURE_CODES ("" unless failed)
    failure_code: Mapped[str] = mapped_column(String(32), default="", server_default="")
    photo_sha256: Mapped[str] = mapped_column(ForeignKey("images.sha256"))
    baseline_sha256: Mapped[str | None] = mapped_column(ForeignKey("images.sha256"))
    roi: Mapped[list | None] = mapped_column()
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_sha256: Mapped[str] = mapped_column(String(64))
    #: the analysis result (measurements, versions), JSON-ready
    analysis: Mapped[dict | None] = mapped_column()
    #: the adjudicator deciding it, until then (claims held by another are skipped in the
    #: queue's order; an advisory lock that runs out, ClaimsService.hold)
    held_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    held_until: Mapped[dt.datetime | None] = mapped_column()
    #: when the claim stopped needing its raw photos (consent withdrawn, or the retention
    #: period over): a file another claim shares is erased once no claim needs it
    raw_released_at: Mapped[dt.datetime | None] = mapped_column()
    #: the claim's random record key for the brand statistics' perturbation (claims/stats.py,
    #: the cell key method): fixed for ever, so the same claims always give the same figures
    stats_key: Mapped[int] = mapped_column(Integer, default=new_stats_key)
    #: content hashes of the rendered artefacts: {"photo_pixelated": sha, "heatmap": sha, ...}
    artefacts: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: the search its related claims were found and written down by (:class:`ClaimLink`;
    #: claims.related.LINKS_VERSION), once filed (claims/related.py link_claim); 0 not yet
    #: (filed before links were kept: linked as the service starts). A claim linked by an
    #: older search is searched again (its links kept, those found added).
    links_version: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    shopper: Mapped[User] = relationship(foreign_keys=[shopper_id])
    sku: Mapped[Sku] = relationship()
    shade: Mapped[Shade | None] = relationship()
    consent: Mapped[Consent] = relationship()


class Job(Base):
    """One analysis run; idempotent on (claim, image sha256, analysis version)."""

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("claim_id", "image_sha256", "analysis_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"))
    image_sha256: Mapped[str] = mapped_column(String(64))
    analysis_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: when the claim was last sent to a broker again (claims/broker.py); the first time is
    #: ``created_at``, when the claim and its job committed
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    started_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), unique=True)
    adjudicator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(String(32))
    reason_code: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    report: Mapped[dict] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Appeal(Base):
    """A shopper's appeal of a claim's decision (one a claim), and its decision: made by
    another adjudicator than the one appealed, signed like the first, which it supersedes."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), unique=True)
    #: the decision appealed
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    statement: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    adjudicator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(32))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    report: Mapped[dict | None] = mapped_column()
    decided_at: Mapped[dt.datetime | None] = mapped_column()


class RevealGrant(Base):
    """A short-lived, single-user permission to fetch one claim's raw photo."""

    __tablename__ = "reveal_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    which: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    detail: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Webhook(Base):
    """An endpoint told of claims' events (claims/webhooks.py): a platform's order system."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(default=list)
    #: only this brand's claims (None: every claim)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column()


class WebhookDelivery(Base):
    """One event to send to one webhook, written in the transaction of the event itself (an
    outbox: nothing is lost when the endpoint or this process is down), then sent and retried
    until it is answered 2xx or given up."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    claim_id: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: due from then (indexed: the senders look for due deliveries every few seconds)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    #: held by a sender until then (several processes send)
    lease_until: Mapped[dt.datetime | None] = mapped_column()
    delivered_at: Mapped[dt.datetime | None] = mapped_column()
    failed_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(Text, default="")


class AuditEntry(Base):
    """One link of the hash chain (see claims/audit.py)."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    #: indexed: the start's clean-up reads one action's entries (ClaimsService's
    #: strip_stored_metadata), however long the chain
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column()
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ChainHead(Base):
    """The chain's last sequence number and hash: one row, locked by every append."""

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class Checkpoint(Base):
    """An Ed25519 signature over (seq, hash) of the chain at that point."""

    __tablename__ = "checkpoints"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(200))
    time: Mapped[str] = mapped_column(String(40))
