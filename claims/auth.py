"""Users, bearer tokens, and the one component that decides every request.

Tokens are 256 random bits shown once; only their SHA-256 is stored (a token is not a
password: it has full entropy, so a fast hash is the right tool). :func:`authorize` holds
the whole permission table: a role that may never do something gets ``Forbidden``; a user
asking for another user's claim, or another brand's catalog, gets ``NotFound``, so nobody
learns what exists.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from claims.errors import Forbidden, NotFound, Unauthorized
from claims.models import ROLES, Brand, User

__all__ = [
    "PERMISSIONS",
    "Principal",
    "authenticate",
    "authorize",
    "create_user",
    "disable_user",
    "get_user",
    "list_users",
    "replace_token",
    "token_sha256",
]

TOKEN_PREFIX = "hp_"

#: action → roles allowed. Ownership (own claims, own brand) is checked on top.
PERMISSIONS = {
    "claims.create": {"shopper"},
    "claims.list": {"shopper", "adjudicator", "admin"},
    "claims.read": {"shopper", "adjudicator", "admin"},
    "claims.images": {"shopper", "adjudicator", "admin"},
    "claims.withdraw": {"shopper"},
    "claims.appeal": {"shopper"},
    "claims.reveal": {"adjudicator"},
    "claims.decide": {"adjudicator"},
    "claims.related": {"adjudicator", "admin"},
    "catalog.write": {"brand", "admin"},
    "catalog.history": {"brand", "adjudicator", "admin"},
    "brand.stats": {"brand", "admin"},
    "alerts.read": {"admin"},
    "webhooks.manage": {"admin"},
    "metrics.read": {"admin"},
    "account.erase": {"shopper"},
}
#: Each action in the words of a refusal ("a brand may not decide a claim").
ACTION_WORDS = {
    "claims.create": "file a claim",
    "claims.list": "list claims",
    "claims.read": "read a claim",
    "claims.images": "see a claim's pictures",
    "claims.withdraw": "withdraw a claim",
    "claims.appeal": "appeal a decision",
    "claims.reveal": "reveal a raw photo",
    "claims.decide": "decide a claim",
    "claims.related": "see which claims are related to one another",
    "catalog.write": "change a brand's catalog",
    "catalog.history": "read a shade's calibration history",
    "brand.stats": "read a brand's statistics",
    "alerts.read": "read the alerts",
    "webhooks.manage": "manage the webhooks",
    "metrics.read": "read the service's metrics",
    "account.erase": "erase an account here (an admin disables a staff account: `hueproof users "
    "disable`)",
}


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user id, role and (for brand users) brand id."""

    id: int
    role: str
    brand_id: int | None = None
    name: str = ""

    @property
    def actor(self) -> str:
        """How the audit chain names this user."""
        return f"user:{self.id}:{self.role}"


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(session, *, role: str, name: str = "", brand: str | None = None):
    """Add a user; returns (User, token). ``brand`` (a slug) is created when new."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {list(ROLES)}")
    if role == "brand" and not brand:
        raise ValueError("a brand user needs --brand B")
    brand_row = None
    if brand:
        from claims.catalog import ensure_brand

        brand_row = ensure_brand(session, brand)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user = User(role=role, name=name, brand_id=brand_row.id if brand_row else None,
                token_sha256=token_sha256(token))  # fmt: skip
    session.add(user)
    session.flush()
    return user, token


def list_users(session) -> list[dict]:
    """Every user, oldest first: id, role, name, brand, created, disabled (never a token)."""
    rows = session.execute(select(User).order_by(User.id)).scalars()
    return [{"id": u.id, "role": u.role, "name": u.name,
             "brand": u.brand.slug if u.brand else None,
             "created_at": u.created_at.isoformat(timespec="seconds"),
             "disabled": u.disabled} for u in rows]  # fmt: skip


def get_user(session, user_id: int) -> User:
    """The user numbered ``user_id``; LookupError naming how to list them when there is none."""
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}; `hueproof users list` shows them")
    return user


def disable_user(session, user_id: int) -> User:
    """Stop the user's token from working (a lost device, someone who left); the user and
    everything they did stay. :func:`replace_token` gives them a working token again."""
    user = get_user(session, user_id)
    user.disabled = True
    return user


def replace_token(session, user_id: int) -> tuple[User, str]:
    """A new token for the user, who is active again; the old token stops working."""
    user = get_user(session, user_id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.token_sha256, user.disabled = token_sha256(token), False
    return user, token


def authenticate(session, authorization: str | None) -> Principal | None:
    """The principal of an ``Authorization: Bearer …`` header; None when there is none.

    A header that is present but wrong raises ``Unauthorized`` (never treated as anonymous).
    """
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("expected 'Authorization: Bearer <token>'")
    user = session.execute(
        select(User).where(User.token_sha256 == token_sha256(token.strip()))
    ).scalar()
    if user is None or user.disabled:
        raise Unauthorized("the bearer token matches no active user")
    return Principal(user.id, user.role, user.brand_id, user.name)


def _article(role: str) -> str:
    return "an" if role[0] in "aeiou" else "a"


def _may_see(principal: Principal, claim) -> bool:
    """Whether the claim exists for this user at all (else it answers 404)."""
    if principal.role in ("adjudicator", "admin"):
        return True
    return principal.role == "shopper" and claim.shopper_id == principal.id


def authorize(principal: Principal | None, action: str, *, claim=None, brand: Brand | None = None):
    """Allow, or raise ``Unauthorized`` / ``Forbidden`` / ``NotFound``.

    Parameters
    ----------
    principal : Principal or None (anonymous)
    action : str, one of :data:`PERMISSIONS`
    claim : Claim, optional
        A shopper sees only their own, a brand user none: others answer ``NotFound``.
    brand : Brand, optional
        A brand user may only touch their own: another brand answers ``NotFound``.
    """
    try:
        roles = PERMISSIONS[action]
    except KeyError:
        raise ValueError(
            f"unknown action {action!r}; expected one of {sorted(PERMISSIONS)}"
        ) from None
    words = ACTION_WORDS[action]
    if principal is None:
        raise Unauthorized(f"expected a bearer token (Authorization: Bearer …) to {words}")
    if claim is not None and not _may_see(principal, claim):
        raise NotFound("no such claim")
    if principal.role not in roles:
        who = " or ".join(f"{_article(r)} {r}" for r in sorted(roles))
        raise Forbidden(f"{_article(principal.role)} {principal.role} may not {words}; "
                        f"{who} may")  # fmt: skip
    if brand is not None and principal.role == "brand" and brand.id != principal.brand_id:
        raise NotFound("no such brand")
