"""Whose image is this: the author names a file already carries, and whether they are ours.

A published photo may be someone else's (a Nikon file whose EXIF Artist names the
photographer). Containers report the names they find in EXIF IFD0 Artist/Copyright and
IPTC-IIM By-line as :func:`decode` d texts; the XMP merge adds ``dc:creator``. A name
counts as another author's only when it differs from ours beyond case, spacing, accents
and a copyright notice around it ("© 2024 Jane Doe" names Jane Doe). A copyright line
with no name in it ("Copyright 2024", "All rights reserved") names nobody.

Pure functions over text: no import from the rest of the package, so every container
plugin may use them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# What a copyright line says besides the name: "(c)", the word, years, the formula (a
# "©" sign goes with the other punctuation when folding).
_BOILERPLATE = re.compile(
    r"\(c\)|\bcopyright\b|\ball rights reserved\b|\bphoto(?:graph)?\b|\bby\b|\d+",
    re.IGNORECASE,
)


def decode(raw: bytes) -> tuple[str, ...]:
    """The texts of an EXIF ASCII or IIM value: NUL-separated (EXIF Copyright holds
    "photographer\\0editor"), UTF-8 where valid, else Latin-1, blanks dropped."""
    out = []
    for part in raw.split(b"\x00"):
        try:
            text = part.decode("utf-8")
        except UnicodeDecodeError:
            text = part.decode("latin-1")
        text = " ".join(text.split())
        if text:
            out.append(text)
    return tuple(out)


def _fold(text: str) -> str:
    """Lower case, no accents, words separated by single spaces, punctuation dropped."""
    bare = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    words = re.sub(r"[\W_]+", " ", bare.casefold())
    return " ".join(words.split())


def _name(text: str) -> str:
    return _fold(_BOILERPLATE.sub(" ", text))


def names_someone(text: str) -> bool:
    """False for a copyright line without a name ("Copyright 2024. All rights reserved.")."""
    return bool(_name(text))


def same_author(found: str, ours: str) -> bool:
    """``found`` names the author ``ours`` names: either name contains the other, once
    folded and stripped of copyright boilerplate."""
    a, b = _name(found), _name(ours)
    if not a or not b:
        return False
    return f" {b} " in f" {a} " or f" {a} " in f" {b} "


def other_author(found: Iterable[str], ours: Iterable[str]) -> str | None:
    """The first name in ``found`` that is nobody in ``ours``, or None."""
    own = [name for name in ours if names_someone(name)]
    for text in found:
        if names_someone(text) and not any(same_author(text, name) for name in own):
            return text
    return None
