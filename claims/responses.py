"""What the HTTP API answers: the response models behind its OpenAPI 3 document.

A platform that integrates hueproof reads a claim's verdict, uncertainty, findings, failure
and suggestion from these shapes, and its codes from their enumerations (the pages' words
for them are in webar/js/explain.js). Where a result carries open-ended measurement detail
(a chart fit, an uncertainty budget, a region's statistics) the document says so with a
free-form object; every other key a response carries is declared here, and
tests/claims/test_openapi.py checks real responses against the document: a key the code
adds without declaring it fails there.

Fields marked optional (default ``None``) may be missing: from analyses stored by earlier
versions, or where the response says so.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from calibration.measure import REASON_CODES as MEASUREMENT_REASONS
from calibration.verdict import DIFFERENCE_WORDS
from claims.analysis import FAILURE_CODES
from claims.models import CLAIM_STATUSES
from claims.policy import NOTES, OUTCOMES, REASON_CODES, RULES
from claims.webhooks import EVENTS
from vision.quality import FINDING_CODES
from vision.regions import REDNESS_ZONES

__all__ = [
    "AlertList",
    "BrandStats",
    "CalibrationHistory",
    "ClaimList",
    "ClaimView",
    "ConsentNotice",
    "DeliveryList",
    "DeliveryOut",
    "Export",
    "HoldOut",
    "KeyList",
    "MeOut",
    "MeasureOut",
    "PolicyOut",
    "Problem",
    "ReleaseOut",
    "ReportCheck",
    "ReportIn",
    "RevealOut",
    "ShadeBatchOut",
    "ShadeCalibrationOut",
    "ShadeList",
    "SignedReport",
    "SkuOut",
    "WebhookEvent",
    "WebhookList",
    "WebhookOut",
]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


Lab = Annotated[list[float], Field(min_length=3, max_length=3,
                                   description="CIELAB L*, a*, b* (D65, 2°)")]  # fmt: skip
Verdict = Literal["match", "mismatch", "inconclusive"]
FindingCode = Literal[FINDING_CODES]  # type: ignore[valid-type]


# ---- the photo and its quality ------------------------------------------------------------


class ImageFacts(_Open):
    """An uploaded photo as ingested (no pixels)."""

    sha256: str
    format: str
    width: int
    height: int
    orientation: int = Field(description="the EXIF orientation applied once at ingest")
    colour_profile: str | None
    profile_conversion: str
    bytes: int
    jpeg_quality: int | None = Field(description="estimated from the quantisation tables")
    camera: str | None
    taken_at: str | None
    software: str | None


class Finding(_Open):
    """A quality finding: a code for machines, a message for people, the value measured."""

    code: FindingCode
    message: str
    value: float
    limit: float | None


class Quality(_Open):
    problems: list[FindingCode] = Field(description="the findings' codes")
    findings: list[Finding]


# ---- a shade measurement ------------------------------------------------------------------


class Reason(_Open):
    """Why a measurement has no verdict, or a weaker one."""

    code: Literal[MEASUREMENT_REASONS]  # type: ignore[valid-type]
    message: str


class Chart(_Open):
    """The colour chart found in the photo and, with one, the correction fitted on it."""

    detected: bool
    reference: str | None = Field(default=None, description="the chart's reference values")
    quad: list[list[float]] | None = Field(default=None, description="its corners, pixels")
    mirrored: bool | None = None
    squares_found: int | None = None
    method: str | None = Field(default=None, description="the colour correction fitted")
    fit_de00: float | None = None
    residual_de00_mean: float | None = Field(
        default=None, description="leave-one-out ΔE00 of the patches, mean"
    )
    residual_de00_max: float | None = None
    residuals_de00: list[float] | None = None


class Delta(_Closed):
    L: float = Field(description="ΔL′, measured minus reference")
    C: float = Field(description="ΔC′")
    H: float = Field(description="ΔH′")


class Measurement(_Open):
    """A product colour measured in a photo, and its verdict against the brand's reference:
    match when ΔE00 + U ≤ tolerance, mismatch when ΔE00 − U > tolerance, else inconclusive."""

    lab: Lab
    calibrated: bool
    chart: Chart
    uncertainty_de00: float | None = Field(description="U, the expanded uncertainty (k=2)")
    uncertainty_budget: dict | None
    reference_lab: Lab | None
    delta_e00: float | None = Field(description="CIEDE2000, the reference first")
    delta: Delta | None
    verdict: Verdict | None
    tolerance: float | None
    explanation: str | None
    difference: list[Literal[tuple(DIFFERENCE_WORDS)]] | None = Field(  # type: ignore[misc]
        default=None, description="how the colour differs from the reference, as codes"
    )
    roi: list[int] = Field(min_length=4, max_length=4, description="X, Y, W, H")
    region: dict = Field(description="the region's robust colour statistics")
    reasons: list[Reason | str] = Field(
        description="{code, message} (analyses stored before 2026-12 give the message alone)"
    )
    algorithm_version: str
    colour_source: Literal["chart", "chart-free model", "uncalibrated"] | None = None
    chart_free: dict | None = Field(default=None, description="the chart-free estimate's model "
                                    "and figures, without a usable chart")  # fmt: skip
    colour_range: float | None = None


class MeasureOut(Measurement):
    image: ImageFacts


class ReferenceUsed(_Open):
    """The brand's reference a verdict used."""

    lab: Lab
    expanded_u: float = 0.0
    tolerance: float = 3.0
    version: int | None = None
    source: str | None = None


