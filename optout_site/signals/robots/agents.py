"""What the policy does with each AI agent, and the text of ``optout-site agents``.

A registry category stands for one use (``train`` and ``dataset`` → ``train``;
``ai-search``, ``user-fetch``, ``agent`` → ``ai-input``; ``search-engine`` → ``search``):
an agent is blocked where the decision for a path reserves its category's use. A site
can then override per category (``agents.categories``) and per token (``agents.block`` /
``agents.allow``); tokens beat categories, and ``block`` beats everything, because an
explicit "never this one" is the
one instruction a creator must never see silently undone.

Everything here is a pure function returning data or text, so the CLI only prints.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Iterable

from optout_site import vocabulary
from optout_site.config import Site
from optout_site.errors import UnknownAgent
from optout_site.policy import Decision, Use
from optout_site.signals.robots import registry as registry_mod
from optout_site.signals.robots.registry import Agent, Registry
from optout_site.spec import CATEGORIES

# The use whose reservation blocks a category; None: never blocked by the policy itself.
CATEGORY_USE: dict[str, Use | None] = {
    "train": Use.GENAI_TRAIN,  # reserving train or tdm reserves genai-train too
    "dataset": Use.GENAI_TRAIN,
    "ai-search": Use.AI_INPUT,
    "user-fetch": Use.AI_INPUT,
    "agent": Use.AI_INPUT,
    "search-engine": Use.SEARCH,
    "preview": None,  # link previews: blocking them breaks shared links, not AI use
}

CATEGORY_LABEL: dict[str, str] = {
    "train": "AI training crawlers and training-only tokens",
    "dataset": "dataset and corpus builders",
    "ai-search": "AI search indexers",
    "user-fetch": "assistants fetching a page on a user's request",
    "agent": "autonomous AI agents and coding tools",
    "search-engine": "classic search engines",
    "preview": "link-preview fetchers",
}

# What a creator gives up by blocking an agent of each category.
BLOCK_COST: dict[str, str] = {
    "train": "Keeps your pages out of {op}'s model training; search results are not affected.",
    "dataset": "Keeps your pages out of a dataset that others download, often to train models; "
    "search results are not affected.",
    "ai-search": "{op}'s AI search stops indexing your pages, so its answers will not cite or "
    "link to you.",
    "user-fetch": "Assistants stop fetching your pages when a user asks them to (for example "
    "when someone pastes your link into a chat).",
    "agent": "AI agents acting for a user (browsing, shopping, coding tools) stop reading your "
    "pages.",
    "search-engine": "Drops your site from {op}'s search results and from everything built on "
    "that index.",
    "preview": "Links to your site shared in chats and social networks lose their preview card "
    "(title, image, description).",
}

HONOURS_NOTE: dict[str, str] = {
    "yes": "yes: its operator says it obeys robots.txt.",
    "no": "no: documented or reported not to obey robots.txt (often because a person "
    "triggered the fetch), so a robots.txt rule only states your intent; enforce it at "
    "the server or CDN.",
    "own-group-only": "only a group naming it alone, reportedly; optout-site gives it its own "
    "group.",
    "unknown": "unknown: no reliable statement either way.",
}

SITE_SOURCE = "sites.yaml"
_SITE_VERIFIED = "1970-01-01"  # placeholder: sites.yaml records carry no verification date


# --- the registry a site sees ----------------------------------------------------------


def registry_for(site: Site | None = None) -> Registry:
    """The packaged registry, then the site's extra registry file, then its inline records.

    An inline record for a known token overrides only the fields it states, so a site can
    re-categorise an agent without restating who runs it.
    """
    reg = registry_mod.load()
    if vocabulary.ROBOTS_TOKENS:  # preference tokens a draft names: groups like any agent
        reg = reg.merged(
            Agent(
                token=row.token,
                operator="IETF aipref",
                category=row.category,
                honours_robots="unknown",
                purpose=f"Preference token: {row.basis}",
                source=f"{row.draft} §{row.section}",
                verified=row.date,
            )
            for row in vocabulary.ROBOTS_TOKENS
        )
    if site is None:
        return reg
    if site.agents.omit_generic:
        # A token the site names in agents.block still gets its group (as any named token).
        kept = tuple(a for a in reg if not a.generic)
        reg = registry_mod.Registry(reg.version, kept, reg.dropped)
    if site.agents.registry is not None:
        reg = reg.merged(registry_mod.load(site.agents.registry).agents)
    added: list[Agent] = []
    for pairs in site.agents.add:
        record = dict(pairs)
        known = reg.get(record["token"])
        base = (
            dataclasses.asdict(known)
            if known is not None
            else {
                "honours_robots": "unknown",
                "purpose": "Added in sites.yaml.",
                "source": SITE_SOURCE,
                "verified": _SITE_VERIFIED,
            }
        )
        fields = {**base, **record}
        if known is not None:
            fields["token"] = known.token  # keep one spelling; the index is case-insensitive
        added.append(Agent(**fields))
    return reg.merged(added) if added else reg


# --- verdicts -------------------------------------------------------------------------


def canonical(token: str, reg: Registry) -> str:
    """The registry's spelling of a token or alias, else the token itself."""
    agent = reg.get(token)
    return agent.token if agent is not None else token


