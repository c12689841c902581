"""Redness accuracy on the astronaut test set, and analyze speed (figures printed, not asserted).

For face sizes × skin tones (melanin added in optical density, ITA° bands) × zones ×
strengths of synthetic erythema (haemoglobin optical density at the patch centre):
- single photo: IoU of the flagged mask with the true patch, share of patches found (half
  of the patch covered), flagged area on the unmodified face (false positives);
- before/after: the same, the baseline being the unmodified face photographed a little
  closer, turned and under warmer light (flagged area: that pair without a patch);
for the main method (``tsumura``) beside the ``a_star`` baseline, on patches of the smallest
size the method is made for (:data:`RADIUS`), then on smaller and larger ones (:data:`OTHER_RADII`,
one face size), and on JPEG files (:data:`JPEG_QUALITIES`). Then each face's detection limit
(vision/redness.py, :class:`~vision.redness.DetectionLimit`) and what is found just under and
over it; the faces' grain (vision/quality.py's gate) and the figures under sensor noise
(:data:`NOISE_LEVELS`); the same figures on held-out people (vision/people: real photos of two
other men, never used to choose a threshold), and before/after between real photos of one man
taken on different days; before/after with the head turned in the earlier photo
(:data:`TURNS`), registered and along the mesh only; ``analyze`` on a 12 MP selfie ÷ its JPEG
decode time on one core. Last, the issue's targets, each checked at full precision
(:func:`targets`).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import functools
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from simset import best_of, peak_rss_mib, print_targets, save_json, target  # noqa: E402

from calibration.colorimetry import rgb_lin_to_srgb_u8  # noqa: E402
from vision.beforeafter import redness_change  # noqa: E402
from vision.landmarks import FaceLandmarker  # noqa: E402
from vision.quality import LIMITS, origin_findings, pose_findings, skin_grain  # noqa: E402
from vision.redness import redness_map, shaded_share, skin_pixels  # noqa: E402
from vision.regions import REDNESS_ZONES, region_masks  # noqa: E402
from vision.testset import (  # noqa: E402
    add_erythema,
    add_melanin,
    astronaut_face,
    head_turned,
    ita_band,
    ita_degrees,
    photograph,
    relight,
    second_photo,
    sensor_noise,
    zone_centre,
)

STRENGTHS = (0.2, 0.35, 0.5)
#: Patch radius of the main figures (a fraction of the face width): the smallest patch the
#: detection scale is made for (vision/redness.py). Smaller and larger ones are measured too,
#: at one face size: a single photo cannot tell a whole cheek's redness from rosy cheeks.
RADIUS = 0.06
OTHER_RADII = (0.04, 0.1, 0.15)
#: Skin density added along the measured light-to-dark direction: ITA° bands light,
#: intermediate, tan, brown, dark on the astronaut face.
MELANIN = (0.0, 1.0, 1.5, 2.0, 3.0)
SCALES = (2.5, 4.0)
#: The same measurements on JPEG files: the capture page's quality, a common default, and a
#: photo compressed again by a chat app (the baseline a shopper finds in a conversation).
JPEG_QUALITIES = (97, 92, 80)
#: The same measurements with sensor noise added before the file is written: σ a + 5a·√x in
#: linear values (read and shot noise; a photo taken in dim light), at these a. At the first
#: the grain gate (vision/quality.py) fires on the smaller, darker faces, at the second on most.
NOISE_LEVELS = (0.002, 0.004)


#: The NumPy reference at the working scale, the ONNX model (what the service runs), the a*
#: baseline at the main method's thresholds, and a* with its detection threshold raised until
#: it flags at most 0.5 % of the unmodified faces (a comparison at equal false positives).
METHODS = ("tsumura", "tsumura-onnx", "a_star", "a_star-fair")
#: Methods measured on the other patch sizes (the ONNX path follows the NumPy one).
SIZE_METHODS = ("tsumura", "a_star", "a_star-fair")
FAIR_FP = 0.005
FAIR_THRESHOLDS = (3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 7.0, 8.0, 10.0)
_fair = {}


def _redness(img, skin, face_width, method):
    if method == "tsumura-onnx":
        from models.redness import default_model, redness_map_onnx

        return redness_map_onnx(default_model(), img, skin_mask=skin, face_width=face_width)
    if method == "a_star-fair":
        return redness_map(img, skin_mask=skin, face_width=face_width, method="a_star",
                           high=_fair["high"])  # fmt: skip
    return redness_map(img, skin_mask=skin, face_width=face_width, method=method)


def fair_a_star_threshold(landmarker, scales=SCALES) -> float:
    """The lowest a* detection threshold flagging ≤ FAIR_FP of every unmodified face."""
    faces = [(t.img, t.skin, t.face.width) for t in test_faces(landmarker, scales)]
    for high in FAIR_THRESHOLDS:
        worst = max(
            redness_map(img, skin_mask=skin, face_width=w, method="a_star", high=high).mask.mean()
            / skin.mean()
            for img, skin, w in faces
        )
        if worst <= FAIR_FP:
            break
    _fair["high"] = high
    print(f"a_star-fair: detection threshold {high}σ (worst flagged area {100 * worst:.2f} %)")
    return high


def _iou(a, b):
    return float((a & b).sum() / max(1, (a | b).sum()))


def _found(mask, er) -> bool:
    """A patch is found when the flagged mask covers half of it."""
    return bool((mask & er.truth).sum() >= 0.5 * er.truth.sum())


def jpeg(quality):
    """:func:`vision.testset.photograph` as a JPEG of ``quality``."""
    return functools.partial(photograph, jpeg_quality=quality)


def noisy(a, seed=23):
    """:func:`vision.testset.photograph` of the scene with sensor noise of σ a + 5a·√x."""
    rng = np.random.default_rng(seed)
    return lambda rgb_lin: photograph(sensor_noise(rgb_lin, a, rng=rng))


def _grain_line(grains) -> dict:
    """Print and return the range of the photos' and baselines' grain
    (:func:`vision.quality.skin_grain`) and how many the grain gate flags."""
    g = np.array(grains)
    limit = LIMITS["max_grain_od"]
    print(f"grain (haemoglobin OD at the outline's scale): photos {g[:, 0].min():.4f}-"
          f"{g[:, 0].max():.4f}, baselines {g[:, 1].min():.4f}-{g[:, 1].max():.4f}; the gate "
          f"(> {limit}) flags {int((g[:, 0] > limit).sum())} of {len(g)} photos and "
          f"{int((g[:, 1] > limit).sum())} of {len(g)} baselines")  # fmt: skip
    return {"photos": [float(g[:, 0].min()), float(g[:, 0].max())],
            "baselines": [float(g[:, 1].min()), float(g[:, 1].max())],
            "flagged": [int((g[:, 0] > limit).sum()), int((g[:, 1] > limit).sum())]}  # fmt: skip


def noise_figures(landmarker) -> dict:
    """The accuracy figures, with the faces' grain, at each of :data:`NOISE_LEVELS`."""
    out = {}
    for a in NOISE_LEVELS:
        print(f"\n-- with sensor noise, σ {a} + {5 * a:g}·√x in linear values --")
        out[f"noise_{a}"] = accuracy(landmarker, methods=METHODS[:2], photo=noisy(a))
    return out


