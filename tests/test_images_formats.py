"""Every container: stamped output decodes to the same pixels, every byte we don't own is
unchanged, exiftool and exiv2 read the rights back, and exiftool -validate finds
nothing new. External tools run once per session over the whole corpus (batch mode)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import imagefactory as f
import pytest
from PIL import Image
from support import FULL

from optout_site.build.work import stamp_image as stamp
from optout_site.images import read_xmp

RIGHTS = FULL
NAMES = sorted(f.catalogue())
# Fixtures that already carry another tool's XMP with its own dc:rights/dc:creator.
FOREIGN = {n for n in NAMES if n.startswith(("foreign", "extended", "xmp_after"))}
EXIFTOOL, EXIV2 = shutil.which("exiftool"), shutil.which("exiv2")


def _exiftool_by_file(args: list[str], files: list[Path]) -> dict[str, list[str]]:
    """Run exiftool once over many files; lines grouped per file name."""
    proc = subprocess.run(
        [EXIFTOOL, *args, *map(str, files)], capture_output=True, text=True, check=False
    )
    out: dict[str, list[str]] = {}
    current = None
    for line in proc.stdout.splitlines():
        if line.startswith("======== "):
            current = line[9:]
            out[current] = []
        elif current and not line.strip().endswith("files read"):
            out[current].append(line.strip())
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("corpus")
    inputs = f.write_catalogue(root / "in")
    outdir = root / "out"
    results, outputs = {}, {}
    for name, path in inputs.items():
        outputs[name] = outdir / name
        results[name] = stamp(path, outputs[name], RIGHTS)
    return {"in": inputs, "out": outputs, "results": results}


@pytest.fixture(scope="module")
def exiftool_reports(corpus: dict) -> dict:
    """exiftool run once over the whole corpus (only the tests marked slow need it)."""
    data: dict = {"exiftool": {}, "validate": {}}
    if EXIFTOOL:
        files = list(corpus["in"].values()) + list(corpus["out"].values())
        data["validate"] = _exiftool_by_file(["-validate", "-warning", "-a", "-s3"], files)
        data["exiftool"] = _exiftool_by_file(
            [
                "-s",
                "-G1",
                "-a",
                "-XMP-plus:DataMining",
                "-XMP-dc:Rights",
                "-XMP-dc:Creator",
                "-XMP-xmpRights:WebStatement",
                "-XMP-plus:LicensorName",
                "-XMP-iptcCore:CreatorWorkEmail",
            ],
            list(corpus["out"].values()),
        )
    return data


@pytest.mark.parametrize("name", NAMES)
def test_changed_and_pixels_identical(corpus: dict, name: str) -> None:
    assert corpus["results"][name].status == "changed"
    assert f.frames(corpus["in"][name]) == f.frames(corpus["out"][name])


@pytest.mark.parametrize("name", NAMES)
def test_pillow_icc_and_exif_unchanged(corpus: dict, name: str) -> None:
    with Image.open(corpus["in"][name]) as a, Image.open(corpus["out"][name]) as b:
        assert a.info.get("icc_profile") == b.info.get("icc_profile")
        assert a.info.get("exif") == b.info.get("exif")
        assert a.getexif().get(0x0112) == b.getexif().get(0x0112)  # orientation


def _mpf_as_before(
    a: list[tuple[int, bytes]], b: list[tuple[int, bytes]], grown: int
) -> list[tuple[int, bytes]]:
    """``b`` with its MPF segment checked and put back as in ``a``: the one number we
    own there is the first image's size (little-endian in Pillow's MPOs), grown by what
    we added; we insert before the MPF segment, so no offset moves."""
    old = next((p for m, p in a if m == 0xE2 and p.startswith(b"MPF\x00")), None)
    if old is None:
        return b
    new = next(p for m, p in b if m == 0xE2 and p.startswith(b"MPF\x00"))
    head = old[4:]
    assert head[:2] == b"II"
    ifd = int.from_bytes(head[4:8], "little")
    entries = [head[ifd + 2 + 12 * k : ifd + 14 + 12 * k] for k in range(head[ifd])]
    table = next(int.from_bytes(e[8:12], "little") for e in entries if e[:2] == b"\x02\xb0")
    at = 4 + table + 4  # the first entry's size field
    size = int.from_bytes(old[at : at + 4], "little")
    assert int.from_bytes(new[at : at + 4], "little") == size + grown
    assert len(old) == len(new) and old[:at] + old[at + 4 :] == new[:at] + new[at + 4 :]
    return [(m, old if p == new else p) for m, p in b]


@pytest.mark.parametrize("name", NAMES)
def test_bytes_we_do_not_own_unchanged(corpus: dict, name: str) -> None:
    before = corpus["in"][name].read_bytes()
    after = corpus["out"][name].read_bytes()
    kind = name.rsplit(".", 1)[1]
    if kind == "jpg":
        (a, a_tail), (b, b_tail) = f.jpeg_segments(before), f.jpeg_segments(after)
        strip = [s for s in a if not (s[0] == 0xE1 and s[1].startswith(f.XMP_SIG))]
        b = _mpf_as_before(a, b, len(after) - len(before))
        assert [s for s in b if not (s[0] == 0xE1 and s[1].startswith(f.XMP_SIG))] == strip
        assert a_tail == b_tail
        assert sum(s[0] == 0xE1 and s[1].startswith(f.XMP_SIG) for s in b) == 1
    elif kind == "png":
        (a, a_tail), (b, b_tail) = f.png_chunks(before), f.png_chunks(after)
        assert [c for c in b if not f.is_png_xmp(*c)] == [c for c in a if not f.is_png_xmp(*c)]
        assert a_tail == b_tail
        xmp_at = [i for i, c in enumerate(b) if f.is_png_xmp(*c)]
        first_idat = next(i for i, c in enumerate(b) if c[0] == b"IDAT")
        assert len(xmp_at) == 1 and xmp_at[0] < first_idat
    elif kind == "webp":
        (a, a_tail), (b, b_tail) = f.webp_chunks(before), f.webp_chunks(after)
        assert [c for c in b if c[0] not in (b"XMP ", b"VP8X")] == [
            c for c in a if c[0] not in (b"XMP ", b"VP8X")
        ]
        assert a_tail == b_tail
        assert b[0][0] == b"VP8X" and b[0][1][0] & 0x04
        if a[0][0] == b"VP8X":
            assert b[0][1][0] == a[0][1][0] | 0x04 and b[0][1][1:] == a[0][1][1:]
        else:
            with Image.open(corpus["in"][name]) as im:
                w, h = im.size
            canvas = b[0][1][4:10]
            assert int.from_bytes(canvas[:3], "little") + 1 == w
            assert int.from_bytes(canvas[3:], "little") + 1 == h
    elif kind == "tif":
        assert after[:4] == before[:4] and after[8 : len(before)] == before[8:]
        (_, a), (_, b) = f.tiff_ifd0(before), f.tiff_ifd0(after)
        assert {k: v for k, v in b.items() if k != 700} == {k: v for k, v in a.items() if k != 700}
        assert list(b) == sorted(b)
    elif kind == "gif":
        (ah, a, a_tail), (bh, b, b_tail) = f.gif_blocks(before), f.gif_blocks(after)
        assert bh[:6] == b"GIF89a" and bh[6:] == ah[6:]
        assert [x for x in b if not f.is_gif_xmp(x)] == [x for x in a if not f.is_gif_xmp(x)]
        assert a_tail == b_tail
        assert sum(map(f.is_gif_xmp, b)) == 1
    else:  # pragma: no cover
        raise AssertionError(kind)


@pytest.mark.parametrize("name", NAMES)
def test_read_xmp_returns_our_packet(corpus: dict, name: str) -> None:
    packet = read_xmp(corpus["out"][name])
    assert packet is not None and f.DMI.encode() in packet
    if name.endswith((".png", ".webp", ".tif", ".jpg")):
        with Image.open(corpus["out"][name]) as im:
            assert im.info.get("xmp") in (packet, packet.decode())  # Pillow finds it too


@pytest.mark.slow  # external tools over every file of the catalogue
@pytest.mark.parametrize("name", NAMES)
def test_exiftool_reads_rights(corpus: dict, exiftool_reports: dict, name: str) -> None:
    if not EXIFTOOL:
        pytest.skip("exiftool not installed")
    lines = exiftool_reports["exiftool"][str(corpus["out"][name])]
    text = "\n".join(lines)
    # exiftool 12.57 predates the tag and prints the raw URI; newer ones print a label.
    assert f"DataMining                      : {f.DMI}" in text or "AI/ML training" in text
    if name in FOREIGN:
        # The file names another author: theirs is kept and only the reservation added.
        assert "Rights                          : (c) Foreign Owner" in text
        assert "Creator                         : Foreign Creator" in text
        assert "LicensorName" not in text
    else:
        assert "[XMP-plus]      LicensorName" in text
        assert "Rights                          : \u00a9 2025 Jane Doe" in text
        assert "Creator                         : Jane Doe" in text


@pytest.mark.slow  # external tools over every file of the catalogue
@pytest.mark.parametrize("name", NAMES)
def test_exiftool_validate_reports_nothing_new(
    corpus: dict, exiftool_reports: dict, name: str
) -> None:
    if not EXIFTOOL:
        pytest.skip("exiftool not installed")
    before = set(exiftool_reports["validate"][str(corpus["in"][name])][1:])
    after = set(exiftool_reports["validate"][str(corpus["out"][name])][1:])
    assert after <= before, after - before


@pytest.mark.slow  # external tools over every file of the catalogue
# exiv2 has no GIF metadata support (exiftool covers GIF above), so GIFs are not asked.
@pytest.mark.parametrize("name", [n for n in NAMES if not n.endswith(".gif")])
def test_exiv2_reads_rights(corpus: dict, name: str) -> None:
    if not EXIV2:
        pytest.skip("exiv2 not installed")
    proc = subprocess.run(
        [
            EXIV2,
            "-K",
            "Xmp.plus.DataMining",
            "-K",
            "Xmp.dc.rights",
            "-K",
            "Xmp.dc.creator",
            "-Pkv",
            str(corpus["out"][name]),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Xmp.plus.DataMining" in proc.stdout and f.DMI in proc.stdout
    expect = "Foreign" if name in FOREIGN else "Jane Doe"
    assert expect in proc.stdout.split("Xmp.dc.rights")[1]
    assert "Xmp.dc.creator" in proc.stdout


@pytest.mark.parametrize("name", NAMES)
def test_second_stamp_unchanged_and_in_place(corpus: dict, name: str, tmp_path: Path) -> None:
    out = corpus["out"][name]
    data = out.read_bytes()
    copy = tmp_path / name
    assert stamp(out, copy, RIGHTS).status == "unchanged"
    assert not copy.exists()  # nothing written; the caller copies
    assert stamp(out, out, RIGHTS).status == "unchanged"
    assert out.read_bytes() == data
    # In place on a fresh copy of the input gives exactly the out-of-place bytes.
    shutil.copyfile(corpus["in"][name], copy)
    assert stamp(copy, copy, RIGHTS).status == "changed"
    assert copy.read_bytes() == data


def test_extended_xmp_segment_kept(corpus: dict) -> None:
    segs, _ = f.jpeg_segments(corpus["out"]["extended_xmp.jpg"].read_bytes())
    ext = [p for m, p in segs if m == 0xE1 and p.startswith(f.EXT_SIG)]
    assert ext and ext[0] == f.extended_xmp()[1][4:]
    assert b"xmpNote:HasExtendedXMP" in read_xmp(corpus["out"]["extended_xmp.jpg"])


def test_xmp_after_idat_moves_before_idat(corpus: dict) -> None:
    chunks, tail = f.png_chunks(corpus["out"]["xmp_after_idat.png"].read_bytes())
    assert f.is_png_xmp(*chunks[1]) and tail == b"trailing junk after IEND"


def test_gif_xmp_after_netscape_loop(corpus: dict) -> None:
    _, blocks, _ = f.gif_blocks(corpus["out"]["animated.gif"].read_bytes())
    assert blocks[0].startswith(b"\x21\xff\x0bNETSCAPE2.0") and f.is_gif_xmp(blocks[1])


def test_mpo_second_frame_survives(corpus: dict) -> None:
    with Image.open(corpus["out"]["mpo.jpg"]) as im:
        assert im.n_frames == 2
