"""What an HTML page carries in its ``<head>``: TDMRep meta tags and ``noai`` robots meta.

The values come from the page's own resolved decision, so a page under an exempt path
says ``tdm-reservation: 0`` while tdmrep.json says the same for that location.
"""

from __future__ import annotations

from optout_site import dialects, htmlsplice
from optout_site.config import Site
from optout_site.policy import Decision

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
NOAI = ("noai", "noimageai")


def wanted(site: Site, decision: Decision) -> htmlsplice.Wanted:
    reserved = dialects.tdm_reservation(decision)
    directives = dialects.noai_directives(decision)
    return htmlsplice.Wanted(
        metas=(
            ("tdm-reservation", str(reserved)),
            ("tdm-policy", site.tdm_policy_url if reserved else None),
        ),
        robots_add=directives,
        robots_remove=tuple(d for d in NOAI if d not in directives),
    )


def render(site: Site, decision: Decision, page: bytes) -> bytes:
    """The page with our tags spliced in; raises htmlsplice.HtmlError if it cannot be."""
    return htmlsplice.splice(page, wanted(site, decision))
