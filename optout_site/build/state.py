"""The incremental-build state: what each file looked like when we last made it current.

A rebuild skips a file without opening it when its source and its output still have the
size, mtime, ctime and inode recorded here, and the site's fingerprint (config, registry,
tool version) is unchanged. ctime cannot be set back by a tool (``exiftool -P`` and
``touch -r`` keep mtime, not ctime), so an edit that keeps size and mtime is still seen.
The file's kind (page, image, file) is kept with it, so a skipped file is not even
planned. Anything else falls through to the normal path, which compares contents before
writing; so a stale or missing state file costs time, never correctness.

``signals`` is the same promise for the site-level files (robots.txt, tdmrep.json, the
host configs, ...): what their renders read and what we wrote, see ``build/sitelevel.py``.

``outputs`` remembers, across config changes, the files the tool itself published (every
file in output mode, the site-level signals in place), so a later build can withdraw
the ones it no longer produces: a photo deleted from the input, the RSL file after RSL
is turned off. It only removes a file that is still exactly as the tool left it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import stat
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from optout_site._version import __version__
from optout_site.build import atomic

FORMAT = 3
# src size, mtime_ns, ctime_ns, inode; then the same of dst
Stamp = tuple[int, int, int, int, int, int, int, int]
Left = tuple[int, int, int]  # an output as we left it: size, mtime_ns, inode
Mark = tuple[int, int, int, int]  # one file: size, mtime_ns, ctime_ns, inode
KINDS = ("page", "image", "file")


def _canonical(value: Any) -> Any:
    """JSON-able and order-independent (frozensets hash differently in every process)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Fields left out of comparison are derived (a compiled index), not configuration.
        return {
            f.name: _canonical(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.compare
        }
    if isinstance(value, frozenset | set):
        return sorted(_canonical(v) for v in value)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def fingerprint(*parts: Any) -> str:
    """A hash of everything that decides what a build writes, plus the tool version."""
    data = json.dumps([__version__, *map(_canonical, parts)], sort_keys=True, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@dataclass
class State:
    fingerprint: str
    files: dict[str, Stamp] = field(default_factory=dict)
    outputs: dict[str, Left] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    signals: dict[str, Any] | None = None  # build/sitelevel.py's record, JSON as saved
    # Outputs found as recorded in this build, so withdrawal does not stat them again;
    # whether the signals record was found current (not saved).
    seen: dict[str, Left] = field(default_factory=dict, compare=False)
    signals_current: bool | None = field(default=None, compare=False)

    def known(self, rel: str, src: Path, dst: Path) -> str | None:
        """The file's kind when its source and output are exactly as recorded, else None."""
        recorded = self.files.get(rel)
        if recorded is None:
            return None
        stats = _stats(src, dst)
        if stats is None or recorded != _stamp(*stats):
            return None
        out = stats[1]
        self.seen[rel] = (out.st_size, out.st_mtime_ns, out.st_ino)
        return self.kinds.get(rel)

    def record(self, rel: str, src: Path, dst: Path, kind: str) -> None:
        stats = _stats(src, dst)
        if stats is None or kind not in KINDS:
            self.files.pop(rel, None)
            self.kinds.pop(rel, None)
        else:
            self.files[rel] = _stamp(*stats)
            self.kinds[rel] = kind


def _stats(src: Path, dst: Path) -> tuple[os.stat_result, os.stat_result] | None:
    """One stat per path: in place the source is the output. The output is not followed
    through a link: a link put in place of our file is not the file we wrote."""
    try:
        b = os.stat(dst, follow_symlinks=False)
        a = b if src == dst else os.stat(src)
    except OSError:
        return None
    return a, b


def _stamp(a: os.stat_result, b: os.stat_result) -> Stamp:
    return (
        *(a.st_size, a.st_mtime_ns, a.st_ctime_ns, a.st_ino),
        *(b.st_size, b.st_mtime_ns, b.st_ctime_ns, b.st_ino),
    )


def mark(path: Path) -> Mark | None:
    """One file as it is now (not followed through a link), None when there is none."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def left(path: Path) -> Left | None:
    """How an output file looks now, to know later whether it is still as we left it
    (None for a folder: a skipped folder is no file we published)."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def load(path: Path, expected: str) -> State:
    """The saved state if it belongs to this fingerprint; otherwise an empty one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return State(expected)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return State(expected)
    outputs = {k: tuple(v) for k, v in _ints(data.get("outputs"), 3).items()}
    if data.get("fingerprint") != expected:
        return State(expected, outputs=outputs)  # type: ignore[arg-type]  # 3 ints each
    files: dict[str, Stamp] = {}
    kinds: dict[str, str] = {}
    raw = data.get("files")
    for rel, value in (raw if isinstance(raw, dict) else {}).items():
        # [kind, 8 integers], as save() wrote them
        if isinstance(value, list) and len(value) == 9 and value[0] in KINDS:
            numbers = value[1:]
            if all(isinstance(n, int) for n in numbers):
                files[rel] = tuple(numbers)
                kinds[rel] = value[0]
    signals = data.get("signals")
    return State(
        expected,
        files,
        outputs,  # type: ignore[arg-type]  # 3 ints each
        kinds,
        signals if isinstance(signals, dict) else None,
    )


def _ints(value: object, size: int) -> dict[str, list[int]]:
    """JSON from disk: only entries that are ``size`` integers, as save() wrote them."""
    if not isinstance(value, dict):
        return {}
    return {
        k: v
        for k, v in value.items()
        if isinstance(v, list) and len(v) == size and all(isinstance(n, int) for n in v)
    }


def save(path: Path, state: State) -> None:
    data = {
        "format": FORMAT,
        "fingerprint": state.fingerprint,
        "files": {rel: [state.kinds.get(rel), *value] for rel, value in state.files.items()},
        "outputs": state.outputs,
        "signals": state.signals,
    }
    new = json.dumps(data, sort_keys=True).encode("utf-8")
    with contextlib.suppress(OSError):
        if path.read_bytes() == new:
            return  # a no-op rebuild: no write, no fsync
    atomic.write_bytes(path, new)
    _sweep(path.parent)


def _sweep(folder: Path, older_than: float = 3600.0) -> None:
    """Temp files a killed save left in the cache. Only old ones: another build may be
    saving its own state in the same folder right now."""
    limit = time.time() - older_than
    for leftover in folder.glob(atomic.TEMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < limit:
                leftover.unlink()
