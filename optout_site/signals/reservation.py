"""The human-readable rights reservation page, one per configured language.

A court reads words, not robots.txt. Modelled on the ADAGP's published opt-out declaration,
each page names the legal basis (Art. 4(3) Directive (EU) 2019/790, the national
transposition of its language where we have one on file (French, German, Spanish, Italian
pages; the French one also on other pages of a holder in France), AI Act Art. 53(1)(c)),
states what is reserved and what stays allowed (the site default and every path rule, from
the same policy as the other signals), since when (``reservation_page.since``, only when
configured: the page never takes a date from the clock, so a rebuild does not change it),
the consequence (a licence is needed), the rights holder's contact, and lists the
machine-readable channels the site publishes, and, in a short section, where those channels
are coarser than the page (only for channels the site publishes and only what its decisions
make true: :func:`notes`); it links back to the site's home page.

A site that reserves nothing anywhere (``reserve: []`` with ``acknowledge: [no-reservation]``)
gets a notice instead of a reservation: the texts under ``none:`` replace the title, the
declaration and the headings, and the sections that speak of a reservation (since when,
scopes, consequence, legal basis) are left out.

The main language lives at ``reservation_page.path`` (``/ai-reservation/`` →
``/ai-reservation/index.html``); the others one folder down (``/ai-reservation/fr/``).
The config refuses a language without texts (shipped: en, fr, de, es, it, or added by a
theme); should one get here anyway, it gets no page, and when the main language has none,
the first language that does takes the main path.

Theming: a ``reservation_page.templates`` folder is searched before ours (jinja2
ChoiceLoader), so a ``reservation.html.j2`` there replaces the page, and can extend
``reservation_base.html.j2`` to override single blocks. A ``reservation_texts.yaml``
there overrides our wording per language and key (:mod:`optout_site.signals.theme`, which
also turns a broken theme into an error at its line). Autoescaping is on throughout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from markupsafe import Markup, escape

from optout_site import dialects, paths
from optout_site.config import Site, languages
from optout_site.errors import SignalError
from optout_site.html import splice
from optout_site.policy import Decision, Use
from optout_site.signals import aitxt, tdmrep, theme

# Marks the pages the build writes, so a rebuild never takes a page of the site's own for one.
GENERATOR = ("generator", "optout-site")
_MARK = b'<meta name="generator" content="optout-site"'
FRANCE = frozenset({"france", "fr", "fra", "république française"})


@dataclass(frozen=True)
class Page:
    lang: str  # the tag as configured (the page's lang attribute and folder)
    texts: str  # the key of the texts used
    file: str  # site path of the HTML file
    href: str  # root-relative URL of the page


def texts(site: Site) -> dict[str, dict[str, Any]]:
    """Our texts, overlaid per language and key by the theme folder's own file."""
    return theme.texts(site.reservation_page.templates)


_text_key = languages.text_key  # the same matching the config checks languages with


def reserves_anything(site: Site) -> bool:
    return any(decision.any_reserved for _, decision in site.policy.ordered_decisions)


def _page_texts(site: Site, key: str) -> dict[str, Any]:
    """One language's texts; where nothing is reserved, its ``none`` texts laid over them."""
    raw = texts(site)[key]
    if reserves_anything(site):
        return raw
    return {**raw, **(raw.get("none") or {})}


def _location(base: str, lang: str | None) -> tuple[str, str]:
    """(file, href) of a page: ``/x/`` → ``/x/index.html`` and ``/x/fr/index.html``;
    a file path ``/legal/tdm.html`` → itself and ``/legal/fr/tdm.html``."""
    if base.endswith((".html", ".htm")):
        if lang is None:
            return base, base
        folder, name = base.rsplit("/", 1)
        return (f"{folder}/{lang}/{name}",) * 2
    if base.rstrip("/") == "":
        raise SignalError("reservation_page.path '/' would replace the home page")
    folder = base.rstrip("/") + ("/" + lang if lang else "")
    return f"{folder}/index.html", f"{folder}/"


