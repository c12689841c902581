// Guided claim capture: live quality checks on the device, automatic capture when all pass,
// consent, upload with progress and retries under one Idempotency-Key, then the status.
import { FaceLandmarker, FilesetResolver } from "/vendor/mediapipe/vision_bundle.mjs";
import { checkReport, del, download, get, setToken, token, upload } from "./api.js";
import { HB_OD, MIN_COLOUR_RANGE, OD_FLOOR, SRGB_U8_TO_LIN, colourRange, project }
  from "./colour.js";
import { cameraName, exifTime, photoEditor, softwareOf, withExif } from "./exif.js";
import { BASE_WIDTH, MIRROR_FRAMES, MIRROR_SPACING_MS, MIRROR_TRIES, decide, faceCopy }
  from "./mirror.js";
import { shadeLabel } from "./dom.js";
import { errorText, fill, language, t, translate } from "./i18n.js";
import { dragRegion, showPhoto, showRegion, typedRegion } from "./pickphoto.js";
import { decisionWords, statusWords, whenWords } from "./explain.js";
import { resultWords, showMyClaims } from "./myclaims.js";
import { SMOOTH_FRACTION, previewRedness, runModel } from "./redness.js";

const $ = (id) => document.getElementById(id);
const hp = (window.hueproof = { checks: {}, captured: false, errors: [] });
const video = $("camera"), shot = $("shot");
// claims/catalog.py CODE_PUNCTUATION: an order number is compared without these and white
// space, in any case ("o 2026-77" is "O2026-77")
const CODE_PUNCTUATION = ["-", "_", ".", "/"];
const orderKey = (ref) => CODE_PUNCTUATION.reduce((s, p) => s.split(p).join(""),
                                                    ref.replace(/\s/g, "")).toUpperCase();
const LIMITS = { minFaceFraction: 0.25, maxCentreOffset: 0.2, maxYawRatio: 0.25, maxRollDeg: 15,
  minSharpness: 12, minLuma: 0.2, maxLuma: 0.85, maxClipped: 0.05, stableFrames: 5 };
// The frame is sent as a JPEG of this quality. The camera's video is already colour-subsampled
// (4:2:0); JPEG quantises colour again, and redness is mostly colour: on the benchmark's faces
// as JPEG files (benchmarks/bench_redness.py) a single photo's mean IoU is 0.562 at quality 92
// and 0.587 at 97, before/after 0.871 and 0.904, for 1.7× the bytes (the test camera frame at
// 1280×720 through Pillow's libjpeg: 153 KB at 92, 260 KB at 97).
const CAPTURE_JPEG_QUALITY = 0.97;
// Grain, measured on the device between video frames while the face holds still: the change of
// haemoglobin density on the cheeks and nose from one frame to the next is the camera's noise,
// however its processing smoothed it (the server's estimate from one photo, vision/quality.py,
// sees only pixel-to-pixel noise). The face is drawn 1 / SMOOTH_FRACTION pixels wide, so one
// pixel is the scale redness is outlined at (vision/redness.py); σ = 1.4826 · median
// |difference| / √2 / 2√π is in the server's units: above GRAIN_LIMIT_OD (vision/quality.py's
// max_grain_od) the check fails.
const GRAIN_LIMIT_OD = 0.01, GRAIN_STILL_PX = 0.5, GRAIN_RUNS = 5;
const grainCanvas = new OffscreenCanvas(1, 1);
const grainCtx = grainCanvas.getContext("2d", { willReadFrequently: true });
let grainLast = null;
const grainRuns = [];
// With a photo from before attached, the new one must show its expression: the analysis
// compares the two photos' skin, and a smile or an open jaw changes the cheeks and the folds
// beside the nose (vision/quality.py's expression_changed: the largest change of these
// blendshape scores, above max_expression_change). Real pairs of one man with another
// expression found 3 of 30 strong patches (benchmarks/bench_redness.py, real pairs, session 9).
const EXPRESSION_BLENDSHAPES = ["mouthSmileLeft", "mouthSmileRight", "jawOpen"];
const EXPRESSION_LIMIT = 0.25;
// ... and its light: the analysis matches the two photos' colours per channel on unchanged skin
// and reports a change of light or camera beyond these (vision/beforeafter.py's
// lighting_changed, |ln(gR/gG)| or |ln(gB/gG)|, and exposure_changed, |ln gG|). The page
// measures the same gains as the ratio of the skin's median linear levels, live against the
// earlier photo, on the cheeks and the nose between them (CHEEK_BAND of the face's box, as
// for grain).
const MAX_CHROMATIC_GAIN = 0.08, MAX_EXPOSURE_GAIN = 0.5;
const CHEEK_BAND = { x: [0.15, 0.85], y: [0.45, 0.7] };
// ... and the side the light falls from: the change of shading across the face (LEFT_CHEEK
// against RIGHT_CHEEK) and down it (FOREHEAD against CHEEK_BAND), in OD per face width, within
// the analysis's light_direction_changed limit (vision/beforeafter.py's MAX_SHADING_SLOPE),
// from each pixel's log ratio of green, both faces' boxes drawn LEVEL_SIZE. A selfie saved
// mirrored shows its light on the other side of the picture: large, centred live frames tell
// whether it is (mirror.js, as the analysis tells it; a worker does the work), and the checks
// then follow it flipped back; nothing is captured before that is known. Neither accepting
// both sides (a copy lit from one side then passed on the test camera) nor telling a mirrored
// photo by its appearance on this grid (wrong on 8 of the 12 real pairs of vision/people,
// straight and mirrored) worked (session 10).
const FOREHEAD = { x: [0.3, 0.7], y: [0.08, 0.22] }, MAX_SHADING_SLOPE = 0.2;
const LEFT_CHEEK = { x: [0.15, 0.35], y: CHEEK_BAND.y }, RIGHT_CHEEK = { x: [0.65, 0.85], y: CHEEK_BAND.y };
const LEVEL_SIZE = [64, 80];  // the face box, drawn this size for the light's comparison
// ... and the way the head faces the camera: the analysis registers the two photos along the
// face mesh and refines that by optical flow, but where the earlier photo sees the skin at
// another angle its outline and colour differ (vision/quality.py's pose_changed: yaw beyond
// max_yaw_change, pitch beyond max_pitch_change, in degrees of MediaPipe's head pose, as
// vision/landmarks.py's head_pose_degrees reads the face's transformation matrix). A selfie
// saved mirrored turns the other way: the check follows it flipped back (mirror.js).
const MAX_YAW_CHANGE = 7, MAX_PITCH_CHANGE = 10;
// What the shopper may not be able to match (another phone's colours, a room's light that has
// changed for good): once every other check passes, "take it anyway" captures without the
// matching checks, and the analysis reports what differs.
const MATCH_CHECKS = ["expression", "light", "facing"];
// A photo from before whose face is narrower than this (pixels, vision/quality.py's
// min_baseline_face_px) makes a pair flag unchanged skin: the page says so when it is attached.
const MIN_BASELINE_FACE_PX = 120;
const levelCanvas = new OffscreenCanvas(...LEVEL_SIZE);
const levelCtx = levelCanvas.getContext("2d", { willReadFrequently: true });
// the photo from before: the facts compared with (baselineFacts), both ways round, and while
// it is being told whether it is mirrored, the frames' evidence so far (mirror.js's decide)
let baseline = null, baselineChoices = null, mirrorTest = null, mirrorGeneration = 0;
const MIRROR_LOST_MS = 5000;  // a frame the worker has not answered by then ends the test
let mirrorWorker = null;  // made when a photo from before is first attached (mirrorWorkerFor)
let imageLandmarker = null, visionFiles = null;
let landmarker, shades = [], photoBlob = null, passes = 0, key = null, lastTime = -1;
let taking = false;  // a frame is being encoded: the loop waits for it
// a photo chosen from the device instead of the live capture, and its scale on the canvas
// (null: the browser cannot show it)
let fromDevice = false, photoScale = null;
let lastLandmarks = null, ownPasses = 0, readingBaseline = false;
let linkedBrand = "";  // the brand a link named (?brand=)
const probe = new OffscreenCanvas(128, 128);
const probeCtx = probe.getContext("2d", { willReadFrequently: true });
const frameCanvas = new OffscreenCanvas(160, 120);
const frameCtx = frameCanvas.getContext("2d", { willReadFrequently: true });

