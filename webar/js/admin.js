// Admin: what waits now and for how long (the service's metrics), the alerts (raw photos
// viewed unusually often), and the webhooks that tell a shop's order system of claims: each
// one's deliveries, one given up sent again, an endpoint registered or stopped.
import { get, getText, post, setToken, token } from "./api.js";
import { button, definitions, row } from "./dom.js";
import { durationWords as duration, whenWords as when } from "./explain.js";
import { errorText, fill, language, t, translate } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const hp = (window.hueproof = { errors: [] });
const EVENTS = ["claim.filed", "claim.ready", "claim.failed", "claim.decided", "claim.withdrawn",
  "claim.appealed"];  // claims/webhooks.py EVENTS
const WAITING = ["queued", "analyzing", "ready", "appealed"];  // claims/metrics.py WAITING_STATUSES

translate();
$("token").value = token();
$("token").onchange = (e) => { setToken(e.target.value); load(); };
const fail = (e) => { $("error").textContent = errorText(e); hp.errors.push(String(e)); };

$("hookEvents").replaceChildren(...EVENTS.map((e) => {
  const label = document.createElement("label");
  const box = Object.assign(document.createElement("input"), { type: "checkbox", value: e, checked: true });
  label.append(box, " ", t(`event_${e}`));
  return label;
}));

/** The metrics' samples, name → [{labels, value}], from Prometheus' text format. */
async function metrics() {
  const out = {};
  for (const line of (await getText("/metrics")).split("\n")) {
    const m = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] || "").matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    (out[m[1]] ||= []).push({ labels, value: Number(m[3]) });
  }
  return out;
}

function showMetrics(m) {
  const pick = (name, labels) => (m[name] || []).filter((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  $("waiting").replaceChildren(...WAITING.map((status) => {
    const n = pick("hueproof_claims", { status }).reduce((a, s) => a + s.value, 0);
    const oldest = pick("hueproof_oldest_waiting_seconds", { status })[0]?.value ?? 0;
    const tr = row([t(`status_${status}`), String(n), n ? duration(oldest) : "–"]);
    tr.dataset.status = status;
    return tr;
  }));
  const q = (name, quantile) => pick(name, { quantile })[0]?.value;
  const pair = (name) => {
    const [p50, p95] = [q(name, "0.5"), q(name, "0.95")];
    return Number.isNaN(p50) || p50 == null ? t("noneYet") : `${duration(p50)} / ${duration(p95)}`;
  };
  const count = (name, state) => pick(name, { state })[0]?.value ?? 0;
  const facts = [["analysisTimes", pair("hueproof_analysis_seconds")],
    ["decisionTimes", pair("hueproof_time_to_decision_seconds")],
    ["appealsFigures", t("appealsLine").replace("{w}", count("hueproof_appeals", "waiting"))
      .replace("{u}", count("hueproof_appeals", "upheld")).replace("{c}", count("hueproof_appeals", "changed"))],
    ["deliveriesFigures", t("deliveriesLine").replace("{p}", count("hueproof_webhook_deliveries", "pending"))
      .replace("{f}", count("hueproof_webhook_deliveries", "failed"))]];
  // an upgraded store's claims, until the service has linked them to their related claims
  const notLinked = pick("hueproof_claims_not_linked", {})[0]?.value ?? 0;
  if (notLinked > 0) facts.push(["notLinkedFigures", fill("notLinkedLine", { n: notLinked })]);
  definitions($("figures"), facts.map(([key, value]) => [t(key), value]));
}

function showAlerts(alerts) {
  $("alerts").replaceChildren(...alerts.map((a) => {
    const li = document.createElement("li");
    li.className = "red";
    const d = a.detail || {};
    const text = a.kind === "reveal_rate"
      ? t("alertRevealRate").replace("{user}", a.userId).replace("{n}", d.revealsLastHour).replace("{limit}", d.limit)
      : `${a.kind}`;
    li.textContent = `${when(a.createdAt)}${language() === "zh" ? "：" : ": "}${text}`;
    return li;
  }));
  $("noAlerts").hidden = alerts.length > 0;
}

/** A webhook's deliveries under its row (newest first), a given-up one sent again on a click. */
async function toggleDeliveries(tr, hook, b) {
  if (tr.nextSibling?.dataset?.deliveriesOf) {
    tr.nextSibling.remove();
    b.setAttribute("aria-expanded", "false");
    return;
  }
  const list = (await get(`/webhooks/${hook.id}/deliveries`)).deliveries;
  const table = document.createElement("table");
  table.append(...list.map((d) => {
    const again = d.state === "failed" ? button("retry", t("sendAgain"), async () => {
      try { await post(`/webhooks/deliveries/${d.id}/retry`, {}); await load(); } catch (e) { fail(e); }
    }) : "";
    const r = row([`#${d.id}`, t(`event_${d.event}`), d.claimId.slice(0, 8), t(`delivery_${d.state}`),
                   String(d.attempts), when(d.deliveredAt || d.failedAt || d.nextAttemptAt), d.lastError || "", again]);
    r.dataset.delivery = d.id;
    return r;
  }));
  const holder = document.createElement("tr");
  holder.dataset.deliveriesOf = hook.id;
  const cell = document.createElement("td");
  cell.colSpan = 6;
  cell.append(list.length ? table : t("noDeliveries"));
  holder.append(cell);
  tr.after(holder);
  b.setAttribute("aria-expanded", "true");
}

function showHooks(hooks) {
  $("hooks").replaceChildren(...hooks.map((h) => {
    const actions = document.createElement("span");
    const tr = row([h.url, h.events.map((e) => t(`event_${e}`)).join(language() === "zh" ? "、" : ", "),
                    h.brand || t("allBrands"),
                    t("deliveryCounts").replace("{d}", h.deliveries.delivered)
                      .replace("{p}", h.deliveries.pending).replace("{f}", h.deliveries.failed),
                    t(h.disabled ? "hookDisabled" : "hookActive"), actions]);
    const show = button("deliveries", t("hookDeliveries"), () => toggleDeliveries(tr, h, show).catch(fail));
    show.setAttribute("aria-expanded", "false");
    actions.append(show, " ");
    if (!h.disabled) {
      actions.append(button("disable", t("hookDisable"), async () => {
        if (!confirm(t("hookDisableConfirm"))) return;
        try { await post(`/webhooks/${h.id}/disable`, {}); await load(); } catch (e) { fail(e); }
      }));
    }
    tr.dataset.hook = h.id;
    return tr;
  }));
  $("noHooks").hidden = hooks.length > 0;
}

$("hookAddBtn").onclick = async () => {
  $("error").textContent = $("hookAdded").textContent = "";
  const events = [...$("hookEvents").querySelectorAll("input:checked")].map((b) => b.value);
  const body = { url: $("hookUrl").value.trim(), events };
  if ($("hookBrand").value.trim()) body.brand = $("hookBrand").value.trim();
  try {
    const hook = await post("/webhooks", body);
    $("hookAdded").textContent = t("hookAddedLine").replace("{id}", hook.id);
    $("hookUrl").value = "";
    await load();
  } catch (e) { fail(e); }
};

async function load() {
  $("error").textContent = "";
  try {
    if (!token()) throw new Error(t("needAdminToken"));
    const [m, alerts, hooks] = await Promise.all([metrics(), get("/alerts"), get("/webhooks")]);
    showMetrics(m);
    showAlerts(alerts.alerts);
    showHooks(hooks.webhooks);
    hp.hooks = hooks.webhooks;
    hp.alerts = alerts.alerts;
    hp.ready = true;
  } catch (e) { fail(e); hp.ready = true; }
}

load();
