"""The errors hueproof raises; ``server.py`` maps each to one problem+json type."""

from __future__ import annotations

__all__ = [
    "CalibrationError",
    "HueproofError",
    "ImageTooLarge",
    "InvalidImageError",
    "InvalidInputError",
    "UnsupportedImageType",
]


class HueproofError(Exception):
    """Base class of every error hueproof raises on purpose."""


class InvalidImageError(HueproofError, ValueError):
    """Bytes that are not an acceptable image: the message says what was expected and what came."""


class ImageTooLarge(InvalidImageError):
    """More bytes or pixels than the limits allow (checked before decoding)."""


class UnsupportedImageType(InvalidImageError):
    """Bytes of a format outside the allow-list, or that no decoder recognises."""


class InvalidInputError(HueproofError, ValueError):
    """A parameter or a data file that is malformed (ROI outside the image, bad CSV, ...)."""


class CalibrationError(HueproofError, RuntimeError):
    """A calibration could not be computed from inputs that were themselves well formed."""
