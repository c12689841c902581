"""The demo a fresh ``make run`` starts with: one brand, a small calibrated catalog, users.

The shades are calibrated from spectral reflectance (as a spectrophotometer would give): the
same spectra the simulator renders, so the README's sample photo of "classic red" measures
against a reference made independently of any photo.
"""

from __future__ import annotations

from calibration import swatch
from calibration.simulate import PRODUCT_SHADES, shade_reflectance, wavelengths
from claims.auth import create_user
from claims.catalog import add_calibration, ensure_brand, upsert_sku

__all__ = ["DEMO_BRAND", "seed_demo"]

DEMO_BRAND = "demo-cosmetics"
DEMO_CATALOG = {
    "LIP-VELVET": {
        "name": "Velvet matte lipstick",
        "ingredients": ["Isododecane", "Dimethicone", "Trimethylsiloxysilicate", "Cera Alba",
                        "Parfum", "Limonene", "Benzyl Alcohol", "CI 15850", "CI 77491"],
        "shades": {"R01": "classic red", "N02": "nude", "B03": "berry"},
    },
    "SERUM-RETINOL": {
        "name": "Night renewal serum",
        "ingredients": ["Aqua", "Glycerin", "Retinol", "Niacinamide", "Alcohol Denat.",
                        "Phenoxyethanol", "Linalool"],
        "shades": {},
    },
}  # fmt: skip


def _spectral_record(code: str, product: str):
    lam = wavelengths()
    refl = shade_reflectance(PRODUCT_SHADES[product])
    csv_text = f"wavelength,{code}\n" + "".join(
        f"{w:g},{r:.5f}\n" for w, r in zip(lam, refl, strict=True)
    )
    (record,) = swatch.calibrate_from_spectral_csv(csv_text.encode())
    return record


def seed_demo(session) -> dict[str, str]:
    """Create the demo brand, catalog and one user per role; returns role → token."""
    brand = ensure_brand(session, DEMO_BRAND, "Demo Cosmetics")
    for sku_code, item in DEMO_CATALOG.items():
        upsert_sku(session, brand, sku_code, name=item["name"], ingredients=item["ingredients"])
        for shade_code, product in item["shades"].items():
            add_calibration(session, brand, sku=sku_code, shade=shade_code, name=product,
                            record=_spectral_record(shade_code, product))  # fmt: skip
    tokens = {}
    for role in ("shopper", "adjudicator", "brand", "admin"):
        _, token = create_user(session, role=role, name=f"demo {role}",
                               brand=DEMO_BRAND if role == "brand" else None)  # fmt: skip
        tokens[role] = token
    return tokens