# ---- redness ------------------------------------------------------------------------------


class Zone(_Open):
    area_fraction: float = Field(description="share of the zone flagged")
    mean_excess: float = Field(description="mean excess where flagged, skin σ units")
    peak_excess: float
    pixels: int
    shaded_fraction: float | None = Field(
        default=None, description="share of the flagged area in folds or shadows"
    )


class DetectionLimit(_Open):
    """The weakest redness this photo could show: a round patch of the given diameter."""

    haemoglobin_od: float
    a_star: float
    delta_e00: float
    patch_diameter_face_widths: float


class PairFinding(_Open):
    code: FindingCode
    message: str


class Change(_Open):
    """Before/after: the increase against the earlier photo."""

    zones: dict[str, Zone]
    gains: list[float]
    lighting_changed: bool
    exposure_changed: bool
    findings: list[PairFinding]
    flagged_fraction: float
    compared_fraction: float
    melanin_mismatch_od: float
    detection_limit: DetectionLimit | None = None


class Redness(_Open):
    measurable: bool = Field(description="false for a photo without colour")
    zones: dict[Literal[REDNESS_ZONES], Zone]  # type: ignore[valid-type]
    mask: str
    heatmap: str
    heatmap_unpixelated: str | None = None
    method: str | None
    compared_to_baseline: bool
    detection_limit: DetectionLimit | None = None
    shaded_fraction: float | None = None
    baseline: Change | None = None


class Pose(_Closed):
    yaw: float
    pitch: float
    roll: float


class Face(_Open):
    detected: bool
    landmarks: int
    bbox: list[int] | None = Field(default=None, min_length=4, max_length=4)
    pose: Pose | None = None
    faces_in_image: int | None = None
    warnings: list[str] | None = None


class Lips(_Open):
    lab: Lab
    calibrated: bool
    colour_source: str | None = None
    uncertainty_de00: float | None


class SelfieAnalysis(_Open):
    """What ``hueproof analyze`` reports for a selfie (and its baseline)."""

    face: Face
    quality: Quality
    redness: Redness | None
    lips: Lips | None
    algorithm_version: str
    model_sha256: str | None
    models: dict[str, str] | None = None
    note: str
    baseline_face_match: float | None = None


# ---- a claim ------------------------------------------------------------------------------


class Versions(_Open):
    """What produced a result: the algorithm version, the model files, the colour profile."""

    analysis: str
    face_model_sha256: str | None = None
    colour_profile: str | None = None
    models: dict[str, str] | None = None


class ShadeAnalysis(_Open):
    type: Literal["shade"]
    photo: ImageFacts
    versions: Versions
    measured_region: Literal["roi", "lips"] | None = None
    shade: Measurement
    reference: ReferenceUsed | None
    quality: Quality | None = None


class RednessAnalysis(_Open):
    type: Literal["redness"]
    photo: ImageFacts
    baseline: ImageFacts | None = None
    versions: Versions
    redness: SelfieAnalysis


