"""Work: do one file's task; pure in (task, file bytes), so it runs in any worker process.

Every write goes through :mod:`optout_site.build.atomic` and only when the bytes differ,
so a rebuild over its own output changes nothing. A bad input file becomes an ``error``
result and is left exactly as it was.
"""

from __future__ import annotations

import errno
import filecmp
import os
import stat
from pathlib import Path, PurePosixPath

from optout_site import fdcopy, images
from optout_site.build import atomic
from optout_site.build.plan import Task
from optout_site.build.report import (
    CHANGED,
    COPIED,
    ERROR,
    SKIPPED,
    UNCHANGED,
    FileResult,
)
from optout_site.build.scan import TOO_LONG
from optout_site.errors import CredentialsError, HtmlError, ImageError
from optout_site.html import stream
from optout_site.html.splice import splice


def stamp_image(src: Path, dst: Path, rights: images.ImageRights) -> images.StampResult:
    """Write ``rights`` into the XMP of ``src``, producing ``dst`` atomically (may be ``src``).

    Returns "unchanged" without writing anything when ``src`` already carries exactly
    what would be written (the caller copies if ``dst != src``). On :class:`ImageError`
    ``src`` and ``dst`` are untouched.
    """
    src, dst = Path(src), Path(dst)
    return images.stamp(src, rights, lambda: atomic.replace(dst, mode_from=src))


def process(task: Task) -> FileResult:
    """Do one file's work. Never raises for a bad input file: it becomes an error result."""
    try:
        link = linked_folder(task.dst, task.rel)
        if link is not None:
            return FileResult(task.rel, task.kind, ERROR, _through_link(link))
        if task.kind == "page":
            return _process_page(task)
        if task.kind == "image":
            return _process_image(task)
        return _process_copy(task)
    except (HtmlError, ImageError) as exc:
        return _left_as_is(task, exc)
    except CredentialsError as exc:  # the image is left as it was: stamped but unsigned is
        return FileResult(task.rel, task.kind, ERROR, str(exc))  # not what was asked
    except OSError as exc:
        return FileResult(task.rel, task.kind, ERROR, _describe(exc))


def _left_as_is(task: Task, exc: HtmlError | ImageError) -> FileResult:
    """A file we cannot edit safely still reaches the output, byte for byte, and is named.

    Images follow ``images.on_unreadable`` (a warning by default: browsers may well show
    the file); a page we cannot edit is an error, since it goes out without its tags.
    """
    message = _describe(exc)
    detail = exc.detail if isinstance(exc, ImageError) else ""
    try:
        message += _copy_as_is(task)
    except OSError as copy_exc:
        message += f"; copying it as is failed too: {_describe(copy_exc)}"
    if task.kind == "image" and not task.unreadable_is_error:
        return FileResult(task.rel, task.kind, SKIPPED, message, detail)
    return FileResult(task.rel, task.kind, ERROR, message, detail)


def _copy_as_is(task: Task) -> str:
    """In output mode, publish a file we leave unedited byte for byte; what to add to its
    report line."""
    if task.dst == task.src:
        return ""
    return " (copied as is)" if _process_copy(task).action == COPIED else ""


