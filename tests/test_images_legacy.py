"""Legacy mode (JPEG only): EXIF IFD0 Copyright/Artist and IPTC-IIM 2:116/2:80."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import struct
import subprocess
from pathlib import Path

import imagefactory as f
import pytest
from PIL import Image
from support import BASE

from optout_site.build.work import stamp_image as stamp
from optout_site.images import iim

LEGACY = dataclasses.replace(BASE, legacy=True, copyright="\u00a9 2025 Jane", creator="Jane")
EXIFTOOL = shutil.which("exiftool")
TAGS = [
    "-IFD0:Copyright",
    "-IFD0:Artist",
    "-IFD0:Make",
    "-IFD0:Orientation#",
    "-IPTC:CopyrightNotice",
    "-IPTC:By-line",
    "-IPTC:ObjectName",
    "-XMP-plus:DataMining",
]


def exiftool(path: Path, *args: str) -> dict[str, str]:
    if not EXIFTOOL:
        pytest.skip("exiftool not installed")
    proc = subprocess.run(
        [EXIFTOOL, "-s", "-a", *args, str(path)], capture_output=True, text=True, check=True
    )
    out: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition(":")
        out.setdefault(key.strip(), value.strip())
    return out


def warnings(path: Path) -> set[str]:
    if not EXIFTOOL:
        pytest.skip("exiftool not installed")
    proc = subprocess.run(
        [EXIFTOOL, "-validate", "-warning", "-a", "-s3", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(proc.stdout.splitlines()[1:])


def stamped(tmp_path: Path, name: str, data: bytes, rights=LEGACY) -> tuple[Path, Path]:
    src, dst = tmp_path / name, tmp_path / ("out_" + name)
    src.write_bytes(data)
    result = stamp(src, dst, rights)
    assert result.status == "changed", result
    assert f.frames(src) == f.frames(dst)
    assert warnings(dst) <= warnings(src)
    assert stamp(dst, dst, rights).status == "unchanged"
    return src, dst


def test_exif_and_iptc_created_in_existing_exif(tmp_path: Path) -> None:
    src, dst = stamped(tmp_path, "a.jpg", f.catalogue()["exif_icc.jpg"])
    tags = exiftool(dst, *TAGS)
    assert tags["Copyright"] == "\u00a9 2025 Jane" and tags["Artist"] == "Jane"
    assert tags["CopyrightNotice"] == "\u00a9 2025 Jane" and tags["By-line"] == "Jane"
    assert tags["Make"] == "TestCam" and tags["Orientation"] == "6"
    with Image.open(src) as a, Image.open(dst) as b:
        old, new = a.getexif(), b.getexif()
        assert {k: v for k, v in new.items() if k not in (0x013B, 0x8298)} == dict(old)
        assert a.info["icc_profile"] == b.info["icc_profile"]
        assert new.get_ifd(0x8769) == old.get_ifd(0x8769)


def test_existing_iim_kept_without_overwrite_and_digest_recomputed(tmp_path: Path) -> None:
    _, dst = stamped(tmp_path, "b.jpg", f.catalogue()["iptc.jpg"])
    tags = exiftool(dst, *TAGS, "-IPTCDigest", "-CurrentIPTCDigest")
    assert tags["CopyrightNotice"] == "(c) Old IIM"  # the file's own, kept
    assert tags["By-line"] == "Jane" and tags["ObjectName"] == "Title"
    assert tags["IPTCDigest"] == tags["CurrentIPTCDigest"]
    segs, _ = f.jpeg_segments(dst.read_bytes())
    irb = next(p for m, p in segs if m == 0xED)[len(iim.PS_SIG) :]
    resources, _ = iim.parse_irb(irb)
    assert resources[0][1:] == (0x03ED, b"\x00\x00", bytes(range(16)))  # untouched
    naa = next(r[3] for r in resources if r[1] == 0x0404)
    assert next(r[3] for r in resources if r[1] == 0x0425) == hashlib.md5(naa).digest()


@pytest.mark.slow  # exiftool, ~1.2 s
def test_overwrite_replaces_iim_and_exif(tmp_path: Path) -> None:
    data = f.insert_segments(
        f.save(f.photo((32, 24)), "JPEG", exif=f.exif_bytes(1, artist="Old A", copyright="Old C")),
        2,
        f.jpeg_segment(0xED, f.photoshop_irb()),
    )
    _, kept = stamped(tmp_path, "c.jpg", data)
    tags = exiftool(kept, *TAGS)
    assert (tags["Copyright"], tags["Artist"]) == ("Old C", "Old A")
    _, replaced = stamped(tmp_path, "d.jpg", data, dataclasses.replace(LEGACY, overwrite=True))
    tags = exiftool(replaced, *TAGS)
    assert (tags["Copyright"], tags["Artist"]) == ("\u00a9 2025 Jane", "Jane")
    assert tags["CopyrightNotice"] == "\u00a9 2025 Jane"


def test_exif_block_created_when_missing(tmp_path: Path) -> None:
    _, dst = stamped(tmp_path, "e.jpg", f.catalogue()["gray.jpg"])
    tags = exiftool(dst, *TAGS)
    assert tags["Copyright"] == "\u00a9 2025 Jane" and tags["Artist"] == "Jane"
    assert warnings(dst) == set()


def test_unknown_iim_charset_is_left_alone_with_a_note(tmp_path: Path) -> None:
    latin1 = "(c) J\u00fcrgen".encode("latin-1")  # no 1:90, so the charset is unknown
    src = tmp_path / "g.jpg"
    body = f.jpeg_segment(0xED, _rebuild_irb(latin1))
    src.write_bytes(f.insert_segments(f.catalogue()["exif_icc.jpg"], 2, body))
    # Keeping the file's 2:116 while adding a UTF-8 By-line would need a charset
    # declaration that reinterprets the Latin-1 notice: refuse that part, with a reason.
    result = stamp(src, tmp_path / "out.jpg", dataclasses.replace(LEGACY, creator="J\u00fcrgen"))
    assert result.status == "changed" and "IPTC not written" in result.reason
    out = f.jpeg_segments((tmp_path / "out.jpg").read_bytes())[0]
    assert body[4:] in [p for m, p in out if m == 0xED]  # APP13 byte-identical


def _rebuild_irb(latin1: bytes) -> bytes:
    data = b"\x1c\x02\x00\x00\x02\x00\x04\x1c\x02\x74" + struct.pack(">H", len(latin1)) + latin1
    return iim.PS_SIG + iim.build_irb([(b"8BIM", 0x0404, b"\x00\x00", data)], b"")


def test_exif_too_big_to_grow_is_noted(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010E] = "d" * 65450  # ImageDescription all but fills the APP1
    src = tmp_path / "h.jpg"
    src.write_bytes(f.save(f.photo((16, 16)), "JPEG", exif=exif.tobytes()))
    result = stamp(src, tmp_path / "out.jpg", LEGACY)
    assert result.status == "changed" and "EXIF not updated" in result.reason
    with Image.open(src) as a, Image.open(tmp_path / "out.jpg") as b:
        assert a.info["exif"] == b.info["exif"]


def test_legacy_is_ignored_outside_jpeg(tmp_path: Path) -> None:
    src = tmp_path / "x.webp"
    src.write_bytes(f.catalogue()["exif_icc.webp"])
    stamp(src, tmp_path / "out.webp", LEGACY)
    with Image.open(src) as a, Image.open(tmp_path / "out.webp") as b:
        assert a.info["exif"] == b.info["exif"]
