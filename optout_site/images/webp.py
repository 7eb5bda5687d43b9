"""WebP: XMP in the ``XMP `` chunk of the extended (VP8X) layout (images.md §2.3).

A simple file (one ``VP8 `` or ``VP8L`` chunk) is converted to the extended layout by
prepending a VP8X chunk whose canvas size is read from the bitstream header; the
bitstream chunk itself is copied untouched. In an extended file the XMP flag is set
and the chunk replaces an existing one in place, or goes after the last chunk the
container spec knows (so before any unknown chunks), which for normal files means
appending. The RIFF size is recomputed; bytes after the RIFF end are kept.
"""

from __future__ import annotations

import struct

from optout_site.errors import ImageError, TruncatedImage
from optout_site.images import exifnames
from optout_site.images.container import Piece, Source, coalesce

NAME = "webp"
EXTENSIONS = (".webp",)
PADDING = 512  # web delivery format: a little room for other tools, not 2 KB per image
MAX_PACKET = 0xFFFFFFFF - 64
FLAG_ALPHA, FLAG_XMP, FLAG_ANIMATION = 0x10, 0x04, 0x02
KNOWN = {b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L", b"EXIF", b"XMP "}


def accept(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) & 1)


class Webp:
    note = ""

    def __init__(self, source: Source) -> None:
        self.source = source
        read = source.read
        riff, size, webp = struct.unpack("<4sI4s", read(0, 12, "RIFF header"))
        if riff != b"RIFF" or webp != b"WEBP":
            raise ImageError("bad RIFF/WEBP header at byte offset 0")
        self.riff_end = 8 + size
        if self.riff_end > source.size:
            raise TruncatedImage(
                f"RIFF header (byte offset 4) declares {self.riff_end} bytes but "
                f"the file has {source.size}: truncated"
            )
        self.chunks: list[tuple[bytes, int, int]] = []  # (fourcc, start, end incl. padding)
        pos = 12
        while pos + 8 <= self.riff_end:
            fourcc, length = struct.unpack("<4sI", read(pos, 8, "chunk header"))
            end = pos + 8 + length + (length & 1)
            if pos + 8 + length > self.riff_end:
                raise ImageError(
                    f"chunk {fourcc!r} at byte offset {pos} runs past the RIFF "
                    "end: truncated or corrupt"
                )
            # A writer that dropped the final pad byte: copy what is there, pad on output.
            self.chunks.append((fourcc, pos, min(end, self.riff_end)))
            pos = end
        if pos < self.riff_end:
            raise ImageError(f"stray bytes at byte offset {pos} inside the RIFF container")
        if not self.chunks:
            raise ImageError("WebP file has no chunks (byte offset 12)")
        self.kind = self.chunks[0][0]
        if self.kind == b"VP8X":
            self.flags = read(self.chunks[0][1] + 8, 1, "VP8X flags")[0]
            required = {b"ANMF"} if self.flags & FLAG_ANIMATION else {b"VP8 ", b"VP8L"}
            if not required & {c[0] for c in self.chunks}:
                raise ImageError("VP8X file has no image data chunk")
        elif self.kind in (b"VP8 ", b"VP8L"):
            self.canvas = self._canvas()
        else:
            raise ImageError(f"first chunk {self.kind!r} at byte offset 12 is not VP8/VP8L/VP8X")
        self.c2pa = any(c[0] == b"C2PA" for c in self.chunks)
        xmp = [c for c in self.chunks if c[0] == b"XMP "]
        self.xmp = self._payload(xmp[0]) if xmp else None
        self.more_xmp = tuple(self._payload(c) for c in xmp[1:])
        exif = next((c for c in self.chunks if c[0] == b"EXIF"), None)
        self.authors = exifnames.exif_authors(self._payload(exif)) if exif else ()
        self.xmp_count = len(xmp)

    def _payload(self, c: tuple[bytes, int, int]) -> bytes:
        (length,) = struct.unpack("<I", self.source.read(c[1] + 4, 4))
        return self.source.read(c[1] + 8, length, f"{c[0]!r} chunk")

    def _canvas(self) -> tuple[int, int, bool]:
        """(width, height, alpha) from the key frame header of a simple file."""
        fourcc, start, _end = self.chunks[0]
        head = self.source.read(start + 8, 10, f"{fourcc!r} bitstream header")
        if fourcc == b"VP8 ":
            if head[0] & 1 or head[3:6] != b"\x9d\x01\x2a":
                raise ImageError(f"VP8 key frame start code missing at byte offset {start + 11}")
            w, h = struct.unpack("<HH", head[6:10])
            if not (w & 0x3FFF and h & 0x3FFF):
                # A zero canvas cannot be written to VP8X (it stores size - 1).
                raise ImageError(
                    f"VP8 key frame at byte offset {start + 8} declares a "
                    f"{w & 0x3FFF}x{h & 0x3FFF} image"
                )
            return w & 0x3FFF, h & 0x3FFF, False
        bits = struct.unpack("<I", head[1:5])[0]
        if head[0] != 0x2F or bits >> 29:
            raise ImageError(f"bad VP8L signature/version at byte offset {start + 8}")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool(bits >> 28 & 1)

    def plan(self, packet: bytes, rights: object) -> list[Piece] | None:
        new = chunk(b"XMP ", packet)
        if (
            self.kind == b"VP8X"
            and self.flags & FLAG_XMP
            and self.xmp_count == 1
            and self.xmp == packet
        ):
            return None
        body: list[Piece] = []
        if self.kind == b"VP8X":
            start = self.chunks[0][1]
            vp8x = self.source.read(start, 18, "VP8X chunk")
            body.append(vp8x[:8] + bytes([self.flags | FLAG_XMP]) + vp8x[9:])
            body.append((start + 18, self.chunks[0][2] - start - 18))
            rest = self.chunks[1:]
        else:
            w, h, alpha = self.canvas
            flags = FLAG_XMP | (FLAG_ALPHA if alpha else 0)
            payload = (
                bytes([flags, 0, 0, 0])
                + (w - 1).to_bytes(3, "little")
                + (h - 1).to_bytes(3, "little")
            )
            body.append(chunk(b"VP8X", payload))
            rest = self.chunks
        last_known = max((i for i, c in enumerate(rest) if c[0] in KNOWN), default=-1)
        placed = False
        for i, (fourcc, start, end) in enumerate(rest):
            if fourcc == b"XMP ":
                if not placed:
                    body.append(new)
                    placed = True
                continue
            body.append((start, end - start))
            if (end - start) & 1:
                body.append(b"\x00")
            if i == last_known and not placed and self.xmp is None:
                body.append(new)
                placed = True
        if not placed:
            body.append(new)
        length = sum(p[1] if isinstance(p, tuple) else len(p) for p in body)
        header = b"RIFF" + struct.pack("<I", 4 + length) + b"WEBP"
        return coalesce([header, *body, (self.riff_end, self.source.size - self.riff_end)])


def parse(source: Source) -> Webp:
    return Webp(source)
