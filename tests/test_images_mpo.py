"""Real camera JPEGs: MPO (MP Index kept true), malformed blocks we do not own, stray bytes.

Every file here is one browsers and Pillow show and exiftool writes into; ours must too,
with the pixels of every frame and every byte we do not own unchanged.
"""

from __future__ import annotations

import dataclasses
import shutil
import struct
import subprocess
from pathlib import Path

import imagefactory as f
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from support import BASE, examples

from optout_site.build.work import stamp_image as stamp
from optout_site.images import ImageError

LEGACY = dataclasses.replace(BASE, legacy=True)
FIRST = f.save(f.photo((64, 48), 1), "JPEG", quality=90)
SECOND = f.save(f.photo((64, 48), 2), "JPEG", quality=90)
THIRD = f.save(f.photo((32, 24), 3), "JPEG", quality=80)
BAD_EXIF = f.jpeg_segment(0xE1, b"Exif\x00\x00XX*\x00 maker garbage, not a TIFF structure")
APP0 = f.jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
OLD_XMP = f.jpeg_segment(0xE1, f.XMP_SIG + f.FOREIGN_XMP)
COMMENT = f.jpeg_segment(0xFE, b"a comment after the MPF segment")


def _mpo_info(path: Path) -> tuple[int, list[tuple[int, int]], list[bytes]]:
    """Pillow's view: frame count, (size, offset) of each MP entry, raw pixels per frame."""
    with Image.open(path) as im:
        assert im.format == "MPO"
        entries = [(e["Size"], e["DataOffset"]) for e in im.mpinfo[0xB002]]
        pixels = []
        for i in range(im.n_frames):
            im.seek(i)
            pixels.append(im.tobytes())
        return im.n_frames, entries, pixels


def _check_mpo(src: Path, dst: Path, images: list[bytes]) -> None:
    """The stamped MPO still says where every image is: the later images are the
    original bytes at the end, the first image's size is what precedes them."""
    out = dst.read_bytes()
    rest = b"".join(images[1:])
    assert out.endswith(rest)
    n, entries, pixels = _mpo_info(dst)
    assert n == len(images) and pixels == _mpo_info(src)[2]
    first = len(out) - len(rest)
    assert entries[0] == (first, 0)
    header = out.index(b"MPF\x00") + 4
    at = first
    for image, (size, offset) in zip(images[1:], entries[1:], strict=True):
        assert (size, header + offset) == (len(image), at)
        at += size


LAYOUTS = {
    # (segments before the MPF APP2, segments after it); we insert after APP0/Exif
    "xmp_inserted_before_mpf": ((APP0, BAD_EXIF), ()),
    "xmp_replaced_after_mpf": ((APP0,), (OLD_XMP, COMMENT)),
    "xmp_inserted_after_mpf": ((), (COMMENT,)),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("legacy", [False, True])
def test_mp_index_follows_what_we_write(tmp_path: Path, layout: str, legacy: bool) -> None:
    before, after = LAYOUTS[layout]
    images = [FIRST, SECOND, THIRD]
    src = tmp_path / "in.mpo"
    src.write_bytes(f.mpo(images, before, after))
    dst = tmp_path / "out.mpo"
    assert stamp(src, dst, LEGACY if legacy else BASE).status == "changed"
    _check_mpo(src, dst, images)
    assert stamp(dst, dst, LEGACY if legacy else BASE).status == "unchanged"


SEGMENTS = st.sampled_from([APP0, BAD_EXIF, OLD_XMP, COMMENT])


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.lists(SEGMENTS, max_size=3),
    after=st.lists(SEGMENTS, max_size=3),
    count=st.integers(2, 3),
    legacy=st.booleans(),
)
def test_mp_index_stays_true_for_any_layout(
    before: list[bytes], after: list[bytes], count: int, legacy: bool
) -> None:
    import tempfile

    images = [FIRST, SECOND, THIRD][:count]
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.mpo", Path(tmp) / "out.mpo"
        src.write_bytes(f.mpo(images, tuple(before), tuple(after)))
        stamp(src, dst, LEGACY if legacy else BASE)
        _check_mpo(src, dst, images)


