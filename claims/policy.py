"""Policy suggestions: what the measurements suggest the adjudicator decide.

A suggestion is shown, never silently applied. A brand may opt into automatic approval for
a rule whose outcome is an approval; the decision is then made by the service and recorded
in the chain and the signed report as automatic, under that rule's name.
"""

from __future__ import annotations

from calibration.measure import MIN_COLOUR_RANGE, NO_COLOUR_CAUSES

__all__ = [
    "BASELINE_UNUSED",
    "CONTRADICTING_REASONS",
    "EDITED",
    "OUTCOMES",
    "REASON_CODES",
    "RULES",
    "TYPE_REASONS",
    "decision_problem",
    "redness_flagged",
    "redness_of",
    "suggest",
]

OUTCOMES = (
    "approve_refund",
    "approve_price_difference",
    "approve_replacement",
    "reject",
    "request_evidence",
    "escalate",
)
REASON_CODES = (
    "shade_mismatch_measured",
    "shade_within_tolerance",
    "inconclusive_photo",
    "redness_increase_documented",
    "redness_flagged_single_photo",
    "redness_not_documented",
    "allergy_policy_no_proof",
    "other",
)
#: The reason codes a decision on each claim type may give: a shade claim is not decided on
#: redness, nor a redness claim on a shade's measurement.
TYPE_REASONS = {
    "shade": ("shade_mismatch_measured", "shade_within_tolerance", "inconclusive_photo", "other"),
    "redness": ("redness_increase_documented", "redness_flagged_single_photo",
                "redness_not_documented", "allergy_policy_no_proof", "inconclusive_photo",
                "other"),
}  # fmt: skip
#: Reason codes that say the opposite of an outcome, which a signed report must never pair
#: with it: an approval "because the colour is within tolerance", a rejection "because a
#: mismatch was measured". Every ``approve_…`` outcome shares the first list.
CONTRADICTING_REASONS = {
    "approve": ("shade_within_tolerance", "redness_not_documented"),
    "reject": ("shade_mismatch_measured", "redness_increase_documented",
               "allergy_policy_no_proof"),
}  # fmt: skip
#: A single photo's flags lying in folds or shadows at least this much (vision/redness.py,
#: SHADED_OD) get a sentence saying so: the share of their area there (the analysis's
#: ``shaded_fraction``) is the measured difference between natural redness and the test's
#: reactions.
SHADED_SHARE = 0.5
#: A pair's findings that say its two photos differ in more than the skin: an increase
#: flagged with any of them gets a sentence naming them (vision/quality.py,
#: vision/beforeafter.py).
PAIR_DIFFERENCES = ("expression_changed", "pose_changed", "light_direction_changed",
                    "lighting_changed", "exposure_changed", "camera_changed", "noisy_pair",
                    "baseline_face_too_small", "baseline_smoothed")  # fmt: skip
#: Findings that say a claim's photo from before was not used (vision/analysis.py): the
#: analysis then is a single photo's, and the suggestion says why.
BASELINE_UNUSED = ("baseline_no_face", "baseline_no_colour", "baseline_same_photo",
                   "baseline_other_person")  # fmt: skip
