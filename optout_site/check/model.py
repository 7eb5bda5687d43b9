"""What ``check`` found: findings, a per-path grid of signals, coverage and the policy it
checked against. Pure data; the renderers live in :mod:`optout_site.check.render`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]

# Column order of every table and of the HTML grid.
ROBOTS = "robots.txt"
TDMREP = "tdmrep.json"
TDM_POLICY = "TDM policy"
AI_TXT = "ai.txt"
RSL = "license.xml"
META = "page meta"
XMP = "image XMP"
C2PA = "image C2PA"
HEADERS = "HTTP headers"
HOSTS = "host config"
LEGAL = "reservation page"
BLOCKING = "blocking"  # block: the server refuses the chosen agents (check URL only)
FILES = "published files"
AUDIT = "audit limits"  # what the check itself could not read: deadline, budget, bad URLs
SIGNALS: tuple[str, ...] = (
    ROBOTS,
    TDMREP,
    TDM_POLICY,
    AI_TXT,
    RSL,
    META,
    XMP,
    C2PA,
    HEADERS,
    HOSTS,
    LEGAL,
    BLOCKING,
    FILES,
    AUDIT,
)
MAX_FINDINGS = 200  # per signal; the rest are counted in CheckReport.dropped

OK, BAD, WARN = "ok", "bad", "warn"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    signal: str
    path: str  # the site path (or site file) the finding is about
    message: str
    fix: str
    line: int | None = None  # line in ``file`` where known
    file: str | None = None  # the site file to edit, when it is not ``path`` itself
    code: str | None = None  # the sites.yaml `acknowledge` name that marks it intended
    acknowledged: bool = False  # listed, marked, but neither an error nor a warning
    detail: str = ""  # the technical account behind ``message``, for the JSON report

    @property
    def target_file(self) -> str:
        return self.file or self.path


class Findings(list[Finding]):
    """The report's findings: ``in`` is a set lookup (so de-duplicating thousands of them
    stays linear), and at most :data:`MAX_FINDINGS` per signal are kept, the rest counted."""

    def __init__(self, items: Iterable[Finding] = ()) -> None:
        super().__init__()
        self._index: set[Finding] = set()
        self._per_signal: dict[str, int] = {}
        self.dropped: dict[str, int] = {}
        self.extend(items)

    def __contains__(self, item: object) -> bool:
        return item in self._index

    def append(self, item: Finding) -> None:
        if item in self._index:
            return
        if self._per_signal.get(item.signal, 0) >= MAX_FINDINGS:
            self.dropped[item.signal] = self.dropped.get(item.signal, 0) + 1
            return
        self._per_signal[item.signal] = self._per_signal.get(item.signal, 0) + 1
        self._index.add(item)
        super().append(item)

    def extend(self, items: Iterable[Finding]) -> None:
        for item in items:
            self.append(item)

    def __iadd__(self, items: Iterable[Finding]) -> Findings:  # type: ignore[override,misc]
        self.extend(items)
        return self


@dataclass
class Cell:
    state: str  # ok | bad | warn
    note: str


@dataclass
class Row:
    path: str
    kind: str  # "page" or "image"
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class Coverage:
    pages: int = 0
    pages_reserved: int = 0  # pages whose meta states the policy's value
    images: int = 0
    images_reserved: int = 0  # images whose XMP DataMining states the policy's value

    @staticmethod
    def percent(part: int, whole: int) -> float:
        return round(100.0 * part / whole, 1) if whole else 100.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "pages_reserved": self.pages_reserved,
            "pages_percent": self.percent(self.pages_reserved, self.pages),
            "images": self.images,
            "images_reserved": self.images_reserved,
            "images_percent": self.percent(self.images_reserved, self.images),
        }


@dataclass(frozen=True)
class PolicyLine:
    """One scope of the policy in plain words."""

    path: str
    reserved: tuple[str, ...]
    allowed: tuple[str, ...]
    text: str


@dataclass
class CheckReport:
    target: str
    mode: str  # "folder" or "url"
    site: str | None  # the sites.yaml site checked against, None when inferred
    policy_source: str  # where the policy came from, in words
    policy: list[PolicyLine] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)
    coverage: Coverage = field(default_factory=Coverage)
    rows: list[Row] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # signal -> items checked
    counted: dict[str, str] = field(default_factory=dict)  # signal -> what "checked" counts
    root: str | None = None  # folder mode: the folder, for file= in annotations
    source_root: str | None = None  # the site's input, when ``root`` is built from it

    @property
    def inferred_policy(self) -> list[PolicyLine]:
        return self.policy

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error" and not f.acknowledged]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning" and not f.acknowledged]

    @property
    def acknowledged(self) -> list[Finding]:
        return [f for f in self.findings if f.acknowledged]

    @property
    def ok(self) -> bool:
        """Consistent: no errors. Warnings are advice and do not fail a build."""
        return not self.errors

    def signal_summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for name in SIGNALS:
            errors = sum(1 for f in self.errors if f.signal == name)
            warnings = sum(1 for f in self.warnings if f.signal == name)
            if name in self.checked or errors or warnings:
                out[name] = {
                    "checked": self.checked.get(name, 0),
                    "errors": errors,
                    "warnings": warnings,
                }
        return out

    def counted_words(self, name: str) -> str:
        """What the "checked" count of a signal counted, in words."""
        return self.counted.get(name, str(self.checked.get(name, 0)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "target": self.target,
            "mode": self.mode,
            "site": self.site,
            "policy_source": self.policy_source,
            "policy": [asdict(p) for p in self.policy],
            "coverage": self.coverage.to_dict(),
            "signals": {
                name: {**counts, "counted": self.counted_words(name)}
                for name, counts in self.signal_summary().items()
            },
            "findings": [asdict(f) for f in self.findings],
            "grid": [
                {
                    "path": r.path,
                    "kind": r.kind,
                    "cells": {k: asdict(c) for k, c in r.cells.items()},
                }
                for r in self.rows
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
