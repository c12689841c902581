"""The pages' constants are the Python ones (the browser cannot import them): a change on one
side without the other fails here instead of drifting silently."""

from __future__ import annotations

import pytest

from calibration import measure
from claims import catalog, metrics, policy, webhooks
from models.redness import reference
from tests.webar.conftest import JS, js_value
from vision import analysis, beforeafter, fingerprint, quality, redness, regions, tryon


@pytest.mark.parametrize(
    ("file", "name", "python"),
    [
        ("paint.js", "LIPS_OUTER", list(regions.LIPS_OUTER)),
        ("paint.js", "LIPS_INNER", list(regions.LIPS_INNER)),
        ("paint.js", "LIP_CORNERS", list(tryon.LIP_CORNERS)),
        ("paint.js", "FEATHER_FRACTION", tryon.FEATHER_FRACTION),
        ("paint.js", "FIT_STEPS", tryon.FIT_STEPS),
        ("paint.js", "SHADING_RANGE", list(tryon.SHADING_RANGE)),
        ("redness.js", "FACE_WIDTH", reference.FACE_WIDTH),
        ("redness.js", "INPUT_MULTIPLE", reference.INPUT_MULTIPLE),
        ("redness.js", "POOL", reference.POOL),
        ("redness.js", "NON_SKIN_Z", redness.NON_SKIN_Z),
        ("redness.js", "DETECT_THRESHOLD", redness.DETECT_THRESHOLD),
        ("redness.js", "LOW_THRESHOLD", redness.LOW_THRESHOLD),
        ("redness.js", "MIN_AREA_FRACTION", redness.MIN_AREA_FRACTION),
        ("redness.js", "MIN_PEAK_OD", redness.MIN_PEAK_OD),
        ("redness.js", "MIN_EDGE_OD", redness.MIN_EDGE_OD),
        ("redness.js", "PEAK_PERCENTILE", redness.PEAK_PERCENTILE),
        ("redness.js", "FACE_OVAL", list(regions.FACE_OVAL)),
        ("redness.js", "CUTS", sorted(list(c) for c in regions.REGIONS["skin"][1])),
        ("redness.js", "SKIN_EROSION", regions.REGIONS["skin"][2]),
        ("redness.js", "CUTOUT_MARGIN", regions.CUTOUT_MARGIN),
        ("redness.js", "SMOOTH_FRACTION", redness.SMOOTH_FRACTION),
        ("colour.js", "OD_FLOOR", redness.OD_FLOOR),
        ("exif.js", "PHOTO_EDITORS", list(quality.PHOTO_EDITORS)),
        ("colour.js", "MIN_COLOUR_RANGE", measure.MIN_COLOUR_RANGE),
        ("claim.js", "GRAIN_LIMIT_OD", quality.LIMITS["max_grain_od"]),
        ("claim.js", "EXPRESSION_LIMIT", quality.LIMITS["max_expression_change"]),
        ("claim.js", "EXPRESSION_BLENDSHAPES", list(quality.EXPRESSION_BLENDSHAPES)),
        ("claim.js", "MAX_CHROMATIC_GAIN", beforeafter.MAX_CHROMATIC_GAIN),
        ("claim.js", "MAX_EXPOSURE_GAIN", beforeafter.MAX_EXPOSURE_GAIN),
        ("claim.js", "MAX_SHADING_SLOPE", beforeafter.MAX_SHADING_SLOPE),
        ("claim.js", "MIN_BASELINE_FACE_PX", quality.LIMITS["min_baseline_face_px"]),
        ("claim.js", "MAX_YAW_CHANGE", quality.LIMITS["max_yaw_change"]),
        ("claim.js", "MAX_PITCH_CHANGE", quality.LIMITS["max_pitch_change"]),
        ("mirror.js", "MIRROR_MARGIN", analysis.MIRROR_MARGIN),
        ("mirror.js", "MAX_STRETCH", beforeafter.MAX_STRETCH),
        ("dom.js", "ZONES", list(regions.REDNESS_ZONES)),
        ("review.js", "OUTCOMES", list(policy.OUTCOMES)),
        ("review.js", "REASONS", list(policy.REASON_CODES)),
        ("review.js", "SHADE_REASONS", list(policy.TYPE_REASONS["shade"])),
        ("review.js", "REDNESS_REASONS", list(policy.TYPE_REASONS["redness"])),
        ("review.js", "APPROVE_CONTRADICTIONS", list(policy.CONTRADICTING_REASONS["approve"])),
        ("review.js", "REJECT_CONTRADICTIONS", list(policy.CONTRADICTING_REASONS["reject"])),
        ("admin.js", "EVENTS", list(webhooks.EVENTS)),
        ("claim.js", "CODE_PUNCTUATION", list(catalog.CODE_PUNCTUATION)),
        ("review.js", "COPY_DISTANCE", fingerprint.COPY_DISTANCE),
        ("admin.js", "WAITING", list(metrics.WAITING_STATUSES)),
    ],
)
def test_page_constant_matches_python(file, name, python):
    value = js_value(file, name)
    if name == "CUTS":  # the cut-outs' order does not matter
        value = sorted(value)
    assert value == python


