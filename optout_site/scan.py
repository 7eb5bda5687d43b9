"""Walk a built site folder: every regular file, with its URL path, never leaving the site.

Symlinks are followed only when they point at a file inside the site; a link that leaves
the site, a dangling link and a link to a folder (possible loop) are reported and skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from optout_site.atomic import TEMP_PREFIX


@dataclass(frozen=True)
class Entry:
    rel: PurePosixPath  # path inside the site, '/'-separated
    path: Path  # the file on disk (a symlink's target where it was followed)

    @property
    def url_path(self) -> str:
        return url_path(self.rel)


@dataclass(frozen=True)
class Skipped:
    rel: PurePosixPath
    reason: str


def url_path(rel: PurePosixPath | str) -> str:
    """The path a server answers for this file, percent-encoded as crawlers send it."""
    raw = os.fsencode(str(rel))  # keeps undecodable names byte-exact (surrogateescape)
    return "/" + quote(raw, safe="/-._~!$&'()*+,;=:@")


def scan(root: Path) -> tuple[list[Entry], list[Skipped]]:
    root = root.resolve()
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        dirs.sort()
        for name in list(dirs):
            if (base / name).is_symlink():
                dirs.remove(name)
                skipped.append(
                    Skipped(_rel(root, base / name), "symlink to a folder, not followed")
                )
        for name in sorted(files):
            if name.startswith(TEMP_PREFIX):
                continue
            path = base / name
            rel = _rel(root, path)
            if path.is_symlink():
                try:
                    target = path.resolve()
                except (RuntimeError, OSError):
                    # Python 3.11 raises RuntimeError for a loop (a -> b -> a), 3.13 OSError.
                    skipped.append(Skipped(rel, "symlink loop, not followed"))
                    continue
                if not target.is_relative_to(root):
                    skipped.append(Skipped(rel, "symlink pointing outside the site, not followed"))
                    continue
                if not target.is_file():
                    skipped.append(Skipped(rel, "symlink to a missing or special file"))
                    continue
                path = target
            elif not path.is_file():
                skipped.append(Skipped(rel, "not a regular file"))
                continue
            entries.append(Entry(rel, path))
    return entries, skipped


def _rel(root: Path, path: Path) -> PurePosixPath:
    return PurePosixPath(path.relative_to(root).as_posix())
