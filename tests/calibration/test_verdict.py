import pytest

from calibration.colorimetry import delta_e00
from calibration.verdict import (
    DIFFERENCE_WORDS,
    describe_difference,
    difference_terms,
    shade_verdict,
)

REF = [45.0, 55.0, 30.0]


def _shifted_by(de):
    """A colour darker than REF by exactly ``de`` ΔE00 (found by bisection on L*)."""
    lo, hi = 0.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if float(delta_e00(REF, [REF[0] - mid, REF[1], REF[2]])) < de:
            lo = mid
        else:
            hi = mid
    return [REF[0] - lo, REF[1], REF[2]]


@pytest.mark.parametrize(
    "de, u, expected",
    [
        (1.0, 1.0, "match"),  # 2.0 ≤ 3
        (2.0, 1.0, "match"),  # 3.0 ≤ 3: the boundary is a match
        (2.5, 1.0, "inconclusive"),
        (3.5, 1.0, "inconclusive"),
        (4.5, 1.0, "mismatch"),
        (6.0, 3.5, "inconclusive"),
    ],
)
def test_decision_rule(de, u, expected):
    v = shade_verdict(REF, _shifted_by(de), uncertainty=u, tolerance=3.0)
    assert v.delta_e00 == pytest.approx(de, abs=1e-6)
    assert v.verdict == expected


def test_no_uncertainty_means_inconclusive_whatever_the_difference():
    v = shade_verdict(REF, [20.0, 0.0, 0.0], uncertainty=None)
    assert v.verdict == "inconclusive" and v.uncertainty_de00 is None
    assert "cannot be judged" in v.explanation


def test_terms_are_sample_minus_reference():
    v = shade_verdict(REF, [40.0, 45.0, 25.0], uncertainty=0.5)
    assert v.delta["L"] < 0 and v.delta["C"] < 0
    assert "darker and less saturated than the reference" in v.explanation
    # the same as codes, for the pages to say in their language
    assert v.difference == ("darker", "less_saturated")
    assert v.to_dict()["difference"] == ["darker", "less_saturated"]


@pytest.mark.parametrize(
    "sample, words",
    [
        ([50.0, 55.0, 30.0], "lighter than the reference"),
        ([45.0, 65.0, 36.0], "more saturated than the reference"),
        ([45.0, 45.0, 45.0], "warmer (more orange) than the reference"),
        ([45.0, 60.0, 10.0], "cooler (more pink-purple) than the reference"),
        ([45.05, 55.0, 30.0], "practically the same colour as the reference"),
    ],
)
def test_explanations(sample, words):
    assert describe_difference(REF, sample) == words
    # the words are those of the codes (none: practically the same colour)
    codes = difference_terms(REF, sample)
    assert all(DIFFERENCE_WORDS[c] in words for c in codes) and len(codes) == (
        "practically" not in words
    )


def test_bad_uncertainty_and_tolerance_are_refused():
    with pytest.raises(ValueError, match="uncertainty"):
        shade_verdict(REF, REF, uncertainty=-1.0)
    with pytest.raises(ValueError, match="tolerance"):
        shade_verdict(REF, REF, uncertainty=1.0, tolerance=0.0)


def test_hue_words_outside_the_lip_range():
    # a blue eyeshadow (h ≈ 250°) shifted towards 270° reads bluer, towards 180° greener
    assert describe_difference([40, -10, -40], [40, 0, -42]) == "bluer than the reference"
    assert describe_difference([40, -10, -40], [40, -22, -36]) == "greener than the reference"
