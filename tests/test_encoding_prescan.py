"""The page's encoding as browsers find it: WHATWG's prescan of the first 1024 bytes,
checked against html5lib's implementation of the same algorithm."""

from __future__ import annotations

import codecs
import re

import html5lib
import pytest
from html5lib._inputstream import EncodingParser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import examples

from optout_site.html.encoding import detect_encoding, prescan
from optout_site.html.splice import Wanted, splice


def html5lib_says(data: bytes) -> str | None:
    found = EncodingParser(data[:1024]).getEncoding()  # what html5lib's stream hands it
    return None if found is None else found.name


def ours(data: bytes) -> str | None:
    found = prescan(data)
    return None if isinstance(found, bool) else found.name


HEADS = {
    "commented out": b'<!-- <meta charset="windows-1252"> --><meta charset="utf-8">',
    "commented out, alone": b'<html><!-- <meta charset="windows-1252"> --><head><title>t',
    "comment with > inside": b'<!-- a > b <meta charset="koi8-r"> --><meta charset=utf-8>',
    "plain": b'<meta charset="windows-1252">',
    "unquoted": b"<META CHARSET=ISO-8859-2>",
    "pragma": b'<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">',
    "content without pragma": b'<meta content="text/html; charset=koi8-r">',
    "pragma after content": b"<meta content=\"text/html;charset='euc-kr'\" http-equiv=content-type>",
    "description mentions charset": b'<meta name="description" content="charset=koi8-r">',
    "in an attribute value": b'<img alt="<meta charset=koi8-r>"><meta charset=utf-8>',
    "in a bogus comment": b"<!doctype html <meta charset=koi8-r>><meta charset=gbk>",
    "in a processing instruction": b"<?php <meta charset=koi8-r> ?><meta charset=big5>",
    "end tag attributes": b'</p x="<meta charset=koi8-r>"><meta charset=euc-jp>',
    "script is not skipped": b"<script>'<meta charset=koi8-r>'</script><meta charset=gbk>",
    "unknown label first": b"<meta charset=bogus><meta charset=iso-8859-5>",
    "utf-16 label": b'<meta charset="utf-16le">',
    "x-user-defined": b"<meta charset=x-user-defined>",
    "duplicate attribute": b"<meta charset=koi8-r charset=gbk>",
    "no space after meta": b"<metacharset=koi8-r><meta charset=gbk>",
    "beyond 1024 bytes": b"<!--" + b"x" * 1030 + b"--><meta charset=koi8-r>",
    "cut at 1024": b"<p>" + b"x" * 1000 + b'<meta charset="koi8-r" a="',
    "empty": b"",
}


@pytest.mark.parametrize("name", HEADS)
def test_tricky_heads_agree_with_html5lib(name):
    assert ours(HEADS[name]) == html5lib_says(HEADS[name])


@pytest.mark.parametrize("real", ['<meta charset="utf-8">', ""])
def test_a_commented_out_charset_leaves_a_utf8_page_utf8(real):
    page = (
        f'<!DOCTYPE html><html><head><!-- <meta charset="windows-1252"> -->{real}'
        "<title>Été</title></head><body><p>x</p>\n</body></html>"
    ).encode()
    assert detect_encoding(page) == ("utf-8", 0)
    out = splice(page, Wanted(footer=("https://a.example/ai/", "Réservation IA")))
    assert "Réservation IA".encode() in out
    # Without a declaration the server's Content-Type says UTF-8 (what we assume).
    transport = None if real else "utf-8"
    doc = html5lib.parse(out, namespaceHTMLElements=False, transport_encoding=transport)
    assert doc.find(".//a").text == "Réservation IA"


def test_where_html5lib_departs_from_the_spec_we_follow_the_spec():
    """``<!-->`` is a whole comment (the '>' follows '--' after the '<'), and ``<meta/``
    starts a meta like ``<meta `` does; html5lib's prescan reads on to the next '-->' and
    wants a space after "meta" (and reads on inside "<meta<meta …", which is a tag)."""
    assert ours(b"<!--><meta charset=koi8-r>-->") == "koi8-r"
    assert ours(b"<meta/charset=koi8-r>") == "koi8-r"
    assert ours(b"<meta<meta charset=koi8-r>") is None
    assert ours(b"<<meta charset=koi8-r>") == "koi8-r"
    assert ours(b"<x<meta charset=koi8-r>") is None  # one tag, named "x<meta"


# html5lib reads a meta after "<meta" only with a space next, reads "<metax" as no tag,
# skips the tag after a "<" that starts none ("<<meta"), and ends a tag name at "<"
# ("<x<meta" is a meta to it, a tag named "x<meta" to the spec); the spec does none of it.
HTML5LIB_META = re.compile(rb"<meta(?![\t\n\x0c\r ])|<<|</?[A-Za-z][^\t\n\x0c\r />]*<", re.I)
FRAGMENTS = st.sampled_from(
    [
        "<meta charset=koi8-r>",
        '<meta charset="gbk">',
        "<META CHARSET='Shift_JIS'>",
        "<meta charset=bogus>",
        "<meta charset=utf-16be>",
        '<meta http-equiv="content-type" content="text/html; charset=iso-8859-7">',
        '<meta content="text/html; charset=windows-1251">',
        "<meta http-equiv=Content-Type>",
        "<meta content='charset=\"big5\"' http-equiv='CONTENT-TYPE'>",
        '<meta name="x" content="charset=koi8-u">',
        "<meta",
        "<!--",
        "-->",
        "<!-- c -->",
        "<!doctype html>",
        "<?xml-ish ?>",
        "</p>",
        "</p a='>'>",
        '<img alt=">">',
        '<a title="<meta charset=gb18030>">',
        "<script>",
        "<title>",
        " ",
        "\n",
        "=",
        "'",
        '"',
        "/",
        ">",
        "<",
        "x",
        "é",
    ]
)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS, max_size=14), st.integers(0, 1100))
def test_property_our_prescan_is_html5libs(parts, pad):
    data = ("x" * pad if pad > 1000 else "").encode() + "".join(parts).encode("utf-8")
    # Where html5lib departs from the spec (see above), there is nothing to compare.
    if b"<!-->" in data or b"<!--->" in data or HTML5LIB_META.search(data):
        return
    assert ours(data) == html5lib_says(data)


@given(st.lists(FRAGMENTS, max_size=10))
@settings(max_examples=examples(100), deadline=None)
def test_property_detected_encoding_is_a_python_codec(parts):
    encoding, _ = detect_encoding("".join(parts).encode("utf-8"))
    codecs.lookup(encoding)
