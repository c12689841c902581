// On-device redness preview: models/redness/redness.onnx through onnxruntime-web (wasm, one
// thread), on the face crop at the model's scale, with the same skin mask and the same
// non-skin rejection as the server (vision/regions.py, vision/redness.py). A preview: the
// adjudicator's figures come from the server's run of the same file.
import * as ort from "/vendor/onnxruntime/ort.wasm.min.mjs";
import { SRGB_U8_TO_LIN } from "./colour.js";

export const FACE_WIDTH = 128;  // models/redness/reference.py
export const INPUT_MULTIPLE = 16;  // the model's inputs are padded to it
export const POOL = 4;  // models/redness/reference.py: the large scales' grid
export const NON_SKIN_Z = 3.0;  // vision/redness.py, as the flagging constants below
export const SMOOTH_FRACTION = 0.012;  // σ of the finest smoothing, in face widths
export const DETECT_THRESHOLD = 3.0, LOW_THRESHOLD = 2.0, MIN_AREA_FRACTION = 0.002;
export const MIN_PEAK_OD = 0.1, MIN_EDGE_OD = 0.04, PEAK_PERCENTILE = 95;
export const FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365,
  379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103,
  67, 109];
const CUTS = [
  [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246],
  [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466],
  [46, 53, 52, 65, 55, 107, 66, 105, 63, 70],
  [276, 283, 282, 295, 285, 336, 296, 334, 293, 300],
  [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185],
  [64, 98, 97, 2, 326, 327, 294, 460, 328, 462, 370, 94, 141, 242, 99, 240],
];
const SKIN_EROSION = 0.03, CUTOUT_MARGIN = 0.02;  // vision/regions.py, as fractions of W

let session = null;

export async function loadModel() {
  if (session) return session;
  ort.env.wasm.wasmPaths = "/vendor/onnxruntime/";
  ort.env.wasm.numThreads = 1;
  session = await ort.InferenceSession.create("/models/redness.onnx", {
    executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  return session;
}

/** Run the model on (H, W) planes: rgbLin Float32Array(3·H·W, CHW) and skin Float32Array(H·W). */
export async function runModel(rgbLin, skin, h, w) {
  const s = await loadModel();
  const out = await s.run({
    rgb_lin: new ort.Tensor("float32", rgbLin, [1, 3, h, w]),
    skin: new ort.Tensor("float32", skin, [1, 1, h, w]),
  });
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data]));
}

/** The k-th smallest of ``v`` (reordered in place, Hoare's selection): all before it are no
 *  larger. */
function select(v, k) {
  let lo = 0, hi = v.length - 1;
  while (lo < hi) {
    const pivot = v[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) { const t = v[i]; v[i] = v[j]; v[j] = t; i++; j--; }
    }
    if (k <= j) hi = j; else if (k >= i) lo = i; else break;
  }
  return v[k];
}

function median(v) {  // as NumPy's: the mean of the two middle values when their count is even
  const n = v.length, m = n >> 1, upper = select(v, m);
  if (n % 2) return upper;
  let lower = -Infinity;
  for (let i = 0; i < m; i++) lower = Math.max(lower, v[i]);
  return 0.5 * (lower + upper);
}

/** Median and robust σ (1.4826 × median absolute deviation), as vision/redness.py. */
export function robust(values) {  // reorders ``values`` (a typed array)
  const v = values;
  const med = median(v);
  for (let i = 0; i < v.length; i++) v[i] = Math.abs(v[i] - med);
  return [med, Math.max(1.4826 * median(v), 1e-6)];
}

function percentile(values, q) {  // NumPy's default (linear) percentile
  const v = new Float64Array(values).sort();
  const pos = (q / 100) * (v.length - 1), k = Math.floor(pos);
  return k + 1 < v.length ? v[k] + (pos - k) * (v[k + 1] - v[k]) : v[k];
}

/** Regions of ``excess`` above ``low`` (8-connected, inside ``region``) whose ``seed`` reaches
 *  ``high`` and that have ``minPixels``, each cut at half its 95th percentile: the
 *  hysteresis_mask of vision/redness.py. */
