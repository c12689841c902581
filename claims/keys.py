"""Ed25519 signing keys under ``DATA_DIR/keys``: created on first start, never overwritten.

A key's id is the first 16 hex digits of the sha256 of its raw public key. The newest key
signs; every key ever created stays published (``GET /api/v1/keys``) so old reports verify.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = ["KeyRing", "PublicKey", "key_id", "load_public_keys", "verify_signature"]

ALGORITHM = "Ed25519"


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    public_key: Ed25519PublicKey

    def to_dict(self) -> dict:
        raw = self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {
            "key_id": self.key_id,
            "algorithm": ALGORITHM,
            "public_key": base64.b64encode(raw).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, d: dict) -> PublicKey:
        if d.get("algorithm", ALGORITHM) != ALGORITHM:
            raise ValueError(f"expected an {ALGORITHM} key; got {d.get('algorithm')!r}")
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(d["public_key"]))
        if key_id(public) != d["key_id"]:
            raise ValueError(f"key id {d['key_id']!r} does not match the key it names")
        return cls(d["key_id"], public)


def verify_signature(keys: dict[str, PublicKey], key: str, signature_b64: str, data: bytes):
    """True when ``signature_b64`` is ``key``'s signature of ``data``; False otherwise."""
    pub = keys.get(key) if isinstance(key, str) else None  # a report's JSON: any value
    if pub is None:
        return False
    try:
        pub.public_key.verify(base64.b64decode(signature_b64), data)
    except (InvalidSignature, ValueError, TypeError):  # TypeError: a value not text (JSON)
        return False
    return True


class KeyRing:
    """The signing keys of one data directory."""

    def __init__(self, key_dir):
        self.dir = Path(key_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        if not list(self.dir.glob("*.pem")):
            self.rotate()

    def rotate(self) -> str:
        """Create a new signing key (it becomes the current one); returns its id."""
        private = Ed25519PrivateKey.generate()
        kid = key_id(private.public_key())
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        n = len(list(self.dir.glob("*.pem")))
        path = self.dir / f"{n:04d}-{kid}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        (self.dir / f"{n:04d}-{kid}.pub.json").write_text(
            json.dumps(PublicKey(kid, private.public_key()).to_dict()) + "\n"
        )
        return kid

    def _private_paths(self):
        return sorted(self.dir.glob("*.pem"))

    def current(self) -> tuple[str, Ed25519PrivateKey]:
        path = self._private_paths()[-1]
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        return key_id(private.public_key()), private

    def sign(self, data: bytes) -> tuple[str, str]:
        """(key id, base64 signature) of ``data`` with the current key."""
        kid, private = self.current()
        return kid, base64.b64encode(private.sign(data)).decode("ascii")

    def public_keys(self) -> dict[str, PublicKey]:
        return load_public_keys(self.dir)


def load_public_keys(key_dir) -> dict[str, PublicKey]:
    """Every published key of a key directory (``*.pub.json``), by id."""
    out = {}
    for path in sorted(Path(key_dir).glob("*.pub.json")):
        pk = PublicKey.from_dict(json.loads(path.read_text()))
        out[pk.key_id] = pk
    return out
