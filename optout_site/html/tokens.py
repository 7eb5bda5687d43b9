"""Just enough of HTML's tokenizer to find tags by byte offset.

Comments, doctypes, end tags, quoted attributes that contain ``>``, and raw-text
elements (``<script>``, ``<title>`` …) whose content must not be read as tags: what
decides where a page's head is and where our tags already stand.

Where HTML and XML disagree on where markup ends, ``xml`` picks the rules (the page
says which it is: an XML declaration, or the XHTML namespace on ``<html>``, see
``is_xml``). HTML follows WHATWG's tokenizer: ``<?…`` and ``<!…`` other than a comment
are bogus comments that end at the first ``>``; a comment ends at ``-->`` or ``--!>``,
and ``<!-->`` and ``<!--->`` are complete (empty) comments. XML ends a processing
instruction at ``?>``, a CDATA section at ``]]>`` and a comment only at ``-->``. In
both, a DOCTYPE with an internal subset ``[…]`` ends at the ``>`` after the subset.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_TAG_NAME = re.compile(r"[A-Za-z][^\s/>]*")
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


# How far past a token's end the readers may look (a raw-text end tag's name, "<!DOCTYPE"):
# a token that ends this close to the end of a window may have been read short.
MARGIN = 64


class Cut(Exception):  # noqa: N818 (not an error: it never leaves html/)
    """A token reaches the end of a window whose page goes on (``final=False``): read
    again from ``at`` (an offset in the window where a token starts), with more text."""

    def __init__(self, at: int) -> None:
        self.at = at  # (Exception.__new__ keeps ``at`` as the exception's args too)


def tokens(
    text: str, start: int = 0, *, xml: bool = False, final: bool = True
) -> Iterator[Tag | tuple[str, int, int]]:
    """Yield start tags (Tag), and ("end"|"text"|"other", start, end) for the rest.

    ``final=False``: ``text`` is a window on a longer page; a token the window may have
    cut short raises :class:`Cut` instead of being yielded."""
    pos, size = start, len(text)
    while pos < size:
        token, pos = read_token(text, pos, xml=xml, final=final)
        yield token


def read_token(
    text: str, pos: int, *, xml: bool = False, final: bool = True
) -> tuple[Tag | tuple[str, int, int], int]:
    """:func:`next_token`, raising :class:`Cut` where ``final`` is False and the token
    (or what lies past it, for raw text) comes within :data:`MARGIN` of the window's end:
    read short, a token only ever ends early at the end of the text."""
    token, end = next_token(text, pos, xml=xml)
    if not final and end > len(text) - MARGIN:
        raise Cut(pos)
    return token, end


def next_token(text: str, pos: int, *, xml: bool) -> tuple[Tag | tuple[str, int, int], int]:
    """The token at ``pos`` (which ``pos < len(text)``), and where the next one starts: past
    the content of a raw-text element (``<script>`` …), which is not read as markup."""
    size = len(text)
    lt = text.find("<", pos)
    if lt < 0:
        return ("text", pos, size), size
    if lt > pos:
        return ("text", pos, lt), lt
    if text.startswith("<!--", lt):
        end = _comment_end(text, lt, xml)
    elif text[lt + 2 : lt + 9].upper() == "DOCTYPE" and text.startswith("<!", lt):
        end = _doctype_end(text, lt, xml)
    elif xml and text.startswith("<![CDATA[", lt):
        end = _after(text, "]]>", lt + 9)
    elif xml and text.startswith("<?", lt):
        end = _after(text, "?>", lt + 2)
    elif text.startswith(("<!", "<?"), lt):
        end = _after(text, ">", lt)
    elif text.startswith("</", lt):
        match = _TAG_NAME.match(text, lt + 2)
        close = text.find(">", lt)
        end = size if close < 0 else close + 1
        return ("end" if match else "other", lt, end), end
    else:
        match = _TAG_NAME.match(text, lt + 1)
        if not match:
            return ("text", lt, lt + 1), lt + 1
        tag = _read_tag(text, lt, match)
        end = tag.end
        if tag.name in _RAW_TEXT and not (xml and tag.self_closing):
            end = _raw_text_end(text, end, tag.name, xml)
        return tag, end
    return ("other", lt, end), end


def is_xml(text: str, start: int, *, final: bool) -> bool:
    """Whether the page is XML (XHTML): an XML declaration (or other ``<?xml`` processing
    instruction) first, or ``<html>`` in the XHTML namespace as its first element.
    (``final``: as for :func:`tokens`.)"""
    if not final and len(text) - start < MARGIN:
        raise Cut(start)
    if text.startswith("<?xml", start):
        return True
    for token in tokens(text, start, xml=True, final=final):
        if isinstance(token, Tag):
            ns = token.get("xmlns")
            return token.name == "html" and ns is not None and ns.value.strip() == _XHTML_NS
    return False


_XHTML_NS = "http://www.w3.org/1999/xhtml"


def _after(text: str, close: str, pos: int) -> int:
    """Just past the first ``close`` at or after ``pos``; the end of the text if none."""
    found = text.find(close, pos)
    return len(text) if found < 0 else found + len(close)


def _comment_end(text: str, lt: int, xml: bool) -> int:
    """Where the comment opened by ``<!--`` at ``lt`` ends."""
    body = lt + 4
    if xml:
        return _after(text, "-->", body)
    # WHATWG "comment start state" and "comment start dash state": <!--> and <!---> are
    # complete, empty comments.
    if text.startswith(">", body):
        return body + 1
    if text.startswith("->", body):
        return body + 2
    # "comment end state" and "comment end bang state": --> or --!> ends the comment.
    ends = [e for e in (text.find("-->", body), text.find("--!>", body)) if e >= 0]
    if not ends:
        return len(text)
    close = min(ends)
    return close + (3 if text.startswith("-->", close) else 4)


def _doctype_end(text: str, lt: int, xml: bool) -> int:
    """Where ``<!DOCTYPE`` at ``lt`` ends: at the first ``>`` for HTML, unless an internal
    subset ``[…]`` comes first; in XML, quoted literals and the subset (with its own
    literals, comments and processing instructions) may hold ``>``."""
    size = len(text)
    first = _after(text, ">", lt)
    subset = text.find("[", lt, first)
    if not xml and subset < 0:
        return first
    pos = lt + 9
    while pos < size:
        char = text[pos]
        if char == ">":
            return pos + 1
        if char in "\"'":
            pos = _after(text, char, pos + 1)
        elif char == "[":
            pos = _subset_end(text, pos + 1)
        else:
            pos += 1
    return size


def _subset_end(text: str, pos: int) -> int:
    """Just past the ``]`` that closes a DOCTYPE's internal subset starting at ``pos``."""
    size = len(text)
    while pos < size:
        char = text[pos]
        if char == "]":
            return pos + 1
        if char in "\"'":
            pos = _after(text, char, pos + 1)
        elif text.startswith("<!--", pos):
            pos = _after(text, "-->", pos + 4)
        elif text.startswith("<?", pos):
            pos = _after(text, "?>", pos + 2)
        else:
            pos += 1
    return size