def _describe(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
        return f"{TOO_LONG}: {exc.filename2 or exc.filename}"
    if isinstance(exc, OSError) and exc.strerror:
        # A failed rename names our temp file first; the user knows the target.
        name = exc.filename2 or exc.filename
        return f"{exc.strerror}" + (f": {name}" if name else "")
    return str(exc) or type(exc).__name__


def _process_page(task: Task) -> FileResult:
    assert task.page is not None
    with task.src.open("rb") as handle:
        # A page that fits in one window gains nothing from windows: read whole, as
        # splice_stream's own answer for it would be (its tests hold the two equal).
        if os.fstat(handle.fileno()).st_size > stream.WINDOW:
            page = stream.splice_stream(handle.fileno(), task.page, window=stream.WINDOW)
            if isinstance(page, stream.Page):
                return FileResult(task.rel, task.kind, _write_page(task, page))
        data = handle.read()
    new = splice(data, task.page)
    current = data if task.dst == task.src else _UNREAD
    action = _replace_if_changed(task.dst, new, task.dry_run, current=current, mode_from=task.src)
    return FileResult(task.rel, task.kind, action)


def _write_page(task: Task, page: stream.Page) -> str:
    """Write a streamed page unless the target holds its bytes already; CHANGED/UNCHANGED.

    In place, a page no edit touched is unchanged without another read; in output mode
    the target is compared a window at a time, and not at all when its size differs."""
    if task.dst == task.src:
        if page.same_as(stream.Page.of(page.fd)):
            return UNCHANGED
    elif _holds(task.dst, page):
        return UNCHANGED
    if not task.dry_run:
        with atomic.replace(task.dst, mode_from=task.src) as out:
            out.flush()  # raw fd writes from here: one notion of the file position
            if fdcopy.write_plan(page.fd, page.pieces, out.fileno()) is not None:
                raise HtmlError("the page changed while it was read; left untouched")
    return CHANGED


def _holds(target: Path, page: stream.Page) -> bool:
    """Whether ``target`` is a regular file holding exactly the page's bytes."""
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symbolic link: replaced, never followed
            return False
        raise
    try:
        there = os.fstat(fd)
        # A FIFO or a device at an output path would block or never end: replaced.
        if not stat.S_ISREG(there.st_mode) or there.st_size != page.size:
            return False
        return page.same_as(stream.Page.of(fd))
    finally:
        os.close(fd)


def _process_image(task: Task) -> FileResult:
    assert task.image is not None
    in_place = task.dst == task.src
    if task.signing is not None:
        from optout_site.build import signed  # late: only sites that sign need c2pa

        untouched = in_place or _untouched_since(task.src, task.dst)
        done = signed.process(task, untouched)
        if not in_place and done.action == CHANGED and not task.dry_run:
            _copy_mtime(task.src, task.dst)
        return done
    # Output mode: our stamp of this very source is current if the source has not
    # changed since we wrote the output. mtimes cannot tell (exiftool -P strips GPS and
    # keeps the date); ctimes can: no tool sets them back.
    if (
        not in_place
        and _untouched_since(task.src, task.dst)
        and images.inspect(task.dst, task.image).status == "unchanged"
    ):
        return FileResult(task.rel, task.kind, UNCHANGED)
    if task.dry_run:
        state = images.inspect(task.src, task.image)
        if state.status == "skipped":
            return FileResult(task.rel, task.kind, SKIPPED, state.reason)
        changed = state.status == "changed" or not in_place
        return FileResult(task.rel, task.kind, CHANGED if changed else UNCHANGED)
    result = stamp_image(task.src, task.dst, task.image)
    if result.status == "skipped":
        return FileResult(task.rel, task.kind, SKIPPED, result.reason + _copy_as_is(task))
    if in_place:
        action = CHANGED if result.status == "changed" else UNCHANGED
        return FileResult(task.rel, task.kind, action, result.reason)
    if result.status == "unchanged":
        atomic.copy_file(task.src, task.dst)  # the source already carries our packet
    _copy_mtime(task.src, task.dst)
    return FileResult(task.rel, task.kind, CHANGED, result.reason)


def _process_copy(task: Task) -> FileResult:
    if task.dst == task.src or _same_file(task.src, task.dst):
        return FileResult(task.rel, task.kind, UNCHANGED)
    if task.dry_run:
        return FileResult(task.rel, task.kind, COPIED)
    atomic.copy_file(task.src, task.dst)
    return FileResult(task.rel, task.kind, COPIED)


def _same_file(src: Path, dst: Path) -> bool:
    """Output mode: the copy already holds the source's bytes (size and mtime can be kept
    by an edit, so the bytes decide; the state skips this read on most rebuilds)."""
    try:
        there = os.stat(dst, follow_symlinks=False)
        if not stat.S_ISREG(there.st_mode) or src.stat().st_size != there.st_size:
            return False
    except FileNotFoundError:
        return False
    return filecmp.cmp(src, dst, shallow=False)


def _untouched_since(src: Path, dst: Path) -> bool:
    """The source's mtime is on the output (we put it there) and the source's inode has
    not changed after the output's (its ctime is not later)."""
    try:
        a, b = src.stat(), os.stat(dst, follow_symlinks=False)
    except FileNotFoundError:
        return False
    regular = stat.S_ISREG(b.st_mode)
    return regular and a.st_mtime_ns == b.st_mtime_ns and a.st_ctime_ns <= b.st_ctime_ns


def _copy_mtime(src: Path, dst: Path) -> None:
    """Record the source's mtime on its stamped output, so a rebuild can tell it is current."""
    st = src.stat()
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))


_UNREAD = object()


def _replace_if_changed(
    target: Path,
    new: bytes,
    dry_run: bool,
    *,
    current: bytes | None | object = _UNREAD,
    mode_from: Path | None = None,
) -> str:
    """Write ``new`` to ``target`` unless it already holds exactly that; CHANGED/UNCHANGED.

    ``current`` is the target's bytes when the caller has them already (in place, the
    page it just read), so they are not read twice.
    """
    if current is _UNREAD:
        current = _read_regular(target)
    if current == new:
        return UNCHANGED
    if not dry_run:
        atomic.write_bytes(target, new, mode_from=mode_from)
    return CHANGED


def _read_regular(path: Path) -> bytes | None:
    """A regular file's bytes, or None: a FIFO or a device at an output path would block
    (or never end) if read; it is replaced like a missing file."""
    try:
        if not stat.S_ISREG(os.stat(path, follow_symlinks=False).st_mode):
            return None
        return path.read_bytes()
    except FileNotFoundError:
        return None


def linked_folder(target: Path, rel: str) -> Path | None:
    """The first folder between the site's root and ``target`` that is a symbolic link.

    Writing through it would change a file outside the site (``.well-known`` linked to a
    folder shared with other hosts, an output folder linked back into the input).
    """
    parts = PurePosixPath(rel).parts[:-1]
    folder = target.parents[len(parts)] if parts else target.parent
    for part in parts:
        folder = folder / part
        if folder.is_symlink():
            return folder
    return None


def _through_link(link: Path) -> str:
    return (
        f"not written: {link} is a symbolic link to a folder ({os.readlink(link)}); "
        "optout-site never writes through one, so a file outside the site cannot change"
    )


def write_signal(path: Path, rel: str, data: bytes, dry_run: bool) -> FileResult:
    try:
        link = linked_folder(path, rel)
        if link is not None:
            return FileResult(rel, "signal", ERROR, _through_link(link))
        return FileResult(rel, "signal", _replace_if_changed(path, data, dry_run))
    except OSError as exc:
        return FileResult(rel, "signal", ERROR, _describe(exc))
