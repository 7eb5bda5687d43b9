"""``/robots.txt``: the site's own file with per-agent groups from the policy merged in.

What we write, all inside one marked block (``# BEGIN optout-site`` … ``# END
optout-site``, placed at the top of the file and replaced in place on every rebuild):

* the Content Signals policy comment, then room for site-wide records (RSL ``License:``);
* the only ``User-agent: *`` group, and one group per distinct rule set for the agents
  the policy treats differently from ``*``;
* in every group that may crawl somewhere, ``Content-Usage`` (with a path prefix for each
  rule) and ``Content-Signal``, which has no path form: it states a key only where every
  decision the group may crawl under agrees, and leaves it out otherwise.

How the site's own file is merged, never clobbered:

* For every agent we write (each registry agent, ``agents.block``/``allow`` tokens and
  ``*``) the site's rules still apply: RFC 9309 gives an agent the groups naming it, else
  ``*``, and we lay the policy over exactly those rules (a path is allowed only if both
  the site and the policy allow it). A named group hides ``*``, so the site's ``*`` rules
  are carried into each group that stands in for ``*``; an agent the site named itself
  keeps its own group's rules, as RFC 9309 says.
* The site's ``User-agent`` lines for those agents are commented out in place with the
  ``#[optout-site merged]`` prefix (with the group's records when no user-agent line of
  it is left), so no agent is in two groups and only one ``*`` group exists. Their text
  follows the prefix unchanged: deleting the block and the prefix restores the original
  byte for byte (:func:`remove`), and a rebuild starts from that original, which is what
  makes it idempotent. Comments, blank lines and ``Sitemap:`` lines are never touched.
* Rules before the first user-agent line would otherwise join our last group, so they
  are commented out the same way (RFC 9309 ignores them anyway).

Parser agreement: rules are emitted longest first, so first-match parsers (Python's
``urllib.robotparser``) agree with longest-match ones (RFC 9309, Protego). urllib also
matches a group when its token is a *substring* of the agent and takes the first such
group, so a token containing another one with different rules (``Baiduspider`` ⊃
``Spider``, ``Applebot-Extended`` ⊃ ``Applebot``) is placed in a group before it, and so
is an agent a registry alias shows to be named that way (Sogou, "Sogou web spider"); site
groups whose tokens overlap ours that way are taken over too. The result is exact for
plain prefix rules; ``*``/``$`` patterns from the site are combined with the policy's
paths for the common ``/*.ext`` form and otherwise approximated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from optout_site import dialects, paths
from optout_site.config import Site
from optout_site.errors import RobotsTxtError, SignalError
from optout_site.policy import Decision
from optout_site.signals.robots import agents as agents_mod
from optout_site.signals.robots import document as rt
from optout_site.signals.robots.document import Line
from optout_site.signals.robots.registry import Registry
from optout_site.spec import CATEGORIES

PATH = "/robots.txt"
MAX_BYTES = 500 * 1024  # RFC 9309 §2.5: the least a crawler must parse

CONTENT_SIGNALS_POLICY = """\
# As a condition of accessing this website, you agree to abide by the
# following content signals:

# (a)  If a content-signal = yes, you may collect content for the
#      corresponding use.
# (b)  If a content-signal = no, you may not collect content for the
#      corresponding use.
# (c)  If the website operator does not include a content signal for a
#      corresponding use, the website operator neither grants nor restricts
#      permission via content signal with respect to the corresponding use.

# The content signals and their meanings are:

# search: building a search index and providing search results (e.g., returning
#         hyperlinks and short excerpts from your website's contents). Search
#         does not include providing AI-generated search summaries.
# ai-input: inputting content into one or more AI models (e.g., retrieval
#           augmented generation, grounding, or other real-time taking of
#           content for generative AI search answers).
# ai-train: training or fine-tuning AI models.

# ANY RESTRICTIONS EXPRESSED VIA CONTENT SIGNALS ARE EXPRESS RESERVATIONS OF
# RIGHTS UNDER ARTICLE 4 OF THE EUROPEAN UNION DIRECTIVE 2019/790 ON COPYRIGHT
# AND RELATED RIGHTS IN THE DIGITAL SINGLE MARKET.""".splitlines()

# Extension records the policy owns; the site's own copies are not carried over.
_OWNED = frozenset({"content-usage", "content-signal"})