translate();
$("token").value = token();
$("token").onchange = (e) => { setToken(e.target.value); myClaims(); };

/** The brands selling the entered product code (the catalog's shades name them), and the
 *  brand a link named; a choice only when there are several: a code two brands use is filed
 *  against the chosen one (the service refuses it without a brand). */
function fillBrands() {
  const sku = $("sku").value, was = $("brand").value || linkedBrand;
  const brands = [...new Set(shades.filter((s) => s.sku === sku).map((s) => s.brand))];
  if (linkedBrand && !brands.includes(linkedBrand)) brands.push(linkedBrand);
  $("brand").replaceChildren(...brands.map((b) => Object.assign(document.createElement("option"),
                                                                  { value: b, textContent: b })));
  if (brands.includes(was)) $("brand").value = was;
  $("brandRow").hidden = brands.length < 2;
}

function fillShades() {
  const sku = $("sku").value, brand = $("brand").value;
  $("shade").replaceChildren(...shades.filter((s) => s.sku === sku && (!brand || s.brand === brand)).map((s) => {
    const o = document.createElement("option");
    o.value = s.shade; o.textContent = shadeLabel(s); return o;
  }));
}

/** A link from an order (the shop's "file a claim" button) fills what it knows:
 *  `/claim?type=shade&brand=demo-cosmetics&sku=LIP-VELVET&shade=R01&order=A1&batch=B7`. A
 *  value the page cannot take (a type or shade it does not offer) is left to the shopper. */
function prefill(q) {
  if (["shade", "redness"].includes(q.get("type"))) $("type").value = q.get("type");
  linkedBrand = q.get("brand") || "";
  if (q.get("sku")) $("sku").value = q.get("sku");
  fillBrands(); fillShades();
  if ([...$("shade").options].some((o) => o.value === q.get("shade"))) $("shade").value = q.get("shade");
  if (q.get("order")) $("orderRef").value = q.get("order");
  if (q.get("batch")) $("batch").value = q.get("batch");
}

function updateType() {
  const shade = $("type").value === "shade";
  $("shadeRow").hidden = !shade;
  $("healthRow").hidden = shade;
  document.querySelector("[data-check=chart]").hidden = !shade;
  $("productBox").hidden = !(shade && fromDevice);
  $("roiRow").hidden = $("productBox").hidden || $("photoShows").value !== "product";
  updateSubmit();
}

/** The product's region typed or dragged (x,y,w,h in the photo's pixels) when the photo
 *  from the device shows the product rather than the lips; null when none is needed; "" when
 *  one is needed and missing. */
function productRegion() {
  if ($("roiRow").hidden) return null;
  return typedRegion($("roi").value)?.join(",") ?? "";
}

