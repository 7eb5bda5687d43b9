"""Skip through an HTML body at regex speed, stopping only where a token matters.

The footer edit needs three things from the whole body: our reservation ``<a>`` tags,
the first ``</body>`` and the last ``</footer>`` (or whatever end tag the link goes
before) ahead of it. Telling a real end tag from one inside a comment, a script or an
attribute value means reading every token from the head on, and building a ``Tag`` per
token in Python cost ~60 µs per tag (15 s for a 2 MB page of 250,000 tags). Here one
compiled pattern consumes whole tokens, by exactly the rules of ``tokens.tokens`` (HTML
mode), until it reaches one that may matter; only that one is read by ``tokens``.

Whatever the pattern does not know exactly (a DOCTYPE with an internal subset, the
tokens around an occurrence of our class name) stops it, so the slow reader decides; the
equivalence with a full ``tokens`` pass is a property test (tests/test_htmlskip.py).

``head_tokens`` does the same for ``splice.find_head``, read on every pass over every page:
it jumps over the head's whitespace, scripts, styles and titles (tests/test_headskip.py).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from optout_site.html.tokens import MARGIN, Cut, Tag, read_token


def _ascii_ci(word: str) -> str:
    """``word`` matched without regard to ASCII case only (``re.I`` also folds ``ſ`` to
    ``s`` and ``K`` to ``k``, which ``str.lower()`` and ``str.upper()`` do not)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# A start tag's attributes up to and including its '>' (or the end of the text), as
# tokens._read_tag reads them.
_ATTRS = (
    r"(?:[\s/]*+[^\s/>][^\s/>=]*+"
    r"""(?:\s*+=\s*+(?:"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z)|[^\s>]*+))?)*+"""
    r"[\s/]*+(?:>|\Z)"
)
_RAW = ("script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes")
_NAME_END = r"(?=[\s/>]|\Z)"
_RAW_INITIALS = "".join(sorted({c for name in _RAW for c in (name[0], name[0].upper())}))


def _raw_elements(names: tuple[str, ...]) -> str:
    """After '<': a start tag of one of ``names`` and its raw text, up to its end tag."""
    # tokens._raw_text_end matches the end tag with re.I, so this does too.
    return "|".join(
        f"{_ascii_ci(name)}{_NAME_END}{_ATTRS}(?:[^<]++|<(?!/(?i:{name})[\\s/>]))*+"
        for name in names
    )


_RAW_ELEMENTS = _raw_elements(_RAW)
# After '<': comments, simple DOCTYPEs (one with '[' before its '>' has an internal subset,
# left to the slow reader) and other bogus comments.
_DOCTYPE = _ascii_ci("doctype")
_BANG = (
    r"!(?:--(?:>|->|.*?(?:-->|--!>)|.*)"
    rf"|{_DOCTYPE}[^\[>]*+(?:>|\Z)|(?!--)(?!{_DOCTYPE})[^>]*+(?:>|\Z))"
)


@functools.lru_cache(maxsize=16)
def _skipper(before: str) -> re.Pattern[str]:
    """Every token but ``</body>`` and ``</before>``; group 1 is the last one skipped."""
    ends = "|".join(sorted({"body", re.escape(before)}))
    end_tag = rf"/(?!(?i:{ends})[\s>])[^>]*+(?:>|\Z)"
    # The guard spares most tags eight failed raw-text names (~20% of the time).
    raw = rf"(?=[{_RAW_INITIALS}])(?:{_RAW_ELEMENTS})"
    markup = [rf"(?=[A-Za-z])(?:{raw}|[^\s/>]++{_ATTRS})", end_tag, _BANG]
    markup += [r"\?[^>]*+(?:>|\Z)", "(?![A-Za-z!?/])"]
    return re.compile("(?:([^<]++|<(?:" + "|".join(markup) + ")))*+", re.S)


def tokens_that_matter(
    text: str, start: int, before: str, marker: str, *, final: bool = True
) -> Iterator[Tag | tuple[str, int, int]]:
    """The tokens of ``tokens.tokens(text, start)`` (HTML mode) that are ``</body>``- or
    ``</before>``-like end tags or that contain ``marker``, in order, plus possibly some
    others (whatever the fast pattern cannot vouch for).

    ``final=False``: ``text`` is a window on a longer page, and :class:`tokens.Cut` says
    where to read on with more of it (as :func:`tokens.tokens` does)."""
    pos, size = start, len(text)
    skip = _skipper(before.lower())
    while pos < size:
        mark = text.find(marker, pos)
        limit = size if mark < 0 else mark
        # Stopped short of the marker, the pattern reads the text as if it ended there:
        # every token it skips is exact but the last, which may have been cut short.
        skipped = skip.match(text, pos, limit)
        assert skipped is not None  # the pattern matches the empty string too
        if not final and skipped.end() > size - MARGIN:
            # So may the window's end have cut it (a marker there is not found at all).
            raise Cut(skipped.start(1) if skipped.start(1) >= 0 else pos)
        pos = skipped.end()
        if mark >= 0 and pos == limit:
            if skipped.start(1) >= 0:
                pos = skipped.start(1)
            while pos <= mark:  # the few tokens up to and over the marker, read one by one
                token, pos = read_token(text, pos, final=final)
                yield token
            continue
        if pos >= size:
            return
        token, pos = read_token(text, pos, final=final)
        yield token


# In the head, runs that change nothing find_head keeps but "an element that belongs in
# the head was seen": whitespace, <script>, <style> and <title> with their raw text, and
# end tags other than the four that end the head (find_head's own test, with its re.I).
_HEAD_RUN = re.compile(
    r"(?:\s++|<(?:(?=[sStT])(?:"
    + _raw_elements(("script", "style", "title"))
    + r")|/(?!(?i:head|body|html|br)[\s/>])[A-Za-z][^>]*+>))*+"
)
_START_TAG = re.compile("<[A-Za-z]")


def head_tokens(text: str, start: int) -> Iterator[Tag | tuple[str, int, int]]:
    """The tokens of ``tokens.tokens(text, start)`` (HTML mode) that may matter to
    ``splice.find_head``; each run of those that cannot is one ``("seen", begin, end)``
    (a head element among them) or ``("skipped", begin, end)``."""
    pos, size = start, len(text)
    while pos < size:
        run = _HEAD_RUN.match(text, pos)
        assert run is not None  # the pattern matches the empty string too
        if run.end() > pos:
            seen = _START_TAG.search(text, pos, run.end()) is not None
            yield ("seen" if seen else "skipped", pos, run.end())
            pos = run.end()
            if pos >= size:
                return
        token, pos = read_token(text, pos)
        yield token