def test_the_capture_pages_density_rows_are_the_servers():
    """colour.js's density rows (claim.js's grain check on haemoglobin, mirror.js's test of a
    mirrored photo on melanin and shading) are the server's."""
    import numpy as np

    melanin, haemoglobin = redness.pigment_vectors()
    inverse = np.linalg.inv(np.stack([melanin, haemoglobin, np.ones(3)], axis=1))
    assert js_value("colour.js", "HB_OD") == pytest.approx(inverse[1].tolist(), abs=1e-9)
    assert js_value("colour.js", "MEL_OD") == pytest.approx(inverse[0].tolist(), abs=1e-9)
    assert js_value("colour.js", "SHADE_OD") == pytest.approx(inverse[2].tolist(), abs=1e-9)


def _string_keys(block: str) -> list[str]:
    """The keys of one language's object literal in i18n.js, in order, repeats kept."""
    import re

    literal = r'"(?:[^"\\]|\\.)*"'
    quoted = [k[1:-1] for k in re.findall(rf"({literal})\s*:", block)]
    bare = re.findall(r"(?:^|[{,])\s*([A-Za-z_]\w*)\s*:", re.sub(literal, '""', block), re.M)
    return quoted + bare


def test_every_page_string_is_given_once_in_each_language():
    """A key given twice in one language silently keeps the second (a page then shows another
    page's words), and a key missing in one language shows the other's."""
    text = (JS / "i18n.js").read_text()
    zh, en = text.split("\n  zh: {", 1)[1].split("\n  en: {", 1)
    en = en.split("\n};", 1)[0]
    keys = {"zh": _string_keys(zh), "en": _string_keys(en)}
    for lang, found in keys.items():
        assert len(found) > 100, (lang, len(found))  # the parse found the strings
        twice = sorted({k for k in found if found.count(k) > 1})
        assert twice == [], f"{lang}: given twice: {twice}"
    assert set(keys["zh"]) == set(keys["en"]), set(keys["zh"]) ^ set(keys["en"])


def test_every_problem_type_has_a_headline_in_each_language():
    """The pages put a headline in their language before the server's words of a failed
    request (i18n.js errorText); each problem type the API answers has one."""
    from server import PROBLEM_TYPES

    text = (JS / "i18n.js").read_text()
    zh, en = text.split("\n  zh: {", 1)[1].split("\n  en: {", 1)
    for block in (zh, en.split("\n};", 1)[0]):
        keys = set(_string_keys(block))
        missing = {kind for _, kind, _ in PROBLEM_TYPES} - {
            k[8:] for k in keys if k.startswith("problem_")
        }
        assert missing == set(), missing


def test_every_analysis_code_has_words_in_each_language():
    """The pages say an analysis's findings, a shade measurement's reasons and how its colour
    differs, the policy's suggestion, the categories of irritants and why an analysis failed
    in their language (explain.js), from the codes the API gives beside its English: each
    code has words in both (before, the pages showed the English on a Chinese page)."""
    from calibration.measure import REASON_CODES
    from calibration.verdict import DIFFERENCE_WORDS
    from claims.analysis import FAILURE_CODES
    from claims.catalog import irritants
    from claims.models import CLAIM_STATUSES, ROLES
    from claims.policy import NOTES, RULES
    from vision.quality import FINDING_CODES

    text = (JS / "i18n.js").read_text()
    zh, en = text.split("\n  zh: {", 1)[1].split("\n  en: {", 1)
    wanted = ([f"finding_{c}" for c in FINDING_CODES] + [f"measureReason_{c}" for c in REASON_CODES]
              + [f"difference_{c}" for c in DIFFERENCE_WORDS]
              + [f"verdictTail_{v}" for v in ("match", "mismatch", "inconclusive", "uncalibrated")]
              + [f"rule_{r}" for r in RULES] + [f"note_{n}" for n in NOTES]
              + [f"category_{v['category']}" for v in irritants().values()]
              + [f"failure_{c}" for c in FAILURE_CODES]
              + [f"event_{e}" for e in webhooks.EVENTS] + [f"role_{r}" for r in ROLES]
              + [f"status_{s}" for s in CLAIM_STATUSES]
              + [f"delivery_{s}" for s in ("pending", "delivered", "failed")])  # fmt: skip
    for block in (zh, en.split("\n};", 1)[0]):
        keys = set(_string_keys(block))
        assert [k for k in wanted if k not in keys] == []


def test_the_pages_english_suggestions_are_the_policys():
    """The review page says a suggestion's rule in the page's language (explain.js
    suggestionText); in English, the words are the policy's own."""
    import json

    from claims.policy import RULES

    text = (JS / "i18n.js").read_text()
    en = text.split("\n  en: {", 1)[1]
    for rule, (_, _, sentence) in RULES.items():
        assert f"rule_{rule}: {json.dumps(sentence, ensure_ascii=False)}," in en, rule