function updateSubmit() {
  const needHealth = $("type").value === "redness";
  $("submit").disabled = !(photoBlob && $("consentFacial").checked
    && (!needHealth || $("consentHealth").checked) && $("sku").value && productRegion() !== "");
}

/** A photo from the device instead of the camera's: sent as it is, checked by the analysis
 *  (the live checks need the camera). */
async function usePhotoFile(file) {
  photoBlob = file; fromDevice = true; hp.captured = true; hp.fromDevice = true;
  key = crypto.randomUUID();
  photoScale = await showPhoto(shot, file);
  shot.hidden = photoScale == null; video.hidden = true;
  $("checks").hidden = true;  // the live checks are the camera's; the analysis checks this photo
  $("photoFileNote").textContent = t(photoScale == null ? "photoNotShown" : "photoFromDeviceNote");
  $("retake").hidden = false; $("captureAnyway").hidden = true;
  updateType();
}

/** Quality checks of one video frame and its landmarks (pure measurements, no upload). */
function assess(landmarks, w, h) {
  const out = {};
  if (!landmarks) {
    for (const k of ["faceSize", "centred", "pose", "sharp", "exposure", "grain", "chart"]) out[k] = false;
    grainLast = null;
    return out;
  }
  const xs = landmarks.map((p) => p.x * w), ys = landmarks.map((p) => p.y * h);
  const [x0, y0, x1, y1] = faceBox(landmarks, w, h);
  out.faceSize = (x1 - x0) / w >= LIMITS.minFaceFraction;
  out.centred = Math.max(Math.abs((x0 + x1) / 2 / w - 0.5), Math.abs((y0 + y1) / 2 / h - 0.5))
    <= LIMITS.maxCentreOffset;
  const nose = xs[1], left = xs[234], right = xs[454];
  const yaw = Math.abs((nose - left) - (right - nose)) / Math.max(right - left, 1);
  const roll = Math.abs(Math.atan2(ys[263] - ys[33], xs[263] - xs[33])) * 180 / Math.PI;
  out.pose = yaw <= LIMITS.maxYawRatio && roll <= LIMITS.maxRollDeg;
  // sharpness and exposure on the face, at 128 px
  probeCtx.drawImage(video, x0, y0, x1 - x0, y1 - y0, 0, 0, 128, 128);
  const px = probeCtx.getImageData(0, 0, 128, 128).data;
  const g = new Float32Array(128 * 128);
  let sum = 0, clipped = 0;
  for (let i = 0; i < g.length; i++) {
    g[i] = (0.299 * px[4 * i] + 0.587 * px[4 * i + 1] + 0.114 * px[4 * i + 2]);
    sum += g[i] / 255;
    if (px[4 * i] >= 250 || px[4 * i + 1] >= 250 || px[4 * i + 2] >= 250) clipped++;
  }
  let lap = 0, lapSq = 0, n = 0;
  for (let y = 1; y < 127; y++) {
    for (let x = 1; x < 127; x++) {
      const i = y * 128 + x;
      const v = 4 * g[i] - g[i - 1] - g[i + 1] - g[i - 128] - g[i + 128];
      lap += v; lapSq += v * v; n++;
    }
  }
  const sharpness = lapSq / n - (lap / n) ** 2;
  const luma = sum / g.length;
  out.sharp = sharpness >= LIMITS.minSharpness;
  out.exposure = luma >= LIMITS.minLuma && luma <= LIMITS.maxLuma
    && clipped / g.length <= LIMITS.maxClipped;
  out.chart = chartVisible();
  const grain = frameGrain(x0, y0, x1, y1);
  // not measured yet (the face has not held still between two frames): the check waits for a
  // measurement no more than the capture does; the server's one-photo estimate still applies
  out.grain = grain === null || grain <= GRAIN_LIMIT_OD;
  hp.measures = { yaw, roll, sharpness, luma, faceFraction: (x1 - x0) / w, grain };
  return out;
}

/** The box [x0, y0, x1, y1] of normalised landmarks in an image w × h. */
function faceBox(landmarks, w, h) {
  const xs = landmarks.map((p) => p.x * w), ys = landmarks.map((p) => p.y * h);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** CHEEK_BAND of a face box drawn gw pixels wide: [xa, xb, ya, yb] in those pixels. */
function cheekBand(gw, gh) {
  return [Math.round(CHEEK_BAND.x[0] * gw), Math.round(CHEEK_BAND.x[1] * gw),
    Math.round(CHEEK_BAND.y[0] * gh), Math.round(CHEEK_BAND.y[1] * gh)];
}

/** The face box of ``source`` (a video or an image) drawn LEVEL_SIZE pixels: its linear sRGB
 * per channel, and the box's height over its width. */
function skinLevels(source, [x0, y0, x1, y1]) {
  const [lw, lh] = LEVEL_SIZE;
  levelCtx.imageSmoothingQuality = "high";
  levelCtx.drawImage(source, x0, y0, x1 - x0, y1 - y0, 0, 0, lw, lh);
  const px = levelCtx.getImageData(0, 0, lw, lh).data;
  const lin = [0, 1, 2].map((c) => Float32Array.from({ length: lw * lh },
    (_, i) => SRGB_U8_TO_LIN[px[4 * i + c]]));
  return { lin, aspect: (y1 - y0) / (x1 - x0) };
}

/** The median of ``f(i)`` over the pixels i of a rectangle of the levels' grid, given as
 * fractions of the face box {x: [a, b], y: [a, b]}. */
function medianIn(rect, f) {
  const [lw, lh] = LEVEL_SIZE;
  const xa = Math.round(rect.x[0] * lw), xb = Math.round(rect.x[1] * lw);
  const ya = Math.round(rect.y[0] * lh), yb = Math.round(rect.y[1] * lh);
  const v = new Float32Array((xb - xa) * (yb - ya));
  let k = 0;
  for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) v[k++] = f(y * lw + x);
  return v.sort()[v.length >> 1];
}

