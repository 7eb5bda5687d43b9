"""ISO BMFF boxes for the HEIF/AVIF plugin: walking box trees and the item boxes.

Only what :mod:`optout_site.images.bmff` needs: box headers (32/64-bit sizes, size 0
meaning "to the end of the enclosing box", ``uuid`` extended types), and codecs for the
``iloc``, ``iinf``/``infe``, ``iref`` and ``pitm`` payloads (ISO/IEC 14496-12 §8.11,
ISO/IEC 23008-12 §9). Every read is bounds-checked, so malformed input raises
:class:`ImageError` and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from optout_site.errors import ImageError, Unsupported
from optout_site.images.container import Source

MAX_BODY = 16 * 1024 * 1024  # an item box (iloc, iinf, iref…) larger than this is not sane
MAX_BOXES = 100_000  # boxes in one container: a bound on the work hostile input can cause

# Where a source range (offset, length; None: to the end) lands in the output file.
Relocate = Callable[[int, int | None], int]


@dataclass(frozen=True)
class Box:
    type: bytes
    start: int
    header: int  # bytes before the payload (size, type, largesize, usertype)
    end: int
    usertype: bytes = b""  # the 16-byte extended type of a ``uuid`` box

    @property
    def body(self) -> int:
        return self.start + self.header

    @property
    def name(self) -> str:
        return self.type.decode("latin-1")


def boxes(source: Source, start: int, end: int, where: str) -> list[Box]:
    """The boxes tiling ``[start, end)``; a box running past ``end`` is corruption."""
    out: list[Box] = []
    pos = start
    while pos < end:
        if len(out) >= MAX_BOXES:
            raise ImageError(f"more than {MAX_BOXES} boxes in {where}")
        if end - pos < 8:
            raise ImageError(f"{end - pos} stray bytes at byte offset {pos} in {where}")
        head = source.read(pos, 8, f"box header in {where}")
        size, kind = int.from_bytes(head[:4], "big"), head[4:]
        header = 8
        if size == 1:
            size = int.from_bytes(source.read(pos + 8, 8, "64-bit box size"), "big")
            header = 16
        elif size == 0:
            size = end - pos
        usertype = b""
        if kind == b"uuid":
            usertype = source.read(pos + header, 16, "uuid box type")
            header += 16
        if size < header or pos + size > end:
            raise ImageError(
                f"box {kind!r} at byte offset {pos} declares {size} bytes, which does not "
                f"fit in {where} (ends at byte offset {end}): truncated or corrupt"
            )
        out.append(Box(kind, pos, header, pos + size, usertype))
        pos += size
    return out


def box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def full_box(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


def body(source: Source, b: Box) -> bytes:
    if b.end - b.body > MAX_BODY:
        raise ImageError(f"{b.name} box at byte offset {b.start} is implausibly large")
    return source.read(b.body, b.end - b.body, f"{b.name} box")


class Cursor:
    """Big-endian fields from a payload; reading past its end is corruption."""

    def __init__(self, data: bytes, what: str, offset: int) -> None:
        self.data, self.what, self.offset, self.pos = data, what, offset, 0

    def uint(self, size: int) -> int:
        if self.pos + size > len(self.data):
            raise ImageError(
                f"{self.what} box at byte offset {self.offset} is cut short "
                f"(needs {self.pos + size} bytes, has {len(self.data)})"
            )
        value = int.from_bytes(self.data[self.pos : self.pos + size], "big")
        self.pos += size
        return value

    def string(self) -> bytes:
        """A null-terminated string (a missing terminator at the end is tolerated)."""
        nul = self.data.find(b"\x00", self.pos)
        end = len(self.data) if nul < 0 else nul
        text, self.pos = self.data[self.pos : end], min(end + 1, len(self.data))
        return text

    def version(self, highest: int) -> tuple[int, int]:
        version, flags = self.uint(1), self.uint(3)
        if version > highest:
            raise Unsupported(
                f"{self.what} box version {version} at byte offset {self.offset} is not "
                "one we know how to edit"
            )
        return version, flags


# --- iloc ----------------------------------------------------------------------------------


@dataclass
class Extent:
    index: int
    offset: int
    length: int


@dataclass
class Location:
    item: int
    method: int  # construction_method: 0 file offset, 1 idat offset, 2 item offset
    dref: int  # data_reference_index: 0 is this file
    base: int
    extents: list[Extent] = field(default_factory=list)


@dataclass
class Iloc:
    version: int
    flags: int
    offset_size: int
    length_size: int
    base_size: int
    index_size: int  # the reserved nibble in version 0, kept as it was
    items: list[Location]

    def fits(self, value: int, size: int) -> bool:
        return 0 <= value < 1 << (8 * size) if size else value == 0


def parse_iloc(data: bytes, offset: int) -> Iloc:
    c = Cursor(data, "iloc", offset)
    version, flags = c.version(2)
    sizes, more = c.uint(1), c.uint(1)
    iloc = Iloc(version, flags, sizes >> 4, sizes & 15, more >> 4, more & 15, [])
    for name, size in (("offset", iloc.offset_size), ("length", iloc.length_size)):
        if size not in (0, 4, 8):
            raise ImageError(f"iloc box at byte offset {offset}: {name}_size {size}")
    if iloc.base_size not in (0, 4, 8) or (version and iloc.index_size not in (0, 4, 8)):
        raise ImageError(f"iloc box at byte offset {offset}: bad base_offset/index size")
    wide = 4 if version == 2 else 2
    for _ in range(c.uint(wide)):
        item = c.uint(wide)
        method = c.uint(2) & 15 if version else 0
        loc = Location(item, method, c.uint(2), c.uint(iloc.base_size))
        for _ in range(c.uint(2)):
            index = c.uint(iloc.index_size) if version else 0
            loc.extents.append(Extent(index, c.uint(iloc.offset_size), c.uint(iloc.length_size)))
        iloc.items.append(loc)
    return iloc


def iloc_box(iloc: Iloc) -> bytes:
    wide = 4 if iloc.version == 2 else 2
    out = [
        bytes([iloc.offset_size << 4 | iloc.length_size, iloc.base_size << 4 | iloc.index_size]),
        len(iloc.items).to_bytes(wide, "big"),
    ]
    index_size = iloc.index_size if iloc.version else 0
    for loc in iloc.items:
        out.append(loc.item.to_bytes(wide, "big"))
        if iloc.version:
            out.append(loc.method.to_bytes(2, "big"))
        out.append(loc.dref.to_bytes(2, "big") + loc.base.to_bytes(iloc.base_size, "big"))
        out.append(len(loc.extents).to_bytes(2, "big"))
        for e in loc.extents:
            out.append(e.index.to_bytes(index_size, "big"))
            out.append(e.offset.to_bytes(iloc.offset_size, "big"))
            out.append(e.length.to_bytes(iloc.length_size, "big"))
    return full_box(b"iloc", iloc.version, iloc.flags, b"".join(out))


# --- iinf, iref, pitm ----------------------------------------------------------------------


@dataclass(frozen=True)
class Info:
    item: int
    type: bytes
    content_type: bytes = b""
    encoding: bytes = b""


def parse_infe(data: bytes, offset: int) -> Info:
    c = Cursor(data, "infe", offset)
    version, _ = c.version(3)
    item = c.uint(4 if version == 3 else 2)
    c.uint(2)  # item_protection_index
    if version < 2:  # the original layout: every item is described by a MIME type
        c.string()
        return Info(item, b"mime", c.string(), c.string())
    kind = c.uint(4).to_bytes(4, "big")
    c.string()  # item_name
    if kind == b"mime":
        return Info(item, kind, c.string(), c.string())
    return Info(item, kind)


def infe_box(item: int, content_type: bytes) -> bytes:
    """A version 2 (16-bit id) or 3 ``mime`` item entry, with an empty name, as exiftool."""
    version = 2 if item < 1 << 16 else 3
    ident = item.to_bytes(4 if version == 3 else 2, "big")
    return full_box(b"infe", version, 0, ident + b"\x00\x00mime\x00" + content_type + b"\x00")


def iinf_count(data: bytes, offset: int) -> tuple[int, int]:
    """(version, entry_count) of an ``iinf`` payload.

    ISO/IEC 14496-12 reads the count as 16 bits for version 0 and 32 bits otherwise;
    version 2 occurs in real HEIC files (exiftool's and exiv2's test images) and libheif
    and exiftool read it that way, so we do too."""
    c = Cursor(data, "iinf", offset)
    version, _ = c.version(2)
    return version, c.uint(2 if version == 0 else 4)


@dataclass(frozen=True)
class Reference:
    type: bytes
    source: int
    targets: tuple[int, ...]


def parse_reference(data: bytes, child: Box, version: int) -> Reference:
    """One SingleItemTypeReference box (its payload ``data``) of an ``iref``."""
    wide = 4 if version else 2
    c = Cursor(data, child.name, child.start)
    source = c.uint(wide)
    return Reference(child.type, source, tuple(c.uint(wide) for _ in range(c.uint(2))))


def reference_box(kind: bytes, source: int, targets: tuple[int, ...], version: int) -> bytes:
    wide = 4 if version else 2
    payload = source.to_bytes(wide, "big") + len(targets).to_bytes(2, "big")
    return box(kind, payload + b"".join(t.to_bytes(wide, "big") for t in targets))


def parse_pitm(data: bytes, offset: int) -> int:
    c = Cursor(data, "pitm", offset)
    version, _ = c.version(1)
    return c.uint(2 if version == 0 else 4)
