// A decision report for people: a signed report (a claim's, or a file's) in the page's
// language, checked by the service that signed it, and printable. The report's JSON stays
// the evidence (its signature covers those bytes); this page says what it holds.
import { camelize, checkReport, getText, setToken, token } from "./api.js";
import { colourPair, definitions, fmt, row, zoneEntries } from "./dom.js";
import { aside, decisionWords, findingText, shadeExplanation, suggestionText, typeWords,
  whenWords as when } from "./explain.js";
import { errorText, language, t, translate } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const hp = (window.hueproof = { errors: [] });
const colon = () => (language() === "zh" ? "：" : ": ");

translate();
$("token").value = token();
$("token").onchange = (e) => { setToken(e.target.value); load(); };
$("printBtn").onclick = () => window.print();

/** The definition list `dl` of [label key, value] pairs (values as text or nodes). */
const facts = (dl, pairs) => definitions(dl, pairs.map(([key, v]) => [t(key), v]));


/** Who a chain actor is, in words: a user by number and role, or the service itself. */
function actorWords(actor) {
  const m = /^user:(\d+):(\w+)$/.exec(actor || "");
  if (m) return t("actorUser").replace("{id}", m[1]).replace("{role}", t(`role_${m[2]}`));
  return actor === "system" ? t("actorSystem") : actor;
}

/** The decision's own facts: outcome and reason in words, note, who and when, whether
 *  automatic, what the policy had suggested. */
function decisionPairs(d) {
  return [["decisionCol", decisionWords(d)], ["note", d.note],
    ["decidedBy", d.automatic ? t("automaticDecision") : actorWords(d.adjudicator)],
    ["decidedAt", when(d.time)],
    ["suggestion", d.suggestion ? `${suggestionText(d.suggestion)} → ${decisionWords(d.suggestion)}` : ""]];
}

/** A shade measurement: the two colours side by side, the verdict with ΔE00 ± U and the
 *  tolerance, why, the chart's fit and the reference's version. */
function shadePart(m) {
  const box = document.createElement("div");
  const colours = colourPair(m, { size: "3rem", figures: true });
  const dl = document.createElement("dl");
  const chart = m.chart?.detected
    ? `${fmt(m.chart.residualDe00Mean)} / ${fmt(m.chart.residualDe00Max)}` : t("noChart");
  const ref = m.reference ? `v${m.reference.version} (${t(`source_${m.reference.source}`)})` : "";
  facts(dl, [["verdict", m.verdict ? t(`verdict_${m.verdict}`) : ""],
    ["figures", m.deltaE00 == null ? "" : `ΔE00 ${fmt(m.deltaE00)} ± ${fmt(m.uncertaintyDe00)}`
      + `${language() === "zh" ? "，" : ", "}${t("toleranceWord")} ${m.tolerance}`],
    ["why", shadeExplanation(m)], ["residuals", chart], ["reference", ref]]);
  box.append(colours, dl);
  return box;
}

/** A redness measurement: each zone's flagged area and excess, whether a photo from before
 *  was compared, the photo's detection limit and its findings. */
function rednessPart(m) {
  const box = document.createElement("div");
  const table = document.createElement("table");
  const head = document.createElement("tr");
  head.append(...["zone", "flaggedArea", "meanExcess", "peakExcess"].map((k) =>
    Object.assign(document.createElement("th"), { textContent: t(k) })));
  const thead = document.createElement("thead");
  thead.append(head);
  const body = document.createElement("tbody");
  body.append(...zoneEntries(m.zones).map(([z, v]) => row([t(`zone_${z}`),
    `${(100 * v.areaFraction).toFixed(1)} %`, fmt(v.meanExcess), fmt(v.peakExcess)])));
  table.append(thead, body);
  const scroll = document.createElement("div");
  scroll.className = "scroll";
  scroll.append(table);
  const lim = m.detectionLimit;
  const dl = document.createElement("dl");
  facts(dl, [["comparedWith", t(m.comparedToBaseline ? "withBaseline" : "singlePhoto")],
    ["detectionLimit", lim ? `a* +${fmt(lim.aStar, 1)} (ΔE00 ${fmt(lim.deltaE00, 1)})` : ""],
    ["findings", (m.qualityFindings || []).map(findingText).join(language() === "zh" ? "；" : "; ")]]);
  const note = Object.assign(document.createElement("p"), { className: "muted", textContent: t("notDiagnosis") });
  box.append(scroll, dl, note);
  return box;
}