def people_figures(landmarker) -> dict:
    """The accuracy figures and detection limits on the held-out people (vision/people),
    and before/after on real pairs (:func:`real_pairs`)."""
    faces = list(people_faces(landmarker))
    print("\n-- held-out people: " + ", ".join(f"{t.name} (face {t.face.width:.0f} px, "
          f"{t.band})" for t in faces) + " --")  # fmt: skip
    return {
        "accuracy": accuracy(landmarker, seed=19, faces=faces, title="the held-out people"),
        "detection_limits": detection_limits(landmarker, seed=29, faces=faces),
        "real_pairs": real_pairs(faces, seed=31),
    }


#: The earlier photo's head turned (yaw, pitch; degrees, vision/testset.py's head_turned).
TURNS = ((0, 0), (5, 0), (10, 0), (15, 0), (0, 10), (0, 20))


def pose_figures(landmarker, seed=37) -> dict:
    """Before/after with the head turned in the earlier photo (:data:`TURNS`, the test set's
    faces, patches of 0.35 OD in each zone), as the analysis compares them (registered by
    optical flow, foreshortened skin left out) and along the mesh only."""
    print("\n== Before/after, the head turned in the earlier photo ==")
    out = {}
    faces = list(test_faces(landmarker))
    for yaw, pitch in TURNS:
        rng = np.random.default_rng(seed)
        rows = {True: [], False: []}
        turns, reported = [], 0
        for t in faces:
            (f0,) = landmarker.detect(t.skin_face)
            before = photograph(relight(head_turned(t.skin_face, f0, yaw=yaw, pitch=pitch),
                                        gains=(1.0, 0.95, 0.85), exposure=0.9))  # fmt: skip
            (fb,) = landmarker.detect(before)
            turns.append((abs(t.face.yaw - fb.yaw), abs(t.face.pitch - fb.pitch)))
            reported += bool(pose_findings(t.face, fb))
            patches = [_photographed(add_erythema(
                t.skin_face, centre=zone_centre(t.masks[z] & t.bare),
                radius=RADIUS * t.face.width, strength=0.35, skin_mask=t.bare, rng=rng))
                for z in REDNESS_ZONES]  # fmt: skip
            for register in (True, False):

                def change(img, register=register, before=before, fb=fb, t=t):
                    return redness_change(img, before, after_points=t.face.points,
                                          before_points=fb.points, skin_mask=t.skin,
                                          register=register)  # fmt: skip

                fp = float(change(t.img).mask.sum() / t.skin.sum())
                hits = [(_iou(m, er.truth), _found(m, er)) for m, er in
                        ((change(red).mask, er) for red, er in patches)]  # fmt: skip
                rows[register].append((fp, hits))
        dyaw, dpitch = np.mean(turns, axis=0)
        key = f"yaw_{yaw}_pitch_{pitch}"
        out[key] = {"seen_degrees": [float(dyaw), float(dpitch)], "pose_changed": reported}
        head = (f"turned {yaw}° sideways, {pitch}° up (MediaPipe sees {dyaw:.1f}°, {dpitch:.1f}°; "
                f"pose_changed {reported}/{len(faces)})")  # fmt: skip
        for register, label in ((True, "registered"), (False, "mesh only ")):
            fps = [r[0] for r in rows[register]]
            hits = [h for r in rows[register] for h in r[1]]
            iou = float(np.mean([h[0] for h in hits]))
            found = sum(h[1] for h in hits)
            print(f"{head if register else ' ' * len(head)}: {label} mean IoU {iou:.3f}, found "
                  f"{found}/{len(hits)}, unchanged skin flagged {100 * np.mean(fps):.2f}% on "
                  f"average, {100 * max(fps):.2f}% at worst")  # fmt: skip
            out[key]["registered" if register else "mesh_only"] = {
                "mean_iou": iou,
                "found": [found, len(hits)],
                "false_positive": float(max(fps)),
            }
    return out


