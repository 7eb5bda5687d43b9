"""Copy byte ranges between file descriptors inside the kernel where it can.

Images (the pixels between our metadata), pages (the body between the head and the footer)
and plain files all copy most of their bytes unchanged; the kernel copies them without
bringing them into Python (``copy_file_range``, reflinked on filesystems that share
extents), else ``sendfile``, else a bounded read/write loop, so memory never grows with
the file. Writes go to the output descriptor's current position, the input is read at
explicit offsets (its own position is left alone).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable

# copy_file_range refuses: across filesystems (older kernels), not implemented, or a
# filesystem (or seccomp profile) that does not offer it. sendfile, then read/write, can.
_REFUSED = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM}
CHUNK = 1 << 20  # the read/write fallback's buffer: memory stays bounded
_MAX_CALL = 1 << 30  # some kernels cap one call near 2 GiB


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` at ``fd``'s position (``os.write`` may write fewer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_plan(src_fd: int, plan: Iterable[bytes | tuple[int, int]], dst_fd: int) -> int | None:
    """Write a plan (new bytes, and ``(offset, length)`` ranges of ``src_fd``) in order to
    ``dst_fd``; None, or the offset at which the source ended before a range did."""
    for piece in plan:
        if isinstance(piece, bytes):
            write_all(dst_fd, piece)
            continue
        offset, length = piece
        copied = copy_range(src_fd, dst_fd, offset, length)
        if copied < length:
            return offset + copied
    return None


def copy_range(src_fd: int, dst_fd: int, offset: int, length: int) -> int:
    """Copy ``length`` bytes of ``src_fd`` from ``offset`` to ``dst_fd``; how many were
    copied, fewer only where the source ends early (the caller decides what that means)."""
    done = 0
    ways = [_by_copy_file_range, _by_sendfile, _by_read_write]
    while done < length:
        try:
            n = ways[0](src_fd, dst_fd, offset + done, min(length - done, _MAX_CALL))
        except OSError as exc:
            if exc.errno not in _REFUSED or len(ways) == 1:
                raise
            ways.pop(0)  # nothing was written by the refused call: the next way goes on
            continue
        if n == 0 and len(ways) > 1:
            # copy_file_range and sendfile also return 0 for files they cannot copy
            # (procfs, some FUSE and network filesystems): only a read tells the end.
            ways.pop(0)
            continue
        if n == 0:
            break
        done += n
    return done


def _by_copy_file_range(src_fd: int, dst_fd: int, offset: int, count: int) -> int:
    if not hasattr(os, "copy_file_range"):
        raise OSError(errno.ENOSYS, "copy_file_range is not available")
    return os.copy_file_range(src_fd, dst_fd, count, offset)


def _by_sendfile(src_fd: int, dst_fd: int, offset: int, count: int) -> int:
    if not hasattr(os, "sendfile"):
        raise OSError(errno.ENOSYS, "sendfile is not available")
    return os.sendfile(dst_fd, src_fd, offset, count)


def _by_read_write(src_fd: int, dst_fd: int, offset: int, count: int) -> int:
    data = os.pread(src_fd, min(count, CHUNK), offset)
    write_all(dst_fd, data)
    return len(data)
