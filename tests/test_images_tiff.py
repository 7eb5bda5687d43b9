"""TIFF: restamping with another policy replaces our own tail instead of growing the file."""

from __future__ import annotations

import dataclasses
import shutil
import struct
import subprocess
from pathlib import Path

import imagefactory as f
import pytest
from support import BASE

from optout_site.build.work import stamp_image as stamp
from optout_site.images import read_xmp, xmp

A = dataclasses.replace(BASE, overwrite=True)  # the foreign file has its own rights
B = dataclasses.replace(A, copyright="(c) Somebody else entirely, with a much longer notice")
FILES = {
    "ii_lzw.tif": f.save(f.photo((40, 30), 1), "TIFF", compression="tiff_lzw"),
    "mm.tif": f.tiff_mm(f.noise("RGB", (11, 10), 10)),
    "multipage.tif": f.save(
        f.noise("L", (8, 8), 0), "TIFF", save_all=True, append_images=[f.noise("L", (8, 8), 1)]
    ),
    "foreign_xmp.tif": f.save(f.photo((16, 12), 2), "TIFF", tiffinfo={700: f.FOREIGN_XMP}),
}


def _flip(path: Path, times: int) -> list[int]:
    """Stamp A, B, A, B, … in place; the file size after each."""
    sizes = []
    for i in range(times):
        rights = (A, B)[i % 2]
        assert stamp(path, path, rights).status == "changed"
        assert xmp.summary(read_xmp(path) or b"")["copyright"] == [rights.copyright]
        sizes.append(path.stat().st_size)
    return sizes


@pytest.mark.parametrize("name", sorted(FILES))
def test_policy_flips_do_not_grow_the_file(tmp_path: Path, name: str) -> None:
    src = tmp_path / name
    src.write_bytes(FILES[name])
    sizes = _flip(src, 6)
    assert sizes[2:] == sizes[:2] * 2, sizes  # A and B each always the same size
    assert stamp(src, src, B).status == "unchanged"
    ifd0 = f.tiff_ifd0(FILES[name])[1]
    ifd0.pop(700, None)
    after = f.tiff_ifd0(src.read_bytes())[1]
    after.pop(700)
    assert after == ifd0
    orig = tmp_path / ("orig_" + name)
    orig.write_bytes(FILES[name])
    assert f.frames(src) == f.frames(orig)


def test_a_tail_that_something_else_points_into_is_kept(tmp_path: Path) -> None:
    """Our packet's bytes are ours only while nothing else reads them: here the second
    page's strip is pointed into the packet, so restamping must append, not overwrite."""
    src = tmp_path / "a.tif"
    src.write_bytes(FILES["multipage.tif"])
    stamp(src, src, A)
    data = bytearray(src.read_bytes())
    bo = "<" if data[:2] == b"II" else ">"
    (ifd0,) = struct.unpack(bo + "I", data[4:8])
    (n0,) = struct.unpack(bo + "H", data[ifd0 : ifd0 + 2])
    (ifd1,) = struct.unpack(bo + "I", data[ifd0 + 2 + 12 * n0 : ifd0 + 6 + 12 * n0])
    (n1,) = struct.unpack(bo + "H", data[ifd1 : ifd1 + 2])
    assert A.copyright
    text_at = bytes(data).index(A.copyright.encode(), ifd1)  # in our packet, appended last
    for k in range(n1):
        at = ifd1 + 2 + 12 * k
        tag, typ, count = struct.unpack(bo + "HHI", data[at : at + 8])
        if tag == 273:  # StripOffsets: one strip holds the whole 8x8 page
            assert count == 1
            value = struct.pack(bo + ("H" if typ == 3 else "I"), text_at)
            data[at + 8 : at + 8 + len(value)] = value
    src.write_bytes(bytes(data))
    page2 = f.frames(src)[1]
    stamp(src, src, B)
    assert src.stat().st_size > len(data)
    assert f.frames(src)[1] == page2


def test_bytes_after_our_ifd_are_kept(tmp_path: Path) -> None:
    src = tmp_path / "a.tif"
    src.write_bytes(FILES["mm.tif"])
    stamp(src, src, A)
    trailer = b"bytes another tool left after IFD0"
    src.write_bytes(src.read_bytes() + trailer)
    stamp(src, src, B)
    assert trailer in src.read_bytes()


def test_bytes_between_our_packet_and_ifd_are_kept(tmp_path: Path) -> None:
    src = tmp_path / "a.tif"
    src.write_bytes(FILES["mm.tif"])
    stamp(src, src, A)
    data = src.read_bytes()
    bo = "<" if data[:2] == b"II" else ">"
    (ifd0,) = struct.unpack(bo + "I", data[4:8])
    gap = b"unreferenced bytes of another tool"  # even length: IFD0 stays word-aligned
    moved = data[:4] + struct.pack(bo + "I", ifd0 + len(gap)) + data[8:ifd0] + gap + data[ifd0:]
    src.write_bytes(moved)
    stamp(src, src, B)
    assert gap in src.read_bytes()


@pytest.mark.slow  # exiftool over each file twice, ~1.5 s
def test_exiftool_validate_finds_nothing_new_after_flips(tmp_path: Path) -> None:
    if not shutil.which("exiftool"):
        pytest.skip("exiftool not installed")
    paths = []
    for name, data in FILES.items():
        orig, flipped = tmp_path / ("orig_" + name), tmp_path / name
        orig.write_bytes(data)
        flipped.write_bytes(data)
        _flip(flipped, 4)
        paths += [orig, flipped]
    out = subprocess.run(
        ["exiftool", "-validate", "-warning", "-a", "-s3", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    # per file: its name, the warning count, then one warning a line
    blocks = [block.split("\n")[2:] for block in out.split("======== ")[1:]]
    reports = [{line for line in b if line and "files read" not in line} for b in blocks]
    assert len(reports) == len(paths)
    for before, after in zip(reports[::2], reports[1::2], strict=True):
        assert after <= before, after - before