def mirror_figures(landmarker) -> dict:
    """Photos from before saved mirrored (as front cameras often save selfies), through
    ``analyze_selfie``: how many are flipped back (``baseline_mirrored``), and how many
    straight ones are flipped wrongly; on the test set's pairs (the second photo) and on the
    real pairs of vision/people (photos of one person from different days)."""
    from vision.analysis import analyze_selfie
    from vision.ingest import load_image
    from vision.people import PEOPLE

    print("\n== Before/after, the photo from before saved mirrored ==")
    pairs = {"test set": [(t.img, t.before) for t in test_faces(landmarker)], "real pairs": []}
    by_person = collections.defaultdict(list)
    for p in PEOPLE:
        by_person[p.person].append(load_image(p.path).rgb_lin)
    for photos in by_person.values():
        pairs["real pairs"] += [(a, b) for a in photos for b in photos if a is not b]
    out = {}
    for name, group in pairs.items():
        counts, mismatch = collections.Counter(), []
        for after, before in group:
            for mirrored in (False, True):
                shown = np.ascontiguousarray(before[:, ::-1]) if mirrored else before
                r = analyze_selfie(after, landmarker=landmarker, baseline_rgb_lin=shown)
                flipped = "baseline_mirrored" in [f.code for f in r.quality]
                counts[mirrored, flipped] += 1
                mismatch.append(r.change.melanin_mismatch)
        n = len(group)
        print(f"{name} ({n} pairs): mirrored flipped back {counts[True, True]}/{n}, straight "
              f"flipped {counts[False, True]}/{n}; melanin mismatch of the pairs compared "
              f"{min(mismatch):.3f}-{max(mismatch):.3f} OD")  # fmt: skip
        out[name.replace(" ", "_")] = {"pairs": n, "mirrored_flipped": counts[True, True],
                                       "straight_flipped": counts[False, True]}  # fmt: skip
    return out


