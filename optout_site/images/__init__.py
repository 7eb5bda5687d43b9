"""Rights metadata written into published images, losslessly (DESIGN.md §5).

One module per container, Pillow-plugin style: each exposes ``PADDING`` and
``MAX_PACKET`` (how much XMP padding suits the container, and the largest packet it
can hold) and ``parse(source) -> container``. A container has ``xmp`` (the existing
packet or None), ``note``, ``c2pa`` (it carries a signed C2PA manifest) and
``plan(packet, rights)``. A plan is a list of pieces, each either new bytes or an
``(offset, length)`` range of the source that the kernel copies
(``os.copy_file_range``), so memory never grows with the image and no pixel is
decoded. ``plan`` returns None when the file already says exactly what we would write.
"""

from __future__ import annotations

import errno
import importlib
import os
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, BinaryIO

from optout_site.errors import ImageError, Unsupported

__all__ = [
    "FORMATS",
    "Contact",
    "ImageError",
    "ImageRights",
    "StampResult",
    "inspect",
    "is_image",
    "read_xmp",
    "stamp",
]


def _check_xml_text(owner: object) -> None:
    # XML 1.0 cannot carry most C0 controls or lone surrogates; a config typo would
    # otherwise surface deep inside lxml as an unexplained ValueError per image.
    for f in fields(owner):  # type: ignore[arg-type]
        value = getattr(owner, f.name)
        if not isinstance(value, str):
            continue
        for ch in value:
            code = ord(ch)
            if (
                (code < 0x20 and ch not in "\t\n\r")
                or 0xD800 <= code <= 0xDFFF
                or code
                in (
                    0xFFFE,
                    0xFFFF,
                )
            ):
                name = unicodedata.name(ch, f"U+{code:04X}")
                where = f"{type(owner).__name__}.{f.name}"
                raise ValueError(f"{where} contains {name}, not allowed in XML")


@dataclass(frozen=True)
class Contact:
    """Creator/licensor contact: Iptc4xmpCore:CreatorContactInfo and plus:Licensor."""

    name: str
    email: str | None = None
    url: str | None = None
    address: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        _check_xml_text(self)


@dataclass(frozen=True)
class ImageRights:
    data_mining: str
    other_constraints: str | None
    web_statement: str | None
    usage_terms: str | None
    copyright: str | None
    creator: str | None
    contact: Contact | None
    marked: bool = True
    overwrite: bool = False
    legacy: bool = False

    def __post_init__(self) -> None:
        if not self.data_mining:
            raise ValueError("ImageRights.data_mining must be a PLUS vocabulary URI")
        _check_xml_text(self)


@dataclass(frozen=True)
class StampResult:
    status: str  # "changed" | "unchanged" | "skipped"
    reason: str = ""


# Extension -> format module; used only to decide which files are images at all.
# The format actually written is always sniffed from the magic bytes.
FORMATS: dict[str, str] = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".jfif": "jpeg",
    ".png": "png",
    ".apng": "png",
    ".webp": "webp",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".gif": "gif",
    ".avif": "bmff",
    ".heic": "bmff",
    ".heif": "bmff",
}

