"""The robots.txt preference records, per group: IETF AIPREF ``Content-Usage`` (path
prefixes, longest match, any ``n`` wins on equal paths) and Cloudflare ``Content-Signal``.
Both must be repeated in every group that may crawl: a named group hides ``*``.
"""

from __future__ import annotations

import re
from collections import defaultdict

from optout_site import dialects, paths
from optout_site.check.context import Context, short_list
from optout_site.check.model import ROBOTS
from optout_site.check.robotsfile import PATH, TOKEN_RE, UNNAMED, Group, Parsers, RobotsFile

AIPREF_LABELS = frozenset({"train-ai", "search"})
OBSOLETE_LABELS = frozenset(
    {"bots", "train-genai", "ai-use", "ai-output", "ai", "genai", "tdm", "inference", "all"}
)
SIGNAL_KEYS = ("search", "ai-input", "ai-train")
_REBUILD = "Rebuild with `optout-site build`; robots.txt groups are generated from sites.yaml."


def parse_usage(value: str) -> tuple[str, dict[str, str] | None, list[str]]:
    """A Content-Usage value: (path, {label: y|n}, unknown labels); None when unparseable."""
    path = ""
    if value.startswith("/"):
        path, _, value = value.partition(" ")
        value = value.strip()
    prefs: dict[str, str] = {}
    unknown: list[str] = []
    for item in filter(None, (p.strip() for p in value.split(","))):
        key, eq, val = item.partition("=")
        key = key.strip()
        val = val.split(";")[0].strip() if eq else "?1"
        if not re.fullmatch(r"[a-z*][a-z0-9_.*-]*", key):
            return path, None, unknown  # SF dictionary keys are lowercase: all unknown
        if key in AIPREF_LABELS:
            prefs[key] = val if val in ("y", "n") else "?"
        else:
            unknown.append(key)
    return path, prefs, unknown


def parse_signal(value: str) -> dict[str, str]:
    out = {}
    for item in value.split(","):
        key, _, val = item.partition("=")
        out[key.strip().lower()] = val.strip().lower()
    return out


def usage_at(group_rules: list[tuple[str, dict[str, str]]], path: str) -> dict[str, str]:
    """The longest-path Content-Usage rules for ``path``; identical paths combine, any n wins."""
    best = -1
    combined: dict[str, str] = {}
    for rule_path, prefs in group_rules:
        if rule_path and not paths.matches(rule_path, path):
            continue
        size = paths.specificity(rule_path)
        if size > best:
            best, combined = size, {}
        if size == best:
            for key, val in prefs.items():
                combined[key] = "n" if "n" in (val, combined.get(key)) else val
    return combined


def check_group(
    ctx: Context, robots: RobotsFile, group: Group, parsers: Parsers, paths: list[str]
) -> None:
    token = next(v for v, _ in group.agents if v == "*" or TOKEN_RE.match(v))
    probe = UNNAMED if token == "*" else token
    if robots.groups_for(probe) and group not in robots.groups_for(probe):
        return  # another group with the same token is read first; checked there
    crawlable = [p for p in paths if parsers.allowed(probe, p)[0]]
    if not crawlable:
        return  # Content-Usage has no effect where nothing may be crawled
    rules: list[tuple[str, dict[str, str]]] = []
    for value, number in group.values("content-usage"):
        rule_path, prefs, unknown = parse_usage(value)
        if prefs is None:
            ctx.add(
                "error",
                ROBOTS,
                PATH,
                f"line {number}: Content-Usage {value!r} does not "
                "parse (labels are lowercase), so every preference in it is unknown",
                "Write e.g. `Content-Usage: train-ai=n, search=y`.",
                line=number,
            )
            continue
        old = sorted(set(unknown) & OBSOLETE_LABELS)
        if old:
            ctx.add(
                "warning",
                ROBOTS,
                PATH,
                f"line {number}: obsolete Content-Usage label(s) "
                f"{', '.join(old)}; readers of the current draft ignore them",
                "Use only train-ai and search (draft-ietf-aipref-vocab).",
                line=number,
            )
        rules.append((rule_path, prefs))
    line = group.agents[0][1]
    if not rules:
        ctx.add(
            ctx.missing_severity(),
            ROBOTS,
            PATH,
            f"group `{group.label}` (line {line}) "
            "has no Content-Usage record; a named group hides the `*` group's",
            "Repeat `Content-Usage` in every group that may crawl. " + _REBUILD,
            line=line,
        )
    else:
        wrong: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for path in crawlable:
            got = usage_at(rules, path)
            want = parse_usage(dialects.content_usage(ctx.decision(path)))[1] or {}
            for label, value in want.items():
                if got.get(label, "?") != value:
                    wrong[(label, got.get(label, "absent"), value)].append(path)
        for (label, got_v, want_v), where in wrong.items():
            blocked = _blocked_note(ctx, robots, parsers, where[0])
            ctx.add(
                "error",
                ROBOTS,
                where[0],
                f"group `{group.label}` (line {line}): Content-Usage says {label}={got_v} "
                f"for {short_list(where)}, but the policy says {label}={want_v} there"
                f"{blocked}; {ctx.tdm_says(where[0])}",
                "Make Content-Usage state the policy. " + _REBUILD,
                line=line,
                file=PATH,
            )
    _signal(ctx, group, line, crawlable)


def _blocked_note(ctx: Context, robots: RobotsFile, parsers: Parsers, path: str) -> str:
    blocked = [
        a.token
        for a in ctx.exp.registry.by_category("train")
        if not parsers.allowed(a.token, path)[0]
    ]
    return f" (while robots.txt itself blocks {short_list(blocked, 3)} there)" if blocked else ""


def _signal(ctx: Context, group: Group, line: int, crawlable: list[str]) -> None:
    """Content-Signal has no path form: each key it states must hold on every sampled path
    the group may crawl (clause (a)/(b) of the policy it quotes), and a key it leaves out
    neither grants nor restricts (clause (c))."""
    values = group.values("content-signal")
    if not values and dialects.content_signal(ctx.decision(p) for p in crawlable) is None:
        return  # the crawlable paths agree on no key: nothing to state
    if not values:
        ctx.add(
            ctx.missing_severity(),
            ROBOTS,
            PATH,
            f"group `{group.label}` (line {line}) has no Content-Signal record",
            "Repeat `Content-Signal` in every group that may crawl. " + _REBUILD,
            line=line,
        )
        return
    wants = {path: dialects.content_signals(ctx.decision(path)) for path in crawlable}
    for value, number in values:
        got = parse_signal(value)
        for key in SIGNAL_KEYS:
            if key not in got:
                continue  # unsaid: neither grants nor restricts
            against = [p for p, want in wants.items() if want.get(key) != got[key]]
            if not against:
                continue
            reserved = got[key] == "yes"
            ctx.add(
                "error",
                ROBOTS,
                against[0],
                f"line {number}: Content-Signal says {key}={got[key]} for the whole group "
                f"`{group.label}`, but the policy "
                + ("reserves" if reserved else "does not reserve")
                + f" {key} on {short_list(against)}, which this group may crawl",
                "State a Content-Signal key only where every crawlable path agrees. " + _REBUILD,
                line=number,
                file=PATH,
            )
