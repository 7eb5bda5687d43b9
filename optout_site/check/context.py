"""What every check module shares: the source, the expectations, and where findings go."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from optout_site import paths
from optout_site.check.model import BAD, OK, WARN, Cell, CheckReport, Finding, Row, Severity
from optout_site.check.readings import Expect, TdmRule, first_match
from optout_site.check.sources import Fetched, Source
from optout_site.policy import Decision


def short_list(items: Iterable[str], limit: int = 6) -> str:
    items = list(dict.fromkeys(items))
    head = ", ".join(items[:limit])
    return head + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


@dataclass
class Context:
    source: Source
    report: CheckReport
    expect: Expect | None = None
    pages: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    fetched: dict[str, Fetched] = field(default_factory=dict)
    # Parsed site-level signals, for cross-channel messages.
    tdm_rules: list[TdmRule] | None = None
    robots: Any = None
    page_meta: dict[str, str | None] = field(default_factory=dict)  # page path -> reservation
    _rows: dict[str, Row] = field(default_factory=dict)

    @property
    def exp(self) -> Expect:
        assert self.expect is not None
        return self.expect

    @property
    def strict(self) -> bool:
        """Checked against sites.yaml: our build writes every signal, so absence is an error."""
        return not self.exp.inferred

    def missing_severity(self) -> Severity:
        return "error" if self.strict else "warning"

    def get(self, path: str) -> Fetched:
        if path not in self.fetched:
            self.fetched[path] = self.source.get(path)
        return self.fetched[path]

    def decision(self, path: str) -> Decision:
        return self.exp.site.policy.resolve(path)

    def add(
        self,
        severity: Severity,
        signal: str,
        path: str,
        message: str,
        fix: str,
        line: int | None = None,
        file: str | None = None,
        code: str | None = None,
        detail: str = "",
    ) -> None:
        acknowledged = (
            code is not None
            and self.expect is not None  # site-level reads run before the policy is known
            and self.strict
            and code in self.exp.site.acknowledge
        )
        finding = Finding(
            severity,
            signal,
            path,
            message,
            fix,
            line,
            file,
            code=code,
            acknowledged=acknowledged,
            detail=detail,
        )
        if finding not in self.report.findings:
            self.report.findings.append(finding)

    def count(self, signal: str, n: int = 1) -> None:
        self.report.checked[signal] = self.report.checked.get(signal, 0) + n

    def cell(self, path: str, signal: str, state: str, note: str) -> None:
        """Record one grid cell; a worse state for the same cell wins."""
        row = self._rows.get(path)
        if row is None:
            return  # only pages and images have rows
        order = {OK: 0, WARN: 1, BAD: 2}
        old = row.cells.get(signal)
        if old is None or order[state] > order[old.state]:
            row.cells[signal] = Cell(state, note)
        elif order[state] == order[old.state] and note not in old.note and state != OK:
            old.note += "; " + note

    def add_rows(self) -> None:
        for kind, found in (("page", self.pages), ("image", self.images)):
            for path in found:
                if path not in self._rows:
                    row = Row(path, kind)
                    self._rows[path] = row
                    self.report.rows.append(row)

    def sample_paths(self) -> list[str]:
        """``/``, each policy rule and something inside it, the pages and the images."""
        out = ["/"]
        for pattern, _ in self.exp.site.policy.ordered_decisions:
            if pattern == "/":
                continue
            out += [paths.example(pattern), self.inside(pattern)]
        out += self.pages + self.images
        return list(dict.fromkeys(out))

    def inside(self, pattern: str) -> str:
        """A real page or image under ``pattern``, else a made-up file name there."""
        found = next((p for p in self.pages + self.images if paths.matches(pattern, p)), None)
        return found or paths.inside(pattern)

    def elsewhere(self, url: str, what: str) -> tuple[str, str]:
        """(message, fix) for a signal whose link leaves the address checked.

        Without a config a local or staging copy links to the production address, which
        says nothing of where the file really is; with one, the site's url counts as here.
        """
        if self.strict:
            return (
                f"{what} is at {url}, on another site; not checked",
                f"Host {what} on this site so that it can be checked.",
            )
        parts = urlsplit(url)
        return (
            f"{what} is linked at {url}, not at the address checked; not checked",
            f"If this is a local or staging copy of {parts.scheme}://{parts.netloc}, check "
            "with --config sites.yaml: the site's url then counts as this address.",
        )

    def tdm_says(self, path: str) -> str:
        """What tdmrep.json says for ``path``, in words, for cross-channel messages."""
        if self.tdm_rules is None:
            return "tdmrep.json is missing"
        rule = first_match(self.tdm_rules, path)
        if rule is None:
            return "tdmrep.json has no rule for it"
        value = "unset (invalid value)" if rule.reservation is None else str(rule.reservation)
        return f"tdmrep.json says {value} (location {rule.location!r})"
