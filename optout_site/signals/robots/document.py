"""A lossless robots.txt reader, made for merging our part into a site's own file.

Every line keeps its exact text and line ending, so whatever we do not own is written
back byte for byte. On top of the lines sit the RFC 9309 structure (groups of
user-agent lines and the records that follow them) and our own marks:

* the block we generate, between ``# BEGIN optout-site`` and ``# END optout-site``;
* site records we took over, commented out in place with the :data:`MERGED` prefix.
  Removing the prefix gives the original line back, which makes a merge reversible
  (:func:`unmerge`) and a rebuild idempotent (it starts again from the original).

Grouping follows RFC 9309 §2.1 and the parsers that matter: a group starts at a
user-agent line that follows a non-user-agent record, and ``Sitemap``/``Host``/
``License`` are site-wide records that neither end nor belong to a group. Comments
and blank lines are not records. Text is decoded with ``surrogateescape`` so that even
a file that is not UTF-8 round-trips unchanged.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from optout_site import paths
from optout_site.errors import RobotsTxtError

BOM = "\ufeff"
BEGIN = "# BEGIN optout-site"
END = "# END optout-site"
MERGED = "#[optout-site merged] "

# Records that apply to the whole file; they never end or belong to a group.
GLOBAL_FIELDS = frozenset({"sitemap", "sitemaps", "site-map", "host", "license"})
# The spellings that Google's parser and Protego accept, so that we group lines as they do.
USER_AGENT_FIELDS = frozenset({"user-agent", "useragent", "user agent"})
ALLOW_FIELDS = frozenset({"allow"})
DISALLOW_FIELDS = frozenset(
    {"disallow", "dissallow", "dissalow", "disalow", "diasllow", "disallaw"}
)
_KNOWN = USER_AGENT_FIELDS | ALLOW_FIELDS | DISALLOW_FIELDS | GLOBAL_FIELDS
_LINE_RE = re.compile(r"([^\r\n]*)(\r\n|\n|\r|$)")
FIELD_RE = re.compile(r"^[a-z][a-z0-9_-]*$")  # a field name worth copying
_TOKEN_PREFIX_RE = re.compile(r"[A-Za-z_-]+")


@dataclass(frozen=True)
class Line:
    """One physical line: its text without the line ending, and the ending itself."""

    text: str
    eol: str = "\n"

    @property
    def raw(self) -> str:
        return self.text + self.eol

    @cached_property
    def _parsed(self) -> tuple[str, str, str]:
        stripped = self.text.strip()
        if not stripped:
            return "blank", "", ""
        content = stripped.split("#", 1)[0].strip()
        if not content:
            return "comment", "", ""
        field, colon, value = content.partition(":")
        field = field.strip().lower()
        if not (colon and (field in _KNOWN or value[:1] in ("", " ", "\t"))):
            # Like Google's parser and Protego, also read "User-agent foo" (no colon) and
            # "Sitemap https://…" (the colon belongs to the value).
            words = content.split()
            lead = next((n for n in (1, 2) if " ".join(words[:n]).lower() in _KNOWN), 0)
            if lead:
                field, value = " ".join(words[:lead]).lower(), " ".join(words[lead:])
            elif not colon:
                return "other", "", ""
        value = value.strip()
        if field in USER_AGENT_FIELDS:
            return "user-agent", field, value
        if field in ALLOW_FIELDS | DISALLOW_FIELDS:
            return "rule", field, value
        if field in GLOBAL_FIELDS:
            return "global", field, value
        return "record", field, value

    @property
    def allows(self) -> bool:
        """For a rule: Allow (True) or Disallow (False)."""
        return self.field in ALLOW_FIELDS

    @property
    def kind(self) -> str:
        """blank, comment, user-agent, rule (allow/disallow), record, global or other."""
        return self._parsed[0]

    @property
    def field(self) -> str:
        """The field name, lower-cased ("" for blanks, comments and other lines)."""
        return self._parsed[1]

    @property
    def value(self) -> str:
        """The value without an inline comment and surrounding whitespace."""
        return self._parsed[2]

    @property
    def is_member(self) -> bool:
        """A record that belongs to the group above it (rules and extension records)."""
        return self.kind in ("rule", "record")

    @property
    def merged(self) -> bool:
        return self.text.startswith(MERGED)

    def comment_out(self) -> Line:
        return Line(MERGED + self.text, self.eol)

    def restored(self) -> Line:
        return Line(self.text[len(MERGED) :], self.eol) if self.merged else self


@dataclass(frozen=True)
class Group:
    """One group: indexes of its user-agent lines and of its member records."""

    agents: tuple[int, ...]
    members: tuple[int, ...]


def split_lines(text: str) -> list[Line]:
    """CRLF, LF and lone CR all end a line; a missing final newline is kept missing."""
    lines = [Line(m.group(1), m.group(2)) for m in _LINE_RE.finditer(text)]
    # The last match is always an empty one at the very end (for "" the only one): not a line.
    lines.pop()
    return lines


@dataclass(frozen=True)
class Document:
    bom: str
    lines: tuple[Line, ...]

    @property
    def text(self) -> str:
        return self.bom + "".join(line.raw for line in self.lines)

    @cached_property
    def groups(self) -> tuple[Group, ...]:
        groups: list[Group] = []
        agents: list[int] = []
        members: list[int] = []
        in_rules = False
        for i, line in enumerate(self.lines):
            if line.kind == "user-agent":
                if in_rules:
                    groups.append(Group(tuple(agents), tuple(members)))
                    agents, members, in_rules = [], [], False
                agents.append(i)
            elif line.is_member and agents:
                members.append(i)
                in_rules = True
        if agents:
            groups.append(Group(tuple(agents), tuple(members)))
        return tuple(groups)

    @cached_property
    def orphans(self) -> tuple[int, ...]:
        """Member records before the first user-agent line (RFC 9309: ignored)."""
        out = []
        for i, line in enumerate(self.lines):
            if line.kind == "user-agent":
                break
            if line.is_member:
                out.append(i)
        return tuple(out)

    def eol(self) -> str:
        """The file's dominant line ending, for lines we add."""
        endings = [line.eol for line in self.lines if line.eol]
        if not endings:
            return "\n"
        return max(("\n", "\r\n", "\r"), key=endings.count)


