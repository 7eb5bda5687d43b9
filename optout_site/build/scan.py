"""Walk a built site folder: every regular file, with its URL path, never leaving the site.

Symlinks are followed only when they point at a file inside the site; a link that leaves
the site, a dangling link and a link to a folder (possible loop) are reported and skipped.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from optout_site import paths
from optout_site.build.atomic import is_temp_name


@dataclass(frozen=True)
class Entry:
    rel: PurePosixPath  # path inside the site, '/'-separated
    path: Path  # the file on disk (a symlink's target where it was followed)

    @property
    def url_path(self) -> str:
        return paths.file_url_path(self.rel)


@dataclass(frozen=True)
class Skipped:
    rel: PurePosixPath
    reason: str
    unread: bool = False  # a folder that could not be listed: its files are not built


_TEMP = "named like an optout-site temp file (an interrupted build's?); not published"
# What the system calls ENAMETOOLONG, in words a user can act on.
TOO_LONG = (
    "path too long for the system (over 4096 bytes with its folders, or a name over 255 bytes)"
)


def scan(root: Path) -> tuple[list[Entry], list[Skipped]]:
    """Every file under ``root``, sorted, with what was left out and why.

    os.scandir gives each entry's type without another stat, which matters on sites of
    thousands of files (a no-op rebuild is mostly this walk).
    """
    root = root.resolve()
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    pending = [("", str(root))]
    while pending:
        prefix, folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                items = sorted(listing, key=lambda item: item.name)
        except OSError as exc:  # an unreadable folder is named; the rest is built
            why = TOO_LONG if exc.errno == errno.ENAMETOOLONG else exc.strerror
            reason = f"folder not read: {why or type(exc).__name__}"
            skipped.append(Skipped(PurePosixPath(prefix.rstrip("/") or "."), reason, True))
            continue
        subfolders = []
        for item in items:
            rel = prefix + item.name
            if item.is_dir(follow_symlinks=False):
                subfolders.append((rel + "/", item.path))
            elif is_temp_name(item.name):
                # Ours, mid-write (a build is running) or left by one killed before
                # builds recorded their temp files: never published.
                skipped.append(Skipped(PurePosixPath(rel), _TEMP))
            elif item.is_symlink():
                found = _follow(root, Path(item.path), PurePosixPath(rel))
                if isinstance(found, Entry):
                    entries.append(found)
                else:
                    skipped.append(found)
            elif item.is_file(follow_symlinks=False):
                entries.append(Entry(PurePosixPath(rel), Path(item.path)))
            else:
                skipped.append(Skipped(PurePosixPath(rel), "not a regular file"))
        pending.extend(reversed(subfolders))
    entries.sort(key=lambda e: e.rel.parts)
    skipped.sort(key=lambda e: e.rel.parts)
    return entries, skipped


def _follow(root: Path, path: Path, rel: PurePosixPath) -> Entry | Skipped:
    try:
        return _target(root, path, rel)
    except OSError as exc:
        why = TOO_LONG if exc.errno == errno.ENAMETOOLONG else exc.strerror
        return Skipped(rel, f"symlink not followed: {why or type(exc).__name__}")


def _target(root: Path, path: Path, rel: PurePosixPath) -> Entry | Skipped:
    if path.is_dir():
        return Skipped(rel, "symlink to a folder, not followed")
    try:
        target = path.resolve()
    except (RuntimeError, OSError):
        # Python 3.11 raises RuntimeError for a loop (a -> b -> a), 3.13 OSError.
        return Skipped(rel, "symlink loop, not followed")
    if not target.is_relative_to(root):
        return Skipped(rel, "symlink pointing outside the site, not followed")
    if not target.is_file():
        return Skipped(rel, "symlink to a missing or special file")
    return Entry(rel, target)