/** The light on the live face against the earlier photo's: per-channel gains (ratios of the
 * cheek band's medians, as the analysis matches the two photos), and the change of shading
 * density across the face (the outer cheeks) and down it (the forehead against the band) in
 * OD per face width, from the pixels' log ratios of green, the box's grids aligned. */
function compareLight(now, then) {
  const ln = (a, b) => Math.log(Math.max(a, OD_FLOOR) / Math.max(b, OD_FLOOR));
  const lg = [0, 1, 2].map((c) => ln(medianIn(CHEEK_BAND, (i) => now.lin[c][i]),
    medianIn(CHEEK_BAND, (i) => then.lin[c][i])));
  const ratio = (i) => ln(now.lin[1][i], then.lin[1][i]);
  const centre = (r) => (r[0] + r[1]) / 2;
  const across = (medianIn(LEFT_CHEEK, ratio) - medianIn(RIGHT_CHEEK, ratio))
    / (centre(RIGHT_CHEEK.x) - centre(LEFT_CHEEK.x));
  const down = (medianIn(FOREHEAD, ratio) - medianIn(CHEEK_BAND, ratio))
    / ((centre(CHEEK_BAND.y) - centre(FOREHEAD.y)) * now.aspect);
  return { gains: lg.map(Math.exp), chromatic: Math.max(Math.abs(lg[0] - lg[1]), Math.abs(lg[2] - lg[1])),
    exposure: Math.abs(lg[1]), slopes: [across, down], direction: Math.max(Math.abs(across), Math.abs(down)) };
}

/** The median of the last GRAIN_RUNS frame-to-frame grain measurements (haemoglobin OD at the
 * outline's scale), or null until the face has held still for one. */
function frameGrain(x0, y0, x1, y1) {
  const gw = Math.round(1 / SMOOTH_FRACTION), gh = Math.max(1, Math.round(gw * (y1 - y0) / (x1 - x0)));
  grainCanvas.width = gw; grainCanvas.height = gh;  // (which resets the context's settings)
  grainCtx.imageSmoothingQuality = "high";  // averaged as it shrinks, as INTER_AREA
  grainCtx.drawImage(video, x0, y0, x1 - x0, y1 - y0, 0, 0, gw, gh);
  const px = grainCtx.getImageData(0, 0, gw, gh).data;
  // the cheeks and the nose between them: below the eyes, above the mouth
  const [xa, xb, ya, yb] = cheekBand(gw, gh);
  const hb = new Float32Array((xb - xa) * (yb - ya));
  let k = 0;
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) {
      const i = 4 * (y * gw + x);
      hb[k++] = project(HB_OD, px, i);
    }
  }
  const box = [x0, y0, x1, y1], last = grainLast;
  grainLast = { box, hb };
  const pitch = (x1 - x0) / gw;  // video pixels per grain pixel
  if (last && last.hb.length === hb.length
      && box.every((v, i) => Math.abs(v - last.box[i]) <= GRAIN_STILL_PX * pitch)) {
    const diff = hb.map((v, i) => Math.abs(v - last.hb[i])).sort();
    // a pixel here averages a square one outline scale wide; the server's Gaussian of that σ
    // averages white noise over 2√π times as wide a square (vision/quality.py's skin_grain)
    grainRuns.push(1.4826 * diff[diff.length >> 1] / Math.SQRT2 / (2 * Math.sqrt(Math.PI)));
    if (grainRuns.length > GRAIN_RUNS) grainRuns.shift();
  }
  if (!grainRuns.length) return null;
  const sorted = [...grainRuns].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** A ColorChecker in view shows saturated colours of nearly every hue at once; a face and a
 * room rarely do. Hue bins (6) with ≥ 0.2 % strongly saturated pixels: at least 5. */
function chartVisible() {
  frameCtx.drawImage(video, 0, 0, 160, 120);
  const px = frameCtx.getImageData(0, 0, 160, 120).data;
  const bins = new Array(6).fill(0);
  for (let i = 0; i < px.length; i += 4) {
    const r = px[i] / 255, g = px[i + 1] / 255, b = px[i + 2] / 255;
    const mx = Math.max(r, g, b), mn = Math.min(r, g, b);
    if (mx < 0.15 || (mx - mn) / mx < 0.5) continue;
    let h = mx === r ? (g - b) / (mx - mn) : mx === g ? 2 + (b - r) / (mx - mn) : 4 + (r - g) / (mx - mn);
    h = (h + 6) % 6;
    bins[Math.floor(h)]++;
  }
  return bins.filter((c) => c >= 0.002 * 160 * 120).length >= 5;
}

/** Each visible check as passed (its short "…Ok" words) or not (what to do about it). */
function showChecks(checks) {
  document.querySelectorAll("#checks li").forEach((li) => {
    if (li.hidden) return;
    const ok = Boolean(checks[li.dataset.check]);
    li.className = ok ? "ok" : "bad";
    li.textContent = t(ok ? `${li.dataset.check}Ok` : li.dataset.i18n);
  });
}

const checkRow = (k) => document.querySelector(`#checks [data-check=${k}]`);

/** Yaw and pitch (degrees) of a face's transformation matrix (column-major 4×4), as
 * vision/landmarks.py's head_pose_degrees: R = Rz(roll)·Ry(yaw)·Rx(pitch). */