def real_pairs(faces, seed=31) -> dict:
    """Before/after on real pairs: two photos of the same person taken on different days
    (other light, camera settings, expression and file), the patch added to the later one.
    Unlike the test set's pairs (one photo and a warped, relit copy of it), the person's own
    texture, folds and redness differ between the two photos."""
    from vision.ingest import load_image
    from vision.people import PEOPLE

    by_person = collections.defaultdict(list)
    person = {p.name: p.person for p in PEOPLE}
    origin = {p.name: load_image(p.path).origin for p in PEOPLE}
    for t in faces:
        by_person[person[t.name]].append(t)
    rng = np.random.default_rng(seed)
    rows, fps, findings, limits = [], [], collections.Counter(), []
    for group in by_person.values():
        for after in group:
            for before in group:
                if before is after:
                    continue

                def change(img, after=after, before=before):
                    return redness_change(img, before.img, after_points=after.face.points,
                                          before_points=before.face.points,
                                          skin_mask=after.skin)  # fmt: skip

                clean = change(after.img)
                fps.append(float(clean.mask.sum() / after.skin.sum()))
                limits.append(clean.detection_limit.haemoglobin_od)
                findings.update(f["code"] for f in clean.findings)
                # what the files state: another camera, a photo "from before" taken later;
                # and how differently the head is turned
                findings.update(
                    f.code for f in origin_findings(origin[after.name], origin[before.name])
                )
                findings.update(f.code for f in pose_findings(after.face, before.face))
                for zone in REDNESS_ZONES:
                    for strength in STRENGTHS:
                        red, er = _photographed(add_erythema(
                            after.skin_face, centre=zone_centre(after.masks[zone] & after.bare),
                            radius=RADIUS * after.face.width, strength=strength,
                            skin_mask=after.bare, rng=rng))  # fmt: skip
                        ch = change(red)
                        rows.append((strength, _iou(ch.mask, er.truth), _found(ch.mask, er)))
    n = len(fps)
    print(f"\n== Before/after on real pairs: {n} ordered pairs of photos of the same person "
          f"from different days ==")  # fmt: skip
    line = f"mean IoU {np.mean([r[1] for r in rows]):.3f}"
    out = {"pairs": n, "mean_iou": float(np.mean([r[1] for r in rows])), "found": {}}
    for s in STRENGTHS:
        hits = [r[2] for r in rows if r[0] == s]
        line += f" | @{s}: found {sum(hits)}/{len(hits)}"
        out["found"][str(s)] = [int(sum(hits)), len(hits)]
    print(line)
    seen = ", ".join(f"{k} {v}/{n}" for k, v in sorted(findings.items()))
    print(f"unmodified pairs: flagged {100 * np.mean(fps):.2f}% of skin on average, worst "
          f"{100 * max(fps):.2f}%; findings: {seen}")  # fmt: skip
    print(f"detection limits {min(limits):.3f}-{max(limits):.3f} OD (the test set's pairs: 0.100)")
    out["false_positive"] = float(max(fps))
    out["findings"] = dict(findings)
    out["limit_od"] = [float(min(limits)), float(max(limits))]
    return out


def _photographed(result, photo=photograph):
    red, er = result
    return photo(red), er


@dataclasses.dataclass
class TestFace:
    """One face of the test set, photographed, and the baseline photo of a before/after pair.

    ``skin_face`` is the face before it became a file (patches are added there); ``bare``
    the skin pixels (patches go on skin, not on the hair inside the landmark polygons)."""

    skin_face: np.ndarray
    img: np.ndarray
    face: object
    masks: dict
    skin: np.ndarray
    bare: np.ndarray
    band: str
    before: np.ndarray
    found_b: list
    name: str = ""


def _test_face(landmarker, skin_face, photo, name=""):
    img = photo(skin_face)
    (face,) = landmarker.detect(img)
    masks = region_masks(face.points, img.shape[:2])
    skin = masks["skin"]
    before = second_photo(skin_face, photo=photo)
    return TestFace(skin_face, img, face, masks, skin, skin_pixels(img, skin, face.width),
                    ita_band(ita_degrees(img, skin)), before, landmarker.detect(before),
                    name)  # fmt: skip


def test_faces(landmarker, scales=SCALES, photo=photograph):
    """The test set's unmodified faces: face sizes × skin tones (:data:`MELANIN`)."""
    for scale in scales:
        base = astronaut_face(scale)
        (f0,) = landmarker.detect(base)
        skin0 = region_masks(f0.points, base.shape[:2], names=("skin",))["skin"]
        for mel in MELANIN:
            skin_face = photograph(add_melanin(base, mel, mask=skin0)) if mel else base
            yield _test_face(landmarker, skin_face, photo)


def people_faces(landmarker, photo=photograph):
    """The held-out people (vision/people): each photo's head, cut as ``analyze`` cuts it
    (the face's box and 0.3 face widths), as the photo has it: its own skin tone."""
    from vision.ingest import load_image
    from vision.people import people_photos
    from vision.regions import face_box

    for p in people_photos():
        rgb_lin = load_image(p.path).rgb_lin
        (face,) = landmarker.detect(rgb_lin)
        x0, y0, x1, y1 = face_box(face, rgb_lin.shape[:2], margin=0.3)
        yield _test_face(landmarker, np.ascontiguousarray(rgb_lin[y0:y1, x0:x1]), photo, p.name)


