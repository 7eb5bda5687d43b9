"""Image sequences (AVIF ``avis``, HEIF ``msf1``): the chunk offsets in ``moov``.

A sequence's samples are located by the ``stco`` (32-bit) and ``co64`` (64-bit) chunk
offset tables of each track's sample table, which are absolute file offsets just like
``iloc`` extents: growing ``meta`` in front of ``mdat`` moves them all. The tables keep
their size (only values change), so the rest of ``moov`` is copied as it is. ``saio``
(auxiliary information offsets) and a ``meta`` box inside the movie may hold offsets too
and are not updated: such files are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from optout_site.errors import ImageError, Unsupported
from optout_site.images.bmff_boxes import Box, Cursor, Relocate, body, boxes
from optout_site.images.container import Piece, Source

# The path to the sample tables; nothing else in a movie is walked.
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}
HOLDS_OFFSETS = {b"saio": "auxiliary information offsets (saio)", b"meta": "a meta box"}
MAX_CHUNKS = 1 << 22


@dataclass(frozen=True)
class ChunkOffsets:
    box: Box
    wide: int  # 4 for stco, 8 for co64
    head: bytes  # version, flags and entry count, kept as they are
    offsets: tuple[int, ...]


@dataclass(frozen=True)
class Movie:
    box: Box
    tables: list[ChunkOffsets]
    blockers: list[str]


def read_movie(source: Source, moov: Box) -> Movie:
    tables: list[ChunkOffsets] = []
    blockers: list[str] = []
    pending = [moov]
    while pending:
        parent = pending.pop()
        for child in boxes(source, parent.body, parent.end, f"the {parent.name} box"):
            if child.type in CONTAINERS:
                pending.append(child)
            elif child.type in (b"stco", b"co64"):
                tables.append(_table(source, child))
            elif child.type in HOLDS_OFFSETS:
                blockers.append(
                    f"image sequence with {HOLDS_OFFSETS[child.type]} at byte offset "
                    f"{child.start}, whose offsets are not updated"
                )
    return Movie(moov, sorted(tables, key=lambda t: t.box.start), blockers)


def _table(source: Source, b: Box) -> ChunkOffsets:
    wide = 4 if b.type == b"stco" else 8
    data = body(source, b)
    c = Cursor(data, b.name, b.start)
    c.version(0)
    count = c.uint(4)
    if count > MAX_CHUNKS or 8 + count * wide > len(data):
        raise ImageError(f"{b.name} box at byte offset {b.start} is cut short")
    offsets = tuple(c.uint(wide) for _ in range(count))
    if any(o > source.size for o in offsets):
        raise ImageError(f"{b.name} box at byte offset {b.start} points past the end of the file")
    return ChunkOffsets(b, wide, data[:8], offsets)


def pieces(movie: Movie, relocate: Relocate | None) -> list[Piece]:
    """The moov box with every chunk offset moved by ``relocate``.

    Without ``relocate`` (the draft the relocation is computed from) the tables keep
    their values but are still new bytes, so nothing can be relocated into them.
    """
    out: list[Piece] = []
    pos = movie.box.start
    for table in movie.tables:
        out.append((pos, table.box.body - pos))
        moved = [relocate(o, 1) for o in table.offsets] if relocate else list(table.offsets)
        if any(o >= 1 << (8 * table.wide) for o in moved):
            raise Unsupported(
                f"a chunk offset in the {table.box.name} box at byte offset "
                f"{table.box.start} would not fit its {table.wide}-byte field"
            )
        out.append(table.head + b"".join(o.to_bytes(table.wide, "big") for o in moved))
        pos = table.box.body + 8 + len(moved) * table.wide  # then bytes after the table
    out.append((pos, movie.box.end - pos))
    return out
