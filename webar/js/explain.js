// What an analysis says, in the page's language: a photo's findings, why a shade measurement
// is uncalibrated, its verdict's sentence, and the policy's suggestion. The API gives codes
// and figures beside its English (vision/quality.py FINDING_CODES, calibration/measure.py
// REASON_CODES, calibration/verdict.py DIFFERENCE_WORDS, claims/policy.py RULES and NOTES);
// the words are i18n.js's.
import { fill, language, t } from "./i18n.js";
import { fmt } from "./dom.js";

/** Words in the page's language for a list: "a、b、c" or "a, b and c". */
function listWords(words) {
  if (language() === "zh") return words.join("、");
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/** An analysis's findings: a redness claim's (its face's and its pair's), a shade claim's
 *  (its photo's). */
export function findingsOf(analysis) {
  return analysis?.redness?.quality?.findings || analysis?.quality?.findings || [];
}

/** A finding ({code, message, value, limit}) in words: its value where they name it ({n}
 *  rounded, {x} one decimal, {x2} two, {pct} a share in per cent). */
export function findingText(f) {
  const v = Number(f.value);
  return t(`finding_${f.code}`).replace("{n}", v.toFixed(0)).replace("{x}", v.toFixed(1))
    .replace("{x2}", v.toFixed(2)).replace("{pct}", (100 * v).toFixed(0));
}

/** Why a measurement is uncalibrated or gives no verdict: each reason in words (a stored
 *  analysis from before the codes keeps its English sentence). */
function reasonTexts(s) {
  return (s.reasons || []).map((r) => (typeof r === "string" ? r
    : t(`measureReason_${r.code}`).replace("{u}", fmt(s.uncertaintyDe00, 1))));
}

/** How a colour differs from its reference (calibration/verdict.py DIFFERENCE_WORDS codes)
 *  in words: "darker and less saturated". */
export function differenceWords(codes) {
  return listWords(codes.map((d) => t(`difference_${d}`)));
}

/** The verdict's sentence: how the measured colour differs from the brand's, the figures,
 *  and what they allow; "" without a verdict (no reference). */
function verdictText(s) {
  if (s.verdict == null) return "";
  const how = s.difference.length
    ? t("shadeDiffers").replace("{how}", differenceWords(s.difference))
    : t("shadeSame");
  const figures = `ΔE00 ${fmt(s.deltaE00)}${s.uncertaintyDe00 == null ? "" : ` ± ${fmt(s.uncertaintyDe00)}`}`
    + `${language() === "zh" ? "，" : ", "}${t("toleranceWord")} ${s.tolerance}`;
  const tail = t(s.uncertaintyDe00 == null ? "verdictTail_uncalibrated" : `verdictTail_${s.verdict}`);
  return language() === "zh" ? `${how}（${figures}）：${tail}。` : `${how} (${figures}): ${tail}.`;
}

/** The whole explanation of a shade measurement: its reasons, then the verdict's sentence. */
export function shadeExplanation(s) {
  if (s.verdict != null && !Array.isArray(s.difference)) return s.explanation ?? "";  // analysed before the codes
  return [...reasonTexts(s), verdictText(s)].filter(Boolean).join(language() === "zh" ? "" : " ");
}

/** The policy's suggestion in words: its rule's sentence and the notes it adds with their
 *  figures (a suggestion without notes, as stored before them, keeps its English). */
export function suggestionText(s) {
  if (!Array.isArray(s.notes)) return s.text;
  const note = (n) => fill(`note_${n.code}`, {
    share: fmt(100 * n.shadedFraction, 0), findings: (n.findings || []).join(", "),
    aStar: fmt(n.aStar, 0), widths: n.patchDiameterFaceWidths, claims: n.claims,
    matched: n.matched, batch: n.batch });
  return [t(`rule_${s.rule}`), ...s.notes.map(note)].join(language() === "zh" ? "" : " ");
}

/** A claim's type in words. */
export const typeWords = (type) => t(type === "shade" ? "typeShade" : "typeRedness");

/** An outcome and the reason it rests on ({outcome, reasonCode}: a decision, a suggestion),
 *  in words: "rejected: the measured colour matches …". */
export function decisionWords(d) {
  return `${t(`outcome_${d.outcome}`)}${language() === "zh" ? "：" : ": "}${t(`reason_${d.reasonCode}`)}`;
}

/** A time (ISO 8601) in the page's language; "–" for none. */
export const whenWords = (iso) =>
  (iso ? new Date(iso).toLocaleString(language() === "zh" ? "zh-CN" : "en") : "–");

/** A duration in seconds in its largest two units ("2 h 5 min"; under a minute, seconds). */
export function durationWords(seconds) {
  const min = Math.floor(seconds / 60);
  const [d, h, m] = [Math.floor(min / 1440), Math.floor(min / 60) % 24, min % 60];
  const say = (key, n) => t(key).replace("{n}", n);
  if (d) return `${say("durDay", d)} ${say("durHour", h)}`;
  if (h) return `${say("durHour", h)} ${say("durMin", m)}`;
  return min ? say("durMin", m)
    : t("durSeconds").replace("{n}", seconds < 10 ? seconds.toFixed(1) : Math.round(seconds));
}

/** Words set aside after a sentence: "（a，b）" or " (a, b)". */
export const aside = (parts) => (language() === "zh" ? `（${parts.join("，")}）` : ` (${parts.join(", ")})`);

/** A decision in words, whether it was made on appeal, and the adjudicator's note when there
 *  is one. */
export function decisionNoted(d) {
  const zh = language() === "zh";
  return decisionWords(d) + (d.onAppeal ? aside([t("onAppeal")]) : "")
    + (d.note ? `${zh ? "。" : ". "}${t("note")}${zh ? "：" : ": "}${d.note}` : "");
}

/** A claim's status in words; a failure with why (its code's words; a claim that failed
 *  before the codes, the server's English). */
export function statusWords(claim) {
  const words = t(`status_${claim.status}`);
  if (claim.status !== "failed") return words;
  const why = claim.failureCode ? t(`failure_${claim.failureCode}`) : claim.failureReason;
  return why ? `${words}${language() === "zh" ? "：" : ": "}${why}` : words;
}
