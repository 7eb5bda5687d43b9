"""Rights metadata written into published images, losslessly (DESIGN.md §5).

One plugin module per container format, Pillow-style: each declares its name, file
extensions, signature test (``accept``), XMP padding and packet limit, and ``parse``; the
contract is :class:`~optout_site.images.container.Plugin`, and the core the plugins share
(:class:`Source`, :data:`Piece`, :func:`coalesce`) lives in
:mod:`optout_site.images.container`. The format actually written is always chosen by the
plugins' ``accept`` on the magic bytes; extensions only decide which files are images at
all. The plugins are imported on first use (:func:`plugins`), not with this package.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from optout_site import fdcopy
from optout_site.errors import ImageError, TruncatedImage, Unsupported
from optout_site.images.container import Container, Piece, Plugin, Source
from optout_site.images.rights import Contact, ImageRights

__all__ = [
    "Contact",
    "ImageError",
    "ImageRights",
    "StampResult",
    "inspect",
    "is_image",
    "plugins",
    "read_xmp",
    "stamp",
    "suffixes",
]


@dataclass(frozen=True)
class StampResult:
    status: Literal["changed", "unchanged", "skipped"]
    reason: str = ""


@functools.cache
def plugins() -> tuple[Plugin, ...]:
    """Every format plugin, in the order signatures are tried (cf. Pillow's ``init()``).

    Imported on first use, so importing the package stays cheap for callers that never
    touch an image; the annotation makes mypy check each module against :class:`Plugin`.
    """
    from optout_site.images import bmff, gif, jpeg, png, tiff, webp

    table: list[Plugin] = [jpeg, png, webp, tiff, gif, bmff]  # mypy names a misfit
    return tuple(table)


@functools.cache
def suffixes() -> frozenset[str]:
    """The file name suffixes of the images this package stamps, lower case, from the
    plugins' ``EXTENSIONS``: the build and ``check`` count images by this one set."""
    return frozenset(ext for plugin in plugins() for ext in plugin.EXTENSIONS)


def is_image(path: Path) -> bool:
    """True for file names this package stamps (by extension: cheap, no I/O)."""
    return path.suffix.lower() in suffixes()


def _plugin(source: Source) -> Plugin | None:
    return next((p for p in plugins() if p.accept(source.head)), None)


def _open_container(source: Source) -> tuple[Plugin, Container]:
    plugin = _plugin(source)
    if plugin is None:
        raise ImageError("unrecognised signature at byte offset 0")
    return plugin, plugin.parse(source)


_SHOWN_AS = {"webp": "WebP", "bmff": "AVIF/HEIC"}


def _plain(exc: ImageError, source: Source) -> ImageError:
    """``exc`` in the words of someone who publishes the file, its technical text kept as
    the detail. Most such files display fine: a browser decodes far more than we edit."""
    if exc.detail:
        return exc  # already in plain words
    if source.size == 0:
        return ImageError("empty file", str(exc))
    if isinstance(exc, TruncatedImage):
        return ImageError("the file ends early (truncated)", str(exc))
    plugin = _plugin(source)
    if plugin is None:
        return ImageError("not a JPEG, PNG, WebP, TIFF, GIF, AVIF or HEIC image", str(exc))
    shown = _SHOWN_AS.get(plugin.NAME, plugin.NAME.upper())
    return ImageError(
        f"non-standard {shown} we do not modify; browsers may still show it", str(exc)
    )


def _plan(
    source: Source, rights: ImageRights, resigned: bool = False
) -> tuple[StampResult, list[Piece] | None]:
    from optout_site.images import xmp  # late: lxml is needed only once an image is read

    try:
        plugin, container = _open_container(source)
        padding = plugin.PADDING if rights.padding else 0
        packets = (container.xmp, *container.more_xmp) if container.xmp else ()
        try:
            packet, note, kept_author = xmp.stamp_packet(
                packets, rights, container.authors, padding, plugin.MAX_PACKET
            )
        except ImageError as exc:
            # About the XMP text, which a user can look at: said as it is.
            raise ImageError(str(exc), exc.detail or str(exc)) from None
        if kept_author:
            # Nothing of ours beyond the reservation goes into EXIF/IPTC either.
            rights = xmp.reservation_only(rights)
        plan = container.plan(packet, rights)
    except Unsupported as exc:
        return StampResult("skipped", str(exc)), None
    if plan is None:
        return StampResult("unchanged"), None
    if container.c2pa and not resigned:
        # A manifest hard-binds every byte; editing would void its signature (unless the
        # caller signs a new manifest over the result, the original as its ingredient).
        return StampResult(
            "skipped", "file carries a C2PA manifest; writing XMP would invalidate its signature"
        ), None
    return StampResult("changed", "; ".join(n for n in (note, container.note) if n)), plan


Output = Callable[[], AbstractContextManager[BinaryIO]]


def stamp(src: Path, rights: ImageRights, output: Output, *, resigned: bool = False) -> StampResult:
    """Write ``rights`` into the XMP of ``src``, into the file ``output()`` opens.

    ``output`` is called only when something must be written; the build passes an atomic
    writer (:func:`optout_site.build.work.stamp_image`), so a failure leaves the target
    as it was. Returns "unchanged" without calling it when ``src`` already carries exactly
    what would be written. Raises :class:`ImageError` for corrupt or truncated input.
    ``resigned``: the caller signs a new C2PA manifest over the output (with ``src`` as
    its parent ingredient), so a file carrying one is stamped too.
    """
    src = Path(src)
    with src.open("rb") as handle:
        source = Source(handle.fileno())
        try:
            result, plan = _plan(source, rights, resigned)
            if plan is not None:
                with output() as out:
                    _execute(source, plan, out)
        except ImageError as exc:
            raise _plain(exc, source) from None
    return result


def inspect(path: Path, rights: ImageRights, *, resigned: bool = False) -> StampResult:
    """What :func:`stamp` would report for ``path``, without writing anything."""
    path = Path(path)
    with path.open("rb") as handle:
        source = Source(handle.fileno())
        try:
            return _plan(source, rights, resigned)[0]
        except ImageError as exc:
            raise _plain(exc, source) from None


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
            raise _plain(exc, source) from None


def _execute(source: Source, plan: list[Piece], out: BinaryIO) -> None:
    # Raw fd writes only: mixing the buffered handle with copy_file_range would
    # interleave two notions of the file position.
    out.flush()
    ended = fdcopy.write_plan(source.fd, plan, out.fileno())
    if ended is not None:
        raise ImageError(
            "the file changed while it was read", f"nothing left at byte offset {ended}"
        )
