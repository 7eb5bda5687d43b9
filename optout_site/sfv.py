"""RFC 9651 Structured Field Dictionaries, only as far as telling Tokens from everything
else: enough to read an AI-preferences statement (``train-ai=n, search=y``) the way the
draft says a reader must, and no further (no serialisation, no Decimal/Integer values)."""

from __future__ import annotations

import re

KEY = re.compile(r"[a-z*][a-z0-9_.*-]*")  # §3.1.2

_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_NUMBER = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,3})?")
_BYTES = re.compile(r":[A-Za-z0-9+/=]*:")
_BOOLEAN = re.compile(r"\?[01]")
_DATE = re.compile(r"@-?[0-9]{1,15}")
_STRING = re.compile(r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*"')
_DISPLAY = re.compile(r'%"(?:[\x20\x21\x23\x24\x26-\x5b\x5d-\x7e]|%[0-9a-f]{2}|\\["\\])*"')
_BARE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("token", _TOKEN),
    ("number", _NUMBER),
    ("string", _STRING),
    ("bytes", _BYTES),
    ("boolean", _BOOLEAN),
    ("date", _DATE),
    ("display", _DISPLAY),
)

Member = tuple[str, str]  # (kind, text): kind is a bare item type, "inner-list" or "true"


class _Fail(Exception):
    pass


def parse_dictionary(value: str) -> dict[str, Member] | None:
    """RFC 9651 §4.2.2 (with §4.2 trimming SP): key → (kind, text), last value wins."""
    text = value.strip(" ")
    pos = 0
    out: dict[str, Member] = {}
    try:
        while pos < len(text):
            key, pos = _key(text, pos)
            if text.startswith("=", pos):
                member, pos = _item_or_list(text, pos + 1)
            else:
                member, pos = ("boolean", "?1"), _params(text, pos)
            out[key] = member
            pos = _ows(text, pos)
            if pos == len(text):
                return out
            if text[pos] != ",":
                return None
            pos = _ows(text, pos + 1)
            if pos == len(text):
                return None  # trailing comma
    except _Fail:
        return None
    return out


def _ows(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _key(text: str, pos: int) -> tuple[str, int]:
    match = KEY.match(text, pos)
    if not match:
        raise _Fail
    return match.group(), match.end()


def _bare(text: str, pos: int) -> tuple[Member, int]:
    for kind, pattern in _BARE:
        match = pattern.match(text, pos)
        if match:
            return (kind, match.group()), match.end()
    raise _Fail


def _params(text: str, pos: int) -> int:
    while text.startswith(";", pos):
        pos += 1
        while pos < len(text) and text[pos] == " ":
            pos += 1
        _, pos = _key(text, pos)
        if text.startswith("=", pos):
            _, pos = _bare(text, pos + 1)
    return pos


def _item_or_list(text: str, pos: int) -> tuple[Member, int]:
    if not text.startswith("(", pos):
        member, pos = _bare(text, pos)
        return member, _params(text, pos)
    pos += 1
    while True:
        while pos < len(text) and text[pos] == " ":
            pos += 1
        if text.startswith(")", pos):
            return ("inner-list", ""), _params(text, pos + 1)
        _, pos = _bare(text, pos)
        pos = _params(text, pos)
        if pos >= len(text) or text[pos] not in " )":
            raise _Fail