def parse(text: str) -> Document:
    bom = BOM if text.startswith(BOM) else ""
    return Document(bom, tuple(split_lines(text[len(bom) :])))


def decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def blocks(lines: Iterable[Line]) -> list[tuple[int, int]]:
    """``(begin, end)`` line indexes of each of our blocks, END line included."""
    found: list[tuple[int, int]] = []
    start: int | None = None
    for i, line in enumerate(lines):
        text = line.text.strip()
        if text.startswith(BEGIN):
            if start is not None:
                raise RobotsTxtError(
                    f"line {i + 1}: '{BEGIN}' inside the block opened at line {start + 1}; "
                    f"restore the '{END}' line of that block"
                )
            start = i
        elif text.startswith(END):
            if start is None:
                raise RobotsTxtError(f"line {i + 1}: '{END}' without a '{BEGIN}' line above it")
            found.append((start, i))
            start = None
    if start is not None:
        raise RobotsTxtError(
            f"line {start + 1}: '{BEGIN}' has no '{END}' line; restore it or delete the block"
        )
    return found


def unmerge(doc: Document) -> tuple[Document, int | None]:
    """The site's own file: our blocks removed, the records we took over restored.

    Also returns the line index at which the first block stood (``None`` if there was
    none), so that a rebuild can put the new block back in the same place. One blank
    line right after a block is ours too: we add it to set the block apart.
    """
    spans = blocks(doc.lines)
    kept: list[Line] = []
    position: int | None = None
    skip_until = -1
    pending_blank = False
    spans_by_start = {begin: end for begin, end in spans}
    for i, line in enumerate(doc.lines):
        if i <= skip_until:
            continue
        if i in spans_by_start:
            if position is None:
                position = len(kept)
            skip_until = spans_by_start[i]
            pending_blank = True
            continue
        if pending_blank:
            pending_blank = False
            if line.kind == "blank":
                continue
        kept.append(line.restored())
    return Document(doc.bom, tuple(kept)), position


def token_of(value: str) -> str:
    """The product token a user-agent value names, read the way Google's parser reads it.

    ``Googlebot/2.1`` names ``Googlebot``; a value that does not start with a token
    character names nothing (""), except ``*``.
    """
    value = value.strip()
    if value == "*":
        return "*"
    match = _TOKEN_PREFIX_RE.match(value)
    return match.group(0) if match else ""


# --- RFC 9309 matching ------------------------------------------------------------------


class Rules:
    """A group's Allow/Disallow rules, matched by :class:`optout_site.paths.LongestMatch`."""

    def __init__(self, rules: Iterable[tuple[bool, str]]) -> None:
        # Equal patterns: allow wins (RFC 9309 §2.2.2).
        self._table: paths.LongestMatch[bool] = paths.LongestMatch(tie=operator.or_)
        for allow, pattern in rules:
            self.add(allow, pattern)

    def add(self, allow: bool, pattern: str) -> None:
        self._table.add(pattern, allow)

    def allowed(self, path: str) -> bool:
        """RFC 9309: the longest match decides, ``allow`` wins a tie, no match allows."""
        return self._table.get(path, True)

    def best(self, path: str) -> tuple[int, bool] | None:
        """(octets, allow) of the rule that decides ``path``; None if no rule matches."""
        best = self._table.best(path)
        return None if best is None else (len(best[0]), best[1])


def allowed(rules: Iterable[tuple[bool, str]], path: str) -> bool:
    """Whether ``path`` may be crawled under ``rules`` (``(allow, pattern)`` pairs)."""
    return Rules(rules).allowed(path)
