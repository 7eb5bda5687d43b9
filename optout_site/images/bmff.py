"""AVIF, HEIC and HEIF (ISO BMFF, ISO/IEC 23008-12): XMP as a ``mime`` item.

The packet is an item of type ``mime`` with content type ``application/rdf+xml``, listed
in ``iinf``, located by ``iloc`` and, as exiftool and libheif write it, linked to the
primary item by an ``iref`` ``cdsc`` reference. An existing XMP item keeps its id and
entry and gets a new location; its old bytes are dropped when they fill a top-level
``mdat`` of their own (our earlier stamp), otherwise left unreferenced inside theirs.

Where the data goes: in a new top-level ``mdat`` right after ``meta``, located with
construction method 0. Not in ``idat``: exiftool and libheif also put XMP at file
offsets, the layout readers are tested with, and growing ``idat`` would move everything
after ``meta`` just the same. Not at the end of the file: an extent of length 0 runs "to
the end of the file", and a box of size 0 does too, so appending would change them.

Growing ``meta`` moves every byte after it, so every file offset is updated: each
construction-method-0 extent of ``iloc`` (through ``base_offset`` when the item has one,
else the extent offsets), and the chunk offsets of an image sequence's ``moov``
(:mod:`optout_site.images.bmff_moov`). The new positions come from the plan itself
(which source range lands where), so an offset into something we rewrite cannot be
moved and the file is skipped. Boxes that may hold offsets we do not update (``saio``,
unknown boxes) and a 4-byte field that would overflow also mean "skipped", decided
before anything is written.
"""

from __future__ import annotations

from dataclasses import replace

from optout_site.errors import ImageError, Unsupported
from optout_site.images.bmff_boxes import (
    Box,
    Cursor,
    Extent,
    Iloc,
    Info,
    Location,
    Reference,
    Relocate,
    body,
    boxes,
    iinf_count,
    iloc_box,
    infe_box,
    parse_iloc,
    parse_infe,
    parse_pitm,
    parse_reference,
    reference_box,
)
from optout_site.images.bmff_moov import Movie, read_movie
from optout_site.images.bmff_moov import pieces as movie_pieces
from optout_site.images.container import Defaults, Piece, Source, coalesce

NAME = "bmff"
EXTENSIONS = (".avif", ".heic", ".heif")
PADDING = 512  # web delivery format: a little room for other tools, not 2 KB per image
MAX_PACKET = 0xFFFFFFFF - 8  # one mdat box with a 32-bit size
BRANDS = {
    b"avif",
    b"avis",
    b"heic",
    b"heix",
    b"heim",
    b"heis",
    b"hevc",
    b"hevx",
    b"mif1",
    b"msf1",
}
XMP_TYPE = b"application/rdf+xml"
C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877c3ec7")
MAX_XMP = 16 * 1024 * 1024
# Boxes known to hold no file offsets (or, for meta and moov, whose offsets we update);
# etyp only lists brand combinations.
TOP_SAFE = {b"ftyp", b"etyp", b"meta", b"moov", b"mdat", b"free", b"skip"}
META_SAFE = {
    b"hdlr",
    b"pitm",
    b"iloc",
    b"iinf",
    b"iref",
    b"iprp",
    b"idat",
    b"dinf",
    b"grpl",
    b"ipro",
    b"free",
    b"skip",
    b"xml ",
    b"bxml",
}
SINGLE = {b"hdlr", b"pitm", b"iloc", b"iinf", b"iref", b"idat"}  # at most one in meta


def accept(head: bytes) -> bool:
    if head[4:8] != b"ftyp":
        return False
    end = min(int.from_bytes(head[:4], "big"), len(head))
    brands = [head[i : i + 4] for i in range(16, end - 3, 4)]
    return head[8:12] in BRANDS or any(b in BRANDS for b in brands)