def _listed(tokens: Iterable[str], token: str, reg: Registry) -> bool:
    key = canonical(token, reg).casefold()
    return any(canonical(t, reg).casefold() == key for t in tokens)


def reason(site: Site, token: str, decision: Decision, reg: Registry) -> tuple[bool, str]:
    """Whether our robots.txt blocks ``token`` where ``decision`` applies, and why."""
    if _listed(site.agents.block, token, reg):
        return True, "agents.block lists it"
    if _listed(site.agents.allow, token, reg):
        return False, "agents.allow lists it"
    agent = reg.get(token)
    if agent is None:
        return False, "not in the registry, so only the site's own rules apply"
    stance = site.agents.stance(agent.category)
    if stance != "policy":
        return stance == "block", f"agents.categories sets {agent.category} to {stance}"
    use = CATEGORY_USE[agent.category]
    if use is None:
        return False, f"{agent.category} agents are never blocked by the policy"
    if decision.reserves(use):
        return True, f"the policy reserves {use} here"
    return False, f"the policy allows {use} here"


def blocked(site: Site, token: str, decision: Decision, reg: Registry) -> bool:
    """Whether our robots.txt disallows ``token`` on paths that ``decision`` governs."""
    return reason(site, token, decision, reg)[0]


def verdicts(site: Site, reg: Registry) -> dict[str, dict[str, bool]]:
    """For every registry token: rule path (most specific first, ``/`` last) → blocked."""
    decisions = site.policy.ordered_decisions
    return {
        agent.token: {path: blocked(site, agent.token, d, reg) for path, d in decisions}
        for agent in reg
    }


# --- `optout-site agents` ---------------------------------------------------------------


def _sorted(agents: Iterable[Agent]) -> list[Agent]:
    return sorted(agents, key=lambda a: (CATEGORIES.index(a.category), a.token.casefold()))


