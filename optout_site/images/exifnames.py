"""Author names in EXIF and IPTC-IIM blobs, for the containers' ``authors``.

EXIF IFD0 Artist (0x013B) and Copyright (0x8298) in an Exif blob (JPEG APP1, PNG
``eXIf``, WebP ``EXIF``: a TIFF structure, sometimes behind an ``Exif\\0\\0`` prefix), and
IPTC-IIM By-line (2:80) in a Photoshop IRB. Damaged metadata names nobody: it is not
ours to judge, and the XMP is still written.
"""

from __future__ import annotations

import struct

from optout_site.errors import ImageError
from optout_site.images import authorship, iim, tiff

ARTIST, COPYRIGHT = 0x013B, 0x8298


def exif_authors(blob: bytes) -> tuple[str, ...]:
    """Artist and Copyright texts of IFD0 in ``blob``."""
    if blob.startswith(b"Exif\x00"):
        blob = blob[6:]

    def read(offset: int, length: int, what: str) -> bytes:
        if offset < 0 or offset + length > len(blob):
            raise ImageError(f"{what} lies outside the Exif data")
        return blob[offset : offset + length]

    try:
        bo = tiff.byte_order(blob[:2])
        (ifd0,) = struct.unpack(bo + "I", read(4, 4, "IFD0 offset"))
        entries, _next = tiff.read_ifd(read, bo, ifd0, "Exif IFD0")
        return tuple(
            text
            for tag, raw in entries
            if tag in (ARTIST, COPYRIGHT)
            for text in authorship.decode(tiff.entry_value(read, bo, raw, "Exif IFD0"))
        )
    except (ImageError, struct.error):
        return ()


def irb_authors(irb: bytes) -> tuple[str, ...]:
    """By-line (2:80) texts of the IIM block in a Photoshop IRB."""
    try:
        resources, _trailer = iim.parse_irb(irb)
        found: list[str] = []
        for sig, rid, _name, data in resources:
            if (sig, rid) == (b"8BIM", iim.IPTC_NAA):
                datasets, _rest = iim.parse_iim(data)
                found += [
                    t for r, n, v in datasets if (r, n) == (2, 80) for t in authorship.decode(v)
                ]
        return tuple(found)
    except (iim.LegacySkip, struct.error, IndexError):
        return ()
