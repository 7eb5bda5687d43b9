"""HTML pages as a browser-grade parser reads them (html5lib): the TDMRep meta tags, the
``robots`` meta (``noai``, ``noimageai``, Bing's ``noarchive`` when the site opts in, and no
accidental ``noindex``), the RSL link.
In URL mode this module also finds the pages and images to sample.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

import html5lib
from lxml import etree

from optout_site import dialects
from optout_site.build.plan import kind_of
from optout_site.check.context import Context
from optout_site.check.model import BAD, META, OK, WARN
from optout_site.html.splice import MARK
from optout_site.policy import Decision, Use

NOINDEX = frozenset({"noindex", "none"})
MAX_TRIES = 4  # discovery fetches at most this many candidates per sampled page
_BODY = re.compile(rb"<body[\s>]", re.I)
_REBUILD = "Rebuild with `optout-site build`; it splices the meta tags into every page."


def parse_html(body: bytes, content_type: str = "") -> ElementTree.Element | None:
    charset = None
    if "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=")[1].split(";")[0].strip(" \"'")
    try:
        return html5lib.parse(
            body, treebuilder="etree", namespaceHTMLElements=False, transport_encoding=charset
        )
    except (ValueError, LookupError):
        return None


def head_of(body: bytes) -> bytes:
    """The page up to its ``<body>`` tag: the meta tags live in the head, and parsing a
    large page's body would only cost time (html5lib is pure Python)."""
    match = _BODY.search(body)
    return body[: match.start()] if match else body


def metas(root: ElementTree.Element) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for el in root.iter("meta"):
        name = (el.get("name") or "").strip().lower()
        if name:
            out.setdefault(name, []).append((el.get("content") or "").strip())
            if el.get(MARK) is not None:  # the tag optout-site owns, besides the author's
                out.setdefault(name + "@" + MARK, []).append((el.get("content") or "").strip())
    return out


def directives(values: list[str]) -> set[str]:
    return {d.strip().lower() for v in values for d in v.split(",") if d.strip()}


def discover(ctx: Context, sample: int) -> None:
    """URL mode: the home page, the sitemap and the links they hold, up to ``sample`` each.
    Links are read from the part of each page the source fetched (its first
    :data:`~optout_site.check.sources.PAGE_BYTES`), and at most ``MAX_TRIES * sample``
    candidates are fetched."""
    pages: list[str] = []
    images: list[str] = []
    queue: deque[str] = deque(["/"])
    for loc in _sitemap(ctx, MAX_TRIES * sample):
        queue.append(loc)
    seen: set[str] = set()
    tries = 0  # a sitemap of dead links must not cost a request each
    while queue and len(pages) < sample and tries < MAX_TRIES * sample:
        path = queue.popleft()
        if path in seen:
            continue
        if ctx.source.exhausted:
            break  # the deadline or the request budget: what is left is not checked
        seen.add(path)
        tries += 1
        got = ctx.get(path)
        if not got.ok or "html" not in (got.content_type or "text/html"):
            continue
        pages.append(path)
        root = parse_html(got.body, got.headers.get("Content-Type", ""))
        if root is None:
            continue
        base = ctx.source.label.rstrip("/") + path
        for el in root.iter():
            if el.tag not in ("a", "img", "source", "meta"):
                continue
            refs = [el.get("href"), el.get("src")]
            refs += [c.strip().split(" ")[0] for c in (el.get("srcset") or "").split(",")]
            if el.tag == "meta" and (el.get("property") or "").lower() == "og:image":
                refs.append(el.get("content"))
            for ref in filter(None, refs):
                try:
                    url = urljoin(base, ref.split("#")[0])
                except ValueError:
                    ctx.source.malformed.append(ref)
                    continue
                target = ctx.source.site_path(url)
                if target is None:
                    continue
                kind = kind_of(target) if el.tag != "a" else (kind_of(target) or "page")
                if kind == "image" and target not in images and len(images) < sample:
                    images.append(target)
                elif kind == "page" and el.tag == "a":
                    queue.append(target)
    ctx.pages, ctx.images = pages, images


