"""robots.txt records as lines and groups: a small reader for linting and for the
extension records (Content-Usage, Content-Signal, License) that crawler parsers skip.
Allow/disallow verdicts never come from here: :class:`Parsers` asks Protego (RFC 9309,
longest match) and Python's urllib.robotparser (first match).
"""

from __future__ import annotations

import re
import urllib.robotparser
from dataclasses import dataclass, field

from protego import Protego

PATH = "/robots.txt"
TOKEN_RE = re.compile(r"^[A-Za-z_-]+$")
GLOBAL_FIELDS = frozenset({"sitemap", "license", "host"})
UNNAMED = "zzqx-unnamed-agent"  # matches no group: reads what `User-agent: *` says
_MERGED = re.compile(r"^#\[optout-site merged\]\s*user-agent\s*:\s*([^#\s]+)", re.I)


@dataclass
class Group:
    agents: list[tuple[str, int]] = field(default_factory=list)  # (value, line)
    rules: list[tuple[str, str, int]] = field(default_factory=list)  # (field, path, line)
    records: list[tuple[str, str, int]] = field(default_factory=list)  # extension records
    in_block: bool = False  # inside our "# BEGIN optout-site" block

    @property
    def label(self) -> str:
        first = self.agents[0][0] if self.agents else "?"
        more = f" (+{len(self.agents) - 1})" if len(self.agents) > 1 else ""
        return f"User-agent: {first}{more}"

    def values(self, name: str) -> list[tuple[str, int]]:
        return [(v, n) for f, v, n in self.records if f == name]


@dataclass
class RobotsFile:
    text: str
    groups: list[Group]
    licenses: list[tuple[str, int]]
    merged_agents: set[str]  # site-named agents the build folded into its block

    def groups_for(self, token: str) -> list[Group]:
        """RFC 9309: every group naming the token (case-insensitively), else the ``*`` groups."""
        key = token.casefold()
        named = [g for g in self.groups if any(v.casefold() == key for v, _ in g.agents)]
        return named or [g for g in self.groups if any(v == "*" for v, _ in g.agents)]

    def star(self) -> list[Group]:
        return [g for g in self.groups if any(v == "*" for v, _ in g.agents)]


def parse(text: str) -> RobotsFile:
    groups: list[Group] = []
    current: Group | None = None
    licenses: list[tuple[str, int]] = []
    merged: set[str] = set()
    in_block = False
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("# BEGIN optout-site"):
            in_block = True
        elif stripped.startswith("# END optout-site"):
            in_block = False
        if (m := _MERGED.match(stripped)) is not None:
            merged.add(m.group(1).casefold())
        line = stripped.split("#", 1)[0].strip()
        name, colon, value = line.partition(":")
        if not line or not colon:
            continue
        name, value = name.strip().lower(), value.strip()
        if name == "user-agent":
            if current is None or current.rules or current.records:
                current = Group(in_block=in_block)
                groups.append(current)
            current.agents.append((value, number))
        elif name == "license":
            licenses.append((value, number))
        elif name in GLOBAL_FIELDS or current is None:
            continue
        elif name in ("allow", "disallow"):
            current.rules.append((name, value, number))
        else:
            current.records.append((name, value, number))
    return RobotsFile(text, groups, licenses, merged)


class Parsers:
    """Protego (RFC 9309) and urllib.robotparser (first match, substring agents)."""

    def __init__(self, text: str) -> None:
        self.protego = Protego.parse(text)
        self.urllib = urllib.robotparser.RobotFileParser()
        self.urllib.parse(text.splitlines())

    def allowed(self, token: str, path: str) -> tuple[bool, bool]:
        url = "https://site.invalid" + path
        return self.protego.can_fetch(url, token), self.urllib.can_fetch(token, url)
