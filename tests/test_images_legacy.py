"""Legacy mode (JPEG only): EXIF IFD0 Copyright/Artist and IPTC-IIM 2:116/2:80."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import struct
import subprocess
from pathlib import Path

import imagefactory as f
import pytest
from PIL import Image
from support import BASE

from optout_site.build.work import stamp_image as stamp
from optout_site.images import exif, iim, inspect

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


@pytest.mark.slow  # exiftool and Pillow over the stamped file, ~0.8 s
def test_exif_and_iptc_created_in_existing_exif(tmp_path: Path) -> None:
    src, dst = stamped(tmp_path, "a.jpg", f.catalogue()["exif_icc.jpg"])
    tags = exiftool(dst, *TAGS)
    assert tags["Copyright"] == "(c) 2025 Jane" and tags["Artist"] == "Jane"  # ASCII fields
    assert tags["CopyrightNotice"] == "\u00a9 2025 Jane" and tags["By-line"] == "Jane"
    assert tags["Make"] == "TestCam" and tags["Orientation"] == "6"
    with Image.open(src) as a, Image.open(dst) as b:
        old, new = a.getexif(), b.getexif()
        assert {k: v for k, v in new.items() if k not in (0x013B, 0x8298)} == dict(old)
        assert a.info["icc_profile"] == b.info["icc_profile"]
        assert new.get_ifd(0x8769) == old.get_ifd(0x8769)


@pytest.mark.slow  # exiftool and Pillow over the stamped file, ~0.8 s
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
    assert (tags["Copyright"], tags["Artist"]) == ("(c) 2025 Jane", "Jane")
    assert tags["CopyrightNotice"] == "\u00a9 2025 Jane"


@pytest.mark.slow  # exiftool and Pillow over the stamped file, ~0.8 s
def test_exif_block_created_when_missing(tmp_path: Path) -> None:
    _, dst = stamped(tmp_path, "e.jpg", f.catalogue()["gray.jpg"])
    tags = exiftool(dst, *TAGS)
    assert tags["Copyright"] == "(c) 2025 Jane" and tags["Artist"] == "Jane"
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


# --- Exif Artist/Copyright are ASCII (Exif 2.3 §4.6.5): an ASCII spelling or nothing -------

LEA = dataclasses.replace(
    LEGACY, copyright="\u00a9 2025 L\u00e9a Moreau", creator="L\u00e9a Moreau"
)
YAMADA = "\u5c71\u7530\u592a\u90ce"  # a name with no ASCII spelling


def exif_text(path: Path) -> dict[str, str]:
    """EXIF Artist/Copyright as exiftool reports them (``-j``), and nothing else."""
    if not EXIFTOOL:
        pytest.skip("exiftool not installed")
    proc = subprocess.run(
        [EXIFTOOL, "-j", "-EXIF:Artist", "-EXIF:Copyright", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {k: v for k, v in json.loads(proc.stdout)[0].items() if k != "SourceFile"}


def raw_ifd0_text(path: Path) -> dict[int, bytes]:
    """The stored bytes of IFD0 Artist/Copyright (Pillow decodes ASCII as Latin-1)."""
    with Image.open(path) as im:
        exif = im.getexif()
        return {t: exif[t].encode("latin-1") for t in (0x013B, 0x8298) if t in exif}


def with_exif_text(artist: bytes, copyright: bytes = b"") -> bytes:
    """A JPEG whose IFD0 stores ``artist``/``copyright`` byte for byte (Pillow alone
    would re-encode them as ASCII with '?' for the rest)."""
    holders = {0x013B: "A" * len(artist), 0x8298: "C" * len(copyright)}
    exif = f.exif_bytes(1, artist=holders[0x013B], copyright=holders[0x8298] if copyright else "")
    exif = exif.replace(holders[0x013B].encode() + b"\x00", artist + b"\x00")
    if copyright:
        exif = exif.replace(holders[0x8298].encode() + b"\x00", copyright + b"\x00")
    return f.save(f.photo((32, 24)), "JPEG", exif=exif)


@pytest.mark.parametrize(
    ("text", "ascii"),
    [
        ("Jane Doe", "Jane Doe"),
        ("L\u00e9a Moreau", "Lea Moreau"),
        ("\u00a9 2025 Jane", "(c) 2025 Jane"),
        ("J\u00fcrgen Gro\u00df\u00ae", "Jurgen Gross(R)"),
        ("S\u00f8ren \u00c6r\u00f8 \u0141ukasz", "Soren AEro Lukasz"),
        ("\u201cStudio\u201d \u2013 \ufb01ne\u2122", '"Studio" - fineTM'),
        (YAMADA, None),
        ("Jane \u0418\u0432\u0430\u043d\u043e\u0432\u0430", None),  # never half a name
    ],
)
def test_exif_ascii_spelling(text: str, ascii: str | None) -> None:
    assert exif.exif_ascii(text) == ascii


@pytest.mark.slow  # exiftool and Pillow over the stamped file, ~0.8 s
@pytest.mark.parametrize("name", ["gray.jpg", "exif_icc.jpg"])  # Exif created / updated
def test_exif_artist_and_copyright_are_written_in_ascii(tmp_path: Path, name: str) -> None:
    src, dst = stamped(tmp_path, name, f.catalogue()[name], LEA)  # pixels, no new warning
    assert exif_text(dst) == {"Artist": "Lea Moreau", "Copyright": "(c) 2025 Lea Moreau"}
    assert raw_ifd0_text(dst) == {0x013B: b"Lea Moreau", 0x8298: b"(c) 2025 Lea Moreau"}
    tags = exiftool(dst, "-IPTC:By-line", "-IPTC:CopyrightNotice", "-XMP-dc:Creator")
    # IIM declares UTF-8 (1:90) and XMP is Unicode: both keep the exact text.
    assert tags["By-line"] == tags["Creator"] == "L\u00e9a Moreau"
    assert tags["CopyrightNotice"] == "\u00a9 2025 L\u00e9a Moreau"
    with Image.open(src) as a, Image.open(dst) as b:
        old, new = a.getexif(), b.getexif()
        assert {k: new.get(k) for k in old} == dict(old)  # the file's own tags, kept


@pytest.mark.slow  # exiftool and Pillow over the stamped file, ~0.8 s
@pytest.mark.parametrize("name", ["gray.jpg", "exif_icc.jpg"])
def test_text_without_ascii_spelling_leaves_the_exif_field_out(tmp_path: Path, name: str) -> None:
    rights = dataclasses.replace(LEGACY, creator=YAMADA)
    src, dst = stamped(tmp_path, name, f.catalogue()[name], rights)
    assert exif_text(dst) == {"Copyright": "(c) 2025 Jane"}  # no Artist at all
    note = inspect(src, rights).reason
    assert "EXIF Artist not written" in note and "XMP dc:creator" in note
    assert "Copyright" not in note
    tags = exiftool(dst, "-XMP-dc:Creator", "-IPTC:By-line")
    assert tags["Creator"] == tags["By-line"] == YAMADA


def test_a_file_without_any_ascii_text_gets_no_exif_block(tmp_path: Path) -> None:
    rights = dataclasses.replace(LEGACY, creator=YAMADA, copyright=f"\u00a9 {YAMADA}")
    src, dst = stamped(tmp_path, "n.jpg", f.catalogue()["gray.jpg"], rights)
    assert not any(
        m == 0xE1 and p.startswith(b"Exif") for m, p in f.jpeg_segments(dst.read_bytes())[0]
    )
    note = inspect(src, rights).reason
    assert "EXIF Artist not written" in note and "EXIF Copyright not written" in note


@pytest.mark.slow  # exiftool and Pillow over the stamped file, ~0.8 s
def test_utf8_an_earlier_build_wrote_is_corrected(tmp_path: Path) -> None:
    # What this writer stored before: the UTF-8 bytes of the text in the ASCII fields.
    data = with_exif_text("L\u00e9a Moreau".encode(), "\u00a9 2025 L\u00e9a Moreau".encode())
    _, dst = stamped(tmp_path, "m.jpg", data, LEA)
    assert raw_ifd0_text(dst) == {0x013B: b"Lea Moreau", 0x8298: b"(c) 2025 Lea Moreau"}
    # ... and where there is no ASCII spelling, our earlier field goes rather than stay.
    rights = dataclasses.replace(LEGACY, creator=YAMADA)
    _, dst = stamped(tmp_path, "y.jpg", with_exif_text(YAMADA.encode()), rights)
    assert exif_text(dst) == {"Copyright": "(c) 2025 Jane"}


@pytest.mark.slow  # exiftool and Pillow over the stamped file, ~0.8 s
def test_the_files_own_non_ascii_artist_is_kept_unless_overwrite(tmp_path: Path) -> None:
    data = with_exif_text("Jos\u00e9 Own".encode())  # not what we would have written
    _, kept = stamped(tmp_path, "k.jpg", data, dataclasses.replace(LEGACY, creator=YAMADA))
    assert raw_ifd0_text(kept)[0x013B] == "Jos\u00e9 Own".encode()
    overwrite = dataclasses.replace(LEGACY, creator=YAMADA, overwrite=True)
    _, replaced = stamped(tmp_path, "o.jpg", data, overwrite)
    # Overwritten in the XMP, so an old EXIF Artist would contradict it: it goes too.
    assert 0x013B not in raw_ifd0_text(replaced)
