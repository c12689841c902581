// Adjudicator's review: queue, claim with pixelated photo and heatmap, verdict, findings,
// ingredients, suggestion, logged reveal, decision. Keyboard: J/K, A, R, V.
import { downloadReport, fileUrl, get, post, postAsLeaving, setToken, token } from "./api.js";
import { labToHex } from "./colour.js";
import { fmt, row, zoneEntries } from "./dom.js";
import { decisionNoted, decisionWords, durationWords, findingText, findingsOf, shadeExplanation,
  statusWords, suggestionText, typeWords, whenWords } from "./explain.js";
import { errorText, fill, language, t, translate } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const hp = (window.hueproof = { errors: [] });
const OUTCOMES = ["approve_refund", "approve_price_difference", "approve_replacement", "reject",
  "request_evidence", "escalate"];
const REASONS = ["shade_mismatch_measured", "shade_within_tolerance", "inconclusive_photo",
  "redness_increase_documented", "redness_flagged_single_photo", "redness_not_documented",
  "allergy_policy_no_proof", "other"];
// claims/policy.py TYPE_REASONS and CONTRADICTING_REASONS: the reasons that fit a claim's type,
// and those that say the opposite of an outcome (the service refuses both with 422)
const SHADE_REASONS = ["shade_mismatch_measured", "shade_within_tolerance", "inconclusive_photo",
  "other"];
const REDNESS_REASONS = ["redness_increase_documented", "redness_flagged_single_photo",
  "redness_not_documented", "allergy_policy_no_proof", "inconclusive_photo", "other"];
const APPROVE_CONTRADICTIONS = ["shade_within_tolerance", "redness_not_documented"];
const REJECT_CONTRADICTIONS = ["shade_mismatch_measured", "redness_increase_documented",
  "allergy_policy_no_proof"];
// vision/fingerprint.py COPY_DISTANCE: a picture this many bits from another is a copy of it;
// farther (up to NEAR_DISTANCE), nearly the same picture
const COPY_DISTANCE = 4;
// the queue's page: oldest filed first, as a queue is worked
const PAGE = 50;
let items = [], current = -1, claim = null, offset = 0;

translate();
$("token").value = token();
$("token").onchange = (e) => { setToken(e.target.value); loadQueue(); };
$("outcome").replaceChildren(...OUTCOMES.map((o) => new Option(t(`outcome_${o}`), o)));

/** The reason codes that fit the open claim's type and the chosen outcome; `keep` stays
 *  chosen when it fits, otherwise none is (the adjudicator chooses: a report never gives a
 *  reason the adjudicator did not). */
function fitReasons(keep) {
  const outcome = $("outcome").value;
  const against = outcome.startsWith("approve") ? APPROVE_CONTRADICTIONS
    : outcome === "reject" ? REJECT_CONTRADICTIONS : [];
  const fitting = (claim?.type === "shade" ? SHADE_REASONS : REDNESS_REASONS)
    .filter((r) => !against.includes(r));
  $("reasonCode").replaceChildren(new Option(t("chooseReason"), ""),
                                  ...fitting.map((r) => new Option(t(`reason_${r}`), r)));
  $("reasonCode").value = fitting.includes(keep) ? keep : "";
}
$("outcome").onchange = () => fitReasons($("reasonCode").value);


/** How long ago `iso` was, in the largest two units ("2 h 5 min"). */
const since = (iso) => durationWords(Math.max(0, (Date.now() - new Date(iso)) / 1000));

async function loadQueue() {
  const q = new URLSearchParams({ order: "oldest", limit: PAGE, offset });
  // one status, or several ("ready,appealed": the claims awaiting a decision, appeals too)
  for (const s of $("fStatus").value.split(",").filter(Boolean)) q.append("status", s);
  if ($("fType").value) q.set("type", $("fType").value);
  if ($("fOrder").value.trim()) q.set("order_ref", $("fOrder").value.trim());
  if ($("fRelated").checked) q.set("related", "true");
  try {
    const list = await get(`/claims?${q}`);
    if (!list.items.length && offset > 0) { offset = Math.max(0, offset - PAGE); return loadQueue(); }
    items = list.items;
    $("counts").textContent = Object.entries(list.counts).map(([k, v]) => `${t(`status_${k}`)} ${v}`)
      .join(" · ");
    $("queue").replaceChildren(...items.map((c, k) => {
      const status = t(`status_${c.status}`) + (heldByOther(c) ? ` · ${t("heldMark")}` : "");
      const tr = row([c.id.slice(0, 8), typeWords(c.type), c.sku, c.orderRef || "–",
                      relatedMark(c, status), since(c.createdAt)]);
      tr.dataset.id = c.id;
      tr.tabIndex = 0;  // the queue is worked by keyboard too: Tab to a claim, Enter opens it
      tr.onclick = () => open(k);
      tr.onkeydown = (e) => { if (e.key === "Enter") open(k); };
      tr.style.cursor = "pointer";
      return tr;
    }));
    $("pageAt").textContent = list.total ? `${offset + 1}–${offset + items.length} / ${list.total}` : "0";
    $("pagePrev").disabled = offset === 0;
    $("pageNext").disabled = offset + items.length >= list.total;
    hp.queue = items.map((c) => c.id);
    hp.queueTotal = list.total;
  } catch (e) { hp.errors.push(String(e)); }
}
/** The queue's status cell: the status, then how many claims are related to the claim (on
 *  its order, or with its picture), in red when some are held against it. */
