"""Every benchmark, one after the other (``make bench``). Figures are printed, never asserted."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_accuracy
import bench_models
import bench_privacy
import bench_redness
import bench_related
import bench_service
import bench_speed
import bench_tryon
import calibrate_uncertainty

if __name__ == "__main__":
    bench_speed.main([])
    bench_accuracy.main([])
    calibrate_uncertainty.main([])
    bench_redness.main(["--held-out"])
    bench_tryon.main([])
    bench_models.main([])
    bench_privacy.main([])
    bench_related.main([])
    bench_service.main([])
