"""``optout-site agents update``: ai.robots.txt's ``robots.json`` against our registry.

ai.robots.txt lists AI crawlers by name with free-text fields (``function``, ``respect``,
``operator``). We read it, put each name through the mapping rules below (a category and
the reason), and compare with the registry a site sees:

* new tokens, with the category the rules assign and why;
* tokens whose category would change: records whose source *is* that list, where the
  rules now say otherwise (written only with ``--recategorise``: the registry's
  categories are reviewed judgements, and a keyword rule should not undo one unseen);
  records checked against the operator's own documentation are shown and always kept;
* names that are not RFC 9309 tokens, refused with the reason;
* for each new or changed token, what it newly blocks or allows under the site's policy.

The result is an override file (the registry format, ``agents.registry``) the user
reviews and commits; everything here is pure, the CLI reads and writes.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from optout_site.config import Site
from optout_site.errors import RegistryError
from optout_site.policy import Decision
from optout_site.signals.robots import agents as agents_mod
from optout_site.signals.robots.registry import Agent, Registry, Source
from optout_site.spec import TOKEN_RE

LIST_URL = "https://github.com/ai-robots-txt/ai.robots.txt"
RAW_URL = "https://raw.githubusercontent.com/ai-robots-txt/ai.robots.txt/main/robots.json"

# The mapping rules, first match wins, on the record's ``function`` (then its
# ``description``): a regex (case-insensitive), the category, and the reason shown.
RULES: tuple[tuple[str, str, str], ...] = (
    (r"\bcoding agents?\b", "agent", "its function names a coding agent"),
    (r"\bsearch\b", "ai-search", "its function names search"),
    (r"\bagents?\b", "agent", "its function names an AI agent"),
    (
        r"\bassistants?\b|user-initiated|on behalf of|user prompts?",
        "user-fetch",
        "its function names an assistant fetching for a user",
    ),
    (
        r"\bdata ?sets?\b|data providers?|data is sold|open crawl",
        "dataset",
        "its function names a dataset or data provider",
    ),
    (r"\btrain|\bllm\b|\bmodels?\b|scrap", "train", "its function names training or scraping"),
)
DEFAULT_CATEGORY = "train"
DEFAULT_REASON = "no rule matched; listed as an AI crawler, so the training category"

_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_URL = re.compile(r"https?://[^\s)\]]+")
_UNKNOWN = ("unclear", "no information", "unknown")


@dataclass(frozen=True)
class Entry:
    agent: Agent
    why: str  # the rule that chose the category


@dataclass(frozen=True)
class Diff:
    new: tuple[Entry, ...]
    changed: tuple[tuple[Agent, Entry], ...]  # (registry record, what the rules say)
    kept: tuple[tuple[Agent, Entry], ...]  # differ, but the registry's was checked at source
    refused: tuple[tuple[str, str], ...]  # (name, why it is not a token)
    gone: tuple[Agent, ...]  # from that list before, no longer in it

    def records(self, recategorise: bool = False) -> tuple[Agent, ...]:
        """What the override file gets: the new tokens, and the category changes when
        asked for."""
        moved = [e.agent for _, e in self.changed] if recategorise else []
        return (*(e.agent for e in self.new), *moved)


def parse(text: str, name: str) -> dict[str, dict[str, str]]:
    """robots.json: an object of names to objects of strings. Raises RegistryError."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(name, f"not JSON: {exc.msg}", exc.lineno) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise RegistryError(name, "expected ai.robots.txt's robots.json: an object of objects")
    return {k: {f: str(v) for f, v in rec.items()} for k, rec in data.items()}


def categorise(record: dict[str, str]) -> tuple[str, str]:
    """The category the rules give an ai.robots.txt record, and why."""
    for field in ("function", "description"):
        text = record.get(field, "")
        for regex, category, why in RULES:
            if re.search(regex, text, re.IGNORECASE):
                return category, f"{why} ({text[:60]!r})" if field == "function" else why
    return DEFAULT_CATEGORY, DEFAULT_REASON


def token_problem(name: str) -> str | None:
    """Why ``name`` is not an RFC 9309 product token, or None when it is one."""
    if TOKEN_RE.match(name):
        return None
    bad = sorted({ch for ch in name if not re.match(r"[A-Za-z_-]", ch)})
    kinds = []
    if any(ch.isdigit() for ch in bad):
        kinds.append("a digit")
    if " " in bad:
        kinds.append("a space")
    others = [ch for ch in bad if not ch.isdigit() and ch != " "]
    if others:
        kinds.append("the character(s) " + " ".join(repr(ch) for ch in others))
    return (
        f"contains {' and '.join(kinds)}; RFC 9309 tokens are letters, '_' and '-' only, "
        "so parsers would read a different name (block it at the server: `block:`)"
    )


def _operator(text: str) -> str:
    if not text.strip() or text.strip().lower().startswith(_UNKNOWN):
        return "Unknown"
    return _LINK.sub(r"\1", text).strip().rstrip(".") or "Unknown"


def _honours(text: str) -> str:
    word = _LINK.sub(r"\1", text).strip().lower()
    if word.startswith("yes"):
        return "yes"
    if word.startswith("no") and not word.startswith("no information"):
        return "no"
    return "unknown"


def _source(record: dict[str, str]) -> str:
    for field in ("operator", "respect", "description"):
        found = _URL.search(record.get(field, ""))
        if found:
            return found.group(0).rstrip(".,")
    return LIST_URL