function relatedMark(c, status) {
  const cell = document.createElement("span");
  cell.append(status);
  const r = c.relatedCounts;
  if (!r) return cell;
  const held = r.counting;
  const mark = document.createElement("span");
  mark.className = held ? "error related-mark" : "muted related-mark";
  mark.textContent = held ? fill("relatedMarkHeld", { n: r.total, held }) : fill("relatedMark", { n: r.total });
  cell.append(" · ", mark);
  return cell;
}
$("pagePrev").onclick = () => { offset = Math.max(0, offset - PAGE); loadQueue(); };
$("pageNext").onclick = () => { offset += PAGE; loadQueue(); };

const heldByOther = (c) => c.hold && !c.hold.mine;
const HOLD_RENEW_MS = 4 * 60_000;  // the service's hold lasts 10 minutes
let held = null, renew = null;

/** Hold the claim while it is open (renewed), letting go of the one before; or say that
 *  another reviewer is deciding it: their hold refuses a decision here, so the button is off. */
async function holdClaim(c) {
  if (held && held !== c.id) post(`/claims/${held}/release`, {}).catch(() => {});
  held = null;
  clearInterval(renew);
  $("heldNote").hidden = true;
  $("decideBtn").disabled = false;
  if (c.status === "appealed" && c.appeal?.youDecidedTheClaim) {  // another reviewer decides it
    $("heldNote").textContent = t("appealOwn");
    $("heldNote").hidden = false;
    $("decideBtn").disabled = true;
    return;
  }
  if (c.status !== "ready" && c.status !== "appealed") return;
  try {
    await post(`/claims/${c.id}/hold`, {});
    held = c.id;
    renew = setInterval(() => post(`/claims/${c.id}/hold`, {}).catch(() => {}), HOLD_RENEW_MS);
  } catch (e) {
    if (e.status !== 409) throw e;
    const until = c.hold ? new Date(c.hold.until).toLocaleTimeString(document.documentElement.lang,
                                                                    { hour: "2-digit", minute: "2-digit" }) : "–";
    $("heldNote").textContent = t("heldByOther").replace("{until}", until);
    $("heldNote").hidden = false;
    $("decideBtn").disabled = true;
  }
}

// the page closed or left: the claim held goes back to the queue at once, not in 10 minutes
addEventListener("pagehide", () => { if (held) postAsLeaving(`/claims/${held}/release`); });

async function open(k) {
  if (k < 0 || k >= items.length) return;
  await show(items[k].id, k);
}

/** Show claim `id`; `k` is its row on the queue's page, -1 when it is not there (a link to
 *  one claim: `/review?claim=<id>`). */