def accuracy(landmarker, scales=SCALES, seed=7, radius=RADIUS, methods=METHODS,
             false_positives=True, photo=photograph, faces=None,
             title="the astronaut test set") -> dict:  # fmt: skip
    """The figures above for patches of ``radius`` (a fraction of the face width); without
    ``false_positives`` the unmodified faces are not measured (the patch size changes
    nothing there). ``photo`` makes the files analysed: 8-bit, or JPEG (:func:`jpeg`).
    ``faces`` (TestFace) replaces the astronaut's faces at ``scales``."""
    if "high" not in _fair:
        fair_a_star_threshold(landmarker)
    rows, fps, noisy_pairs, grains = [], [], [], []
    shade = collections.defaultdict(lambda: {"fp": [], "tp": [], "skin": []})  # folds, shadows
    rng = np.random.default_rng(seed)
    widths = []
    for t in test_faces(landmarker, scales, photo) if faces is None else faces:
        widths.append(t.face.width)
        img, face, skin, before, found_b = t.img, t.face, t.skin, t.before, t.found_b
        for method in methods if false_positives else ():
            r = _redness(img, skin, face.width, method)
            fps.append((t.band, method, float(r.mask.sum() / skin.sum()), t.name))
            if r.shaded is not None:
                shade[method]["fp"].append((int(r.mask.sum()), int((r.mask & r.shaded).sum())))
                shade[method]["skin"].append(float(r.shaded.sum() / skin.sum()))
        if false_positives and found_b:
            ch = redness_change(img, before, after_points=face.points,
                                before_points=found_b[0].points, skin_mask=skin)  # fmt: skip
            fps.append((t.band, "before/after", float(ch.mask.sum() / skin.sum()), t.name))
            noisy_pairs.append(any(f["code"] == "noisy_pair" for f in ch.findings))
            before_skin = region_masks(found_b[0].points, before.shape[:2], names=("skin",))
            grains.append((skin_grain(img, skin, face.width),
                           skin_grain(before, before_skin["skin"], found_b[0].width)))  # fmt: skip
        for zone in REDNESS_ZONES:
            for strength in STRENGTHS:
                red, er = _photographed(
                    add_erythema(
                        t.skin_face,
                        centre=zone_centre(t.masks[zone] & t.bare),
                        radius=radius * face.width,
                        strength=strength,
                        skin_mask=t.bare,
                        rng=rng,
                    ),
                    photo,
                )
                for method in methods:
                    r = _redness(red, skin, face.width, method)
                    covered = _found(r.mask, er)
                    if r.shaded is not None and (r.mask & er.truth).any():
                        shade[method]["tp"].append(shaded_share(r.mask & er.truth, r.shaded))
                    rows.append(
                        ("single", t.band, method, strength, _iou(r.mask, er.truth), covered)
                    )
                if found_b:
                    ch = redness_change(
                        red,
                        before,
                        after_points=face.points,
                        before_points=found_b[0].points,
                        skin_mask=skin,
                    )
                    covered = _found(ch.mask, er)
                    rows.append(
                        (
                            "before/after",
                            t.band,
                            "tsumura",
                            strength,
                            _iou(ch.mask, er.truth),
                            covered,
                        )
                    )
    print(f"\n== Redness on {title} ==")
    print(f"{len(rows)} patch cases; face widths {min(widths):.0f}-{max(widths):.0f} px"
          f"; patch radius {radius} face widths")  # fmt: skip
    summary = {}
    for mode in ("single", "before/after"):
        for method in methods:
            sel = [r for r in rows if r[0] == mode and r[2] == method]
            if not sel:
                continue
            ious = [r[4] for r in sel]
            line = f"{mode:<12} {method:<12} mean IoU {np.mean(ious):.3f} worst {np.min(ious):.3f}"
            for s in STRENGTHS:
                ss = [r for r in sel if r[3] == s]
                iou_s = np.mean([r[4] for r in ss])
                line += f" | @{s}: found {sum(r[5] for r in ss)}/{len(ss)}, IoU {iou_s:.2f}"
            print(line)
            by_band = collections.defaultdict(list)
            for r in sel:
                by_band[r[1]].append(r[4])
            print(
                "    IoU per ITA band: "
                + ", ".join(f"{b} {np.mean(v):.3f}" for b, v in by_band.items())
            )
            summary[f"{mode}/{method}"] = {
                "mean_iou": float(np.mean(ious)),
                "worst_iou": float(np.min(ious)),
                "found": {str(s): int(sum(r[5] for r in sel if r[3] == s)) for s in STRENGTHS},
                "cases_per_strength": len(sel) // len(STRENGTHS),
                "iou_per_band": {b: float(np.mean(v)) for b, v in by_band.items()},
            }
    for method in (*methods, "before/after") if false_positives else ():
        v = [f for f in fps if f[1] == method]
        worst_by_band = {}
        for band, _, flagged, _ in v:
            worst_by_band[band] = max(flagged, worst_by_band.get(band, 0.0))
        print(
            f"unmodified faces, {method}: flagged {100 * np.mean([x[2] for x in v]):.2f}% of skin "
            f"on average, worst {100 * max(x[2] for x in v):.2f}% ({len(v)} faces); worst per "
            "ITA band: " + ", ".join(f"{b} {100 * f:.2f}%" for b, f in worst_by_band.items())
        )
        if any(x[3] for x in v):
            print("    per photo: " + ", ".join(f"{x[3]} {100 * x[2]:.2f}%" for x in v))
        summary[f"false_positive/{method}"] = float(max(x[2] for x in v))
    for method, v in shade.items():  # where the flags lie: reported per zone, never left out
        flagged = sum(n for n, _ in v["fp"])
        line = f"folds and shadows ({method})"
        if v["skin"]:  # measured on the unmodified faces
            line += f": {100 * np.mean(v['skin']):.0f}% of the skin"
        if flagged:
            in_shade = sum(k for _, k in v["fp"]) / flagged
            per_photo = ", ".join(f"{100 * k / n:.0f}%" for n, k in v["fp"] if n)
            line += f"; of the unmodified skin flagged, {100 * in_shade:.0f}% ({per_photo})"
        if v["tp"]:
            line += (f"; of the patches' flagged area, {100 * np.mean(v['tp']):.0f}% on average, "
                     f"{100 * max(v['tp']):.0f}% at worst ({len(v['tp'])} patches)")  # fmt: skip
        print(line)
        summary[f"shaded/{method}"] = {
            "skin": float(np.mean(v["skin"])) if v["skin"] else None,
            "patches_mean": float(np.mean(v["tp"])) if v["tp"] else None,
        }
    if noisy_pairs:
        print(f"unmodified pairs reported as noisy (noisy_pair): {sum(noisy_pairs)} of "
              f"{len(noisy_pairs)}")  # fmt: skip
        summary["noisy_pairs"] = [int(sum(noisy_pairs)), len(noisy_pairs)]
    if grains:
        summary["grain"] = _grain_line(grains)
    return summary