def _sitemap(ctx: Context, limit: int) -> list[str]:
    got = ctx.get("/sitemap.xml")
    if not got.ok:
        return []
    try:
        root = etree.fromstring(got.body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return []
    out: list[str] = []
    for el in root.iter("{*}loc"):
        if len(out) >= limit:
            break
        loc = (el.text or "").strip()
        if not loc:
            continue
        # A sitemap may name the canonical domain while the site is served elsewhere
        # (staging, a preview URL): its paths are still this site's pages.
        path = ctx.source.site_path(loc)
        if path is None:
            try:
                path = urlsplit(loc).path or "/"
            except ValueError:
                continue  # site_path has noted it
        out.append(path)
    return out


def check(ctx: Context) -> None:
    exp = ctx.exp
    for path in ctx.pages:
        ctx.count(META)
        ctx.report.coverage.pages += 1
        got = ctx.get(path)
        if not got.ok:
            ctx.add(
                "error",
                META,
                path,
                f"the page cannot be read ({got.error or got.status})",
                "Check the file.",
            )
            ctx.cell(path, META, BAD, "unreadable")
            ctx.page_meta[path] = None
            continue
        root = parse_html(head_of(got.body), got.headers.get("Content-Type", ""))
        found = metas(root) if root is not None else {}
        decision = ctx.decision(path)
        want = str(dialects.tdm_reservation(decision))
        values = found.get("tdm-reservation", [])
        distinct = list(dict.fromkeys(values))
        ctx.page_meta[path] = distinct[0] if len(distinct) == 1 else None
        if not values:
            ctx.add(
                ctx.missing_severity(),
                META,
                path,
                f'no <meta name="tdm-reservation"> (policy: {want}; {ctx.tdm_says(path)})',
                _REBUILD,
            )
            ctx.cell(path, META, BAD, "tdm-reservation missing")
        elif len(distinct) > 1:
            ctx.add(
                "error",
                META,
                path,
                f"several tdm-reservation meta tags disagree: {', '.join(distinct)}",
                "Keep exactly one. " + _REBUILD,
            )
            ctx.cell(path, META, BAD, "conflicting tdm-reservation")
        elif distinct[0] not in ("0", "1"):
            ctx.add(
                "error",
                META,
                path,
                f"tdm-reservation is {distinct[0]!r}; only 1 and 0 are "
                "valid, so TDM agents read it as unset",
                f'Write content="{want}".',
            )
            ctx.cell(path, META, BAD, f"invalid value {distinct[0]!r}")
        elif distinct[0] != want:
            ctx.add(
                "error",
                META,
                path,
                f"the page's meta says tdm-reservation {distinct[0]} but "
                f"the policy says {want} here; {ctx.tdm_says(path)}. HTML meta overrides "
                "tdmrep.json and headers for TDM agents",
                _REBUILD,
            )
            ctx.cell(path, META, BAD, f"tdm-reservation {distinct[0]}, want {want}")
        else:
            ctx.report.coverage.pages_reserved += 1
            ctx.cell(path, META, OK, f"tdm-reservation {want}")
        _policy_link(ctx, path, found, want)
        _robots_meta(ctx, path, found, decision)
        if (
            exp.rsl_url
            and root is not None
            and not any(
                "license" in (el.get("rel") or "").lower().split()
                and (el.get("type") or "").lower() == "application/rsl+xml"
                for el in root.iter("link")
            )
        ):
            ctx.add(
                "warning",
                META,
                path,
                'no <link rel="license" type="application/rsl+xml"> pointing at license.xml',
                _REBUILD,
            )


def _policy_link(ctx: Context, path: str, found: dict[str, list[str]], want: str) -> None:
    links = found.get("tdm-policy", [])
    if want == "1" and not links:
        ctx.add(
            "warning",
            META,
            path,
            'no <meta name="tdm-policy">: TDM agents cannot learn how to ask for a licence',
            _REBUILD,
        )
    elif want == "1" and ctx.strict and links[0] != ctx.exp.policy_url:
        ctx.add(
            "warning",
            META,
            path,
            f"tdm-policy points at {links[0]}, not {ctx.exp.policy_url}",
            _REBUILD,
        )


def _robots_meta(ctx: Context, path: str, found: dict[str, list[str]], decision: Decision) -> None:
    got = directives(found.get("robots", []))
    noarchive = ctx.exp.site.robots_meta.bing_noarchive
    want = set(dialects.robots_directives(decision, noarchive=noarchive))
    missing = want - got
    if missing:
        ctx.add(
            ctx.missing_severity(),
            META,
            path,
            f"the robots meta lacks "
            f"{', '.join(sorted(missing))} although the policy reserves AI use here",
            _REBUILD,
        )
        ctx.cell(path, META, BAD, f"{', '.join(sorted(missing))} missing")
    extra = {"noai", "noimageai"} & got - want
    ours = directives(found.get("robots@" + MARK, []))
    if extra & ours:
        ctx.add(
            "error",
            META,
            path,
            f"the robots meta says {', '.join(sorted(extra & ours))} but the "
            f"policy allows AI use here ({dialects.describe(decision)})",
            _REBUILD,
        )
        ctx.cell(path, META, BAD, "noai where allowed")
    elif extra:
        # The author's own tag, stricter than the policy: kept as written, but said.
        ctx.add(
            "warning",
            META,
            path,
            f"the page's own robots meta says {', '.join(sorted(extra))}, stricter than the "
            f"policy here ({dialects.describe(decision)}); optout-site leaves it as written",
            "Remove it from the page's source if AI use should be allowed here.",
        )
        ctx.cell(path, META, WARN, "author's noai")
    _noarchive(ctx, path, got, ours, decision, expected="noarchive" in want)
    noindex = got & NOINDEX
    if noindex and not decision.reserves(Use.SEARCH):
        ctx.add(
            "warning",
            META,
            path,
            f"the robots meta says {', '.join(sorted(noindex))}: "
            "search engines drop this page although the policy allows search",
            "Remove noindex unless this page should not be found "
            "(if so, add `acknowledge: [noindex]` to the site in sites.yaml).",
            code="noindex",
        )
        ctx.cell(path, META, WARN, "noindex")


def _noarchive(
    ctx: Context, path: str, got: set[str], ours: set[str], decision: Decision, expected: bool
) -> None:
    """Bing's ``noarchive`` (``robots_meta.bing_noarchive``). The author's own is theirs to
    write, for any reason; ours must match the setting and the policy."""
    if "noarchive" in ours and not dialects.bing_noarchive(decision):
        ctx.add(
            "error",
            META,
            path,
            "our robots meta says noarchive, which keeps the page out of Bing Chat answers "
            f"and Microsoft's generative AI training, but the policy allows one of them here "
            f"({dialects.describe(decision)})",
            _REBUILD,
        )
        ctx.cell(path, META, BAD, "noarchive where allowed")
    elif "noarchive" in ours and ctx.strict and not expected:
        ctx.add(
            "warning",
            META,
            path,
            "our robots meta says noarchive, but robots_meta.bing_noarchive is off",
            _REBUILD,
        )
        ctx.cell(path, META, WARN, "noarchive not configured")
    if expected and "nocache" in got:
        # Bing: "If content has both NOCACHE and NOARCHIVE tags, we will treat it as NOCACHE."
        ctx.add(
            "warning",
            META,
            path,
            "the robots meta says nocache next to noarchive; Bing then reads nocache, "
            "which still lets Bing Chat show and train on the URL, title and snippet",
            "Remove nocache from the page's own robots meta.",
        )
        ctx.cell(path, META, WARN, "nocache beats noarchive")