#: Findings that say a photo's file names a photo editor as what saved it (vision/quality.py
#: edit_findings): the suggestion says so, and is never applied automatically.
EDITED = ("edited", "baseline_edited")
#: rule → (outcome, reason code, text for the adjudicator)
RULES = {
    "shade_mismatch": ("approve_price_difference", "shade_mismatch_measured",
                       "Approve price-difference compensation: the colour differs from the "
                       "calibrated reference beyond tolerance, uncertainty included."),
    "shade_match": ("reject", "shade_within_tolerance",
                    "The colour matches the calibrated reference within tolerance, "
                    "uncertainty included."),
    "shade_inconclusive": ("request_evidence", "inconclusive_photo",
                           "Ask for a new photo with a colour chart beside the product: this "
                           "one cannot decide either way."),
    "redness_increase": ("escalate", "redness_increase_documented",
                         "Escalate to a human reviewer: redness increased against the "
                         "baseline photo."),
    "redness_single": ("escalate", "redness_flagged_single_photo",
                       "Escalate to a human reviewer: redness above the person's own skin "
                       "is flagged (no baseline photo to show it is new). A single photo also "
                       "flags skin that is red by nature: on every real photo of people the "
                       "analysis was not tuned on, 1-5 % of the skin beside the nose, in the "
                       "folds or under the eyes. A photo from before shows what is new."),
    "redness_none": ("request_evidence", "redness_not_documented",
                     "No redness above the person's own skin is flagged in the photo. A single "
                     "photo can miss mild redness (on the test set, patches an eighth of the "
                     "face across of about 4 a* units were found 10 times in 50, those of 7 "
                     "and more 49 or 50 times, cheek-wide ones of 7 a* units 15 times in 25; "
                     "with a photo from before, every one; on real photos of people it was not "
                     "tuned on, 11 of 20 of the patches the test set's photos always showed): "
                     "ask for a photo in good light, ideally with one from before."),
    "redness_no_increase": ("request_evidence", "redness_not_documented",
                            "No increase in redness against the baseline photo is flagged (on "
                            "the test set a before/after pair found every patch down to about "
                            "4 a* units; between real photos of one man taken on different "
                            "days, with another expression, light and turn of the head, 1 of "
                            "30 of the strongest patches): ask for a photo taken while the "
                            "reaction shows, with the expression, light, facing and distance "
                            "of the earlier one."),
    "redness_unmeasurable": ("request_evidence", "inconclusive_photo",
                             f"The photo has no colour ({NO_COLOUR_CAUSES}): redness cannot "
                             "be seen in it, so nothing is flagged and nothing is ruled out. "
                             "Ask for a photo as the camera takes it, without a filter, in "
                             "daylight or white light."),
    "allergy_no_proof": ("approve_refund", "allergy_policy_no_proof",
                         "The brand accepts allergy claims without proof."),
}  # fmt: skip


#: note → the sentence a suggestion adds (:func:`_notes`), formatted with the note's figures
#: (its findings' codes as ``findings_list``); the review page says each in its language
#: (webar/js/i18n.js ``note_<code>``).
NOTES = {
    "colourless": f"The photo has no colour ({NO_COLOUR_CAUSES}): ask for one as the camera "
                  "takes it.",
    "flags_in_shade": "{shaded_fraction:.0%} of the flagged area lies in folds or shadows: on "
                      "real photos of people the analysis was not tuned on, 50-100 % of the "
                      "skin flagged without any reaction lay there, against 5 % of the test "
                      "reactions' flagged area. Compare the flagged area with the photo before "
                      "deciding.",
    "photos_differ": "The two photos differ ({findings_list}): part of the increase may come "
                     "from the photos rather than the skin. Compare them side by side before "
                     "deciding.",
    "baseline_unused": "The photo from before was not used ({findings_list}): ask for one "
                       "taken before the product was used, as the camera took it.",
    "baseline_later": "By the dates the files state, the photo from before was taken after "
                      "this one: ask the shopper which photo shows the skin before the product "
                      "before relying on the comparison (dates in files are easily changed, and "
                      "may be wrong either way).",
    "detection_limit": "In this photo, redness weaker than about {a_star:.0f} a* units over a "
                       "patch {patch_diameter_face_widths:g} face widths across cannot be told "
                       "from the person's own skin (the analysis's detection limit).",
    "edited": "A file states that a photo editor saved it ({findings_list}): its colours and "
              "skin may have been changed after it was taken. Ask for the file as the camera "
              "saved it before relying on it; never approved automatically.",
    "batch_increases": "{claims} other claims on this product's batch document an increase "
                       "of redness against a photo from before ({matched} on matching photos): "
                       "the product, not this person's skin alone, may be the cause.",
    "batch_not_listed": "The batch the shopper gave ({batch}) is not among those the brand "
                        "lists for this product: a counterfeit, or a code mistyped. Ask for a "
                        "photo of the batch code on the pack before deciding; never approved "
                        "automatically.",
    "other_claims_on_order": "Other claims on this order's product ({claims}), open or decided, "
                             "are listed beside this one: the same product claimed again. "
                             "Read them before deciding; never approved automatically.",
    "photo_in_other_claims": "A photo of this claim is the same picture as one in other claims, "
                             "or nearly ({claims}): the same file, or a copy saved again, made "
                             "smaller, recoloured, cropped, mirrored, turned, or framed (a "
                             "screenshot of it). A photo of something "
                             "else than this purchase? Compare them before deciding; never "
                             "approved automatically.",
}  # fmt: skip
#: notes whose claim is never approved automatically: an adjudicator reads it first
NEVER_AUTOMATIC = ("edited", "batch_not_listed", "other_claims_on_order",
                   "photo_in_other_claims")  # fmt: skip
