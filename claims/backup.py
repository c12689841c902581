"""A consistent copy of an embedded data directory, taken while the service runs.

The SQLite database is copied through SQLite's online backup, a snapshot of one instant (the
write-ahead log included), where copying the file could catch a write half done. Stored photos
are named by their SHA-256 and never change once written, and each is written before the claim
that names it commits, so those the snapshot names are on disk when it is taken; a photo erased
after it (a withdrawal, the retention purge) is not copied, as it should not be. Then the
signing keys, permissions kept. The copy is checked before it is called done: SQLite's
integrity check, and the audit chain verified against the copied public keys.

Restoring is using the copy as the data directory (``hueproof serve --data COPY``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from claims.db import SQLITE_FILE, database_url, open_store

__all__ = ["backup"]


def backup(data_dir, dest) -> dict:
    """Copy the store of ``data_dir`` to the new or empty directory ``dest``; what was copied
    and checked. Raises ValueError for what cannot be backed up this way."""
    from sqlalchemy import func, select

    from claims.audit import verify_chain
    from claims.keys import load_public_keys
    from claims.models import AuditEntry, Claim, Image

    data_dir, dest = Path(data_dir), Path(dest)
    if not database_url(data_dir).startswith("sqlite:"):
        raise ValueError("the database is not the embedded SQLite one (DATABASE_URL is set): "
                         "back it up with its own tools (pg_dump), and the images and keys "
                         "folders with it")  # fmt: skip
    db = data_dir / SQLITE_FILE
    if not db.is_file():
        raise ValueError(f"expected a hueproof data directory; {data_dir} holds no {SQLITE_FILE}")
    if dest.resolve() == data_dir.resolve() or dest.resolve().is_relative_to(data_dir.resolve()):
        raise ValueError(f"expected a backup outside the data directory; got {dest}")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ValueError(f"{dest} exists and is not an empty directory: a backup never "
                         "overwrites")  # fmt: skip
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copymode(data_dir, dest)  # personal data: no more open than where it came from

    partial = dest / f"{SQLITE_FILE}.partial"
    source, target = sqlite3.connect(db), sqlite3.connect(partial)
    try:
        with target:
            source.backup(target)  # one step: a read snapshot of one instant
    finally:
        source.close()
        target.close()
    shutil.copymode(db, partial)
    os.replace(partial, dest / SQLITE_FILE)

    files = size = 0
    images = data_dir / "images"
    for path in sorted(images.rglob("*")) if images.is_dir() else ():
        copy = dest / path.relative_to(data_dir)
        try:
            if path.is_dir():
                copy.mkdir(parents=True, exist_ok=True)
                shutil.copymode(path, copy)
            elif not path.name.startswith(".incoming-"):  # a file being written: not yet named
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)
                files, size = files + 1, size + copy.stat().st_size
        except FileNotFoundError:  # erased since the listing: not copied, as it should not be
            continue
    if (data_dir / "keys").is_dir():
        shutil.copytree(data_dir / "keys", dest / "keys")  # modes kept: the private key's 0600

    store = open_store(dest, database_url(dest))
    try:
        with store.engine.connect() as conn:
            integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
        with store.read() as s:
            chain = verify_chain(s, load_public_keys(dest / "keys"))
            claims = s.execute(select(func.count()).select_from(Claim)).scalar()
            entries = s.execute(select(func.count()).select_from(AuditEntry)).scalar()
            kept = s.execute(select(Image.sha256).where(Image.erased_at.is_(None))).scalars()
            missing = sum(not store.blobs.exists(sha) for sha in kept)
    finally:
        store.dispose()
    if integrity != "ok" or not chain.ok:
        raise ValueError(f"the copy in {dest} did not check: SQLite says {integrity!r}; "
                         f"chain problems {list(chain.problems)}")  # fmt: skip
    return {"backup": str(dest), "claims": claims, "audit_entries": entries,
            "image_files": files, "image_bytes": size, "images_missing": missing,
            "integrity": integrity, "chain_ok": chain.ok}  # fmt: skip