def _raw_text_end(text: str, pos: int, name: str, xml: bool) -> int:
    """Where the content of raw-text element ``name`` starting at ``pos`` ends. In XML
    there is no raw text, but a ``</script>`` in a CDATA section or comment is not an
    end tag."""
    ending = re.compile(r"</" + re.escape(name) + r"[\s/>]", re.I)
    if not xml:
        found = ending.search(text, pos)
        return len(text) if found is None else found.start()
    size = len(text)
    while pos < size:
        lt = text.find("<", pos)
        if lt < 0:
            return size
        if text.startswith("<![CDATA[", lt):
            pos = _after(text, "]]>", lt + 9)
        elif text.startswith("<!--", lt):
            pos = _after(text, "-->", lt + 4)
        elif ending.match(text, lt):
            return lt
        else:
            pos = lt + 1
    return size


# One attribute (or the tag's '>') per match, by HTML's attribute rules as far as offsets
# go: spaces and '/' between attributes, a name, then optionally '=' and a value that is
# double-quoted, single-quoted (a missing close quote runs to the end of the text) or
# bare. One compiled match per attribute instead of a Python step per piece of it: heads
# are read on every pass over every page. (Equal to the stepwise reader it replaced: a
# property test in tests/test_tokens_tag.py keeps a copy of that one.)
_ATTR_STEP = re.compile(
    r"[\s/]*+(?:(>)|([^\s/>][^\s/>=]*+)"
    r"""(?:\s*+=\s*+(?:"([^"]*+)"?|'([^']*+)'?|([^\s>]*+)))?)?"""
)


def _read_tag(text: str, start: int, name: re.Match[str]) -> Tag:
    tag = Tag(name.group(0).lower(), start, len(text))
    pos = name.end()
    step = _ATTR_STEP.match
    while True:
        match = step(text, pos)
        assert match is not None  # every part of the pattern may match nothing
        if match.start(2) < 0:
            if match.start(1) >= 0:
                tag.end = match.end()
                tag.self_closing = text[match.start(1) - 1] == "/"
            return tag  # at '>', or the text ended inside the tag
        attr_name = match.group(2).lower()
        for group, quote in ((3, '"'), (4, "'"), (5, "")):
            begin = match.start(group)
            if begin >= 0:
                end = match.end(group)
                tag.attrs.append(Attr(attr_name, text[begin:end], begin, end, quote))
                break
        else:
            at = match.end(2)
            tag.attrs.append(Attr(attr_name, "", at, at, ""))
        pos = match.end()


_LINE_BEFORE = re.compile(r"\r?\n[ \t]*\Z")


def line_before(text: str, at: int) -> re.Match[str] | None:
    """The line break and indentation right before ``at``, if only they stand there."""
    # Only whitespace can take part in a match, so searching from the start of the run
    # of whitespace before ``at`` finds what a search from 0 would, without reading the
    # page (from 0, removing k duplicate tags cost k passes: 8000 took 12 s).
    run = at
    while run > 0 and text[run - 1] in " \t\r\n":
        run -= 1
    # '\Z' matches only at ``at``, the search's end ('$' would also match before a final
    # line break: 'a\n\n' would give the first one).
    return _LINE_BEFORE.search(text, run, at)


def tag_found_at(text: str, start: int, at: int, insertion: str, xml: bool) -> bool:
    """Whether ``insertion`` (optional whitespace, then tags) put at ``at`` would be read
    back as a tag, rather than swallowed by an unterminated tag, comment or script."""
    first = at + insertion.index("<")
    probe = text[:at] + insertion + text[at:]
    for token in tokens(probe, start, xml=xml):
        if isinstance(token, Tag):
            if token.end > at:
                return token.start == first
        elif token[2] > at and token[0] != "text":
            # A comment, declaration or end tag running over ours. (Text ends at a '<':
            # one reaching past ``at`` is only the text before and our whitespace.)
            return False
    return False
