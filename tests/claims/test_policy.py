"""Policy suggestions: which rule each kind of result meets, and when approval is automatic."""

import pytest

from claims.policy import OUTCOMES, REASON_CODES, RULES, TYPE_REASONS, decision_problem, suggest


def _redness(flagged: bool, compared: bool) -> dict:
    zones = {"left_cheek": {"area_fraction": 0.12 if flagged else 0.0},
             "chin": {"area_fraction": 0.0}}  # fmt: skip
    return {"redness": {"redness": {"zones": zones, "compared_to_baseline": compared}}}


@pytest.mark.parametrize(
    "claim_type, result, rule",
    [
        ("shade", {"shade": {"verdict": "mismatch"}}, "shade_mismatch"),
        ("shade", {"shade": {"verdict": "match"}}, "shade_match"),
        ("shade", {"shade": {"verdict": "inconclusive"}}, "shade_inconclusive"),
        ("shade", {"shade": None}, "shade_inconclusive"),
        ("redness", _redness(True, True), "redness_increase"),
        ("redness", _redness(True, False), "redness_single"),
        ("redness", _redness(False, False), "redness_none"),
        ("redness", _redness(False, True), "redness_no_increase"),
        ("redness", {"redness": None}, "redness_none"),
        (
            "redness",
            {
                "redness": {
                    "redness": {"measurable": False, "zones": {}, "compared_to_baseline": False}
                }
            },
            "redness_unmeasurable",
        ),
    ],
)
def test_each_result_meets_its_rule(claim_type, result, rule):
    s = suggest(claim_type, result, None)
    assert s["rule"] == rule and s["automatic"] is False
    assert (s["outcome"], s["reason_code"], s["text"]) == RULES[rule]


def test_no_result_no_suggestion():
    assert suggest("redness", None, None) is None


def test_a_single_photo_without_redness_says_what_it_can_miss():
    assert "before" in suggest("redness", _redness(False, False), None)["text"]
    assert "baseline" in suggest("redness", _redness(False, True), None)["text"]


def test_nothing_flagged_states_this_photos_detection_limit():
    result = _redness(False, False)
    result["redness"]["redness"]["detection_limit"] = {
        "haemoglobin_od": 0.31,
        "a_star": 5.8,
        "delta_e00": 6.0,
        "patch_diameter_face_widths": 0.12,
    }
    s = suggest("redness", result, None)
    assert s["text"].startswith(RULES["redness_none"][2])
    assert "about 6 a* units over a patch 0.12 face widths across" in s["text"]
    # and as a note with its figures, for the review page to say in its language
    assert s["notes"] == [{"code": "detection_limit", "a_star": 5.8,
                           "patch_diameter_face_widths": 0.12}]  # fmt: skip
    # a flagged photo's suggestion does not carry it
    result["redness"]["redness"]["zones"]["chin"]["area_fraction"] = 0.1
    assert suggest("redness", result, None)["text"] == RULES["redness_single"][2]


def test_automatic_approval_only_for_an_approving_rule_the_brand_chose():
    policy = {"auto_approve": ["shade_mismatch", "shade_match"]}
    assert suggest("shade", {"shade": {"verdict": "mismatch"}}, policy)["automatic"] is True
    # rejecting is never automatic, even when listed
    assert suggest("shade", {"shade": {"verdict": "match"}}, policy)["automatic"] is False
    assert suggest("shade", {"shade": {"verdict": "mismatch"}}, {})["automatic"] is False


def test_allergy_without_proof_follows_the_brand():
    s = suggest("redness", _redness(False, False), {"no_proof_allergy": True})
    assert s["rule"] == "allergy_no_proof" and s["outcome"] == "approve_refund"


def test_rules_use_known_outcomes_and_reasons():
    for outcome, reason, text in RULES.values():
        assert outcome in OUTCOMES and reason in REASON_CODES and text


def test_every_rules_suggestion_is_a_decision_the_service_accepts():
    for rule, (outcome, reason, _) in RULES.items():
        claim_type = "shade" if rule.startswith("shade") else "redness"
        assert decision_problem(claim_type, outcome, reason) is None, rule
    assert set().union(*TYPE_REASONS.values()) == set(REASON_CODES)


