// The capture page's photo states where it comes from, as a camera's file does: an EXIF
// segment with the camera (Make "hueproof", Model "capture page" and the browser's name for
// the camera) and the time of taking (DateTimeOriginal, the device's local time, with its UTC
// offset in OffsetTimeOriginal). The server keeps exactly these (vision/metadata.py's
// kept_exif) and compares them with the photo from before (camera_changed,
// baseline_not_earlier). Like any file's EXIF, a statement and not proof.

const MAKE = 0x010f, MODEL = 0x0110, SOFTWARE = 0x0131, EXIF_IFD = 0x8769;
const TAKEN = 0x9003, TAKEN_OFFSET = 0x9011;
const ASCII = 2, LONG = 4;
const MAX_LABEL = 40;

// Printable ASCII only (EXIF's ASCII type), without a USB camera's "(vendor:product)" ids.
export function cameraName(label) {
  const clean = String(label || "").replace(/\s*\([0-9a-f]{4}:[0-9a-f]{4}\)/gi, "")
    .replace(/[^\x20-\x7e]/g, "").replace(/\s+/g, " ").trim().slice(0, MAX_LABEL);
  return clean ? `capture page (${clean})` : "capture page";
}

const pad = (n) => String(n).padStart(2, "0");

// "YYYY:MM:DD HH:MM:SS" and "+HH:MM": the date's local time and UTC offset.
export function exifTime(date) {
  const taken = `${date.getFullYear()}:${pad(date.getMonth() + 1)}:${pad(date.getDate())} `
    + `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const east = -date.getTimezoneOffset();
  const offset = `${east < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(east) / 60))}:${pad(Math.abs(east) % 60)}`;
  return { taken, offset };
}

// The TIFF structure (little-endian) of IFD0 {Make, Model, ExifIFD} and the Exif IFD
// {DateTimeOriginal, OffsetTimeOriginal}; ASCII values NUL-terminated, at even offsets (each
// is over the 4 bytes an entry holds in place).
export function exifBytes({ make, model, taken, offset }) {
  const ifd0 = [[MAKE, make], [MODEL, model], [EXIF_IFD, null]];
  const sub = [[TAKEN, taken], [TAKEN_OFFSET, offset]];
  const ifdSize = (n) => 2 + 12 * n + 4;
  const ifd0At = 8, subAt = ifd0At + ifdSize(ifd0.length);
  let dataAt = subAt + ifdSize(sub.length);
  const texts = [...ifd0, ...sub].filter(([, text]) => text !== null).map(([tag, text]) => {
    const bytes = new TextEncoder().encode(`${text}\0`);
    const at = dataAt;
    dataAt += bytes.length + (bytes.length % 2);
    return [tag, { bytes, at }];
  });
  const where = new Map(texts);
  const out = new Uint8Array(dataAt), view = new DataView(out.buffer);
  out.set([0x49, 0x49, 0x2a, 0x00]);  // "II", 42
  view.setUint32(4, ifd0At, true);
  const writeIfd = (at, entries) => {
    view.setUint16(at, entries.length, true);
    entries.forEach(([tag], i) => {
      const pos = at + 2 + 12 * i, text = where.get(tag);
      view.setUint16(pos, tag, true);
      view.setUint16(pos + 2, text ? ASCII : LONG, true);
      view.setUint32(pos + 4, text ? text.bytes.length : 1, true);
      view.setUint32(pos + 8, text ? text.at : subAt, true);
    });
    view.setUint32(at + 2 + 12 * entries.length, 0, true);  // no next IFD
  };
  writeIfd(ifd0At, ifd0);
  writeIfd(subAt, sub);
  texts.forEach(([, { bytes, at }]) => out.set(bytes, at));
  return out;
}

// The JPEG with the EXIF segment (APP1) after its start and JFIF header; pixels untouched.
export async function withExif(jpeg, facts) {
  const bytes = new Uint8Array(await jpeg.arrayBuffer());
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error("not a JPEG");
  let at = 2;
  if (bytes[2] === 0xff && bytes[3] === 0xe0) at = 4 + ((bytes[4] << 8) | bytes[5]);  // JFIF
  const tiff = exifBytes(facts);
  const length = 2 + 6 + tiff.length;
  const app1 = new Uint8Array(2 + length);
  app1.set([0xff, 0xe1, length >> 8, length & 0xff, 0x45, 0x78, 0x69, 0x66, 0, 0]);  // "Exif\0\0"
  app1.set(tiff, 10);
  return new Blob([bytes.subarray(0, at), app1, bytes.subarray(at)], { type: "image/jpeg" });
}

// Photo editors and beauty apps as they name themselves in a file's Software tag: the
// server's list (vision/quality.py PHOTO_EDITORS, checked by tests/webar/test_constants.py),
// matched as whole words, case ignored. A file naming none may still have been edited.
export const PHOTO_EDITORS = ["Photoshop", "Lightroom", "GIMP", "Snapseed", "PicsArt", "VSCO",
  "Meitu", "BeautyPlus", "BeautyCam", "Facetune", "FaceApp", "AirBrush", "YouCam", "Perfect365",
  "Pixlr", "Fotor", "Canva", "Polarr", "Affinity Photo", "Luminar", "Capture One", "darktable",
  "RawTherapee", "Paint.NET", "Picasa", "IrfanView", "PhotoDirector", "PhotoScape", "Pixelmator",
  "Photopea", "Remini"];
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const EDITOR = new RegExp(`(?<![a-z0-9])(?:${PHOTO_EDITORS.map(escapeRegExp).join("|")})(?![a-z0-9])`, "i");

/** Whether a Software text names a photo editor (as vision/quality.py edit_findings). */
export const photoEditor = (software) => Boolean(software) && EDITOR.test(software);

/** The Software tag (IFD0) of a JPEG file's EXIF or, without one, its XMP packet's
 *  CreatorTool, as the server reads them (vision/metadata.py capture_origin: printable ASCII,
 *  other characters as "?", spaces collapsed, at most 80), or null: none, or not a JPEG.
 *  Other formats' metadata is read by the server only. */
export function softwareOf(buffer) {
  const bytes = new Uint8Array(buffer), view = new DataView(bytes.buffer, bytes.byteOffset);
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let at = 2, software = null, creator = null;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1], length = view.getUint16(at + 2);
    if (marker === 0xda || marker === 0xd9) break;  // the image data: no metadata after it
    const start = at + 4, end = Math.min(bytes.length, at + 2 + length);
    const head = (text) => String.fromCharCode(...bytes.subarray(start, start + text.length)) === text;
    if (marker === 0xe1 && length >= 16 && head("Exif\0\0") && software === null) {
      software = tiffSoftware(bytes.subarray(start + 6, end));
    } else if (marker === 0xe1 && head(XMP_ID) && creator === null) {
      creator = creatorTool(new TextDecoder().decode(bytes.subarray(start + XMP_ID.length, end)));
    }
    at += 2 + length;
  }
  return software ?? creator;
}

const XMP_ID = "http://ns.adobe.com/xap/1.0/\0";
const CREATOR_TOOL = /xmp:CreatorTool\s*=\s*(?:"([^"]*)"|'([^']*)')|<xmp:CreatorTool>([^<]*)<\/xmp:CreatorTool>/;
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** An XMP packet's CreatorTool: entities resolved, other scripts as "?", as EXIF states it. */
function creatorTool(xmp) {
  const found = CREATOR_TOOL.exec(xmp);
  if (!found) return null;
  const text = (found[1] ?? found[2] ?? found[3]).replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi,
    (all, name) => {
      if (name[0] !== "#") return ENTITIES[name] ?? all;
      const hex = name[1].toLowerCase() === "x";
      const code = parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10);
      const invalid = code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff);
      return invalid ? "?" : String.fromCodePoint(code);  // as Python's html.unescape
    });
  const ascii = [...text].map((c) => (c.codePointAt(0) > 0x7f ? "?" : c)).join("");
  return ascii.replace(/[\x00-\x1f\x7f]/g, "").replace(/\s+/g, " ").trim().slice(0, 80) || null;
}

function tiffSoftware(tiff) {
  if (tiff.length < 8) return null;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.length);
  const little = tiff[0] === 0x49;  // "II"; "MM" is big-endian
  const u16 = (at) => view.getUint16(at, little), u32 = (at) => view.getUint32(at, little);
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return null;
  for (let i = 0, n = u16(ifd); i < n && ifd + 2 + 12 * (i + 1) <= tiff.length; i++) {
    const pos = ifd + 2 + 12 * i;
    if (u16(pos) !== SOFTWARE || u16(pos + 2) !== ASCII) continue;
    const count = u32(pos + 4), from = count <= 4 ? pos + 8 : u32(pos + 8);
    const raw = tiff.subarray(from, Math.min(tiff.length, from + count));
    const text = String.fromCharCode(...raw).replace(/[^\x20-\x7e]/g, " ").replace(/\s+/g, " ").trim();
    return text.slice(0, 80) || null;
  }
  return null;
}