class ConsentState(_Closed):
    notice_version: str
    facial: bool
    health: bool
    withdrawn: bool


class DecisionState(_Closed):
    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]
    reason_code: Literal[REASON_CODES]  # type: ignore[valid-type]
    automatic: bool
    decided_at: str
    note: str = Field(description="the adjudicator's note (the signed report holds it too)")
    on_appeal: bool = Field(
        description="the decision of the shopper's appeal, made by another "
        "adjudicator than the decision appealed"
    )


class AppealState(_Closed):
    """The shopper's appeal of the claim's decision (one a claim)."""

    filed_at: str
    statement: str = Field(description="why the shopper says the decision is wrong")
    appealed: DecisionState = Field(description="the decision appealed")
    decided: bool = Field(description="the appeal is decided: ``decision`` is its decision")
    you_decided_the_claim: bool | None = Field(
        default=None,
        description="(adjudicators) the reader made the decision appealed, so "
        "another adjudicator decides the appeal",
    )


class Note(_Open):
    """A note on the suggestion, with the figures its words name."""

    code: Literal[tuple(NOTES)]  # type: ignore[misc]
    findings: list[FindingCode] | None = None
    shaded_fraction: float | None = None
    a_star: float | None = None
    patch_diameter_face_widths: float | None = None
    claims: int | None = Field(default=None, description="other claims on the batch")
    matched: int | None = None
    batch: str | None = Field(default=None, description="the batch the shopper gave")


class Suggestion(_Open):
    """The policy's suggestion (claims/policy.py): its rule, outcome, reason and notes."""

    rule: Literal[tuple(RULES)]  # type: ignore[misc]
    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]
    reason_code: Literal[REASON_CODES]  # type: ignore[valid-type]
    text: str
    notes: list[Note] = []
    automatic: bool


class IngredientFlag(_Open):
    ingredient: str
    category: str = Field(description="claims/data/irritants.csv's category")
    note: str


class Ingredients(_Open):
    listed: list[str]
    known_irritants_and_allergens: list[IngredientFlag]
    note: str


class ReferenceNow(_Closed):
    version: int
    lab: Lab
    created_at: str
    delta_e00_from_used: float


class SameBatch(_Closed):
    """The other claims on the claim's product and batch (the product's, without a batch)
    filed within ``window_days`` of it; withdrawn and failed claims left out."""

    batch: str | None
    window_days: int
    claims: int
    redness_claims: int
    redness_increase_documented: int = Field(
        description="redness flagged as increased against a photo from before"
    )
    redness_increase_matched: int = Field(
        description="of those, pairs whose two photos no finding says differ"
    )
    redness_single_flagged: int = Field(description="redness flagged on a single photo")
    shade_claims: int
    shade_mismatch: int
    decisions: dict[Literal[OUTCOMES], int]  # type: ignore[valid-type]


class PhotoMatch(_Closed):
    """Which of the claim's pictures is the same picture as which of the related claim's."""

    this: Literal["photo", "baseline"]
    that: Literal["photo", "baseline"]
    same_file: bool
    mirrored: bool = Field(description=(
        "the related claim's picture is this one's mirrored (flipped left to right), then "
        "turned by `turned`"))  # fmt: skip
    turned: Literal[0, 90, 180, 270] = Field(description=(
        "degrees clockwise the related claim's picture is this one's turned (after mirroring, "
        "if mirrored): 180 upside down"))  # fmt: skip
    distance: int = Field(description=(
        "fingerprint bits apart (vision/fingerprint.py), 0-10; once turned or mirrored, if "
        "so; the faces' fingerprints' (0-8) when `by_face`"))  # fmt: skip
    by_face: bool = Field(description=(
        "found by the faces' fingerprints, not the pictures': the same picture cropped around "
        "the face or turned by any angle (`turned` then 0), or another photo of one pose "
        "taken a moment apart"))  # fmt: skip
    picture: str | None = Field(
        description="the related claim's picture, pixelated (None once erased)"
    )