def header(kind: bytes, payload: int) -> bytes:
    """A box header for ``payload`` bytes (the 64-bit form only when it must be)."""
    if payload + 8 <= 0xFFFFFFFF:
        return (payload + 8).to_bytes(4, "big") + kind
    return b"\x00\x00\x00\x01" + kind + (payload + 16).to_bytes(8, "big")


def size(pieces: list[Piece]) -> int:
    return sum(p[1] if isinstance(p, tuple) else len(p) for p in pieces)


class Bmff(Defaults):
    note = ""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.top = boxes(source, 0, source.size, "the file")
        if not self.top or self.top[0].type != b"ftyp":
            raise ImageError("the file does not start with an ftyp box (byte offset 0)")
        self.c2pa = any(b.type == b"uuid" and b.usertype == C2PA_UUID for b in self.top)
        # Reasons the file cannot be edited safely; reading its XMP is still fine.
        self.blockers: list[str] = []
        self.movies: dict[int, Movie] = {}
        for b in self.top:
            if b.type == b"moov":
                self.movies[b.start] = read_movie(source, b)
                self.blockers.extend(self.movies[b.start].blockers)
            elif b.type not in TOP_SAFE and not (b.type == b"uuid" and b.usertype == C2PA_UUID):
                self.blockers.append(
                    f"unknown box {b.name!r} at byte offset {b.start} may hold file "
                    "offsets that moving the image data would break"
                )
        metas = [b for b in self.top if b.type == b"meta"]
        if not metas and any(b.type == b"moov" for b in self.top):
            raise Unsupported("image sequence without a still image (no meta box, only moov)")
        if len(metas) != 1:
            raise ImageError(f"expected one top-level meta box, found {len(metas)}")
        self.meta = metas[0]
        self.meta_head = source.read(
            self.meta.body, min(4, self.meta.end - self.meta.body), "meta box"
        )
        Cursor(self.meta_head, "meta", self.meta.start).version(0)
        self.children = boxes(source, self.meta.body + 4, self.meta.end, "the meta box")
        self.named: dict[bytes, Box] = {}
        for child in self.children:
            if child.type in SINGLE:
                if child.type in self.named:
                    raise ImageError(f"a second {child.name} box at byte offset {child.start}")
                self.named[child.type] = child
            if child.type == b"mdat":
                self.blockers.append(f"media data inside the meta box (byte offset {child.start})")
            elif child.type not in META_SAFE:
                self.blockers.append(
                    f"unknown box {child.name!r} in meta at byte offset {child.start} "
                    "may hold file offsets"
                )
        for need in (b"hdlr", b"pitm", b"iloc", b"iinf"):
            if need not in self.named:
                raise ImageError(f"the meta box has no {need.decode()} box")
        handler = body(source, self.named[b"hdlr"])[8:12]
        if handler != b"pict":
            self.blockers.append(f"the meta box describes {handler!r}, not an image")
        pitm = self.named[b"pitm"]
        self.primary = parse_pitm(body(source, pitm), pitm.start)
        iloc = self.named[b"iloc"]
        self.iloc = parse_iloc(body(source, iloc), iloc.start)
        self._infos()
        self._references()
        self.locations: dict[int, Location] = {}
        for loc in self.iloc.items:
            if loc.item in self.locations:
                raise ImageError(f"item {loc.item} is located twice in the iloc box")
            self.locations[loc.item] = loc
            self._check(loc)
        self.xmp_items = [i for i in self.infos if i.type == b"mime" and i.content_type == XMP_TYPE]
        if len(self.xmp_items) > 1:
            self.blockers.append(f"{len(self.xmp_items)} XMP items (one is expected)")
        self.xmp = self._read_xmp(self.xmp_items[0]) if self.xmp_items else None

    def _infos(self) -> None:
        iinf = self.named[b"iinf"]
        head = self.source.read(iinf.body, min(8, iinf.end - iinf.body), "iinf box")
        self.iinf_version, count = iinf_count(head, iinf.start)
        self.iinf_entries = iinf.body + (6 if self.iinf_version == 0 else 8)
        entries = boxes(self.source, self.iinf_entries, iinf.end, "the iinf box")
        if len(entries) != count or any(e.type != b"infe" for e in entries):
            raise ImageError(
                f"iinf box at byte offset {iinf.start} declares {count} item entries "
                f"but holds {len(entries)} boxes"
            )
        self.infos = [parse_infe(body(self.source, e), e.start) for e in entries]
        if len({i.item for i in self.infos}) != len(self.infos):
            raise ImageError(f"iinf box at byte offset {iinf.start} lists an item twice")

    def _references(self) -> None:
        self.refs: list[Reference] = []
        self.iref_version = 0
        iref = self.named.get(b"iref")
        if iref is None:
            return
        head = self.source.read(iref.body, min(4, iref.end - iref.body), "iref box")
        self.iref_version, _ = Cursor(head, "iref", iref.start).version(1)
        for child in boxes(self.source, iref.body + 4, iref.end, "the iref box"):
            self.refs.append(parse_reference(body(self.source, child), child, self.iref_version))

    def _check(self, loc: Location) -> None:
        if loc.method > 2:
            raise ImageError(f"item {loc.item}: unknown construction method {loc.method}")
        if loc.method == 0 and loc.dref:
            self.blockers.append(f"item {loc.item} keeps its data in another file")
            return
        if loc.method == 2:
            return
        limit = self.source.size
        if loc.method == 1:
            idat = self.named.get(b"idat")
            if idat is None:
                raise ImageError(f"item {loc.item} is stored in an idat box the file lacks")
            limit = idat.end - idat.body
        for e in loc.extents:
            start, length = _span(loc, e)
            if start + (length or 0) > limit:
                raise ImageError(
                    f"item {loc.item}'s data at byte offset {start} runs past the end of "
                    f"{'the idat box' if loc.method else 'the file'}: truncated or corrupt"
                )

    def _read_xmp(self, info: Info) -> bytes:
        if info.encoding:
            raise Unsupported(f"the XMP item is stored {info.encoding!r}-encoded")
        loc = self.locations.get(info.item)
        if loc is None:
            raise ImageError(f"XMP item {info.item} has no location in the iloc box")
        if loc.method == 2 or loc.dref:
            raise Unsupported(f"XMP item {info.item} is built from other items or files")
        base = self.named[b"idat"].body if loc.method == 1 else 0
        limit = self.named[b"idat"].end if loc.method == 1 else self.source.size
        parts, total = [], 0
        for e in loc.extents:
            start, length = _span(loc, e)
            length = limit - base - start if length is None else length
            total += length
            if total > MAX_XMP:
                raise ImageError(f"XMP item {info.item} is implausibly large ({total} bytes)")
            parts.append(self.source.read(base + start, length, "XMP item"))
        return b"".join(parts)

    # --- writing ---------------------------------------------------------------------------

    def plan(self, packet: bytes, rights: object) -> list[Piece] | None:
        if self.xmp == packet and len(self.xmp_items) == 1:
            return None
        if self.blockers:
            raise Unsupported(self.blockers[0])
        old = self.xmp_items[0] if self.xmp_items else None
        item = old.item if old else self._new_id()
        drop = self._own_box(old)
        data = header(b"mdat", len(packet)) + packet
        # Field widths are fixed, so a draft with the old offsets has the final layout:
        # where each source range lands in it is what every offset is moved by.
        draft = self._meta(item, len(packet), None, None)
        before = self.top[: self.top.index(self.meta)]
        xmp_at = sum(b.end - b.start for b in before if b is not drop) + size(draft)
        xmp_at += len(data) - len(packet)
        draft_pieces = coalesce(self._pieces(draft, data, drop, None))
        relocate = _relocator(draft_pieces, self.source.size)
        meta = self._meta(item, len(packet), xmp_at, relocate)
        return coalesce(self._pieces(meta, data, drop, relocate))

    def _new_id(self) -> int:
        ids = {i.item for i in self.infos} | set(self.locations) | {self.primary}
        item = max(ids, default=0) + 1
        wide = 4 if self.iloc.version == 2 else 2
        if item >= 1 << (8 * wide) or (self.refs and item >= 1 << (16 + 16 * self.iref_version)):
            raise Unsupported(f"no free item id for the XMP item below {1 << (8 * wide)}")
        return item

    def _own_box(self, old: Info | None) -> Box | None:
        """The top-level mdat holding nothing but the old XMP (our earlier stamp), if any."""
        loc = self.locations.get(old.item) if old else None
        if loc is None or loc.method or not loc.extents:
            return None
        spans = [_span(loc, e) for e in loc.extents]
        start = spans[0][0]
        for b in self.top:
            if b.type != b"mdat" or b.body != start:
                continue
            pos = start
            for s, length in spans:
                if s != pos or length is None:
                    return None
                pos += length
            others = [
                _span(other, e)
                for other in self.iloc.items
                if other.item != loc.item and other.method == 0
                for e in other.extents
            ]
            others += [
                (o, 1) for movie in self.movies.values() for t in movie.tables for o in t.offsets
            ]
            if pos == b.end and not any(
                s < b.end and (length is None or s + length > b.start) for s, length in others
            ):
                return b
        return None

    def _pieces(
        self, meta: list[Piece], data: bytes, drop: Box | None, relocate: Relocate | None
    ) -> list[Piece]:
        out: list[Piece] = []
        for b in self.top:
            if b is drop:
                continue
            if b is self.meta:
                out.extend(meta)
                out.append(data)
            elif b.start in self.movies:
                chunks = self._chunk_relocator(relocate) if relocate else None
                out.extend(movie_pieces(self.movies[b.start], chunks))
            else:
                out.append((b.start, b.end - b.start))
        return out

    def _chunk_relocator(self, relocate: Relocate) -> Relocate:
        """Chunks run for lengths only the sample tables know: all of them must move
        with the rest of their mdat box, which is where every chunk lives."""

        def move(start: int, _length: int | None) -> int:
            box = next((b for b in self.top if b.type == b"mdat" and b.body <= start < b.end), None)
            if box is None:
                raise Unsupported(
                    f"a sample chunk at byte offset {start} lies outside any mdat box"
                )
            return relocate(start, box.end - start)

        return move

    def _meta(
        self, item: int, length: int, xmp_at: int | None, relocate: Relocate | None
    ) -> list[Piece]:
        """The new meta box; a draft (same size, offsets not final) while ``xmp_at`` is None."""
        payload: list[Piece] = [self.meta_head]
        iref = self._iref(item)
        for child in self.children:
            if child.type == b"iloc":
                payload.append(iloc_box(self._iloc(item, length, xmp_at, relocate)))
            elif child.type == b"iinf":
                payload.extend(self._iinf(item))
                if b"iref" not in self.named:
                    payload.extend(iref)
            elif child.type == b"iref":
                payload.extend(iref)
            else:
                payload.append((child.start, child.end - child.start))
        return [header(b"meta", size(payload)), *payload]

    def _iinf(self, item: int) -> list[Piece]:
        iinf = self.named[b"iinf"]
        entries: list[Piece] = [(self.iinf_entries, iinf.end - self.iinf_entries)]
        count = len(self.infos)
        if not self.xmp_items:
            entries.append(infe_box(item, XMP_TYPE))
            count += 1
            if self.iinf_version == 0 and count >= 1 << 16:
                raise Unsupported("the iinf box cannot list another item")
        head = self.source.read(iinf.body, 4, "iinf box")
        head += count.to_bytes(2 if self.iinf_version == 0 else 4, "big")
        return [header(b"iinf", len(head) + size(entries)), head, *entries]

    def _iref(self, item: int) -> list[Piece]:
        """The iref box, with a cdsc reference from the XMP item to the primary item."""
        iref = self.named.get(b"iref")
        have = any(
            r.type == b"cdsc" and r.source == item and self.primary in r.targets for r in self.refs
        )
        if have and iref is not None:
            return [(iref.start, iref.end - iref.start)]
        version = self.iref_version if iref is not None else int(max(item, self.primary) >= 1 << 16)
        if version == 0 and self.primary >= 1 << 16:
            raise Unsupported("the iref box cannot refer to the primary item's id")
        new = reference_box(b"cdsc", item, (self.primary,), version)
        if iref is None:
            return [header(b"iref", 4 + len(new)), bytes([version, 0, 0, 0]), new]
        old = (iref.body, iref.end - iref.body)
        return [header(b"iref", old[1] + len(new)), old, new]

    def _iloc(self, item: int, length: int, xmp_at: int | None, relocate: Relocate | None) -> Iloc:
        iloc = self.iloc
        at = xmp_at or 0
        if not iloc.length_size or not (iloc.offset_size or iloc.base_size):
            raise Unsupported("the iloc box has no offset or length fields for the XMP item")
        if iloc.offset_size:
            new = Location(item, 0, 0, 0, [Extent(0, at, length)])
        else:
            new = Location(item, 0, 0, at, [Extent(0, 0, length)])
        items = [self._moved(loc, relocate) if loc.item != item else new for loc in iloc.items]
        if item not in self.locations:
            items.append(new)
        for loc in items:
            for value, width, what in (
                (loc.base, iloc.base_size, "base_offset"),
                *((e.offset, iloc.offset_size, "extent_offset") for e in loc.extents),
                *((e.length, iloc.length_size, "extent_length") for e in loc.extents),
            ):
                if not iloc.fits(value, width):
                    raise Unsupported(
                        f"item {loc.item}'s {what} would become {value}, which does not "
                        f"fit the iloc box's {width}-byte field"
                    )
        return replace(iloc, items=items)

    def _moved(self, loc: Location, relocate: Relocate | None) -> Location:
        """``loc`` with its file offsets updated to where ``relocate`` puts its data."""
        if relocate is None or loc.method != 0 or not loc.extents:
            return loc
        spans = [_span(loc, e) for e in loc.extents]
        moved = [relocate(start, length) for start, length in spans]
        shifts = {new - start for new, (start, _) in zip(moved, spans, strict=True)}
        if len(shifts) == 1 and self.iloc.base_size and (loc.base or not self.iloc.offset_size):
            return replace(loc, base=loc.base + shifts.pop())
        extents = [
            replace(e, offset=new - loc.base) for e, new in zip(loc.extents, moved, strict=True)
        ]
        return replace(loc, extents=extents)


def _span(loc: Location, e: Extent) -> tuple[int, int | None]:
    """(start, length) of an extent; length None runs to the end of its container."""
    return loc.base + e.offset, e.length or None


def _relocator(pieces: list[Piece], end: int) -> Relocate:
    """Where a source range lands in the output ``pieces`` (None length: to the end)."""
    runs: list[tuple[int, int, int]] = []  # (source offset, length, output offset)
    pos = 0
    for piece in pieces:
        if isinstance(piece, tuple):
            runs.append((piece[0], piece[1], pos))
        pos += piece[1] if isinstance(piece, tuple) else len(piece)
    tail = pieces[-1] if pieces else None

    def relocate(start: int, length: int | None) -> int:
        for old, n, new in runs:
            if old <= start and (
                start + length <= old + n
                if length is not None
                else old + n == end and tail == (old, n)
            ):
                return new + start - old
        raise Unsupported(
            f"item data at byte offset {start} lies in a part of the file this edit "
            "rewrites, so its offset cannot be updated"
        )

    return relocate


def parse(source: Source) -> Bmff:
    return Bmff(source)