#: Patches at these multiples of each photo's own detection limit check what the limit says:
#: few found below it, most above it.
LIMIT_FACTORS = (0.75, 1.0, 1.33)


def detection_limits(landmarker, scales=SCALES, seed=17, photo=photograph, faces=None) -> dict:
    """Each unmodified face's detection limits (single photo, before/after), and the share
    of reference patches found at :data:`LIMIT_FACTORS` times them, in every zone."""
    limits, found = collections.defaultdict(list), collections.defaultdict(list)
    rng = np.random.default_rng(seed)
    for t in test_faces(landmarker, scales, photo) if faces is None else faces:
        if not t.found_b:
            continue

        def analyse(img, t=t):
            single = redness_map(img, skin_mask=t.skin, face_width=t.face.width)
            change = redness_change(img, t.before, skin_mask=t.skin, after_points=t.face.points,
                                    before_points=t.found_b[0].points)  # fmt: skip
            return {"single": single, "before/after": change}

        clean = {m: r.detection_limit for m, r in analyse(t.img).items()}
        for mode, limit in clean.items():
            limits[mode].append(limit)
        for mode, limit in clean.items():
            for factor in LIMIT_FACTORS:
                for zone in REDNESS_ZONES:
                    red, er = _photographed(add_erythema(
                        t.skin_face, centre=zone_centre(t.masks[zone] & t.bare),
                        radius=RADIUS * t.face.width, strength=factor * limit.haemoglobin_od,
                        skin_mask=t.bare, rng=rng), photo)  # fmt: skip
                    mask = analyse(red)[mode].mask
                    found[mode, factor].append(_found(mask, er))
    print(f"\n== Detection limits (reference patch {2 * RADIUS} face widths across) ==")
    out = {}
    for mode, lims in limits.items():
        od = [x.haemoglobin_od for x in lims]
        a = [x.a_star for x in lims]
        line = (f"{mode:<12} limit {min(od):.3f}-{max(od):.3f} OD (a* +{min(a):.1f} to "
                f"+{max(a):.1f}) on {len(lims)} faces; found")  # fmt: skip
        out[mode] = {"od": [min(od), max(od)], "a_star": [min(a), max(a)]}
        for factor in LIMIT_FACTORS:
            hits = found[mode, factor]
            line += f" at {factor}x: {sum(hits)}/{len(hits)}"
            out[mode][f"found_at_{factor}"] = [int(sum(hits)), len(hits)]
        print(line)
    return out