def pages(site: Site) -> list[Page]:
    """The pages to write: main language first, each at its site path."""
    available = texts(site)
    chosen: list[tuple[str, str]] = []
    for tag in site.languages:
        key = _text_key(tag, available)
        if key is not None and all(key != k for _, k in chosen):
            chosen.append((tag, key))
    if not chosen:
        chosen = [("en", "en")]
    main_tag, main_key = chosen[0]
    out = [Page(main_tag, main_key, *_location(site.reservation_page.path, None))]
    out += [Page(tag, key, *_location(site.reservation_page.path, tag)) for tag, key in chosen[1:]]
    return out


def footer_link(site: Site) -> tuple[str, str]:
    """(absolute URL, label) of the main-language page, for the link spliced into pages."""
    main = pages(site)[0]
    return site.absolute(main.href), _page_texts(site, main.texts)["footer_link"]


def _uses(decision: Decision, words: dict[str, str]) -> tuple[list[str], list[str]]:
    # The same split as dialects.describe, in the page's language.
    reserved = [words[u.value] for u in Use if u in decision.reserved]
    allowed = [words[u.value] for u in Use if u not in decision.reserved]
    return reserved, allowed


def _channels(site: Site, t: dict[str, Any]) -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = [
        {"label": t["ch_robots"], "url": site.absolute("/robots.txt")},
        {"label": t["ch_tdmrep"], "url": site.absolute(tdmrep.WELL_KNOWN_PATH)},
        {"label": t["ch_policy"], "url": site.tdm_policy_url},
        {"label": t["ch_aitxt"], "url": site.absolute(aitxt.PATH)},
        {"label": t["ch_meta"], "url": None},
    ]
    if site.hosts:
        out.append({"label": t["ch_headers"], "url": None})
    if site.images.enabled:
        out.append({"label": t["ch_images"], "url": None})
    if site.rsl_url:
        out.append({"label": t["ch_rsl"], "url": site.rsl_url})
    return out


_AI_USES = frozenset({Use.TRAIN, Use.GENAI_TRAIN, Use.AI_INPUT})


def notes(site: Site) -> list[str]:
    """The texts keys (``note_*``) of the ways the published channels are coarser than the
    page (docs/signals.md, the decision table), in the order of the channel list: only
    channels this site publishes, only where one of its decisions makes the sentence true."""
    decisions = [decision for _, decision in site.policy.ordered_decisions]

    def some(test: Callable[[Decision], bool]) -> bool:
        return any(test(d) for d in decisions)

    def genai_only(d: Decision) -> bool:
        return d.reserves(Use.GENAI_TRAIN) and not d.reserves(Use.TRAIN)

    signals = {tuple(dialects.content_signals(d).items()) for d in decisions}
    applies = {
        # robots.txt
        "note_robots_paths": len(signals) > 1,
        "note_robots_genai": some(genai_only),
        "note_usage_search": some(
            lambda d: not d.reserves(Use.SEARCH) and "search=" not in dialects.content_usage(d)
        ),
        # tdmrep.json, its meta tags and the TDM policy
        "note_tdmrep": some(lambda d: bool(tdmrep.permitted(d))),
        # ai.txt
        "note_aitxt_genai": some(
            lambda d: dialects.ai_txt_disallows(d) and not d.reserves(Use.TRAIN)
        ),
        "note_aitxt_scope": some(lambda d: d.reserves(Use.AI_INPUT) or d.reserves(Use.SEARCH)),
        # robots meta tags (and X-Robots-Tag)
        "note_noai": some(lambda d: bool(d.reserved & _AI_USES) and not dialects.noai(d)),
        # image metadata, RSL
        "note_images": site.images.enabled and some(dialects.needs_constraint_text),
        "note_rsl": site.rsl.enabled and some(genai_only),
    }
    return [key for key, applied in applies.items() if applied]


def _in_france(site: Site) -> bool:
    address = site.rightsholder.address
    return bool(address and address.country and address.country.strip().lower() in FRANCE)


def _date(day: date, raw: dict[str, Any]) -> str:
    """``day`` in the page's language (``1 May 2024``, ``1er mai 2024``, ``1. Mai 2024``)."""
    months = raw.get("months")
    if not isinstance(months, list) or len(months) != 12:
        return day.isoformat()  # a theme's language without month names
    first = raw.get("day_first") if day.day == 1 else None
    return str(raw.get("date_format", "{day} {month} {year}")).format(
        day=first or day.day, month=months[day.month - 1], year=day.year
    )


