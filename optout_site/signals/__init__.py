"""Signals: each module renders one dialect from the resolved policy, and nothing else.

No signal reads sites.yaml or another signal's output; that is what keeps them agreeing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from optout_site import agents, hosts
from optout_site.config import Site
from optout_site.signals import aitxt, meta, reservation, robots, rsl, tdmrep

Rendered = bytes | ValueError


def site_files(site: Site, source: Path) -> dict[PurePosixPath, Rendered]:
    """Every site-level signal file, keyed by its path inside the site.

    ``source`` is the input folder, for signals that merge with the site's own file
    (robots.txt, host header configs). A signal that cannot be rendered from what the
    site holds (a robots.txt with a broken marker block, an unparsable vercel.json) maps
    to its error, so the report names the file and the other signals are still written.
    """
    renderers: dict[str, Callable[[], bytes]] = {
        tdmrep.WELL_KNOWN_PATH: lambda: tdmrep.render(site),
        site.tdm_policy.path: lambda: tdmrep.render_policy(site, site.reservation_page_url),
        aitxt.PATH: lambda: aitxt.render(site),
        robots.PATH: lambda: _robots(site, source),
    }
    if site.rsl.enabled:
        renderers[site.rsl.path] = lambda: rsl.render(site)
    for host in site.hosts:
        name = "/" + hosts.FILES[host]
        renderers[name] = functools.partial(
            hosts.RENDERERS[name[1:]], site, _read(source / name[1:])
        )
    out: dict[PurePosixPath, Rendered] = {}
    for path, render in renderers.items():
        out[PurePosixPath(path.lstrip("/"))] = _attempt(render)
    if site.reservation_page.enabled:
        try:
            pages = reservation.render(site)
        except ValueError as exc:
            out[PurePosixPath(site.reservation_page.path.strip("/") or "index.html")] = exc
        else:
            for path, page in pages.items():
                decision = site.policy.resolve(path)
                out[PurePosixPath(path.lstrip("/"))] = _attempt(
                    lambda page=page, decision=decision: meta.render(site, decision, page)
                )
    return out


def _robots(site: Site, source: Path) -> bytes:
    line = rsl.robots_line(site)
    registry = agents.registry_for(site)
    return robots.render(
        site, registry, _read(source / "robots.txt"), records=[line] if line else []
    )


def _attempt(render: Callable[[], bytes]) -> Rendered:
    try:
        return render()
    except ValueError as exc:  # every signal's "cannot render from this input" error
        return exc


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
