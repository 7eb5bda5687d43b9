"""Our link to the reservation page, at the end of a page's body: where it goes, and the
edits that put it there, move it or withdraw it.

A pass over the body (:class:`BodyScan`, fed token by token from the head on: only such a
pass tells a real ``</body>`` from one inside a comment or a script) finds our links and the
end tags the link goes before; :func:`footer_edits` then reads only around those places,
through :class:`PageText`: the whole text (:class:`WholeText`), or a page read in windows
(``stream.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from optout_site.html.tokens import MARGIN, Cut, Tag, line_before, tag_found_at

FOOTER_CLASS = "optout-site-reservation"
_A_CLOSE = re.compile(r"</a\s*>", re.I)


class BodyScan:
    """What the footer edit needs from a pass over the body, fed token by token: our
    reservation links (start, end), the last ``</body>``, and the last ``</before>`` ahead
    of the first ``</body>``. Offsets are the page's (``base``: where ``text`` starts)."""

    def __init__(self, before: str) -> None:
        self.found: list[tuple[int, int]] = []
        self.body_end: int | None = None
        self.target: int | None = None
        self._target_re = re.compile(rf"</{re.escape(before)}[\s>]", re.I)

    def note(
        self, text: str, token: Tag | tuple[str, int, int], base: int = 0, final: bool = True
    ) -> None:
        if isinstance(token, Tag):
            class_attr = token.get("class")
            classes = (class_attr.value if class_attr else "").split()
            if token.name == "a" and FOOTER_CLASS in classes:
                # Ours is the start tag plus a plain-text label and its </a>. Searching on
                # for any later </a> would swallow the author's markup in between.
                lt = text.find("<", token.end)
                if not final and not 0 <= lt <= text.find(">", lt) < len(text) - MARGIN:
                    raise Cut(token.start)  # the label or its </a> may lie past the window
                close = _A_CLOSE.match(text, lt) if lt >= 0 else None
                self.found.append(
                    (base + token.start, base + (close.end() if close else token.end))
                )
        elif token[0] == "end" and re.match(r"</body[\s>]", text[token[1] : token[2]], re.I):
            self.body_end = base + token[1]
        elif (
            token[0] == "end"
            and self.body_end is None
            and self._target_re.match(text, token[1], token[2])
        ):
            self.target = base + token[1]


class PageText(Protocol):
    """The few reads the footer edit makes around the places a body scan found."""

    def line_before(self, at: int) -> tuple[int, str] | None:
        """Where the line break and indentation right before ``at`` start, and they."""

    def slice(self, begin: int, end: int) -> str: ...

    def blank(self, begin: int, end: int) -> bool:
        """Whether only whitespace (``str.strip``'s) stands between the offsets."""

    def unended(self, wanted: str) -> int | None:
        """Where the link goes on a page with no end tag to put it before (None: nowhere
        it would be found again)."""


class WholeText:
    def __init__(self, text: str, after: int, xml: bool) -> None:
        self.text, self.after, self.xml = text, after, xml

    def line_before(self, at: int) -> tuple[int, str] | None:
        line = line_before(self.text, at)
        return (line.start(), line.group(0)) if line else None

    def slice(self, begin: int, end: int) -> str:
        return self.text[begin:end]

    def blank(self, begin: int, end: int) -> bool:
        return not self.text[begin:end].strip()

    def unended(self, wanted: str) -> int | None:
        at = len(self.text.rstrip())
        # The page ends inside a tag, comment or raw-text element: a link appended there
        # would not be found again, so every build would add one more. Leave it out.
        return at if tag_found_at(self.text, self.after, at, wanted, self.xml) else None


def footer_edits(
    scan: BodyScan,
    footer: tuple[str, str] | None,
    value: Callable[[str], str],
    text: PageText,
) -> list[tuple[int, int, str]]:
    """Insert, update, move or remove our ``<a class="optout-site-reservation">``: just
    before the last ``</before>`` of the body, else before </body>."""
    end_at = scan.target if scan.target is not None else scan.body_end
    wanted = None
    if footer is not None:
        href, label = footer
        wanted = f'<a class="{FOOTER_CLASS}" href="{value(href)}">{value(label)}</a>'
    drops: list[tuple[int, int, str]] = []

    def line_start(at: int) -> int:  # our link goes with the line break before it
        line = text.line_before(at)
        return line[0] if line else at

    if scan.found:
        (start, end), extra = scan.found[0], scan.found[1:]
        # Duplicates go in one pass; removing one per build would change pages every build.
        drops = [(line_start(s), e, "") for s, e in extra]
        in_place = end_at is None or (end <= end_at and text.blank(end, end_at))
        if wanted is not None and in_place:
            return drops if text.slice(start, end) == wanted else [(start, end, wanted), *drops]
        # Gone, or wanted elsewhere (`before` changed): removed here, and put there below.
        drops.append((line_start(start), end, ""))
    if wanted is None:
        return drops
    if end_at is None:
        at = text.unended(wanted)
        return drops if at is None else [*drops, (at, at, wanted)]
    line = text.line_before(end_at)
    if line:
        # The end tag on its own line: our link gets a line of its own above it, same indent.
        return [*drops, (line[0], line[0], line[1] + wanted)]
    return [*drops, (end_at, end_at, wanted)]
