"""fdcopy: one byte-range copy for images, pages and plain files, in the kernel where it can.

Each way (copy_file_range, sendfile, read/write) is forced in turn, refused or stopping
short, and the bytes read back must be the source's range exactly."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from optout_site import fdcopy

DATA = bytes(range(256)) * 9000  # over fdcopy.CHUNK is not needed: offsets matter


def _refuse(*args: object) -> int:
    raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))


def _nothing(*args: object) -> int:
    return 0


WAYS = {
    "copy_file_range": {},
    "sendfile": {"copy_file_range": _refuse},
    "sendfile-after-zero": {"copy_file_range": _nothing},
    "read-write": {"copy_file_range": _refuse, "sendfile": _refuse},
    "read-write-after-zero": {"copy_file_range": _nothing, "sendfile": _nothing},
}


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(("offset", "length"), [(0, len(DATA)), (1, 1), (12345, 1_000_003)])
def test_each_way_copies_exactly_the_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str, offset: int, length: int
) -> None:
    monkeypatch.setattr(fdcopy, "CHUNK", 4096)  # several read/write rounds
    for name, fake in WAYS[way].items():
        monkeypatch.setattr(os, name, fake, raising=False)
    (tmp_path / "src").write_bytes(DATA)
    with (tmp_path / "src").open("rb") as src, (tmp_path / "dst").open("wb") as dst:
        dst.write(b"head")
        dst.flush()
        assert fdcopy.copy_range(src.fileno(), dst.fileno(), offset, length) == length
        assert src.tell() == 0  # the source's own position is left alone
        fdcopy.write_all(dst.fileno(), b"tail")
    assert (tmp_path / "dst").read_bytes() == b"head" + DATA[offset : offset + length] + b"tail"


@pytest.mark.parametrize("way", WAYS)
def test_a_source_that_ends_early_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    for name, fake in WAYS[way].items():
        monkeypatch.setattr(os, name, fake, raising=False)
    (tmp_path / "src").write_bytes(b"0123456789")
    with (tmp_path / "src").open("rb") as src, (tmp_path / "dst").open("wb") as dst:
        plan = [b"<", (2, 3), b"|", (8, 5), b">"]
        assert fdcopy.write_plan(src.fileno(), plan, dst.fileno()) == 10
    assert (tmp_path / "dst").read_bytes() == b"<234|89"


def test_an_error_that_is_not_a_refusal_is_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "copy_file_range", full, raising=False)
    (tmp_path / "src").write_bytes(b"abc")
    with (
        (tmp_path / "src").open("rb") as src,
        (tmp_path / "dst").open("wb") as dst,
        pytest.raises(OSError, match="No space left"),
    ):
        fdcopy.copy_range(src.fileno(), dst.fileno(), 0, 3)
