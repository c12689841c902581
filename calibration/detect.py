"""Find a ColorChecker Classic 24 in a photo and read its patches.

The detector looks for what makes the chart a chart: two dozen similar squares on a lattice.

1. At a working resolution, patch-like regions are found as connected areas enclosed by edges
   (Canny on each channel, so colour edges count), kept when they are convex, square-ish
   quadrilaterals.
2. Neighbouring squares of similar size are linked, and each group is given integer lattice
   coordinates by walking from square to square with a local basis that follows perspective.
3. A homography from lattice coordinates to the image is fitted (RANSAC), and every way of
   laying the 6 × 4 chart on the lattice (8 symmetries × the offsets that cover what was seen)
   is scored by how well a 3 × 3 colour fit maps the sampled patches onto the reference.
4. The winner is read at full resolution: the per-channel median over the central part of
   each patch.

It returns ``()`` when no group of squares reads as a chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.spatial import cKDTree

from calibration.chart import (
    CHART_COLUMNS,
    CHART_ROWS,
    DEFAULT_CHART_REFERENCE,
    GRID_CORNERS,
    ChartReference,
    chart_reference,
)
from calibration.colorimetry import XYZ_TO_SRGB, delta_e00, rgb_lin_to_xyz, xyz_to_lab

__all__ = ["ChartDetection", "detect_colour_checker", "sample_patches"]

#: Working stages tried in turn: (longest side in px, median filter size, edge dilation). The
#: first finds charts wider than about a fifth of the frame quickly; the second finds charts
#: down to ~150 px wide in a 12 MP photo (their patch gaps are ~3 px there, so the edges are
#: dilated less); the third looks at full resolution, for small charts in noisy photos.
WORKING_STAGES = ((1000, 5, 3), (2600, 5, 2), (4400, 5, 3))
#: A patch is looked for from this side up (pixels of the working copy); a picture whose
#: shorter side cannot hold the chart's rows of them holds no chart (and no noise to measure)
MIN_PATCH_SIDE = 5.0
#: Half-width of the sampled square, in patch pitches (a patch is ~0.8 pitch wide), so that
#: edges, bevels and small registration errors never enter the statistic.
SAMPLE_HALF = 0.2
#: A chart is accepted when, after a 3×3 fit, the median ΔE00 of its patches is below this.
MAX_FIT_DE00 = 10.0
#: Canny's low threshold in units of the channel's noise (before the median filter).
NOISE_K = 6.0


@dataclass(frozen=True)
class ChartDetection:
    """A ColorChecker found in an image.

    Attributes
    ----------
    patches_rgb_lin : (24, 3) float64, the image's linear RGB (as ingested), chart order
        Per-channel median over each patch's inner square.
    patches_spread : (24, 3) float64
        Robust standard deviation (1.4826 · MAD) of the pixels behind each median.
    patch_pixels : (24,) int
        Number of pixels behind each median.
    quad : (4, 2) float64, image xy in pixels
        Outer corners of the patch grid: at dark skin, bluish green, black and white.
    homography : (3, 3) float64
        Chart units (patch pitch = 1, grid from (0, 0) to (6, 4)) to image pixels.
    mirrored : bool
        The chart appears mirrored (e.g. an unflipped front-camera photo).
    fit_de00 : float
        Median ΔE00 of the patches after the detector's 3×3 plausibility fit.
    squares_found : int
        How many patches were located directly (the others follow from the lattice).
    working_scale : float
        Scale of the resolution at which the lattice was found.
    """

    patches_rgb_lin: np.ndarray = field(repr=False)
    patches_spread: np.ndarray = field(repr=False)
    patch_pixels: np.ndarray = field(repr=False)
    quad: np.ndarray
    homography: np.ndarray = field(repr=False)
    mirrored: bool
    fit_de00: float
    squares_found: int
    working_scale: float

    def to_dict(self) -> dict:
        return {
            "quad": np.round(self.quad, 1).tolist(),
            "mirrored": self.mirrored,
            "fit_de00": round(float(self.fit_de00), 3),
            "squares_found": int(self.squares_found),
        }


# --- step 1: square candidates ------------------------------------------------------------


def _square_candidates(
    rgb_lin_small: np.ndarray, min_side: float, median: int = 5, dilate: int = 3
) -> np.ndarray:
    """Centres, sizes and orientation of square-ish regions: (N, 5) = x, y, side, angle, area."""
    enc = np.sqrt(np.clip(rgb_lin_small, 0.0, 1.0))  # roughly perceptual, cheap
    enc_u8 = np.round(enc * 255).astype(np.uint8)
    # Noise of each channel from the MAD of horizontal differences (edges are too rare to
    # move a median), measured before smoothing.
    diffs = np.abs(np.diff(enc_u8[::2, ::2].astype(np.int16), axis=1)).reshape(-1, 3)
    sigmas = 1.4826 * np.median(diffs, axis=0) / np.sqrt(2.0)
    # A median keeps the patch edges while removing the noise of strongly amplified colour
    # channels (the red patches of a camera with a large colour matrix).
    enc_u8 = cv2.medianBlur(enc_u8, median)
    edges = np.zeros(enc_u8.shape[:2], np.uint8)
    for c in range(3):
        low = max(10.0, NOISE_K * float(sigmas[c]))
        edges |= cv2.Canny(enc_u8[..., c], low, 3 * low, L2gradient=True)
    edges = cv2.dilate(edges, np.ones((dilate, dilate), np.uint8))  # closes small breaks
    # Two levels: outer boundaries of regions, and their holes. A region's own area is its
    # outline's minus its holes', so a thin ring around a patch (a doubled edge) is no square.
    contours, hierarchy = cv2.findContours(255 - edges, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    h, w = edges.shape
    max_area = (min(h, w) / 3.0) ** 2
    min_area = min_side**2
    out = []
    links = hierarchy[0] if hierarchy is not None else np.zeros((0, 4), int)
    for i, cnt in enumerate(contours):
        if links[i][3] != -1:  # a hole
            continue
        area = cv2.contourArea(cnt)
        if area < min_area or area > max_area:
            continue
        child = links[i][2]
        while child != -1:
            area -= cv2.contourArea(contours[child])
            child = links[child][0]
        hull = cv2.convexHull(cnt)
        hull_area = cv2.contourArea(hull)
        if hull_area <= 0 or area / hull_area < 0.88:
            continue
        _, (rw, rh), ang = cv2.minAreaRect(hull)
        if rw <= 0 or rh <= 0:
            continue
        if max(rw, rh) / min(rw, rh) > 1.9 or area / (rw * rh) < 0.8:
            continue
        m = cv2.moments(cnt)
        if m["m00"] <= 0:
            continue
        # The edge band (Canny + dilation) eats about dilate / 2 pixels on each side.
        out.append((m["m10"] / m["m00"], m["m01"] / m["m00"], np.sqrt(area) + dilate, ang, area))
    return np.array(out, dtype=np.float64).reshape(-1, 5)


# --- step 2: lattice ------------------------------------------------------------------------


def _lattice_groups(cands: np.ndarray, min_members: int = 6) -> list[np.ndarray]:
    """Link squares whose centres are about one pitch apart and whose sizes agree."""
    if len(cands) < min_members:
        return []
    xy, side = cands[:, :2], cands[:, 2]
    tree = cKDTree(xy)
    pairs = tree.query_pairs(r=float(side.max() * 2.3), output_type="ndarray")
    if len(pairs) == 0:
        return []
    i, j = pairs[:, 0], pairs[:, 1]
    d = np.linalg.norm(xy[i] - xy[j], axis=1)
    s = np.sqrt(side[i] * side[j])
    ratio = side[i] / side[j]
    ok = (d > 1.0 * s) & (d < 2.2 * s) & (ratio > 0.6) & (ratio < 1.6)
    i, j = i[ok], j[ok]
    n = len(cands)
    parent = np.arange(n)

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in zip(i, j, strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    roots = np.array([find(a) for a in range(n)])
    groups = []
    for r in np.unique(roots):
        members = np.flatnonzero(roots == r)
        if len(members) >= min_members:
            groups.append(members)
    groups.sort(key=len, reverse=True)
    return groups


def _dedupe(cands: np.ndarray) -> np.ndarray:
    """Drop candidates nested in a larger one (a patch's inner noise ring, a label in it)."""
    if len(cands) < 2:
        return cands
    order = np.argsort(-cands[:, 4])
    tree = cKDTree(cands[:, :2])
    dropped = np.zeros(len(cands), bool)
    for i in order:
        if dropped[i]:
            continue
        for j in tree.query_ball_point(cands[i, :2], 0.35 * cands[i, 2]):
            if j != i and cands[j, 4] <= cands[i, 4]:
                dropped[j] = True
    return cands[~dropped]


def _seed_basis(vecs: np.ndarray):
    """Two neighbour vectors, about perpendicular and of similar length, shortest first."""
    best = None
    lens = np.linalg.norm(vecs, axis=1)
    for i in range(len(vecs)):
        for j in range(i + 1, len(vecs)):
            cos = abs(vecs[i] @ vecs[j]) / (lens[i] * lens[j])
            ratio = lens[i] / lens[j]
            if cos < 0.35 and 0.6 < ratio < 1.6:
                cost = lens[i] + lens[j]
                if best is None or cost < best[0]:
                    best = (cost, vecs[i], vecs[j])
    return None if best is None else best[1:]


def _walk(xy, idx, dists, s, seed, a, b):
    coords = {seed: (0, 0)}
    basis = {seed: (a, b)}
    taken = {(0, 0): seed}
    queue = [seed]
    while queue:
        p = queue.pop(0)
        ap, bp = basis[p]
        m = np.array([ap, bp]).T
        for q, dq in zip(idx[p], dists[p], strict=True):
            if q == p or q in coords or not (0.8 * s < dq < 2.4 * s):
                continue
            v = xy[q] - xy[p]
            alpha, beta = np.linalg.solve(m, v)
            ra, rb = round(alpha), round(beta)
            if abs(alpha - ra) > 0.3 or abs(beta - rb) > 0.3 or abs(ra) + abs(rb) != 1:
                continue
            cq = (coords[p][0] + ra, coords[p][1] + rb)
            if cq in taken:
                continue
            coords[q] = cq
            taken[cq] = q
            # The local basis follows perspective: the step just taken replaces its axis.
            basis[q] = (v * ra, bp) if ra else (ap, v * rb)
            queue.append(q)
    return coords


def _assign_lattice(xy: np.ndarray, side: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer lattice coordinates for a group of centres by a breadth-first walk.

    The walk starts from the few best-connected centres in turn and keeps the largest
    lattice. Returns the indices of the centres that got coordinates and their (u, v).
    """
    n = len(xy)
    tree = cKDTree(xy)
    dists, idx = tree.query(xy, k=min(9, n))
    s = np.median(side)
    near = (dists > 1.0 * s) & (dists < 2.2 * s)
    best = {}
    for seed in np.argsort(-near.sum(axis=1))[:6]:
        basis = _seed_basis(xy[idx[seed][near[seed]]] - xy[seed])
        if basis is None:
            continue
        coords = _walk(xy, idx, dists, s, int(seed), *basis)
        if len(coords) > len(best):
            best = coords
        if len(best) >= 20:
            break
    if not best:
        return np.array([0]), np.zeros((1, 2), int)
    members = np.array(list(best))
    uv = np.array([best[k] for k in members], dtype=int)
    return members, uv


# --- step 3: hypotheses ---------------------------------------------------------------------

# The 8 symmetries of the square as integer matrices acting on chart (column, row).
_SYMMETRIES = [
    np.array(m)
    for m in (
        [[1, 0], [0, 1]],
        [[0, -1], [1, 0]],
        [[-1, 0], [0, -1]],
        [[0, 1], [-1, 0]],
        [[-1, 0], [0, 1]],
        [[1, 0], [0, -1]],
        [[0, 1], [1, 0]],
        [[0, -1], [-1, 0]],
    )
]
_CELLS = np.array([(c, r) for r in range(CHART_ROWS) for c in range(CHART_COLUMNS)], dtype=float)


def _median_patch_values(rgb_lin, centres, half_px):
    """Per-channel medians over squares of half-width half_px at the given centres."""
    h, w = rgb_lin.shape[:2]
    vals = np.full((len(centres), 3), np.nan)
    hp = max(1, int(half_px))
    for k, (x, y) in enumerate(centres):
        xi, yi = int(round(x)), int(round(y))
        if xi - hp < 0 or yi - hp < 0 or xi + hp >= w or yi + hp >= h:
            continue
        block = rgb_lin[yi - hp : yi + hp + 1, xi - hp : xi + hp + 1].reshape(-1, 3)
        vals[k] = np.median(block, axis=0)
    return vals


def _fit_score(patches_rgb_lin: np.ndarray, ref: ChartReference) -> float:
    """Median ΔE00 after the best 3×3 map from the patches to the reference (scale-free)."""
    if not np.all(np.isfinite(patches_rgb_lin)):
        return np.inf
    x = np.clip(patches_rgb_lin, 1e-6, None)
    m, *_ = np.linalg.lstsq(x, ref.xyz @ XYZ_TO_SRGB.T, rcond=None)
    xyz = rgb_lin_to_xyz(x @ m)
    return float(np.median(delta_e00(ref.lab, xyz_to_lab(np.clip(xyz, 0, None)))))


def _hypotheses(uv: np.ndarray):
    """Yield (symmetry, offset) pairs that lay the 6 × 4 chart over the observed cells.

    A placement may leave a few observed cells outside the chart: a loose square that
    happens to sit on the lattice next to the chart must not veto the right placement.
    """
    n = len(uv)
    need = max(6, int(np.ceil(0.6 * n)))
    for sym in _SYMMETRIES:
        inv = np.linalg.inv(sym)
        cr = np.rint(uv @ inv.T).astype(int)  # chart (column, row) up to an offset
        lo, hi = cr.min(axis=0), cr.max(axis=0)
        for oc in range(-hi[0], CHART_COLUMNS - lo[0]):
            for orow in range(-hi[1], CHART_ROWS - lo[1]):
                c, r = cr[:, 0] + oc, cr[:, 1] + orow
                inside = (c >= 0) & (c < CHART_COLUMNS) & (r >= 0) & (r < CHART_ROWS)
                if inside.sum() >= need:
                    yield sym, np.array([oc, orow])


def _find_in_group(rgb_lin_small, cands, members, ref: ChartReference):
    xy, side = cands[members, :2], cands[members, 2]
    sub, uv = _assign_lattice(xy, side)
    if len(sub) < 6 or np.ptp(uv[:, 0]) < 1 or np.ptp(uv[:, 1]) < 1:
        return None
    pts = xy[sub]
    H, inliers = cv2.findHomography(
        uv.astype(np.float64), pts, cv2.RANSAC, float(0.25 * np.median(side))
    )
    if H is None:
        return None
    keep = inliers.ravel().astype(bool)
    if keep.sum() < 6:
        return None
    uv, pts = uv[keep], pts[keep]
    H, _ = cv2.findHomography(uv.astype(np.float64), pts, 0)
    best = None
    # Centre distance of neighbouring patches, from the lattice itself (at the seed).
    o, du, dv = cv2.perspectiveTransform(np.array([[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]]), H)[0]
    pitch = float(np.linalg.norm(du - o) + np.linalg.norm(dv - o)) / 2.0
    sampled: dict[tuple[int, int], np.ndarray] = {}  # lattice cell → median, shared by hypotheses
    for sym, off in _hypotheses(uv):
        # chart cell (c, r) → lattice uv = sym @ ((c, r) - off)
        uv_cells = np.rint((_CELLS - off) @ sym.T).astype(int)
        todo = [tuple(c) for c in uv_cells if tuple(c) not in sampled]
        if todo:
            centres = cv2.perspectiveTransform(np.array(todo, np.float64)[None], H)[0]
            for cell, v in zip(
                todo, _median_patch_values(rgb_lin_small, centres, SAMPLE_HALF * pitch), strict=True
            ):
                sampled[cell] = v
        vals = np.array([sampled[tuple(c)] for c in uv_cells])
        score = _fit_score(vals, ref)
        if best is None or score < best[0]:
            best = (score, sym, off)
    if best is None or not np.isfinite(best[0]):
        return None
    score, sym, off = best
    # Chart units (x along columns, y along rows, grid corner at 0, 0) → lattice → image.
    a = np.eye(3)
    a[:2, :2] = sym
    a[:2, 2] = -(sym @ off) - sym @ np.array([0.5, 0.5])
    H_chart = H @ a
    H_chart, matched = _refine(H_chart, cands, pitch=pitch)
    return score, H_chart, matched


def _refine(H_chart, cands, *, pitch, rounds=2):
    """Refit the chart homography on every square that lies where a patch should be.

    The lattice walk may reach only part of the chart (uneven light hides some squares from
    the walk but not from the candidate list); squares found near the predicted patch
    centres pin the homography down over the whole chart.
    """
    centres = _CELLS + 0.5
    tree = cKDTree(cands[:, :2])
    matched = 0
    for _ in range(rounds):
        pred = cv2.perspectiveTransform(centres[None], H_chart)[0]
        d, j = tree.query(pred, distance_upper_bound=0.3 * pitch)
        ok = np.isfinite(d)
        if ok.sum() < 8 or ok.sum() <= matched:
            break
        H_new, _ = cv2.findHomography(centres[ok], cands[j[ok], :2], 0)
        if H_new is None:
            break
        H_chart, matched = H_new, int(ok.sum())
    return H_chart, matched


def sample_patches(rgb_lin: np.ndarray, homography: np.ndarray, *, half: float = SAMPLE_HALF):
    """Read the 24 patches through a chart-units → image homography.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float32, linear RGB
    homography : (3, 3) float64, chart units (grid (0, 0)-(6, 4)) to image pixels
    half : float, keyword-only
        Half-width of the sampled square around each patch centre, in pitches.

    Returns
    -------
    medians : (24, 3) float64, spreads : (24, 3) float64, counts : (24,) int
        ``medians`` is NaN for a patch that falls outside the image.
    """
    h, w = rgb_lin.shape[:2]
    medians = np.full((24, 3), np.nan)
    spreads = np.full((24, 3), np.nan)
    counts = np.zeros(24, int)
    offsets = np.array([[-half, -half], [half, -half], [half, half], [-half, half]])
    for k, (c, r) in enumerate(_CELLS):
        poly = cv2.perspectiveTransform(
            (offsets + np.array([c + 0.5, r + 0.5]))[None].astype(np.float64), homography
        )[0]
        x0, y0 = np.floor(poly.min(axis=0)).astype(int)
        x1, y1 = np.ceil(poly.max(axis=0)).astype(int) + 1
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            continue
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillConvexPoly(mask, np.round((poly - [x0, y0]) * 16).astype(np.int32), 1, shift=4)
        px = rgb_lin[y0:y1, x0:x1][mask.astype(bool)].astype(np.float64)
        if len(px) < 4:
            continue
        med = np.median(px, axis=0)
        medians[k] = med
        spreads[k] = 1.4826 * np.median(np.abs(px - med), axis=0)
        counts[k] = len(px)
    return medians, spreads, counts


def detect_colour_checker(
    rgb_lin: np.ndarray,
    *,
    reference: str = DEFAULT_CHART_REFERENCE,
    working_stages: tuple[tuple[int, int, int], ...] = WORKING_STAGES,
    max_fit_de00: float = MAX_FIT_DE00,
) -> tuple[ChartDetection, ...]:
    """Find a ColorChecker Classic 24 and read its patches.

    Parameters
    ----------
    rgb_lin : (H, W, 3) float32, linear sRGB (as ingested), [0, 1]
    reference : str, keyword-only
        Chart reference used to judge whether a lattice of squares is the chart.
    working_stages : tuple of (int, int, int), keyword-only
        (longest side, median size, dilation) of the working images, tried in order until a
        chart is found.
    max_fit_de00 : float, keyword-only
        Acceptance threshold on the median ΔE00 of the plausibility fit.

    Returns
    -------
    tuple of ChartDetection
        One detection, or ``()`` when there is no chart.

    Examples
    --------
    >>> from calibration.simulate import random_scene, render_scene
    >>> from calibration.colorimetry import srgb_u8_to_rgb_lin
    >>> photo = render_scene(random_scene(1))
    >>> found = detect_colour_checker(srgb_u8_to_rgb_lin(photo.srgb_u8))
    >>> len(found)
    1
    """
    rgb_lin = np.asarray(rgb_lin)
    if rgb_lin.ndim != 3 or rgb_lin.shape[2] != 3:
        raise ValueError(f"rgb_lin must have shape (H, W, 3); got {rgb_lin.shape}")
    ref = chart_reference(reference)
    h, w = rgb_lin.shape[:2]
    if min(h, w) < CHART_ROWS * MIN_PATCH_SIDE:  # before, NumPy's warnings about empty means
        return ()
    tried = set()
    for size, median, dilate in working_stages:
        scale = min(1.0, size / max(h, w))
        if (scale, median, dilate) in tried:
            continue
        tried.add((scale, median, dilate))
        small = rgb_lin if scale == 1.0 else cv2.resize(
            rgb_lin, (max(1, round(w * scale)), max(1, round(h * scale))),
            interpolation=cv2.INTER_AREA,
        )  # fmt: skip
        small = np.asarray(small, dtype=np.float32)  # no copy for the usual float32 input
        cands = _square_candidates(small, MIN_PATCH_SIDE, median=median, dilate=dilate)
        cands = _dedupe(cands)
        found = []
        for members in _lattice_groups(cands)[:6]:
            res = _find_in_group(small, cands, members, ref)
            if res is not None and res[0] <= max_fit_de00:
                found.append(res)
        if not found:
            continue
        score, H_small, n_squares = min(found, key=lambda r: r[0])
        S = np.diag([1.0 / scale, 1.0 / scale, 1.0])
        H_full = S @ H_small
        medians, spreads, counts = sample_patches(rgb_lin, H_full)
        if not np.all(np.isfinite(medians)):
            continue
        quad = cv2.perspectiveTransform(GRID_CORNERS[None], H_full)[0]
        probe = cv2.perspectiveTransform(np.array([[[3.0, 2.0], [4.0, 2.0], [3.0, 3.0]]]), H_full)[
            0
        ]
        ex, ey = probe[1] - probe[0], probe[2] - probe[0]
        mirrored = bool(ex[0] * ey[1] - ex[1] * ey[0] < 0)  # image y points down, as chart rows
        return (
            ChartDetection(
                patches_rgb_lin=medians,
                patches_spread=spreads,
                patch_pixels=counts,
                quad=quad,
                homography=H_full,
                mirrored=mirrored,
                fit_de00=float(score),
                squares_found=n_squares,
                working_scale=float(scale),
            ),
        )
    return ()
