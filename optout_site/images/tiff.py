"""TIFF: XMP in tag 700 (XMLPacket) of IFD0, written append-only (images.md §2.4).

Nothing in the original file moves: the packet and a copy of IFD0 (with tag 700 added
or replaced, entries kept sorted) are appended, and the four header bytes that point
at IFD0 are patched. Every existing offset (strips, tiles, SubIFDs, Exif IFD, later
pages) therefore stays valid, and the old IFD0 becomes unused bytes. When the file
already ends with just the packet and IFD0 (our own earlier append, or a tool that laid
the file out that way) and nothing else points there, that tail is replaced rather than
appended to, so changing the policy back and forth does not grow the file. The same IFD
helpers rewrite IFD0 inside a JPEG's Exif blob for the legacy Copyright/Artist tags.
BigTIFF (64-bit offsets) is refused as unsupported rather than half-handled, and a file
with a C2PA manifest store (IFD0 tag 0xCD41) is reported as signed, so it is left alone.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from optout_site.errors import ImageError, TruncatedImage, Unsupported
from optout_site.images import authorship
from optout_site.images.container import Piece, Source

NAME = "tiff"
EXTENSIONS = (".tif", ".tiff")
PADDING = 2048  # editors update TIFF XMP in place when the old packet has room
MAX_PACKET = None

XMP_TAG = 700
C2PA_TAG = 0xCD41  # C2PA 2.x §A.5: the manifest store of a TIFF, in IFD0
# Bytes per value for each TIFF field type (TIFF 6.0 §2 plus the BigTIFF/IFD types).
TYPE_SIZES = {
    1: 1,
    2: 1,
    3: 2,
    4: 4,
    5: 8,
    6: 1,
    7: 1,
    8: 2,
    9: 4,
    10: 8,
    11: 4,
    12: 8,
    13: 4,
    16: 8,
    17: 8,
    18: 8,
}
# Tags whose value is the offset of another IFD (Exif, GPS, Interoperability, SubIFDs):
# their contents are not walked, so only where they start is known.
IFD_POINTERS = (0x8769, 0x8825, 0xA005, 0x014A)
MAX_IFDS = 4096
MAX_ARRAY = 16 * 1024 * 1024  # bytes; offset tables larger than this are not sane input


def accept(head: bytes) -> bool:
    return head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


Reader = Callable[[int, int, str], bytes]
Entry = tuple[int, bytes]  # (tag, the raw 12-byte entry as stored)


def byte_order(header: bytes) -> str:
    if header[:2] == b"II":
        return "<"
    if header[:2] == b"MM":
        return ">"
    raise ImageError("not a TIFF structure: byte order mark at byte offset 0 is neither II nor MM")


def read_ifd(read: Reader, bo: str, offset: int, where: str) -> tuple[list[Entry], int]:
    """Entries (raw) and the next-IFD pointer of the IFD at ``offset``."""
    (count,) = struct.unpack(bo + "H", read(offset, 2, f"{where} entry count"))
    raw = read(offset + 2, 12 * count + 4, f"{where} ({count} entries)")
    entries = [
        (struct.unpack(bo + "H", raw[i : i + 2])[0], raw[i : i + 12])
        for i in range(0, 12 * count, 12)
    ]
    return entries, struct.unpack(bo + "I", raw[-4:])[0]


def value_span(bo: str, raw: bytes) -> tuple[int, int, bool]:
    """(offset, length, inline) of an entry's value; inline values live in the entry."""
    _tag, typ, count = struct.unpack(bo + "HHI", raw[:8])
    length = TYPE_SIZES.get(typ, 0) * count
    if length <= 4:
        return 8, length, True
    return struct.unpack(bo + "I", raw[8:12])[0], length, False


def entry_value(read: Reader, bo: str, raw: bytes, where: str) -> bytes:
    offset, length, inline = value_span(bo, raw)
    if inline:
        return raw[8 : 8 + length]
    if length > MAX_ARRAY:
        raise ImageError(f"{where}: value of {length} bytes at byte offset {offset} is implausible")
    return read(offset, length, where)


def make_entry(bo: str, tag: int, typ: int, count: int, value_or_offset: bytes | int) -> bytes:
    if isinstance(value_or_offset, int):
        return struct.pack(bo + "HHII", tag, typ, count, value_or_offset)
    return struct.pack(bo + "HHI", tag, typ, count) + value_or_offset.ljust(4, b"\x00")


