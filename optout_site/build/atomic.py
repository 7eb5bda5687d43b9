"""Atomic file replacement: a reader sees the old file or the new one, never half of one.

Every write goes to a temporary file in the target's own folder (same filesystem, so the
rename is atomic), is flushed and fsynced, then renamed over the target. A build records
the name of each temp file before creating it (:func:`recording_temps`), so the next build
sweeps exactly the leftovers of a killed one and never a file of the user's that merely
looks like one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from optout_site import fdcopy

TEMP_PREFIX = ".optout-site-tmp-"
_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"[0-9a-f]{16}")
# Where this process records the temp files it creates (see recording_temps).
_journal: list[Path] = []


def is_temp_name(name: str) -> bool:
    """Named as our temp files are (which alone proves nothing: see sweep_temp_files)."""
    return _TEMP_NAME.fullmatch(name) is not None


def record_temps(journal: Path | None) -> None:
    """Record every temp file this process creates from now on in ``journal`` (None: stop)."""
    _journal[:] = [journal] if journal is not None else []


@contextlib.contextmanager
def recording_temps(journal: Path | None) -> Iterator[None]:
    record_temps(journal)
    try:
        yield
    finally:
        record_temps(None)


def _create_temp(folder: Path) -> tuple[int, Path]:
    """A new temp file in ``folder``, its name in the journal before the file exists."""
    while True:
        path = folder / (TEMP_PREFIX + secrets.token_hex(8))
        for journal in _journal:
            fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, os.fsencode(path) + b"\0")
            finally:
                os.close(fd)
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue  # another writer's: never removed
        except BaseException:
            # A Ctrl-C the instant the file is created: its name is known, so remove it.
            _discard(path)
            raise


@contextlib.contextmanager
def replace(target: Path, mode_from: Path | None = None) -> Iterator[BinaryIO]:
    """Yield a binary file; on clean exit it atomically becomes ``target``.

    Replacing a file in place keeps who may read it: owner (where permitted), group,
    permission bits, ACLs and other extended attributes. A new file (or an output made
    from ``mode_from``) takes ``mode_from``'s permission bits. On error the temp file is
    removed and the target is untouched. A hard link to the target keeps the old content:
    the new file is a new inode (docs/configuration.md, "output").
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    durable = _durable(target)
    try:
        fd, tmp = _create_temp(target.parent)
    except OSError as exc:  # name the file the user knows, not our temp file
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        in_place = durable and (mode_from is None or _same_inode(mode_from, target))
        if in_place:
            _keep_access(target, tmp)
        else:
            try:
                shutil.copymode(mode_from if mode_from is not None else target, tmp)
            except FileNotFoundError:
                os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        if durable:
            _fsync_dir(target.parent)
    except BaseException:
        _discard(tmp)
        raise


# "ci": the checkout the build writes into is thrown away with the runner, so a power cut
# loses nothing a re-run would not restore (docs/ci.md, "Durability").
DURABILITY_ENV = "OPTOUT_SITE_DURABILITY"


def _durable(target: Path) -> bool:
    """Whether replacing ``target`` must survive a power cut as its old or its new self."""
    # A file that did not exist holds nothing of the user's (after a power cut, run the
    # build again with --force); skipping fsync there is what keeps a build into a fresh
    # output folder near the speed of cp. Any value but "ci" keeps full durability, so a
    # typo never trades away the user's only copy.
    if os.environ.get(DURABILITY_ENV, "").strip().lower() == "ci":
        return False
    return target.exists()


def _discard(tmp: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()


def _same_inode(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# Not ours to copy or not copyable: the kernel refuses them to unprivileged writers, or
# the filesystem has no extended attributes at all.
_XATTR_SKIP = {errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENODATA}


def _keep_access(original: Path, new: Path) -> None:
    """Give ``new`` the owner, group, mode, ACLs and xattrs of ``original``.

    A web server that reads a file through its group (www-data, 640) must still read the
    stamped file, and a build run as root in a container must not hand files to root.
    """
    st = os.stat(original)
    for uid in (st.st_uid, -1):  # giving a file away needs privilege; its group may not
        try:
            os.chown(new, uid, st.st_gid)
            break
        except PermissionError:
            continue
    os.chmod(new, stat.S_IMODE(st.st_mode))
    if not hasattr(os, "listxattr"):
        return
    try:
        names = os.listxattr(original)
    except OSError as exc:
        if exc.errno in _XATTR_SKIP:
            return
        raise
    for name in names:  # ACLs are the system.posix_acl_* attributes
        try:
            os.setxattr(new, name, os.getxattr(original, name))
        except OSError as exc:
            if exc.errno not in _XATTR_SKIP:
                raise


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX: the directory entry lives in the folder)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(target: Path, data: bytes, mode_from: Path | None = None) -> None:
    with replace(target, mode_from) as handle:
        handle.write(data)


def copy_file(source: Path, target: Path) -> None:
    """Copy bytes atomically with the fastest path the OS offers (``fdcopy``)."""
    with source.open("rb") as src, replace(target, mode_from=source) as dst:
        size = os.fstat(src.fileno()).st_size
        fdcopy.copy_range(src.fileno(), dst.fileno(), 0, size)
    shutil.copystat(source, target, follow_symlinks=False)


@contextlib.contextmanager
def exclusive(lock_file: Path) -> Iterator[str | None]:
    """Hold an advisory lock on ``lock_file`` for the block; yields None when taken, else
    who holds it ("pid N"). The kernel drops the lock when the holder exits, even killed."""
    import fcntl  # POSIX only, and only a build needs it

    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            yield f"pid {holder}" if holder else "another process"
            return
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield None
    finally:
        os.close(fd)


def unwritable(folder: Path) -> str | None:
    """Why nothing can be written into ``folder`` (created if missing), or None if it can.

    Asked once before a build, so a read-only output is one line in the report rather
    than an error per file.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = _create_temp(folder)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)
    return None


def sweep_temp_files(journal: Path, root: Path) -> int:
    """Remove the temp files under ``root`` that builds recorded in ``journal`` and that are
    still there (a build was killed mid-write); returns how many. Call it holding the
    output's lock, so no build of ours is writing them now."""
    try:
        recorded = set(journal.read_bytes().split(b"\0"))
    except FileNotFoundError:
        return 0
    count = 0
    for raw in sorted(recorded - {b""}):
        path = Path(os.fsdecode(raw))
        if not is_temp_name(path.name) or not path.is_relative_to(root):
            continue
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(path).st_mode):
                path.unlink()
                count += 1
    journal.unlink(missing_ok=True)
    return count
