"""One image's work when the site signs Content Credentials (``c2pa:``).

Our XMP first, then our manifest over it, the image as it was before as the parent
ingredient: one atomic write, so the output is never stamped but unsigned. An image
whose XMP and manifest are already what this build would write is left alone (a manifest
holds a signing time: signing again would change bytes for nothing).
"""

from __future__ import annotations

import contextlib
import tempfile
from typing import BinaryIO, cast

from optout_site import images
from optout_site.build import atomic
from optout_site.build.plan import Task
from optout_site.build.report import CHANGED, UNCHANGED, FileResult
from optout_site.c2pa import signing


def is_current(task: Task) -> bool:
    """``task.dst`` holds our stamp and a current manifest for it (the caller has checked
    that, in output mode, the source has not changed since)."""
    assert task.image is not None and task.signing is not None
    if not task.dst.is_file():
        return False
    # "skipped": a format we write no XMP into (AVIF, HEIC), where the manifest alone speaks
    stamped = images.inspect(task.dst, task.image, resigned=True).status != "changed"
    return stamped and signing.current(task.dst, task.signing)


def process(task: Task, untouched: bool) -> FileResult:
    """Stamp and sign ``task.src`` into ``task.dst``; ``untouched``: in output mode, the
    source has not changed since we wrote the output (in place: always true)."""
    assert task.image is not None and task.signing is not None
    if untouched and is_current(task):
        return FileResult(task.rel, task.kind, UNCHANGED)
    if task.dry_run:
        return FileResult(task.rel, task.kind, CHANGED)
    with tempfile.TemporaryFile() as temp:
        stamped = cast(BinaryIO, temp)
        # Left open after stamping: it is what gets signed.
        result = images.stamp(
            task.src, task.image, lambda: contextlib.nullcontext(stamped), resigned=True
        )
        edited = result.status == "changed"
        with task.src.open("rb") as original, atomic.replace(task.dst, mode_from=task.src) as out:
            signing.sign(task.src, stamped if edited else original, out, task.signing, edited)
    note = f"signed; XMP not written: {result.reason}" if result.status == "skipped" else ""
    return FileResult(task.rel, task.kind, CHANGED, note)
