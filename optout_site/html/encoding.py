"""What encoding an HTML page is in, and whether it is text at all.

Split from the splicer because the rules are their own subject (WHATWG's encoding
sniffing, BOMs, codecs Python knows but browsers never use for a page) and every
splice starts here: a wrong answer would garble the bytes we promise to keep.
"""

from __future__ import annotations

import codecs
import re

import webencodings

_XML_DECL_RE = re.compile(rb"^<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    # Before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def detect_encoding(data: bytes) -> tuple[str, int]:
    """The page's encoding and BOM length: BOM, then XML declaration, then meta charset."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    match = _XML_DECL_RE.match(data)
    if match:
        return _known_codec(match.group(1).decode("ascii")), 0
    found = prescan(data)
    if isinstance(found, webencodings.Encoding):
        return _known_codec(found.name), 0
    # An unknown label and nothing else: markup is still ASCII, and ASCII (char refs) is
    # all we insert then.
    return ("ascii" if found else "utf-8"), 0


def _known_codec(label: str) -> str:
    """The Python codec for an encoding label, as browsers read the label (WHATWG)."""
    encoding = webencodings.lookup(label)
    if encoding is None:
        # Unknown label: markup is still ASCII, and we only insert ASCII (char refs).
        return "ascii"
    if encoding.name.startswith("utf-16"):
        # WHATWG: a UTF-16 label found by the ASCII prescan means UTF-8 (bytes that spell
        # the label in ASCII are not UTF-16); inserting UTF-16 would garble the page.
        return "utf-8"
    if encoding.name == "x-user-defined":  # the prescan reads it as windows-1252
        return "cp1252"
    try:
        codec = codecs.lookup(encoding.codec_info.name).name
    except LookupError:  # WHATWG's "replacement": the page is unreadable anyway
        return "ascii"
    return codec if _ascii_compatible_codec(codec) else "ascii"


# --- WHATWG "prescan a byte stream to determine its encoding" ------------------------
# https://html.spec.whatwg.org/multipage/parsing.html#prescan-a-byte-stream-to-determine-its-encoding
# Comments are skipped (a commented-out <meta charset> says nothing), attributes are read
# by the spec's own rules, and a meta counts only with charset=, or with content= and
# http-equiv="content-type" together.

_SPACE = b"\t\n\x0c\r "
_PRESCAN_BYTES = 1024


class _End(Exception):
    """The bytes ran out inside a tag: the prescan gives up (as html5lib does)."""


def prescan(data: bytes) -> webencodings.Encoding | bool:
    """The encoding the first 1024 bytes declare; else whether a label was seen that no
    browser knows (True) or none at all (False)."""
    data = data[:_PRESCAN_BYTES]
    unknown = False
    pos, end = 0, len(data)
    try:
        while pos < end:
            if data.startswith(b"<!--", pos):
                close = data.find(b"-->", pos + 2)  # "<!-->" is a whole comment
                if close < 0:
                    break
                pos = close + 3
            elif data[pos : pos + 5].lower() == b"<meta" and _is_space_or_slash(data, pos + 5):
                pos, found = _meta(data, pos + 6)
                if isinstance(found, webencodings.Encoding):
                    return found
                unknown = unknown or found
            elif data[pos : pos + 1] == b"<" and _letter_at(
                data, pos + 1 + (data[pos + 1 : pos + 2] == b"/")
            ):
                pos = _skip_tag(data, pos)
            elif data[pos : pos + 2] in (b"<!", b"</", b"<?"):
                close = data.find(b">", pos + 2)
                if close < 0:
                    break
                pos = close + 1
            else:
                pos += 1
    except _End:
        pass
    return unknown


def _is_space_or_slash(data: bytes, pos: int) -> bool:
    return pos < len(data) and data[pos] in _SPACE + b"/"


def _letter_at(data: bytes, pos: int) -> bool:
    return pos < len(data) and (0x41 <= data[pos] <= 0x5A or 0x61 <= data[pos] <= 0x7A)


def _skip_tag(data: bytes, pos: int) -> int:
    """Past a start or end tag's name and attributes (whose values may hold '>')."""
    while pos < len(data) and data[pos] not in _SPACE + b">":
        pos += 1
    while True:
        attr, pos = _attribute(data, pos)
        if attr is None:
            return pos


def _meta(data: bytes, pos: int) -> tuple[int, webencodings.Encoding | bool]:
    """Read a meta's attributes: the encoding it declares, else whether it named one no
    browser knows."""
    seen: set[bytes] = set()
    pragma = False
    need_pragma: bool | None = None
    charset: webencodings.Encoding | None = None
    unknown = False
    while True:
        attr, pos = _attribute(data, pos)
        if attr is None:
            break
        name, value = attr
        if name in seen:
            continue
        seen.add(name)
        if name == b"http-equiv" and value == b"content-type":
            pragma = True
        elif name == b"content" and charset is None and need_pragma is not False:
            label = _charset_in_content(value)
            found = webencodings.lookup(label.decode("latin-1")) if label is not None else None
            if found is not None:
                charset, need_pragma = found, True
        elif name == b"charset":
            charset = webencodings.lookup(value.decode("latin-1"))
            need_pragma, unknown = False, charset is None
    if need_pragma is None or (need_pragma and not pragma) or charset is None:
        return pos, unknown
    return pos, charset


def _attribute(data: bytes, pos: int) -> tuple[tuple[bytes, bytes] | None, int]:
    """The spec's "get an attribute": (name, value) lower-cased, and where it ends; None
    at '>'. Raises _End where the bytes run out."""
    end = len(data)
    while pos < end and data[pos] in _SPACE + b"/":
        pos += 1
    _more(pos, end)
    if data[pos] == 0x3E:
        return None, pos + 1
    name = bytearray()
    while True:
        _more(pos, end)
        byte = data[pos]
        if byte == 0x3D and name:  # "="
            pos += 1
            break
        if byte in _SPACE:
            while pos < end and data[pos] in _SPACE:
                pos += 1
            _more(pos, end)
            if data[pos] != 0x3D:
                return (bytes(name), b""), pos
            pos += 1
            break
        if byte in b"/>":
            return (bytes(name), b""), pos
        name.append(_lower(byte))
        pos += 1
    while pos < end and data[pos] in _SPACE:
        pos += 1
    _more(pos, end)
    quote = data[pos]
    if quote in b"\"'":
        close = data.find(bytes([quote]), pos + 1)
        if close < 0:
            raise _End
        return (bytes(name), data[pos + 1 : close].lower()), close + 1
    if quote == 0x3E:
        return (bytes(name), b""), pos
    start = pos
    while pos < end and data[pos] not in _SPACE + b">":
        pos += 1
    _more(pos, end)
    return (bytes(name), data[start:pos].lower()), pos


def _more(pos: int, end: int) -> None:
    if pos >= end:
        raise _End


def _lower(byte: int) -> int:
    return byte + 0x20 if 0x41 <= byte <= 0x5A else byte


_CONTENT_CHARSET = re.compile(rb"charset[\t\n\x0c\r ]*=[\t\n\x0c\r ]*", re.I)


def _charset_in_content(value: bytes) -> bytes | None:
    """WHATWG "extracting a character encoding from a meta element" (content=…)."""
    pos = 0
    while True:
        at = value.lower().find(b"charset", pos)
        if at < 0:
            return None
        match = _CONTENT_CHARSET.match(value, at)
        if match is None:
            pos = at + 7
            continue
        rest = value[match.end() :]
        if rest[:1] in (b'"', b"'"):
            close = rest.find(rest[:1], 1)
            return rest[1:close] if close > 0 else None
        token = re.match(rb"[^\t\n\x0c\r ;]+", rest)
        return token.group(0) if token else None


_ASCII_PROBE = "".join(map(chr, range(0x20, 0x7F))) + "\t\n\r"


def _ascii_compatible_codec(codec: str) -> bool:
    """Whether ``codec`` writes our ASCII markup as ASCII and other text as real bytes.

    codecs.lookup also knows transforms (base64, rot13: a LookupError on encode, which
    took the whole build down), escape schemes (unicode_escape, punycode, UTF-7: "1"
    became "1-"), BOM writers (utf-8-sig) and UTF-32, none of which a browser would use
    for a page whose label it read in ASCII. Those pages get ASCII and char refs only.
    """
    try:
        if _ASCII_PROBE.encode(codec) != _ASCII_PROBE.encode("ascii"):
            return False
        for ch in "\u00e9\u20ac\u4e2d":
            raw = ch.encode(codec, "xmlcharrefreplace")
            if raw.isascii() and raw != f"&#{ord(ch)};".encode("ascii"):
                return False
    except (LookupError, UnicodeError, TypeError, ValueError):
        return False
    return True


def is_ascii_compatible(encoding: str) -> bool:
    return not encoding.startswith(("utf-16", "utf-32"))


def looks_wide(data: bytes) -> bool:
    """Every other byte of the first few is NUL: UTF-16/32 text, not an ASCII page."""
    head = data[:8]
    return len(head) >= 4 and (not any(head[0::2]) or not any(head[1::2]))


# Files that are certainly not text: images (any name), gzip, zip, PDF.
_BINARY_MAGIC = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
    b"\x1f\x8b",
    b"PK\x03\x04",
    b"%PDF-",
)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")  # not ESC: ISO-2022 text


def looks_binary(data: bytes) -> bool:
    """Tags spliced into the front of a misnamed image would corrupt it, so binary data is
    refused: a known signature, or control bytes in more than 1/16 of the first 512 bytes
    (random data has 1/9; a page with a stray NUL is still a page)."""
    if data.startswith(_BINARY_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return True
    head = data[:512]
    return len(_CONTROL.findall(head)) * 16 > len(head)
