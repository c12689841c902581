// Is the photo from before saved mirrored (as front cameras often save selfies)? The analysis
// compares such a photo flipped back (vision/analysis.py, baseline_mirrored), so the capture
// page must ask for its light and its turn of the head flipped back too. Told as the analysis
// tells it: the earlier photo is warped onto the live face along the face mesh (skin the
// earlier photo shows foreshortened left out, vision/beforeafter.py's MAX_STRETCH), and the
// robust spread of the two melanin densities' difference over the skin (the person's own
// features, brows, beard, moles, falling on each other) is compared with the photo flipped:
// mirrored when that is MIRROR_MARGIN times lower flipped.
// Measured in session 12 (a Python copy of these steps, each real photo of vision/people as a
// 640 px 4:2:0 video frame, the live face drawn WORK_WIDTH wide): straight, the six ordered
// pairs of one man's three photos give 1.07-1.32 times less spread than mirrored; the
// astronaut's pairs 11-33 times. Without leaving out the foreshortened skin three of the six
// were wrong (0.78-0.98), as with one similarity or affine map for the whole face, or with
// the melanin sampled at the 478 landmarks alone.
import { FaceLandmarker } from "/vendor/mediapipe/vision_bundle.mjs";
import { MEL_OD, SHADE_OD, project } from "./colour.js";
import { NON_SKIN_Z, SMOOTH_FRACTION, robust, skinMask } from "./redness.js";

export const MIRROR_MARGIN = 1.05;  // vision/analysis.py
export const MAX_STRETCH = 1.25;  // vision/beforeafter.py
const WORK_WIDTH = 128;  // the live face drawn this wide (pixels)
const SIGMA = Math.max(0.5, SMOOTH_FRACTION * WORK_WIDTH);  // the outline's smoothing there
// skin pixels both copies must share with the live face for a decision: a tenth of a straight
// pair's (5600-7300 on the test's real pairs)
const MIN_COMPARED = 600;
// A decision combines the evidence of MIRROR_FRAMES live frames (those with enough skin
// shared), taken at least MIRROR_SPACING_MS apart so that they are different views; after
// MIRROR_TRIES frames without that many, it uses those it has. The work runs in
// mirror-worker.js, off the page's thread.
// Measured in session 13 (a separate script, in Chromium): live frames made from each of
// vision/people's three photos of one man (the face 35-55 % of a 640×480 frame, shifted,
// turned ±8° in the picture, motion-blurred 5-15 px or defocused in half of them, exposure
// ×0.7-1.3, white balance ±10 %, sensor noise, JPEG 60-90), against his two other photos
// straight and mirrored; two draws of 192 and 288 frames. One frame decided wrongly 2.2-2.4 %
// of the time (a mirrored photo taken as it is, all on the one pair whose frames' ratio sits
// at 1.02-1.17, median 1.06-1.07); five frames combined 0.3-0.8 % (random fives of each case's
// frames; 1 of 84 fives of consecutive frames). On the test camera five frames take 0.86-1.06
// s in the worker.
export const MIRROR_FRAMES = 5;
export const MIRROR_SPACING_MS = 250;
export const MIRROR_TRIES = 15;
export const BASE_WIDTH = 256;  // the earlier photo's face scaled to this before it is warped
// the face mesh's triangles: MediaPipe's tesselation lists each triangle's three edges in turn
const TRIANGLES = [];
for (let i = 0; i + 2 < FaceLandmarker.FACE_LANDMARKS_TESSELATION.length; i += 3) {
  TRIANGLES.push([0, 1, 2].map((k) => FaceLandmarker.FACE_LANDMARKS_TESSELATION[i + k].start));
}

const area = (p, [i, j, k]) => 0.5 * Math.abs((p[j][0] - p[i][0]) * (p[k][1] - p[i][1])
  - (p[j][1] - p[i][1]) * (p[k][0] - p[i][0]));

function box(points) {
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** An image source with its landmarks (pixels), cut to the face's box (a margin around it)
 *  and scaled so that the face is ``width`` wide: { canvas, points, w, h }. */
export function faceCopy(source, points, width) {
  const [x0, y0, x1, y1] = box(points);
  const s = width / (x1 - x0), m = 0.1 * (x1 - x0);
  const w = Math.ceil((x1 - x0 + 2 * m) * s), h = Math.ceil((y1 - y0 + 2 * m) * s);
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.setTransform(s, 0, 0, s, -(x0 - m) * s, -(y0 - m) * s);
  ctx.drawImage(source, 0, 0);
  return { canvas, points: points.map(([x, y]) => [(x - x0 + m) * s, (y - y0 + m) * s]), w, h };
}

/** ``values`` smoothed inside ``mask`` (normalised convolution, Gaussian σ), as
 *  vision/redness.py's _masked_blur. */
function maskedBlur(values, mask, w, h, sigma) {
  const r = Math.ceil(3 * sigma), kernel = [];
  for (let i = -r; i <= r; i++) kernel.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const pass = (src, horizontal) => {
    const out = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let i = -r; i <= r; i++) {
          const xx = horizontal ? Math.min(w - 1, Math.max(0, x + i)) : x;
          const yy = horizontal ? y : Math.min(h - 1, Math.max(0, y + i));
          acc += kernel[i + r] * src[yy * w + xx];
        }
        out[y * w + x] = acc;
      }
    }
    return out;
  };
  const num = pass(pass(values.map((v, i) => (mask[i] ? v : 0)), true), false);
  const den = pass(pass(Float32Array.from(mask), true), false);
  return num.map((v, i) => v / Math.max(den[i], 1e-3));
}

