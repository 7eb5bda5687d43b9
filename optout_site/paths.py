"""URL paths and robots.txt path patterns: the one place they are normalised and matched.

Every writer and the checker ask this module, so a rule means the same thing in the
build (``Policy.resolve``), in robots.txt, tdmrep.json, RSL and the header configs, and in
``optout-site check``. Crawlers compare paths in one canonical form, and so do we:

* **Normalised once.** RFC 9309 §2.2.2 compares percent-encoded octets: non-ASCII and
  characters that may not stand in a URL path are percent-encoded (UTF-8), and an escape
  of an unreserved character is decoded (RFC 3986 §6.2.2.2: ``/%7Ejane/`` is ``/~jane/``).
  Hex digits are upper case (§6.2.2.1). Escapes of reserved characters stay escaped:
  ``/a%2Fb`` is not ``/a/b``. A ``%`` that starts no escape is itself encoded (``%25``).
  Rule paths are normalised when the config is read; request paths when they are asked
  about; file paths when the site is scanned (:func:`file_url_path`).
* **Matched as RFC 9309 §2.2.3 says.** ``*`` matches any run of characters, a ``$`` at
  the end anchors the end; everything else is a literal prefix match from the first octet.
* **Specificity** is the number of octets of the normalised pattern (§2.2.2: "the most
  specific match found MUST be used ... the match with the most octets"); since the
  normalised form is ASCII, that is its length.

Percent-encoded patterns are what every reader we test agrees on (Google's parser
encodes non-ASCII itself, Protego and urllib.robotparser decode both sides), so the
normalised form is also what the site-level files carry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Generic, TypeVar
from urllib.parse import quote

_HEX = "0123456789ABCDEFabcdef"
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# RFC 3986 pchar (unreserved, sub-delims, ":", "@") and "/" stand as they are; "?" too, since
# a robots.txt path may go on into the query. "#" would start a robots.txt comment.
_AS_IS = _UNRESERVED | frozenset(b"!$&'()*+,;=:@/?")
# File names are literal: "?" and "%" in a name are data, not syntax.
_FILE_SAFE = "/-._~!$&'()*+,;=:@"
# Already canonical: only characters kept as they are, and upper-case escapes of
# characters that must stay escaped. Most paths are; they skip the octet walk.
_CANONICAL = re.compile(
    r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%(?![46][1-9A-F]|[57][0-9A]|3[0-9]|2[DE]|5F|7E)[0-9A-F]{2})*"
)


def normalise(path: str) -> str:
    """The canonical form of a URL path or robots.txt pattern (see the module docstring).

    Idempotent: ``normalise(normalise(p)) == normalise(p)``. Undecodable file-system
    names (surrogate escapes) are encoded octet for octet.
    """
    if _CANONICAL.fullmatch(path):
        return path
    try:
        raw = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no file name produced
        raw = path.encode("utf-8", "surrogatepass")
    out: list[str] = []
    i = 0
    while i < len(raw):
        byte = raw[i]
        if byte == 0x25 and _is_hex(raw[i + 1 : i + 3]):
            value = int(raw[i + 1 : i + 3], 16)
            out.append(
                chr(value) if value in _UNRESERVED else "%" + raw[i + 1 : i + 3].decode().upper()
            )
            i += 3
            continue
        out.append(chr(byte) if byte in _AS_IS else f"%{byte:02X}")
        i += 1
    return "".join(out)


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(chr(b) in _HEX for b in pair)


def file_url_path(rel: PurePosixPath | str) -> str:
    """The normalised URL path a server answers for a file at ``rel`` inside the site.

    Every character of a file name is literal, so ``%``, ``?`` and ``#`` are encoded too.
    """
    raw = os.fsencode(str(rel))  # keeps undecodable names byte-exact (surrogateescape)
    return "/" + quote(raw, safe=_FILE_SAFE)


# --- patterns -------------------------------------------------------------------------


def is_plain(pattern: str) -> bool:
    """A pattern that matches exactly the paths it prefixes (no ``*``, no ``$`` anchor)."""
    return "*" not in pattern and not pattern.endswith("$")


def pieces(pattern: str) -> tuple[list[str], bool]:
    """The literal pieces between the ``*`` of a pattern, and whether ``$`` anchors it."""
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    return body.split("*"), anchored


def specificity(pattern: str) -> int:
    """RFC 9309 §2.2.2: the number of octets of the normalised pattern."""
    return len(normalise(pattern).encode("utf-8"))


@lru_cache(maxsize=4096)
def matcher(pattern: str) -> Callable[[str], bool]:
    """A test for normalised paths: does ``pattern`` (normalised here) match from octet 0?"""
    pattern = normalise(pattern)
    if is_plain(pattern):
        return lambda path: path.startswith(pattern)
    parts, anchored = pieces(pattern)
    regex = re.compile(".*".join(map(re.escape, parts)) + ("$" if anchored else ""), re.DOTALL)
    return lambda path: regex.match(path) is not None


def matches(pattern: str, path: str) -> bool:
    """Whether ``pattern`` matches ``path``, both taken in their normalised form."""
    return matcher(pattern)(normalise(path))


def example(pattern: str) -> str:
    """A concrete path the pattern matches, to sample it (``/a/*.jpg$`` → ``/a/x.jpg``)."""
    parts, _ = pieces(normalise(pattern))
    return "x".join(parts) or "/"


def inside(pattern: str) -> str:
    """A made-up file under the pattern (``/blog/`` → ``/blog/sample.html``)."""
    return example(pattern).rstrip("/") + "/sample.html"


T = TypeVar("T")


class LongestMatch(Generic[T]):
    """Patterns with values; the most specific matching pattern decides (RFC 9309 §2.2.2).

    ``tie(a, b)`` picks between values of equally specific patterns: robots.txt lets
    ``allow`` win (§2.2.2), the policy lets the rule written first win. Plain prefixes are
    indexed, so a lookup costs the path's length plus the wildcard patterns.
    """

    def __init__(
        self, items: Iterable[tuple[str, T]] = (), tie: Callable[[T, T], T] = lambda a, b: a
    ) -> None:
        self._tie = tie
        self._plain: dict[str, T] = {}
        self._special: list[tuple[int, str, T]] = []
        for pattern, value in items:
            self.add(pattern, value)

    def add(self, pattern: str, value: T) -> None:
        pattern = normalise(pattern)
        if not pattern:
            return  # RFC 9309: "Disallow:" with no path matches nothing
        if is_plain(pattern):
            old = self._plain.get(pattern)
            self._plain[pattern] = value if old is None else self._tie(old, value)
        else:
            self._special.append((len(pattern), pattern, value))

    def best(self, path: str) -> tuple[str, T] | None:
        """The deciding pattern and its value for ``path``; None when nothing matches."""
        path = normalise(path)
        found: tuple[int, str, T] | None = None
        for end in range(len(path), 0, -1):
            value = self._plain.get(path[:end])
            if value is not None:
                found = (end, path[:end], value)
                break
        for size, pattern, value in self._special:
            if found is not None and size < found[0]:
                continue
            if not matcher(pattern)(path):
                continue
            if found is None or size > found[0]:
                found = (size, pattern, value)
            else:
                found = (size, found[1], self._tie(found[2], value))
        return None if found is None else (found[1], found[2])

    def get(self, path: str, default: T) -> T:
        best = self.best(path)
        return default if best is None else best[1]
