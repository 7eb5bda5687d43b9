"""HEIF/HEIC/AVIF (ISO BMFF): a stub plugin, recognised but not supported.

Like Pillow's ``StubImageFile``: the format is identified (by its extensions and the
``ftyp`` brand) so that such files are reported as skipped, never mistaken for
something else, but ``parse`` always raises :class:`Unsupported`. Adding an XMP item
grows the ``meta`` box, which shifts ``mdat`` and means patching every ``iloc`` offset
(images.md §2.6); until that is implemented and tested against real camera files these
images are reported as skipped, never half-written.
"""

from __future__ import annotations

from typing import NoReturn

from optout_site.errors import Unsupported
from optout_site.images.container import Source

NAME = "bmff"
EXTENSIONS = (".avif", ".heic", ".heif")
PADDING = 0
MAX_PACKET = None
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


def accept(head: bytes) -> bool:
    return head[4:8] == b"ftyp" and head[8:12] in BRANDS


def parse(source: Source) -> NoReturn:
    raise Unsupported("AVIF/HEIC metadata writing is not supported yet")
