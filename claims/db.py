"""The claims store: database engine, sessions, migrations and content-addressed files.

The embedded default is SQLite in WAL mode under the data directory; ``DATABASE_URL``
(e.g. ``postgresql+psycopg://…``) points the same code at PostgreSQL. Every write
transaction on SQLite starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue on
the database lock instead of failing half-way (the audit chain relies on it).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

__all__ = ["BlobStore", "Store", "database_url", "missing_store", "open_store"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_FILE = "hueproof.sqlite3"


def database_url(data_dir) -> str:
    """``DATABASE_URL`` from the environment, else the SQLite file under ``data_dir``."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{Path(data_dir).resolve() / SQLITE_FILE}"


def missing_store(data_dir) -> str | None:
    """What ``data_dir`` lacks to hold a store already (its directory, or the SQLite file
    ``database_url`` names), or None: :func:`open_store` would make one."""
    if not Path(data_dir).is_dir():
        return "no such directory"
    url = database_url(data_dir)
    sqlite = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    return f"no {sqlite.name}" if sqlite is not None and not sqlite.is_file() else None


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # transactions are begun below, not by pysqlite
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class BlobStore:
    """Files stored by the sha256 of their bytes under ``root/ab/cdef…``."""

    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"expected a sha256 hex digest; got {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        path = self.path(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)  # a reader never sees half a file
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
        return sha

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def delete(self, sha256: str) -> bool:
        try:
            self.path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True


@dataclass
class Store:
    """Database and files of one data directory."""

    data_dir: Path
    engine: Engine
    read_engine: Engine
    blobs: BlobStore

    def __post_init__(self):
        self._write = sessionmaker(self.engine, expire_on_commit=False)
        self._read = sessionmaker(self.read_engine, expire_on_commit=False)

    @contextlib.contextmanager
    def write(self):
        """A session whose transaction commits on success and rolls back on any error."""
        with self._write() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def read(self):
        with self._read() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic, ``claims/migrations``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_store(data_dir, url: str | None = None) -> Store:
    """Open (and create or migrate) the store of ``data_dir``."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    url = url or database_url(data_dir)
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url, immediate=True)
        read_engine = _sqlite_engine(url, immediate=False)
    else:
        engine = read_engine = create_engine(url, pool_pre_ping=True)
    upgrade(engine)
    return Store(data_dir, engine, read_engine, BlobStore(data_dir / "images"))