def speed(landmarker) -> dict:
    from PIL import Image

    from claims.analysis import analyse_claim
    from models.illuminant import default_model as colour_model
    from models.redness import default_model
    from vision.analysis import analyze_selfie
    from vision.ingest import ingest_image

    # A 12 MP selfie: the astronaut's head upscaled to fill a 3000 × 4000 portrait frame.
    face = astronaut_face(1.0)
    u8 = rgb_lin_to_srgb_u8(face)
    u8 = cv2.resize(
        u8, (3000, int(3000 * u8.shape[0] / u8.shape[1])), interpolation=cv2.INTER_CUBIC
    )
    canvas = np.full((4000, 3000, 3), 180, np.uint8)
    y0 = (4000 - u8.shape[0]) // 2
    canvas[y0 : y0 + u8.shape[0]] = u8[: 4000 - y0]
    noise = np.random.default_rng(0).normal(0, 3, canvas.shape)
    canvas = np.clip(canvas + noise, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(canvas).save(buf, format="JPEG", quality=92)
    jpeg = buf.getvalue()

    def decode():
        im = Image.open(io.BytesIO(jpeg))
        im.load()

    # one core: main() runs this part in a process started on one CPU, so that MediaPipe's,
    # onnxruntime's and OpenCV's thread pools are sized for one core, as on a phone's core
    cpus = os.sched_getaffinity(0)
    if len(cpus) != 1:
        print(f"(speed measured on {len(cpus)} CPUs, not one)")
    t_dec = best_of(decode, 10)  # the decode's time varies between runs: its best of 10
    image = ingest_image(jpeg)
    models = {"redness_model": default_model(), "colour_model": colour_model()}

    def analyze():
        analyze_selfie(image.rgb_lin, landmarker=landmarker, **models)

    def end_to_end():
        analyze_selfie(ingest_image(jpeg).rgb_lin, landmarker=landmarker, **models)

    def claim():  # what the service's worker does with a redness claim's photo
        analyse_claim("redness", jpeg, landmarker=landmarker)

    analyze()  # warm-up
    t_an = best_of(analyze, 5)
    t_all = best_of(end_to_end, 3)
    t_claim = best_of(claim, 3)
    ratio = t_an / t_dec
    print(
        f"\nanalyze on a 12 MP selfie, one core: {1000 * t_an:.0f} ms = {ratio:.2f}x its JPEG "
        f"decode ({1000 * t_dec:.0f} ms); with the decode and linearisation (ingest) "
        f"included: {1000 * t_all:.0f} ms = {t_all / t_dec:.2f}x; a redness claim's whole "
        f"analysis (ingest, analysis, pixelated photo, pictures as PNG): {1000 * t_claim:.0f} ms"
    )
    peak = _peak_memory(jpeg)
    print(
        f"peak memory of `hueproof analyze` on it: {peak['analyze_mib']:.0f} MiB "
        f"(a process that only imports numpy and PIL and decodes it: {peak['decode_mib']:.0f} MiB)"
    )
    return {"analyze_ms": 1000 * t_an, "decode_ms": 1000 * t_dec, "ratio": ratio,
            "end_to_end_ms": 1000 * t_all, "claim_ms": 1000 * t_claim, **peak}  # fmt: skip


def _peak_memory(jpeg: bytes) -> dict:
    """Peak RSS of the CLI on the photo, and of a decode-only process, each in a fresh process."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "selfie.jpg"
        path.write_bytes(jpeg)
        decode = [
            sys.executable,
            "-c",
            f"import numpy, PIL.Image as I; I.open({str(path)!r}).load()",
        ]
        analyze = [sys.executable, "-m", "cli", "analyze", str(path), "--out", tmp, "--json"]
        return {
            "decode_mib": peak_rss_mib(decode, ROOT),
            "analyze_mib": peak_rss_mib(analyze, ROOT),
        }


#: The issue's targets on the test set (issue 3, "Done when"), checked at full precision: a
#: mean IoU of 0.5997 prints as 0.600 above but does not reach 0.6. Each is (limit, whether
#: the figure must be at least the limit rather than at most).
TARGETS = {"mean IoU": (0.6, True), f"found at {min(STRENGTHS)} OD": (0.9, True),
           "unmodified skin flagged": (0.005, False), "ITA band spread": (0.1, False)}  # fmt: skip
BEFORE_AFTER_IOU = 0.85
SPEED_RATIO = 2.5


def targets(result: dict) -> list[tuple[str, str, bool]]:
    """(what, measured against the target, met) for each target of the issue: before/after,
    the NumPy reference and the ONNX path (what ``analyze`` runs) on a single photo, the ONNX
    path against ``a_star`` at the same thresholds and at equal false positives
    (``a_star-fair``), and the speed."""
    acc = result["accuracy"]

    def figures(mode, method, fp_key):  # in the order of TARGETS
        row = acc[f"{mode}/{method}"]
        bands = row["iou_per_band"].values()
        weakest = row["found"][str(min(STRENGTHS))] / row["cases_per_strength"]
        return {"mean IoU": row["mean_iou"], f"found at {min(STRENGTHS)} OD": weakest,
                "unmodified skin flagged": acc[f"false_positive/{fp_key}"],
                "ITA band spread": max(bands) - min(bands)}  # fmt: skip

    rows = []
    pair = figures("before/after", "tsumura", "before/after")
    pair_limits = {**TARGETS, "mean IoU": (BEFORE_AFTER_IOU, True)}
    rows += [target(f"before/after: {k}", v, *pair_limits[k]) for k, v in pair.items()]
    for method in ("tsumura", "tsumura-onnx"):
        single = figures("single", method, method)
        rows += [target(f"{method}: {k}", v, *TARGETS[k]) for k, v in single.items()]
    ours = figures("single", "tsumura-onnx", "tsumura-onnx")
    for base in ("a_star", "a_star-fair"):
        theirs = figures("single", base, base)
        for k, (_, at_least) in TARGETS.items():
            a, b = ours[k], theirs[k]
            won = a > b if at_least else (a < b or a == b == 0)  # none flagged: a tie at best
            rows.append((f"tsumura-onnx beats {base}: {k}", f"{a:.4f} vs {b:.4f}", won))
    if "speed" in result:
        rows.append(target("analyze ÷ JPEG decode, 12 MP, one core", result["speed"]["ratio"],
                            SPEED_RATIO, False))  # fmt: skip
    return rows


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="bench-out/redness.json")
    p.add_argument("--skip-speed", action="store_true")
    p.add_argument(
        "--held-out",
        action="store_true",
        help="face sizes and patch shapes not used to choose the thresholds (3.2x, seed 11)",
    )
    p.add_argument("--speed-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--limits-only", action="store_true", help="only the detection limits")
    p.add_argument("--noise-only", action="store_true", help="only the grain and sensor noise")
    p.add_argument("--people-only", action="store_true", help="only the held-out people")
    p.add_argument("--pose-only", action="store_true", help="only the turned heads")
    p.add_argument("--mirror-only", action="store_true", help="only the mirrored photos")
    args = p.parse_args(argv)
    if args.speed_only:  # the child of _speed_on_one_core
        with FaceLandmarker() as landmarker:
            result = speed(landmarker)
        print("SPEED " + json.dumps(result))
        return result
    with FaceLandmarker() as landmarker:
        if args.limits_only:
            return {"detection_limits": detection_limits(landmarker)}
        if args.noise_only:
            return noise_figures(landmarker)
        if args.people_only:
            return people_figures(landmarker)
        if args.pose_only:
            return pose_figures(landmarker)
        if args.mirror_only:
            return mirror_figures(landmarker)
        result = {"accuracy": accuracy(landmarker)}
        result["people"] = people_figures(landmarker)
        result["pose"] = pose_figures(landmarker)
        result["mirror"] = mirror_figures(landmarker)
        if args.held_out:
            print("\n-- held out: other face size and patch shapes --")
            result["held_out"] = accuracy(landmarker, scales=(3.2,), seed=11)
        for radius in OTHER_RADII:
            print(f"\n-- other patch sizes: radius {radius} face widths --")
            result[f"radius_{radius}"] = accuracy(landmarker, scales=(2.5,), seed=13,
                                                  radius=radius, methods=SIZE_METHODS,
                                                  false_positives=False)  # fmt: skip
        for quality in JPEG_QUALITIES:
            print(f"\n-- as JPEG files, quality {quality} --")
            result[f"jpeg_{quality}"] = accuracy(landmarker, methods=("tsumura", "tsumura-onnx"),
                                                 photo=jpeg(quality))  # fmt: skip
        result.update(noise_figures(landmarker))
        result["detection_limits"] = detection_limits(landmarker)
        print("\n-- as JPEG files, quality 80 --")
        result["detection_limits_jpeg_80"] = detection_limits(landmarker, photo=jpeg(80))
    if not args.skip_speed:
        result["speed"] = _speed_on_one_core()
    print_targets("The issue's targets (test set)", targets(result))
    save_json(result, args.out)
    return result


def _speed_on_one_core() -> dict:
    """:func:`speed` in a process started on one CPU (its thread pools sized for one core)."""
    cpu = min(os.sched_getaffinity(0))
    res = subprocess.run(
        [sys.executable, __file__, "--speed-only"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),
        check=True,
    )
    lines = res.stdout.splitlines()
    print("\n".join(x for x in lines if not x.startswith("SPEED ")))
    return json.loads(next(x for x in lines if x.startswith("SPEED "))[6:])


if __name__ == "__main__":
    main()