@pytest.mark.parametrize(
    ("claim_type", "outcome", "reason", "said"),
    [
        ("shade", "approve_refund", "shade_within_tolerance", "contradicts"),
        ("shade", "approve_price_difference", "shade_within_tolerance", "contradicts"),
        ("shade", "reject", "shade_mismatch_measured", "contradicts"),
        ("redness", "reject", "redness_increase_documented", "contradicts"),
        ("redness", "reject", "allergy_policy_no_proof", "contradicts"),
        ("redness", "approve_replacement", "redness_not_documented", "contradicts"),
        ("shade", "escalate", "redness_flagged_single_photo", "does not apply to a shade"),
        ("redness", "reject", "shade_within_tolerance", "does not apply to a redness"),
    ],
)
def test_a_reason_that_contradicts_the_outcome_or_fits_another_claim_type_is_named(
    claim_type, outcome, reason, said
):
    assert said in decision_problem(claim_type, outcome, reason)
    assert decision_problem(claim_type, "escalate", "other", "goodwill") is None


def test_another_reason_needs_a_note_saying_it():
    """ "other" tells the report's reader that the note gives the reason: without a note the
    report would point at nothing."""
    for note in ("", "  "):
        assert "needs a note" in decision_problem("shade", "reject", "other", note)
    assert decision_problem("shade", "reject", "other", "the order was cancelled") is None


def test_a_single_photos_flags_in_folds_and_shadows_are_pointed_out():
    """Most of a single photo's flagged area in folds or shadows (where natural redness lies
    on real photos) gets a sentence; less of it, or a pair's increase, does not."""
    from claims.policy import SHADED_SHARE

    for compared, shaded, said in [(False, SHADED_SHARE + 0.3, True),
                                   (False, SHADED_SHARE - 0.1, False), (False, None, False),
                                   (True, SHADED_SHARE + 0.3, False)]:  # fmt: skip
        result = _redness(True, compared)
        if shaded is not None:
            result["redness"]["redness"]["shaded_fraction"] = shaded
        text = suggest("redness", result, None)["text"]
        assert ("lies in folds or shadows" in text) == said, (compared, shaded)
        if said:
            assert text.startswith(RULES["redness_single"][2]) and f"{shaded:.0%}" in text


def test_an_increase_between_photos_that_differ_says_how_they_differ():
    result = _redness(True, True)
    assert suggest("redness", result, None)["text"] == RULES["redness_increase"][2]
    result["redness"]["quality"] = {"problems": ["blurry", "light_direction_changed",
                                                "expression_changed"]}  # fmt: skip
    s = suggest("redness", result, None)
    assert s["text"].startswith(RULES["redness_increase"][2])
    assert "differ (expression_changed, light_direction_changed)" in s["text"]
    assert s["notes"] == [
        {"code": "photos_differ", "findings": ["expression_changed", "light_direction_changed"]}
    ]
    # nothing increased: the rule's own text already asks for matching photos
    result = _redness(False, True)
    result["redness"]["quality"] = {"problems": ["light_direction_changed"]}
    assert "differ (" not in suggest("redness", result, None)["text"]


@pytest.mark.parametrize(
    ("flagged", "compared", "said"),
    [(True, True, True), (False, True, True), (True, False, False), (False, False, False)],
)
def test_a_photo_from_before_dated_after_the_new_one_is_pointed_out(flagged, compared, said):
    result = _redness(flagged, compared)
    result["redness"]["quality"] = {"problems": ["baseline_not_earlier", "camera_changed"]}
    text = suggest("redness", result, None)["text"]
    assert ("photo from before was taken after this one" in text) == said
    if flagged and compared:
        assert "differ (camera_changed)" in text


