"""The robots.txt preference records, per group: IETF AIPREF ``Content-Usage`` (path
prefixes, longest match, any ``n`` wins on equal paths) and Cloudflare ``Content-Signal``.
Both must be repeated in every group that may crawl: a named group hides ``*``.

Content-Usage values are read with the labels of every draft generation
(:mod:`optout_site.vocabulary`): a file written for vocab-07 (``train-ai``, ``search``) and
one written for vocab-08 (``ai-use`` added) both pass when they state the policy in their
generation's terms.
"""

from __future__ import annotations

from collections import defaultdict

from optout_site import contentsignals, dialects, paths, vocabulary
from optout_site.check.context import Context, short_list
from optout_site.check.model import ROBOTS
from optout_site.check.robotsfile import PATH, TOKEN_RE, UNNAMED, Group, Parsers, RobotsFile
from optout_site.policy import Use

AIPREF_LABELS = vocabulary.KNOWN_LABELS
OBSOLETE_LABELS = frozenset(vocabulary.RETIRED)
# The keys we write (contentsignals.WRITTEN) are the ones a site's value is held to.
SIGNAL_KEYS = tuple(key.name for key in contentsignals.WRITTEN)
_EXAMPLE = vocabulary.content_usage({Use.GENAI_TRAIN})
_REBUILD = "Rebuild with `optout-site build`; robots.txt groups are generated from sites.yaml."


def parse_usage(value: str) -> tuple[str, dict[str, str] | None, list[str]]:
    """A Content-Usage value: (path, {label: y|n|?}, unknown labels); None when unparseable.

    attach-05 §3.2: a rule value starting with ``/`` has a path, which "ends immediately
    before the first SP (U+20) or HTAB" character; the rest is the statement, read by
    :func:`optout_site.vocabulary.read` with the labels of every generation. ``?`` marks a
    known label whose value is no ``y``/``n`` Token (unknown).
    """
    path = ""
    value = value.strip(" \t")
    if value.startswith("/"):
        cut = min((i for i in (value.find(" "), value.find("\t")) if i >= 0), default=len(value))
        path, value = value[:cut], value[cut:].strip(" \t")
    reading = vocabulary.read(value)
    if reading is None:
        return path, None, []  # not an SF Dictionary (e.g. uppercase keys): all unknown
    prefs: dict[str, str] = dict(reading.prefs)
    prefs.update(dict.fromkeys(reading.unreadable, "?"))
    return path, prefs, list(reading.unknown)


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
                # vocab-07 §5.1: any n wins, else any y; unknown (?) never overrides either
                if val == "n" or combined.get(key) in (None, "?"):
                    combined[key] = val
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
                f"Write e.g. `Content-Usage: {_EXAMPLE}`.",
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
                + ", ".join(f"{lb} ({vocabulary.RETIRED[lb]})" for lb in old)
                + "; readers of the current draft ignore them",
                f"Use only {', '.join(vocabulary.CURRENT.names)} ({vocabulary.CURRENT.draft}).",
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
        wrong: dict[tuple[str, str, str, str | None], list[str]] = defaultdict(list)
        older: dict[tuple[str, str], list[str]] = defaultdict(list)
        for path in crawlable:
            reserved = ctx.decision(path).reserved
            gen, diffs = vocabulary.compare(usage_at(rules, path), reserved)
            for name, said, wants in diffs:
                wrong[(gen.name, name, said or "absent", wants)].append(path)
            if not diffs and gen is not vocabulary.CURRENT:
                new = (
                    vocabulary.statement(reserved).items()
                    - vocabulary.statement(reserved, gen).items()
                )
                for name, value in sorted(new):
                    if value == "n":  # a reservation the older labels cannot state
                        older[(gen.name, f"{name}={value}")].append(path)
        for (gen_name, label, got_v, want_v), where in wrong.items():
            blocked = _blocked_note(ctx, robots, parsers, where[0])
            ctx.add(
                "error",
                ROBOTS,
                where[0],
                f"group `{group.label}` (line {line}): Content-Usage says {label}={got_v} "
                f"for {short_list(where)}, but the policy "
                + _wants(ctx, where[0], gen_name, label, want_v)
                + f" there{blocked}; {ctx.tdm_says(where[0])}",
                "Make Content-Usage state the policy. " + _REBUILD,
                line=line,
                file=PATH,
            )
        for (gen_name, said), where in older.items():
            ctx.add(
                "warning",
                ROBOTS,
                where[0],
                f"group `{group.label}` (line {line}): Content-Usage states the policy in "
                f"{gen_name} labels for {short_list(where)}, but {vocabulary.CURRENT.draft} "
                f"would also say {said} there",
                _REBUILD,
                line=line,
                file=PATH,
            )
    _signal(ctx, group, line, crawlable)


def _wants(ctx: Context, path: str, gen_name: str, label: str, want: str | None) -> str:
    """``says x=n``, or why the policy leaves a label unsaid (``y`` would grant a reserved use)."""
    if want is not None:
        return f"says {label}={want}"
    gen = next(g for g in vocabulary.GENERATIONS if g.name == gen_name)
    row = gen.label(label)
    reserved = ctx.decision(path).reserved
    hit = sorted(row.allows & reserved) if row else []
    if not hit:
        return f"leaves {label} unsaid"
    return (
        f"leaves {label} unsaid: {label}=y would also allow {', '.join(hit)} "
        f"({gen.draft} §{row.section if row else '?'}), which it reserves"
    )


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
