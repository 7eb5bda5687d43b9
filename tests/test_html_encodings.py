"""Our tags in a page's own encoding: UTF-16 and UTF-32 pages (a BOM says so) get what
their UTF-8 twins get, a character the page's encoding lacks goes in as a character
reference, quotes and ampersands in our values are escaped, and bytes that are not the
encoding they claim are refused in plain words."""

from __future__ import annotations

import pytest

from optout_site.errors import HtmlError
from optout_site.html.splice import Wanted, splice

RESERVE = Wanted(
    metas=(("tdm-reservation", "1"), ("tdm-policy", "https://a.example/policies/tdm.json")),
    robots_add=("noai", "noimageai"),
    footer=("https://a.example/ai-reservation/", "AI rights"),
    footer_before="body",
)
# A tag right after the BOM, characters past ASCII and past the BMP's first plane.
PAGE = "\ufeff<head><title>é</title></head><body><p>中 𝄞</p></body>"
SPLICED = (
    '\ufeff<head><meta name="tdm-reservation" content="1">'
    '<meta name="tdm-policy" content="https://a.example/policies/tdm.json">'
    '<meta name="robots" content="noai, noimageai" data-optout-site="">'
    "<title>é</title></head><body><p>中 𝄞</p>"
    '<a class="optout-site-reservation" href="https://a.example/ai-reservation/">AI rights</a>'
    "</body>"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_a_page_with_a_bom_gets_our_tags_in_its_own_encoding(encoding):
    out = splice(PAGE.encode(encoding), RESERVE)
    assert out == SPLICED.encode(encoding)
    assert splice(out, RESERVE) == out


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            PAGE.encode("utf-16-le") + b"\x00\xd8<\x00",
            "page declares utf-16-le but is not valid utf-16-le: illegal UTF-16 surrogate",
        ),
        (
            PAGE.encode("utf-16-be") + b"<",
            "page declares utf-16-be but is not valid utf-16-be: truncated data",
        ),
        (
            PAGE.encode("utf-32-be") + b"\x00\x11\x00\x00",
            "page declares utf-32-be but is not valid utf-32-be: code point not in range(0x110000)",
        ),
    ],
)
def test_a_page_that_is_not_the_encoding_its_bom_claims_is_refused(data, message):
    with pytest.raises(HtmlError) as refused:
        splice(data, RESERVE)
    assert str(refused.value) == message


def test_a_character_the_pages_encoding_lacks_goes_in_as_a_character_reference():
    page = b'<html><head><meta charset="windows-1252"><title>t</title></head><body></body></html>'
    label = "AI \u201cno\u201d \u4e2d"  # curly quotes are in windows-1252, 中 is not
    out = splice(page, Wanted(footer=("https://a.example/r", label), footer_before="body"))
    assert out == page.replace(
        b"<body>",
        b'<body><a class="optout-site-reservation" href="https://a.example/r">'
        b"AI \x93no\x94 &#20013;</a>",
    )


def test_quotes_and_ampersands_in_our_values_are_escaped():
    wanted = Wanted(
        metas=(("tdm-policy", "https://a.example/p.json?a=\"b\"&c='d'"),),
        footer=('https://a.example/r?x="y"', 'Say "no" & mean it'),
        footer_before="body",
    )
    out = splice(b"<html><head></head><body></body></html>", wanted)
    assert out == (
        b"<html><head>"
        b'<meta name="tdm-policy" content="https://a.example/p.json?a=&quot;b&quot;&amp;c=&#x27;d&#x27;">'
        b'</head><body><a class="optout-site-reservation" href="https://a.example/r?x=&quot;y&quot;">'
        b"Say &quot;no&quot; &amp; mean it</a></body></html>"
    )
