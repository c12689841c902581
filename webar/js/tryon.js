// Try-on: live camera → MediaPipe Face Landmarker (VIDEO mode, CPU) → One Euro smoothing →
// lips painted in linear light (paint.js). Nothing leaves the device.
import { FaceLandmarker, FilesetResolver } from "/vendor/mediapipe/vision_bundle.mjs";
import { get } from "./api.js";
import { shadeLabel } from "./dom.js";
import { t, translate } from "./i18n.js";
import { OneEuro } from "./oneeuro.js";
import { paintLipsOnContext } from "./paint.js";

const state = document.getElementById("state");
const canvas = document.getElementById("view");
const ctx = canvas.getContext("2d", { willReadFrequently: true });
const video = document.getElementById("camera");
const hp = (window.hueproof = { ready: false, frames: [], errors: [] });
const started = performance.now();
let landmarker, shades = [], current = null, lastVideoTime = -1;
// a still photo tried on instead of the camera: the image and its landmarks (null: the camera)
let photo = null;
const smoother = new OneEuro({ minCutoff: 1.5, beta: 0.05 });
const scratch = new OffscreenCanvas(640, 480);

document.getElementById("lang").value = localStorage.getItem("hueproof.lang") || "zh";
document.getElementById("lang").onchange = (e) => {
  localStorage.setItem("hueproof.lang", e.target.value); translate();
};
translate();

async function loadLandmarker(runningMode) {
  const files = await FilesetResolver.forVisionTasks("/vendor/mediapipe/wasm");
  return FaceLandmarker.createFromOptions(files, {
    baseOptions: { modelAssetPath: "/models/face_landmarker.task", delegate: "CPU" },
    runningMode, numFaces: 1,
  });
}

function renderShades() {
  const box = document.getElementById("shades");
  box.replaceChildren(...shades.map((s, k) => {
    const b = document.createElement("button");
    b.style.background = s.render.srgbHex;
    b.title = `${s.sku} ${shadeLabel(s)}`;
    b.dataset.shade = s.shade;
    b.setAttribute("aria-pressed", String(k === 0));
    b.onclick = () => {
      current = s;
      box.querySelectorAll("button").forEach((x) => x.setAttribute("aria-pressed", String(x === b)));
      repaintPhoto();
    };
    return b;
  }));
  current = shades[0] || null;
}

function toPixels(landmarks, w, h) {
  return landmarks.map((p) => [p.x * w, p.y * h]);
}

/** Paint one frame already drawn on `ctx` from `source` (the camera, or a still photo; only
 *  the lips' box is read and written). */
function paintFrame(points, w, h, source = video) {
  const opacity = document.getElementById("opacity").value / 100;
  const res = current ? paintLipsOnContext(ctx, w, h, points, current.render.lab, opacity, scratch) : null;
  const split = document.getElementById("split").value / 100;
  if (split > 0) {  // left part: the picture as it is
    const cut = Math.round(split * w);
    const [sw, sh] = source === video ? [video.videoWidth, video.videoHeight] : [w, h];
    ctx.drawImage(source, 0, 0, cut * sw / w, sh, 0, 0, cut, h);
  }
  document.getElementById("splitLine").style.left = `${split * 100}%`;
  return res;
}

function loop() {
  if (photo) return;  // a still photo replaced the camera: no more frames
  if (video.readyState >= 2 && video.currentTime !== lastVideoTime) {
    lastVideoTime = video.currentTime;
    const t0 = performance.now();
    const w = canvas.width, h = canvas.height;
    const result = landmarker.detectForVideo(video, t0);
    const t1 = performance.now();
    ctx.drawImage(video, 0, 0, w, h);
    let painted = null;
    if (result.faceLandmarks?.length) {
      const raw = toPixels(result.faceLandmarks[0], w, h).flat();
      const smooth = smoother.filter(raw, t0 / 1000);
      const pts = [];
      for (let k = 0; k < smooth.length; k += 2) pts.push([smooth[k], smooth[k + 1]]);
      painted = paintFrame(pts, w, h);
      hp.lastPoints = pts;
      state.textContent = t("ready");
    } else {
      state.textContent = t("noFace");
    }
    const t2 = performance.now();
    hp.frames.push({ detectMs: t1 - t0, totalMs: t2 - t0, face: Boolean(painted) });
    if (hp.frames.length > 600) hp.frames.shift();
    document.getElementById("ms").textContent = (t2 - t0).toFixed(1);
  }
  requestAnimationFrame(loop);
}

/** The still photo painted again with the chosen shade, opacity and split. */
function repaintPhoto() {
  if (!photo?.points) return;
  ctx.drawImage(photo.img, 0, 0);
  paintFrame(photo.points, canvas.width, canvas.height, photo.img);
}

let stillLandmarker = null;
async function still(url) {
  // A still photo instead of the camera: one chosen on the device (it never leaves it), or
  // one named by ?image= (the benchmarks and the parity test).
  photo = { img: new Image(), points: null };
  const img = photo.img;
  img.src = url;
  await img.decode();
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  stillLandmarker ||= await loadLandmarker("IMAGE");
  hp.readyMs = performance.now() - started;
  const result = stillLandmarker.detect(img);
  ctx.drawImage(img, 0, 0);
  if (!result.faceLandmarks?.length) { state.textContent = t("noFace"); hp.ready = true; return; }
  const pts = toPixels(result.faceLandmarks[0], canvas.width, canvas.height);
  photo.points = pts;
  hp.lastPoints = pts;
  hp.paintWith = (lab, opacity = 1) => {
    ctx.drawImage(img, 0, 0);
    const res = paintLipsOnContext(ctx, canvas.width, canvas.height, pts, lab, opacity,
      new OffscreenCanvas(8, 8));
    return { gain: res?.gain, pixels: res?.pixels, meanLab: res?.meanLab };
  };
  repaintPhoto();
  state.textContent = t("ready");
  hp.ready = true;
}

document.getElementById("opacity").addEventListener("input", repaintPhoto);
document.getElementById("split").addEventListener("input", repaintPhoto);
document.getElementById("photo").onchange = async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  video.srcObject?.getTracks().forEach((track) => track.stop());  // the camera is not needed
  video.srcObject = null;
  hp.ready = false;
  try {
    await still(URL.createObjectURL(file));
  } catch (err) {  // a photo the browser cannot decode (HEIC in Chromium)
    hp.errors.push(String(err));
    state.textContent = t("photoUnreadable");
  }
};

async function main() {
  try {
    shades = (await get("/shades")).shades;
  } catch (e) {
    hp.errors.push(String(e));
  }
  renderShades();
  hp.shades = shades;
  const image = new URLSearchParams(location.search).get("image");
  if (image) return still(image);
  landmarker = await loadLandmarker("VIDEO");
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({
      video: { width: 640, height: 480, facingMode: "user" }, audio: false,
    });
  } catch (e) {
    state.textContent = t("noCamera");
    hp.errors.push(String(e));
    return;
  }
  await video.play();
  canvas.width = video.videoWidth || 640; canvas.height = video.videoHeight || 480;
  hp.readyMs = performance.now() - started;
  hp.ready = true;
  requestAnimationFrame(loop);
}

main().catch((e) => { state.textContent = String(e); hp.errors.push(String(e)); });
