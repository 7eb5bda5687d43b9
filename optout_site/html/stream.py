"""Splice a page read in windows, never whole: memory stays bounded whatever its size.

Only the head (our meta and link tags) and the end of the body (the footer link) change.
The head is read from a prefix that grows only until the head's end is known; the body is
crossed in windows by the same token readers :mod:`splice` uses (``final=False`` makes
them say where a window may have cut a token, and we read on from there); the result is
a :class:`Page`: edited bytes and ranges of the source, which the build writes with the
kernel copying the unchanged middle (``fdcopy.write_plan``).

The answer is byte for byte :func:`splice.splice`'s (a property test holds it there with
windows of a few bytes). Where the windows cannot vouch for that within sane bounds, it
is :class:`Unstreamed`, and the caller takes the whole-file path, :func:`splice.splice`:

- UTF-16/UTF-32 pages (with a BOM): they are decoded whole; window edges would have to
  respect code units, for pages that are rare and small;
- a head longer than ``limit`` (no head end, or megabytes of inline script before it);
- one token in the body longer than ``limit`` (a giant inline script or data: URL);
- a footer link wanted on a page with no ``</body>`` (or ``</before>``): where the link
  may go then depends on a tokenizer pass over the whole page with the link put at its
  end, which only the whole text gives;
- an XML declaration whose ``>`` is not in the first bytes (the encoding rides on it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from optout_site.errors import HtmlError
from optout_site.html import footer
from optout_site.html import splice as whole
from optout_site.html.encoding import detect_encoding, is_ascii_compatible
from optout_site.html.skip import tokens_that_matter
from optout_site.html.tokens import Cut, line_before, tokens

WINDOW = 1 << 20  # the first read of the head, and each read of the body
LIMIT = 32 << 20  # the most one head or one token may take before the whole-file path
_PROBE = 4096  # what the encoding needs: a BOM, an XML declaration, the 1024-byte prescan
_CHUNK = 1 << 20  # reads for searches and comparisons

Piece = bytes | tuple[int, int]  # new bytes, or an (offset, length) range of the source


@dataclass(frozen=True)
class Unstreamed:
    """The page must take the whole-file path, and why (see the module's docstring)."""

    reason: str


class _Whole(Exception):  # noqa: N818 (not an error: it never leaves this module)
    """The page is handed back to splice(); its one argument says why."""


@dataclass(frozen=True)
class Page:
    """A page as pieces: new bytes and ranges of the file ``fd``; read in windows."""

    fd: int
    pieces: tuple[Piece, ...]
    size: int

    @classmethod
    def of(cls, fd: int) -> Page:
        size = os.fstat(fd).st_size
        return cls(fd, ((0, size),) if size else (), size)

    def read(self, begin: int, end: int) -> bytes:
        """The page's bytes from ``begin`` to ``end`` (clipped to its size)."""
        out: list[bytes] = []
        for piece in _slice(self.pieces, begin, min(end, self.size)):
            if isinstance(piece, bytes):
                out.append(piece)
                continue
            offset, length = piece
            data = os.pread(self.fd, length, offset)
            while len(data) < length:
                more = os.pread(self.fd, length - len(data), offset + len(data))
                if not more:
                    raise HtmlError("the page changed while it was read; left untouched")
                data += more
            out.append(data)
        return b"".join(out)

    def chunks(self, begin: int = 0, overlap: int = 0) -> Iterator[tuple[int, bytes]]:
        """(offset, bytes) windows of ``_CHUNK`` bytes from ``begin``, each also holding
        the ``overlap`` bytes after it, so a short match across an edge is seen whole."""
        for at in range(begin, self.size, _CHUNK):
            yield at, self.read(at, at + _CHUNK + overlap)

    def search(self, pattern: re.Pattern[bytes], longest: int) -> re.Match[bytes] | None:
        """The first match of ``pattern``, whose matches (and look-ahead) are at most
        ``longest`` bytes."""
        for _, data in self.chunks(overlap=longest):
            found = pattern.search(data)
            if found is not None and found.start() < _CHUNK:
                return found
        return None

    def contains(self, needle: bytes) -> bool:
        return any(needle in data for _, data in self.chunks(overlap=len(needle) - 1))

    def same_as(self, other: Page) -> bool:
        if self.size != other.size:
            return False
        if self.pieces == other.pieces:
            return True
        return all(data == other.read(at, at + len(data)) for at, data in self.chunks())

    def apply(self, edits: list[tuple[int, int, str]]) -> Page:
        """The page with each (begin, end, latin-1 text) edit made, as splice's _apply."""
        if not edits:
            return self
        pieces: list[Piece] = []
        pos = 0
        for begin, end, replacement in whole.in_order(edits):
            pieces += _slice(self.pieces, pos, begin)
            pieces.append(replacement.encode("latin-1"))
            pos = end
        pieces += _slice(self.pieces, pos, self.size)
        kept = tuple(p for p in pieces if p != b"")
        return Page(self.fd, kept, sum(_length(p) for p in kept))


def _length(piece: Piece) -> int:
    return len(piece) if isinstance(piece, bytes) else piece[1]


def _slice(pieces: tuple[Piece, ...], begin: int, end: int) -> list[Piece]:
    """The pieces covering ``begin``..``end`` of the page they make, cut to fit."""
    out: list[Piece] = []
    at = 0
    for piece in pieces:
        length = _length(piece)
        lo, hi = max(begin, at), min(end, at + length)
        if lo < hi:
            if isinstance(piece, bytes):
                out.append(piece[lo - at : hi - at])
            else:
                out.append((piece[0] + lo - at, hi - lo))
        at += length
        if at >= end:
            break
    return out


def splice_stream(
    fd: int, wanted: whole.Wanted, *, window: int = WINDOW, limit: int = LIMIT
) -> Page | Unstreamed:
    """:func:`splice.splice` of the page open at ``fd``, read in windows of ``window``
    bytes (grown up to ``limit`` where one token needs it)."""
    page = Page.of(fd)
    try:
        # As splice.splice: the same passes, the same fixed point.
        adopt = page.contains(whole.OUR_META.encode("latin-1"))
        out = _splice_once(page, wanted, adopt, window, limit)
        for _ in range(3):
            again = _splice_once(out, wanted, adopt, window, limit)
            if again.same_as(out):
                return out
            out = again
    except _Whole as exc:
        return Unstreamed(str(exc))
    raise HtmlError("the markup is too broken for our edits to settle; left untouched")


def _encoding(page: Page) -> tuple[str, int, bytes]:
    """detect_encoding's answer from the page's first bytes, and those bytes."""
    probe = page.read(0, _PROBE)
    if probe.startswith(b"<?xml") and b">" not in probe and page.size > len(probe):
        raise _Whole("an XML declaration longer than its first bytes")
    return (*detect_encoding(probe), probe)


def _splice_once(page: Page, wanted: whole.Wanted, adopt: bool, window: int, limit: int) -> Page:
    encoding, bom, probe = _encoding(page)
    whole.refuse_odd_bytes(probe, bom, lambda: page.contains(whole.STAMPED))
    if not is_ascii_compatible(encoding):
        raise _Whole(f"a {encoding} page is decoded whole")
    out = page.apply(_edits(page, wanted, bom, whole.encoder(encoding), adopt, window, limit))
    if out is not page and _encoding(out)[:2] != (encoding, bom):
        whole.refuse_encoding_change()
    return out


def _edits(
    page: Page,
    wanted: whole.Wanted,
    start: int,
    encode: whole.Encoder,
    adopt: bool,
    window: int,
    limit: int,
) -> list[tuple[int, int, str]]:
    """splice.edit's edits, from a head prefix and windows over the body."""
    server_code = page.search(whole.SERVER_CODE_BYTES, 16)
    if server_code:
        whole.refuse_server_code(server_code.group(0).decode("latin-1"))
    width = window
    while True:
        text = page.read(0, width).decode("latin-1")
        try:
            head, xml, edits = whole.head_edits(
                text, wanted, start, encode, adopt=adopt, final=len(text) == page.size
            )
            break
        except Cut:
            if width >= limit:
                raise _Whole(f"no end of the head in its first {limit} bytes") from None
            width *= 2
    if wanted.footer is None and not page.contains(footer.FOOTER_CLASS.encode()):
        return edits
    scan = _scan_body(page, head.insert_at, xml, wanted.footer_before, window, limit)
    text_at = _WindowText(page, limit)
    return edits + footer.footer_edits(scan, wanted.footer, whole.value_of(encode), text_at)


def _scan_body(
    page: Page, after: int, xml: bool, before: str, window: int, limit: int
) -> footer.BodyScan:
    """splice.edit's pass over the body, a window at a time; each window starts where a
    token does (the first: the head's insertion point, where the whole pass starts)."""
    scan = footer.BodyScan(before)
    pos, width = after, window
    while True:
        data = page.read(pos, pos + width)
        text = data.decode("latin-1")
        final = pos + len(data) >= page.size
        body = (
            tokens(text, 0, xml=True, final=final)
            if xml
            else tokens_that_matter(text, 0, before, footer.FOOTER_CLASS, final=final)
        )
        try:
            for token in body:
                scan.note(text, token, pos, final)
            return scan
        except Cut as cut:
            if cut.at > 0:
                pos += cut.at
            elif width >= limit:
                raise _Whole(f"a token of over {limit} bytes in the body") from None
            else:
                width *= 2  # one token fills the window: read more of it at once


class _WindowText:
    """The reads footer_edits makes, each of a few bytes around one place of the page."""

    def __init__(self, page: Page, limit: int) -> None:
        self.page, self.limit = page, limit

    def line_before(self, at: int) -> tuple[int, str] | None:
        back = 256
        while True:
            begin = max(0, at - back)
            text = self.page.read(begin, at).decode("latin-1")
            # Valid once the run of whitespace before ``at`` starts inside what was read.
            if begin == 0 or text.lstrip(" \t\r\n"):
                line = line_before(text, len(text))
                return (begin + line.start(), line.group(0)) if line else None
            if back >= self.limit:
                raise _Whole(f"over {self.limit} bytes of whitespace before the footer link")
            back *= 2

    def slice(self, begin: int, end: int) -> str:
        return self.page.read(begin, end).decode("latin-1")

    def blank(self, begin: int, end: int) -> bool:
        for at in range(begin, end, _CHUNK):
            if self.page.read(at, min(end, at + _CHUNK)).decode("latin-1").strip():
                return False
        return True

    def unended(self, wanted: str) -> int | None:
        raise _Whole("a footer link wanted on a page with no end of its body")