/** The live face's side of the comparison, the same for every earlier copy: its melanin
 *  density and its skin without what is not skin (hair, brows, shadows), as
 *  vision/redness.py's typical_skin. ``live`` is a faceCopy result, WORK_WIDTH wide. */
export function liveSkin(live) {
  const { w, h } = live, pts = live.points;
  const px = live.canvas.getContext("2d", { willReadFrequently: true }).getImageData(0, 0, w, h).data;
  const [x0, , x1] = box(pts);
  const skin = skinMask(pts, w, h, x1 - x0);
  const n = w * h, melanin = new Float32Array(n), shade = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    melanin[i] = project(MEL_OD, px, 4 * i); shade[i] = project(SHADE_OD, px, 4 * i);
  }
  const region = Uint8Array.from(skin);
  for (const density of [melanin, shade]) {
    const fine = maskedBlur(density, skin, w, h, SIGMA);
    const [med, spread] = robust(fine.filter((_, i) => skin[i]));
    fine.forEach((v, i) => { if (Math.abs(v - med) > NON_SKIN_Z * spread) region[i] = 0; });
  }
  return { melanin, region };
}

/** The melanin mismatch (OD) of an earlier photo warped onto the live face: ``live`` and
 *  ``earlier`` are faceCopy results, the live one WORK_WIDTH wide; ``side`` its liveSkin,
 *  made once when several earlier copies are compared. Returns { mismatch, compared (skin
 *  pixels compared) }. */
export function melaninMismatch(live, earlier, side = liveSkin(live)) {
  const { w, h } = live, pts = live.points, src = earlier.points;
  const warped = new OffscreenCanvas(w, h);
  const ctx = warped.getContext("2d", { willReadFrequently: true });
  const ratios = TRIANGLES.map((t) => area(pts, t) / Math.max(area(src, t), 1e-6));
  const mid = Float32Array.from(ratios).sort()[ratios.length >> 1];
  TRIANGLES.forEach((t, n) => {
    if (ratios[n] / mid > MAX_STRETCH) return;  // foreshortened in the earlier photo
    const [a, b, c] = t.map((k) => src[k]), [p, q, r] = t.map((k) => pts[k]);
    // the affine map taking a, b, c to p, q, r
    const det = (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]);
    if (Math.abs(det) < 1e-9) return;
    const m11 = ((q[0] - p[0]) * (c[1] - a[1]) - (r[0] - p[0]) * (b[1] - a[1])) / det;
    const m12 = ((r[0] - p[0]) * (b[0] - a[0]) - (q[0] - p[0]) * (c[0] - a[0])) / det;
    const m21 = ((q[1] - p[1]) * (c[1] - a[1]) - (r[1] - p[1]) * (b[1] - a[1])) / det;
    const m22 = ((r[1] - p[1]) * (b[0] - a[0]) - (q[1] - p[1]) * (c[0] - a[0])) / det;
    ctx.save();
    ctx.beginPath(); ctx.moveTo(...p); ctx.lineTo(...q); ctx.lineTo(...r); ctx.closePath();
    ctx.clip();
    ctx.setTransform(m11, m21, m12, m22, p[0] - m11 * a[0] - m12 * a[1],
      p[1] - m21 * a[0] - m22 * a[1]);
    ctx.drawImage(earlier.canvas, 0, 0);
    ctx.restore();
  });
  const pxB = ctx.getImageData(0, 0, w, h).data;
  const n = w * h, diff = new Float32Array(n), region = Uint8Array.from(side.region);
  for (let i = 0; i < n; i++) {
    diff[i] = side.melanin[i] - project(MEL_OD, pxB, 4 * i);
    if (pxB[4 * i + 3] < 128) region[i] = 0;  // not warped
  }
  const smoothed = maskedBlur(diff, region, w, h, SIGMA);
  const values = smoothed.filter((_, i) => region[i]);
  return { mismatch: values.length ? robust(values)[1] : Infinity, compared: values.length };
}

/** One live frame's evidence: the earlier photo's straight and flipped copies (faceCopy
 *  results, BASE_WIDTH wide) against the frame with its landmarks (pixels). Returns
 *  { straight, flipped (the two mismatches), compared (skin pixels), enough }. */
export function frameEvidence(liveSource, livePoints, straight, flipped) {
  const live = faceCopy(liveSource, livePoints, WORK_WIDTH), side = liveSkin(live);
  const a = melaninMismatch(live, straight, side), b = melaninMismatch(live, flipped, side);
  // too little skin shared to tell (a face turned far away in one photo): not evidence
  return { straight: a.mismatch, flipped: b.mismatch, compared: Math.min(a.compared, b.compared),
    enough: Math.min(a.compared, b.compared) >= MIN_COMPARED };
}

/** Whether the earlier photo is mirrored, from the frames' evidence (frameEvidence results):
 *  the geometric means of the mismatches over the frames with enough skin, mirrored when the
 *  straight one is MIRROR_MARGIN times the flipped one. Without such a frame the photo is
 *  taken as it is. Returns { mirrored, straight, flipped, compared (the least of the frames
 *  used), frames (how many were used) }. */
export function decide(evidence) {
  const used = evidence.filter((e) => e.enough);
  if (!used.length) return { mirrored: false, straight: null, flipped: null, compared: 0, frames: 0 };
  const mean = (k) => Math.exp(used.reduce((acc, e) => acc + Math.log(e[k]), 0) / used.length);
  const straight = mean("straight"), flipped = mean("flipped");
  return { mirrored: straight > MIRROR_MARGIN * flipped, straight, flipped,
    compared: Math.min(...used.map((e) => e.compared)), frames: used.length };
}
