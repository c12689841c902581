// A photo chosen on the device, shown on a canvas where a rectangle is dragged over the
// product: on the capture page instead of the live capture (no camera, camera refused, or a
// photo taken earlier; the file is sent as it is, its own EXIF being evidence the analysis
// reads), and on the brand page over a chart photo's swatch.

/** Show `file` on `canvas`, at most `maxWidth` px wide; resolves to the scale from the
 *  photo's pixels (as oriented by its EXIF, as the server orients it) to the canvas's, or
 *  null when the browser cannot decode it (HEIC in Chromium: the server still can). */
export async function showPhoto(canvas, file, maxWidth = 640) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  const scale = Math.min(1, maxWidth / bitmap.width);
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  canvas.photo = bitmap;  // redrawn under the rectangle as it is dragged
  return scale;
}

/** The region typed as "x,y,w,h" (whole pixels of the photo, a width and height above 0),
 *  as [x, y, w, h]; null for anything else. */
export function typedRegion(text) {
  const parts = text.split(",").map((s) => s.trim());
  if (parts.length !== 4 || !parts.every((s) => /^\d+$/.test(s))) return null;
  const region = parts.map(Number);
  return region[2] > 0 && region[3] > 0 ? region : null;
}

/** Draw the photo on `canvas` again with the rectangle [x, y, w, h] (canvas pixels) over it. */
function outline(canvas, [x, y, w, h]) {
  const ctx = canvas.getContext("2d");
  ctx.drawImage(canvas.photo, 0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = "#ff00aa"; ctx.lineWidth = 3;
  ctx.strokeRect(x, y, w, h);
}

/** Show the region [x, y, w, h] given in the photo's pixels (typed rather than dragged). */
export function showRegion(canvas, region, scale) {
  if (canvas.photo && scale) outline(canvas, region.map((v) => v * scale));
}

/** Let the pointer drag a rectangle on `canvas` (mouse, pen or touch); `onRegion` receives it
 *  as [x, y, w, h] in the photo's pixels (the canvas's divided by `scale()`). */
export function dragRegion(canvas, scale, onRegion) {
  let start = null;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * (canvas.width / r.width),
            (e.clientY - r.top) * (canvas.height / r.height)];
  };
  const draw = (a, b) => outline(canvas, [Math.min(a[0], b[0]), Math.min(a[1], b[1]),
                                            Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1])]);
  canvas.style.touchAction = "none";  // a drag on a phone draws, it does not scroll
  canvas.onpointerdown = (e) => {
    if (!canvas.photo) return;
    start = at(e);
    canvas.setPointerCapture(e.pointerId);
  };
  canvas.onpointermove = (e) => { if (start) draw(start, at(e)); };
  canvas.onpointerup = (e) => {
    if (!start) return;
    const end = at(e), s = scale();
    const [x0, y0] = [Math.min(start[0], end[0]), Math.min(start[1], end[1])];
    const [w, h] = [Math.abs(end[0] - start[0]), Math.abs(end[1] - start[1])];
    start = null;
    if (w < 4 || h < 4) return;  // a tap, not a rectangle
    onRegion([x0, y0, w, h].map((v) => Math.round(v / s)));
  };
}
