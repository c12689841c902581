"""Real photos of people other than the astronaut: the held-out faces of the test set.

Every threshold of the redness analysis was chosen on one person, ``skimage.data.astronaut()``
(vision/testset.py). These photos test whether what was chosen holds on other people, with
other skin, light, cameras and JPEG files; no threshold of the analysis is chosen on them. (The
limit of a pair's ``expression_changed`` finding, vision/quality.py, sits under the expression
changes of their real pairs: those pairs are what the finding is for.)

They are White House photographs (works of the U.S. federal government, public domain) that
the PyPI source distribution ``face_recognition==1.3.0`` ships as test images
(``tests/test_images/``); PyPI is reachable where image hosts are not. ``make test`` and
``make bench`` fetch them (``python -m vision.people``), check each file's SHA-256, and store
them beside this module; they are never committed.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from models.pypi import PyPIFetchError, fetch_members, write_atomic

__all__ = ["PEOPLE", "HeldOutPhoto", "PeopleError", "people_photos", "provision_people"]

SOURCE_SDIST = "face_recognition==1.3.0"
MEMBER_DIR = "face_recognition-1.3.0/tests/test_images/"
PEOPLE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class HeldOutPhoto:
    """One photo: its file name, who is in it, and the file's SHA-256."""

    name: str
    person: str
    sha256: str

    @property
    def path(self) -> Path:
        return PEOPLE_DIR / self.name


#: The photos used, with their SHA-256 as shipped in face_recognition-1.3.0.tar.gz. Faces
#: 235-287 px wide (under the face-size gate's 300 px); obama.jpg and obama2.jpg are JPEGs of
#: quality 92, obama3.jpg and biden.jpg of 89 (under the compression gate's 92). Cameras
#: (EXIF): Canon EOS 5D Mark III (obama.jpg), Mark II (the others).
PEOPLE = (
    HeldOutPhoto("obama.jpg", "Barack Obama",
                 "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6"),
    HeldOutPhoto("obama2.jpg", "Barack Obama",
                 "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6"),
    HeldOutPhoto("obama3.jpg", "Barack Obama",
                 "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3"),
    HeldOutPhoto("biden.jpg", "Joe Biden",
                 "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c"),
)  # fmt: skip


class PeopleError(RuntimeError):
    """The held-out photos are missing or are not the pinned files; the message says what to do."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def people_photos() -> tuple[HeldOutPhoto, ...]:
    """The held-out photos, each checked against its SHA-256.

    Raises
    ------
    PeopleError
        A photo is missing or differs from the pinned file.
    """
    for photo in PEOPLE:
        if not photo.path.is_file():
            raise PeopleError(f"held-out photo {photo.path} is missing; run `python -m "
                              "vision.people` (make test and make bench do)")  # fmt: skip
        digest = _sha256(photo.path.read_bytes())
        if digest != photo.sha256:
            raise PeopleError(f"held-out photo {photo.path} has sha256 {digest[:12]}…, "
                              f"expected {photo.sha256[:12]}…; run python -m vision.people "
                              "--force")  # fmt: skip
    return PEOPLE


def provision_people(*, force: bool = False) -> tuple[HeldOutPhoto, ...]:
    """Download the source distribution with pip, extract the photos, verify, store them.

    Idempotent: photos already present with the pinned SHA-256 are left as they are.
    """
    if not force:
        try:
            return people_photos()
        except PeopleError:
            pass
    try:
        blobs = fetch_members(SOURCE_SDIST, [MEMBER_DIR + p.name for p in PEOPLE], sdist=True)
    except PyPIFetchError as exc:
        raise PeopleError(str(exc)) from exc
    for photo in PEOPLE:
        data = blobs[MEMBER_DIR + photo.name]
        digest = _sha256(data)
        if digest != photo.sha256:
            raise PeopleError(f"{SOURCE_SDIST}:{MEMBER_DIR}{photo.name} has sha256 {digest}; "
                              f"expected {photo.sha256}")  # fmt: skip
        write_atomic(photo.path, data)
    return PEOPLE


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--force", action="store_true", help="download again even if present")
    args = p.parse_args(argv)
    try:
        photos = provision_people(force=args.force)
    except PeopleError as exc:
        print(f"held-out photos: {exc}", file=sys.stderr)
        return 1
    print(f"held-out photos: {len(photos)} in {PEOPLE_DIR} (sha256 verified)")
    return 0