function headPose(matrix) {
  if (!matrix?.data) return null;
  const r = (i, j) => matrix.data[j * 4 + i];
  const deg = 180 / Math.PI;
  return { yaw: Math.asin(Math.min(1, Math.max(-1, -r(2, 0)))) * deg,
    pitch: Math.atan2(r(2, 1), r(2, 2)) * deg };
}

/** The expression scores of a face's blendshapes ({categories: [{categoryName, score}]}). */
function expressionScores(blendshapes) {
  const all = Object.fromEntries((blendshapes?.categories || []).map((c) => [c.categoryName, c.score]));
  return EXPRESSION_BLENDSHAPES.every((k) => k in all)
    ? Object.fromEntries(EXPRESSION_BLENDSHAPES.map((k) => [k, all[k]])) : null;
}

/** The baseline photo's expression and skin levels (null without a baseline, or without a
 * face in it). */
async function readBaseline() {
  const file = $("baseline").files[0];
  baseline = baselineChoices = mirrorTest = null;
  hp.baselineExpression = hp.baselineLevels = hp.baselineFaceWidth = hp.baselineRead = null;
  hp.baselineColourRange = null;
  hp.baselinePose = hp.baselineMirror = null;
  MATCH_CHECKS.forEach((k) => { checkRow(k).hidden = true; });
  $("baselineNote").textContent = $("baselineEdited").textContent = "";
  hp.baselineSoftware = undefined;
  if (!file) return;
  readingBaseline = true;  // no capture until the photo's checks are known
  try {
    // what saved the file, as its EXIF states (the analysis reports a photo editor:
    // baseline_edited)
    hp.baselineSoftware = softwareOf(await file.arrayBuffer());
    if (photoEditor(hp.baselineSoftware)) {
      $("baselineEdited").textContent = fill("baselineEdited", { software: hp.baselineSoftware });
    }
    await readBaselineFace(file);
  } finally {
    readingBaseline = false;
  }
}

async function readBaselineFace(file) {
  imageLandmarker ??= await FaceLandmarker.createFromOptions(visionFiles, {
    baseOptions: { modelAssetPath: "/models/face_landmarker.task", delegate: "CPU" },
    runningMode: "IMAGE", numFaces: 1, outputFaceBlendshapes: true,
    outputFacialTransformationMatrixes: true,
  });
  const image = await createImageBitmap(file);
  const straight = baselineFacts(image);
  hp.baselineColourRange = straight.box ? boxColourRange(image, straight.box) : NaN;
  if (hp.baselineColourRange < MIN_COLOUR_RANGE) {  // the analysis will not use it
    useBaseline({ expression: null, levels: null, pose: null, width: null });
    hp.baselineRead = file.name;
    $("baselineNote").textContent = t("baselineNoColour");
    return;
  }
  const flip = new OffscreenCanvas(image.width, image.height);
  const flipCtx = flip.getContext("2d");
  flipCtx.setTransform(-1, 0, 0, 1, image.width, 0);
  flipCtx.drawImage(image, 0, 0);
  // both ways round: the live face tells which one the analysis will compare (mirror.js)
  baselineChoices = { straight, flipped: baselineFacts(flip) };
  useBaseline(straight);
  if (baselineChoices.straight.copy && baselineChoices.flipped.copy) await startMirrorTest();
  hp.baselineRead = file.name;  // (what the page now compares against)
  if (!baselineChoices.straight.copy) $("baselineNote").textContent = t("baselineNoFace");
  else if (hp.baselineFaceWidth < MIN_BASELINE_FACE_PX) {
    $("baselineNote").textContent = t("baselineSmall").replace("{px}", Math.round(hp.baselineFaceWidth));
  }
}

/** colour.js's colourRange of the face box [x0, y0, x1, y1] of ``image``, read on at most
 *  128 × 128 of its pixels (nearest ones, as calibration/measure.py subsamples). */
function boxColourRange(image, [x0, y0, x1, y1]) {
  const s = Math.min(1, 128 / Math.max(x1 - x0, y1 - y0));
  const w = Math.max(1, Math.round((x1 - x0) * s)), h = Math.max(1, Math.round((y1 - y0) * s));
  const ctx = new OffscreenCanvas(w, h).getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(image, x0, y0, x1 - x0, y1 - y0, 0, 0, w, h);
  return colourRange(ctx.getImageData(0, 0, w, h).data);
}

/** What the live checks compare with, read from one image of the photo from before. */
function baselineFacts(image) {
  const found = imageLandmarker.detect(image);
  const landmarks = found.faceLandmarks?.[0];
  const box = landmarks && faceBox(landmarks, image.width, image.height);
  return {
    expression: expressionScores(found.faceBlendshapes?.[0]),
    levels: box ? skinLevels(image, box) : null,
    pose: landmarks ? headPose(found.facialTransformationMatrixes?.[0]) : null,
    width: box ? box[2] - box[0] : null,
    box,
    copy: landmarks ? faceCopy(image, landmarks.map((p) => [p.x * image.width, p.y * image.height]),
      BASE_WIDTH) : null,
  };
}

function useBaseline(facts) {
  baseline = facts;
  hp.baselineExpression = facts.expression; hp.baselineLevels = facts.levels;
  hp.baselinePose = facts.pose; hp.baselineFaceWidth = facts.width;
  checkRow("expression").hidden = !facts.expression;
  checkRow("light").hidden = !facts.levels;
  checkRow("facing").hidden = !facts.pose;
}

/** Sends the worker the photo from before both ways round; large, centred live frames then
 *  tell whether it is mirrored (mirrorFrame, and the worker's answers below). */
