// Brand: catalog, products (ingredients and the batch codes produced), calibrate a shade from
// a chart photo (chart outline and per-patch residuals shown before saving) or from
// spectrophotometer values, many shades from a spectrophotometer's CSV (previewed, then saved
// all or none), statistics (per SKU, batch, shade and month; as CSV) and alerts.
import { call, download, get, post, put, setToken, toCamel, token } from "./api.js";
import { labToHex } from "./colour.js";
import { row, swatch } from "./dom.js";
import { differenceWords, whenWords } from "./explain.js";
import { errorText, fill, t, translate } from "./i18n.js";
import { dragRegion, showPhoto, showRegion, typedRegion } from "./pickphoto.js";

const $ = (id) => document.getElementById(id);
const hp = (window.hueproof = { errors: [] });
let brand = null;
let photoScale = null;  // the chosen chart photo's scale on its canvas (null: none shown)
translate();
$("token").value = token();
$("token").onchange = (e) => { setToken(e.target.value); load(); };
const fail = (e) => { $("error").textContent = errorText(e); hp.errors.push(String(e)); };

async function load() {
  try {
    const me = await get("/me");
    brand = me.brand;
    $("brandName").textContent = brand || me.role;
    const shades = (await get("/shades")).shades.filter((s) => s.brand === brand);
    $("catalog").replaceChildren(...shades.map((s) => {
      // a shade's name is anyone's text: cells take it as text, never as markup
      const tr = row([swatch(s.render.srgbHex, "1.5rem"), s.sku, s.shade, s.name,
                      historyButton(s), s.render.lab.map((v) => v.toFixed(1)).join(", "),
                      s.uncertaintyDe00 == null ? "–" : `± ${s.uncertaintyDe00.toFixed(2)}`,
                      s.tolerance == null ? "–" : s.tolerance.toFixed(1), t(`source_${s.source}`)]);
      tr.dataset.shade = `${s.sku}/${s.shade}`;
      return tr;
    }));
    hp.catalog = shades;
    showProducts((await get(`/brands/${brand}/skus`)).skus);
    showStats(await get(`/brands/${brand}/stats`));
    hp.ready = true;
  } catch (e) { fail(e); }
}

/** The brand's products: a row each (its ingredients and those known to irritate, the batch
 *  codes it lists), and their codes offered in the product form. */
function showProducts(products) {
  hp.products = products;
  $("products").replaceChildren(...products.map((p) => row([p.sku, p.name,
    fill("ingredientsCount", { n: p.ingredients.length, k: p.flaggedIngredients.length }),
    String(p.batches.length)])));
  $("skuCodes").replaceChildren(...products.map((p) => {
    const o = document.createElement("option");
    o.value = p.sku;
    return o;
  }));
}

const lines = (id) => $(id).value.split("\n").map((l) => l.trim()).filter(Boolean);

// a product chosen: its name, ingredients and batch codes to edit, one a line
$("sSku").oninput = () => {
  const p = hp.products?.find((x) => x.sku === $("sSku").value.trim());
  if (!p) return;
  $("sName").value = p.name;
  $("sIngredients").value = p.ingredients.join("\n");
  $("sBatches").value = p.batches.join("\n");
};

$("sSave").onclick = async () => {
  $("sDone").textContent = "";
  try {
    const code = $("sSku").value.trim();
    const saved = await put(`/brands/${brand}/skus/${encodeURIComponent(code)}`, {
      name: $("sName").value.trim() || null, ingredients: lines("sIngredients"),
      batches: lines("sBatches") });
    // the answer is the product as the list has it (in order of code): no second request
    showProducts([...hp.products.filter((p) => p.sku !== saved.sku), saved]
      .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)));
    $("sDone").textContent = fill("productSaved", { sku: saved.sku, n: saved.batches.length });
  } catch (e) { fail(e); }
};

// the statistics as the service's CSV (a row a cell), for a spreadsheet
$("statsCsv").onclick = () =>
  download(`/brands/${brand}/stats.csv`, `hueproof-stats-${brand}.csv`).catch(fail);

/** The shade's version as a button that shows, under its row, every version of its reference
 *  (newest first) with how far each moved from the one before, and hides them again. */
