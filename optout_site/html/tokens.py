"""Just enough of HTML's tokenizer to find tags by byte offset.

Comments, doctypes, end tags, quoted attributes that contain ``>``, and raw-text
elements (``<script>``, ``<title>`` …) whose content must not be read as tags: what
decides where a page's head is and where our tags already stand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_TAG_NAME = re.compile(r"[A-Za-z][^\s/>]*")
_ATTR_NAME = re.compile(r"[^\s/>][^\s/>=]*")
_SPACE = re.compile(r"[\s/]*")
_WS = re.compile(r"\s*")
_UNQUOTED = re.compile(r"[^\s>]*")
_RAW_TEXT = {"script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes"}


@dataclass
class Attr:
    name: str  # lower-cased
    value: str
    start: int  # span of the raw value (inside quotes), for in-place updates
    end: int
    quote: str


@dataclass
class Tag:
    name: str  # lower-cased
    start: int
    end: int  # offset just past '>'
    attrs: list[Attr] = field(default_factory=list)
    self_closing: bool = False

    def get(self, name: str) -> Attr | None:
        return next((a for a in self.attrs if a.name == name), None)


def tokens(text: str, start: int = 0) -> Iterator[Tag | tuple[str, int, int]]:
    """Yield start tags (Tag), and ("end"|"text"|"other", start, end) for the rest."""
    pos, size = start, len(text)
    while pos < size:
        lt = text.find("<", pos)
        if lt < 0:
            yield ("text", pos, size)
            return
        if lt > pos:
            yield ("text", pos, lt)
        if text.startswith("<!--", lt):
            close = text.find("-->", lt + 4)
            pos = size if close < 0 else close + 3
            yield ("other", lt, pos)
        elif text.startswith(("<!", "<?"), lt):
            close = text.find(">", lt)
            pos = size if close < 0 else close + 1
            yield ("other", lt, pos)
        elif text.startswith("</", lt):
            match = _TAG_NAME.match(text, lt + 2)
            close = text.find(">", lt)
            pos = size if close < 0 else close + 1
            yield ("end" if match else "other", lt, pos)
        else:
            match = _TAG_NAME.match(text, lt + 1)
            if not match:
                yield ("text", lt, lt + 1)
                pos = lt + 1
                continue
            tag = _read_tag(text, lt, match)
            yield tag
            pos = tag.end
            if tag.name in _RAW_TEXT:
                ending = re.compile(r"</" + re.escape(tag.name) + r"[\s/>]", re.I).search(text, pos)
                pos = size if ending is None else ending.start()


def _end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where a match of ``pattern`` at ``pos`` ends; for patterns that match "" too."""
    match = pattern.match(text, pos)
    assert match is not None, f"{pattern.pattern!r} matches the empty string"
    return match.end()


def _read_tag(text: str, start: int, name: re.Match[str]) -> Tag:
    tag = Tag(name.group(0).lower(), start, len(text))
    pos, size = name.end(), len(text)
    while pos < size:
        pos = _end(_SPACE, text, pos)
        if pos >= size:
            break
        if text[pos] == ">":
            tag.end = pos + 1
            tag.self_closing = text[pos - 1] == "/"
            return tag
        attr = _ATTR_NAME.match(text, pos)
        if not attr:
            pos += 1
            continue
        pos = attr.end()
        after = _end(_WS, text, pos)
        if after < size and text[after] == "=":
            pos = _end(_WS, text, after + 1)
            if pos < size and text[pos] in "\"'":
                quote = text[pos]
                close = text.find(quote, pos + 1)
                close = size if close < 0 else close
                tag.attrs.append(
                    Attr(attr.group(0).lower(), text[pos + 1 : close], pos + 1, close, quote)
                )
                pos = close + 1
            else:
                end = _end(_UNQUOTED, text, pos)
                tag.attrs.append(Attr(attr.group(0).lower(), text[pos:end], pos, end, ""))
                pos = end
        else:
            tag.attrs.append(Attr(attr.group(0).lower(), "", pos, pos, ""))
    return tag