Rule = tuple[bool, str]  # (allow, pattern)


@dataclass(frozen=True)
class _Spec:
    """Everything a group says; agents with equal specs can share a group."""

    rules: tuple[Rule, ...]
    extras: tuple[str, ...]
    usage: tuple[str, ...]
    signal: str | None


def render(
    site: Site, registry: Registry, existing: bytes | None, *, records: Sequence[str] = ()
) -> bytes:
    """The site's robots.txt (``existing``, or none) with our block merged in.

    ``records`` are site-wide lines (say ``License: https://…/license.xml``) written
    before the first group. Raises :class:`RobotsTxtError` if the file has a broken
    block or would exceed 500 KiB.
    """
    return merge(site, registry, existing, records=records)[0]


def merge(
    site: Site, registry: Registry, existing: bytes | None, *, records: Sequence[str] = ()
) -> tuple[bytes, dict[str, list[str]]]:
    """:func:`render`, and from the same plan where the site's own rules are stricter.

    The second value maps a policy rule path to the agents (by token) the site's own
    groups keep out there although the policy allows their use. The merged file keeps
    the site's rules (a path is allowed only if both allow it); this says so, so the
    creator can decide.
    """
    if any("\n" in r or "\r" in r for r in records):
        raise SignalError("each record must be a single line")
    if existing is not None and len(existing) > MAX_BYTES:
        raise RobotsTxtError(_too_big(len(existing), "the site's own robots.txt is"))
    text = rt.decode(existing) if existing is not None else ""
    doc, position = rt.unmerge(rt.parse(text))
    plan = _Plan(site, registry, doc)
    position = _position(doc, position)
    comment = set(plan.absorbed_lines) | {i for i in doc.orphans if i >= position}
    eol = doc.eol()
    block = [Line(t, eol) for t in _block_text(plan, records, merged=bool(comment))]
    lines = [line.comment_out() if i in comment else line for i, line in enumerate(doc.lines)]
    # Site lines before the block all end in a line break (the block began on a line of
    # its own); lines after it are set apart by a blank line, which unmerge() removes.
    if position < len(lines):
        block.append(Line("", eol))
    out = rt.encode(rt.Document(doc.bom, (*lines[:position], *block, *lines[position:])).text)
    if len(out) > MAX_BYTES:
        raise RobotsTxtError(_too_big(len(out), "robots.txt would be"))
    return out, plan.stricter()


def _too_big(size: int, what: str) -> str:
    return (
        f"{what} {size:,} bytes, over the 500 KiB that crawlers must read "
        "(RFC 9309 §2.5); shorten the site's own rules"
    )


def remove(existing: bytes) -> bytes:
    """The site's robots.txt as it was before any merge: our block out, its lines restored."""
    return rt.encode(rt.unmerge(rt.parse(rt.decode(existing)))[0].text)


def _position(doc: rt.Document, position: int | None) -> int:
    """Where the block goes: where it was, unless that would split a site group."""
    if not position:
        return 0
    for i in range(position, len(doc.lines)):
        line = doc.lines[i]
        if line.kind == "user-agent":
            break
        if line.is_member and i not in doc.orphans:
            return 0
    return position