function historyButton(s) {
  const b = document.createElement("button");
  b.textContent = `v${s.calibrationVersion}`;
  b.dataset.action = "history";
  b.setAttribute("aria-expanded", "false");
  // the accessible name begins with the visible text (speech users say what they see)
  b.setAttribute("aria-label", `${b.textContent}: ${t("history")} (${s.sku} ${s.shade})`);
  b.onclick = async () => {
    const tr = b.closest("tr");
    if (tr.nextSibling?.dataset?.historyOf) {  // shown: hide
      tr.nextSibling.remove();
      b.setAttribute("aria-expanded", "false");
      return;
    }
    try {
      const h = await get(`/brands/${brand}/skus/${encodeURIComponent(s.sku)}/shades/`
                          + `${encodeURIComponent(s.shade)}/calibrations`);
      const list = document.createElement("table");
      const head = list.createTHead().insertRow();
      for (const key of ["version", "calibratedAt", "source", null, "uncertainty", "movedFromPrevious"]) {
        head.append(Object.assign(document.createElement("th"), { textContent: key ? t(key) : "L* a* b*" }));
      }
      list.createTBody().append(...h.versions.map((v) => row([
        `v${v.version}`, whenWords(v.createdAt), t(`source_${v.source}`),
        v.lab.map((x) => x.toFixed(1)).join(", "), `± ${v.uncertaintyDe00.toFixed(2)}`,
        v.deltaE00FromPrevious == null ? "–" : v.deltaE00FromPrevious.toFixed(2)])));
      const cell = document.createElement("td");
      cell.colSpan = tr.cells.length;
      cell.append(list);
      const under = document.createElement("tr");
      under.dataset.historyOf = `${s.sku}/${s.shade}`;
      under.append(cell);
      tr.after(under);
      b.setAttribute("aria-expanded", "true");
      hp.history = h;
    } catch (e) { fail(e); }
  };
  return b;
}

const share = (v) => (v == null ? "–" : `${(100 * v).toFixed(0)} %`);
// a cell's ΔE00 quantiles, and a suppressed cell's "<5" or "hidden"
const quantiles = (c) => (c.deltaE00 ? `${c.deltaE00.median} / ${c.deltaE00.p90}` : "–");
const suppressedAs = (c) => (c.claims === "hidden" ? t("hiddenCell") : c.claims);
const batchName = (b) => (b === "(none)" ? t("noBatch") : b);  // claims/stats.py's "(none)"
const METRIC_WORDS = { claims: "statClaims", mismatch_share: "statMismatch",
                       redness_increase_share: "statIncrease" };

/** GET /brands/{brand}/stats as its alerts, and a table row per SKU (all batches) followed by
 *  one per batch; a cell under the minimum shows its "<n>" and nothing else. The SKUs come
 *  from the batches' values: the client camel-cases keys, and SKU codes are keys of `skus`. */
function showStats(stats) {
  hp.stats = stats;
  $("alerts").replaceChildren(...(stats.alerts.length ? stats.alerts : [null]).map((a) => {
    const li = document.createElement("li");
    if (!a) { li.textContent = t("noAlerts"); return li; }
    li.className = a.level;
    const where = [a.sku, a.batch && `${t("batch")} ${batchName(a.batch)}`,
                   a.shade && `${t("shade")} ${a.shade}`].filter(Boolean).join(", ");
    const why = a.code === "redness_cluster"  // claims close in time on one batch
      ? t("alertCluster").replace("{n}", a.claims).replace("{h}", a.hours)
      : a.code === "unlisted_batches"  // claims naming batches the brand never listed
        ? fill("alertUnlistedBatches", { n: a.claims })
        : t("aboveBaseline").replace("{what}",
          a.metricsAboveBaseline.map((m) => t(METRIC_WORDS[m] ?? m)).join(", "));
    const how = a.difference?.length  // a shade's: how most of its claims differ
      ? t("alertDifference").replace("{how}", differenceWords(a.difference)) : "";
    li.textContent = `${where}: ${why}${how}`;
    return li;
  }));
  const cells = (c) => (c.suppressed  // "<5", or "hidden" to protect a smaller cell
    ? [suppressedAs(c), "", "", "", "", ""]
    : [String(c.claims), String(c.shadeClaims), share(c.mismatchShare),
       quantiles(c),
       String(c.rednessClaims), share(c.rednessIncreaseShare)]);
  const skus = [...new Set(stats.batches.map((b) => b.sku))];
  $("stats").replaceChildren(...skus.flatMap((sku) => [
    row([sku, t("allBatches"), ...cells(stats.skus[toCamel(sku)])]),
    ...stats.batches.filter((b) => b.sku === sku).map((b) =>
      row(["", batchName(b.batch), ...cells(b)])),
  ]));
  // the shades of each SKU (its shade claims): how most of a shade's claims differ from the
  // reference says what to look at, the shade's production or its reference
  $("shadeStats").replaceChildren(...stats.shades.map((c) => row([c.sku, c.shade,
    ...(c.suppressed ? [suppressedAs(c), "", "", ""]
      : [String(c.claims), share(c.mismatchShare),
         quantiles(c),
         c.difference == null ? "–"
           : c.difference.length ? differenceWords(c.difference) : t("statNoDirection")])])));
  // each product's months (UTC), newest first: its course where shoppers gave no batch
  const months = stats.months.toSorted((a, b) => a.sku.localeCompare(b.sku)
                                                 || b.month.localeCompare(a.month));
  $("monthStats").replaceChildren(...months.map((c) => row([c.sku, c.month, ...cells(c)])));
  $("statsNote").textContent = t("statSuppressed").replaceAll("{n}", stats.minCell);
}

function photoForm() {
  const f = new FormData();
  f.append("sku", $("pSku").value); f.append("shade", $("pShade").value);
  f.append("name", $("pName").value); f.append("roi", $("pRoi").value);
  if ($("pTol").value.trim()) f.append("tolerance", $("pTol").value.trim());
  f.append("photo", $("pFile").files[0]);
  return f;
}