@pytest.mark.parametrize("flagged", [True, False])
@pytest.mark.parametrize("why", ["baseline_same_photo", "baseline_other_person"])
def test_a_photo_from_before_that_was_not_used_is_named(flagged, why):
    """A baseline the analysis did not use (no face, no colour, the same picture, another
    person) leaves a single photo's analysis: the suggestion says the earlier photo was not
    used, and why."""
    result = _redness(flagged, False)
    result["redness"]["quality"] = {"problems": [why]}
    s = suggest("redness", result, None)
    assert s["rule"] == ("redness_single" if flagged else "redness_none")
    assert f"The photo from before was not used ({why})" in s["text"]
    assert "not used" not in suggest("redness", _redness(flagged, False), None)["text"]


def test_a_shade_photo_without_colour_says_so():
    """An inconclusive shade verdict on a photo without colour (a chart's patches or the face's
    box under the limit) asks for a photo in colour, not only for a chart."""
    from calibration.measure import MIN_COLOUR_RANGE

    grey = {"shade": {"verdict": "inconclusive", "colour_range": 0.0}}
    s = suggest("shade", grey, None)
    assert s["rule"] == "shade_inconclusive" and "The photo has no colour" in s["text"]
    for spread in (None, MIN_COLOUR_RANGE, 3.0):
        coloured = {"shade": {"verdict": "inconclusive", "colour_range": spread}}
        assert suggest("shade", coloured, None)["text"] == RULES["shade_inconclusive"][2]


@pytest.mark.parametrize("claim_type, result, code", [
    ("shade", {"shade": {"verdict": "mismatch"}, "quality": {"problems": ["edited"]}}, "edited"),
    ("redness", {**_redness(True, True), "redness": {**_redness(True, True)["redness"],
                 "quality": {"problems": ["baseline_edited"]}}}, "baseline_edited"),
])  # fmt: skip
def test_a_photo_a_photo_editor_saved_is_never_approved_automatically(claim_type, result, code):
    """A file naming a photo editor as what saved it: the suggestion says so and asks for the
    camera's file, and a brand's automatic approval does not apply; without the finding it
    does."""
    policy = {"auto_approve": ["shade_mismatch", "redness_increase"]}
    s = suggest(claim_type, result, policy)
    assert f"a photo editor saved it ({code})" in s["text"] and s["automatic"] is False
    plain = {k: v for k, v in result.items() if k != "quality"}
    if claim_type == "redness":
        plain = _redness(True, True)
    assert "photo editor" not in suggest(claim_type, plain, policy)["text"]
    if claim_type == "shade":
        assert suggest(claim_type, plain, policy)["automatic"] is True
    # a brand that pays allergy claims without proof does not need the photo
    if claim_type == "redness":
        s = suggest(claim_type, result, {"no_proof_allergy": True})
        assert s["rule"] == "allergy_no_proof" and "photo editor" not in s["text"]


def test_documented_increases_on_the_batch_are_named_in_a_redness_suggestion():
    """Two or more other claims on the batch documenting an increase against a photo from
    before: a redness claim's suggestion says the product may be the cause (its rule and
    outcome unchanged); one is not enough, and shade claims are not redness evidence."""
    batch = {"redness_increase_documented": 2, "redness_increase_matched": 1}
    single = suggest("redness", _redness(True, False), {}, batch)
    assert single["rule"] == "redness_single"
    assert single["notes"][-1] == {"code": "batch_increases", "claims": 2, "matched": 1}
    assert single["text"].endswith("the product, not this person's skin alone, may be the cause.")
    assert single["outcome"] == suggest("redness", _redness(True, False), {})["outcome"]
    one = {"redness_increase_documented": 1, "redness_increase_matched": 1}
    assert "batch_increases" not in [n["code"] for n in suggest("redness", _redness(True, False),
                                                                {}, one)["notes"]]  # fmt: skip
    shade = suggest("shade", {"shade": {"verdict": "match"}}, {}, batch)
    assert "batch_increases" not in [n["code"] for n in shade["notes"]]
    no_proof = suggest("redness", _redness(True, False), {"no_proof_allergy": True}, batch)
    assert "batch_increases" not in [n["code"] for n in no_proof["notes"]]