async function show(id, k) {
  current = k;
  hp.next = undefined;
  claim = await get(`/claims/${id}`);
  hp.claim = claim;
  await holdClaim(claim);
  $("claim").hidden = false;
  $("claimTitle").textContent = [typeWords(claim.type), `${claim.brand} ${claim.sku} ${claim.shade || ""}`.trim(),
    statusWords(claim)].join(" · ");
  $("raw").hidden = true;
  $("photo").src = claim.links.photo ? await fileUrl(claim.links.photo.replace("/api/v1", "")) : "";
  $("heatBox").hidden = $("heatOpacityRow").hidden = !claim.links.heatmap;
  if (claim.links.heatmap) $("heatmap").src = await fileUrl(claim.links.heatmap.replace("/api/v1", ""));
  $("compareBox").hidden = !claim.links.baseline;
  if (claim.links.baseline) {  // before/after: the baseline over the follow-up, cut by the slider
    $("beforeImg").src = await fileUrl(claim.links.baseline.replace("/api/v1", ""));
    $("afterImg").src = $("photo").src;
    setCompare();
  }
  const a = claim.analysis || {};
  // which camera took each photo, and when, as the files state it (a pair's findings compare
  // them), and what saved the file when it says (a photo editor's name is also a finding)
  const origin = (facts) => [facts?.camera, facts?.takenAt?.replace("T", " ")].map((v) => v || t("notStated")).join(", ")
    + (facts?.software ? `, ${t("savedBy")} ${facts.software}` : "");
  // and how alike the two faces are (the face matcher's score; the pictures here are too coarse to tell)
  const match = a.redness?.baselineFaceMatch;
  $("origins").textContent = a.baseline
    ? `${t("photoBefore")}: ${origin(a.baseline)} · ${t("photoNow")}: ${origin(a.photo)} (${t("originNote")})`
      + (match == null ? "" : ` · ${fmt(match)}: ${t("faceMatch")}`) : "";
  $("verdictBox").hidden = !a.shade;
  if (a.shade) {
    const s = a.shade;
    $("verdictLine").textContent = `${t(`verdict_${s.verdict ?? "inconclusive"}`)} (${s.verdict ?? "–"})`
      + `${language() === "zh" ? "：" : ": "}${shadeExplanation(s)}`;
    if (s.referenceLab) {  // and which version of the brand's reference the verdict used
      $("refSwatch").style.background = labToHex(s.referenceLab);
      $("refLab").textContent = s.referenceLab.map((v) => fmt(v, 1)).join(", ")
        + (a.reference ? ` · v${a.reference.version} (${t(`source_${a.reference.source}`)})` : "");
    }
    const now = claim.referenceNow;  // the brand has recalibrated the shade since
    $("refNow").textContent = now && a.reference ? t("refRecalibrated").replace("{v}", now.version)
      .replace("{used}", a.reference.version).replace("{de}", fmt(now.deltaE00FromUsed)) : "";
    $("measSwatch").style.background = labToHex(s.lab);
    $("measLab").textContent = s.lab.map((v) => fmt(v, 1)).join(", ");
    $("residuals").textContent = s.chart?.detected ? `${fmt(s.chart.residualDe00Mean)} / ${fmt(s.chart.residualDe00Max)}` : "–";
  }
  const red = a.redness?.redness;
  $("rednessBox").hidden = !red;
  if (red) {
    $("zones").replaceChildren(...zoneEntries(red.zones).map(([z, v]) => {
      // how much of the zone's flagged area lies in folds or shadows (single photos only)
      const shaded = v.shadedFraction == null || !v.areaFraction ? "–" : `${(100 * v.shadedFraction).toFixed(0)} %`;
      return row([`${t(`zone_${z}`)} (${z})`, `${(100 * v.areaFraction).toFixed(1)} %`, fmt(v.meanExcess),
                  fmt(v.peakExcess), shaded]);
    }));
    $("rednessShade").textContent = red.shadedFraction == null ? ""
      : `${t("inShadeNote")}: ${(100 * red.shadedFraction).toFixed(0)} %`;
    const lim = red.detectionLimit;  // what "nothing flagged" means in this photo
    const compared = red.baseline?.comparedFraction;  // skin left out: not seen alike in both photos
    $("rednessCompared").textContent = compared == null ? "" : `${t("comparedSkin")}: ${(100 * compared).toFixed(0)} %`;
    $("rednessLimit").textContent = red.measurable === false ? t("rednessUnmeasurable")
      : lim ? `${t("detectionLimit")}: a* +${fmt(lim.aStar, 1)} (ΔE00 ${fmt(lim.deltaE00, 1)}, ${fmt(lim.haemoglobinOd)} OD), ⌀ ${lim.patchDiameterFaceWidths} ${t("faceWidths")}` : "";
  }
  $("findings").replaceChildren(...findingsOf(a).map((f) => Object.assign(document.createElement("li"),
    { textContent: `${findingText(f)} (${f.code})` })));
  $("ingredientsBox").hidden = !claim.ingredients;
  if (claim.ingredients) {
    $("ingredients").replaceChildren(...claim.ingredients.knownIrritantsAndAllergens.map((f) =>
      Object.assign(document.createElement("li"), { textContent: `${f.ingredient} (${t(`category_${f.category}`)})` })));
  }
  showSameBatch(claim.sameBatch);
  showRelated(claim.related);
  showAppeal(claim.appeal);
  const s = claim.suggestion;
  $("suggestion").textContent = s ? `${suggestionText(s)} → ${decisionWords(s)}` : "–";
  if (s) $("outcome").value = s.outcome;
  fitReasons(s?.reasonCode);
  $("decision").textContent = claim.decision && claim.status !== "appealed"
    ? `${t("decided")}: ${decisionNoted(claim.decision)}` : "";
  $("reportBtn").hidden = $("reportLink").hidden = !claim.links.report;  // a decided claim's
  $("reportLink").href = `/report?claim=${claim.id}`;  // signed report, and in words
  document.querySelectorAll("#queue tr").forEach((tr, i) => { tr.style.background = i === k ? "#f3e6ea" : ""; });
}