#: Documented increases on the same batch (claims.stats.batch_context) from which a redness
#: claim's suggestion says so: one other could be anyone's skin, two or more on one batch
#: point at the product (the brand's red alert counts three within 72 hours).
BATCH_INCREASES = 2


def decision_problem(claim_type: str, outcome: str, reason_code: str,
                     note: str = "") -> str | None:  # fmt: skip
    """Why ``reason_code`` cannot be given for ``outcome`` on a claim of ``claim_type`` with
    ``note``; None when it can (:data:`TYPE_REASONS`, :data:`CONTRADICTING_REASONS`; "other"
    says the note gives the reason, so it needs one)."""
    if reason_code == "other" and not note.strip():
        return ("reason_code 'other' needs a note saying the reason: the report refers to it "
                "(\"another reason, the note says which\")")  # fmt: skip
    fitting = TYPE_REASONS.get(claim_type, ())
    if reason_code not in fitting:
        return (f"reason_code {reason_code!r} does not apply to a {claim_type} claim; expected "
                f"one of {list(fitting)}")  # fmt: skip
    kind = "approve" if outcome.startswith("approve") else outcome
    if reason_code in CONTRADICTING_REASONS.get(kind, ()):
        return (f"reason_code {reason_code!r} contradicts the outcome {outcome!r}: a report "
                f"would state both; choose the reason the decision rests on, or 'other' with "
                f"a note")  # fmt: skip
    return None


def redness_of(result: dict | None) -> dict:
    """The redness part of a claim analysis (``analysis["redness"]["redness"]``)."""
    return ((result or {}).get("redness") or {}).get("redness") or {}


def redness_flagged(result: dict | None) -> bool:
    """Whether a claim analysis flags redness in any zone."""
    zones = redness_of(result).get("zones") or {}
    return any(z.get("area_fraction", 0) > 0 for z in zones.values())


def _problems(result: dict | None) -> list[str]:
    """The codes of a claim analysis's findings: a redness claim's face findings, a shade
    claim's photo findings."""
    quality = ((result or {}).get("redness") or {}).get("quality") or (result or {}).get("quality")
    return (quality or {}).get("problems") or []


def pair_differences(result: dict | None) -> list[str]:
    """The findings of a claim analysis that say its two photos differ (:data:`PAIR_DIFFERENCES`,
    in that order)."""
    problems = _problems(result)
    return [p for p in PAIR_DIFFERENCES if p in problems]


