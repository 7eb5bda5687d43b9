"""Which product token a ``User-Agent`` header names: whole words, case-insensitively.

The one place the tool matches user agents against registry tokens — for the server
blocking configs (as a regular expression each server evaluates) and for reading access
logs (in Python), so a request is called "GPTBot" by the same rule everywhere.

ai.robots.txt's FAQ asks for whole-word, case-insensitive matching: a token must not match
inside a longer word (``Spider`` inside ``Sogou web spider`` is a word, but ``Bot`` inside
``GPTBot`` is not). Token characters are letters, ``_`` and ``-`` (RFC 9309 §2.2.1) and
digits appear in versions, so a word boundary is any character outside ``[A-Za-z0-9_-]``
or either end of the header — written as explicit groups, not ``\\b`` (which splits at
``-``, so that ``Google`` would match inside ``Google-Extended``) and not lookarounds,
which RE2 (Caddy, Cloudflare's rules engine) does not have.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

_EDGE = "[^A-Za-z0-9_-]"
# Product names in user agents: robots.txt tokens, and clients that read no robots.txt
# and so have no token, only a name with digits (img2dataset).
_WORD = re.compile(r"[A-Za-z0-9_-]+")


def pattern(tokens: Iterable[str]) -> str:
    """A regular expression (PCRE, RE2 and Python alike) matching a header that names any
    of ``tokens`` as a whole word. Case-insensitivity is the caller's flag: ``(?i)``,
    nginx's ``~*``, Apache's ``[NC]``, ``re.I``. Raises ValueError for anything but
    letters, digits, ``_`` and ``-``."""
    words = sorted(set(tokens), key=lambda t: (-len(t), t))
    for word in words:
        if not _WORD.fullmatch(word):
            raise ValueError(f"{word!r} is not a product name (letters, digits, '_', '-')")
    if not words:
        raise ValueError("no tokens to match")
    # Word characters are literal in every regex dialect ('-' too, outside a character
    # class), so no escaping is needed (and none that RE2 would reject).
    return f"(^|{_EDGE})({'|'.join(words)})({_EDGE}|$)"


@functools.cache
def _compiled(tokens: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(pattern(tokens), re.IGNORECASE)


def identify(user_agent: str, tokens: tuple[str, ...]) -> str | None:
    """The token ``user_agent`` names, as spelled in ``tokens``; None when it names none.

    When several do, a token in product form (``GPTBot/1.2``, RFC 9110 §10.1.5) beats one
    that is only a word of a comment or URL (``+https://openai.com/gptbot`` names the
    ``OpenAI`` token too); then the longest wins.
    """
    if not tokens:
        return None
    found = {
        (m.group(3) == "/", m.group(2).lower()) for m in _finditer(_compiled(tokens), user_agent)
    }
    if not found:
        return None
    by_lower = {t.lower(): t for t in tokens}
    return by_lower[max(found, key=lambda f: (f[0], len(f[1]), f[1]))[1]]


def _finditer(regex: re.Pattern[str], text: str) -> Iterable[re.Match[str]]:
    # Matches share edge characters ("GPTBot CCBot"): restart one character after each
    # match's token instead of after its trailing edge, so no neighbour is skipped.
    position = 0
    while (match := regex.search(text, position)) is not None:
        yield match
        position = match.end(2)