def append_ifd(
    bo: str,
    entries: list[Entry],
    next_ifd: int,
    base: int,
    updates: dict[int, tuple[int, int, bytes]],
) -> tuple[bytes, int]:
    """Bytes to append at ``base``: new out-of-line values, then a new IFD.

    ``updates`` maps tag -> (type, count, value bytes) and replaces or adds entries.
    Existing entries are copied verbatim, so their offsets keep pointing at the old,
    untouched values. Returns the bytes and the absolute offset of the new IFD.
    """
    out = bytearray(b"\x00" * (base & 1))  # TIFF wants word-aligned values and IFDs
    new: dict[int, bytes] = {}
    for tag, (typ, count, data) in sorted(updates.items()):
        if len(data) <= 4:
            new[tag] = make_entry(bo, tag, typ, count, data)
            continue
        new[tag] = make_entry(bo, tag, typ, count, base + len(out))
        out += data + b"\x00" * (len(data) & 1)
    merged = [raw for tag, raw in entries if tag not in updates]
    tags = [tag for tag, _ in entries if tag not in updates]
    for tag in sorted(new):
        # Insert before the first larger tag; the original order is otherwise kept.
        at = next((i for i, t in enumerate(tags) if t > tag), len(tags))
        tags.insert(at, tag)
        merged.insert(at, new[tag])
    ifd_offset = base + len(out)
    out += struct.pack(bo + "H", len(merged)) + b"".join(merged) + struct.pack(bo + "I", next_ifd)
    return bytes(out), ifd_offset


