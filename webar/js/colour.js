// Colour maths of the pages, the same constants as calibration/colorimetry.py:
// sRGB (IEC 61966-2-1) with D65 (CIE 15:2004), CIELAB (CIE 15:2004 eq. 8.4).
export const SRGB_TO_XYZ = [
  [0.4123907992659595, 0.3575843393838780, 0.1804807884018343],
  [0.2126390058715104, 0.7151686787677559, 0.0721923153607337],
  [0.0193308187155918, 0.1191947797946259, 0.9505321522496606],
];
const D65_XY = [0.3127, 0.3290];
export const D65_XYZ = [D65_XY[0] / D65_XY[1], 1.0, (1 - D65_XY[0] - D65_XY[1]) / D65_XY[1]];
const EPS = (6 / 29) ** 3;
const SLOPE = (29 / 6) ** 2 / 3;

function inv3(m) {
  const [a, b, c] = m[0], [d, e, f] = m[1], [g, h, i] = m[2];
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}
export const XYZ_TO_SRGB = inv3(SRGB_TO_XYZ);

/** 8-bit sRGB code → linear sRGB, through a 256-entry table (as srgb_u8_to_rgb_lin). */
export const SRGB_U8_TO_LIN = new Float32Array(256).map((_, k) => {
  const v = k / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
});

// Optical density of skin, as vision/redness.py: linear values floored at OD_FLOOR before the
// logarithm (SRGB_OD: an 8-bit code's density); MEL_OD, HB_OD and SHADE_OD are the rows of the
// inverse of its (melanin, haemoglobin, shading) optical-density basis.
export const OD_FLOOR = 1e-3;
export const SRGB_OD = SRGB_U8_TO_LIN.map((lin) => -Math.log(Math.max(lin, OD_FLOOR)));
export const MEL_OD = [0.20326646182147154, -3.202017884847151, 2.998751423025679];
export const HB_OD = [-1.7623457735341261, 3.034612206526655, -1.2722664329925288];
export const SHADE_OD = [1.105849711392635, 0.4906925391752143, -0.5965422505678494];

/** The density along ``row`` (one of the rows above) of the pixel at byte ``i`` of RGBA
 *  bytes ``px``. */
export const project = (row, px, i) => row[0] * SRGB_OD[px[i]] + row[1] * SRGB_OD[px[i + 1]]
  + row[2] * SRGB_OD[px[i + 2]];

export function linToSrgb(v) {
  const a = Math.min(Math.max(v, 0), 1);
  return a <= 0.0031308 ? a * 12.92 : 1.055 * a ** (1 / 2.4) - 0.055;
}

/** Linear sRGB → 8-bit code, through a 65 536-step table (as rgb_lin_to_srgb_u8). */
const ENCODE_STEPS = 65535;
const ENCODE_LUT = new Uint8Array(ENCODE_STEPS + 1).map((_, k) =>
  Math.round(linToSrgb(k / ENCODE_STEPS) * 255));
export function linToU8(v) {
  const k = Math.round(Math.min(Math.max(v, 0), 1) * ENCODE_STEPS);
  return ENCODE_LUT[k];
}

export function mul3(m, v) {
  return [
    m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
    m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
    m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
  ];
}

export function xyzToLab(xyz) {
  const f = xyz.map((v, k) => {
    const t = v / D65_XYZ[k];
    return t > EPS ? Math.cbrt(t) : t * SLOPE + 4 / 29;
  });
  return [116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])];
}

export function labToXyz(lab) {
  const fy = (lab[0] + 16) / 116;
  const f = [fy + lab[1] / 500, fy, fy - lab[2] / 200];
  return f.map((v, k) => (v > 6 / 29 ? v ** 3 : (v - 4 / 29) / SLOPE) * D65_XYZ[k]);
}

export const linToLab = (rgb) => xyzToLab(mul3(SRGB_TO_XYZ, rgb));
export const labToLin = (lab) => mul3(XYZ_TO_SRGB, labToXyz(lab));
/** A CIELAB colour as a CSS "#rrggbb" (outside the sRGB gamut, clipped). */
export const labToHex = (lab) => "#" + labToLin(lab).map((v) => linToU8(v).toString(16).padStart(2, "0")).join("");

// How much colour an image shows, as calibration/measure.py's colour_range: the larger of the
// 1st-99th percentile ranges of ln(R/G) and ln(B/G) over the pixels neither dark (under a
// hundredth of their channel's 99th percentile) nor clipped (0.98 in linear sRGB); NaN with
// fewer than 50 such pixels. Under MIN_COLOUR_RANGE a photo has no colour to measure (black
// and white, sepia, a filter that takes colour out, a light of one colour).
export const MIN_COLOUR_RANGE = 0.6;

/** numpy's percentile (linear interpolation) of a sorted Float32Array, q in [0, 100]. */
function percentile(sorted, q) {
  const at = (q / 100) * (sorted.length - 1), lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

/** colour_range of RGBA bytes ``px`` (8-bit sRGB, as getImageData gives them). */
export function colourRange(px) {
  const n = px.length / 4, lin = [0, 1, 2].map(() => new Float32Array(n));
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const r = SRGB_U8_TO_LIN[px[4 * i]], g = SRGB_U8_TO_LIN[px[4 * i + 1]];
    const b = SRGB_U8_TO_LIN[px[4 * i + 2]];
    if (Math.max(r, g, b) >= 0.98) continue;  // clipped
    lin[0][kept] = r; lin[1][kept] = g; lin[2][kept] = b; kept += 1;
  }
  const dark = lin.map((c) => Math.max(0.01 * percentile(c.slice(0, kept).sort(), 99), 1e-4));
  const red = new Float32Array(kept), blue = new Float32Array(kept);
  let m = 0;
  for (let i = 0; i < kept; i++) {
    if (lin[0][i] <= dark[0] || lin[1][i] <= dark[1] || lin[2][i] <= dark[2]) continue;
    red[m] = Math.log(lin[0][i] / lin[1][i]); blue[m] = Math.log(lin[2][i] / lin[1][i]); m += 1;
  }
  if (m < 50) return NaN;
  const range = (v) => { const s = v.slice(0, m).sort(); return percentile(s, 99) - percentile(s, 1); };
  return Math.max(range(red), range(blue));
}
