"""Reading logs: compressed or not, whole or in byte ranges, one bounded line at a time.

A plain file is cut into byte ranges that processes read in parallel (a range owns every
line that *starts* inside it); a compressed file is one piece, read by one process
(gzip, bzip2 and zstandard streams cannot be entered in the middle). No line is ever held
beyond :data:`MAX_LINE` bytes, so a hostile log with a gigabyte line costs no memory.
"""

from __future__ import annotations

import bz2
import gzip
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from optout_site.errors import UsageError

MAX_LINE = 1024 * 1024  # longer lines are malformed: no server writes them
CHUNK = 16 * 1024 * 1024  # smallest byte range worth a process of its own
STDIN = "-"
_MAGIC = {b"\x1f\x8b": "gz", b"BZh": "bz2", b"\x28\xb5\x2f\xfd": "zst"}


@dataclass(frozen=True)
class Piece:
    """Part of one log: ``[start, end)`` of a plain file, or a whole compressed file
    (``end`` None)."""

    name: str
    codec: str  # "", "gz", "bz2", "zst"
    start: int = 0
    end: int | None = None


def codec_of(path: str) -> str:
    """The compression of ``path`` from its first bytes (names lie after rotation)."""
    if path == STDIN:
        return ""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for magic, codec in _MAGIC.items():
        if head.startswith(magic):
            return codec
    return ""


def pieces(paths: list[str], jobs: int) -> list[Piece]:
    """The pieces to read, plain files cut into about ``jobs`` ranges each when large."""
    out: list[Piece] = []
    for path in paths:
        codec = codec_of(path)
        size = 0 if path == STDIN or codec else os.path.getsize(path)
        count = max(1, min(jobs * 2, size // CHUNK))
        if count == 1:
            out.append(Piece(path, codec))
            continue
        bounds = [size * i // count for i in range(count + 1)]
        out.extend(Piece(path, codec, a, b) for a, b in zip(bounds, bounds[1:], strict=False))
    return out


def _open(piece: Piece) -> IO[bytes] | io.BufferedIOBase:
    if piece.name == STDIN:
        return sys.stdin.buffer
    if piece.codec == "gz":
        return gzip.open(piece.name, "rb")
    if piece.codec == "bz2":
        return bz2.open(piece.name, "rb")
    if piece.codec == "zst":
        try:
            import zstandard
        except ImportError:
            raise UsageError(
                f"{piece.name} is zstandard-compressed: install optout-site[logs] "
                "(the zstandard package) or decompress it first"
            ) from None
        return io.BufferedReader(zstandard.open(piece.name, "rb"), CHUNK_READ)
    return open(piece.name, "rb")


CHUNK_READ = 1024 * 1024


def lines(piece: Piece) -> Iterator[tuple[int, bytes | None]]:
    """(line number within the piece, line without its end of line); None for a line
    over :data:`MAX_LINE`, which is skipped without being held."""
    stream = _open(piece)
    try:
        position = piece.start
        if piece.start:
            stream.seek(piece.start - 1)
            # The line in progress at ``start`` belongs to the previous piece.
            position = piece.start - 1 + _skip_line(stream)
        number = 0
        end = piece.end
        while end is None or position < end:
            line = stream.readline(MAX_LINE + 1)
            if not line:
                return
            number += 1
            position += len(line)
            if len(line) > MAX_LINE:
                if not line.endswith(b"\n"):
                    position += _skip_line(stream)
                yield number, None
                continue
            yield number, line.rstrip(b"\r\n")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _skip_line(stream: IO[bytes] | io.BufferedIOBase) -> int:
    """Read to the end of the current line in bounded steps; the number of bytes read."""
    skipped = 0
    while True:
        part = stream.readline(CHUNK_READ)
        skipped += len(part)
        if not part or part.endswith(b"\n"):
            return skipped


def first_line(path: str) -> str:
    """The first non-blank line of a log (for format detection); "" when none."""
    if path == STDIN:
        return ""
    for _, raw in lines(Piece(path, codec_of(path))):
        if raw is not None and raw.strip():
            return raw.decode("utf-8", "replace")
    return ""