def list_agents(reg: Registry, categories: list[str] | None = None, as_json: bool = False) -> str:
    """The registry as a table (token, category, operator, honours) or as JSON.

    Raises ValueError for an unknown category.
    """
    chosen = list(dict.fromkeys(categories)) if categories else list(CATEGORIES)
    agents = _sorted(reg.by_category(*chosen))
    if as_json:
        records = [{**dataclasses.asdict(a), "aliases": list(a.aliases)} for a in agents]
        return (
            json.dumps(
                {"version": reg.version, "categories": chosen, "agents": records},
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    header = ("TOKEN", "CATEGORY", "OPERATOR", "HONOURS")
    rows = [(a.token, a.category, a.operator, a.honours_robots) for a in agents]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in [header, *rows]
    ]
    lines.append(f"{len(rows)} agents (registry {reg.version})")
    return "\n".join(lines) + "\n"


def version_text(reg: Registry, site: Site | None = None) -> str:
    """The bundled registry's version and source, and the override a site reads."""
    bundled = registry_mod.load()
    lines = [f"registry {bundled.version}"]
    if bundled.source is not None:
        lines.append(f"  compared with {bundled.source.describe()}")
    if site is not None and site.agents.registry is not None:
        extra = registry_mod.load(site.agents.registry)
        lines.append(f"override {site.agents.registry} ({extra.version}, {len(extra)} records)")
        if extra.source is not None:
            lines.append(f"  compared with {extra.source.describe()}")
    return "\n".join(lines)


def _suggest(reg: Registry, token: str) -> str:
    names = {n.casefold(): agent.token for agent in reg for n in (agent.token, *agent.aliases)}
    close = difflib.get_close_matches(token.casefold(), list(names), n=3, cutoff=0.6)
    # A substring hit ("gpt" → GPTBot) is what people type; difflib misses short ones.
    close += [k for k in sorted(names) if token.casefold() in k and k not in close][:3]
    matches = list(dict.fromkeys(names[k] for k in close))[:3]
    if not matches:
        return f"unknown agent {token!r}; list them with `optout-site agents`"
    return f"unknown agent {token!r}; did you mean {' or '.join(matches)}?"


def confused_with(reg: Registry, agent: Agent) -> list[str]:
    """The other registry tokens whose names contain ``agent.token``: a parser that matches
    a group's token as a substring of the crawler's name (Python's urllib.robotparser)
    applies that group to them too."""
    needle = agent.token.casefold()
    return [a.token for a in reg if a is not agent and needle in a.token.casefold()]


def caught_by(reg: Registry, agent: Agent) -> list[str]:
    """:func:`confused_with`, and the agents known to call themselves by a name containing
    the token (Sogou, as "Sogou web spider"), each as the name to show."""
    needle = agent.token.casefold()
    out = confused_with(reg, agent)
    for other in reg:
        alias = next((a for a in other.aliases if needle in a.casefold()), None)
        if other is not agent and other.token not in out and alias is not None:
            out.append(f'{other.token} ("{alias}")')
    return out


def _generic_note(reg: Registry, agent: Agent) -> str:
    others = caught_by(reg, agent)
    known = f" (here: {', '.join(others)})" if others else ""
    return (
        f"  generic:   {agent.token!r} is a common word or a few letters. urllib.robotparser "
        f"applies a `User-agent: {agent.token}` group to every crawler whose name contains "
        f"{agent.token.lower()!r}{known}; Protego only where it starts a word of the name or "
        "User-Agent header. To leave such tokens out of robots.txt, set "
        "`agents: {omit_generic: true}` in sites.yaml.\n"
    )


def explain(reg: Registry, token: str, site: Site | None = None) -> str:
    """What an agent is, who runs it, what blocking it costs, and (given a site) our verdict.

    Raises :class:`~optout_site.errors.UnknownAgent` with a did-you-mean for an unknown token.
    """
    agent = reg.get(token)
    if agent is None:
        why = reg.left_out(token) or registry_mod.load().left_out(token)
        if why is not None:
            return (
                f"{token}: deliberately not in the registry, so optout-site writes no "
                f"robots.txt group for it.\n  why: {why}\n"
            )
        if site is not None and site.agents.omit_generic:
            left = registry_mod.load().get(token)
            if left is not None and left.generic:
                return (
                    f"{left.token}: a generic token, left out of this site's robots.txt "
                    f"(agents.omit_generic).\n{_generic_note(registry_mod.load(), left)}"
                )
        raise UnknownAgent(_suggest(reg, token))
    use = CATEGORY_USE[agent.category]
    by_default = (
        f"blocked where the policy reserves {use}"
        if use is not None
        else "never blocked unless the site names it in agents.block"
    )
    source = (
        "added in sites.yaml (not verified by optout-site)"
        if agent.source == SITE_SOURCE
        else agent.source
    )
    lines = [
        f"{agent.token} ({agent.operator})",
        f"  category:  {agent.category}: {CATEGORY_LABEL[agent.category]}",
        f"  purpose:   {agent.purpose}",
        f"  obeys robots.txt: {HONOURS_NOTE[agent.honours_robots]}",
        f"  source:    {source}",
    ]
    if agent.source != SITE_SOURCE:
        lines.append(f"  verified:  {agent.verified}")
    if agent.aliases:
        lines.append(f"  also seen as: {', '.join(agent.aliases)}")
    lines.append(f"  if blocked: {BLOCK_COST[agent.category].format(op=agent.operator)}")
    lines.append(f"  by default: {by_default}.")
    if agent.generic:
        lines.append(_generic_note(reg, agent).rstrip("\n"))
    if site is not None:
        lines.append("")
        lines.append(f"In site {site.name} ({site.url}):")
        decisions = site.policy.ordered_decisions
        width = max(len(path) for path, _ in decisions)
        for path, decision in decisions:
            is_blocked, why = reason(site, agent.token, decision, reg)
            verdict = "Disallow" if is_blocked else "Allow"
            lines.append(f"  {path.ljust(width)}  {verdict.ljust(8)}  ({why})")
        if agent.honours_robots == "no" and any(
            blocked(site, agent.token, d, reg) for _, d in decisions
        ):
            lines.append("  Note: this agent may ignore robots.txt; the rule states intent only.")
    return "\n".join(lines) + "\n"
