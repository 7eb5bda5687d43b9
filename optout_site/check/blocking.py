"""Whether ``block:`` is in force on the served site (``check URL`` only).

A handful of requests, counted in the check's request budget: the home page asked for by
one refused agent (it must get the configured status), robots.txt by the same agent (it
must stay readable, or the refusal explains nothing), and the home page by Googlebot
(it must not be refused). The refused agent is the first of a few well-known ones the
site refuses, with the User-Agent it really sends.
"""

from __future__ import annotations

from optout_site.check.context import Context
from optout_site.check.model import BLOCKING
from optout_site.check.sources import HttpSource
from optout_site.errors import SignalError
from optout_site.hosts import block
from optout_site.signals import robots

# What these agents send (their operators' documentation, ai.robots.txt's notes).
PROBES = {
    "GPTBot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
    "+https://openai.com/gptbot)",
    "CCBot": "CCBot/2.0 (https://commoncrawl.org/faq/)",
    "Bytespider": "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
    "img2dataset": "Mozilla/5.0 (compatible; img2dataset; +https://github.com/rom1504/img2dataset)",
}
SEARCH_ENGINE = block.SPARED[0]  # Googlebot
_FIX = (
    "Deploy the host config optout-site wrote for `block:` (docs/hosting.md, 'Refusing "
    "agents') and reload the server."
)


def probe(tokens: tuple[str, ...]) -> tuple[str, str]:
    """(token, User-Agent) of the agent to ask as."""
    known = {t.casefold(): t for t in tokens}
    for name, user_agent in PROBES.items():
        if name.casefold() in known:
            return known[name.casefold()], user_agent
    return tokens[0], f"Mozilla/5.0 (compatible; {tokens[0]}/1.0)"


def check(ctx: Context) -> None:
    source = ctx.source
    if not isinstance(source, HttpSource) or ctx.exp.inferred or ctx.exp.site.block is None:
        return
    try:
        plan = block.plan(ctx.exp.site)
    except SignalError:
        return  # the build reports it; there is no refusal to check
    if plan is None:
        return
    token, user_agent = probe(plan.tokens)
    ctx.count(BLOCKING, 3)
    refused = source.get_as("/", user_agent)
    if not refused.skipped and refused.status != plan.status:
        ctx.add(
            "error",
            BLOCKING,
            "/",
            f"blocking is not in force: asked as {token}, / answered {refused.status or 'nothing'}"
            f" ({refused.error or 'served'}), not {plan.status}",
            _FIX,
        )
    readable = source.get_as(robots.PATH, user_agent)
    if not readable.skipped and readable.status == plan.status:
        ctx.add(
            "error",
            BLOCKING,
            robots.PATH,
            f"{token} is refused robots.txt too, so it cannot read why it is refused",
            "Use the host config optout-site wrote: it keeps robots.txt, the TDMRep file and "
            "the reservation page readable.",
        )
    searched = source.get_as("/", SEARCH_ENGINE)
    if not searched.skipped and searched.status == plan.status != ctx.get("/").status:
        ctx.add(
            "error",
            BLOCKING,
            "/",
            f"Googlebot is refused ({plan.status}) where a browser is served: the blocking "
            "rule matches search engines",
            "Match tokens as whole words (the config optout-site writes does).",
        )