/** Show the report whose JSON text is `text`: checked by the service first. */
async function show(text) {
  let raw;
  try { raw = JSON.parse(text); } catch { $("error").textContent = t("reportNotJson"); return; }
  const check = await checkReport(text);
  const r = camelize(raw);
  $("validity").textContent = check.valid
    ? t("reportValidShort").replace("{seq}", check.chainSeq)
    : `${t("reportInvalid")}${colon()}${check.problems.join("; ")}`;
  $("validity").className = check.valid ? "" : "error";
  facts($("claimFacts"), [["claimId", r.claimId], ["claimType", typeWords(r.claimType)],
    ["brandOf", r.brand], ["sku", r.sku], ["shade", r.shade], ["batch", r.batch]]);
  const d = r.decision || {};
  facts($("decisionFacts"), decisionPairs(d));
  $("appealPart").hidden = !d.appeal;
  if (d.appeal) {
    const first = d.appeal.decisionAppealed;
    facts($("appealFacts"), [["appealStatement", d.appeal.statement],
      ["appealedAt", when(d.appeal.filedAt)],
      ["appealedDecision", decisionWords(first) + aside([actorWords(first.adjudicator), when(first.time),
                                                         t("chainEntry").replace("{seq}", first.chainSeq)])],
      ["appealedReport", Object.assign(document.createElement("a"), {  // its own signed report
        href: `/report?claim=${encodeURIComponent(r.claimId)}&decision=appealed`, textContent: t("viewReport") })]]);
  }
  const m = r.measurements || {};
  $("measurement").replaceChildren(r.claimType === "shade" ? shadePart(m) : rednessPart(m));
  const models = Object.entries(raw.versions?.models || {}).map(([name, sha]) => `${name} ${sha}`);
  facts($("evidenceFacts"), [["photoSha", r.photos?.photoSha256], ["baselineSha", r.photos?.baselineSha256],
    ["analysisVersion", raw.versions?.analysis], ["colourProfile", raw.versions?.colour_profile],
    ["modelFiles", models.join("; ") || raw.versions?.face_model_sha256],
    ["chainEntryLabel", `${t("chainEntry").replace("{seq}", r.chain?.seq)}, ${when(r.chain?.time)}`],
    ["chainHash", r.chain?.hash], ["chainPrev", r.chain?.prevHash],
    ["signedWith", `${r.signature?.algorithm} ${r.signature?.keyId}`]]);
  $("report").hidden = false;
  $("printBtn").disabled = false;
  hp.report = r;
  hp.check = check;
}

async function load() {
  $("error").textContent = "";
  const q = new URLSearchParams(location.search);
  const id = q.get("claim");
  // the decision in force, or (`decision=appealed`) the one an appeal was made against
  const which = q.get("decision") === "appealed" ? "?decision=appealed" : "";
  try {
    if (id && token()) {  // the report as the service serves it (its bytes are what is signed)
      await show(await getText(`/claims/${encodeURIComponent(id)}/report${which}`));
    }
  } catch (e) { $("error").textContent = errorText(e); hp.errors.push(String(e)); }
  hp.ready = true;
}

$("reportFile").onchange = async () => {
  const file = $("reportFile").files[0];
  if (!file) return;
  $("error").textContent = "";
  try { await show(await file.text()); }
  catch (e) { $("error").textContent = errorText(e); hp.errors.push(String(e)); }
};

load();