@pytest.mark.slow  # exiftool twice, ~1 s
def test_exiftool_extracts_the_same_second_image(tmp_path: Path) -> None:
    if not shutil.which("exiftool"):
        pytest.skip("exiftool not installed")
    src = tmp_path / "in.mpo"
    src.write_bytes(f.mpo([FIRST, SECOND], (APP0,), (OLD_XMP, COMMENT)))
    dst = tmp_path / "out.mpo"
    stamp(src, dst, LEGACY)
    second = subprocess.run(
        ["exiftool", "-b", "-MPImage2", str(dst)], capture_output=True, check=True
    ).stdout
    assert second == SECOND
    listing = subprocess.run(
        ["exiftool", "-a", "-s", "-MPF:MPImageLength", "-MPF:MPImageStart", str(dst)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split("\n")
    first = dst.stat().st_size - len(SECOND)
    # lengths of both images, then their starts (exiftool gives file offsets)
    assert [line.split(": ")[1] for line in listing if line] == [
        str(first),
        str(len(SECOND)),
        "0",
        str(first),
    ]


def test_unreadable_mpf_and_malformed_exif_are_copied_byte_for_byte(tmp_path: Path) -> None:
    """The Nintendo 3DS case: an MP Index and an Exif block no TIFF reader parses. Neither
    is ours; both are kept as they are, and only the legacy EXIF write is given up."""
    good = f.mpo([FIRST, SECOND], (APP0, BAD_EXIF))
    i = good.index(b"MPF\x00II")
    data = good[: i + 4] + b"\x00\x00" + good[i + 6 :]  # no II/MM byte order mark
    src = tmp_path / "3ds.mpo"
    src.write_bytes(data)
    dst = tmp_path / "out.mpo"
    result = stamp(src, dst, LEGACY)
    assert result.status == "changed" and "EXIF not updated" in result.reason
    out = dst.read_bytes()
    mpf_segment = data[i - 4 : i + 4 + 2 + 100]
    assert BAD_EXIF in out and mpf_segment in out and out.endswith(SECOND)
    assert f.frames(dst)[0] == f.frames(src)[0]


def test_unreadable_mpf_refuses_to_move_what_it_points_to(tmp_path: Path) -> None:
    good = f.mpo([FIRST, SECOND], (), (OLD_XMP,))
    i = good.index(b"MPF\x00II")
    src = tmp_path / "bad.mpo"
    src.write_bytes(good[: i + 4] + b"\x00\x00" + good[i + 6 :])
    before = src.read_bytes()
    with pytest.raises(ImageError) as info:
        stamp(src, tmp_path / "out.mpo", BASE)
    assert "MPF index" in info.value.detail
    assert src.read_bytes() == before and not (tmp_path / "out.mpo").exists()


PLAIN = f.save(
    f.photo((64, 48), 1), "JPEG", exif=f.exif_bytes(6), icc_profile=f.icc_profile(), comment=b"c"
)


def _with_stray_bytes(stray: list[bytes]) -> bytes:
    """``PLAIN`` with ``stray[k]`` before its k-th marker segment."""
    segs, tail = f.jpeg_segments(PLAIN)
    raw = [f.jpeg_segment(m, p) for m, p in segs]
    body = b"".join(s + r for s, r in zip(stray, raw, strict=False)) + b"".join(raw[len(stray) :])
    return b"\xff\xd8" + body + tail


# before APP0 nothing can stand (FF D8 FF is the signature); then Exif, ICC, COM, DQT
STRAY = [b"", b"\x00\x12junk\xff\x00", b"\xff\xff\xff", b"junk", b"\xff\x00\xff\x00\xff"]


@pytest.mark.parametrize("legacy", [False, True])
def test_stray_ff00_fill_and_junk_between_segments_are_kept(tmp_path: Path, legacy: bool) -> None:
    """libjpeg skips these (with a warning) and so do browsers; they are not ours to drop."""
    data = _with_stray_bytes(STRAY)
    src = tmp_path / "stray.jpg"
    src.write_bytes(data)
    dst = tmp_path / "out.jpg"
    assert stamp(src, dst, LEGACY if legacy else BASE).status == "changed"
    out = dst.read_bytes()
    segs, _ = f.jpeg_segments(PLAIN)
    for stray, (marker, _payload) in zip(STRAY[1:], segs[1:], strict=False):
        assert stray + bytes([0xFF, marker]) in out  # also before the Exif we rewrite
    assert f.frames(dst) == f.frames(src)
    assert stamp(dst, dst, LEGACY if legacy else BASE).status == "unchanged"


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stray=st.lists(
        st.sampled_from([b"", b"\xff\x00", b"\xff\xff", b"\x00", b"\x01\x02\xff\x00"]),
        min_size=0,
        max_size=8,
    ),
    legacy=st.booleans(),
)
def test_stray_bytes_anywhere_before_the_scan_survive(stray: list[bytes], legacy: bool) -> None:
    import tempfile

    stray = [b"", *stray]  # a JPEG starts FF D8 FF: nothing stray right after SOI
    data = _with_stray_bytes(stray)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.jpg", Path(tmp) / "out.jpg"
        src.write_bytes(data)
        stamp(src, dst, LEGACY if legacy else BASE)
        out = dst.read_bytes()
        # What we wrote, taken out again, leaves the original: our segments are whole
        # segments inserted or replacing ours, everything else is where it was.
        segs, _ = f.jpeg_segments(PLAIN)
        for s, (marker, payload) in zip(stray, segs, strict=False):
            if marker != 0xE1:  # the Exif APP1 is ours to rewrite in legacy mode
                assert s + f.jpeg_segment(marker, payload) in out
        assert f.frames(dst) == f.frames(src)


def test_mpf_patch_keeps_segment_length(tmp_path: Path) -> None:
    from optout_site.images import mpf

    data = f.mpo([FIRST, SECOND, THIRD])
    i = data.index(b"MPF\x00") + 4
    (length,) = struct.unpack(">H", data[i - 6 : i - 4])
    blob = data[i : i - 6 + length]
    index = mpf.parse(blob)
    assert index is not None and len(index.entries) == 3
    new = mpf.patched(blob, index, 100, 7)
    assert len(new) == len(blob)
    assert mpf.parse(new) == dataclasses.replace(
        index,
        entries=(
            (index.entries[0][0] + 100, 0),
            *((s, o + 7) for s, o in index.entries[1:]),
        ),
    )