function hysteresis(excess, seed, region, w, h, high, low, minPixels) {
  const n = w * h, out = new Uint8Array(n), seen = new Uint8Array(n);
  if (!seed.some((v) => v >= high)) return out;
  const stack = new Int32Array(n);
  for (let start = 0; start < n; start++) {
    if (seen[start] || !region[start] || excess[start] < low) continue;
    const members = [];
    let top = 0, seedMax = -Infinity;
    stack[top++] = start; seen[start] = 1;
    while (top) {
      const i = stack[--top];
      members.push(i);
      seedMax = Math.max(seedMax, seed[i]);
      const x = i % w, y = (i - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx, yy = y + dy, j = yy * w + xx;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h || seen[j]) continue;
          if (!region[j] || excess[j] < low) continue;
          seen[j] = 1; stack[top++] = j;
        }
      }
    }
    if (seedMax < high || members.length < minPixels) continue;
    const cut = Math.max(low, 0.5 * percentile(members.map((i) => excess[i]), PEAK_PERCENTILE));
    for (const i of members) if (excess[i] >= cut) out[i] = 1;
  }
  return out;
}

function standardise(values, region) {
  // explicit loops: typed arrays' from() and filter() with a function are several times slower
  let n = 0;
  for (let i = 0; i < values.length; i++) if (region[i]) n++;
  const inside = new Float64Array(n);
  for (let i = 0, k = 0; i < values.length; i++) if (region[i]) inside[k++] = values[i];
  const [med, spread] = robust(inside);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) if (region[i]) out[i] = (values[i] - med) / spread;
  return [out, spread];
}

/** flag_excess of vision/redness.py on optical-density maps: the band-passed ``values`` and
 *  its ``detect`` map standardised over ``region``, thresholds with the physical floors. */
function flagExcess(values, detect, region, w, h) {
  const [excess, spread] = standardise(values, region);
  const [seed, seedSpread] = standardise(detect, region);
  const high = Math.max(DETECT_THRESHOLD, MIN_PEAK_OD / seedSpread);
  const low = Math.max(LOW_THRESHOLD, MIN_EDGE_OD / spread);
  let count = 0;
  for (const r of region) count += r > 0;
  const minPixels = Math.max(4, Math.floor(MIN_AREA_FRACTION * count));
  return { excess, mask: hysteresis(excess, seed, region, w, h, high, low, minPixels) };
}

/** A map on the model's POOL grid brought to its input grid (bilinear, pixel centres
 *  aligned, as OpenCV's resize). */
function fromPool(a, w, h) {
  const pw = w / POOL, ph = h / POOL, out = new Float32Array(w * h);
  const axis = (n, size) => {  // per output index: the two source indices and the weight
    const k0 = new Int32Array(n), k1 = new Int32Array(n), f = new Float32Array(n);
    for (let d = 0; d < n; d++) {
      const s = Math.min(Math.max((d + 0.5) / POOL - 0.5, 0), size - 1);
      k0[d] = Math.floor(s); k1[d] = Math.min(k0[d] + 1, size - 1); f[d] = s - k0[d];
    }
    return [k0, k1, f];
  };
  const [x0, x1, fx] = axis(w, pw), [y0, y1, fy] = axis(h, ph);
  for (let y = 0; y < h; y++) {
    const r0 = y0[y] * pw, r1 = y1[y] * pw, wy = fy[y];
    for (let x = 0; x < w; x++) {
      const top = a[r0 + x0[x]] + fx[x] * (a[r0 + x1[x]] - a[r0 + x0[x]]);
      const bottom = a[r1 + x0[x]] + fx[x] * (a[r1 + x1[x]] - a[r1 + x0[x]]);
      out[y * w + x] = top + wy * (bottom - top);
    }
  }
  return out;
}

/** The excess (σ units) and flagged regions of the model's maps, at the patch scales and the
 *  large ones united as vision/redness.py's flag_two_scales: inside a region found at the
 *  large scales the larger excess of the two. */
