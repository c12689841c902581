"""Shared fixtures: physically simulated photos (see calibration/simulate.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

warnings.filterwarnings("ignore", message=".*Matplotlib.*")


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(20261126)


@pytest.fixture(scope="session")
def landmarker():
    from models.face_landmarker.provision import FaceModelError, face_model_path

    try:
        face_model_path()
    except FaceModelError as exc:  # under CI=true a skip fails the run (see conftest.py)
        pytest.skip(f"face model not provisioned: {exc}")
    from vision.landmarks import FaceLandmarker

    with FaceLandmarker() as lm:
        yield lm
