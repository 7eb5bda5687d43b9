"""Legacy EXIF rights: IFD0 Artist and Copyright, for readers that know no XMP.

Exif 2.3 defines both as ASCII, so they get an ASCII spelling of the text
(:func:`exif_ascii`) or, where there is none, are left out with a note: the XMP, which is
Unicode, carries the exact text. An existing Exif block gets a new IFD0 appended inside
it (:func:`update_exif`, through :func:`optout_site.images.tiff.append_ifd`); a JPEG
without one gets a minimal block (:func:`new_exif`).
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass

from optout_site.errors import ImageError
from optout_site.images import iim, tiff
from optout_site.images.rights import ImageRights

# What NFKD leaves whole but has a usual ASCII spelling (as in CLDR's Latin-ASCII
# transform, but © → "(c)", the form people type). Letters with accents need no entry: NFKD
# splits off the accent, which is dropped (é → e); compatibility forms fold too (ﬁ → fi).
_ASCII_SPELLING = str.maketrans(
    {
        "\u00a9": "(c)",
        "\u00ae": "(R)",
        "\u00df": "ss",
        "\u1e9e": "SS",
        "\u00c6": "AE",
        "\u00e6": "ae",
        "\u0152": "OE",
        "\u0153": "oe",
        "\u00d8": "O",
        "\u00f8": "o",
        "\u0110": "D",
        "\u0111": "d",
        "\u00d0": "D",
        "\u00f0": "d",
        "\u0141": "L",
        "\u0142": "l",
        "\u00de": "Th",
        "\u00fe": "th",
        "\u0131": "i",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2044": "/",
    }
)


def exif_ascii(text: str) -> str | None:
    """``text`` spelled in ASCII for an Exif ASCII field, or None when it has no such spelling.

    Accents are dropped (NFKD, then no combining marks: ``Léa`` → ``Lea``) and a few signs
    and letters are spelled out (``©`` → ``(c)``, ``ß`` → ``ss``). A character with no
    spelling (a CJK or Cyrillic name, say) makes the whole text None: dropping it would
    change what the field says, not only how it is written.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    spelled = bare.translate(_ASCII_SPELLING)
    return spelled if spelled.isascii() else None


@dataclass(frozen=True)
class LegacyField:
    """One EXIF IFD0 text field of legacy mode, with the value it gets."""

    tag: int
    name: str  # the Exif tag name
    xmp: str  # the XMP property that carries the same text, in Unicode
    text: str  # what the config says
    data: bytes | None  # the ASCII value with its NUL, or None: no ASCII spelling

    @property
    def earlier(self) -> bytes:
        """What earlier versions of ours wrote: the text's UTF-8 bytes in the ASCII field."""
        return self.text.encode() + b"\x00"

    @property
    def left_out(self) -> str:
        return (
            f"EXIF {self.name} not written: {self.text!r} has no ASCII spelling and Exif "
            f"defines {self.name} as ASCII; the XMP {self.xmp}, which is Unicode, carries it"
        )


def legacy_fields(rights: ImageRights) -> list[LegacyField]:
    """Artist (0x013B) and Copyright (0x8298), for the texts ``rights`` has."""
    out = []
    for tag, name, xmp, text in (
        (0x013B, "Artist", "dc:creator", rights.creator),
        (0x8298, "Copyright", "dc:rights", rights.copyright),
    ):
        if text:
            spelled = exif_ascii(text)
            data = None if spelled is None else spelled.encode("ascii") + b"\x00"
            out.append(LegacyField(tag, name, xmp, text, data))
    return out