class RelatedClaim(_Closed):
    id: str
    type: Literal["shade", "redness"]
    sku: str
    shade: str | None
    status: Literal[CLAIM_STATUSES]  # type: ignore[valid-type]
    outcome: Literal[OUTCOMES] | None = Field(description="the decision in force")  # type: ignore[valid-type]
    filed_at: str
    same_shopper: bool
    same_order: bool
    same_product: bool
    photo: PhotoMatch | None
    counts: bool = Field(description=(
        "weighs against the claim (claims/related.py): the suggestion says so and the claim is "
        "never approved automatically"))  # fmt: skip


class Related(_Closed):
    """(staff) The claims on the same order, and those with the same picture as a photo of
    this claim, newest first (at most 20 listed, all counted)."""

    claims: list[RelatedClaim]
    total: int
    counting: int = Field(description="how many weigh against the claim (see `counts`)")
    order_claims: int = Field(description="counting: on the same order's product")
    photo_claims: int = Field(description="counting: sharing a picture")


class RelatedCounts(_Closed):
    """(staff, in a list) How many claims are related to this one (``Related`` without the
    claims: a claim's own view lists them)."""

    total: int
    counting: int = Field(description="how many weigh against the claim (see `counts`)")
    order_claims: int = Field(description="counting: on the same order's product")
    photo_claims: int = Field(description="counting: sharing a picture")


class Hold(_Closed):
    """A reviewer deciding the claim, until then (advisory; renewed while the claim is open)."""

    mine: bool
    until: str


class HoldOut(_Closed):
    claim_id: str
    mine: bool
    until: str


class ReleaseOut(_Closed):
    claim_id: str
    released: bool


class ClaimLinks(_Closed):
    self: str
    photo: str | None = None
    baseline: str | None = None
    heatmap: str | None = None
    report: str | None = None


class ClaimView(_Open):
    """A claim as its reader may see it: adjudicators also get ``suggestion`` (in the claim's
    own view, not in a list: it weighs the claims beside it, ``same_batch`` and ``related``),
    redness claims' ``ingredients`` and, when the brand recalibrated the shade since the
    analysis, ``reference_now``."""

    id: str
    type: Literal["shade", "redness"]
    status: Literal[CLAIM_STATUSES]  # type: ignore[valid-type]
    failure_reason: str | None = None
    failure_code: Literal[FAILURE_CODES] | None = None  # type: ignore[valid-type]
    brand: str
    sku: str
    shade: str | None
    order_ref: str | None = None
    batch: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    photo_sha256: str | None = None
    baseline_sha256: str | None = None
    consent: ConsentState | None = None
    analysis: Annotated[ShadeAnalysis | RednessAnalysis, Field(discriminator="type")] | None
    decision: DecisionState | None = Field(
        description="the decision in force: the appeal's once it is decided"
    )
    appeal: AppealState | None = None
    appeal_until: str | None = Field(
        default=None, description="(the shopper) the decision may be appealed until then"
    )
    links: ClaimLinks
    suggestion: Suggestion | None = None
    ingredients: Ingredients | None = None
    reference_now: ReferenceNow | None = None
    same_batch: SameBatch | None = None
    related: Related | None = None
    related_counts: RelatedCounts | None = Field(default=None, description=(
        "(staff, in a list) how many claims are related to this one"))  # fmt: skip
    batch_listed: bool | None = Field(default=None, description=(
        "staff: whether the batch is among those the brand lists for the product (absent "
        "when it lists none or no batch was given)"))  # fmt: skip
    hold: Hold | None = None


class ClaimList(_Closed):
    items: list[ClaimView]
    total: int
    counts: dict[str, int]
    limit: int
    offset: int


class RevealOut(_Closed):
    url: str
    expires_at: str
    which: str


# ---- the signed report --------------------------------------------------------------------


class ReportIn(_Open):
    """A decision report as given to be checked: its fields are checked by the verification
    (signature, chain entry), not by this schema, so that any report gets an answer."""

    report_version: str
    claim_id: str
    photos: dict
    measurements: dict
    versions: dict
    decision: dict
    chain: dict
    signature: dict


class AppealedDecision(_Open):
    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]
    reason_code: Literal[REASON_CODES]  # type: ignore[valid-type]
    adjudicator: str | None
    automatic: bool
    time: str
    chain_seq: int = Field(description="the audit chain entry of the decision appealed")
    report_sha256: str = Field(description="the SHA-256 of the decision appealed's report body")


