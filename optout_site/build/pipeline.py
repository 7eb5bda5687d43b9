"""The build: for each site, scan → decide per file → render signals → write what changed.

Work per file is a pure function of (task, file bytes) run in a process pool; the parent
only plans and collects. A file that cannot be processed becomes an ``error`` result,
is left exactly as it was, and the build goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

from optout_site import config
from optout_site.build import atomic, pool, sitelevel, state
from optout_site.build.report import (
    ERROR,
    REMOVED,
    SKIPPED,
    UNCHANGED,
    BuildReport,
    FileResult,
    SiteReport,
)
from optout_site.build.scan import Entry, Skipped, scan
from optout_site.build.shard import Shard, select, tree_digest
from optout_site.build.sitefiles import site_files
from optout_site.config import Site
from optout_site.errors import UsageError

if TYPE_CHECKING:
    from optout_site.build.plan import Task


class Progress(Protocol):
    """Told about a site's work as it happens (the CLI draws a progress bar with it)."""

    def start(self, site: str, total: int) -> None: ...

    def advance(self, result: FileResult) -> None: ...

    def finish(self) -> None: ...


class _Silent:
    def start(self, site: str, total: int) -> None:
        pass

    def advance(self, result: FileResult) -> None:
        pass

    def finish(self) -> None:
        pass


def build(
    cfg: config.Config | Path | str = config.DEFAULT_CONFIG,
    *,
    sites: list[str] | None = None,
    dry_run: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    force: bool = False,
    state_dir: Path | None = None,
    shard: Shard | None = None,
    allow_existing: bool = False,
) -> BuildReport:
    """Build every selected site of a sites.yaml (a path, or a config already loaded).

    Raises ConfigError on a bad config (a broken reservation page theme too), before
    anything is written. ``force`` rebuilds every file, ignoring the incremental state
    kept in ``state_dir`` (default: the user's cache folder, see :func:`default_state_dir`).
    ``allow_existing`` lets a first build write into an output folder that already holds
    files the build did not make (otherwise that site is refused, nothing written).
    """
    if not isinstance(cfg, config.Config):
        cfg = config.load(Path(cfg))
    selected = cfg.select(sites)
    saved = {site.name: _load(site, state_path(site, state_dir)) for site in selected}
    pages: dict[str, dict[str, bytes]] = {}  # rendered once, published by the site's build
    for site in selected:
        # A broken theme is a config error: found before any site is written. A theme
        # the last build rendered, unchanged since, is not rendered again.
        if force or not sitelevel.reusable(site, saved[site.name]):
            from optout_site.signals import reservation

            pages[site.name] = reservation.render(site)
    report = BuildReport()
    for site in selected:
        report.sites.append(
            build_site(
                site,
                dry_run=dry_run,
                jobs=jobs,
                progress=progress,
                force=force,
                state_file=state_path(site, state_dir),
                shard=shard,
                allow_existing=allow_existing,
                saved=saved[site.name],
                reservation_pages=pages.get(site.name),
            )
        )
    return report


def _load(site: Site, state_file: Path | None) -> state.State:
    """The incremental state of the site's last build (empty if none, or another config).
    Raises CredentialsError if the site signs with an unusable key."""
    fingerprint = state.fingerprint(*_what_decides(site))
    if state_file is None:
        return state.State(fingerprint)
    return state.load(state_file, fingerprint)


