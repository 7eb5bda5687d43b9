"""What encoding an HTML page is in, and whether it is text at all.

Split from the splicer because the rules are their own subject (WHATWG's encoding
sniffing, BOMs, codecs Python knows but browsers never use for a page) and every
splice starts here: a wrong answer would garble the bytes we promise to keep.
"""

from __future__ import annotations

import codecs
import re

_CHARSET_RE = re.compile(rb"charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I)
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
    # WHATWG prescan looks at the first 1024 bytes; charset= inside a meta tag there wins.
    for meta in re.finditer(rb"<meta\b[^>]*>", data[:1024], re.I):
        match = _CHARSET_RE.search(meta.group(0))
        if match:
            return _known_codec(match.group(1).decode("ascii")), 0
    return "utf-8", 0


def _known_codec(name: str) -> str:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        # Unknown label: markup is still ASCII, and we only insert ASCII (char refs).
        return "ascii"
    if codec.startswith("utf-16"):
        # WHATWG: a UTF-16 label found by the ASCII prescan means UTF-8 (bytes that spell
        # the label in ASCII are not UTF-16); inserting UTF-16 would garble the page.
        return "utf-8"
    # WHATWG Encoding: browsers decode pages labelled latin-1 or ASCII as windows-1252.
    if codec in ("iso8859-1", "latin-1", "ascii"):
        return "cp1252"
    return codec if _ascii_compatible_codec(codec) else "ascii"


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
