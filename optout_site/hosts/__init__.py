"""Header configs for the hosts a site names: one pure renderer per file format.

Each renderer is ``render(site, existing) -> bytes``: the file's new content, with the
user's own content (``existing``) kept and ours in a marked block or, for vercel.json,
in recognisable entries. Netlify and Cloudflare Pages read the same ``_headers`` file,
so it is rendered once. GitHub Pages cannot set headers at all; there the meta tags,
the signal files and the image metadata carry the reservation (docs/hosting.md).

Netlify, Cloudflare Pages and Apache read their file from the published folder itself.
nginx and Caddy read an include from wherever the server config names it, and Vercel
reads ``vercel.json`` from the project's root directory, which is the published folder
only when that folder is what gets deployed: these three go to ``hosts_dir`` when the
site sets one, so a server include is not published with the site.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from optout_site.config import Site, keys
from optout_site.errors import SignalError
from optout_site.hosts import apache, blockfiles, caddy, netlify, nginx, vercel

Renderer = Callable[[Site, "bytes | None"], bytes]

# Host → its header config; HAProxy and lighttpd have none, only a refusal file
# (blockfiles.FILES, written when the site has `block:`).
FILES: dict[str, str] = {
    "netlify": netlify.FILE_NAME,
    "cloudflare": netlify.FILE_NAME,
    "vercel": vercel.FILE_NAME,
    "apache": apache.FILE_NAME,
    "nginx": nginx.FILE_NAME,
    "caddy": caddy.FILE_NAME,
}

RENDERERS: dict[str, Renderer] = {
    netlify.FILE_NAME: netlify.render,
    vercel.FILE_NAME: vercel.render,
    apache.FILE_NAME: apache.render,
    nginx.FILE_NAME: nginx.render,
    caddy.FILE_NAME: caddy.render,
    **blockfiles.RENDERERS,
}


def outside(site: Site) -> dict[str, Path]:
    """File name → where it is written, for the site's configs that ``hosts_dir`` takes
    out of the published folder (none when the site sets no ``hosts_dir``)."""
    if site.hosts_dir is None:
        return {}
    return {
        FILES[host]: site.hosts_dir / FILES[host]
        for host in site.hosts
        if host in keys.HOSTS_DIR_HOSTS
    }


def render_all(
    site: Site, read_existing: Callable[[str], bytes | None]
) -> dict[str, bytes | SignalError]:
    """File name (relative to the output folder) → content, for the hosts in ``site.hosts``.

    ``read_existing(name)`` returns the file's current bytes (the site's own copy, so
    a rebuild over its own output stays idempotent) or None when there is none. A file
    that cannot be rendered from what the site holds maps to its error, so the other
    hosts' files are still written and the report names the broken one.
    """
    out: dict[str, bytes | SignalError] = {}
    for name in files(site):
        if name not in out:
            try:
                out[name] = RENDERERS[name](site, read_existing(name))
            except SignalError as exc:
                out[name] = exc
    return out


def files(site: Site) -> list[str]:
    """The host files the site's hosts read, header configs first."""
    names = [FILES[host] for host in site.hosts if host in FILES]
    if site.block is not None:
        names += [blockfiles.FILES[host] for host in site.hosts if host in blockfiles.FILES]
    return list(dict.fromkeys(names))