def agent_of(name: str, record: dict[str, str], date: str) -> Entry:
    category, why = categorise(record)
    purpose = record.get("description", "").strip() or record.get("function", "").strip()
    agent = Agent(
        token=name,
        operator=_operator(record.get("operator", "")),
        category=category,
        honours_robots=_honours(record.get("respect", "")),
        purpose=purpose or "Listed by ai.robots.txt.",
        source=_source(record),
        verified=date,
    )
    return Entry(agent, why)


def diff(data: dict[str, dict[str, str]], reg: Registry, date: str) -> Diff:
    """Compare robots.json with the registry; ``date`` is the day of the comparison."""
    dropped = {n.casefold() for n, _ in reg.dropped}
    new: list[Entry] = []
    changed: list[tuple[Agent, Entry]] = []
    kept: list[tuple[Agent, Entry]] = []
    refused: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, record in sorted(data.items(), key=lambda kv: kv[0].casefold()):
        if name.casefold() in seen:  # the list spells some names twice, in two cases
            continue
        seen.add(name.casefold())
        known = reg.get(name)
        problem = token_problem(name)
        if problem is not None:
            if known is None and name.casefold() not in dropped:
                refused.append((name, problem))
            continue
        entry = agent_of(name, record, date)
        if known is None:
            new.append(entry)
        elif known.category != entry.agent.category:
            if known.source == LIST_URL:
                moved = dataclasses.replace(known, category=entry.agent.category, verified=date)
                changed.append((known, Entry(moved, entry.why)))
            else:
                kept.append((known, entry))
    listed = {n.casefold() for n in data}
    gone = tuple(
        a
        for a in reg
        if a.source == LIST_URL and not any(n.casefold() in listed for n in (a.token, *a.aliases))
    )
    return Diff(tuple(new), tuple(changed), tuple(kept), tuple(refused), gone)


def _effect(site: Site | None, agent: Agent, before: Agent | None, reg: Registry) -> str:
    """What the change does to robots.txt: per policy path, newly blocked or allowed."""
    if site is None:
        use = agents_mod.CATEGORY_USE[agent.category]
        return f"blocked wherever a site reserves {use}" if use else "never blocked by the policy"
    after_reg = reg.merged([agent])
    out = []
    for path, decision in site.policy.ordered_decisions:
        now = _blocked(site, agent.token, decision, after_reg)
        then = before is not None and _blocked(site, agent.token, decision, reg)
        if now != then:
            out.append(f"{'newly blocked' if now else 'newly allowed'} at {path}")
    return "; ".join(out) or "no change to robots.txt"


def _blocked(site: Site, token: str, decision: Decision, reg: Registry) -> bool:
    return agents_mod.blocked(site, token, decision, reg)


def report(
    result: Diff, reg: Registry, site: Site | None, origin: str, recategorise: bool = False
) -> str:
    """The reviewable diff, as text."""
    lines = [f"Compared {origin} with the registry {reg.version}"]
    if reg.source is not None:
        lines[0] += f" (last compared with {reg.source.describe()})"
    where = f"site {site.name}" if site is not None else "the default policy"
    lines.append(f"Effects are for {where}.")
    lines.append("")
    lines.append(f"New tokens ({len(result.new)}):")
    for entry in result.new:
        a = entry.agent
        lines.append(f"  + {a.token}: {a.category}, because {entry.why}")
        lines.append(f"      operator {a.operator}; obeys robots.txt: {a.honours_robots}")
        lines.append(f"      {_effect(site, a, None, reg)}")
    verb = "written" if recategorise else "not written without --recategorise"
    lines.append(f"Category changes ({len(result.changed)}; {verb}):")
    for old, entry in result.changed:
        new_category = entry.agent.category
        lines.append(f"  ~ {old.token}: {old.category} -> {new_category}, because {entry.why}")
        lines.append(f"      {_effect(site, entry.agent, old, reg)}")
    if result.kept:
        lines.append(
            f"Kept ({len(result.kept)}; the registry's category was checked against the "
            "operator's documentation):"
        )
        for old, entry in result.kept:
            says = entry.agent.category
            lines.append(f"  = {old.token}: {old.category} (the rules would say {says})")
    lines.append(f"Refused, not RFC 9309 tokens ({len(result.refused)}):")
    for name, why in result.refused:
        lines.append(f"  ! {name!r}: {why}")
    if result.gone:
        lines.append(f"No longer listed, kept ({len(result.gone)}):")
        lines += [f"  - {a.token}" for a in result.gone]
    return "\n".join(lines) + "\n"


def override(
    existing: Registry | None, result: Diff, source: Source, recategorise: bool = False
) -> str:
    """The override file: ``existing`` records updated with ``result``'s, as YAML."""
    records = {a.token.casefold(): a for a in (existing.agents if existing else ())}
    records.update((a.token.casefold(), a) for a in result.records(recategorise))
    agents: list[dict[str, Any]] = []
    for agent in sorted(records.values(), key=lambda a: a.token.casefold()):
        fields = {k: v for k, v in dataclasses.asdict(agent).items() if k != "aliases"}
        if agent.aliases:
            fields["aliases"] = list(agent.aliases)
        agents.append(fields)
    head = (
        "# optout-site agent registry override, written by `optout-site agents update`.\n"
        "# Merged over the bundled registry (same format); review the diff, edit, commit.\n"
    )
    body = {
        "version": source.date,
        "source": dataclasses.asdict(source),
        "agents": agents,
    }
    return head + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100)
