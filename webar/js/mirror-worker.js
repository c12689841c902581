// The capture page's mirror test (mirror.js) off the page's thread: a live frame cost 59-136
// ms there (session 12, the test machine), a stall of the preview for every frame tested.
// Messages in: { type: "baseline", generation, straight, flipped } (each { canvas (an
// ImageBitmap), points, w, h }: the earlier photo's faceCopy both ways round), then
// { type: "frame", generation, frame (an ImageBitmap, transferred), points (pixels) }.
// Out, per frame: { generation, ...frameEvidence, ms }.
import { frameEvidence } from "./mirror.js";

let copies = null;

self.onmessage = ({ data }) => {
  if (data.type === "baseline") {
    copies = data;
    return;
  }
  const t0 = performance.now();
  try {
    if (copies?.generation !== data.generation) return;  // another photo attached meanwhile
    const found = frameEvidence(data.frame, data.points, copies.straight, copies.flipped);
    self.postMessage({ generation: data.generation, ...found, ms: performance.now() - t0 });
  } catch (e) {
    self.postMessage({ generation: data.generation, error: String(e) });
  } finally {
    data.frame.close();
  }
};
