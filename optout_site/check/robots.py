"""robots.txt as crawlers read it: who may crawl what, asked of Protego (RFC 9309 longest
match) with urllib.robotparser as a second opinion, for every registry agent at sample
paths; plus lint (tokens, size, stray lines) and the RSL ``License`` record. The
preference records are checked in :mod:`.usage`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlsplit

from optout_site import dialects, paths
from optout_site.check import generic, usage
from optout_site.check.context import Context, short_list
from optout_site.check.model import BAD, OK, ROBOTS, Severity
from optout_site.check.robotsfile import (
    PATH,
    TOKEN_RE,
    UNNAMED,
    Parsers,
    RobotsFile,
    parse,
)
from optout_site.policy import Use
from optout_site.signals.robots import agents as agents_mod

MAX_BYTES = 500 * 1024
KNOWN_FIELDS = frozenset(
    {
        "user-agent",
        "allow",
        "disallow",
        "sitemap",
        "license",
        "host",
        "content-usage",
        "content-signal",
        "crawl-delay",
        "clean-param",
        "request-rate",
        "visit-time",
    }
)
_REBUILD = "Rebuild with `optout-site build`; robots.txt groups are generated from sites.yaml."

__all__ = ["PATH", "RobotsFile", "check", "parse", "read"]


def read(ctx: Context) -> RobotsFile | None:
    """Fetch and lint robots.txt; None when there is nothing a crawler could read."""
    got = ctx.get(PATH)
    if not got.ok:
        ctx.count(ROBOTS)
        if got.status >= 500 or got.status == 0:
            message = (
                f"robots.txt is unreachable ({got.error or got.status}); RFC 9309 crawlers "
                "then assume the whole site is disallowed, search engines included"
            )
        else:
            message = (
                f"robots.txt is missing (HTTP {got.status}); crawlers may take everything, "
                "AI training crawlers included"
            )
        ctx.add(
            "error",
            ROBOTS,
            PATH,
            message,
            "Publish /robots.txt (optout-site build writes it, merged with the site's own rules).",
        )
        return None
    body = got.body
    if len(body) > MAX_BYTES or got.truncated:
        size = got.size or len(body)
        said = f"{size:,} bytes" if size > MAX_BYTES else f"more than {MAX_BYTES:,} bytes"
        ctx.add(
            "error",
            ROBOTS,
            PATH,
            f"robots.txt is {said}; crawlers only "
            "have to read the first 500 KiB (RFC 9309 §2.5), so later groups may be ignored",
            "Shorten the site's own rules; keep robots.txt well under 500 KiB.",
        )
        # Read what a crawler reads: the first 500 KiB, up to the last whole line.
        body = body[:MAX_BYTES]
        body = body[: body.rfind(b"\n") + 1] or body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        ctx.add(
            "error",
            ROBOTS,
            PATH,
            f"robots.txt is not UTF-8 (byte {exc.start}); RFC 9309 requires UTF-8",
            "Save robots.txt as UTF-8.",
        )
        text = body.decode("utf-8", "replace")
    if ctx.source.mode == "url" and got.content_type != "text/plain":
        ctx.add(
            "warning",
            ROBOTS,
            PATH,
            f"served as {got.content_type or 'no Content-Type'}, not text/plain",
            "Serve robots.txt as text/plain; charset=utf-8.",
        )
    _lint(ctx, text.removeprefix("\ufeff"))
    robots = parse(text.removeprefix("\ufeff"))
    robots.licenses = [(v, n) for v, n in robots.licenses if _parsable(ctx, v)]
    return robots


def _parsable(ctx: Context, url: str) -> bool:
    """False (and noted as skipped) for a URL urllib cannot parse, such as ``https://[x``."""
    try:
        urlsplit(url).port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        ctx.source.malformed.append(url)
        return False
    return True


MAX_LINT = 20  # findings of one kind listed by line; the rest are summed up in one


