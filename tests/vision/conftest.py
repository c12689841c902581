"""Faces for the vision tests: the real face of skimage.data.astronaut(), cropped and scaled."""

import cv2
import numpy as np
import pytest
from skimage import data as skdata

from calibration.colorimetry import srgb_u8_to_rgb_lin


@pytest.fixture(scope="session")
def astronaut_srgb_u8():
    return np.ascontiguousarray(skdata.astronaut())


def face_crop(scale: float) -> np.ndarray:
    """The astronaut's face cropped around the head and scaled (srgb_u8)."""
    crop = skdata.astronaut()[20:240, 130:320]
    return np.ascontiguousarray(
        cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    )


@pytest.fixture(scope="session")
def big_face():
    """About 550 px wide face, srgb_u8 and rgb_lin."""
    u8 = face_crop(4.0)
    return u8, srgb_u8_to_rgb_lin(u8)
