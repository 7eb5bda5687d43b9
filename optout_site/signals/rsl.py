"""Really Simple Licensing (RSL): ``/license.xml``, its robots.txt line and its ``<link>``.

One ``<content>`` per policy rule, its ``url`` the rule's robots.txt pattern (RSL takes
paths with RFC 9309 ``*`` and ``$``), most specific first and the site default ``/``
last. The usage tokens come from :func:`optout_site.dialects.rsl_usage`; RSL spells them
``ai-train``, ``ai-input``, ``search`` (not AIPREF's ``train-ai``).

RSL says little about overlapping ``<content>`` entries beyond "most restrictive wins"
(known only from secondary digests of the RSL 1.0 specification). A reader that applies that across
our entries would treat an exempt sub-path as reserved: the error then falls on the
protective side, and every other signal states the exemption exactly. Only elements
whose syntax is confirmed are written (no ``<copyright>``/``<terms>``); the legal page
and the TDM policy carry the contact.
"""

from __future__ import annotations

from lxml import etree

from optout_site import dialects
from optout_site.config import Site

NAMESPACE = "https://rslstandard.org/rsl"
MEDIA_TYPE = "application/rsl+xml"


def document(site: Site) -> etree._Element:
    root = etree.Element(f"{{{NAMESPACE}}}rsl", nsmap={None: NAMESPACE})
    for pattern, decision in site.policy.ordered_decisions:
        content = etree.SubElement(root, f"{{{NAMESPACE}}}content", url=pattern)
        license_ = etree.SubElement(content, f"{{{NAMESPACE}}}license")
        permits, prohibits = dialects.rsl_usage(decision)
        for tag, tokens in (("permits", permits), ("prohibits", prohibits)):
            if tokens:
                element = etree.SubElement(license_, f"{{{NAMESPACE}}}{tag}", type="usage")
                element.text = " ".join(tokens)
    return root


def render(site: Site) -> bytes:
    """The license.xml bytes (UTF-8, with an XML declaration)."""
    root = document(site)
    etree.indent(root, space="  ")
    body = etree.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def robots_line(site: Site) -> str | None:
    """``License: <url>`` for the top of robots.txt, before the first group (RSL guide)."""
    url = site.rsl_url
    return f"License: {url}" if url else None


def link(site: Site) -> tuple[str, str, str | None]:
    """(rel, type, href) of the ``<link>`` every page carries; href None when RSL is off,
    so a link an earlier build added is withdrawn."""
    return ("license", MEDIA_TYPE, site.rsl_url)
