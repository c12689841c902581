// On-device redness preview: models/redness/redness.onnx through onnxruntime-web (wasm, one
// thread), on the face crop at the model's scale, with the same skin mask and the same
// non-skin rejection as the server (vision/regions.py, vision/redness.py). A preview: the
// adjudicator's figures come from the server's run of the same file.
import * as ort from "/vendor/onnxruntime/ort.wasm.min.mjs";
import { SRGB_U8_TO_LIN } from "./colour.js";

export const FACE_WIDTH = 128;  // models/redness/reference.py
export const INPUT_MULTIPLE = 16;  // the model's inputs are padded to it
export const NON_SKIN_Z = 3.0;  // vision/redness.py
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

function robust(values) {
  const v = Float32Array.from(values).sort();
  const med = v[v.length >> 1];
  const dev = Float32Array.from(v, (x) => Math.abs(x - med)).sort();
  return [med, Math.max(1.4826 * dev[dev.length >> 1], 1e-6)];
}

/** Skin mask of the face (oval minus eyes, brows, lips, nostrils), drawn at the crop scale. */
function skinMask(points, w, h, faceW) {
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

/** Preview on an image source with its landmarks (pixels): excess map at the crop scale. */
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
  for (const name of ["melanin_fine", "shading_fine"]) {
    const vals = first[name].filter((_, i) => skin[i] > 0);
    const [med, spread] = robust(vals);
    for (let i = 0; i < n; i++) if (Math.abs(first[name][i] - med) > NON_SKIN_Z * spread) keep[i] = 0;
  }
  const maps = await runModel(rgb, keep, h, w);
  const [med, spread] = robust(maps.band_fine.filter((_, i) => keep[i] > 0));
  const excess = Float32Array.from(maps.band_fine, (v, i) => (keep[i] ? (v - med) / spread : 0));
  return { excess, w, h, scale: s, ms: performance.now() - t0, crop: [x0, y0, x1 - x0, y1 - y0] };
}