async function startMirrorTest() {
  const generation = ++mirrorGeneration;
  const copy = async ({ copy: c }) => ({ canvas: await createImageBitmap(c.canvas), points: c.points,
    w: c.w, h: c.h });
  const straight = await copy(baselineChoices.straight), flipped = await copy(baselineChoices.flipped);
  mirrorWorkerFor().postMessage({ type: "baseline", generation, straight, flipped },
    [straight.canvas, flipped.canvas]);
  mirrorTest = { generation, evidence: [], tries: 0, inFlight: false, last: -Infinity, ms: 0 };
}

/** One live frame to the worker, at most one at a time and MIRROR_SPACING_MS apart. */
async function mirrorFrame(landmarks) {
  const test = mirrorTest;
  test.inFlight = true; test.last = performance.now();
  const points = landmarks.map((p) => [p.x * video.videoWidth, p.y * video.videoHeight]);
  try {
    const frame = await createImageBitmap(video);
    mirrorWorkerFor().postMessage({ type: "frame", generation: test.generation, frame, points },
      [frame]);
  } catch (e) {  // no frame to test: the photo is taken as it is
    hp.errors.push(String(e)); endMirrorTest();
  }
}

/** The page's one mirror worker (mirror-worker.js), made on first use. */
function mirrorWorkerFor() {
  if (mirrorWorker) return mirrorWorker;
  mirrorWorker = new Worker("/webar/js/mirror-worker.js", { type: "module" });
  mirrorWorker.onmessage = ({ data }) => mirrorEvidence(data);
  // a worker that cannot run must not hold the capture back
  mirrorWorker.onerror = (e) => { hp.errors.push(`mirror worker: ${e.message}`); endMirrorTest(); };
  return mirrorWorker;
}

/** A frame's evidence back from the worker: once MIRROR_FRAMES frames had enough skin shared
 *  (or MIRROR_TRIES were tried), the decision; if mirrored the checks follow the photo flipped
 *  back. */
function mirrorEvidence(data) {
  const test = mirrorTest;
  if (!test || data.generation !== test.generation) return;  // another photo attached since
  test.inFlight = false; test.tries += 1;
  if (data.error) hp.errors.push(`mirror worker: ${data.error}`);
  else { test.evidence.push(data); test.ms += data.ms; }
  const enough = test.evidence.filter((e) => e.enough).length;
  if (enough >= MIRROR_FRAMES || test.tries >= MIRROR_TRIES) endMirrorTest();
}

function endMirrorTest() {
  const test = mirrorTest;
  if (!test) return;
  mirrorTest = null;
  const found = decide(test.evidence);
  hp.baselineMirror = { ...found, tries: test.tries, ms: test.ms,
    perFrame: test.evidence.map(({ straight, flipped, compared }) => ({ straight, flipped, compared })) };
  if (found.mirrored) {
    useBaseline(baselineChoices.flipped);
    $("baselineNote").textContent = t("baselineMirrored");
  }
}

/** The checks against the photo from before, into ``checks`` and hp.measures: its expression
 * (the largest change of the scores), its light (the gains from it to the live skin) and the
 * way the head faces the camera (the changes of yaw and pitch). */
function matchBaseline(res, checks) {
  const landmarks = res.faceLandmarks?.[0];
  if (baseline?.expression) {
    const now = expressionScores(res.faceBlendshapes?.[0]);
    const change = now && Math.max(...EXPRESSION_BLENDSHAPES.map((k) =>
      Math.abs(now[k] - baseline.expression[k])));
    checks.expression = now !== null && change <= EXPRESSION_LIMIT;
    hp.measures = { ...hp.measures, expression: now && change };
  }
  if (baseline?.levels) {
    let light = null;
    if (landmarks) {
      light = compareLight(skinLevels(video, faceBox(landmarks, video.videoWidth, video.videoHeight)),
        baseline.levels);
    }
    checks.light = light !== null && light.chromatic <= MAX_CHROMATIC_GAIN
      && light.exposure <= MAX_EXPOSURE_GAIN && light.direction <= MAX_SHADING_SLOPE;
    hp.measures = { ...hp.measures, light };
  }
  if (baseline?.pose) {
    const now = landmarks ? headPose(res.facialTransformationMatrixes?.[0]) : null;
    const facing = now && { yaw: Math.abs(now.yaw - baseline.pose.yaw),
      pitch: Math.abs(now.pitch - baseline.pose.pitch) };
    checks.facing = facing !== null && facing.yaw <= MAX_YAW_CHANGE
      && facing.pitch <= MAX_PITCH_CHANGE;
    hp.measures = { ...hp.measures, facing, pose: now };
  }
}

async function showPreview(points) {
  // the on-device redness preview: the same ONNX model the server runs
  try {
    const p = await previewRedness(shot, points, shot.width, shot.height);
    const c = $("previewCanvas");
    c.width = p.w; c.height = p.h;
    const ctx = c.getContext("2d");
    const [x0, y0, cw, ch] = p.crop;
    ctx.drawImage(shot, x0, y0, cw, ch, 0, 0, cw * p.scale, ch * p.scale);
    const img = ctx.getImageData(0, 0, p.w, p.h);
    let peak = 0, flagged = 0, skin = 0;
    for (let i = 0; i < p.excess.length; i++) {
      const e = p.excess[i];
      peak = Math.max(peak, e);
      const a = Math.min(Math.max((e - 2) / 2, 0), 0.85);  // from the low threshold, 2σ
      img.data[4 * i] = img.data[4 * i] * (1 - a) + 255 * a;
      img.data[4 * i + 1] *= 1 - a;
      img.data[4 * i + 2] *= 1 - a;
      skin += p.keep[i] > 0;
      if (!p.mask[i]) continue;
      flagged++;
      // the flagged regions outlined, as on the server's heatmap
      const x = i % p.w, edge = !p.mask[i - p.w] || !p.mask[i + p.w] ||
        (x > 0 && !p.mask[i - 1]) || (x < p.w - 1 && !p.mask[i + 1]);
      if (edge) img.data.set([255, 255, 255], 4 * i);
    }
    ctx.putImageData(img, 0, 0);
    hp.preview = { ms: p.ms, peakExcess: peak, size: [p.w, p.h],
      flaggedFraction: skin ? flagged / skin : 0 };
    $("previewNote").textContent = `${t("preview")}: ${p.ms.toFixed(0)} ms — ${t("notDiagnosis")}`;
  } catch (e) {
    hp.errors.push(String(e));
    $("previewNote").textContent = t("previewUnavailable");
  }
}

