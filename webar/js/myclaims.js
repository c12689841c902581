// The shopper's own claims, on the capture page: what each one is, where it stands, what the
// measurement says and what was decided, in the page's language; the signed report as the
// server signed it; a decision appealed, saying why; and consent withdrawn (processing stops,
// the photos are erased) at a click.
import { downloadReport, fileUrl, get, post } from "./api.js";
import { errorText, language, t } from "./i18n.js";
import { button, colourPair, fmt, row, zoneEntries } from "./dom.js";
import { decisionNoted, findingText, findingsOf, shadeExplanation, statusWords, typeWords,
  whenWords } from "./explain.js";

/** What the analysis found, in words: a shade's verdict with ΔE00 ± U, or where redness was
 *  flagged (an increase, with a photo from before); "" while there is no analysis. */
export function resultWords(claim) {
  const a = claim.analysis;
  if (a?.shade) {
    const s = a.shade;
    return `${t(`verdict_${s.verdict ?? "inconclusive"}`)} (ΔE00 ${fmt(s.deltaE00)} ± ${fmt(s.uncertaintyDe00)})`;
  }
  const red = a?.redness?.redness;
  if (!red) return "";
  if (red.measurable === false) return t("rednessNotMeasurable");
  const flagged = zoneEntries(red.zones).filter(([, v]) => v.areaFraction > 0).map(([z]) => z);
  if (!flagged.length) return t(red.baseline ? "noIncreaseFlagged" : "noRednessFlagged");
  return `${t(red.baseline ? "increaseFlaggedIn" : "rednessFlaggedIn")}: `
    + flagged.map((z) => t(`zone_${z}`)).join(language() === "zh" ? "、" : ", ");
}

/** Why the analysis says what it says, sentence by sentence in the page's language: a
 *  shade measurement's explanation, then what the photos' findings say (for a photo the
 *  shopper may send again). */
function resultReasons(claim) {
  const a = claim.analysis;
  const shade = a?.shade ? [shadeExplanation(a.shade)] : [];
  return [...shade, ...findingsOf(a).map(findingText)].filter(Boolean);
}

/** A folded part of a result cell: `label`, then `parts` when unfolded. */
function folded(label, ...parts) {
  const box = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = label;
  box.append(summary, ...parts);
  return box;
}

/** A shade measurement's two colours side by side, the brand's reference and the measured
 *  one, each named; nothing without a reference. */
const colours = (s) => colourPair(s?.referenceLab && s.lab ? s : null);

/** A claim's result cell: the result in words, its reasons under "why", and a redness claim's
 *  map as the adjudicator sees it (the face pixelated), fetched when unfolded. */
function resultCell(claim) {
  const cell = document.createElement("span");
  cell.append(resultWords(claim) || "–");
  const reasons = resultReasons(claim);
  if (reasons.length) {
    const list = document.createElement("ul");
    list.append(...reasons.map((r) => Object.assign(document.createElement("li"), { textContent: r })));
    cell.append(folded(t("why"), colours(claim.analysis?.shade), list));
  }
  if (claim.links?.heatmap) {
    const img = Object.assign(document.createElement("img"), { alt: t("altHeatmap"), className: "map" });
    const note = Object.assign(document.createElement("p"), { className: "muted", textContent: t("notDiagnosis") });
    const map = folded(t("rednessMap"), img, note);
    map.dataset.part = "map";
    map.ontoggle = async () => {
      if (!map.open || img.src) return;
      try { img.src = await fileUrl(claim.links.heatmap.replace("/api/v1", "")); }
      catch (e) { document.getElementById("error").textContent = errorText(e); }
    };
    cell.append(map);
  }
  return cell;
}

/** A link that files the claim again (its analysis failed, or more evidence was asked for):
 *  the capture page, with the claim's type, brand, product, order and batch filled in. */
function fileAgain(c) {
  const q = new URLSearchParams(Object.entries({ type: c.type, brand: c.brand, sku: c.sku,
    shade: c.shade, order: c.orderRef, batch: c.batch }).filter(([, v]) => v));
  return Object.assign(document.createElement("a"),
                       { href: `/claim?${q}`, textContent: t("fileAgain"), className: "again" });
}

/** The decision column: the decision in force, or the one appealed while its appeal waits. */
function decisionCell(c) {
  if (c.appeal && !c.appeal.decided) return `${decisionNoted(c.appeal.appealed)} · ${t("appealWaiting")}`;
  return c.decision ? decisionNoted(c.decision) : "–";
}

/** Appeal a decision (until `c.appealUntil`): why it is wrong, in the shopper's words;
 *  another reviewer decides. `done` shows the claims again. */
function appealForm(c, fail, done) {
  const text = Object.assign(document.createElement("textarea"),
                             { rows: 3, cols: 40, maxLength: 2000, required: true });
  const label = document.createElement("label");
  label.append(t("appealWhy"), document.createElement("br"), text);
  const until = new Date(c.appealUntil).toLocaleDateString(language() === "zh" ? "zh-CN" : "en");
  const note = Object.assign(document.createElement("p"),
                             { className: "muted", textContent: t("appealUntil").replace("{date}", until) });
  const send = button("sendAppeal", t("appealSend"), async () => {
    if (text.value.trim().length < 10) { fail(t("appealTooShort")); text.focus(); return; }
    try { await post(`/claims/${c.id}/appeal`, { statement: text.value }); }
    catch (e) { fail(e); return; }
    await done();
  });
  const box = folded(t("appeal"), note, label, send);
  box.dataset.part = "appeal";
  return box;
}

/** Fill `tbody` with the signed-in shopper's claims, newest first (her latest 50); `hp`
 *  records them once shown. */
export async function showMyClaims(tbody, hp) {
  const list = await get("/claims?limit=50");
  const rows = list.items.map((c) => {
    const actions = document.createElement("span");
    const fail = (e) => {  // said where the page says what failed
      if (typeof e !== "string") hp.errors.push(String(e));
      document.getElementById("error").textContent = typeof e === "string" ? e : errorText(e);
    };
    if (c.decision) {  // the signed file, and the report in words (printable)
      actions.append(button("report", t("signedReport"), () => downloadReport(c.id).catch(fail)), " ",
                     Object.assign(document.createElement("a"), { href: `/report?claim=${c.id}`,
                                                                  textContent: t("viewReport"), className: "view" }), " ");
    }
    if (c.status === "failed" || c.decision?.outcome === "request_evidence") {
      actions.append(fileAgain(c), " ");
    }
    if (c.appealUntil) actions.append(appealForm(c, fail, () => showMyClaims(tbody, hp)), " ");
    if (!c.consent.withdrawn) {
      actions.append(button("withdraw", t("withdraw"), async () => {
        if (!confirm(t("withdrawConfirm"))) return;
        await post(`/claims/${c.id}/withdraw`).catch(fail);
        await showMyClaims(tbody, hp);
      }));
    }
    const product = c.shade ? `${c.sku} · ${c.shade}` : c.sku;
    const decision = decisionCell(c);
    const tr = row([whenWords(c.createdAt),
                    typeWords(c.type), product,
                    c.orderRef || "–", statusWords(c), resultCell(c), decision, actions]);
    tr.dataset.id = c.id;
    return tr;
  });
  tbody.replaceChildren(...rows);
  hp.myClaims = list.items;  // as shown
  document.getElementById("myClaimsEmpty").hidden = rows.length > 0;
  tbody.closest("table").hidden = !rows.length;
}