class Tiff:
    note = ""

    def __init__(self, source: Source) -> None:
        self.source = source
        head = source.read(0, 8, "TIFF header")
        self.bo = bo = byte_order(head)
        magic = struct.unpack(bo + "H", head[2:4])[0]
        if magic == 43:
            raise Unsupported("BigTIFF metadata writing is not supported yet")
        if magic != 42:
            raise ImageError(f"bad TIFF magic {magic} at byte offset 2")
        self.ifd0 = struct.unpack(bo + "I", head[4:8])[0]
        if self.ifd0 < 8:
            raise ImageError(f"IFD0 offset {self.ifd0} points into the header (byte offset 4)")
        read = self._read
        self.entries, self.next_ifd = read_ifd(read, bo, self.ifd0, "IFD0")
        self.used_end = 8  # where the data other than IFD0 and its XMP value ends
        self._validate()
        self.c2pa = any(tag == C2PA_TAG for tag, _ in self.entries)
        xmp = [raw for tag, raw in self.entries if tag == XMP_TAG]
        self.xmp_entries = len(xmp)
        self.xmp = entry_value(read, bo, xmp[0], "IFD0 tag 700 (XMP)") if xmp else None
        self.more_xmp = tuple(entry_value(read, bo, raw, "IFD0 tag 700 (XMP)") for raw in xmp[1:])
        self.authors = tuple(  # Artist, Copyright
            text
            for tag, raw in self.entries
            if tag in (0x013B, 0x8298)
            for text in authorship.decode(entry_value(read, bo, raw, f"IFD0 tag {tag}"))
        )

    def _read(self, offset: int, length: int, what: str) -> bytes:
        return self.source.read(offset, length, what)

    def _validate(self) -> None:
        """Walk the IFD chain and check every value and strip/tile lies inside the file,
        which is how a truncated TIFF is recognised without reading the image data."""
        seen: set[int] = set()
        offset, entries, nxt, n = self.ifd0, self.entries, self.next_ifd, 0
        while True:
            where = f"IFD{n} at byte offset {offset}"
            if offset in seen or n >= MAX_IFDS:
                raise ImageError(f"{where}: IFD chain loops or is implausibly long")
            seen.add(offset)
            if n:
                self._used(offset + 2 + 12 * len(entries) + 4)
            tags: dict[int, list[bytes]] = {}
            for tag, raw in entries:
                start, length, inline = value_span(self.bo, raw)
                if not inline and not (n == 0 and tag == XMP_TAG):
                    self._used(start + length)
                if tag in IFD_POINTERS:
                    self._used(max(self._ints(raw, where) or (self.source.size,)) + 2)
                if not inline and start + length > self.source.size:
                    raise TruncatedImage(
                        f"{where}: tag {tag} value at byte offset {start} "
                        f"runs past the end of the file"
                    )
                if not inline and length and start < 8:
                    # The header's IFD0 pointer is the one thing we patch in place.
                    raise ImageError(
                        f"{where}: tag {tag} value at byte offset {start} overlaps the TIFF header"
                    )
                tags.setdefault(tag, []).append(raw)
            for offs_tag, counts_tag in ((273, 279), (324, 325)):
                # Every copy of a duplicated tag: readers differ on which one they use.
                for offs_raw in tags.get(offs_tag, []):
                    for counts_raw in tags.get(counts_tag, [None]):
                        self._check_blocks(offs_raw, counts_raw, where)
            self._check_raw_strips(tags, where)
            if nxt == 0:
                return
            offset, n = nxt, n + 1
            entries, nxt = read_ifd(self._read, self.bo, offset, f"IFD{n}")

    def _used(self, end: int) -> None:
        self.used_end = max(self.used_end, end)

    def _check_blocks(self, offs_raw: bytes, counts_raw: bytes | None, where: str) -> None:
        arrays = []
        for raw in (offs_raw, counts_raw):
            if raw is None:
                continue  # no byte counts: readers derive them from the image size
            typ = struct.unpack(self.bo + "H", raw[2:4])[0]
            if typ not in (3, 4, 16):
                raise ImageError(f"{where}: strip/tile table has field type {typ}")
            data = entry_value(self._read, self.bo, raw, f"{where} strip/tile table")
            code = {3: "H", 4: "I", 16: "Q"}[typ]
            arrays.append(struct.unpack(f"{self.bo}{len(data) // TYPE_SIZES[typ]}{code}", data))
        if len(arrays) == 1:
            arrays.append((None,) * len(arrays[0]))
        for start, length in zip(*arrays, strict=False):
            # Without byte counts the data's end is unknown: count it as reaching the end.
            self._used(self.source.size if length is None else start + length)
            if start < 8 and length != 0:
                # We patch the IFD0 pointer in the header; pixels read from there would change.
                raise ImageError(
                    f"{where}: image data at byte offset {start} overlaps the TIFF header"
                )
            if length is not None and start + length > self.source.size:
                raise TruncatedImage(
                    f"{where}: image data at byte offset {start} (+{length}) "
                    f"runs past the end of the file"
                )

    def _ints(self, raw: bytes, where: str) -> tuple[int, ...] | None:
        """An entry's values as integers (SHORT, LONG, LONG8), or None for another type."""
        typ = struct.unpack(self.bo + "H", raw[2:4])[0]
        if typ not in (3, 4, 16):
            return None
        data = entry_value(self._read, self.bo, raw, where)
        code = {3: "H", 4: "I", 16: "Q"}[typ]
        return struct.unpack(f"{self.bo}{len(data) // TYPE_SIZES[typ]}{code}", data)

    def _check_raw_strips(self, tags: dict[int, list[bytes]], where: str) -> None:
        """Uncompressed strips must hold every row the IFD declares. Readers fetch rows by
        arithmetic, not by byte count (Pillow maps a single-strip image whole from its
        offset), so rows missing at the end of the file would be read from the bytes we
        append there: the stamped image would show our metadata as pixels."""

        def first(tag: int, default: int) -> int:
            values = self._ints(tags[tag][0], where) if tag in tags else None
            return values[0] if values else default

        if first(259, 1) != 1 or first(262, 0) == 6 or 273 not in tags:
            return  # compressed data ends where its codec says; YCbCr rows are subsampled
        width, height, spp = first(256, 0), first(257, 0), max(first(277, 1), 1)
        bps = list((self._ints(tags[258][0], where) if 258 in tags else None) or (1,))
        if not (width and height):
            return
        bps = (bps + bps[-1:] * spp)[:spp]
        rows_per_strip = min(first(278, height) or height, height)
        per_plane = -(-height // rows_per_strip)
        if first(284, 1) == 2:
            row_bytes = [-(-width * b // 8) for b in bps]
        else:
            row_bytes = [-(-width * sum(bps) // 8)]
        needed = per_plane * len(row_bytes)
        for offs_raw in tags[273]:
            offsets = self._ints(offs_raw, where) or ()
            if len(offsets) < needed:
                raise ImageError(
                    f"{where}: {len(offsets)} strips listed where the image "
                    f"needs {needed} (corrupt)"
                )
            for i, start in enumerate(offsets[:needed]):
                plane, k = divmod(i, per_plane)
                length = min(rows_per_strip, height - k * rows_per_strip) * row_bytes[plane]
                if start + length > self.source.size:
                    raise TruncatedImage(
                        f"{where}: uncompressed strip {i} at byte offset {start} "
                        f"needs {length} bytes; the file ends first"
                    )

    def plan(self, packet: bytes, rights: object) -> list[Piece] | None:
        if self.xmp == packet and self.xmp_entries == 1:
            return None
        base = self._metadata_tail()
        tail, ifd_offset = append_ifd(
            self.bo, self.entries, self.next_ifd, base, {XMP_TAG: (1, len(packet), packet)}
        )
        if base + len(tail) >= 1 << 32:
            raise ImageError("stamped file would pass 4 GiB, the limit of classic TIFF offsets")
        header = self.source.read(0, 4) + struct.pack(self.bo + "I", ifd_offset)
        return [header, (8, base - 8), tail]

    def _metadata_tail(self) -> int:
        """Where the new packet and IFD0 go: over the file's last bytes when they hold only
        the current packet and IFD0 (at most a pad byte between), else after the end."""
        size = self.source.size
        xmp = [raw for tag, raw in self.entries if tag == XMP_TAG]
        if len(xmp) != 1:
            return size
        start, length, inline = value_span(self.bo, xmp[0])
        ifd_end = self.ifd0 + 2 + 12 * len(self.entries) + 4
        if inline or start < self.used_end or not 0 <= self.ifd0 - (start + length) <= 1:
            return size
        return start if ifd_end == size else size


def parse(source: Source) -> Tiff:
    return Tiff(source)
