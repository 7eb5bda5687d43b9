"""GIF: XMP in the "XMP DataXMP" application extension (XMP spec part 3, images.md §2.5).

The packet is stored raw, not as sub-blocks, followed by a 258-byte "magic trailer"
(0x01, 0xFF down to 0x00, then the block terminator). A reader that walks the packet
as sub-blocks lands somewhere in the descending ramp, and every byte of the ramp
jumps exactly to the terminator, so generic readers skip the block safely.

Placement: an existing XMP block is replaced where it is; a new one goes right after
the header and global colour table, behind any leading application extensions (so
NETSCAPE2.0 looping stays first, where old browsers look for it) and before the first
control/image block. GIF87a files are relabelled GIF89a, the version that has
extensions. The whole block structure is walked (sequentially, in bounded chunks),
since a GIF has no index; a file that does not reach the 0x3B trailer is truncated.
"""

from __future__ import annotations

import os

from optout_site.errors import ImageError, TruncatedImage
from optout_site.images.container import Defaults, Piece, Source, coalesce

NAME = "gif"
EXTENSIONS = (".gif",)
PADDING = 512  # web delivery format: a little room for other tools, not 2 KB per image
MAX_PACKET = None
APP_ID = b"XMP DataXMP"
MAGIC = bytes([1, *range(255, -1, -1), 0])
MAX_XMP = 16 * 1024 * 1024


def accept(head: bytes) -> bool:
    return head[:6] in (b"GIF87a", b"GIF89a")


class _Stream:
    """Sequential reader over the file in 256 KiB windows (memory stays bounded)."""

    WINDOW = 256 * 1024

    def __init__(self, source: Source, pos: int) -> None:
        self.source, self.pos = source, pos
        self.buf, self.base = b"", pos

    def take(self, n: int, what: str) -> bytes:
        rel = self.pos - self.base
        if rel + n > len(self.buf):
            want = max(n, self.WINDOW)
            self.buf = os.pread(self.source.fd, want, self.pos)
            self.base, rel = self.pos, 0
            if len(self.buf) < n:
                raise TruncatedImage(
                    f"{what} at byte offset {self.pos} runs past the "
                    f"end of the file ({self.source.size} bytes)"
                )
        self.pos += n
        return self.buf[rel : rel + n]

    def sub_blocks(self, what: str) -> None:
        while True:
            # Image data is a chain of sub-blocks of up to 255 bytes (a thousand per
            # 300 KB frame): those wholly inside the window are hopped over here, without
            # slicing each; the one that crosses the window's end goes through take(),
            # which refills the window or says where the file ends early.
            buf, rel = self.buf, self.pos - self.base
            end = len(buf)
            while rel < end:
                n = buf[rel]
                if n == 0:
                    self.pos = self.base + rel + 1
                    return
                if rel + 1 + n > end:
                    break
                rel += 1 + n
            self.pos = self.base + rel
            n = self.take(1, what)[0]
            if n == 0:
                return
            self.take(n, what)


class Gif(Defaults):
    note = ""
    c2pa = False

    def __init__(self, source: Source) -> None:
        self.source = source
        head = source.read(0, 13, "GIF header")
        self.version = head[:6]
        flags = head[10]
        pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
        source.read(pos - 1, 1, "global colour table")
        self.after_table = pos
        self.blocks: list[tuple[str, int, int]] = []  # (kind, start, end)
        stream = _Stream(source, pos)
        while True:
            start = stream.pos
            intro = stream.take(1, "block introducer")[0]
            if intro == 0x3B:
                break
            if intro == 0x21:
                label = stream.take(1, "extension label")[0]
                kind = "ext"
                if label == 0xFF:
                    size = stream.take(1, "application block size")[0]
                    ident = stream.take(size, "application identifier")
                    kind = "xmp" if ident == APP_ID else "app"
                    if ident.startswith(b"C2PA_GIF"):
                        self.c2pa = True
                stream.sub_blocks(f"extension at byte offset {start}")
            elif intro == 0x2C:
                desc = stream.take(9, "image descriptor")
                if desc[8] & 0x80:
                    stream.take(3 << ((desc[8] & 7) + 1), "local colour table")
                stream.take(1, "LZW code size")
                stream.sub_blocks(f"image data at byte offset {start}")
                kind = "image"
            else:
                raise ImageError(f"unknown GIF block 0x{intro:02X} at byte offset {start}")
            self.blocks.append((kind, start, stream.pos))
        self.trailer = stream.pos - 1
        if not any(kind == "image" for kind, _, _ in self.blocks):
            raise ImageError("GIF has no image")
        xmp = [b for b in self.blocks if b[0] == "xmp"]
        self.xmp_count = len(xmp)
        self.xmp = self._packet(xmp[0]) if xmp else None
        self.more_xmp = tuple(self._packet(b) for b in xmp[1:])

    def _packet(self, block: tuple[str, int, int]) -> bytes:
        _, start, end = block
        data_start = start + 3 + len(APP_ID)
        if end - data_start > MAX_XMP:
            raise ImageError(
                "its XMP metadata is implausibly large (over 16 MB); we do not modify it",
                f"XMP block at byte offset {start} holds {end - data_start} bytes",
            )
        data = self.source.read(data_start, end - data_start, "XMP block")
        if not data.endswith(MAGIC):
            raise ImageError(f"XMP block at byte offset {start} lacks the magic trailer")
        return data[: -len(MAGIC)]

    def plan(self, packet: bytes, rights: object) -> list[Piece] | None:
        if b"\x00" in packet:
            raise ImageError("XMP packet contains a NUL byte, which GIF cannot carry")
        if self.version == b"GIF89a" and self.xmp_count == 1 and self.xmp == packet:
            return None
        new = b"\x21\xff" + bytes([len(APP_ID)]) + APP_ID + packet + MAGIC
        first_xmp = next((start for kind, start, _ in self.blocks if kind == "xmp"), None)
        pieces: list[Piece] = [b"GIF89a", (6, self.after_table - 6)]
        placed = first_xmp is not None  # then the new block takes the old one's place
        for kind, start, end in self.blocks:
            if not placed and kind != "app":
                pieces.append(new)
                placed = True
            if kind == "xmp":
                if start == first_xmp:
                    pieces.append(new)
                continue  # duplicates are dropped: readers disagree on which one wins
            pieces.append((start, end - start))
        pieces.append((self.trailer, self.source.size - self.trailer))
        return coalesce(pieces)


def parse(source: Source) -> Gif:
    return Gif(source)