def update_exif(
    body: bytes, fields: list[LegacyField], overwrite: bool
) -> tuple[bytes | None, list[str]]:
    """Exif APP1 payload with IFD0 Artist/Copyright set (None if nothing changes), and
    a note for each field that is due but has no ASCII spelling.

    A field the file already fills is kept unless ``overwrite``, except a value an earlier
    version of ours wrote (the same text as UTF-8 bytes): that one is ours to correct.
    Where the text has no ASCII spelling, a value of ours (or, with ``overwrite``, the
    file's) is removed rather than left to contradict the XMP.
    """
    blob = body[6:]

    def read(offset: int, length: int, what: str) -> bytes:
        if offset < 0 or offset + length > len(blob):
            raise iim.LegacySkip(f"EXIF not updated: {what} lies outside the Exif segment")
        return blob[offset : offset + length]

    notes = []
    try:
        bo = tiff.byte_order(blob[:2])
        (ifd0,) = struct.unpack(bo + "I", read(4, 4, "IFD0 offset"))
        entries, next_ifd = tiff.read_ifd(read, bo, ifd0, "Exif IFD0")
        current = dict(entries)
        updates = {}
        removed = set()
        for field in fields:
            if field.tag in current:
                old = tiff.entry_value(read, bo, current[field.tag], f"Exif IFD0 tag {field.tag}")
                ours = old == field.earlier
                if old == field.data or (not overwrite and not ours and old.strip(b"\x00 ")):
                    continue
                if field.data is None and old.strip(b"\x00 "):
                    removed.add(field.tag)
            if field.data is None:
                notes.append(field.left_out)
            else:
                updates[field.tag] = (2, len(field.data), field.data)
    except ImageError as exc:
        # A damaged Exif block is not ours to judge; the XMP is still written.
        raise iim.LegacySkip(f"EXIF not updated: {exc}") from None
    if not updates and not removed:
        return None, notes
    kept = [entry for entry in entries if entry[0] not in removed]
    tail, offset = tiff.append_ifd(bo, kept, next_ifd, len(blob), updates)
    return body[:6] + blob[:4] + struct.pack(bo + "I", offset) + blob[8:] + tail, notes


# IFD0/Exif-IFD tags the Exif spec requires, so that a created block validates cleanly.
_REQUIRED_IFD0 = {
    0x011A: (5, 1, struct.pack(">II", 72, 1)),  # XResolution
    0x011B: (5, 1, struct.pack(">II", 72, 1)),  # YResolution
    0x0128: (3, 1, struct.pack(">H", 2)),  # ResolutionUnit: inches
    0x0213: (3, 1, struct.pack(">H", 1)),  # YCbCrPositioning: centered
}
_REQUIRED_EXIF = {
    0x9000: (7, 4, b"0232"),  # ExifVersion
    0x9101: (7, 4, b"\x01\x02\x03\x00"),  # ComponentsConfiguration: YCbCr
    0xA000: (7, 4, b"0100"),  # FlashpixVersion
    0xA001: (3, 1, struct.pack(">H", 0xFFFF)),  # ColorSpace: uncalibrated (we don't know)
}


def new_exif(fields: list[LegacyField], width: int, height: int) -> bytes | None:
    """A minimal big-endian Exif APP1 payload carrying Artist/Copyright (those that have
    an ASCII spelling), or None when neither has one."""
    values = {f.tag: f.data for f in fields if f.data is not None}
    if not values:
        return None
    exif_tags = dict(_REQUIRED_EXIF)
    exif_tags[0xA002] = (4, 1, struct.pack(">I", width))  # PixelXDimension
    exif_tags[0xA003] = (4, 1, struct.pack(">I", height))  # PixelYDimension
    exif_ifd, exif_offset = tiff.append_ifd(">", [], 0, 8, exif_tags)
    updates = dict(_REQUIRED_IFD0)
    updates.update({tag: (2, len(data), data) for tag, data in values.items()})
    updates[0x8769] = (4, 1, struct.pack(">I", exif_offset))  # ExifIFD pointer
    ifd0, ifd0_offset = tiff.append_ifd(">", [], 0, 8 + len(exif_ifd), updates)
    return b"Exif\x00\x00MM\x00\x2a" + struct.pack(">I", ifd0_offset) + exif_ifd + ifd0