function capture() {
  taking = true;
  shot.width = video.videoWidth; shot.height = video.videoHeight;
  shot.getContext("2d").drawImage(video, 0, 0);
  const points = lastLandmarks?.map((p) => [p.x * shot.width, p.y * shot.height]);
  if (points) showPreview(points);
  const taken = exifTime(new Date());
  const label = video.srcObject?.getVideoTracks?.()[0]?.label;
  shot.toBlob(async (b) => {
    try {  // the file states its camera and time as a camera's would (exif.js)
      photoBlob = await withExif(b, { make: "hueproof", model: cameraName(label), ...taken });
    } catch (e) {
      hp.errors.push(String(e)); photoBlob = b;
    } finally {
      taking = false;
    }
    hp.captured = true; key = crypto.randomUUID();
    $("captureState").textContent = hp.capturedAnyway?.length ? t("takenAnyway") : t("allGood");
    $("retake").hidden = false; $("captureAnyway").hidden = true;
    shot.hidden = false; video.hidden = true;
    updateSubmit();
  }, "image/jpeg", CAPTURE_JPEG_QUALITY);
}

function loop() {
  if (!photoBlob && !taking && video.readyState >= 2 && video.currentTime !== lastTime) {
    lastTime = video.currentTime;
    const res = landmarker.detectForVideo(video, performance.now());
    lastLandmarks = res.faceLandmarks?.[0] || null;
    const checks = assess(lastLandmarks, video.videoWidth, video.videoHeight);
    if (mirrorTest?.inFlight && performance.now() - mirrorTest.last > MIRROR_LOST_MS) endMirrorTest();
    if (mirrorTest && !mirrorTest.inFlight && !readingBaseline && checks.faceSize && checks.centred
        && performance.now() - mirrorTest.last >= MIRROR_SPACING_MS) {
      mirrorFrame(lastLandmarks);
    }
    if ($("type").value !== "shade") delete checks.chart;
    matchBaseline(res, checks);
    hp.checks = checks;
    showChecks(checks);
    passes = !readingBaseline && !mirrorTest && Object.values(checks).every(Boolean) ? passes + 1 : 0;
    // every check but the matching ones held as long as a capture needs: offer to take it
    const own = Object.entries(checks).every(([k, v]) => v || MATCH_CHECKS.includes(k));
    ownPasses = own && !readingBaseline && !mirrorTest ? ownPasses + 1 : 0;
    $("captureAnyway").hidden = ownPasses < LIMITS.stableFrames || passes > 0;
    if (passes >= LIMITS.stableFrames) capture();
  }
  requestAnimationFrame(loop);
}

/** Her own claim on the order's product filed before and pursued (open, or decided otherwise
 *  than by asking for more evidence), said beside the button: another is not decided sooner,
 *  nor approved automatically (claims/related.py); an adjudicator reads both. */
function sayEarlierClaim() {
  const key = orderKey($("orderRef").value);
  const earlier = key ? (hp.myClaims || []).find((c) => orderKey(c.orderRef || "") === key
    && c.sku === $("sku").value && !["failed", "withdrawn"].includes(c.status)
    && c.decision?.outcome !== "request_evidence") : undefined;
  $("earlierClaim").hidden = !earlier;
  $("earlierClaim").textContent = earlier
    ? fill("earlierClaim", { date: whenWords(earlier.createdAt), status: statusWords(earlier) }) : "";
  hp.earlierClaim = earlier?.id ?? null;
}

async function submit() {
  $("error").textContent = "";
  const form = new FormData();
  const fields = { type: $("type").value, sku: $("sku").value, orderRef: $("orderRef").value,
    batch: $("batch").value, consentVersion: hp.consent.version,
    consentFacial: String($("consentFacial").checked),
    consentHealth: String($("consentHealth").checked) };
  if (fields.type === "shade") fields.shade = $("shade").value;
  if ($("brand").value) fields.brand = $("brand").value;
  Object.entries(fields).forEach(([k, v]) => form.append(k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v));
  form.append("photo", photoBlob, photoBlob.name || "capture.jpg");
  if (productRegion()) form.append("roi", productRegion());
  if ($("baseline").files[0]) form.append("baseline", $("baseline").files[0]);
  $("progress").hidden = false; $("submit").disabled = true;
  try {
    const claim = await upload("/claims", form, { key, onProgress: (p) => { $("progress").value = p; } });
    hp.claimId = claim.id;
    $("retry").hidden = true;
    $("statusBox").hidden = false;
    poll(claim.id);
  } catch (e) {
    $("error").textContent = errorText(e);
    $("retry").hidden = false;  // the same Idempotency-Key: never a second claim
  }
}

