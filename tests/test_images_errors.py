"""Corrupt, truncated and unsupported input: ImageError (or "skipped"), nothing written."""

from __future__ import annotations

import random
import re
import struct
import tempfile
from pathlib import Path

import imagefactory as f
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from support import BASE, examples

from optout_site.build.work import stamp_image as stamp
from optout_site.images import ImageError, read_xmp

CATALOGUE = f.catalogue()
PLAIN = (
    "empty file",
    "the file ends early (truncated)",
    "not a JPEG, PNG, WebP, TIFF, GIF, AVIF or HEIC image",
)


def _cuts(size: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return sorted({0, 1, 7, size // 2, size - 1, *(rng.randrange(size) for _ in range(6))})


def _assert_refused(src: Path, dst: Path) -> None:
    before = src.read_bytes()
    with pytest.raises(ImageError) as info:
        stamp(src, dst, BASE)
    # Plain words for the report (which names the file itself), the how for --verbose.
    assert str(info.value) in PLAIN or str(info.value).startswith("non-standard ")
    assert info.value.detail and str(src) not in info.value.detail
    assert dst == src or not dst.exists()
    assert src.read_bytes() == before
    assert not [p for p in src.parent.iterdir() if p.name.startswith(".optout-site-tmp-")]


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_truncated_anywhere_is_refused(name: str, tmp_path: Path) -> None:
    data = CATALOGUE[name]
    full = tmp_path / ("full_" + name)
    full.write_bytes(data)
    # Bytes after the end marker are not part of the image; cutting them is no truncation.
    trailer = len(b"trailing junk after IEND") if name == "xmp_after_idat.png" else 0
    for cut in _cuts(len(data) - trailer, len(name)):
        src = tmp_path / f"cut{cut}_{name}"
        src.write_bytes(data[:cut])
        if name.endswith(".tif") and cut >= len(data) - 8:
            # Pillow leaves a few unreferenced bytes at the end of some TIFFs; losing them
            # loses nothing, and the writer must then produce the same pixels.
            try:
                stamp(src, tmp_path / "benign.tif", BASE)
            except ImageError:
                continue
            assert f.frames(tmp_path / "benign.tif") == f.frames(full)
            continue
        _assert_refused(src, tmp_path / f"out_{cut}_{name}")
        with pytest.raises(ImageError):
            read_xmp(src)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_truncated_in_place_leaves_file(name: str, tmp_path: Path) -> None:
    src = tmp_path / name
    src.write_bytes(CATALOGUE[name][: len(CATALOGUE[name]) // 2])
    _assert_refused(src, src)


def test_existing_dst_untouched_on_error(tmp_path: Path) -> None:
    src, dst = tmp_path / "bad.png", tmp_path / "dst.png"
    src.write_bytes(CATALOGUE["rgba.png"][:200])
    dst.write_bytes(b"previous build output")
    with pytest.raises(ImageError):
        stamp(src, dst, BASE)
    assert dst.read_bytes() == b"previous build output"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00" * 64,
        b"garbage, not an image at all" * 5,
        bytes(range(256)),
        b"\xff\xd8\xff" + b"\x00" * 40,  # JPEG magic, then nonsense
        b"\x89PNG\r\n\x1a\n" + b"\xff" * 40,
        b"RIFF\x10\x00\x00\x00WEBPJUNKJUNK",
        b"II*\x00\xff\xff\xff\x7f",
        b"MM\x00*\x00\x00\x00\x04",
        b"GIF89a" + b"\x00" * 7 + b"\x99",
    ],
    ids=["empty", "zeros", "text", "bytes", "jpeg", "png", "webp", "tiff_ii", "tiff_mm", "gif"],
)
def test_garbage_is_refused(data: bytes, tmp_path: Path) -> None:
    src = tmp_path / "x.jpg"
    src.write_bytes(data)
    _assert_refused(src, tmp_path / "out.jpg")


def _with_chunk_corruption(name: str, offset: int, value: bytes) -> bytes:
    data = bytearray(CATALOGUE[name])
    data[offset : offset + len(value)] = value
    return bytes(data)


@pytest.mark.parametrize(
    "name,offset,value,match",
    [
        ("rgba.png", 29, b"\x00", "CRC"),  # IHDR CRC
        ("rgba.png", 33, b"\x7f\xff\xff\xff", "truncated|corrupt"),  # next chunk length
        ("gray.jpg", 4, b"\x00\x01", "segment length"),
        ("lossy.webp", 4, b"\xff\xff\x00\x00", "truncated"),  # RIFF size
        ("lossy.webp", 23, b"\x00\x00\x00", "start code"),  # VP8 key frame start code
        ("static87a.gif", None, b"\x55", "unknown GIF block"),  # first block after the table
        ("mm.tif", 4, b"\x00\x00\x00\x02", "header|truncated|IFD"),
    ],
)
def test_structural_corruption_is_named(
    name: str, offset: int | None, value: bytes, match: str, tmp_path: Path
) -> None:
    if offset is None:
        flags = CATALOGUE[name][10]
        offset = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    src = tmp_path / name
    src.write_bytes(_with_chunk_corruption(name, offset, value))
    with pytest.raises(ImageError) as info:
        stamp(src, tmp_path / ("out_" + name), BASE)
    assert re.search(match, f"{info.value} {info.value.detail}"), info.value.detail


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(CATALOGUE)), data=st.data())
def test_random_damage_never_crashes_otherwise(name: str, data: st.DataObject) -> None:
    """Flipped bytes anywhere: stamping either works or raises ImageError, never
    another exception; a failure writes nothing."""
    raw = bytearray(CATALOGUE[name])
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / name, Path(tmp) / ("out_" + name)
        src.write_bytes(bytes(raw))
        try:
            stamp(src, dst, BASE)
        except ImageError:
            assert not dst.exists()
        assert src.read_bytes() == bytes(raw)


def test_extension_mismatch_uses_real_format(tmp_path: Path) -> None:
    src = tmp_path / "really_a_png.jpg"
    src.write_bytes(CATALOGUE["rgba.png"])
    assert stamp(src, tmp_path / "out.jpg", BASE).status == "changed"
    assert (tmp_path / "out.jpg").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(tmp_path / "out.jpg") as im:
        assert im.format == "PNG"


def test_apple_cgbi_png_is_skipped_with_reason(tmp_path: Path) -> None:
    """Xcode's "optimised" PNG: a CgBI chunk before IHDR; browsers other than Safari
    cannot decode it, and it is no PNG we know how to edit."""
    chunks, tail = f.png_chunks(CATALOGUE["rgba.png"])
    data = f.png_from_chunks([(b"CgBI", b"\x50\x00\x20\x06"), *chunks], tail)
    src = tmp_path / "icon.png"
    src.write_bytes(data)
    result = stamp(src, tmp_path / "out.png", BASE)
    assert result.status == "skipped"
    assert result.reason == "Apple-optimised PNG (CgBI) is not a standard PNG; left unchanged"
    assert src.read_bytes() == data and not (tmp_path / "out.png").exists()
    assert read_xmp(src) is None


def test_bigtiff_is_skipped_with_reason(tmp_path: Path) -> None:
    src = tmp_path / "big.tif"
    src.write_bytes(f.save(f.noise("RGB", (8, 8)), "TIFF", big_tiff=True))
    assert src.read_bytes()[2] == 43
    result = stamp(src, tmp_path / "out.tif", BASE)
    assert result.status == "skipped" and "BigTIFF" in result.reason
    assert not (tmp_path / "out.tif").exists()


def _fake_c2pa_app11() -> bytes:
    jumd = b"jumd" + bytes(16) + b"\x03" + b"c2pa\x00"
    box = struct.pack(">I", 8 + 8 + len(jumd)) + b"jumb" + struct.pack(">I", 8 + len(jumd)) + jumd
    return f.jpeg_segment(0xEB, b"JP\x00\x01\x00\x00\x00\x01" + box)


def _fake_c2pa_tiff() -> bytes:
    """A TIFF with IFD0 tag 0xCD41, where C2PA puts a TIFF's manifest store."""
    from PIL import TiffImagePlugin

    ifd = TiffImagePlugin.ImageFileDirectory_v2()
    ifd[0xCD41] = b"jumb: a C2PA manifest store"
    ifd.tagtype[0xCD41] = 7  # UNDEFINED
    return f.save(f.noise("RGB", (8, 8)), "TIFF", tiffinfo=ifd)


def test_c2pa_signed_files_are_skipped_not_invalidated(tmp_path: Path) -> None:
    jpeg = f.insert_segments(CATALOGUE["exif_icc.jpg"], 1, _fake_c2pa_app11())
    chunks, tail = f.png_chunks(CATALOGUE["rgba.png"])
    png = f.png_from_chunks([*chunks[:-1], (b"caBX", b"manifest store"), chunks[-1]], tail)
    tiff = _fake_c2pa_tiff()
    for name, data in (("signed.jpg", jpeg), ("signed.png", png), ("signed.tif", tiff)):
        src = tmp_path / name
        src.write_bytes(data)
        result = stamp(src, tmp_path / ("out_" + name), BASE)
        assert result.status == "skipped" and "C2PA" in result.reason
        assert src.read_bytes() == data and not (tmp_path / ("out_" + name)).exists()


def test_c2pa_signed_after_our_xmp_is_unchanged(tmp_path: Path) -> None:
    """Signing comes last in the build; a rebuild over signed output must not touch it."""
    src = tmp_path / "a.jpg"
    src.write_bytes(CATALOGUE["exif_icc.jpg"])
    stamp(src, src, BASE)
    signed = f.insert_segments(src.read_bytes(), 1, _fake_c2pa_app11())
    src.write_bytes(signed)
    assert stamp(src, src, BASE).status == "unchanged" and src.read_bytes() == signed


def test_check_reports_without_writing(tmp_path: Path) -> None:
    from optout_site.images import inspect

    src = tmp_path / "a.png"
    src.write_bytes(CATALOGUE["rgba.png"])
    assert inspect(src, BASE).status == "changed" and src.read_bytes() == CATALOGUE["rgba.png"]
    stamp(src, src, BASE)
    assert inspect(src, BASE).status == "unchanged"
    src.write_bytes(CATALOGUE["rgba.png"][:100])
    with pytest.raises(ImageError):
        inspect(src, BASE)
