"""What a build did, per site and per file: for people (summary) and machines (JSON)."""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# File actions. "error" files were left exactly as they were.
CHANGED, UNCHANGED, COPIED, SKIPPED, ERROR = "changed", "unchanged", "copied", "skipped", "error"
# A file the tool published before and no longer produces, withdrawn as it left it.
REMOVED = "removed"


def _shown(folder: str) -> str:
    """A folder as the user named it: relative to the working folder when inside it."""
    path = Path(folder)
    with contextlib.suppress(ValueError, OSError):
        path = path.relative_to(Path.cwd())
    return f"{path.as_posix().rstrip('/')}/"


# Characters that end or rewrite a line on a terminal or in a CI log: a file name holding
# "\n::error::" would otherwise start a GitHub Actions workflow command of its own.
# Lone surrogates too: an undecodable file name (or log line) must print, escaped.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(line: str) -> str:
    """One report line as it may be printed: control characters spelled out (``\\n``)."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), line)


@dataclass(frozen=True)
class FileResult:
    path: str  # site-relative, '/'-separated; the full path of a host config in hosts_dir
    kind: str  # "page", "image", "signal", "file"
    action: str
    message: str = ""  # in plain words
    detail: str = ""  # the technical account (byte offsets, structures): --verbose, JSON

    def text(self, verbose: bool = False) -> str:
        """``path: message`` for people, with the detail in brackets when ``verbose``."""
        more = f" [{self.detail}]" if verbose and self.detail else ""
        return f"{self.path}: {self.message}{more}"

    def to_dict(self) -> dict[str, str]:
        row = asdict(self)
        if not self.detail:
            del row["detail"]
        return row


@dataclass
class SiteReport:
    name: str
    input: str
    output: str
    dry_run: bool = False
    files: list[FileResult] = field(default_factory=list)
    scanned: int = 0  # files found in the input, including ones a signal supersedes
    shard: str = ""  # "K/N of tree DIGEST: M files" when built with --shard

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
            "shard": self.shard or None,
            "changed": self.changed,
            "summary": self.summary(),
            "signals": [f.path for f in self.files if f.kind == "signal"],
            "problems": [f.to_dict() for f in self.problems],
            "skipped": [f.to_dict() for f in self.files if f.action == SKIPPED],
            "notes": [f.to_dict() for f in self.notes],
            "files": [f.to_dict() for f in self.files if f.action not in (UNCHANGED, COPIED)],
        }

    def where(self) -> str:
        """Which folder holds the stamped site, the one to deploy: the input itself, or
        the output written from it."""
        source, target = _shown(self.input), _shown(self.output)
        if self.input == self.output:
            return f"{'would stamp' if self.dry_run else 'stamped'} in place: {source}"
        return f"{'would write' if self.dry_run else 'wrote'} {target} from {source}"

    def render(self, verbose: bool = False) -> str:
        verb = "would change" if self.dry_run else "changed"
        pages = self.count("page")
        tagged = self.count("page", CHANGED) + self.count("page", UNCHANGED)
        images = self.count("image")
        stamped = self.count("image", CHANGED) + self.count("image", UNCHANGED)
        signals = [f for f in self.files if f.kind == "signal"]
        lines = [
            f"site {self.name}: {self.where()}",
            f"  files scanned   {self.scanned}",
            *([f"  shard           {self.shard}"] if self.shard else []),
            f"  pages tagged    {tagged}/{pages}",
            f"  images stamped  {stamped}/{images}",
            f"  signals         {', '.join(f.path for f in signals) or 'none'}",
            f"  {verb:<15} {self.changed}",
        ]
        removed = [f for f in self.files if f.action == REMOVED]
        if removed:
            lines.append(f"  {'would remove' if self.dry_run else 'removed':<15} {len(removed)}")
            lines.extend(f"    {f.text(verbose)}" for f in removed)
        skipped = [f for f in self.files if f.action == SKIPPED]
        if skipped:
            lines.append(f"  skipped         {len(skipped)}")
            lines.extend(f"    {f.text(verbose)}" for f in skipped)
        notes = self.notes
        if notes:
            lines.append(f"  notes           {len(notes)}")
            lines.extend(f"    {f.text(verbose)}" for f in notes)
        problems = self.problems
        lines.append(f"  problems        {len(problems)}")
        lines.extend(f"    {f.text(verbose)}" for f in problems)
        return "\n".join(map(printable, lines))


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

    def render(self, verbose: bool = False) -> str:
        return "\n".join(site.render(verbose) for site in self.sites)
