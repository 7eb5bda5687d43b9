"""What one pass over some log lines found: counts that merge, with bounded memory.

Every collection here has a cap (IP addresses per agent, distinct unknown clients,
violation records, malformed samples), so memory does not grow with the log; the counts
themselves stay exact. Tallies of different pieces of a log merge into one (:meth:`merge`),
in any order, which is what lets processes read pieces in parallel. The violation records a
piece keeps can move to a file (:mod:`optout_site.logs.spill`); a tally then names its runs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

MAX_IPS = 200  # addresses kept per agent (the rest are counted, not named)
MAX_UNKNOWN = 2000  # distinct unknown automated user agents
MAX_VIOLATIONS = 100_000  # violation records kept (all are counted)
MAX_SAMPLES = 10  # malformed lines shown
SAMPLE_CHARS = 200
KINDS = ("page", "image", "other")


def _earliest(a: str | None, b: str | None) -> str | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: str | None, b: str | None) -> str | None:
    return b if a is None else a if b is None else max(a, b)


@dataclass
class AgentStats:
    """One registry token's requests (``hits`` counts every request naming it;
    everything about obedience counts only requests not shown to be spoofed)."""

    token: str
    hits: int = 0
    bytes: int = 0
    verified: int = 0
    unverifiable: int = 0
    spoofed: int = 0
    robots_fetches: int = 0
    robots_first: str | None = None  # UTC ISO time of the first robots.txt fetch
    before_records: int = 0  # not judged: older than the site's first evidence record
    first: str | None = None
    last: str | None = None
    kinds: Counter[str] = field(default_factory=Counter)  # requests per kind
    violations: Counter[str] = field(default_factory=Counter)  # per kind
    violation_bytes: Counter[str] = field(default_factory=Counter)
    ips: Counter[str] = field(default_factory=Counter)

    def merge(self, other: AgentStats) -> None:
        counts = ("hits", "bytes", "verified", "unverifiable", "spoofed", "robots_fetches")
        for name in (*counts, "before_records"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.robots_first = _earliest(self.robots_first, other.robots_first)
        self.first = _earliest(self.first, other.first)
        self.last = _latest(self.last, other.last)
        self.kinds.update(other.kinds)
        self.violations.update(other.violations)
        self.violation_bytes.update(other.violation_bytes)
        for ip, count in other.ips.items():
            if ip in self.ips or len(self.ips) < MAX_IPS:
                self.ips[ip] += count


@dataclass
class ClientStats:
    """An automated client the registry does not know, by user agent (no addresses)."""

    ua: str
    why: str
    hits: int = 0
    bytes: int = 0
    robots_fetches: int = 0
    first: str | None = None
    last: str | None = None

    def merge(self, other: ClientStats) -> None:
        self.hits += other.hits
        self.bytes += other.bytes
        self.robots_fetches += other.robots_fetches
        self.first = _earliest(self.first, other.first)
        self.last = _latest(self.last, other.last)


@dataclass(frozen=True, order=True, slots=True)  # slots: up to MAX_VIOLATIONS of them
class Violation:
    time: str  # UTC ISO 8601
    agent: str
    path: str
    rule: str  # the policy rule and why it disallows this agent there
    kind: str
    status: int
    bytes: int
    ip: str
    verification: str
    judged_by: str  # the id of the evidence record it was judged by ("": the current policy)


@dataclass(frozen=True)
class Run:
    """Kept violation records written to a file, sorted (:mod:`optout_site.logs.spill`)."""

    path: str
    count: int


@dataclass
class Tally:
    keep: int = MAX_VIOLATIONS  # violation records kept (tests make it small)
    lines: int = 0
    requests: int = 0  # parsed lines (after --since)
    skipped: int = 0  # parsed lines before --since
    malformed: int = 0
    samples: list[str] = field(default_factory=list)
    agents: dict[str, AgentStats] = field(default_factory=dict)
    clients: dict[str, ClientStats] = field(default_factory=dict)
    clients_dropped: int = 0  # requests of unknown clients beyond MAX_UNKNOWN
    per_day: Counter[tuple[str, str]] = field(default_factory=Counter)  # (day, category)
    violations: list[Violation] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)  # records spilled to disk, each run sorted
    violation_count: int = 0
    violations_per_day: Counter[tuple[str, str]] = field(default_factory=Counter)  # (day, kind)
    bytes: int = 0

    def bad_line(self, where: str, text: str) -> None:
        self.malformed += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(f"{where}: {text[:SAMPLE_CHARS]}")

    def violation(self, record: Violation) -> None:
        self.violation_count += 1
        self.violations_per_day[(record.time[:10], record.kind)] += 1
        if len(self.violations) < self.keep:
            self.violations.append(record)

    def merge(self, other: Tally) -> None:
        for name in ("lines", "requests", "skipped", "malformed", "clients_dropped", "bytes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.violation_count += other.violation_count
        self.samples = (self.samples + other.samples)[:MAX_SAMPLES]
        for token, stats in other.agents.items():
            if token in self.agents:
                self.agents[token].merge(stats)
            else:
                self.agents[token] = stats
        for ua, client in other.clients.items():
            if ua in self.clients:
                self.clients[ua].merge(client)
            elif len(self.clients) < MAX_UNKNOWN:
                self.clients[ua] = client
            else:
                self.clients_dropped += client.hits
        self.per_day.update(other.per_day)
        self.violations_per_day.update(other.violations_per_day)
        # Keep the earliest records when there are too many: the first breach is evidence.
        self.violations = sorted(self.violations + other.violations)[: self.keep]
        # Spilled records stay on disk: the report merges the runs as sorted streams.
        self.runs += other.runs
