"""What an HTML page carries: TDMRep meta tags, ``noai`` robots meta (plus Bing's
``noarchive`` when ``robots_meta.bing_noarchive`` is on), the RSL licence link, and (when
configured) a footer link to the reservation page.

The values come from the page's own resolved decision, so a page under an exempt path
says ``tdm-reservation: 0`` while tdmrep.json says the same for that location.
"""

from __future__ import annotations

from optout_site import dialects
from optout_site.config import Site
from optout_site.html import splice as htmlsplice
from optout_site.policy import Decision
from optout_site.signals import reservation, rsl


def wanted(site: Site, decision: Decision) -> htmlsplice.Wanted:
    reserved = dialects.tdm_reservation(decision)
    directives = dialects.robots_directives(decision, noarchive=site.robots_meta.bing_noarchive)
    footer = None
    page = site.reservation_page
    if page.enabled and page.footer_link:
        href, label = reservation.footer_link(site)
        footer = (href, page.footer_text or label)
    return htmlsplice.Wanted(
        metas=(
            ("tdm-reservation", str(reserved)),
            ("tdm-policy", site.tdm_policy_url if reserved else None),
        ),
        robots_add=directives,
        # With RSL off our link goes; an author's own <link rel=license> stays.
        links=(rsl.link(site),),
        footer=footer,
        footer_before=site.reservation_page.footer_before,
    )


def render(site: Site, decision: Decision, page: bytes) -> bytes:
    """The page with our tags spliced in; raises htmlsplice.HtmlError if it cannot be."""
    return htmlsplice.splice(page, wanted(site, decision))