/** The other claims on the product and batch: the product, or the person's skin? (the
 *  service's `same_batch`; outcomes in the page's words). */
function showSameBatch(b) {
  $("sameBatchBox").hidden = !b;
  if (!b) return;
  const lines = [b.batch ? fill("sameBatchClaims", { days: b.windowDays, batch: b.batch, n: b.claims })
    : fill("sameBatchProduct", { days: b.windowDays, n: b.claims })];
  if (b.rednessClaims) {
    lines.push(fill("sameBatchRedness", { n: b.rednessClaims, inc: b.rednessIncreaseDocumented,
      matched: b.rednessIncreaseMatched, single: b.rednessSingleFlagged }));
  }
  if (b.shadeClaims) lines.push(fill("sameBatchShade", { n: b.shadeClaims, m: b.shadeMismatch }));
  // outcomes are keys of `decisions`: camel-cased by the client, their words by the code
  const decided = Object.entries(b.decisions).map(([o, n]) =>
    `${t(`outcome_${o.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`)} ${n}`);
  if (decided.length) {
    lines.push(fill("sameBatchDecided", { list: decided.join(language() === "zh" ? "，" : ", ") }));
  }
  $("sameBatch").replaceChildren(...lines.map((text) =>
    Object.assign(document.createElement("li"), { textContent: text })));
}

/** The claims on the same order and those with the same picture (the service's `related`),
 *  newest first: each a link, what it shares with this one, its outcome or status; the one it
 *  refiles as the shopper was asked to is marked as not held against this claim. */
function showRelated(r) {
  $("relatedBox").hidden = !r;
  if (!r) return;
  const sep = language() === "zh" ? "，" : ", ";
  $("related").replaceChildren(...r.claims.map((c) => {
    const shared = [];
    if (c.sameOrder) shared.push(t(c.sameProduct ? "relatedSameOrderProduct" : "relatedSameOrder"));
    if (c.photo) {  // turned or flipped: how this claim's picture becomes the other one
      const turned = c.photo.mirrored || c.photo.turned !== 0;
      const words = c.photo.sameFile ? "relatedSameFile"
        : c.photo.byFace ? `relatedSameFace${c.photo.mirrored ? "Mirrored" : ""}`
        : (c.photo.distance <= COPY_DISTANCE ? "relatedSamePicture" : "relatedNearPicture")
          + (turned ? "Turned" : "");
      const turn = turned ? t(`turn_${c.photo.turned}${c.photo.mirrored ? "_mirrored" : ""}`) : "";
      shared.push(fill(words, { this: t(`which_${c.photo.this}`), that: t(`which_${c.photo.that}`),
                                d: c.photo.distance, turn }));
    }
    shared.push(t(c.sameShopper ? "relatedSameShopper" : "relatedOtherShopper"));
    const state = c.outcome ? t(`outcome_${c.outcome}`) : t(`status_${c.status}`);
    const li = document.createElement("li");
    li.dataset.id = c.id;
    li.append(Object.assign(document.createElement("a"), { href: `/review?claim=${c.id}`,
                                                           textContent: c.id.slice(0, 8) }),
              ` · ${typeWords(c.type)} · ${`${c.sku} ${c.shade || ""}`.trim()} · ${state} · `
              + `${whenWords(c.filedAt)} · ${shared.join(sep)}`
              // not counted on the same order's product: filed again as she was asked to
              + (!c.counts && c.sameOrder && c.sameProduct ? ` · ${t("relatedNotCounted")}` : ""));
    if (c.photo?.picture) {  // its picture under the line, to compare with this claim's
      const img = Object.assign(document.createElement("img"), { width: 96, alt: t("relatedPicture") });
      fileUrl(c.photo.picture.replace("/api/v1", "")).then((url) => { img.src = url; })
        .catch((e) => hp.errors.push(String(e)));
      li.append(document.createElement("br"), img);
    }
    return li;
  }));
  $("relatedMore").textContent = r.total > r.claims.length
    ? fill("relatedMore", { n: r.total - r.claims.length }) : "";
}

/** The shopper's appeal: when, the decision appealed (and its note), and why she says it is
 *  wrong. */
function showAppeal(a) {
  $("appealBox").hidden = !a;
  if (!a) return;
  $("appealLine").textContent = `${t("appealFiled").replace("{date}", whenWords(a.filedAt))} · ${t("appealedDecision")}: `
    + decisionWords(a.appealed);
  $("appealStatement").textContent = a.statement;
  $("appealNote").textContent = a.appealed.note ? `${t("note")}: ${a.appealed.note}` : "";
}

async function reveal() {
  try {
    const r = await post(`/claims/${claim.id}/reveal`, { reason: $("revealReason").value });
    $("raw").src = await fileUrl(r.url.replace("/api/v1", ""));
    $("raw").hidden = false;
    hp.revealed = true;
  } catch (e) { $("error").textContent = errorText(e); }
}

async function decide() {
  $("error").textContent = "";
  if (!$("reasonCode").value) {  // none chosen, or the one chosen no longer fits the outcome
    $("error").textContent = t("chooseReasonFirst");
    $("reasonCode").focus();
    return;
  }
  if ($("reasonCode").value === "other" && !$("note").value.trim()) {  // the note is the reason
    $("error").textContent = t("otherNeedsNote");
    $("note").focus();
    return;
  }
  try {
    const report = await post(`/claims/${claim.id}/decision`, {
      outcome: $("outcome").value, reasonCode: $("reasonCode").value, note: $("note").value });
    hp.report = report;
    $("decision").textContent = `${t("decided")}: ${decisionWords(report.decision)} (#${report.chain.seq})`;
    // the claim just decided stays a link away (its report, a second look)
    const back = Object.assign(document.createElement("a"),
                               { href: `/review?claim=${claim.id}`, textContent: claim.id.slice(0, 8) });
    $("lastDecided").replaceChildren(`${t("decided")} `, back,
                                     `: ${decisionWords(report.decision)} (#${report.chain.seq})`);
    await next(claim.id);
  } catch (e) { $("error").textContent = errorText(e); }
}

/** The queue again, and the claim after `decided` opened (the queue is worked in order): the
 *  one in its place when it left the list (a queue of claims to decide), else the one after
 *  it. `hp.next` is its id, or null at the end of the page. */
async function next(decided) {
  await loadQueue();
  const at = items.findIndex((c) => c.id === decided);
  let k = at >= 0 ? at + 1 : current;
  while (k < items.length && heldByOther(items[k])) k += 1;  // another reviewer's: skipped
  if (k < items.length) await open(k);
  else {  // the end of the page: nothing open, nothing held
    $("claim").hidden = true; claim = null; current = -1;
    held = null;
    clearInterval(renew);
  }
  hp.next = claim?.id ?? null;
}

$("heatOpacity").oninput = (e) => { $("heatmap").style.opacity = e.target.value / 100; };
function setCompare() {
  $("beforeImg").style.clipPath = `inset(0 ${100 - $("compare").value}% 0 0)`;
}
$("compare").oninput = setCompare;
$("revealBtn").onclick = reveal;
$("decideBtn").onclick = decide;
$("reportBtn").onclick = () => downloadReport(claim.id).catch((e) => { $("error").textContent = errorText(e); });
$("fStatus").onchange = $("fType").onchange = $("fRelated").onchange = () => { offset = 0; loadQueue(); };
// an order's claims, whatever their status (Enter, or leaving the field, searches)
$("fOrder").onchange = () => {
  if ($("fOrder").value.trim()) $("fStatus").value = "";
  offset = 0;
  loadQueue();
};
document.addEventListener("keydown", (e) => {
  if (["INPUT", "SELECT", "TEXTAREA"].includes(e.target.tagName)) return;
  const key = e.key.toLowerCase();
  if (key === "j") open(current + 1);
  else if (key === "k") open(current - 1);
  else if (key === "a" && claim) { $("outcome").value = claim.suggestion?.outcome?.startsWith("approve") ? claim.suggestion.outcome : "approve_refund"; fitReasons($("reasonCode").value); decide(); }
  else if (key === "r" && claim) { $("outcome").value = "reject"; fitReasons($("reasonCode").value); decide(); }
  else if (key === "v") $("revealReason").focus();
});

loadQueue().then(async () => {
  const linked = new URLSearchParams(location.search).get("claim");
  if (linked) {
    await show(linked, items.findIndex((c) => c.id === linked))
      .catch((e) => { $("error").textContent = errorText(e); });
  }
  hp.ready = true;
});
