"""The site-level signal files of one build: rendered and written, or left alone unread.

robots.txt, tdmrep.json, ai.txt, the host configs and the reservation pages are a function
of the config (the incremental state's fingerprint), of the few files their renders read
(the site's own robots.txt and host configs, a page at the reservation path, the theme
folder, an extra agent registry) and of the data shipped in the package. Rendering them
costs most of a rebuild that finds nothing else to do (the agent registry, the theme's
templates), so the state keeps what they read and what we wrote. When every one of those
files is as it was (size, mtime, ctime, inode: ctime cannot be set back, so an edit that
keeps size and mtime shows) and every file we wrote is still there as we left it, nothing
is rendered, read or written. Anything else (a deleted robots.txt, a changed policy, a
signal that was an error last time, ``--force``) renders them all, as before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from optout_site.build import state
from optout_site.build.report import ERROR, UNCHANGED, FileResult
from optout_site.build.sitefiles import Rendered, merged, site_files
from optout_site.config import Site

# What the renders read from the package itself: an edited registry or template in a
# development checkout is a changed input too (the version in the fingerprint is not).
_PACKAGE = Path(__file__).resolve().parent.parent
_SHIPPED = (
    _PACKAGE / "data" / "agents.yaml",
    _PACKAGE / "templates" / "reservation.html.j2",
    _PACKAGE / "templates" / "reservation_base.html.j2",
    _PACKAGE / "templates" / "reservation_texts.yaml",
)


@dataclass
class Signals:
    """The site-level files of this build. ``files``/``elsewhere`` map to None when the
    last build's are still current (``reused``): kept, not rendered."""

    files: dict[PurePosixPath, Rendered | None]
    notes: dict[PurePosixPath, str]
    elsewhere: dict[Path, Rendered | None]
    reused: bool
    merged: frozenset[PurePosixPath]  # those merged with the site's own copy, not replacing it
    reads: dict[Path, state.Mark | None] = field(default_factory=dict)

    def ours(self) -> set[PurePosixPath]:
        """The site's files our signals replace (an error keeps the site's own)."""
        return {rel for rel, data in self.files.items() if data is None or isinstance(data, bytes)}


def prepare(
    site: Site, saved: state.State, reservation_pages: dict[str, bytes] | None = None
) -> Signals:
    """The last build's signals when nothing they are made from has changed, else fresh
    (``--force`` starts from a state without the record); ``reservation_pages`` as
    :func:`optout_site.signals.reservation.render` gave them, if this build has them."""
    if reusable(site, saved):
        record = saved.signals
        assert record is not None
        return Signals(
            {PurePosixPath(rel): None for rel in record["files"]},
            {PurePosixPath(rel): note for rel, note in record["notes"].items()},
            {Path(path): None for path in record["elsewhere"]},
            reused=True,
            merged=frozenset(PurePosixPath(rel) for rel in record["merged"]),
        )
    reads: dict[Path, state.Mark | None] = {}
    files, notes, elsewhere = site_files(site, site.input, reads, reservation_pages)
    return Signals(dict(files), notes, dict(elsewhere), False, merged() & set(files), reads)


def reusable(site: Site, saved: state.State) -> bool:
    """The state's record of the signals is this build's: same fingerprint (load() keeps
    the record only then), same inputs, every output as we left it. Checked once per
    build (build() asks before the theme check, the site's build again)."""
    if saved.signals_current is None:
        saved.signals_current = _current(site, saved)
    return saved.signals_current


def _current(site: Site, saved: state.State) -> bool:
    record = saved.signals
    if not _well_formed(record):
        return False
    assert record is not None
    if _marks(_extra_inputs(site)) != record["extra"]:
        return False
    if any(_mark(Path(path)) != was for path, was in record["reads"].items()):
        return False
    out = site.output_dir
    root = os.path.realpath(out)
    for rel, was in record["files"].items():
        if _mark(out / rel) != was or not _direct(out, root, PurePosixPath(rel)):
            return False
        saved.seen[rel] = (was[0], was[1], was[3])  # as state.left gives it
    return all(_mark(Path(path)) == was for path, was in record["elsewhere"].items())


