"""Refusing chosen agents at the server (``block:``): who, where, and what they are told.

robots.txt only asks; some crawlers ignore it (Bytespider) and some never read it
(img2dataset). With ``block:`` the host answers them with 403 (or 402/451). This module
decides the parts every host config shares; each host module writes them in its own
syntax, inside our marked block (or a file of ours), so the user's own rules stay.

* Who: the registry agents of the categories named, plus the names given one by one,
  matched as whole words, case-insensitively, by the one user-agent matcher
  (:mod:`optout_site.signals.robots.uamatch`).
* Never search engines or link previews: a name of those categories is refused unless the
  site's robots.txt already shuts it out (``agents.block``), and a token that would match
  a real search-engine, preview or browser user agent (``Spider`` inside
  ``Sogou web spider``) is left out of a category, or refused when named.
* Where not: robots.txt, the TDMRep file and the TDM policy it points to, and the
  reservation pages stay readable, so the refusal explains itself.
* What: the chosen status and a short HTML page linking the reservation page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from optout_site.config import Site
from optout_site.errors import SignalError
from optout_site.signals import reservation, robots, tdmrep
from optout_site.signals.robots import agents as agents_mod
from optout_site.signals.robots import uamatch
from optout_site.spec import CATEGORIES

NEVER = ("search-engine", "preview")

# Real user agents that no blocking rule may match: search engines, link previews and
# browsers. Written out, not derived from the registry, so a generic token is caught by
# what crawlers actually send.
SPARED: tuple[str, ...] = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
    "+http://www.google.com/bot.html)",
    "Googlebot-Image/1.0",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; Applebot/0.1; +http://www.apple.com/go/applebot)",
    "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "Mozilla/5.0 (compatible; Qwantbot/1.0; +https://help.qwant.com/bot/)",
    "Mozilla/5.0 (compatible; SeznamBot/4.0; +https://o-seznam.cz/napoveda/vyhledavani/en/seznambot-crawler/)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "WhatsApp/2.23.20.0",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
)

REASONS = {403: "Forbidden", 402: "Payment Required", 451: "Unavailable For Legal Reasons"}
# Characters left as they are in the refusal page; every other one becomes a character
# reference, so the page needs no escaping in any server's string syntax ($, %, {, ", \).
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ./:_-,()")


@dataclass(frozen=True)
class Blocking:
    tokens: tuple[str, ...]  # product names, as the registry or the site spells them
    status: int
    exempt: tuple[str, ...]  # exact site paths (percent-encoded) that stay readable
    link: str  # absolute URL the refusal points to
    left_out: tuple[str, ...] = ()  # tokens a category brought that would hit spared agents

    @property
    def user_agents(self) -> str:
        """The regex (PCRE, RE2, JavaScript alike) for a User-Agent to refuse; the caller
        makes it case-insensitive."""
        return uamatch.pattern(self.tokens)

    @property
    def reason(self) -> str:
        return REASONS[self.status]

    @property
    def body(self) -> str:
        """The refusal page: one line of HTML without quotes, ``$``, ``%``, braces or
        backslashes, so every server can carry it in a plain double-quoted string."""
        link = _references(self.link)
        return (
            f"<!DOCTYPE html><html lang=en><meta charset=utf-8><title>{self.status} "
            f"{self.reason}</title><h1>{self.status} {self.reason}</h1><p>This site "
            "reserves its content against text and data mining and AI training, and "
            "refuses this automated agent. The reservation is explained at "
            f"<a href={link}>{link}</a>.</p></html>"
        )


def _references(text: str) -> str:
    return "".join(ch if ch in _PLAIN else f"&#{ord(ch)};" for ch in html.unescape(text))


def _spared_hit(token: str) -> str | None:
    for user_agent in SPARED:
        if uamatch.identify(user_agent, (token,)) is not None:
            return user_agent
    return None


def exempt_paths(site: Site) -> tuple[str, ...]:
    """The paths a refused agent may still read: what explains the refusal."""
    out = [robots.PATH, tdmrep.WELL_KNOWN_PATH, site.tdm_policy.path]
    if site.reservation_page.enabled:
        for page in reservation.pages(site):
            out += [page.href, page.file]
            if page.href.endswith("/"):
                out.append(page.href.rstrip("/"))  # the server's redirect to the folder
    return tuple(dict.fromkeys(out))


def plan(site: Site) -> Blocking | None:
    """What the host configs refuse, or None when the site blocks nothing.

    Raises SignalError for a named search engine, link preview or a name that would
    match one of them.
    """
    if site.block is None:
        return None
    reg = agents_mod.registry_for(site)
    allowed = {agents_mod.canonical(t, reg).casefold() for t in site.agents.allow}
    shut_out = {agents_mod.canonical(t, reg).casefold() for t in site.agents.block}
    tokens: list[str] = []
    left_out: list[str] = []
    for name in site.block.agents:
        if name in CATEGORIES:
            if name in NEVER:
                raise SignalError(
                    f"block.agents: {name} agents are never refused at the server (that would "
                    "drop the site from search results or break shared links); name single "
                    "tokens instead"
                )
            for agent in reg.by_category(name):
                if agent.token.casefold() in allowed:
                    continue
                hit = _spared_hit(agent.token)
                if hit is not None:
                    left_out.append(f"{agent.token} (it would match {hit!r})")
                else:
                    tokens.append(agent.token)
            continue
        token = agents_mod.canonical(name, reg)
        named = reg.get(name)
        if named is not None and named.category in NEVER and token.casefold() not in shut_out:
            raise SignalError(
                f"block.agents: {token} is a {named.category} agent the policy lets in; "
                "list it in agents.block first if it really must be refused"
            )
        hit = _spared_hit(token)
        if hit is not None and (named is None or named.category not in NEVER):
            raise SignalError(
                f"block.agents: {token} would also refuse {hit!r}; name a more specific token"
            )
        tokens.append(token)
    tokens = list(dict.fromkeys(tokens))
    if not tokens:
        raise SignalError("block.agents names no agent to refuse")
    pages = reservation.pages(site) if site.reservation_page.enabled else []
    link = site.absolute(pages[0].href) if pages else site.absolute(robots.PATH)
    return Blocking(
        tuple(sorted(tokens, key=str.casefold)),
        site.block.status,
        exempt_paths(site),
        link,
        tuple(left_out),
    )


def comment(plan: Blocking) -> list[str]:
    """The comment lines every host's rules start with."""
    lines = [
        f"# block: {len(plan.tokens)} agents get {plan.status} {plan.reason} "
        "(whole words in User-Agent, any case)",
        f"# still readable: {', '.join(plan.exempt)}",
    ]
    lines += [f"# left out: {note}" for note in plan.left_out]
    return lines
