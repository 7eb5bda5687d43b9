"""The MP Index of an MPO / Ultra HDR JPEG (CIPA DC-007 §5.2), kept true when we edit.

The APP2 ``MPF\\0`` segment of the first image holds a TIFF-structured index: tag 0xB002
lists one 16-byte entry per image (attribute, size, offset, two dependent-image entries).
The first image's entry has offset 0 and the size of the whole first image (SOI to EOI);
every later image's offset counts from the MPF header (the TIFF byte-order mark right
after ``MPF\\0``). So growing the first image changes its size, and bytes inserted after
the MPF segment move every later image relative to that header; bytes inserted before
it move both alike and change no offset. :func:`patched` rewrites just those numbers, in
place, so the segment keeps its length and every other byte.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from optout_site.errors import ImageError
from optout_site.images import tiff

SIG = b"MPF\x00"
MP_ENTRY = 0xB002


@dataclass(frozen=True)
class Index:
    """Where the entry table lies in the MPF payload (after ``MPF\\0``) and what it says."""

    bo: str
    table: int  # offset of the first entry, from the MPF header
    entries: tuple[tuple[int, int], ...]  # (image size, offset from the MPF header)


def parse(blob: bytes) -> Index | None:
    """The MP Index of an MPF payload (the bytes after ``MPF\\0``), or None when there is
    no entry table. Raises ImageError when the structure cannot be read."""

    def read(offset: int, length: int, what: str) -> bytes:
        if offset < 0 or offset + length > len(blob):
            raise ImageError(f"MPF {what} lies outside the segment")
        return blob[offset : offset + length]

    bo = tiff.byte_order(blob[:2])
    (first,) = struct.unpack(bo + "I", read(4, 4, "IFD offset"))
    entries, _ = tiff.read_ifd(read, bo, first, "MP Index IFD")
    raw = dict(entries).get(MP_ENTRY)
    if raw is None:
        return None
    offset, length, inline = tiff.value_span(bo, raw)
    table = raw[8 : 8 + length] if inline else read(offset, length, "MP entry table")
    if inline or length % 16:
        raise ImageError("MPF entry table is not a whole number of 16-byte entries")
    pairs = tuple(struct.unpack(bo + "II", table[i + 4 : i + 12]) for i in range(0, len(table), 16))
    return Index(bo, offset, pairs)


def patched(blob: bytes, index: Index, grown: int, moved: int) -> bytes:
    """``blob`` with the first image ``grown`` bytes larger and every later image ``moved``
    bytes further from the MPF header; every other byte as it was."""
    out = bytearray(blob)
    for i, (size, offset) in enumerate(index.entries):
        at = index.table + 16 * i + 4
        if offset == 0:
            size += grown  # the first image: it holds everything we write
        else:
            offset += moved
        if not (0 <= size < 1 << 32 and 0 <= offset < 1 << 32):
            raise ImageError("MPF image offsets would pass 4 GiB")
        out[at : at + 8] = struct.pack(index.bo + "II", size, offset)
    return bytes(out)