def _lint(ctx: Context, text: str) -> None:
    seen_agent = False
    counts: dict[str, int] = defaultdict(int)
    lines = 0
    for number, raw in enumerate(text.splitlines(), 1):
        lines = number
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, colon, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        kind = _lint_kind(name, value, colon, seen_agent)
        if kind is not None:
            counts[kind] += 1
            if counts[kind] > MAX_LINT:
                seen_agent = seen_agent or name == "user-agent"
                continue
        if not colon:
            ctx.add(
                "warning",
                ROBOTS,
                PATH,
                f"line {number} is not a 'field: value' record: {raw.strip()!r}; parsers skip it",
                "Fix or remove the line.",
                line=number,
            )
        elif name == "user-agent":
            seen_agent = True
            if value != "*" and not TOKEN_RE.match(value):
                token = re.match(r"[A-Za-z_-]*", value).group(0)  # type: ignore[union-attr]
                ctx.add(
                    "error",
                    ROBOTS,
                    PATH,
                    f"line {number}: invalid product token {value!r} in User-agent; RFC 9309 "
                    "allows only letters, '_' and '-', so crawlers may not recognise this "
                    "group",
                    f"Write the bare token (e.g. {token or 'GPTBot'!r}), one per User-agent line.",
                    line=number,
                )
        elif name not in KNOWN_FIELDS:
            ctx.add(
                "warning",
                ROBOTS,
                PATH,
                f"line {number}: unknown field {name!r}; crawlers ignore it",
                "Check the spelling (Allow, Disallow, User-agent, Sitemap).",
                line=number,
            )
        elif name in ("allow", "disallow") and not seen_agent:
            ctx.add(
                "warning",
                ROBOTS,
                PATH,
                f"line {number}: {name} before any User-agent line is ignored (RFC 9309)",
                "Move it into a group.",
                line=number,
            )
        elif name in ("allow", "disallow") and value and not value.startswith(("/", "*")):
            ctx.add(
                "warning",
                ROBOTS,
                PATH,
                f"line {number}: path {value!r} does not start with '/'",
                "Start every path with '/'.",
                line=number,
            )
    for kind, count in counts.items():
        if count > MAX_LINT:
            severity, what = _LINT_KINDS[kind]
            ctx.add(
                severity,
                ROBOTS,
                PATH,
                f"{count - MAX_LINT:,} more line(s) of {lines:,} {what} (the first "
                f"{MAX_LINT} are listed)",
                "Fix or remove those lines.",
            )


_LINT_KINDS: dict[str, tuple[Severity, str]] = {
    "record": ("warning", "are not 'field: value' records"),
    "token": ("error", "have an invalid product token in User-agent"),
    "field": ("warning", "have an unknown field"),
    "orphan": ("warning", "have Allow/Disallow before any User-agent line"),
    "slash": ("warning", "have a path that does not start with '/'"),
}


def _lint_kind(name: str, value: str, colon: str, seen_agent: bool) -> str | None:
    """Which lint finding a line gives (mirrors :func:`_lint`), for the per-kind cap."""
    if not colon:
        return "record"
    if name == "user-agent":
        return None if value == "*" or TOKEN_RE.match(value) else "token"
    if name not in KNOWN_FIELDS:
        return "field"
    if name in ("allow", "disallow") and not seen_agent:
        return "orphan"
    if name in ("allow", "disallow") and value and not value.startswith(("/", "*")):
        return "slash"
    return None


def check(ctx: Context) -> None:
    robots = ctx.robots
    if robots is None:
        for path in ctx.pages + ctx.images:
            ctx.cell(path, ROBOTS, BAD, "robots.txt missing")
        return
    parsers = Parsers(robots.text)
    paths = _paths(ctx, robots)
    _agents(ctx, robots, parsers, paths)
    for group in robots.groups:
        if any(v == "*" or TOKEN_RE.match(v) for v, _ in group.agents):
            usage.check_group(ctx, robots, group, parsers, paths)
    if not robots.star():
        ctx.add(
            "warning",
            ROBOTS,
            PATH,
            "robots.txt has no `User-agent: *` group, so agents it "
            "does not name get no Content-Usage or Content-Signal",
            _REBUILD,
        )
    generic.check(ctx, robots)
    _license(ctx, robots)


MAX_FILES = 60  # real pages and images asked about per agent; the rest share their rules