class _Plan:
    """Which agents we write, with what rules, and which site lines we take over."""

    def __init__(self, site: Site, reg: Registry, doc: rt.Document) -> None:
        self.site, self.reg = site, reg
        self.decisions = site.policy.ordered_decisions
        # key (case-folded token) → the token as written
        self.names: dict[str, str] = {"*": "*"}
        for agent in reg:
            self.names[agent.token.casefold()] = agent.token
        for token in site.agents.block + site.agents.allow:
            name = agents_mod.canonical(token, reg)
            self.names.setdefault(name.casefold(), name)
        # The site's own groups: which keys each user-agent line names, and their records.
        self.site_names: dict[str, str] = {}
        self._cache: dict[tuple[str, tuple[bool, ...]], _Spec] = {}
        # key → the names urllib compares (asked for every pair of groups: ~50,000 times)
        self._known_as: dict[str, tuple[str, ...]] = {}
        self.unnamed: set[str] = set()
        self.site_lines: dict[str, list[Line]] = {}
        ua_keys: dict[int, str] = {}
        groups = doc.groups
        for group in groups:
            members = [doc.lines[i] for i in group.members]
            for i in group.agents:
                key = self._site_key(doc.lines[i].value)
                if key:
                    ua_keys[i] = key
                    self.site_lines.setdefault(key, []).extend(members)
                else:
                    # Names no token, yet urllib and Protego still look for it inside names.
                    self.unnamed.add(doc.lines[i].value.lower())
        self.specs = {key: self._spec(key) for key in self.names}
        remaining = {k for k in ua_keys.values() if k not in self.names}
        while True:
            self._choose(remaining)
            linked = {s for s in remaining if any(s in w or w in s for w in self.written)}
            if not linked:
                break
            remaining -= linked
            for key in linked:
                self.specs[key] = self._spec(key)
        taken = {i for i, key in ua_keys.items() if key in self.specs}
        self.absorbed_lines = sorted(
            taken | {i for group in groups if set(group.agents) <= taken for i in group.members}
        )

    def stricter(self) -> dict[str, list[str]]:
        """Policy rule path → agents the site's own groups keep out although allowed."""
        out: dict[str, list[str]] = {}
        for key, lines in sorted(self.site_lines.items()):
            if key == "*" or key not in self.names:
                continue
            own = rt.Rules((ln.allows, ln.value) for ln in lines if ln.kind == "rule")
            name = self.name(key)
            for path, decision in self.decisions:
                if agents_mod.blocked(self.site, name, decision, self.reg):
                    continue
                if not own.allowed(paths.example(path)):
                    out.setdefault(path, []).append(name)
        return out

    def _site_key(self, value: str) -> str:
        """The key a site user-agent value names: a registry token (or alias), else the
        token a parser reads from it ("" when it names none)."""
        agent = self.reg.get(value.strip())
        token = agent.token if agent else rt.token_of(value)
        agent = agent or (self.reg.get(token) if token else None)
        name = agent.token if agent else token
        if name:
            self.site_names.setdefault(name.casefold(), name)
        return name.casefold()

    def name(self, key: str) -> str:
        return self.names.get(key) or self.site_names[key]

    def inside(self, token: str, key: str) -> bool:
        """Whether urllib would read ``token`` in the name of the agent ``key``: in its
        token or in a name it goes by (Sogou's "Sogou web spider" holds ``spider``)."""
        names = self._known_as.get(key)
        if names is None:
            agent = self.reg.get(key)
            names = (key, *(a.casefold() for a in agent.aliases)) if agent else (key,)
            self._known_as[key] = names
        return any(token in name for name in names)

    def rank(self, key: str) -> tuple[int, str]:
        """Sort order of user-agent lines in a group: by category, then token."""
        agent = self.reg.get(key)
        return (CATEGORIES.index(agent.category) if agent else len(CATEGORIES), key)

    def _choose(self, remaining: set[str]) -> None:
        """The keys that need a named group of ours.

        Those unlike ``*``, and those whose name contains the token of a group that is
        not theirs: urllib would take that group (any substring matches) and so would
        Protego (a prefix matches), where RFC 9309 gives them ``*``.
        """
        star = self.specs["*"]
        differ = {k for k, s in self.specs.items() if k != "*" and s != star}
        self.written = differ | {
            k
            for k in self.specs
            if k != "*"
            and k not in differ
            and any(self.inside(t, k) for t in differ | remaining | self.unnamed)
        }

    def _spec(self, key: str) -> _Spec:
        source = key if key in self.site_lines else "*"
        if key == "*":
            blocked_by: dict[Decision, bool] = {d: False for _, d in self.decisions}
        else:
            name = self.name(key)
            blocked_by = {
                d: agents_mod.blocked(self.site, name, d, self.reg) for _, d in self.decisions
            }
        # Most agents share the '*' rules and one of a few verdicts: build each spec once.
        cache_key = (source, tuple(blocked_by.values()))
        if cache_key not in self._cache:
            self._cache[cache_key] = self._build(self.site_lines.get(source, []), blocked_by)
        return self._cache[cache_key]

    def _build(self, lines: list[Line], blocked_by: dict[Decision, bool]) -> _Spec:
        site_rules = [(ln.allows, ln.value) for ln in lines if ln.kind == "rule"]
        rules = _combine(site_rules, [(p, blocked_by[d]) for p, d in self.decisions])
        if _fully_blocked(rules):
            return _Spec(rules, (), (), None)
        extras = tuple(
            dict.fromkeys(
                ln.text.strip()
                for ln in lines
                if ln.kind == "record" and rt.FIELD_RE.match(ln.field) and ln.field not in _OWNED
            )
        )
        usage = tuple(
            f"Content-Usage: {dialects.content_usage(d)}"
            if path == "/"
            else f"Content-Usage: {path} {dialects.content_usage(d)}"
            for path, d in self.decisions
            if not blocked_by[d]
        )
        # No path form: the line speaks for every decision this group may crawl under.
        value = dialects.content_signal(d for _, d in self.decisions if not blocked_by[d])
        signal = f"Content-Signal: {value}" if value else None
        return _Spec(rules, extras, usage, signal)

    def groups(self) -> list[list[str]]:
        """Named groups in file order: a key before any different-spec key it contains."""
        keys = set(self.written)
        before: dict[str, set[str]] = {k: set() for k in keys}  # k must wait for these
        for u in keys:
            for t in keys:
                if t != u and self.inside(t, u) and self.specs[t] != self.specs[u]:
                    before[t].add(u)
        alone = {k for k in keys if (a := self.reg.get(k)) and a.honours_robots == "own-group-only"}
        out: list[list[str]] = []
        done: set[str] = set()
        while keys - done:
            ready = sorted(k for k in keys - done if before[k] <= done)
            buckets: dict[object, list[str]] = {}
            for k in ready:
                buckets.setdefault(k if k in alone else self.specs[k], []).append(k)
            # A bucket holding every key left with its spec never needs a second group.
            left = [self.specs[k] for k in keys - done]
            group = max(
                buckets.values(),
                key=lambda ks: (
                    ks[0] in alone or left.count(self.specs[ks[0]]) == len(ks),
                    len(ks),
                    [-ord(c) for c in ks[0]],
                ),
            )
            out.append(group)
            done |= set(group)
        return out