def suggest(claim_type: str, result: dict | None, brand_policy: dict | None,
            same_batch: dict | None = None, unlisted_batch: str | None = None,
            related: dict | None = None) -> dict | None:  # fmt: skip
    """The rule that applies, with its outcome, reason code and text; None without a result.

    ``automatic`` is True when the brand enabled automatic approval for this rule.
    ``same_batch``: the other claims on the product's batch (claims.stats.batch_context),
    which a redness claim's suggestion names when :data:`BATCH_INCREASES` or more of them
    document an increase. ``unlisted_batch``: the batch the shopper gave when the brand
    lists the product's batches and not that one (claims.catalog.batch_listed): said, and
    never approved automatically. ``related``: the claims on the same order or with the same
    picture (claims.related.related_claims); those that count are said, and the claim is
    never approved automatically.
    """
    if result is None:
        return None
    policy = brand_policy or {}
    colourless = False
    if claim_type == "shade":
        shade = result.get("shade") or {}
        rule = {"mismatch": "shade_mismatch", "match": "shade_match"}.get(
            shade.get("verdict"), "shade_inconclusive"
        )
        spread = shade.get("colour_range")  # the chart's patches' or the face's, if read
        colourless = spread is not None and spread < MIN_COLOUR_RANGE
    elif policy.get("no_proof_allergy"):
        rule = "allergy_no_proof"
    elif redness_of(result).get("measurable") is False:
        rule = "redness_unmeasurable"
    else:
        compared = redness_of(result).get("compared_to_baseline")
        if redness_flagged(result):
            rule = "redness_increase" if compared else "redness_single"
        else:
            rule = "redness_no_increase" if compared else "redness_none"
    outcome, reason, text = RULES[rule]
    notes = _notes(rule, result, colourless)
    documented = (same_batch or {}).get("redness_increase_documented", 0)
    if claim_type == "redness" and rule != "allergy_no_proof" and documented >= BATCH_INCREASES:
        notes.append(
            (
                "batch_increases",
                {"claims": documented, "matched": same_batch["redness_increase_matched"]},
            )
        )
    if unlisted_batch is not None:
        notes.append(("batch_not_listed", {"batch": unlisted_batch}))
    for code, key in (("other_claims_on_order", "order_claims"),
                      ("photo_in_other_claims", "photo_claims")):  # fmt: skip
        if (related or {}).get(key):
            notes.append((code, {"claims": related[key]}))
    text = " ".join([text, *(NOTES[code].format(**params, findings_list=", ".join(
        params.get("findings", ()))) for code, params in notes)])  # fmt: skip
    held = any(code in NEVER_AUTOMATIC for code, _ in notes)
    automatic = rule in set(policy.get("auto_approve") or ()) and outcome.startswith("approve")
    automatic = automatic and not held
    return {"rule": rule, "outcome": outcome, "reason_code": reason, "text": text,
            "notes": [{"code": code, **params} for code, params in notes],
            "automatic": automatic}  # fmt: skip


def _notes(rule: str, result: dict, colourless: bool) -> list[tuple[str, dict]]:
    """The sentences (:data:`NOTES`) the suggestion of ``rule`` adds for ``result``: each a
    code and the figures or findings it names."""
    notes = []
    if colourless:
        notes.append(("colourless", {}))
    shaded = redness_of(result).get("shaded_fraction")
    if rule == "redness_single" and shaded is not None and shaded >= SHADED_SHARE:
        notes.append(("flags_in_shade", {"shaded_fraction": shaded}))
    differences = pair_differences(result)
    if rule == "redness_increase" and differences:
        notes.append(("photos_differ", {"findings": differences}))
    unused = [p for p in BASELINE_UNUSED if p in _problems(result)]
    if unused and rule in ("redness_single", "redness_none"):
        notes.append(("baseline_unused", {"findings": unused}))
    later = "baseline_not_earlier" in _problems(result)
    if later and rule in ("redness_increase", "redness_no_increase"):
        notes.append(("baseline_later", {}))
    limit = redness_of(result).get("detection_limit")
    if rule in ("redness_none", "redness_no_increase") and limit:
        notes.append(("detection_limit", {k: limit[k] for k in
                                          ("a_star", "patch_diameter_face_widths")}))  # fmt: skip
    # a brand that accepts allergy claims without proof does not need the photo
    edited = [p for p in EDITED if p in _problems(result) and rule != "allergy_no_proof"]
    if edited:
        notes.append(("edited", {"findings": edited}))
    return notes