class ReportAppeal(_Open):
    statement: str
    filed_at: str
    decision_appealed: AppealedDecision


class ReportDecision(_Open):
    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]
    reason_code: Literal[REASON_CODES]  # type: ignore[valid-type]
    note: str
    automatic: bool
    rule: str | None
    adjudicator: str | None
    suggestion: Suggestion | None
    time: str
    appeal: ReportAppeal | None = Field(
        default=None,
        description="on an appeal's report: the shopper's statement and the "
        "decision appealed (its own report's chain entry and body hash)",
    )


class ReportMeasurements(_Open):
    """A shade claim's: the verdict's figures; a redness claim's: the zones."""

    lab: Lab | None = None
    calibrated: bool | None = None
    reference_lab: Lab | None = None
    delta_e00: float | None = None
    delta: Delta | None = None
    uncertainty_de00: float | None = None
    verdict: Verdict | None = None
    tolerance: float | None = None
    explanation: str | None = None
    difference: list[Literal[tuple(DIFFERENCE_WORDS)]] | None = None  # type: ignore[misc]
    reasons: list[Reason | str] | None = None
    chart: dict | None = None
    reference: ReferenceUsed | None = None
    zones: dict[str, Zone] | None = None
    compared_to_baseline: bool | None = None
    detection_limit: DetectionLimit | None = None
    method: str | None = None
    quality_problems: list[FindingCode] | None = None
    quality_findings: list[Finding] | None = None


class ChainEntry(_Open):
    seq: int
    time: str
    actor: str
    action: str
    subject: str
    payload: dict
    prev_hash: str
    hash: str


class Signature(_Closed):
    algorithm: Literal["Ed25519"]
    key_id: str
    value: str = Field(description="base64 Ed25519 signature of the canonical JSON")


class ReportPhotos(_Closed):
    photo_sha256: str
    baseline_sha256: str | None


class SignedReport(_Open):
    report_version: str
    claim_id: str
    claim_type: Literal["shade", "redness"]
    brand: str
    sku: str
    shade: str | None
    batch: str | None
    photos: ReportPhotos
    measurements: ReportMeasurements
    versions: Versions | dict
    decision: ReportDecision
    chain: ChainEntry
    signature: Signature


class ReportCheck(_Closed):
    valid: bool
    problems: list[str]
    claim_id: str | None
    decision: ReportDecision | None
    chain_seq: int | None


# ---- catalog, brands, service -------------------------------------------------------------


class ConsentNotice(_Open):
    version: str
    sha256: str
    purpose: str
    consents: dict[Literal["facial", "health"], str] = Field(
        description="what each consent is for; each is given on its own"
    )
    retention_days_after_decision: int
    text: dict[str, str] = Field(description="the notice, language → text")


class PublicKeyOut(_Closed):
    key_id: str
    algorithm: Literal["Ed25519"]
    public_key: str


class KeyList(_Closed):
    keys: list[PublicKeyOut]


class Render(_Open):
    """How the try-on paints the shade."""

    lab: Lab
    rgb_linear: list[float] = Field(min_length=3, max_length=3)
    srgb_hex: str
    in_srgb_gamut: bool


class ShadeOut(_Open):
    brand: str
    sku: str
    sku_name: str | None = None
    shade: str
    name: str | None = None
    calibration_version: int
    source: str
    tolerance: float
    uncertainty_de00: float
    render: Render


class ShadeList(_Closed):
    shades: list[ShadeOut]


class ShadeCalibrationOut(_Open):
    """A calibration saved (``saved``; ``version`` 0 and not saved on a dry run)."""

    brand: str
    sku: str
    shade: str
    version: int
    lab: Lab
    uncertainty_de00: float
    source: str
    record: dict = Field(description="the calibration's record: how it was measured")
    saved: bool


class BatchShade(_Open):
    shade: str
    name: str
    version: int = Field(description="the new version (0 on a dry run)")
    lab: Lab
    uncertainty_de00: float
    source: str
    record: dict = Field(description="the calibration's record: how it was measured")


class ShadeBatchOut(_Closed):
    """Shades calibrated from one CSV (``saved`` false on a dry run: nothing stored)."""

    brand: str
    sku: str
    saved: bool
    shades: list[BatchShade]


