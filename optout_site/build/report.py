"""What a build did, per site and per file: for people (summary) and machines (JSON)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

# File actions. "error" files were left exactly as they were.
CHANGED, UNCHANGED, COPIED, SKIPPED, ERROR = "changed", "unchanged", "copied", "skipped", "error"
# A file the tool published before and no longer produces, withdrawn as it left it.
REMOVED = "removed"


@dataclass(frozen=True)
class FileResult:
    path: str  # site-relative, '/'-separated
    kind: str  # "page", "image", "signal", "file"
    action: str
    message: str = ""


@dataclass
class SiteReport:
    name: str
    input: str
    output: str
    dry_run: bool = False
    files: list[FileResult] = field(default_factory=list)
    scanned: int = 0  # files found in the input, including ones a signal supersedes

    def count(self, kind: str | None = None, action: str | None = None) -> int:
        return sum(
            1
            for f in self.files
            if (kind is None or f.kind == kind) and (action is None or f.action == action)
        )

    @property
    def problems(self) -> list[FileResult]:
        return [f for f in self.files if f.action == ERROR]

    @property
    def changed(self) -> int:
        return self.count(action=CHANGED)

    @property
    def notes(self) -> list[FileResult]:
        """Files written with something to say: a signal merged, replaced or kept stricter,
        an image whose legacy field could not be written."""
        return [f for f in self.files if f.message and f.action in (CHANGED, UNCHANGED)]

    def summary(self) -> dict[str, Any]:
        by_kind: dict[str, dict[str, int]] = {}
        for f in self.files:
            by_kind.setdefault(f.kind, Counter())[f.action] += 1
        return {kind: dict(counts) for kind, counts in sorted(by_kind.items())}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input": self.input,
            "output": self.output,
            "dry_run": self.dry_run,
            "scanned": self.scanned,
            "changed": self.changed,
            "summary": self.summary(),
            "signals": [f.path for f in self.files if f.kind == "signal"],
            "problems": [asdict(f) for f in self.problems],
            "skipped": [asdict(f) for f in self.files if f.action == SKIPPED],
            "notes": [asdict(f) for f in self.notes],
            "files": [asdict(f) for f in self.files if f.action not in (UNCHANGED, COPIED)],
        }

    def render(self) -> str:
        verb = "would change" if self.dry_run else "changed"
        pages = self.count("page")
        tagged = self.count("page", CHANGED) + self.count("page", UNCHANGED)
        images = self.count("image")
        stamped = self.count("image", CHANGED) + self.count("image", UNCHANGED)
        signals = [f for f in self.files if f.kind == "signal"]
        lines = [
            f"site {self.name}: {self.input} -> {self.output}",
            f"  files scanned   {self.scanned}",
            f"  pages tagged    {tagged}/{pages}",
            f"  images stamped  {stamped}/{images}",
            f"  signals         {', '.join(f.path for f in signals) or 'none'}",
            f"  {verb:<15} {self.changed}",
        ]
        removed = [f for f in self.files if f.action == REMOVED]
        if removed:
            lines.append(f"  {'would remove' if self.dry_run else 'removed':<15} {len(removed)}")
            lines.extend(_line(f) for f in removed)
        skipped = [f for f in self.files if f.action == SKIPPED]
        if skipped:
            lines.append(f"  skipped         {len(skipped)}")
            lines.extend(_line(f) for f in skipped)
        notes = self.notes
        if notes:
            lines.append(f"  notes           {len(notes)}")
            lines.extend(_line(f) for f in notes)
        problems = self.problems
        lines.append(f"  problems        {len(problems)}")
        lines.extend(_line(f) for f in problems)
        return "\n".join(lines)


# Control characters in a file name (a newline, an escape sequence) would let a site's
# file names forge report lines or recolour the terminal: shown escaped.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _shown(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _line(result: FileResult) -> str:
    return f"    {_shown(result.path)}: {_shown(result.message)}"


@dataclass
class BuildReport:
    sites: list[SiteReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(site.problems for site in self.sites)

    @property
    def changed(self) -> int:
        return sum(site.changed for site in self.sites)

    def to_json(self) -> str:
        data = {"ok": self.ok, "changed": self.changed, "sites": [s.to_dict() for s in self.sites]}
        return json.dumps(data, indent=2, ensure_ascii=False)

    def render(self) -> str:
        return "\n".join(site.render() for site in self.sites)
