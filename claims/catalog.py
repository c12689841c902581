"""Brands' catalogs: SKUs with their ingredients, shades, and immutable shade calibrations.

A calibration is never edited: a new photo or new spectrophotometer readings add a version,
and verdicts record which version they used. The try-on reads each shade's newest version.
"""

from __future__ import annotations

import csv
import re
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from calibration.colorimetry import delta_e00, lab_to_xyz, rgb_lin_to_srgb_u8, xyz_to_rgb_lin
from calibration.errors import InvalidInputError
from claims.errors import NotFound
from claims.models import Brand, Shade, ShadeCalibration, Sku

__all__ = [
    "IRRITANTS_CSV",
    "add_calibration",
    "calibration_history",
    "check_shade_code",
    "ensure_brand",
    "find_shade",
    "ingredient_flags",
    "latest_calibration",
    "order_key",
    "shade_listing",
    "upsert_sku",
]

#: INCI names of the EU's 26 labelled fragrance allergens (Regulation 1223/2009 Annex III)
#: and common irritating actives, preservatives and solvents.
IRRITANTS_CSV = Path(__file__).resolve().parent / "data" / "irritants.csv"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _check(pattern, value: str, what: str) -> str:
    """``value`` when it matches ``pattern``; else InvalidInputError (a 422, not a 500: a SKU
    code in a URL or a shade code in a CSV reaches here unchecked)."""
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidInputError(f"expected {what} matching {pattern.pattern}; got {value!r}")
    return value


def check_shade_code(code: str) -> str:
    """``code`` when it can be a shade's code, else InvalidInputError saying what is expected."""
    return _check(CODE, code, "a shade code")


def ensure_brand(session, slug: str, name: str | None = None) -> Brand:
    """The brand with this slug, created when it does not exist."""
    _check(SLUG, slug, "a brand slug (lowercase letters, digits, hyphens)")
    brand = session.execute(select(Brand).where(Brand.slug == slug)).scalar()
    if brand is None:
        brand = Brand(slug=slug, name=name or slug, policy={})
        session.add(brand)
        session.flush()
    return brand


def get_brand(session, slug: str) -> Brand:
    brand = session.execute(select(Brand).where(Brand.slug == slug)).scalar()
    if brand is None:
        raise NotFound("no such brand")
    return brand


#: batch codes a SKU may list (a brand producing a batch a day lists 3 years' worth)
MAX_BATCHES = 2000
#: the longest batch code or order number kept (claims.batch, claims.order_ref, a SKU's
#: batches); a longer one is refused, never cut short
MAX_CODE_TEXT = 100


#: what a code (a batch, an order number) is compared without, besides any white space: the
#: capture page says the same of an order (webar/js/claim.js)
CODE_PUNCTUATION = ("-", "_", ".", "/")
_CODE_SEPARATORS = re.compile(r"\s|[" + re.escape("".join(CODE_PUNCTUATION)) + "]")


def batch_key(code: str) -> str:
    """A batch code as compared with a brand's list: upper case, without spaces, hyphens,
    dots, slashes or underscores ("b2026 11" is "B2026-11"), as shoppers copy them off a
    pack."""
    return _CODE_SEPARATORS.sub("", code).upper()


def order_key(ref: str) -> str:
    """An order number as compared: as :func:`batch_key` ("o 2026-77" is "O202677"), as
    shoppers copy it, and adjudicators search it, from an order page or a receipt."""
    return batch_key(ref)


def batch_listed(sku: Sku, batch: str) -> bool | None:
    """Whether ``batch`` is among the batch codes the brand lists for ``sku``; None when it
    lists none or no batch was given."""
    if not sku.batches or not batch.strip():
        return None
    return batch_key(batch) in listed_batches(sku.batches)


def listed_batches(batches: list[str] | None) -> dict[str, str]:
    """A product's listed batch codes by key (:func:`batch_key` → the brand's spelling),
    computed once per list: every claim view of a review queue's page asks (2 000 codes:
    1.5 ms a claim, computed each time). Not to be changed: it is shared."""
    return _listed(tuple(batches or ()))


@lru_cache(maxsize=256)
def _listed(batches: tuple[str, ...]) -> dict[str, str]:
    return {batch_key(b): b for b in batches}


