"""The audit: who each request came from, whether that was really them, and whether the
policy disallowed what they fetched.

A :class:`Judge` answers the three questions for one request and caches its answers (a
log has few distinct user agents and addresses, and fewer rule outcomes). :func:`run`
reads the log pieces (:mod:`optout_site.logs.source`) in worker processes, each filling a
:class:`~optout_site.logs.tally.Tally`, and merges them.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import multiprocessing
import os
import re
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from optout_site.build import plan
from optout_site.build.report import printable
from optout_site.config import Site
from optout_site.errors import UsageError
from optout_site.logs import formats, source, spill
from optout_site.logs.formats import Hit
from optout_site.logs.ranges import SPOOFED, UNVERIFIABLE, Ranges
from optout_site.logs.recorded import History, Recorded
from optout_site.logs.tally import (
    MAX_IPS,
    MAX_UNKNOWN,
    MAX_VIOLATIONS,
    AgentStats,
    ClientStats,
    Tally,
    Violation,
)
from optout_site.signals.robots import agents, uamatch
from optout_site.signals.robots.registry import Registry

# HTTP libraries and scraping tools that name themselves but have no robots.txt token.
LIBRARIES = (
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "httpx",
    "Go-http-client",
    "curl",
    "Wget",
    "img2dataset",
    "Scrapy",
    "node-fetch",
    "axios",
    "undici",
    "okhttp",
    "Apache-HttpClient",
    "libwww-perl",
    "Java",
    "HeadlessChrome",
    "PhantomJS",
    "colly",
)
# A client that says what it is (these words appear in most crawler user agents).
_SELF_DECLARED = re.compile(r"bot|crawl|spider|scrap|fetch", re.IGNORECASE)
OTHER = "other"  # browsers and everything else: counted, never itemised
AUTOMATED = "unknown-automated"
_CACHE = 100_000  # entries per cache before it is emptied (memory stays bounded)


@dataclass
class Judge:
    registry: Registry
    ranges: Ranges
    site: Site | None = None
    tokens: tuple[str, ...] = ()
    history: History | None = None  # the site's evidence records: judge by them, by date
    _who: dict[str, str | None] = field(default_factory=dict)
    _rules: dict[tuple[str, str, str], str | None] = field(default_factory=dict)
    _verdicts: dict[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.tokens:
            self.tokens = tuple(a.token for a in self.registry)

    def who(self, ua: str) -> str | None:
        """The registry token a user agent names (uamatch's whole-word rule)."""
        if ua not in self._who:
            if len(self._who) > _CACHE:
                self._who.clear()
            self._who[ua] = uamatch.identify(ua, self.tokens)
        return self._who[ua]

    def verify(self, token: str, ip: str) -> str:
        key = (token, ip)
        if key not in self._verdicts:
            if len(self._verdicts) > _CACHE:
                self._verdicts.clear()
            self._verdicts[key] = self.ranges.verify(token, ip)
        return self._verdicts[key]

    def disallowed(self, token: str, path: str, record: Recorded | None = None) -> str | None:
        """The rule that disallows ``path`` to ``token``, or None: by the decisions
        ``record`` lists if given, else by the site's policy (always None without a site:
        nothing to judge against). The agent settings and registry are today's."""
        if self.site is None:
            return None
        key = (record.id if record else "", token, path)
        if key not in self._rules:
            if len(self._rules) > _CACHE:
                self._rules.clear()
            rules = record.decisions if record else self.site.policy
            decision = rules.resolve(path)
            blocked, why = agents.reason(self.site, token, decision, self.registry)
            self._rules[key] = f"{decision.rule} ({why})" if blocked else None
        return self._rules[key]

    def category(self, token: str) -> str:
        agent = self.registry.get(token)
        return agent.category if agent is not None else OTHER


@functools.lru_cache(maxsize=4096)
def automated(ua: str) -> str | None:
    """Why a user agent the registry does not know looks automated, or None (a browser)."""
    if ua in ("", "-"):
        return "no user agent"
    library = uamatch.identify(ua, LIBRARIES)
    if library is not None:
        return f"HTTP library {library}"
    if _SELF_DECLARED.search(ua):
        return "calls itself a bot"
    if not ua.startswith("Mozilla/"):
        return "not a browser"
    return None


@functools.lru_cache(maxsize=65536)
def _kind(path: str) -> str:
    return plan.kind_of(path) or "other"


# A log is written in time order, so a few thousand recent seconds cover its lookups; the
# cache used to hold 65 536 (~15 MB in every worker).
@functools.lru_cache(maxsize=4096)
def utc(stamp: str) -> str:
    """A hit's time as UTC ISO 8601 (``2026-11-30T10:00:00Z``); "" when unreadable."""
    when = formats.moment(stamp)
    if when is None:
        return ""
    return when.astimezone(dt.UTC).replace(tzinfo=None).isoformat() + "Z"


@dataclass(frozen=True)
class Options:
    format: str = "auto"
    mapping: Mapping[str, str] | None = None
    since: str | None = None  # ISO date
    keep: int = MAX_VIOLATIONS  # violation records kept (tests make it small)


# Inherited by forked workers: the judge, the options, and the folder where each piece
# spills its kept violation records (None: they stay in memory, in the tally).
_STATE: tuple[Judge, Options, str | None] | None = None


def _parser(fmt: str, options: Options, first: str) -> Callable[[str], Hit | None]:
    if fmt == "auto":
        fmt = formats.sniff(first)
    if fmt in formats.PARSERS:
        return formats.PARSERS[fmt]
    if options.mapping is None:
        return lambda line: None
    if fmt == "csv":
        header = next(csv.reader([first]), [])
        return formats.mapped_csv(options.mapping, header)
    return formats.mapped_json(options.mapping)


def read_piece(piece: source.Piece) -> Tally:
    """Audit one piece of a log (in a worker process, or here for stdin)."""
    assert _STATE is not None
    judge, options, spill_to = _STATE
    tally = Tally(keep=options.keep)
    parse: Callable[[str], Hit | None] | None = None
    where = piece.name if piece.start == 0 else f"{piece.name} (from byte {piece.start})"
    for number, raw in source.lines(piece):
        if raw is None:
            tally.lines += 1
            tally.bad_line(f"{where}:{number}", "(a line longer than 1 MiB, skipped)")
            continue
        try:
            line = raw.decode()
        except UnicodeDecodeError:
            line = raw.decode("utf-8", "backslashreplace")
        if not line.strip():
            continue
        tally.lines += 1
        if parse is None:
            parse = _parser(options.format, options, line)
            if options.format == "csv":
                continue  # the header row
        hit = parse(line)
        if hit is None:
            tally.bad_line(f"{where}:{number}", printable(line))
            continue
        if options.since is not None and hit.day < options.since:
            tally.skipped += 1
            continue
        _count(tally, judge, hit)
    if spill_to is not None:
        spill.park(tally, spill_to)
    return tally


def _count(tally: Tally, judge: Judge, hit: Hit) -> None:
    tally.requests += 1
    tally.bytes += hit.bytes
    path = hit.path
    robots = path == "/robots.txt" or path.startswith("/robots.txt?")
    kind = "robots" if robots else _kind(path)
    token = judge.who(hit.ua)
    if token is None:
        why = automated(hit.ua)
        tally.per_day[(hit.day, AUTOMATED if why else OTHER)] += 1
        if why is None:
            return
        client = tally.clients.get(hit.ua)
        if client is None:
            if len(tally.clients) >= MAX_UNKNOWN:
                tally.clients_dropped += 1
                return
            client = tally.clients[hit.ua] = ClientStats(hit.ua, why)
        when = utc(hit.time)
        client.hits += 1
        client.bytes += hit.bytes
        client.robots_fetches += robots
        client.first = when if client.first is None else min(client.first, when)
        client.last = when if client.last is None else max(client.last, when)
        return
    tally.per_day[(hit.day, judge.category(token))] += 1
    stats = tally.agents.get(token)
    if stats is None:
        stats = tally.agents[token] = AgentStats(token)
    when = utc(hit.time)
    verdict = judge.verify(token, hit.ip)
    stats.hits += 1
    stats.bytes += hit.bytes
    stats.kinds[kind] += 1
    stats.first = when if stats.first is None else min(stats.first, when)
    stats.last = when if stats.last is None else max(stats.last, when)
    if hit.ip in stats.ips or len(stats.ips) < MAX_IPS:
        stats.ips[hit.ip] += 1
    if verdict == SPOOFED:
        # Someone else borrowing the name: neither obedience nor breach of the operator.
        stats.spoofed += 1
        return
    if verdict == UNVERIFIABLE:
        stats.unverifiable += 1
    else:
        stats.verified += 1
    if robots:
        stats.robots_fetches += 1
        stats.robots_first = when if stats.robots_first is None else min(stats.robots_first, when)
        return
    record = None
    if judge.history is not None:
        record = judge.history.in_force(when)
        if record is None:
            stats.before_records += 1  # no record shows what robots.txt said then
            return
    rule = judge.disallowed(token, path, record)
    if rule is None:
        return
    stats.violations[kind] += 1
    stats.violation_bytes[kind] += hit.bytes
    tally.violation(
        Violation(
            when,
            token,
            path,
            rule,
            kind,
            hit.status,
            hit.bytes,
            hit.ip,
            verdict,
            record.id if record else "",
        )
    )


def run(
    files: list[str],
    judge: Judge,
    options: Options,
    jobs: int | None = None,
    where: str | None = None,
) -> Tally:
    """Audit ``files`` (``-`` is stdin) with up to ``jobs`` processes (default: all cores).

    With ``where`` (a private folder, :func:`spill.folder`), each piece's kept violation
    records go to a sorted file there and the tally holds only counts and the files' names,
    so no process holds more than one piece's records; read them with
    :class:`spill.Kept` while ``where`` exists."""
    global _STATE
    jobs = jobs or os.cpu_count() or 1
    for name in files:
        if name != source.STDIN and not os.path.isfile(name):
            raise UsageError(f"{name}: no such log file")
        if (
            name != source.STDIN
            and options.format == "auto"
            and options.mapping is None
            and formats.sniff(source.first_line(name)) == "json"
        ):
            raise UsageError(
                f"{name}: a JSON log that is neither Caddy's nor Cloudflare's; "
                "name its fields with --fields (see docs/logs.md)"
            )
    splittable = options.format != "csv"
    parts = source.pieces(files, jobs if splittable else 1)
    _STATE = (judge, options, where)
    total = Tally(keep=options.keep)
    local = [p for p in parts if p.name == source.STDIN]
    remote = [p for p in parts if p.name != source.STDIN]
    if jobs > 1 and len(remote) > 1:
        context = multiprocessing.get_context("fork")
        with context.Pool(min(jobs, len(remote)), initializer=_worker) as pool:
            # In piece order (imap, not imap_unordered): the report's ties (addresses with
            # as many requests) then come out as with one process. A tally waiting for its
            # turn is small: its records are in its run.
            for tally in pool.imap(read_piece, remote):
                _add(total, tally, where)
    else:
        local = remote + local
    for piece in local:
        _add(total, read_piece(piece), where)
    return total


def _worker() -> None:
    # The pool stops its workers with SIGTERM; a worker must die of it then, not raise
    # the CLI's Terminated (optout_site.cli) mid-queue, which leaves the pool waiting
    # forever. Ctrl-C is the parent's to handle.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _add(total: Tally, tally: Tally, where: str | None) -> None:
    total.merge(tally)
    if where is not None:
        spill.compact(total, where)
