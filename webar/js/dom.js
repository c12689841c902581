// What the pages share in building their DOM. Text from the API (a shade's name, a claim's
// fields) goes in as text, never as markup: the pages' Content-Security-Policy would stop an
// injected script, and this keeps markup from being injected at all.
import { toSnake } from "./api.js";
import { labToHex } from "./colour.js";
import { t } from "./i18n.js";

/** The redness zones, in the order the pages show them (vision/regions.py REDNESS_ZONES). */
export const ZONES = ["forehead", "left_cheek", "right_cheek", "nose", "chin"];

/** [zone, figures] of an analysis's zones (the API's camelCase keys), in ZONES order, each
 *  zone by its API name. */
export function zoneEntries(zones) {
  return Object.entries(zones || {}).map(([z, v]) => [toSnake(z), v])
    .sort(([a], [b]) => ZONES.indexOf(a) - ZONES.indexOf(b));
}

/** A figure with `d` decimals, or "–" for none. */
export const fmt = (v, d = 2) => (v == null ? "–" : Number(v).toFixed(d));

/** A catalog shade's label: its code, and its name when it has one of its own. */
export const shadeLabel = (s) => (s.name && s.name !== s.shade ? `${s.shade} ${s.name}` : s.shade);

/** A table row of cells, each a node or text. */
export function row(cells) {
  const tr = document.createElement("tr");
  tr.append(...cells.map((c) => {
    const td = document.createElement("td");
    td.append(c);
    return td;
  }));
  return tr;
}

/** Fill the definition list `dl` with [term, value] pairs, each value text or a node; pairs
 *  without a value are left out. */
export function definitions(dl, pairs) {
  dl.replaceChildren(...pairs.filter(([, v]) => v != null && v !== "").flatMap(([term, v]) => {
    const dd = document.createElement("dd");
    dd.append(v);
    return [Object.assign(document.createElement("dt"), { textContent: term }), dd];
  }));
}

/** A button named by `label` whose `data-action` is `action`. */
export function button(action, label, onclick) {
  const b = Object.assign(document.createElement("button"), { textContent: label, onclick });
  b.dataset.action = action;
  return b;
}

/** A shade measurement's colours side by side (`data-part="colours"`), the brand's reference
 *  and the measured one, each a swatch of `size` and named, with its L*a*b* when `figures`;
 *  those the measurement has. */
export function colourPair(s, { size = "2rem", figures = false } = {}) {
  const box = document.createElement("div");
  box.className = "row";
  box.dataset.part = "colours";
  box.append(...[["reference", s?.referenceLab], ["measured", s?.lab]].filter(([, lab]) => lab)
    .map(([key, lab]) => {
      const figure = document.createElement("div");
      figure.append(swatch(labToHex(lab), size), " ",
                    figures ? `${t(key)} L*a*b* ${lab.map((v) => fmt(v, 1)).join(", ")}` : t(key));
      return figure;
    }));
  return box;
}

/** A colour swatch (the `.swatch` style) of CSS colour `background`, optionally sized. */
export function swatch(background, size = null) {
  const span = document.createElement("span");
  span.className = "swatch";
  Object.assign(span.style, { display: "inline-block", background },
                size ? { width: size, height: size } : {});
  return span;
}
