"""Image rights metadata: the XMP ``plus:DataMining`` value travels with the file, so it
must say what the policy says for the image's path (IPTC Photo Metadata 2023.1)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from optout_site import dialects, images
from optout_site.check.context import Context
from optout_site.check.model import BAD, OK, XMP
from optout_site.images import xmp

T = TypeVar("T")
_FIX = "Rebuild with `optout-site build`; it writes the rights into every image's XMP."
_UNREADABLE_FIX = (
    "The build leaves such a file as it is, so it carries no reservation; save it again "
    "from an image editor (or replace it), then rebuild."
)


def _read(ctx: Context, path: str) -> tuple[bytes | None, str | None, str]:
    """(packet, error, its technical detail)."""
    return read_image(ctx, path, images.read_xmp)


def read_image(
    ctx: Context, path: str, read: Callable[[Path], T]
) -> tuple[T | None, str | None, str]:
    """(what ``read`` returns for the image, error, its technical detail). URL mode
    downloads the file to a temporary file first, whose name is no business of the report."""
    local = ctx.source.local(path)
    try:
        if local is not None:
            return read(local), None, ""
        got = ctx.get(path)
        if not got.ok:
            return None, f"cannot be fetched ({got.error or got.status})", ""
        suffix = Path(path).suffix or ".img"
        fd, name = tempfile.mkstemp(suffix=suffix, prefix="optout-check-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(got.body)
            return read(Path(name)), None, ""
        finally:
            os.unlink(name)
    except images.ImageError as exc:
        return None, f"cannot be read: {exc}", exc.detail
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}", ""


def _code(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def check(ctx: Context) -> None:
    if not ctx.exp.images:
        return
    for path in ctx.images:
        ctx.count(XMP)
        ctx.report.coverage.images += 1
        want = dialects.iptc_data_mining(ctx.decision(path))
        packet, error, detail = _read(ctx, path)
        if error is not None:
            ctx.add("error", XMP, path, f"the image {error}", _UNREADABLE_FIX, detail=detail)
            ctx.cell(path, XMP, BAD, "unreadable")
            continue
        if packet is None:
            ctx.add(
                ctx.missing_severity(),
                XMP,
                path,
                "the image has no XMP metadata, so the "
                f"reservation does not travel with it (policy: {_code(want)}; "
                f"{ctx.tdm_says(path)})",
                _FIX,
            )
            ctx.cell(path, XMP, BAD, "no XMP")
            continue
        try:
            values = xmp.summary(packet).get("data_mining", [])
        except Exception as exc:  # a foreign packet our reader cannot take: report, go on
            ctx.add("error", XMP, path, f"the XMP packet cannot be parsed: {exc}", _FIX)
            ctx.cell(path, XMP, BAD, "unparseable XMP")
            continue
        codes = list(dict.fromkeys(_code(v) for v in values))
        if not codes:
            ctx.add(
                ctx.missing_severity(),
                XMP,
                path,
                "the XMP has no plus:DataMining value "
                f"(policy: {_code(want)}; {ctx.tdm_says(path)})",
                _FIX,
            )
            ctx.cell(path, XMP, BAD, "DataMining missing")
        elif codes != [_code(want)]:
            ctx.add(
                "error",
                XMP,
                path,
                f"plus:DataMining says {', '.join(codes)} but the policy "
                f"needs {_code(want)} here; {ctx.tdm_says(path)}",
                _FIX,
            )
            ctx.cell(path, XMP, BAD, f"{', '.join(codes)}, want {_code(want)}")
        else:
            ctx.report.coverage.images_reserved += 1
            ctx.cell(path, XMP, OK, codes[0])
            if values[0] != want:
                ctx.add(
                    "warning",
                    XMP,
                    path,
                    f"plus:DataMining is {values[0]!r}, not the vocabulary URI {want}",
                    _FIX,
                )