class CalibrationVersion(_Closed):
    version: int
    lab: list[float]
    uncertainty_de00: float
    source: str
    method: str | None
    created_at: str
    delta_e00_from_previous: float | None


class CalibrationHistory(_Closed):
    brand: str
    sku: str
    shade: str
    name: str
    tolerance: float
    versions: list[CalibrationVersion]


class SkuOut(_Open):
    brand: str
    sku: str
    name: str | None = None
    ingredients: list[str]
    flagged_ingredients: list[IngredientFlag]
    batches: list[str]


class SkuList(_Closed):
    skus: list[SkuOut]


class MeOut(_Closed):
    id: int
    role: Literal["shopper", "adjudicator", "brand", "admin"]
    name: str
    brand: str | None


class ErasureOut(_Closed):
    """What erasing one's account did (``DELETE /api/v1/me``); the token no longer works."""

    erased_at: str
    claims: int = Field(description="the account's claims, each now without a photo")
    consents_withdrawn: int = Field(description="consents withdrawn now (the others were)")


class ExportUser(_Closed):
    id: int
    role: Literal["shopper", "adjudicator", "brand", "admin"]
    name: str
    brand: str | None
    created_at: str
    disabled: bool


class ExportConsent(_Closed):
    id: int
    notice_version: str
    notice_sha256: str = Field(description="the SHA-256 of the notice's text agreed to")
    purpose: str
    facial: bool
    health: bool
    given_at: str
    withdrawn_at: str | None
    claims: list[str] = Field(description="the claims filed under this consent")


class PhotoView(_Closed):
    claim_id: str
    which: Literal["photo", "baseline", "heatmap"]
    reason: str = Field(description="the reason the reviewer stated")
    at: str
    by: Literal["a reviewer"]


class ExportPicture(_Closed):
    """What is kept of one of the user's photos, also once it is erased."""

    sha256: str
    fingerprint: str | None = Field(description=(
        "its perceptual fingerprint (vision/fingerprint.py), 16 hex digits: another claim "
        "with the same picture is found by it; no picture can be made from it"))  # fmt: skip
    fingerprint_turned: str | None = Field(description=(
        "its second fingerprint, down its columns, 16 hex digits: finds the picture turned a "
        "quarter"))  # fmt: skip
    face_fingerprint: str | None = Field(description=(
        "its face's fingerprint (taken upright and at one size by the face's landmarks), 16 "
        "hex digits: finds the picture cropped around the face or turned; None without a "
        "face, or until the analysis has looked"))  # fmt: skip
    erased: bool


class Export(_Closed):
    """Everything the service holds about the user asking."""

    exported_at: str
    user: ExportUser
    consents: list[ExportConsent]
    claims: list[ClaimView]
    pictures: list[ExportPicture]
    original_photo_views: list[PhotoView]


class PolicyOut(_Open):
    auto_approve: list[Literal["shade_mismatch", "allergy_no_proof"]] | None = None
    no_proof_allergy: bool | None = None


class _Cell(_Open):
    """What every cell of the statistics has: ``suppressed`` with ``claims`` "<k" (under
    the minimum cell size) or "hidden" (suppressed to protect a smaller cell), else the
    claims, their mismatch share and ΔE00 quantiles. Counts are perturbed by 2 at most
    (claims/stats.py NOISE); a share or the ΔE00 quantiles of fewer than k claims are null."""

    suppressed: bool
    claims: int | str
    mismatch_share: float | None = None
    delta_e00: dict[Literal["median", "p90"], float] | None = None


class StatsCell(_Cell):
    """Aggregates of a cell (the brand's, a SKU's, a batch's, a month's)."""

    shade_claims: int | None = None
    redness_claims: int | None = None
    redness_unmeasurable: int | None = None
    redness_with_baseline: int | None = None
    redness_increase_share: float | None = None
    redness_matched_pairs: int | None = None
    redness_increase_share_matched: float | None = None
    redness_single_flagged_share: float | None = None
    redness_single_open_skin_share: float | None = None
    #: a SKU's cell when the brand lists its batches: claims naming a batch not listed
    unlisted_batch_claims: int | None = None


class BatchCell(StatsCell):
    sku: str
    batch: str


