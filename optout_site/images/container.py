"""The core every image plugin builds on, and the contract each plugin meets.

A plugin is a module, Pillow-style (each ``*ImagePlugin.py`` there owns its magic bytes
through ``_accept(prefix)`` and its extensions through ``register_extensions``): it
declares ``NAME``, ``EXTENSIONS``, ``accept(head)``, ``PADDING``, ``MAX_PACKET`` and
``parse(source)``, which is the :class:`Plugin` protocol; the package checks every plugin
module against it (:func:`optout_site.images.plugins`). ``parse`` returns a
:class:`Container`: the file's existing packet (``xmp``), a ``note`` for the report,
whether it carries a signed C2PA manifest (``c2pa``), and ``plan(packet, rights)``.

A plan is a list of :data:`Piece` s, each either new bytes or an ``(offset, length)``
range of the source that the kernel copies (``os.copy_file_range``), so memory never
grows with the image and no pixel is decoded. ``plan`` returns None when the file already
says exactly what we would write.

This module imports nothing else from the package but the rights, so the plugins can
import it without going through the package ``__init__`` (which imports them).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Protocol

from optout_site.errors import ImageError, TruncatedImage
from optout_site.images.rights import ImageRights

Piece = bytes | tuple[int, int]


class Source:
    """Random access to the input through ``pread``; only the head is ever kept."""

    HEAD = 256 * 1024

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.size = os.fstat(fd).st_size
        self.head = os.pread(fd, min(self.HEAD, self.size), 0)

    def read(self, offset: int, length: int, what: str = "data") -> bytes:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise TruncatedImage(
                f"{what} needs {length} byte(s) at byte offset {offset}, "
                f"but the file ends at {self.size}"
            )
        if offset + length <= len(self.head):
            return self.head[offset : offset + length]
        data = os.pread(self.fd, length, offset)
        if len(data) != length:
            raise ImageError(
                "the file changed while it was read",
                f"short read of {what} at byte offset {offset}",
            )
        return data


def coalesce(pieces: Iterable[Piece]) -> list[Piece]:
    """Drop empty pieces and merge adjacent source ranges into one copy."""
    out: list[Piece] = []
    for piece in pieces:
        if not (piece[1] if isinstance(piece, tuple) else piece):
            continue
        last = out[-1] if out else None
        if isinstance(piece, tuple) and isinstance(last, tuple) and sum(last) == piece[0]:
            out[-1] = (last[0], last[1] + piece[1])
        else:
            out.append(piece)
    return out


class Container(Protocol):
    """A parsed image file, as far as its metadata goes."""

    xmp: bytes | None  # the existing standard XMP packet, or None
    note: str  # said alongside "changed" (e.g. a legacy field that was not written)
    c2pa: bool  # carries a C2PA manifest, which hard-binds every byte
    # Further standard XMP packets after ``xmp``, in file order (duplicates some writers
    # leave). They are merged into one and ``plan`` keeps that one only.
    more_xmp: tuple[bytes, ...]
    # Author names the file gives outside XMP: EXIF IFD0 Artist (0x013B) and Copyright
    # (0x8298), IPTC-IIM By-line (2:80); () for a format that carries none.
    authors: tuple[str, ...]

    def plan(self, packet: bytes, rights: ImageRights) -> list[Piece] | None:
        """The pieces of the stamped file, or None when it already carries ``packet``."""
        ...


class Defaults:
    """Base for a container class with no duplicate packets and no names outside XMP."""

    more_xmp: tuple[bytes, ...] = ()
    authors: tuple[str, ...] = ()


class Plugin(Protocol):
    """What an image plugin module declares (a module satisfies this protocol)."""

    @property
    def NAME(self) -> str:
        """Short name of the format, for messages and tables."""
        ...

    @property
    def EXTENSIONS(self) -> tuple[str, ...]:
        """Lower-case file name suffixes (with the dot) that mark a file as an image."""
        ...

    @property
    def PADDING(self) -> int:
        """XMP padding that suits the container (room for in-place edits by other tools)."""
        ...

    @property
    def MAX_PACKET(self) -> int | None:
        """The largest packet the container can hold, or None for no limit."""
        ...

    def accept(self, head: bytes) -> bool:
        """True when ``head`` (the first bytes of the file) has this format's signature."""
        ...

    def parse(self, source: Source) -> Container:
        """Parse the container; raises ImageError if corrupt, Unsupported to skip it."""
        ...