def _batches(batches) -> list[str]:
    """A brand's batch codes checked: a list of texts of 1 to :data:`MAX_CODE_TEXT` characters,
    each once (as
    :func:`batch_key` compares them), at most :data:`MAX_BATCHES`; else InvalidInputError
    (a 422)."""
    if not isinstance(batches, list) or not all(isinstance(b, str) for b in batches):
        raise InvalidInputError("expected batches as a list of batch codes")
    out: dict[str, str] = {}  # key → the first spelling given
    for b in (b.strip() for b in batches):
        key = batch_key(b)
        if not key or len(b) > MAX_CODE_TEXT:
            raise InvalidInputError(f"a batch code has 1-{MAX_CODE_TEXT} characters, letters "
                                    f"or digits among them; got {b!r}")  # fmt: skip
        out.setdefault(key, b)
    if len(out) > MAX_BATCHES:
        raise InvalidInputError(f"at most {MAX_BATCHES} batch codes a product; got {len(out)}")
    return list(out.values())


def upsert_sku(session, brand: Brand, code: str, *, name=None, ingredients=None,
               batches=None) -> Sku:  # fmt: skip
    """The brand's SKU ``code``, created when new; name, ingredients and the batch codes it
    produced (an empty list: none listed) updated when given."""
    _check(CODE, code, "a SKU code")
    sku = session.execute(select(Sku).where(Sku.brand_id == brand.id, Sku.code == code)).scalar()
    if sku is None:
        sku = Sku(brand_id=brand.id, code=code, name=name or code, ingredients=[])
        session.add(sku)
    if name is not None:
        sku.name = name
    if ingredients is not None:
        if not isinstance(ingredients, list) or not all(isinstance(i, str) for i in ingredients):
            raise ValueError("expected ingredients as a list of INCI names")
        sku.ingredients = [i.strip() for i in ingredients if i.strip()]
    if batches is not None:
        sku.batches = _batches(batches) or None
    session.flush()
    return sku


def find_sku(session, code: str, brand: Brand | None = None) -> Sku:
    """The SKU of ``code`` (of ``brand``). Without a brand, a code that several brands use is
    refused, naming them: taking one of them would file a claim against another brand's
    product, its reference and its statistics."""
    q = select(Sku).where(Sku.code == code)
    if brand is not None:
        q = q.where(Sku.brand_id == brand.id)
    skus = session.execute(q.order_by(Sku.id)).scalars().all()
    if not skus:
        raise NotFound(f"no such SKU {code!r}")
    if len(skus) > 1:
        slugs = sorted(session.execute(select(Brand.slug).where(
            Brand.id.in_([k.brand_id for k in skus]))).scalars())  # fmt: skip
        raise InvalidInputError(f"SKU {code!r} is sold by several brands ({', '.join(slugs)}): "
                                "expected brand")  # fmt: skip
    return skus[0]


def find_shade(session, sku: Sku, code: str) -> Shade:
    shade = session.execute(
        select(Shade).where(Shade.sku_id == sku.id, Shade.code == code)
    ).scalar()
    if shade is None:
        raise NotFound(f"no shade {code!r} for SKU {sku.code!r}")
    return shade


def latest_calibration(session, shade: Shade) -> ShadeCalibration | None:
    return session.execute(
        select(ShadeCalibration)
        .where(ShadeCalibration.shade_id == shade.id)
        .order_by(ShadeCalibration.version.desc())
        .limit(1)
    ).scalar()


def calibration_history(session, shade: Shade) -> list[dict]:
    """Every version of the shade's reference, newest first, each with how far it moved from
    the version before (ΔE00, the earlier version as the reference; None for the first)."""
    cals = session.execute(select(ShadeCalibration).where(ShadeCalibration.shade_id == shade.id)
                           .order_by(ShadeCalibration.version)).scalars().all()  # fmt: skip
    out, previous = [], None
    for cal in cals:
        moved = None if previous is None else round(float(delta_e00(previous.lab, cal.lab)), 3)
        out.append({"version": cal.version, "lab": cal.lab, "uncertainty_de00": cal.expanded_u,
                    "source": cal.source, "method": (cal.record or {}).get("method"),
                    "created_at": cal.created_at.isoformat(),
                    "delta_e00_from_previous": moved})  # fmt: skip
        previous = cal
    return out[::-1]


