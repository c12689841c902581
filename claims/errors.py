"""Errors of the claims domain; ``server.py`` maps each to one problem+json type and status."""

from __future__ import annotations

from calibration.errors import HueproofError

__all__ = [
    "ConsentRequired",
    "Forbidden",
    "IdempotencyConflict",
    "NotFound",
    "RateLimited",
    "StateConflict",
    "Unauthorized",
]


class Unauthorized(HueproofError, PermissionError):
    """No bearer token, or one that matches no user."""


class Forbidden(HueproofError, PermissionError):
    """The user's role may not do this at all (another user's things answer NotFound)."""


class NotFound(HueproofError, LookupError):
    """No such thing, or one the user may not know exists."""


class StateConflict(HueproofError, RuntimeError):
    """The thing exists but is not in a state that allows this (e.g. deciding a queued claim)."""


class RateLimited(HueproofError, RuntimeError):
    """Too many requests of one kind from one user; ``retry_after`` seconds until one more
    is accepted."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class IdempotencyConflict(HueproofError, ValueError):
    """An Idempotency-Key reused with a different request."""


class ConsentRequired(HueproofError, ValueError):
    """A face photo without the consent it needs (version, facial, health)."""