export function flagMaps(maps, keep, w, h) {
  const patch = flagExcess(maps.band_fine, maps.band_detect, keep, w, h);
  const shift = fromPool(maps.large_shift, w, h);
  for (let i = 0; i < shift.length; i++) shift[i] += maps.band_fine[i];  // against the wide level
  const large = flagExcess(shift, fromPool(maps.band_detect_large, w, h), keep, w, h);
  const excess = patch.excess, mask = patch.mask;
  for (let i = 0; i < mask.length; i++) {
    if (!large.mask[i]) continue;
    excess[i] = Math.max(excess[i], large.excess[i]);
    mask[i] = 1;
  }
  return { excess, mask, large: large.mask };
}

/** Skin mask of the face (oval minus eyes, brows, lips, nostrils), drawn at the crop scale. */
export function skinMask(points, w, h, faceW) {
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext("2d", { willReadFrequently: true });
  const poly = (ids) => {
    ctx.beginPath();
    ids.forEach((k, n) => (n ? ctx.lineTo(...points[k]) : ctx.moveTo(...points[k])));
    ctx.closePath();
  };
  ctx.fillStyle = "#fff";
  poly(FACE_OVAL); ctx.fill();
  // erosion of the oval and margins of the cut-outs, as strokes of the right width
  ctx.globalCompositeOperation = "destination-out";
  ctx.lineWidth = 2 * SKIN_EROSION * faceW; ctx.strokeStyle = "#000";
  poly(FACE_OVAL); ctx.stroke();
  ctx.lineWidth = 2 * CUTOUT_MARGIN * faceW;
  for (const cut of CUTS) { poly(cut); ctx.fill(); ctx.stroke(); }
  const a = ctx.getImageData(0, 0, w, h).data;
  return Float32Array.from({ length: w * h }, (_, i) => (a[4 * i + 3] >= 128 ? 1 : 0));
}

/** Preview on an image source with its landmarks (pixels): excess map (σ units), flagged
 *  regions and the skin compared, at the crop scale. */
export async function previewRedness(source, points, srcW, srcH) {
  const t0 = performance.now();
  const xs = FACE_OVAL.map((k) => points[k][0]), ys = FACE_OVAL.map((k) => points[k][1]);
  const x0 = Math.max(0, Math.min(...xs) - 8), y0 = Math.max(0, Math.min(...ys) - 8);
  const x1 = Math.min(srcW, Math.max(...xs) + 8), y1 = Math.min(srcH, Math.max(...ys) + 8);
  const faceW = Math.max(...xs) - Math.min(...xs);
  const s = FACE_WIDTH / faceW;
  const w = Math.ceil(((x1 - x0) * s) / INPUT_MULTIPLE) * INPUT_MULTIPLE;
  const h = Math.ceil(((y1 - y0) * s) / INPUT_MULTIPLE) * INPUT_MULTIPLE;
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(source, x0, y0, x1 - x0, y1 - y0, 0, 0, (x1 - x0) * s, (y1 - y0) * s);
  const px = ctx.getImageData(0, 0, w, h).data;
  const n = w * h;
  const rgb = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < 3; ch++) rgb[ch * n + i] = SRGB_U8_TO_LIN[px[4 * i + ch]];
  }
  const local = points.map((p) => [(p[0] - x0) * s, (p[1] - y0) * s]);
  const skin = skinMask(local, w, h, FACE_WIDTH);
  const first = await runModel(rgb, skin, h, w);
  const keep = Float32Array.from(skin);
  for (const name of ["melanin_fine", "shading_fine"]) {  // typical_skin of vision/redness.py
    const [z] = standardise(first[name], skin);
    for (let i = 0; i < n; i++) if (Math.abs(z[i]) > NON_SKIN_Z) keep[i] = 0;
  }
  const maps = await runModel(rgb, keep, h, w);
  const t1 = performance.now();
  const { excess, mask, large } = flagMaps(maps, keep, w, h);
  const t2 = performance.now();
  return { excess, mask, large, keep, w, h, scale: s, ms: t2 - t0, flagMs: t2 - t1,
    crop: [x0, y0, x1 - x0, y1 - y0] };
}
