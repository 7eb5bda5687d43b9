"""The table of site-level files a build publishes, each rendered by its signal module.

A file that cannot be rendered from what the site holds (a robots.txt with a broken
marker block, an unparsable vercel.json) maps to its error, so the report names the file
and the other signals are still written. The signal modules are imported when a render
runs: a rebuild that finds nothing changed (``build/sitelevel.py``) never needs them.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from functools import partial
from pathlib import Path, PurePosixPath

from optout_site.build.state import Mark, mark
from optout_site.config import Site
from optout_site.errors import HtmlError, SignalError

Rendered = bytes | SignalError | HtmlError


def site_files(
    site: Site,
    source: Path,
    reads: dict[Path, Mark | None] | None = None,
    reservation_pages: dict[str, bytes] | None = None,
) -> tuple[dict[PurePosixPath, Rendered], dict[PurePosixPath, str], dict[Path, Rendered]]:
    """Every site-level signal file, keyed by its path inside the site; what the report
    should say about some of them beyond changed/unchanged; and the host configs
    ``hosts_dir`` takes out of the site, keyed by where they go.

    ``source`` is the input folder, for signals that merge with the site's own file
    (robots.txt, host header configs). A config in hosts_dir merges with the file there.
    ``reads`` is given every file of the site's the renders looked at, with how it was
    (size, mtimes, inode; None: not there) just before it was read. ``reservation_pages``:
    the pages as ``reservation.render`` gave them, when the caller has them already.
    """
    from optout_site import hosts
    from optout_site.signals import aitxt, robots, rsl, tdmrep
    from optout_site.signals.robots import agents

    notes: dict[PurePosixPath, str] = {}

    def read(path: Path) -> bytes | None:
        if reads is not None:
            reads[path] = mark(path)  # before reading: an edit after it shows next time
        return _read(path)

    def robots_txt() -> bytes:
        line = rsl.robots_line(site)
        existing = read(source / "robots.txt")
        registry = agents.registry_for(site)
        data, blocked = robots.merge(site, registry, existing, records=[line] if line else [])
        if blocked:
            where = "; ".join(f"{', '.join(names)} at {path}" for path, names in blocked.items())
            notes[PurePosixPath("robots.txt")] = (
                f"the site's own rules keep out agents the policy allows ({where}); kept as written"
            )
        return data

    renderers: dict[str, Callable[[], bytes]] = {
        tdmrep.WELL_KNOWN_PATH: lambda: tdmrep.render(site),
        site.tdm_policy.path: lambda: tdmrep.render_policy(site, site.reservation_page_url),
        aitxt.PATH: lambda: aitxt.render(site),
        robots.PATH: robots_txt,
    }
    if site.rsl.enabled:
        renderers[site.rsl.path] = lambda: rsl.render(site)
    out: dict[PurePosixPath, Rendered] = {}
    for path, render in renderers.items():
        out[PurePosixPath(path.lstrip("/"))] = _attempt(render)
    away = hosts.outside(site)
    elsewhere: dict[Path, Rendered] = {}
    for name, content in hosts.render_all(
        site, lambda name: read(away.get(name, source / name))
    ).items():
        if name in away:
            elsewhere[away[name]] = content
        else:
            out[PurePosixPath(name)] = content
    if site.reservation_page.enabled:
        out.update(_reservation_pages(site, source, read, reservation_pages))
    return out, notes, elsewhere


def merged() -> frozenset[PurePosixPath]:
    """The files we merge into the site's own copy rather than replace."""
    from optout_site import hosts

    return frozenset({PurePosixPath("robots.txt"), *(PurePosixPath(n) for n in hosts.RENDERERS)})


def _reservation_pages(
    site: Site,
    source: Path,
    read: Callable[[Path], bytes | None],
    rendered: dict[str, bytes] | None,
) -> dict[PurePosixPath, Rendered]:
    """The reservation pages, tagged; none at all where one would replace a page of the
    site's own (the others would link to it as the reservation in another language)."""
    from optout_site.signals import page_tags, reservation

    try:
        pages = reservation.render(site) if rendered is None else rendered
    except SignalError as exc:
        return {PurePosixPath(site.reservation_page.path.strip("/") or "index.html"): exc}
    rels = {path: PurePosixPath(path.lstrip("/")) for path in pages}
    theirs = [rel for path, rel in rels.items() if _theirs(read, source / rel, site.absolute(path))]
    if theirs:
        key = f"reservation_page.path {site.reservation_page.path}"
        return {
            rel: SignalError(
                f"{key} would replace the site's own page {rel}; it is kept: choose another path"
                if rel in theirs
                else f"not written: {key} would replace the site's own page {theirs[0]}"
            )
            for rel in rels.values()
        }
    return {
        rel: _attempt(partial(page_tags.render, site, site.policy.resolve(path), pages[path]))
        for path, rel in rels.items()
    }


def _theirs(read: Callable[[Path], bytes | None], path: Path, url: str) -> bool:
    """A page of the site's own is there (one that cannot be read counts as theirs)."""
    from optout_site.signals import reservation

    try:
        data = read(path)
    except SignalError:
        return True
    return data is not None and not reservation.is_ours(data, url)


def _attempt(render: Callable[[], bytes]) -> Rendered:
    try:
        return render()
    except (SignalError, HtmlError) as exc:
        return exc


def _read(path: Path) -> bytes | None:
    """The site's own copy of a file we publish, or None when it has none. One that is there
    but cannot be read is an error of that file: writing ours would replace it unseen."""
    try:
        return path.read_bytes()
    except OSError as exc:
        # No file can stand at a path the system cannot take (writing ours names that).
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG):
            return None
        raise SignalError(
            f"the site's own {path.name} cannot be read ({exc.strerror}); kept"
        ) from None
