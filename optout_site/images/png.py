"""PNG: XMP in an uncompressed ``iTXt`` chunk with keyword ``XML:com.adobe.xmp``.

Some Apple and Adobe readers ignore an XMP chunk after IDAT (images.md §2.2), so an
existing XMP chunk before IDAT is replaced where it stands, while one after IDAT is
dropped and the new chunk goes right after IHDR, as Adobe's toolkit places it. No other
chunk moves or changes; bytes after IEND are kept.

Only chunk headers are read (8 bytes each, by ``pread``), which is enough to find a
truncated file: the chain must reach IEND inside the file. CRCs are checked for the
chunks we read in full (IHDR, XMP); checking IDAT would mean reading the image data.
Apple's CgBI variant (a ``CgBI`` chunk before IHDR) is not a PNG other readers decode and
is left alone as unsupported.
"""

from __future__ import annotations

import struct
import zlib

from optout_site.errors import ImageError, Unsupported
from optout_site.images import exifnames
from optout_site.images.container import Piece, Source, coalesce

NAME = "png"
EXTENSIONS = (".png", ".apng")
SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"XML:com.adobe.xmp\x00"
# keyword, compression flag 0, method 0, empty language tag, empty translated keyword
XMP_PREFIX = KEYWORD + b"\x00\x00\x00\x00"
PADDING = 512  # web delivery format: a little room for other tools, not 2 KB per image
MAX_PACKET = None
MAX_XMP = 16 * 1024 * 1024  # a bigger (or bigger-inflating) XMP chunk is not sane input


def accept(head: bytes) -> bool:
    return head.startswith(SIGNATURE)


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


class Png:
    note = ""
    authors: tuple[str, ...] = ()

    def __init__(self, source: Source) -> None:
        self.source = source
        read = source.read
        if read(0, 8, "signature") != SIGNATURE:
            raise ImageError("bad PNG signature at byte offset 0")
        self.chunks: list[tuple[bytes, int, int]] = []  # (type, start, end incl. CRC)
        pos, first_idat, xmp = 8, None, []
        while True:
            length, kind = struct.unpack(">I4s", read(pos, 8, "chunk header"))
            if length > 0x7FFFFFFF or not kind.isalpha():
                raise ImageError(f"corrupt chunk header at byte offset {pos}")
            end = pos + 12 + length
            read(end - 1, 1, f"{kind.decode('latin-1')} chunk starting at byte offset {pos}")
            if not self.chunks and kind == b"CgBI":
                # Xcode's pngcrush: premultiplied BGRA in raw deflate. Only Apple's own
                # decoders read it, so what a standard PNG editor would do is no guide.
                raise Unsupported(
                    "Apple-optimised PNG (CgBI) is not a standard PNG; left unchanged"
                )
            if not self.chunks and kind != b"IHDR":
                raise ImageError("first chunk is not IHDR (byte offset 8)")
            if kind in (b"IHDR", b"iTXt"):
                data = self._data(pos, length, kind)
                if kind == b"iTXt" and data.startswith(KEYWORD):
                    xmp.append((len(self.chunks), data))
            if kind == b"eXIf" and not self.authors:
                self.authors = exifnames.exif_authors(read(pos + 8, length, "eXIf chunk"))
            if kind == b"IDAT" and first_idat is None:
                first_idat = len(self.chunks)
            self.chunks.append((kind, pos, end))
            pos = end
            if kind == b"IEND":
                break
        if first_idat is None:
            raise ImageError("no IDAT chunk before IEND")
        self.end = pos
        self.first_idat = first_idat
        self.xmp_chunks = xmp
        self.c2pa = any(kind == b"caBX" for kind, _, _ in self.chunks)
        self.xmp = _text(xmp[0][1], self.chunks[xmp[0][0]][1]) if xmp else None
        self.more_xmp = tuple(_text(data, self.chunks[i][1]) for i, data in xmp[1:])

    def _data(self, pos: int, length: int, kind: bytes) -> bytes:
        if length > MAX_XMP:
            raise ImageError(
                "its metadata is implausibly large (over 16 MB); we do not modify it",
                f"{kind.decode()} chunk at byte offset {pos} holds {length} bytes",
            )
        raw = self.source.read(pos + 4, length + 8, "chunk")
        (crc,) = struct.unpack(">I", raw[-4:])
        if zlib.crc32(raw[:-4]) != crc:
            raise ImageError(f"CRC mismatch in {kind.decode()} chunk at byte offset {pos}")
        return raw[4:-4]

    def plan(self, packet: bytes, rights: object) -> list[Piece] | None:
        data = XMP_PREFIX + packet
        new = chunk(b"iTXt", data)
        keep_at = next((i for i, _ in self.xmp_chunks if i < self.first_idat), None)
        if keep_at is not None and len(self.xmp_chunks) == 1 and self.xmp_chunks[0][1] == data:
            return None
        drop = {i for i, _ in self.xmp_chunks}
        pieces: list[Piece] = [(0, 8)]
        for i, (_kind, start, end) in enumerate(self.chunks):
            if i in drop:
                if i == keep_at:
                    pieces.append(new)
                continue
            pieces.append((start, end - start))
            if i == 0 and keep_at is None:
                pieces.append(new)  # right after IHDR
        pieces.append((self.end, self.source.size - self.end))
        return coalesce(pieces)


def _text(data: bytes, offset: int) -> bytes:
    """The XMP text of an iTXt payload, inflating it when another tool compressed it."""
    rest = data[len(KEYWORD) :]
    if len(rest) < 2:
        raise ImageError(f"XMP iTXt chunk at byte offset {offset} is cut short")
    flag, method = rest[0], rest[1]
    try:
        _lang, _translated, text = rest[2:].split(b"\x00", 2)
    except ValueError:
        raise ImageError(f"malformed XMP iTXt chunk at byte offset {offset}") from None
    if flag == 0:
        return text
    if method != 0:
        raise ImageError(f"XMP iTXt chunk at byte offset {offset} uses compression {method}")
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(text, MAX_XMP)
    except zlib.error as exc:
        raise ImageError(f"XMP iTXt chunk at byte offset {offset}: {exc}") from None
    if inflater.unconsumed_tail:
        raise ImageError(f"XMP iTXt chunk at byte offset {offset} inflates past {MAX_XMP} bytes")
    return out


def parse(source: Source) -> Png:
    return Png(source)