def _since(site: Site, raw: dict[str, Any], fmt: Any) -> Markup | None:
    day = site.reservation_page.since
    if day is None or "since" not in raw:
        return None  # no date is invented: not the build's, not the file's
    when = Markup('<time datetime="{}">{}</time>').format(day.isoformat(), _date(day, raw))
    return cast(Markup, fmt(raw["since"], date=when))


def _tel(phone: str | None, tel: str | None) -> str | None:
    # The config gives tel (RFC 3966, normalised); a Rightsholder built in code may not.
    if tel or not phone:
        return tel
    return "tel:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def context(site: Site, page: Page, all_pages: list[Page]) -> dict[str, Any]:
    """Everything the template sees, texts already formatted (and escaped) as Markup."""
    raw = _page_texts(site, page.texts)
    holder = site.rightsholder

    def fmt(text: str, **extra: str) -> Markup:
        return Markup(escape(text)).format(holder=holder.name, site=site.url, **extra)

    late = ("{path}", "{date}", "{day}")  # filled in below, not here
    t: dict[str, Any] = {
        key: fmt(value) if isinstance(value, str) and not any(p in value for p in late) else value
        for key, value in raw.items()
    }
    if page.texts == "fr" or not _in_france(site):
        t.pop("cpi", None)  # French pages name it already; others only for French holders
    scopes = []
    for pattern, decision in [
        *site.policy.ordered_decisions[-1:],
        *site.policy.ordered_decisions[:-1],
    ]:
        if pattern == "/":
            label = t["scope_default"]
        else:
            label = fmt(
                raw["scope_prefix" if paths.is_plain(pattern) else "scope_pattern"], path=pattern
            )
        reserved, allowed = _uses(decision, raw["uses"])
        scopes.append({"label": label, "reserved": reserved, "allowed": allowed})
    address = holder.address
    lines = []
    if address is not None:
        lines = [
            address.street,
            " ".join(filter(None, (address.postal_code, address.locality))),
            address.country,
        ]
    names = texts(site)
    tel = _tel(holder.phone, holder.tel)
    return {
        "lang": page.lang,
        "t": t,
        "holder": holder,
        "address_lines": [line for line in lines if line],
        "tel_uri": tel,
        "phone_uri": (tel or "").removeprefix("tel:"),  # for themes written before tel_uri
        "since": _since(site, raw, fmt),
        "home_url": site.url + "/",
        "scopes": scopes,
        "channels": _channels(site, t),
        "reserved_any": reserves_anything(site),
        "notes": [t[key] for key in notes(site) if key in t],
        "page_url": site.absolute(page.href),
        "rsl_url": site.rsl_url,
        "alternates": [
            {
                "lang": other.lang,
                "name": names[other.texts].get("lang_name", other.lang),
                "url": site.absolute(other.href),
                "href": other.href,
                "current": other == page,
            }
            for other in all_pages
        ],
    }


def render(site: Site) -> dict[str, bytes]:
    """Site path (``/ai-reservation/index.html``, ...) → the page's UTF-8 HTML."""
    if not site.reservation_page.enabled:
        return {}
    template = theme.template(site.reservation_page.templates)
    all_pages = pages(site)
    return {
        page.file: _marked(theme.render(template, context(site, page, all_pages)).encode("utf-8"))
        for page in all_pages
    }


def _marked(page: bytes) -> bytes:
    """The page with our generator meta (a theme's own template may lack it)."""
    if _MARK in page:
        return page
    return splice.splice(page, splice.Wanted(metas=(GENERATOR,)))


def is_ours(data: bytes, url: str) -> bool:
    """A reservation page an earlier build wrote: marked, or (before the mark) our page's
    canonical link beside the declaration paragraph of our template and our meta."""
    if _MARK in data:
        return True
    canonical = f'<link rel="canonical" href="{url.removesuffix("index.html")}">'.encode()
    legacy = (canonical, b'<p class="declaration">', b'<meta name="tdm-reservation"')
    return all(part in data for part in legacy)