def _combine(site_rules: list[Rule], policy: list[tuple[str, bool]]) -> tuple[Rule, ...]:
    """Rules under which a path is allowed iff the site's rules and the policy both allow it.

    ``policy`` is (pattern, blocked) per rule. Each pattern of either side governs the
    paths it is the longest match for. There its own side's verdict is its own rule, and
    for a plain prefix the other side resolves all those paths alike: by its longest
    pattern matching the prefix itself, leaving out ``$``-anchored ones, which match the
    prefix but not the paths below it (they get entries of their own). Where a wildcard
    cuts through a prefix, the two are crossed (:func:`_crosses`) and
    the cross is kept if it changes the answer for a path in both.
    """
    own_site: dict[str, bool] = {}
    for allow, raw in site_rules:
        pattern = paths.normalise(raw)
        if pattern:
            own_site[pattern] = own_site.get(pattern, False) or allow  # a tie goes to allow
    # Every pattern is normalised (paths.normalise, ASCII), so its length is its specificity.
    own_policy = {paths.normalise(p): not blocked for p, blocked in policy}
    default = own_policy["/"]  # every path is under "/", even for a site rule like "*.css"

    def at(rules: rt.Rules, fallback: bool, path: str) -> bool:
        return (rules.best(path) or (0, fallback))[1]

    def cut(own: dict[str, bool]) -> rt.Rules:
        return rt.Rules((a, p) for p, a in own.items() if not p.endswith("$"))

    site_cut, policy_cut = cut(own_site), cut(own_policy)
    verdicts = {
        q: (own_site[q] if q in own_site else at(site_cut, True, q))
        and (own_policy[q] if q in own_policy else at(policy_cut, default, q))
        for q in own_site.keys() | own_policy.keys()
    }
    wildcards = [w for w in verdicts if "*" in w]
    if not wildcards:
        return _minimal(verdicts)
    site_all = rt.Rules((a, p) for p, a in own_site.items())
    policy_all = rt.Rules((a, p) for p, a in own_policy.items())
    current = rt.Rules((v, q) for q, v in verdicts.items())
    prefixes = [q for q in verdicts if paths.is_plain(q)]
    crosses = {c for w in wildcards for q in prefixes for c in _crosses(q, w)} - verdicts.keys()
    for cross in sorted(crosses, key=lambda c: (len(c), c)):
        path = cross.replace("*", "").removesuffix("$")  # a path the cross stands for
        want = at(site_all, True, path) and at(policy_all, default, path)
        if current.allowed(path) != want:
            verdicts[cross] = want
            current.add(want, cross)
    return _minimal(verdicts)