def _paths(ctx: Context, robots: RobotsFile) -> list[str]:
    """Where to ask every agent: ``/``, each policy rule and each robots.txt rule (and a
    file inside each), plus an even spread of the site's real pages and images."""
    out = ["/"]
    for pattern, _ in ctx.exp.site.policy.ordered_decisions:
        out.append(paths.example(pattern))
    for group in robots.groups:
        for _, pattern, _ in group.rules:
            if pattern and pattern != "/":
                out += [paths.example(pattern), ctx.inside(pattern)]
    files = ctx.pages + ctx.images
    step = max(1, len(files) // MAX_FILES)
    extra = [p for p in ctx.sample_paths() if p not in files]
    return list(dict.fromkeys(out[:200] + extra + files[::step]))


def _agents(ctx: Context, robots: RobotsFile, parsers: Parsers, paths: list[str]) -> None:
    exp = ctx.exp
    own_named = {v.casefold() for g in robots.groups if not g.in_block for v, _ in g.agents}
    issues: dict[tuple[str, str], list[str]] = defaultdict(list)  # (kind, path) -> tokens
    ctx.count(ROBOTS, len(paths) * len(exp.registry))
    ctx.report.counted[ROBOTS] = (
        f"{len(exp.registry)} crawlers asked about {len(paths)} paths "
        f"({ctx.report.checked[ROBOTS]} answers)"
    )
    for path in paths:
        decision = ctx.decision(path)
        star_ok, _ = parsers.allowed(UNNAMED, path)
        for agent in exp.registry:
            token = agent.token
            want_blocked = agents_mod.blocked(exp.site, token, decision, exp.registry)
            got, second = parsers.allowed(token, path)
            if got != second:
                issues[("disagree", path)].append(token)
            site_named = token.casefold() in robots.merged_agents
            if want_blocked and got:
                issues[("open", path)].append(token)
            elif not want_blocked and not got and site_named:
                # The site's own group for this agent, kept as written by the merge.
                issues[("own-stricter", path)].append(token)
            elif not want_blocked and not got and star_ok and not site_named:
                use = agents_mod.CATEGORY_USE[agent.category]
                if agent.category == "search-engine" or (
                    agent.category == "preview" and not decision.reserves(Use.SEARCH)
                ):
                    issues[(f"over-{agent.category}", path)].append(token)
                elif use is not None and token.casefold() not in own_named:
                    issues[("over", path)].append(token)
            elif not want_blocked and got and not star_ok and not site_named:
                lost = "lost-own" if token.casefold() in own_named else "lost"
                if any(g.agents and g.agents[0][0] != "*" for g in robots.groups_for(token)):
                    issues[(lost, path)].append(token)
    # The same agents wrong at many paths is one problem (say, a missing group): one finding.
    regrouped: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    for (kind, path), tokens in issues.items():
        regrouped[(kind, tuple(tokens))].append(path)
    bad_paths: set[str] = set()
    for (kind, same_tokens), where in regrouped.items():
        _report_agents(ctx, kind, where, list(same_tokens))
        if kind != "disagree":
            bad_paths.update(where)
    for path in set(paths) & set(ctx.pages + ctx.images):
        ctx.cell(
            path,
            ROBOTS,
            BAD if path in bad_paths else OK,
            "agent groups disagree with the policy"
            if path in bad_paths
            else "AI agents blocked as the policy says",
        )


def _report_agents(ctx: Context, kind: str, where: list[str], tokens: list[str]) -> None:
    path, paths = where[0], short_list(where, 4)
    policy = dialects.describe(ctx.decision(path))
    names = short_list(tokens)
    if kind == "open":
        ctx.add(
            "error",
            ROBOTS,
            path,
            f"{len(tokens)} agent(s) the policy blocks may crawl "
            f"{paths}: {names}. The policy there: {policy} ({ctx.tdm_says(path)})",
            "Give these agents a group that disallows the path. " + _REBUILD,
            file=PATH,
        )
    elif kind == "over-search-engine":
        ctx.add(
            "error",
            ROBOTS,
            path,
            f"over-blocking: search engine(s) {names} may not crawl "
            f"{paths} although the policy allows search; the pages drop out of search "
            "results",
            "Remove the Disallow for search engines, or reserve `search` in "
            "sites.yaml if that is intended.",
            file=PATH,
        )
    elif kind == "over-preview":
        ctx.add(
            "error",
            ROBOTS,
            path,
            f"over-blocking: link-preview agent(s) {names} may not "
            f"fetch {paths}; shared links lose their preview card although search is "
            "allowed",
            "Remove the Disallow for link-preview agents (or list them in agents.block).",
            file=PATH,
        )
    elif kind == "over":
        severity: Severity = "error" if ctx.strict else "warning"
        ctx.add(
            severity,
            ROBOTS,
            path,
            f"robots.txt blocks {names} at {paths}, where the policy allows their use ({policy})",
            "Allow these agents here, or add them to agents.block in sites.yaml. " + _REBUILD,
            file=PATH,
        )
    elif kind == "own-stricter":
        ctx.add(
            "warning",
            ROBOTS,
            path,
            f"the site's own robots.txt keeps {names} out of {paths}, where the policy "
            f"allows their use ({policy}); optout-site keeps the site's rules",
            "Remove the site's own Disallow for these agents if the policy should apply, "
            "or reserve the use in sites.yaml to make the two agree.",
            file=PATH,
        )
    elif kind in ("lost", "lost-own"):
        severity = "error" if kind == "lost" else "warning"
        ctx.add(
            severity,
            ROBOTS,
            path,
            f"named group(s) for {names} let them crawl {paths}, "
            "which the site's own `User-agent: *` group disallows: a named group replaces "
            "`*` entirely (RFC 9309), so the site's own rules were lost for them",
            "Repeat the `*` group's Disallow lines in every named group. " + _REBUILD,
            file=PATH,
        )
    elif kind == "disagree":
        ctx.add(
            "warning",
            ROBOTS,
            path,
            f"parsers disagree on {names} at {paths}: Protego "
            "(RFC 9309 longest match) and Python's urllib.robotparser (first match) give "
            "different answers",
            "Put longer rules first and avoid wildcards where a "
            "prefix does; list a token containing another one in the earlier group.",
            file=PATH,
        )


def _license(ctx: Context, robots: RobotsFile) -> None:
    url = ctx.exp.rsl_url
    if url is None:
        return
    if not robots.licenses:
        ctx.add(
            ctx.missing_severity(),
            ROBOTS,
            PATH,
            f"no `License:` record pointing at the RSL licence ({url})",
            f"Add `License: {url}` before the first group. " + _REBUILD,
        )
    elif ctx.strict and url not in [v for v, _ in robots.licenses]:
        value, number = robots.licenses[0]
        ctx.add(
            "error",
            ROBOTS,
            PATH,
            f"line {number}: License: {value} is not the site's RSL licence {url}",
            _REBUILD,
            line=number,
        )
