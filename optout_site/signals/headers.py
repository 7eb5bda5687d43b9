"""The HTTP response headers that carry a decision, shared by every host config.

One function says which headers a decision gets; the host modules only translate that
list into their own syntax and path matching. Headers go on HTML *and* media: TDMRep's
``<meta>`` and ``noai`` robots meta only protect the page itself, while the two known
``X-Robots-Tag`` consumers (datadiligence, img2dataset) read the header of the image
response and nothing else (datadiligence's XRobotsTagHeader rule; img2dataset's
``--disallowed_header_directives``).

``X-Robots-Tag`` never carries ``noindex``/``noimageindex``: img2dataset drops files on
those too, and search engines would drop the page, which the creator wants found. With
``robots_meta.bing_noarchive`` it also carries ``noarchive`` where the page tag does (Bing
reads the header as the meta tag's equivalent).
"""

from __future__ import annotations

from dataclasses import dataclass

from optout_site import dialects
from optout_site.config import Site
from optout_site.policy import Decision

WELL_KNOWN_PATH = "/.well-known/tdmrep.json"  # same as signals.tdmrep.WELL_KNOWN_PATH
RSL_MEDIA_TYPE = "application/rsl+xml"

TDM_RESERVATION = "tdm-reservation"
TDM_POLICY = "tdm-policy"
X_ROBOTS_TAG = "X-Robots-Tag"
CONTENT_USAGE = "Content-Usage"
LINK = "Link"

# Every header name a decision can set, in the order hosts write them. Hosts that must
# undo a broader rule (``_headers``) walk this list; ``Link`` is the same on every path.
NAMES: tuple[str, ...] = (TDM_RESERVATION, TDM_POLICY, X_ROBOTS_TAG, CONTENT_USAGE, LINK)
VARYING: tuple[str, ...] = (TDM_RESERVATION, TDM_POLICY, X_ROBOTS_TAG, CONTENT_USAGE)


def rsl_link(site: Site) -> str | None:
    """The ``Link`` value pointing at license.xml (RSL), when RSL is on."""
    url = site.rsl_url
    if url is None:
        return None
    return f'<{url}>; rel="license"; type="{RSL_MEDIA_TYPE}"'


def for_decision(site: Site, decision: Decision) -> list[tuple[str, str]]:
    """The (name, value) headers every response under ``decision`` should carry."""
    reserved = dialects.tdm_reservation(decision)
    out = [(TDM_RESERVATION, str(reserved))]
    if reserved:
        out.append((TDM_POLICY, site.tdm_policy_url))
    directives = dialects.robots_directives(decision, noarchive=site.robots_meta.bing_noarchive)
    if directives:
        out.append((X_ROBOTS_TAG, ", ".join(directives)))
    out.append((CONTENT_USAGE, dialects.content_usage(decision)))
    link = rsl_link(site)
    if link is not None:
        out.append((LINK, link))
    return out


def content_types(site: Site) -> list[tuple[str, str]]:
    """(site path, media type) for the signal files whose type the host may get wrong.

    Static hosts guess types from extensions: ``.json`` is usually right, but the TDM
    policy is JSON-LD and license.xml would go out as ``text/xml``/``application/xml``.
    Stating all three keeps the files machine-readable as their specs ask (TDMRep:
    ``application/json``; ODRL: ``application/ld+json``; RSL: ``application/rsl+xml``).
    """
    out = [
        (WELL_KNOWN_PATH, "application/json"),
        (site.tdm_policy.path, "application/ld+json"),
    ]
    if site.rsl.enabled:
        out.append((site.rsl.path, RSL_MEDIA_TYPE))
    return out


@dataclass(frozen=True)
class PathRule:
    """One policy pattern (robots.txt syntax) with the headers its paths get."""

    pattern: str
    decision: Decision
    headers: tuple[tuple[str, str], ...]

    @property
    def is_default(self) -> bool:
        return self.pattern == "/"


def rules(site: Site) -> list[PathRule]:
    """Every policy rule with its headers, most specific first and the site default last.

    First match in this order is the policy's own answer (``Policy.resolve``); hosts
    whose later rules override earlier ones emit the list reversed.
    """
    return [
        PathRule(pattern, decision, tuple(for_decision(site, decision)))
        for pattern, decision in site.policy.ordered_decisions
    ]


def effective(site: Site, path: str) -> dict[str, str]:
    """What a correctly configured host sends for ``path``: the reference for tests."""
    out = dict(for_decision(site, site.policy.resolve(path)))
    for type_path, media_type in content_types(site):
        if path == type_path:
            out["Content-Type"] = media_type
    return out
