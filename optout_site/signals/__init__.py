"""Signals: each module renders one dialect from the resolved policy, and nothing else.

No signal reads sites.yaml or another signal's output; that is what keeps them agreeing.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from optout_site import hosts
from optout_site.config import Site
from optout_site.signals import aitxt, meta, reservation, rsl, tdmrep


def site_files(site: Site, source: Path) -> dict[PurePosixPath, bytes]:
    """Every site-level signal file, keyed by its path inside the site.

    ``source`` is the input folder, for signals that merge with the site's own file
    (host header configs keep the user's own lines around our marked block).
    """
    files = {
        tdmrep.WELL_KNOWN_PATH: tdmrep.render(site),
        site.tdm_policy.path: tdmrep.render_policy(site, site.reservation_page_url),
        aitxt.PATH: aitxt.render(site),
    }
    if site.rsl.enabled:
        files[site.rsl.path] = rsl.render(site)
    if site.reservation_page.enabled:
        for path, page in reservation.render(site).items():
            files[path] = meta.render(site, site.policy.resolve(path), page)
    out = {PurePosixPath(path.lstrip("/")): data for path, data in files.items()}
    for name, data in hosts.render_all(site, lambda name: _read(source / name)).items():
        out[PurePosixPath(name)] = data
    return out


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