def default_state_dir() -> Path:
    """Outside the site (never published) and outside the repository (never committed)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "optout-site"


def _output_key(site: Site) -> str:
    return hashlib.sha256(str(site.output_dir).encode("utf-8")).hexdigest()[:16]


def state_path(site: Site, state_dir: Path | None = None) -> Path:
    # The key tells outputs apart; the name is for people, cut so the file name fits.
    return (state_dir or default_state_dir()) / f"{site.name[:100]}-{_output_key(site)}.json"


def lock_path(site: Site, state_dir: Path | None = None) -> Path:
    """One lock per output folder, whatever the site is called in whichever sites.yaml: two
    configs naming one output differently must still take turns."""
    return (state_dir or default_state_dir()) / f"output-{_output_key(site)}.lock"


def _what_decides(site: Site) -> tuple[object, ...]:
    """What the incremental state's fingerprint covers: the config and, when the site
    signs, the certificate (renewed at the same path, every image must be signed again).
    Raises CredentialsError, before anything is written, if the key or chain is unusable."""
    if not site.c2pa.enabled:
        return (site,)
    from optout_site.c2pa import signing

    return (site, signing.ready(site.c2pa))


def build_site(
    site: Site,
    *,
    dry_run: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    force: bool = False,
    state_file: Path | None = None,
    shard: Shard | None = None,
    allow_existing: bool = False,
    saved: state.State | None = None,
    reservation_pages: dict[str, bytes] | None = None,
) -> SiteReport:
    """Build one site; ``saved`` is its state and ``reservation_pages`` its reservation
    pages as build() loaded and rendered them (else done here, when needed)."""
    progress = progress or _Silent()
    if saved is None:
        saved = _load(site, state_file)
    if force:  # rebuild every file; remember what was published, to withdraw it if gone
        saved = state.State(saved.fingerprint, outputs=saved.outputs)
    out = site.output_dir
    report = SiteReport(site.name, str(site.input), str(out), dry_run)
    if shard is not None and site.output is None:
        raise UsageError(
            f"site {site.name!r}: --shard needs an output folder (`output:`), so that the "
            "shards' folders can be overlaid; in place, every shard would publish the "
            "files of the others unstamped"
        )
    if site.output is not None and not saved.outputs and not allow_existing:
        # A first build (no record of what this tool published there) into a folder that
        # holds someone else's files: output mode mirrors deletions, so never adopt it.
        unrelated = _unrelated(site)
        if unrelated:
            shown = ", ".join(unrelated[:3]) + (", ..." if len(unrelated) > 3 else "")
            message = (
                f"output {out} already holds files this build does not make ({shown}); "
                "nothing was changed: build into an empty folder, or pass --allow-existing "
                "if those files belong there"
            )
            report.files.append(FileResult(".", "folder", ERROR, message))
            return report
    if dry_run:
        return _build(
            site, report, saved, dry_run, jobs, progress, state_file, shard, None, reservation_pages
        )
    reason = atomic.unwritable(out)
    if reason is not None:
        message = f"cannot write to {out}: {reason}; nothing was changed"
        report.files.append(FileResult(".", "folder", ERROR, message))
        return report
    # One build per output folder at a time: a second one would sweep the first's temp
    # files and the two would overwrite each other's results.
    lock = lock_path(site, state_file.parent if state_file is not None else None)
    journal = lock.with_suffix(".temps")  # the temp files this output's builds create
    with atomic.exclusive(lock) as holder:
        if holder is not None:
            message = (
                f"another optout-site build is writing to {out} ({holder}); "
                "nothing was changed: run again when it has finished"
            )
            report.files.append(FileResult(".", "folder", ERROR, message))
            return report
        atomic.sweep_temp_files(journal, out)
        with atomic.recording_temps(journal):
            built = _build(
                site,
                report,
                saved,
                dry_run,
                jobs,
                progress,
                state_file,
                shard,
                journal,
                reservation_pages,
            )
        atomic.sweep_temp_files(journal, out)  # a worker that died may have left one
        return built


def _unrelated(site: Site) -> list[str]:
    """Files in the output folder that neither come from the input nor are ours to write."""
    assert site.output is not None
    if not site.output.is_dir():
        return []
    ours = {str(e.rel) for e in scan(site.input)[0]}
    ours |= {str(rel) for rel in site_files(site, site.input)[0]}
    found: list[str] = []
    for entry in scan(site.output)[0]:
        rel = str(entry.rel)
        if rel not in ours and not atomic.is_temp_name(entry.rel.name):
            found.append(rel)
    return sorted(found)


def _build(
    site: Site,
    report: SiteReport,
    saved: state.State,
    dry_run: bool,
    jobs: int | None,
    progress: Progress,
    state_file: Path | None,
    shard: Shard | None = None,
    journal: Path | None = None,
    reservation_pages: dict[str, bytes] | None = None,
) -> SiteReport:
    out = site.output_dir
    entries, skipped = scan(site.input)
    report.scanned = len(entries) + len(skipped)
    mine = None
    if shard is not None:
        mine = select(entries, shard)
        report.shard = f"{shard} of tree {tree_digest(entries)}: {len(mine)} files"
        if shard.index != 1:
            skipped = []  # reported once, by the first shard
    signals = sitelevel.prepare(site, saved, reservation_pages)
    ours = signals.ours()
    if site.output is None:
        # In place, the host configs an earlier build put in the web root before hosts_dir
        # took them elsewhere are withdrawn like any file we no longer produce.
        moved = {PurePosixPath(path.name) for path in signals.elsewhere}
        entries = [e for e in entries if not (e.rel in moved and _as_left(saved, e))]
    tasks: list[Task] = []
    current: list[FileResult] = []
    for entry in entries:
        if entry.rel in ours:
            continue  # ours supersedes the site's own copy; reported with the signal
        if mine is not None and str(entry.rel) not in mine:
            continue  # another shard's file
        if site.output is None and entry.path != site.input / Path(*entry.rel.parts):
            # In place, a link inside the site stays a link: writing to its path would
            # replace it with a copy. Its target is stamped as a file of its own.
            skipped.append(Skipped(entry.rel, "symlink inside the site; its target is stamped"))
            continue
        rel = str(entry.rel)
        kind = saved.known(rel, entry.path, out / entry.rel)
        if kind is not None:
            current.append(FileResult(rel, kind, UNCHANGED))  # not even opened, nor planned
        else:
            from optout_site.build.plan import plan

            tasks.append(plan(site, entry, dry_run))
    # A folder that cannot be listed is an error: its pages go out untagged (in place)
    # or not at all (output mode).
    report.files.extend(
        FileResult(
            str(s.rel), "folder" if s.unread else "file", ERROR if s.unread else SKIPPED, s.reason
        )
        for s in skipped
    )
    report.files.extend(current)
    progress.start(site.name, len(tasks) + len(signals.files) + len(signals.elsewhere))
    by_rel = {t.rel: t for t in tasks}
    try:
        for result in pool.run(tasks, jobs, journal):
            report.files.append(result)
            progress.advance(result)
            # Errors and skips are looked at again (and reported again) on every build.
            if result.action not in (ERROR, SKIPPED) and not dry_run:
                task = by_rel[result.path]
                saved.record(task.rel, task.src, task.dst, task.kind)
        written: list[FileResult] = []
        for result in sitelevel.write(site, signals, {e.rel for e in entries}, dry_run):
            written.append(result)
            report.files.append(result)
            progress.advance(result)
        if not dry_run:
            sitelevel.remember(site, signals, written, saved)
        # Everything the input holds counts as produced, in both modes: a file that is
        # still an input file is never withdrawn, whatever an older state says.
        produced = {str(rel) for rel in signals.files} | {str(e.rel) for e in entries}
        produced |= {str(s.rel) for s in skipped}
        unread = tuple(str(s.rel) for s in skipped if s.unread)
        report.files.extend(_withdraw(out, saved, produced, dry_run, unread))
    finally:
        progress.finish()
        if state_file is not None and not dry_run:
            kept = {f.path for f in report.files if f.kind != "signal"}
            saved.files = {k: v for k, v in saved.files.items() if k in kept}
            with contextlib.suppress(OSError):  # a cache that cannot be written costs time only
                state.save(state_file, saved)
    return report


def _as_left(saved: state.State, entry: Entry) -> bool:
    """The input file is one this tool published and nobody has touched since."""
    was = saved.outputs.get(str(entry.rel))
    return was is not None and state.left(entry.path) == was


def _withdraw(
    out: Path, saved: state.State, produced: set[str], dry_run: bool, unread: tuple[str, ...] = ()
) -> list[FileResult]:
    """Remove what the tool published before and no longer produces; record the rest.

    Only a file still exactly as the tool left it is removed (in output mode a photo
    deleted from the input; in either mode a signal file whose feature was turned off).
    A file someone changed since is left alone and forgotten. What lies in a folder that
    could not be read this time (``unread``, "a/b/") may still be in the input: kept.
    """
    results: list[FileResult] = []
    for rel, was in sorted(saved.outputs.items()):
        if rel in produced:
            continue
        if any(folder == "." or rel.startswith(f"{folder}/") for folder in unread):
            produced.add(rel)  # still recorded, so a later build can withdraw it
            continue
        path = out / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            continue  # not a path this tool writes
        if state.left(path) == was:
            try:
                if not dry_run:
                    path.unlink(missing_ok=True)
            except OSError as exc:
                results.append(FileResult(rel, "file", ERROR, f"not withdrawn: {exc.strerror}"))
                continue
            results.append(FileResult(rel, "file", REMOVED, "no longer produced by this build"))
    if not dry_run:
        # Files found as recorded were stat-ed this build already, and not written since.
        saved.outputs = {
            rel: now
            for rel in sorted(produced)
            if (now := saved.seen.get(rel) or state.left(out / rel)) is not None
        }
    return results