def write(
    site: Site, signals: Signals, own: set[PurePosixPath], dry_run: bool
) -> Iterator[FileResult]:
    """Write each signal that differs from what is there; report each (reused: unchanged)."""
    for rel, data in signals.files.items():
        if data is None:
            result = FileResult(str(rel), "signal", UNCHANGED)
        elif not isinstance(data, bytes):
            # The site's own file (if any) is kept as it was, copied like any other.
            result = FileResult(str(rel), "signal", ERROR, str(data))
        else:
            from optout_site.build import work

            result = work.write_signal(site.output_dir / rel, str(rel), data, dry_run)
        said = [signals.notes[rel]] if rel in signals.notes else []
        # In place, the site's copy is ours from the last build unless we change it.
        if rel in own and (site.output is not None or result.action != UNCHANGED):
            said.insert(
                0,
                "merged with the site's own"
                if rel in signals.merged
                else "replaces the site's own",
            )
        if said and result.action != ERROR:  # an error keeps its own message
            result = FileResult(str(rel), "signal", result.action, "; ".join(said))
        yield result
    for path, content in signals.elsewhere.items():
        yield _write_outside(path, content, dry_run)


def _write_outside(path: Path, data: Rendered | None, dry_run: bool) -> FileResult:
    """A host config in hosts_dir, reported under its full path (it is not in the site)."""
    if data is None:
        return FileResult(str(path), "signal", UNCHANGED)
    if not isinstance(data, bytes):
        return FileResult(str(path), "signal", ERROR, str(data))
    from optout_site.build import work

    result = work.write_signal(path, path.name, data, dry_run)
    return FileResult(str(path), result.kind, result.action, result.message)


def remember(site: Site, signals: Signals, results: list[FileResult], saved: state.State) -> None:
    """Record what this build's signals read and wrote; nothing when one was an error
    (errors are looked at again on every build)."""
    if signals.reused:
        return  # the record still holds: every file was checked to be as recorded
    saved.signals = None
    if any(r.action == ERROR for r in results):
        return
    out = site.output_dir
    files = {str(rel): state.mark(out / rel) for rel in signals.files}
    elsewhere = {str(path): state.mark(path) for path in signals.elsewhere}
    if any(mark is None for mark in (*files.values(), *elsewhere.values())):
        return  # a file gone already
    written = {str(out / rel): files[str(rel)] for rel in signals.files}
    written.update(elsewhere)
    changed = {r.path for r in results if r.action != UNCHANGED}
    reads: dict[str, list[int] | None] = {}
    for path, was in signals.reads.items():
        key = str(path)
        if key in written:  # read and written: in place, the site's robots.txt
            shown = str(path.relative_to(out)) if path.is_relative_to(out) else key
            if shown in changed:  # what is there now is ours
                was = written[key]
        reads[key] = _as_list(was)
    saved.signals = {
        "extra": _marks(_extra_inputs(site)),
        "reads": reads,
        "files": {rel: _as_list(was) for rel, was in files.items()},
        "elsewhere": {path: _as_list(was) for path, was in elsewhere.items()},
        "notes": {str(rel): note for rel, note in signals.notes.items()},
        "merged": sorted(str(rel) for rel in signals.merged),
    }


def _extra_inputs(site: Site) -> list[Path]:
    """Files the renders read that the config names or the package ships."""
    found = list(_SHIPPED)
    if site.agents.registry is not None:
        found.append(site.agents.registry)
    theme = site.reservation_page.templates
    if theme is not None:
        found.append(theme)
        for folder, _, names in os.walk(theme):
            found.extend(Path(folder) / name for name in names)
    return found


def _marks(paths: list[Path]) -> dict[str, list[int] | None]:
    return {str(path): _mark(path) for path in sorted(paths)}


def _as_list(mark: state.Mark | None) -> list[int] | None:
    return None if mark is None else list(mark)


def _mark(path: Path) -> list[int] | None:
    """As JSON holds it (lists), to compare with the saved record."""
    return _as_list(state.mark(path))


def _direct(out: Path, root: str, rel: PurePosixPath) -> bool:
    """No folder between the site's root and the file is a symbolic link (the build never
    writes through one, and the file found through it is not the one we wrote there)."""
    if rel.parent == PurePosixPath("."):
        return True
    return os.path.realpath(out / rel.parent) == os.path.join(root, *rel.parent.parts)


def _well_formed(record: Any) -> bool:
    keys = ("extra", "reads", "files", "elsewhere", "notes")
    return (
        isinstance(record, dict)
        and all(isinstance(record.get(k), dict) for k in keys)
        and isinstance(record.get("merged"), list)
    )
