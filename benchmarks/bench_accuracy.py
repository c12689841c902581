"""Accuracy of chart-calibrated shade measurement on the simulated set (figures, not asserts).

Prints |ΔE00| of measured vs true Lab per illuminant family and camera, the coverage and
median of U, and the verdict confusion when the brand reference equals the product and when
it is shifted by 2, 4 and 8 ΔE00 (tolerance 3: 0 and 2 should never be called mismatch).
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from simset import measure_set, save_json, summary

from calibration.colorimetry import delta_e00
from calibration.verdict import shade_verdict


def shifted_reference(lab, target_de, direction):
    """A reference exactly ``target_de`` ΔE00 from ``lab`` along ``direction`` (bisection)."""
    if target_de == 0:
        return np.asarray(lab, float)
    lo, hi = 0.0, 60.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if float(delta_e00(lab + mid * direction, lab)) < target_de:
            lo = mid
        else:
            hi = mid
    return np.asarray(lab, float) + lo * direction


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", type=int, default=200, help="scenes 0..N-1 (held out from U fit)")
    p.add_argument("--out", default="bench-out/accuracy.json")
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    rows = measure_set(range(args.seeds))
    elapsed = time.perf_counter() - t0
    cal = [r for r in rows if r["calibrated"]]
    print(f"\n== Accuracy on {len(rows)} simulated phone photos ({elapsed:.0f} s) ==")
    print(
        f"chart detected: {sum(r['detected'] for r in rows)}/{len(rows)}; "
        f"calibrated (fit accepted): {len(cal)}/{len(rows)}"
    )
    print(f"|ΔE00| all           {summary([r['error'] for r in cal])}")
    for key in ("family", "camera"):
        groups = collections.defaultdict(list)
        for r in cal:
            groups[r[key]].append(r["error"])
        for name in sorted(groups):
            print(f"|ΔE00| {name:<14.14}{summary(groups[name])}")
    err = np.array([r["error"] for r in cal])
    u = np.array([r["U"] for r in cal])
    coverage = float(np.mean(err <= u))
    print(
        f"U (k=2) coverage: {100 * coverage:.1f}% of errors within U; median U {np.median(u):.2f}"
    )

    rng = np.random.default_rng(0)
    confusion = {}
    for shift in (0, 2, 4, 8):
        counts = collections.Counter()
        for r in rows:
            d = rng.normal(size=3)
            d /= np.linalg.norm(d)
            ref = shifted_reference(np.array(r["truth"]), shift, d)
            v = shade_verdict(ref, r["lab"], uncertainty=r.get("U"), tolerance=3.0)
            counts[v.verdict] += 1
        confusion[shift] = dict(counts)
        print(
            f"reference shifted by {shift} ΔE00: "
            + ", ".join(f"{k} {counts.get(k, 0)}" for k in ("match", "inconclusive", "mismatch"))
        )
    result = {
        "scenes": len(rows),
        "detected": sum(r["detected"] for r in rows),
        "calibrated": len(cal),
        "median_error": float(np.median(err)),
        "mean_error": float(err.mean()),
        "max_error": float(err.max()),
        "coverage": coverage,
        "median_U": float(np.median(u)),
        "confusion": confusion,
        "rows": rows,
    }
    save_json(result, args.out)
    return result


if __name__ == "__main__":
    main()