/** The numbers typed in `ids`, or an error naming what is missing: a blank field is no
 *  number (Number("") is 0, and L* a* b* 0, 0, 0 would be saved as black). */
function numbers(ids, what) {
  const values = ids.map((id) => $(id).value.trim());
  if (values.some((v) => v === "" || !Number.isFinite(Number(v)))) {
    throw new Error(t("enterNumbers").replace("{what}", what));
  }
  return values.map(Number);
}

/** The calibration's preview: on the photo as shown when chosen (not decoded again), the
 *  swatch's region and the chart found; then the figures and each patch's residual. */
function drawPreview(result) {
  const chart = result.record.details.chart;
  const region = typedRegion($("pRoi").value);
  if (photoScale && region) {  // a photo the browser cannot show (HEIC) gets the figures only
    const c = $("pCanvas"), s = photoScale, ctx = c.getContext("2d");
    showRegion(c, region, s);
    ctx.strokeStyle = "#00e5ff"; ctx.lineWidth = 3;
    ctx.beginPath();
    chart.quad.forEach(([x, y], k) => (k ? ctx.lineTo(x * s, y * s) : ctx.moveTo(x * s, y * s)));
    ctx.closePath(); ctx.stroke();
  }
  const loo = t("looResidual").replace("{mean}", chart.residualDe00Mean)
    .replace("{max}", chart.residualDe00Max);
  $("pResult").replaceChildren(swatch(labToHex(result.lab)), ` L* a* b* ${result.lab.map((v) => v.toFixed(2)).join(", ")} ± `
    + `${result.uncertaintyDe00} ΔE00 · ${t("chartFit")} ${chart.method} · ${loo}`);
  $("pResiduals").replaceChildren(...chart.residualsDe00.map((v, k) => row([`${t("patch")} ${k + 1}`,
                                                                             v.toFixed(2)])));
}

// the chart photo is shown once chosen, and the swatch's region dragged on it (or typed)
$("pFile").onchange = async () => {
  const file = $("pFile").files[0];
  if (!file) return;
  photoScale = await showPhoto($("pCanvas"), file);
  $("pCanvas").hidden = photoScale == null;
};
dragRegion($("pCanvas"), () => photoScale, (r) => { $("pRoi").value = r.join(","); });
$("pRoi").oninput = () => {
  const region = typedRegion($("pRoi").value);
  if (region) showRegion($("pCanvas"), region, photoScale);
};

$("pPreview").onclick = async () => {
  $("error").textContent = "";
  try {
    const result = await call("POST", `/brands/${brand}/shades?dry_run=true`, photoForm());
    drawPreview(result);
    $("pSave").disabled = false;
    hp.preview = result;
  } catch (e) { fail(e); }
};
$("pSave").onclick = async () => {
  try {
    hp.saved = await call("POST", `/brands/${brand}/shades`, photoForm());
    $("pSave").disabled = true;
    await load();
  } catch (e) { fail(e); }
};
$("lSave").onclick = async () => {
  $("error").textContent = "";
  try {
    const body = { sku: $("lSku").value, shade: $("lShade").value, name: $("lName").value,
      lab: numbers(["lL", "lA", "lB"], "L* a* b*"),
      illuminant: $("lIll").value, observer: $("lObs").value };
    if ($("lTol").value.trim()) [body.tolerance] = numbers(["lTol"], t("toleranceField"));
    hp.saved = await post(`/brands/${brand}/shades`, body);
    await load();
  } catch (e) { fail(e); }
};
/** The CSV chosen, sent as it is to the SKU's shades (previewed with ``dryRun``). */
function sendCsv(dryRun) {
  const file = $("cFile").files[0];
  if (!file) throw new Error(t("chooseCsv"));
  const sku = encodeURIComponent($("cSku").value.trim());
  return call("POST", `/brands/${brand}/skus/${sku}/shades${dryRun ? "?dry_run=true" : ""}`, file,
              { "Content-Type": "text/csv" });
}

function showCsv(result) {
  hp.csv = result;
  $("cShades").replaceChildren(...result.shades.map((s) => row([
    swatch(labToHex(s.lab), "1.5rem"), s.shade, s.name, s.lab.map((v) => v.toFixed(2)).join(", "),
    `± ${s.uncertaintyDe00.toFixed(2)}`, String(s.record.details?.readings ?? "–"),
    s.version ? `v${s.version}` : "–"])));
}

$("cPreview").onclick = async () => {
  $("error").textContent = "";
  try {
    showCsv(await sendCsv(true));
    $("cSave").disabled = false;
  } catch (e) { $("cSave").disabled = true; fail(e); }
};
$("cSave").onclick = async () => {
  $("error").textContent = "";
  try {
    showCsv(await sendCsv(false));
    $("cSave").disabled = true;
    await load();
  } catch (e) { fail(e); }
};
$("cFile").onchange = () => { $("cSave").disabled = true; };
load();