def add_calibration(
    session, brand: Brand, *, sku: str, shade: str, record, name: str = "", user_id=None,
    tolerance: float | None = None,
) -> ShadeCalibration:  # fmt: skip
    """A new immutable version of the shade's reference (SKU and shade created when new).

    ``record`` is a :class:`calibration.swatch.SwatchCalibration`.
    """
    check_shade_code(shade)
    sku_row = upsert_sku(session, brand, sku)
    shade_row = session.execute(
        select(Shade).where(Shade.sku_id == sku_row.id, Shade.code == shade)
    ).scalar()
    if shade_row is None:
        shade_row = Shade(sku_id=sku_row.id, code=shade, name=name or shade, tolerance=3.0)
        session.add(shade_row)
        session.flush()
    elif name:
        shade_row.name = name
    if tolerance is not None:
        if not 0.1 <= float(tolerance) <= 20:
            raise InvalidInputError(
                f"expected a tolerance between 0.1 and 20 ΔE00; got {tolerance}"
            )
        shade_row.tolerance = float(tolerance)
    version = (
        session.execute(
            select(func.max(ShadeCalibration.version)).where(
                ShadeCalibration.shade_id == shade_row.id
            )
        ).scalar()
        or 0
    ) + 1
    cal = ShadeCalibration(
        shade_id=shade_row.id,
        version=version,
        lab=[round(float(v), 4) for v in record.lab],
        expanded_u=round(float(record.expanded_u), 4),
        source=record.source,
        record=record.to_dict(),
        created_by=user_id,
    )
    session.add(cal)
    session.flush()
    return cal


def render_parameters(lab) -> dict:
    """What the try-on needs to paint a shade: its Lab, linear RGB and an sRGB swatch colour."""
    rgb_lin = xyz_to_rgb_lin(lab_to_xyz(np.asarray(lab, np.float64)))
    in_gamut = bool(np.all((rgb_lin >= -1e-4) & (rgb_lin <= 1 + 1e-4)))
    srgb_u8 = rgb_lin_to_srgb_u8(np.clip(rgb_lin, 0, 1))
    return {
        "lab": [round(float(v), 3) for v in lab],
        "rgb_linear": [round(float(v), 5) for v in np.clip(rgb_lin, 0, 1)],
        "srgb_hex": "#" + "".join(f"{int(v):02x}" for v in srgb_u8),
        "in_srgb_gamut": in_gamut,
    }


def shade_listing(session, sku_code: str | None = None) -> list[dict]:
    """Every calibrated shade (newest version), optionally of one SKU code."""
    q = (
        select(Shade, Sku, Brand)
        .join(Sku, Shade.sku_id == Sku.id)
        .join(Brand, Sku.brand_id == Brand.id)
    )
    if sku_code:
        q = q.where(Sku.code == sku_code)
    out = []
    for shade, sku, brand in session.execute(q.order_by(Brand.slug, Sku.code, Shade.code)):
        cal = latest_calibration(session, shade)
        if cal is None:
            continue
        out.append({
            "brand": brand.slug,
            "sku": sku.code,
            "sku_name": sku.name,
            "shade": shade.code,
            "name": shade.name,
            "tolerance": shade.tolerance,
            "calibration_version": cal.version,
            "source": cal.source,
            "uncertainty_de00": cal.expanded_u,
            "render": render_parameters(cal.lab),
        })  # fmt: skip
    return out


def _normalise_inci(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.casefold()).strip()


@cache
def irritants() -> dict[str, dict]:
    """Normalised INCI name → {"inci", "category", "note"} from :data:`IRRITANTS_CSV`."""
    out = {}
    with open(IRRITANTS_CSV, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[_normalise_inci(row["inci_name"])] = {
                "inci": row["inci_name"],
                "category": row.get("category") or "",
                "note": row.get("note") or "",
            }
    return out


def ingredient_flags(ingredients) -> list[dict]:
    """The SKU's ingredients that are known allergens or irritants, as information.

    Worded for the adjudicator: a listed ingredient is a possible cause worth considering,
    not a diagnosis of this person's reaction.
    """
    known = irritants()
    flags = []
    for name in ingredients or ():
        hit = known.get(_normalise_inci(name))
        if hit:
            flags.append({"ingredient": name, "category": hit["category"], "note": hit["note"]})
    return flags