class ShadeCell(_Cell):
    """A shade's figures over its shade claims; ``difference``: how half or more of its
    measured claims differ from the reference (calibration.verdict.DIFFERENCE_WORDS), null
    under k measured."""

    sku: str
    shade: str
    difference: list[Literal[tuple(DIFFERENCE_WORDS)]] | None = None  # type: ignore[misc]


class MonthCell(StatsCell):
    """A SKU's claims filed in a calendar month (UTC), ``month`` as YYYY-MM."""

    sku: str
    month: str


class BrandAlert(_Open):
    """``blue``/``yellow``: a SKU's or a shade's figures above the brand's
    (``metrics_above_baseline``);
    ``red``: ``redness_cluster``, several redness claims on one batch within hours;
    ``yellow`` ``unlisted_batches``: ``claims`` (5 or more) name batches the brand does not
    list for the SKU (counterfeits may be on sale)."""

    level: Literal["blue", "yellow", "red"]
    sku: str
    batch: str | None = None
    #: a shade's alert: its mismatch share above the brand's, and how most of its claims
    #: differ from the reference (null under k measured)
    shade: str | None = None
    difference: list[Literal[tuple(DIFFERENCE_WORDS)]] | None = None  # type: ignore[misc]
    code: Literal["redness_cluster", "unlisted_batches"] | None = None
    metrics_above_baseline: list[str] | None = None
    claims: int | None = None
    hours: int | None = None
    reason: str | None = None


class BrandStats(_Open):
    brand: str
    min_cell: int
    baseline: StatsCell
    skus: dict[str, StatsCell]
    batches: list[BatchCell]
    shades: list[ShadeCell]
    months: list[MonthCell]
    alerts: list[BrandAlert]


class AdminAlert(_Open):
    id: int
    kind: str
    user_id: int | None
    detail: dict | str | None
    created_at: str


class AlertList(_Closed):
    alerts: list[AdminAlert]


class Problem(_Open):
    type: str
    title: str
    status: int
    detail: str


# ---- webhooks -----------------------------------------------------------------------------


class DeliveryCounts(_Closed):
    delivered: int
    failed: int = Field(description="given up after every retry (an admin may send it again)")
    pending: int


class WebhookOut(_Closed):
    id: int
    url: str
    events: list[Literal[EVENTS]]  # type: ignore[valid-type]
    brand: str | None = Field(description="only this brand's claims (None: every claim)")
    created_at: str
    disabled: bool
    deliveries: DeliveryCounts


class WebhookList(_Closed):
    webhooks: list[WebhookOut]


class DeliveryOut(_Closed):
    id: int = Field(description="the Hueproof-Delivery header")
    event: Literal[EVENTS]  # type: ignore[valid-type]
    claim_id: str
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: str
    next_attempt_at: str | None
    delivered_at: str | None
    failed_at: str | None
    last_error: str | None = Field(description="the last attempt's answer or error")


class DeliveryList(_Closed):
    deliveries: list[DeliveryOut]


class EventDecision(_Closed):
    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]
    reason_code: Literal[REASON_CODES]  # type: ignore[valid-type]
    automatic: bool
    on_appeal: bool = False


class EventClaim(_Closed):
    """What an order system acts on: no measurement, photo or health figure (read the claim
    through ``links.claim`` for the rest, and for its state now)."""

    id: str
    type: Literal["shade", "redness"]
    status: Literal[CLAIM_STATUSES]  # type: ignore[valid-type]
    brand: str
    sku: str
    shade: str | None
    order_ref: str
    batch: str
    failure_code: Literal[FAILURE_CODES] | None  # type: ignore[valid-type]
    decision: EventDecision | None
    links: dict[Literal["claim", "report"], str]


class WebhookEvent(_Closed):
    """The JSON body POSTed to a webhook, signed in its ``Hueproof-Signature`` header
    (``t=<unix time>, key=<key id>, ed25519=<base64>`` over ``<t>.<body>``, with a key of
    ``GET /api/v1/keys``); ``Hueproof-Event`` names the event and ``Hueproof-Delivery`` the
    delivery. At least once, in no guaranteed order: keep the ``id``s seen."""

    id: str = Field(description="the event's id, the same for every webhook told of it")
    event: Literal[EVENTS]  # type: ignore[valid-type]
    time: str
    claim: EventClaim
