"""The build: for each site, scan → decide per file → render signals → write what changed.

Work per file is a pure function of (task, file bytes) run in a process pool; the parent
only plans and collects. A file that cannot be processed becomes an ``error`` result,
is left exactly as it was, and the build goes on.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from optout_site import atomic, config, dialects, images, signals, state
from optout_site.config import Site
from optout_site.htmlsplice import HtmlError, Wanted, splice
from optout_site.report import (
    CHANGED,
    COPIED,
    ERROR,
    SKIPPED,
    UNCHANGED,
    BuildReport,
    FileResult,
    SiteReport,
)
from optout_site.scan import Entry, Skipped, scan
from optout_site.signals import meta


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


@dataclass(frozen=True)
class Task:
    rel: str
    src: Path
    dst: Path
    kind: str  # "page", "image", "file"
    dry_run: bool
    page: Wanted | None = None
    image: images.ImageRights | None = None


def build(
    config_path: Path | str = config.DEFAULT_CONFIG,
    *,
    sites: list[str] | None = None,
    dry_run: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    force: bool = False,
    state_dir: Path | None = None,
) -> BuildReport:
    """Build every selected site of a sites.yaml; raises ConfigError on a bad config.

    ``force`` rebuilds every file, ignoring the incremental state kept in ``state_dir``
    (default: the user's cache folder, see :func:`default_state_dir`).
    """
    cfg = config.load(Path(config_path))
    report = BuildReport()
    for site in cfg.select(sites):
        path = state_path(site, state_dir)
        report.sites.append(
            build_site(
                site, dry_run=dry_run, jobs=jobs, progress=progress, force=force, state_file=path
            )
        )
    return report


def default_state_dir() -> Path:
    """Outside the site (never published) and outside the repository (never committed)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "optout-site"


def state_path(site: Site, state_dir: Path | None = None) -> Path:
    key = hashlib.sha256(str(site.output_dir).encode("utf-8")).hexdigest()[:16]
    return (state_dir or default_state_dir()) / f"{site.name}-{key}.json"


def build_site(
    site: Site,
    *,
    dry_run: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    force: bool = False,
    state_file: Path | None = None,
) -> SiteReport:
    progress = progress or _Silent()
    fingerprint = state.fingerprint(site)
    saved = (
        state.State(fingerprint)
        if force or state_file is None
        else state.load(state_file, fingerprint)
    )
    out = site.output_dir
    report = SiteReport(site.name, str(site.input), str(out), dry_run)
    if not dry_run and out.exists():
        atomic.sweep_temp_files(out)
    entries, skipped = scan(site.input)
    report.scanned = len(entries) + len(skipped)
    generated = signals.site_files(site, site.input)
    tasks: list[Task] = []
    current: list[FileResult] = []
    for entry in entries:
        if isinstance(generated.get(entry.rel), bytes):
            continue  # ours supersedes the site's own copy; reported with the signal
        if site.output is None and entry.path != site.input / Path(*entry.rel.parts):
            # In place, a link inside the site stays a link: writing to its path would
            # replace it with a copy. Its target is stamped as a file of its own.
            skipped.append(Skipped(entry.rel, "symlink inside the site; its target is stamped"))
            continue
        task = _plan(site, entry, dry_run)
        if saved.current(task.rel, task.src, task.dst):
            current.append(FileResult(task.rel, task.kind, UNCHANGED))  # not even opened
        else:
            tasks.append(task)
    report.files.extend(FileResult(str(s.rel), "file", SKIPPED, s.reason) for s in skipped)
    report.files.extend(current)
    progress.start(site.name, len(tasks) + len(generated))
    by_rel = {t.rel: t for t in tasks}
    try:
        for result in _run(tasks, jobs):
            report.files.append(result)
            progress.advance(result)
            if result.action != ERROR and not dry_run:
                task = by_rel[result.path]
                saved.record(task.rel, task.src, task.dst)
        own = {e.rel for e in entries}
        for rel, data in generated.items():
            if isinstance(data, ValueError):
                # The site's own file (if any) is kept as it was, copied like any other.
                result = FileResult(str(rel), "signal", ERROR, str(data))
            else:
                result = _write_signal(out / rel, str(rel), data, dry_run)
                if rel in own:
                    result = FileResult(
                        str(rel), "signal", result.action, "replaces the site's own"
                    )
            report.files.append(result)
            progress.advance(result)
    finally:
        progress.finish()
        if state_file is not None and not dry_run:
            kept = {f.path for f in report.files if f.kind != "signal"}
            saved.files = {k: v for k, v in saved.files.items() if k in kept}
            with contextlib.suppress(OSError):  # a cache that cannot be written costs time only
                state.save(state_file, saved)
    return report


def _plan(site: Site, entry: Entry, dry_run: bool) -> Task:
    dst = site.output_dir / entry.rel
    decision = site.policy.resolve(entry.url_path)
    rel = str(entry.rel)
    if entry.rel.suffix.lower() in meta.HTML_SUFFIXES:
        return Task(rel, entry.path, dst, "page", dry_run, page=_wanted(site, decision))
    if site.images.enabled and images.is_image(entry.path):
        return Task(rel, entry.path, dst, "image", dry_run, image=_rights(site, decision))
    return Task(rel, entry.path, dst, "file", dry_run)


# A site has a handful of decisions and thousands of files: what each decision asks of a
# page or an image is worked out once (Site and Decision are frozen, hence hashable).
@functools.lru_cache(maxsize=256)
def _wanted(site: Site, decision: dialects.Decision) -> Wanted:
    return meta.wanted(site, decision)


@functools.lru_cache(maxsize=256)
def _rights(site: Site, decision: dialects.Decision) -> images.ImageRights:
    holder = site.rightsholder
    address = holder.address
    contact = images.Contact(
        name=holder.name,
        email=holder.email,
        url=holder.url or site.url + "/",
        address=address.street if address else None,
        city=address.locality if address else None,
        postal_code=address.postal_code if address else None,
        country=address.country if address else None,
        phone=holder.phone,
    )
    described = dialects.describe(decision)
    return images.ImageRights(
        data_mining=dialects.iptc_data_mining(decision),
        other_constraints=described if dialects.needs_constraint_text(decision) else None,
        web_statement=site.reservation_page_url or site.tdm_policy_url,
        usage_terms=site.images.usage_terms or described,
        copyright=site.images.copyright or f"© {holder.name}. All rights reserved.",
        creator=holder.name,
        contact=contact,
        overwrite=site.images.overwrite,
        legacy=site.images.legacy,
    )


def _run(tasks: list[Task], jobs: int | None) -> Iterator[FileResult]:
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(tasks) < 2:
        yield from map(process, tasks)
        return
    chunk = max(1, len(tasks) // (jobs * 8))
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_interrupts)
    try:
        yield from pool.map(process, tasks, chunksize=chunk)
    except BaseException:
        # Ctrl-C or SIGTERM in the parent: queued files are dropped, workers finish the
        # file in hand (each write is atomic) and exit.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group; only the parent decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def process(task: Task) -> FileResult:
    """Do one file's work. Never raises for a bad input file: it becomes an error result."""
    try:
        if task.kind == "page":
            return _process_page(task)
        if task.kind == "image":
            return _process_image(task)
        return _process_copy(task)
    except (OSError, HtmlError, images.ImageError) as exc:
        return FileResult(task.rel, task.kind, ERROR, _describe(exc))


def _describe(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return str(exc) or type(exc).__name__


def _process_page(task: Task) -> FileResult:
    assert task.page is not None
    data = task.src.read_bytes()
    new = splice(data, task.page)
    current = data if task.dst == task.src else _UNREAD
    action = _replace_if_changed(task.dst, new, task.dry_run, current=current, mode_from=task.src)
    return FileResult(task.rel, task.kind, action)


def _process_image(task: Task) -> FileResult:
    assert task.image is not None
    in_place = task.dst == task.src
    # An output with its source's mtime is our earlier stamp of this very source: only
    # its header region needs reading to know it is current.
    if (
        not in_place
        and _mtime_matches(task.src, task.dst)
        and images.check(task.dst, task.image).status == "unchanged"
    ):
        return FileResult(task.rel, task.kind, UNCHANGED)
    if task.dry_run:
        state = images.check(task.src, task.image)
        if state.status == "skipped":
            return FileResult(task.rel, task.kind, SKIPPED, state.reason)
        changed = state.status == "changed" or not in_place
        return FileResult(task.rel, task.kind, CHANGED if changed else UNCHANGED)
    result = images.stamp(task.src, task.dst, task.image)
    if result.status == "skipped":
        copied = _process_copy(task)
        note = " (copied as is)" if copied.action == COPIED else ""
        return FileResult(task.rel, task.kind, SKIPPED, result.reason + note)
    if in_place:
        return FileResult(task.rel, task.kind, CHANGED if result.status == "changed" else UNCHANGED)
    if result.status == "unchanged":
        atomic.copy_file(task.src, task.dst)  # the source already carries our packet
    _copy_mtime(task.src, task.dst)
    return FileResult(task.rel, task.kind, CHANGED)


def _process_copy(task: Task) -> FileResult:
    if task.dst == task.src or _same_file(task.src, task.dst):
        return FileResult(task.rel, task.kind, UNCHANGED)
    if task.dry_run:
        return FileResult(task.rel, task.kind, COPIED)
    atomic.copy_file(task.src, task.dst)
    return FileResult(task.rel, task.kind, COPIED)


def _same_file(src: Path, dst: Path) -> bool:
    """Output-mode shortcut: a copy we made keeps the source's size and mtime."""
    try:
        a, b = src.stat(), dst.stat()
    except FileNotFoundError:
        return False
    return a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns


def _mtime_matches(src: Path, dst: Path) -> bool:
    try:
        return src.stat().st_mtime_ns == dst.stat().st_mtime_ns
    except FileNotFoundError:
        return False


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
        try:
            current = target.read_bytes()
        except FileNotFoundError:
            current = None
    if current == new:
        return UNCHANGED
    if not dry_run:
        atomic.write_bytes(target, new, mode_from=mode_from)
    return CHANGED


def _write_signal(path: Path, rel: str, data: bytes, dry_run: bool) -> FileResult:
    try:
        return FileResult(rel, "signal", _replace_if_changed(path, data, dry_run))
    except OSError as exc:
        return FileResult(rel, "signal", ERROR, _describe(exc))
