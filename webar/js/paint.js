// The try-on's lip painting: the browser twin of vision/tryon.py (same constants, same steps).
// Each lip pixel keeps its luminance relative to the lips' mean (texture and highlights
// survive) and takes the shade's colour, in linear light; the shade's linear RGB is corrected
// in FIT_STEPS fixed-point steps so that the painted lips' mean CIELAB lands on the shade.
import { SRGB_U8_TO_LIN, labToLin, linToLab, linToU8 } from "./colour.js";

export const LIPS_OUTER = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291,
  409, 270, 269, 267, 0, 37, 39, 40, 185];
export const LIPS_INNER = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308,
  415, 310, 311, 312, 13, 82, 81, 80, 191];
export const LIP_CORNERS = [61, 291];
export const FEATHER_FRACTION = 0.02;
export const FIT_STEPS = 3;
export const SHADING_RANGE = [0.2, 3.0];
const LUMA = [0.2126, 0.7152, 0.0722];

/** Masks of the lips on a canvas of the frame's size: hard (0/1) and soft (feathered). */
export function lipMasks(points, width, height, scratch) {
  const c = scratch || new OffscreenCanvas(width, height);
  if (c.width !== width) c.width = width;
  if (c.height !== height) c.height = height;
  const ctx = c.getContext("2d", { willReadFrequently: true });
  const poly = (ids) => {
    ctx.beginPath();
    ids.forEach((k, n) => (n ? ctx.lineTo(points[k][0], points[k][1])
      : ctx.moveTo(points[k][0], points[k][1])));
    ctx.closePath();
    ctx.fill();
  };
  const [a, b] = LIP_CORNERS;
  const mouth = Math.hypot(points[b][0] - points[a][0], points[b][1] - points[a][1]);
  const sigma = Math.max(0.5, FEATHER_FRACTION * mouth);
  const draw = (blur) => {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalCompositeOperation = "source-over";
    ctx.filter = "none";
    ctx.clearRect(0, 0, width, height);
    ctx.filter = blur ? `blur(${sigma}px)` : "none";
    ctx.fillStyle = "#fff";
    poly(LIPS_OUTER);
    ctx.filter = "none";
    ctx.globalCompositeOperation = "destination-out";
    poly(LIPS_INNER);  // the mouth opening: teeth and tongue are never painted
    return ctx.getImageData(0, 0, width, height).data;
  };
  const hardData = draw(false);
  const softData = draw(true);
  const n = width * height;
  const hard = new Uint8Array(n);
  const soft = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    hard[i] = hardData[4 * i + 3] >= 128 ? 1 : 0;
    // fade outwards only: inside the lips the mask is full
    soft[i] = hard[i] ? 1 : softData[4 * i + 3] / 255;
  }
  return { hard, soft };
}

/** The lips' bounding box with room for the feathered edge: [x, y, w, h], inside the frame. */
export function lipBox(points, width, height) {
  const xs = LIPS_OUTER.map((k) => points[k][0]), ys = LIPS_OUTER.map((k) => points[k][1]);
  const [a, b] = LIP_CORNERS;
  const mouth = Math.hypot(points[b][0] - points[a][0], points[b][1] - points[a][1]);
  const m = Math.ceil(4 * Math.max(0.5, FEATHER_FRACTION * mouth)) + 2;
  const x0 = Math.max(0, Math.floor(Math.min(...xs)) - m), y0 = Math.max(0, Math.floor(Math.min(...ys)) - m);
  const x1 = Math.min(width, Math.ceil(Math.max(...xs)) + m), y1 = Math.min(height, Math.ceil(Math.max(...ys)) + m);
  return [x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0)];
}

/** Paint the lips on a 2D context, working only inside the lips' box. */
export function paintLipsOnContext(ctx, width, height, points, shadeLab, opacity = 1, scratch) {
  const [x, y, w, h] = lipBox(points, width, height);
  const region = ctx.getImageData(x, y, w, h);
  const local = points.map((p) => [p[0] - x, p[1] - y]);
  const res = paintLips(region.data, w, h, local, shadeLab, opacity, scratch);
  ctx.putImageData(region, x, y);
  return res;
}

/** Paint `shadeLab` on the lips of `rgba` (ImageData.data, modified in place). */
export function paintLips(rgba, width, height, points, shadeLab, opacity = 1, scratch) {
  const { hard, soft } = lipMasks(points, width, height, scratch);
  const lum = (i) => LUMA[0] * SRGB_U8_TO_LIN[rgba[4 * i]]
    + LUMA[1] * SRGB_U8_TO_LIN[rgba[4 * i + 1]] + LUMA[2] * SRGB_U8_TO_LIN[rgba[4 * i + 2]];
  let sumY = 0, count = 0;
  const idx = [];
  for (let i = 0; i < hard.length; i++) {
    if (hard[i]) { sumY += lum(i); count++; idx.push(i); }
  }
  if (count < 10) return null;
  const meanY = sumY / count;
  const clip = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  const shading = Float32Array.from(idx, (i) => clip(lum(i) / Math.max(meanY, 1e-6),
    SHADING_RANGE[0], SHADING_RANGE[1]));
  const shade = labToLin(shadeLab).map((v) => clip(v, 1e-4, 1));
  let gain = shade.slice();
  for (let step = 0; step < FIT_STEPS; step++) {
    const mean = [0, 0, 0];
    for (let k = 0; k < shading.length; k++) {
      const lab = linToLab(gain.map((g) => clip(g * shading[k], 0, 1)));
      mean[0] += lab[0]; mean[1] += lab[1]; mean[2] += lab[2];
    }
    const got = labToLin(mean.map((v) => v / shading.length)).map((v) => Math.max(v, 1e-4));
    gain = gain.map((g, c) => clip(g * shade[c] / got[c], 1e-4, 1));
  }
  for (let i = 0; i < soft.length; i++) {
    const a = opacity * soft[i];
    if (a <= 0) continue;
    const s = clip(lum(i) / Math.max(meanY, 1e-6), SHADING_RANGE[0], SHADING_RANGE[1]);
    for (let c = 0; c < 3; c++) {
      const orig = SRGB_U8_TO_LIN[rgba[4 * i + c]];
      const col = clip(gain[c] * s, 0, 1);
      rgba[4 * i + c] = linToU8(orig * (1 - a) + col * a);
    }
  }
  // the mean CIELAB of the painted lips as displayed (8-bit), for the fidelity figures
  const meanLab = [0, 0, 0];
  for (const i of idx) {
    const lab = linToLab([SRGB_U8_TO_LIN[rgba[4 * i]], SRGB_U8_TO_LIN[rgba[4 * i + 1]],
      SRGB_U8_TO_LIN[rgba[4 * i + 2]]]);
    meanLab[0] += lab[0] / count; meanLab[1] += lab[1] / count; meanLab[2] += lab[2] / count;
  }
  return { gain, hard, pixels: count, meanLab };
}