_BMFF_BRANDS = {
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


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[4:8] == b"ftyp" and head[8:12] in _BMFF_BRANDS:
        return "bmff"
    return None


def is_image(path: Path) -> bool:
    """True for file names this package stamps (by extension: cheap, no I/O)."""
    return path.suffix.lower() in FORMATS


class Source:
    """Random access to the input through ``pread``; only the head is ever kept."""

    HEAD = 256 * 1024

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.size = os.fstat(fd).st_size
        self.head = os.pread(fd, min(self.HEAD, self.size), 0)

    def read(self, offset: int, length: int, what: str = "data") -> bytes:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise ImageError(
                f"truncated: {what} at byte offset {offset} needs {length} bytes "
                f"but the file has {self.size}"
            )
        if offset + length <= len(self.head):
            return self.head[offset : offset + length]
        data = os.pread(self.fd, length, offset)
        if len(data) != length:
            raise ImageError(f"short read of {what} at byte offset {offset} (file changed?)")
        return data


def _module(name: str) -> Any:
    return importlib.import_module(f"{__name__}.{name}")


def _open_container(source: Source) -> tuple[Any, Any]:
    name = _sniff(source.head)
    if name is None:
        raise ImageError("not a supported image: unrecognised signature at byte offset 0")
    module = _module(name)
    return module, module.parse(source)


def _plan(source: Source, rights: ImageRights) -> tuple[StampResult, list[Piece] | None]:
    from optout_site.images import xmp  # late: xmp imports ImageError from here

    try:
        module, container = _open_container(source)
        packet = xmp.merge(container.xmp, rights, module.PADDING, module.MAX_PACKET)
        plan = container.plan(packet, rights)
    except Unsupported as exc:
        return StampResult("skipped", str(exc)), None
    if plan is None:
        return StampResult("unchanged"), None
    if getattr(container, "c2pa", False):
        # A manifest hard-binds every byte; editing would void its signature.
        return StampResult(
            "skipped", "file carries a C2PA manifest; writing XMP would invalidate its signature"
        ), None
    return StampResult("changed", container.note), plan


Output = Callable[[], AbstractContextManager[BinaryIO]]


def stamp(src: Path, rights: ImageRights, output: Output) -> StampResult:
    """Write ``rights`` into the XMP of ``src``, into the file ``output()`` opens.

    ``output`` is called only when something must be written; the build passes an atomic
    writer (:func:`optout_site.build.work.stamp_image`), so a failure leaves the target
    as it was. Returns "unchanged" without calling it when ``src`` already carries exactly
    what would be written. Raises :class:`ImageError` for corrupt or truncated input.
    """
    src = Path(src)
    with src.open("rb") as handle:
        source = Source(handle.fileno())
        try:
            result, plan = _plan(source, rights)
            if plan is not None:
                with output() as out:
                    _execute(source, plan, out)
        except ImageError as exc:
            raise ImageError(f"{src}: {exc}") from None
    return result


def inspect(path: Path, rights: ImageRights) -> StampResult:
    """What :func:`stamp` would report for ``path``, without writing anything."""
    path = Path(path)
    with path.open("rb") as handle:
        try:
            return _plan(Source(handle.fileno()), rights)[0]
        except ImageError as exc:
            raise ImageError(f"{path}: {exc}") from None


def read_xmp(path: Path) -> bytes | None:
    """The file's (standard) XMP packet, or None; raises ImageError if unreadable."""
    path = Path(path)
    with path.open("rb") as handle:
        source = Source(handle.fileno())
        try:
            return _open_container(source)[1].xmp
        except Unsupported:
            return None
        except ImageError as exc:
            raise ImageError(f"{path}: {exc}") from None


Piece = bytes | tuple[int, int]


def coalesce(pieces: list[Piece]) -> list[Piece]:
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


def _execute(source: Source, plan: list[Piece], out: BinaryIO) -> None:
    # Raw fd writes only: mixing the buffered handle with copy_file_range would
    # interleave two notions of the file position.
    out.flush()
    out_fd = out.fileno()
    for piece in plan:
        if isinstance(piece, bytes):
            _write_all(out_fd, piece)
        else:
            _copy_range(source, out_fd, *piece)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


_NO_COPY_RANGE = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM}
CHUNK = 1 << 20


def _copy_range(source: Source, out_fd: int, offset: int, length: int) -> None:
    fast = hasattr(os, "copy_file_range")
    while length > 0:
        if fast:
            try:
                n = os.copy_file_range(source.fd, out_fd, min(length, 1 << 30), offset)
            except OSError as exc:
                if exc.errno not in _NO_COPY_RANGE:
                    raise
                fast = False  # e.g. across filesystems: fall back to a bounded copy loop
                continue
        else:
            data = os.pread(source.fd, min(length, CHUNK), offset)
            _write_all(out_fd, data)
            n = len(data)
        if n == 0:
            raise ImageError(f"file shrank while copying: nothing at byte offset {offset}")
        offset += n
        length -= n
