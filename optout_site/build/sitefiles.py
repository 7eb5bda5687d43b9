"""The table of site-level files a build publishes, each rendered by its signal module.

A file that cannot be rendered from what the site holds (a robots.txt with a broken
marker block, an unparsable vercel.json) maps to its error, so the report names the file
and the other signals are still written.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path, PurePosixPath

from optout_site import hosts
from optout_site.config import Site
from optout_site.errors import HtmlError, SignalError
from optout_site.signals import aitxt, page_tags, reservation, robots, rsl, tdmrep
from optout_site.signals.robots import agents

Rendered = bytes | SignalError | HtmlError


def site_files(
    site: Site, source: Path
) -> tuple[dict[PurePosixPath, Rendered], dict[PurePosixPath, str], dict[Path, Rendered]]:
    """Every site-level signal file, keyed by its path inside the site; what the report
    should say about some of them beyond changed/unchanged; and the host configs
    ``hosts_dir`` takes out of the site, keyed by where they go.

    ``source`` is the input folder, for signals that merge with the site's own file
    (robots.txt, host header configs). A config in hosts_dir merges with the file there.
    """
    notes: dict[PurePosixPath, str] = {}

    def robots_txt() -> bytes:
        line = rsl.robots_line(site)
        existing = _read(source / "robots.txt")
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
        site, lambda name: _read(away.get(name, source / name))
    ).items():
        if name in away:
            elsewhere[away[name]] = content
        else:
            out[PurePosixPath(name)] = content
    if site.reservation_page.enabled:
        try:
            pages = reservation.render(site)
        except SignalError as exc:
            out[PurePosixPath(site.reservation_page.path.strip("/") or "index.html")] = exc
        else:
            for path, page in pages.items():
                rel = PurePosixPath(path.lstrip("/"))
                theirs = _read(source / rel)
                if theirs is not None and not _our_page(theirs, site.absolute(path)):
                    out[rel] = SignalError(
                        f"reservation_page.path {site.reservation_page.path} would replace "
                        f"the site's own page {rel}; it is kept: choose another path"
                    )
                    continue
                decision = site.policy.resolve(path)
                out[rel] = _attempt(partial(page_tags.render, site, decision, page))
    return out, notes, elsewhere


# Files we merge into the site's own copy rather than replace.
MERGED = frozenset({PurePosixPath("robots.txt"), *(PurePosixPath(n) for n in hosts.RENDERERS)})


def _our_page(data: bytes, url: str) -> bool:
    """A reservation page an earlier build wrote: marked, or (before the mark) our
    canonical link beside our tdm-reservation meta."""
    if b'<meta name="generator" content="optout-site">' in data:
        return True
    canonical = f'<link rel="canonical" href="{url.removesuffix("index.html")}">'.encode()
    return canonical in data and b'<meta name="tdm-reservation"' in data


def _attempt(render: Callable[[], bytes]) -> Rendered:
    try:
        return render()
    except (SignalError, HtmlError) as exc:
        return exc


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