async function poll(id) {
  const claim = await get(`/claims/${id}`);
  hp.status = claim.status;
  $("claimStatus").textContent = statusWords(claim);
  $("claimResult").textContent = resultWords(claim);
  if (["queued", "analyzing"].includes(claim.status)) setTimeout(() => poll(id), 1000);
  else await myClaims();
}

/** The signed-in shopper's claims (none shown without a shopper's token: staff see claims
 *  on the review page). */
// a signed report checked by the service that signed it (anyone may: a report travels)
$("reportFile").onchange = async () => {
  const file = $("reportFile").files[0];
  $("reportCheck").textContent = "";
  if (!file) return;
  try {
    const r = await checkReport(await file.text());
    $("reportCheck").textContent = r.valid
      ? t("reportValid").replace("{claim}", r.claimId.slice(0, 8)).replace("{seq}", r.chainSeq)
        .replace("{decision}", decisionWords(r.decision))
      : `${t("reportInvalid")}${language() === "zh" ? "：" : ": "}${r.problems.join("; ")}`;
    hp.reportCheck = r;
  } catch (e) { $("reportCheck").textContent = errorText(e); }
};

async function myClaims() {
  $("myClaimsBox").hidden = true;
  if (!token()) return;
  try {
    if ((await get("/me")).role !== "shopper") return;
    await showMyClaims($("myClaims"), hp);
    $("myClaimsBox").hidden = false;
    sayEarlierClaim();
  } catch (e) { hp.errors.push(String(e)); }
}

// everything the service holds about the shopper, as one file (the right to a copy)
$("exportData").onclick = () => download("/me/export", "hueproof-my-data.json")
  .then(() => { hp.exported = true; })
  .catch((e) => { $("error").textContent = errorText(e); hp.errors.push(String(e)); });

// the right to erasure: every claim's consent withdrawn and its photos erased, the name
// erased, the token disabled (asked first; it cannot be undone)
$("eraseAccount").onclick = async () => {
  if (!confirm(t("eraseConfirm"))) return;
  try {
    const done = await del("/me");
    setToken("");
    $("token").value = "";
    $("myClaimsBox").hidden = true;
    $("erased").textContent = t("erasedDone").replace("{n}", done.claims);
    $("erased").hidden = false;
    hp.erased = done;
  } catch (e) { $("error").textContent = errorText(e); hp.errors.push(String(e)); }
};

async function main() {
  try {
    shades = (await get("/shades")).shades;
  } catch (e) { hp.errors.push(String(e)); }
  const skus = [...new Set(shades.map((s) => s.sku))];
  $("skus").replaceChildren(...skus.map((s) => Object.assign(document.createElement("option"), { value: s })));
  $("sku").value = skus[0] || "";
  prefill(new URLSearchParams(location.search));
  $("sku").oninput = () => { fillBrands(); fillShades(); updateSubmit(); sayEarlierClaim(); };
  $("orderRef").oninput = sayEarlierClaim;
  $("brand").onchange = fillShades;
  $("type").onchange = updateType;
  ["consentFacial", "consentHealth"].forEach((id) => { $(id).onchange = updateSubmit; });
  $("submit").onclick = submit;
  $("retry").onclick = submit;
  $("baseline").onchange = () => readBaseline().catch((e) => {
    hp.errors.push(String(e));
    $("baselineNote").textContent = t("baselineUnreadable");
  });
  $("captureAnyway").onclick = () => {
    hp.capturedAnyway = Object.keys(hp.checks).filter((k) => !hp.checks[k]);
    capture();
  };
  $("retake").onclick = () => {
    photoBlob = null; hp.captured = false; hp.capturedAnyway = null; passes = ownPasses = 0;
    fromDevice = hp.fromDevice = false; photoScale = null; delete shot.photo;
    $("photoFile").value = ""; $("roi").value = ""; $("photoFileNote").textContent = "";
    shot.hidden = true; video.hidden = $("checks").hidden = !video.srcObject;
    $("retake").hidden = true; updateType();
  };
  $("photoFile").onchange = () => $("photoFile").files[0] && usePhotoFile($("photoFile").files[0]);
  $("photoShows").onchange = updateType;
  $("roi").oninput = () => {
    const region = typedRegion($("roi").value);
    if (region) showRegion(shot, region, photoScale);
    updateSubmit();
  };
  dragRegion(shot, () => photoScale, (r) => { $("roi").value = r.join(","); updateSubmit(); });
  updateType();
  myClaims();  // beside the camera's start, not before it
  hp.consent = await get("/consent");
  $("consentText").textContent = hp.consent.text[language()] || hp.consent.text.zh;
  visionFiles = await FilesetResolver.forVisionTasks("/vendor/mediapipe/wasm");
  landmarker = await FaceLandmarker.createFromOptions(visionFiles, {
    baseOptions: { modelAssetPath: "/models/face_landmarker.task", delegate: "CPU" },
    runningMode: "VIDEO", numFaces: 1, outputFaceBlendshapes: true,
    outputFacialTransformationMatrixes: true,
  });
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    await video.play();
  } catch (e) {  // refused, or no camera: a photo from the device still files the claim
    video.srcObject = null; video.hidden = $("checks").hidden = true;
    hp.cameraError = String(e);
    $("captureState").textContent = t("noCameraPickPhoto");
  }
  hp.ready = true;
  hp.runRedness = async (rgb, skin, h, w) => {  // for the browser-vs-server parity test
    const out = await runModel(Float32Array.from(rgb), Float32Array.from(skin), h, w);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v)]));
  };
  requestAnimationFrame(loop);
}

main().catch((e) => { hp.errors.push(String(e)); $("error").textContent = String(e); });