def _crosses(prefix: str, wildcard: str) -> list[str]:
    """Patterns for the paths under a policy prefix that a site wildcard rule matches.

    ``/*.pdf$`` under ``/press/`` is ``/press/*.pdf$``; where the part after the ``*``
    can begin inside the prefix (``/*/x`` under ``/press/``), also ``/press/x``.
    """
    head, _, tail = wildcard.partition("*")
    if prefix == "/" or not paths.is_plain(prefix) or not prefix.startswith(head):
        return []
    out = [prefix + "*" + tail]
    literal = tail.split("*", 1)[0].removesuffix("$") if "*" in tail else tail.removesuffix("$")
    for k in range(1, len(literal)):
        if prefix.endswith(literal[:k]):
            out.append(prefix + tail[k:])
    return out


def _minimal(verdicts: dict[str, bool]) -> tuple[Rule, ...]:
    """Drop rules that cannot change any outcome; longest first, allow first on a tie."""
    plain = {q: v for q, v in verdicts.items() if paths.is_plain(q)}
    special = [(len(q), v) for q, v in verdicts.items() if not paths.is_plain(q)]
    has_root_disallow = verdicts.get("/") is False
    kept: dict[str, bool] = {}
    for q, verdict in verdicts.items():
        size = len(q)
        if q in plain:
            # Without q, its paths fall to the longest shorter prefix (or to "allowed"),
            # unless a wildcard rule of a length in between catches some of them.
            parent_len, parent_v = next(
                (
                    (len(q[:end]), plain[q[:end]])
                    for end in range(len(q) - 1, 0, -1)
                    if q[:end] in plain
                ),
                (0, True),
            )
            risky = any(parent_len <= n <= size and v != verdict for n, v in special)
            if parent_v == verdict and not risky:
                continue
        elif (verdict or has_root_disallow) and all(
            v == verdict for r, v in verdicts.items() if r != q and len(r) <= size
        ):
            continue
        kept[q] = verdict
    ordered = sorted(kept.items(), key=lambda qv: (-len(qv[0]), not qv[1], qv[0]))
    return tuple((v, q) for q, v in ordered) or ((True, "/"),)


def _fully_blocked(rules: tuple[Rule, ...]) -> bool:
    return (False, "/") in rules and not any(allow for allow, _ in rules)


def _group_lines(spec: _Spec) -> list[str]:
    lines = [f"{'Allow' if allow else 'Disallow'}: {pattern}" for allow, pattern in spec.rules]
    lines += [*spec.extras, *spec.usage]
    if spec.signal:
        lines.append(spec.signal)
    return lines


def _block_text(plan: _Plan, records: Sequence[str], merged: bool) -> list[str]:
    out = [f"{rt.BEGIN}: generated from the site's policy; edit sites.yaml, not this block."]
    if merged:
        out += [
            f'# Lines starting with "{rt.MERGED.strip()}" are the site\'s own, taken over by',
            "# the groups in this block. To undo: delete this block and that prefix.",
        ]
    out += ["", *CONTENT_SIGNALS_POLICY, ""]
    if records:
        out += [*records, ""]
    out += ["User-agent: *", *_group_lines(plan.specs["*"])]
    for keys in plan.groups():
        agents = [plan.reg.get(k) for k in keys]
        categories = sorted({a.category for a in agents if a}, key=CATEGORIES.index)
        if any(a is None for a in agents):
            categories.append("named by the site")
        out += ["", f"# categories: {', '.join(categories)}"]
        contained = sorted(
            {
                plan.name(t)
                for u in keys
                for t in plan.written
                if t != u and plan.inside(t, u) and plan.specs[t] != plan.specs[u]
            }
        )
        if contained:
            out.append(
                f"# (listed before {', '.join(contained)}: some parsers take the first "
                "group whose token occurs anywhere in the agent's name)"
            )
        if len(keys) == 1 and agents[0] and agents[0].honours_robots == "own-group-only":
            out.append("# (a group of its own: reported to obey only a group naming it alone)")
        out += [f"User-agent: {plan.name(k)}" for k in sorted(keys, key=plan.rank)]
        out += _group_lines(plan.specs[keys[0]])
    out.append(rt.END)
    return out
