"""tokens._read_tag, one compiled match per attribute, reads every tag as the stepwise
reader it replaced did (a copy of that one is kept here): name, offsets, values, quotes,
self-closing, and where an unterminated tag ends."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import examples

from optout_site.html.tokens import Attr, Tag, _read_tag, next_token, tag_found_at, tokens

_TAG_NAME = re.compile(r"[A-Za-z][^\s/>]*")
_ATTR_NAME = re.compile(r"[^\s/>][^\s/>=]*")
_SPACE = re.compile(r"[\s/]*")
_WS = re.compile(r"\s*")
_UNQUOTED = re.compile(r"[^\s>]*")


def _end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    match = pattern.match(text, pos)
    assert match is not None
    return match.end()


def old_read_tag(text: str, start: int, name: re.Match[str]) -> Tag:
    """tokens._read_tag as it was (commit d646ae9)."""
    tag = Tag(name.group(0).lower(), start, len(text))
    pos, size = name.end(), len(text)
    while pos < size:
        pos = _end(_SPACE, text, pos)
        if pos >= size:
            break
        if text[pos] == ">":
            tag.end = pos + 1
            tag.self_closing = text[pos - 1] == "/"
            return tag
        attr = _ATTR_NAME.match(text, pos)
        if not attr:
            pos += 1
            continue
        pos = attr.end()
        after = _end(_WS, text, pos)
        if after < size and text[after] == "=":
            pos = _end(_WS, text, after + 1)
            if pos < size and text[pos] in "\"'":
                quote = text[pos]
                close = text.find(quote, pos + 1)
                close = size if close < 0 else close
                tag.attrs.append(
                    Attr(attr.group(0).lower(), text[pos + 1 : close], pos + 1, close, quote)
                )
                pos = close + 1
            else:
                end = _end(_UNQUOTED, text, pos)
                tag.attrs.append(Attr(attr.group(0).lower(), text[pos:end], pos, end, ""))
                pos = end
        else:
            tag.attrs.append(Attr(attr.group(0).lower(), "", pos, pos, ""))
    return tag


# What tags are made of, and what unsettles them: every kind of space (Unicode ones too,
# which \s matches), quotes, '=', '/', '>', case, a second '<'.
PIECES = st.sampled_from(
    [
        " ",
        "\t",
        "\n",
        "\x0c",
        "\u00a0",
        "\u2028",
        "/",
        "=",
        ">",
        '"',
        "'",
        "<",
        "a",
        "B",
        "name",
        "CONTENT",
        "x-y",
        "é",
        "İ",
        "data-optout-site",
        '="v"',
        "='w'",
        "=u",
    ]
)


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(PIECES, max_size=14), st.sampled_from(["a", "META", "br", "link"]))
def test_property_the_compiled_reader_reads_tags_as_the_stepwise_one(
    parts: list[str], name: str
) -> None:
    text = "x<" + name + "".join(parts)
    match = _TAG_NAME.match(text, 2)
    assert match is not None
    assert _read_tag(text, 1, match) == old_read_tag(text, 1, match)


@pytest.mark.parametrize(
    "text",
    [
        "<meta name=\"a\" content='b' data-x / >",
        "<br/>",
        "<a b= >",
        "<a b=",
        '<a b="unterminated',
        "<a b='unterminated",
        "<a b='x'c>",
        '<a b="x"c=d>',
        "<a =x>",
        "<a\u00a0b=c>",
    ],
)
def test_the_compiled_reader_on_odd_tags(text: str) -> None:
    match = _TAG_NAME.match(text, 1)
    assert match is not None
    assert _read_tag(text, 0, match) == old_read_tag(text, 0, match)


def test_a_whole_head_reads_the_same() -> None:
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8" />\n'
        '    <title>t &#8212; x</title>\n    <link rel="stylesheet" href="a.css?v=1" />\n'
        '    <script src="a.js"></script>\n  </head><body><p class=x>y</p></body></html>'
    )
    tags = [t for t in tokens(head) if isinstance(t, Tag)]
    assert [t.name for t in tags] == [
        "html",
        "head",
        "meta",
        "title",
        "link",
        "script",
        "body",
        "p",
    ]
    for tag in tags:
        match = _TAG_NAME.match(head, tag.start + 1)
        assert match is not None
        assert tag == old_read_tag(head, tag.start, match)


# Where a comment ends, by the WHATWG tokenizer (HTML) and XML 1.0 §2.5 (XHTML): the same
# end markers may stand before the comment, in text, and after its end, in later text.
COMMENT_ENDS = [
    # (text, the comment's offset, xml, where the next token starts)
    ("a --> b --!> <!-- c --> d", 13, False, 23),
    ("a --!> b <!-- c --!> d --!> e", 9, False, 20),
    ("<!-- c --!> d --> e --!>", 0, False, 11),
    ("<!-- c --> d --!> e", 0, False, 10),
    ("<!--> x -->", 0, False, 5),
    ("<!---> x -->", 0, False, 6),
    ("<!-- never closed", 0, False, 17),
    ("a --> <!-- c --> d", 6, True, 16),
    ("<!-- c --!> d --> e", 0, True, 17),  # XML knows no --!>
    ("<!--> x -->", 0, True, 11),  # nor an empty <!-->
]


@pytest.mark.parametrize(("text", "lt", "xml", "end"), COMMENT_ENDS)
def test_a_comment_ends_at_its_own_first_end_marker(text, lt, xml, end):
    token, after = next_token(text, lt, xml=xml)
    assert (token, after) == (("other", lt, end), end)


RAW_TEXT = [
    # The end tag's name in any case (WHATWG: an "appropriate end tag" compares ASCII
    # case-insensitively), and with a space or '/' after it.
    ("<script>a</SCRIPT><p>", ["script", ("end", 9, 18), "p"]),
    ("<style>x</Style >y", ["style", ("end", 8, 17), ("text", 17, 18)]),
    ("<title>a</title/>b", ["title", ("end", 8, 17), ("text", 17, 18)]),
    # Never closed: the rest of the page is the element's text, no tag in it is read.
    ("<script>never closed <p>", ["script"]),
    ("<script>a</scriptx><p>", ["script"]),
]


@pytest.mark.parametrize(("text", "expected"), RAW_TEXT)
def test_raw_text_runs_to_its_own_end_tag(text, expected):
    read = [t.name if isinstance(t, Tag) else t for t in tokens(text)]
    assert read == expected


# Where a DOCTYPE with an internal subset ends (XML 1.0 §2.8): a ']' or '>' inside a quoted
# literal, a comment or a processing instruction of the subset closes nothing. Each page
# ends in '<z>', the first token after the DOCTYPE; 'end' is None where the subset never
# closes and the DOCTYPE runs to the end of the text.
DOCTYPE_SUBSETS = [
    '<!DOCTYPE x [<!ENTITY a "]>">]><z>',
    "<!DOCTYPE x [<!ENTITY a ']>'>]><z>",
    '<!DOCTYPE x [""]><z>',
    "<!DOCTYPE x [<!-- ]> -->]><z>",
    "<!DOCTYPE x [<!---->]><z>",
    "<!DOCTYPE x [<?pi ]> ?>]><z>",
    "<!DOCTYPE x [<??>]><z>",
    "<!DOCTYPE x [ ]><z>",
    '<!DOCTYPE x SYSTEM "a"[<!ENTITY b "]>">]><z>',  # the subset right after a literal
    # Closers just before an opener are plain characters, and an X is no quote.
    "<!DOCTYPE x [ X a--><!-- ] --> b?><? ] ?> ]><z>",
]
UNCLOSED_SUBSETS = [
    '<!DOCTYPE x [<!ENTITY a "x">',
    '<!DOCTYPE x [<!ENTITY a "]>',
    "<!DOCTYPE x [<!-- ]>",
    "<!DOCTYPE x [<? ]>",
]


@pytest.mark.parametrize("xml", [False, True])
@pytest.mark.parametrize("text", DOCTYPE_SUBSETS)
def test_a_doctype_subset_ends_at_its_own_bracket(text, xml):
    token, after = next_token(text, 0, xml=xml)
    assert (token, after) == (("other", 0, len(text) - 3), len(text) - 3)
    assert text[after:] == "<z>"


@pytest.mark.parametrize("xml", [False, True])
@pytest.mark.parametrize("text", UNCLOSED_SUBSETS)
def test_an_unclosed_doctype_subset_runs_to_the_end(text, xml):
    assert next_token(text, 0, xml=xml) == (("other", 0, len(text)), len(text))


# XHTML (XML 1.0): a raw-text element's end tag inside a CDATA section or a comment ends
# nothing. In each page that closes, the end tag is the last '</script>', before '<z>'.
RAW_TEXT_XML = [
    '<script><![CDATA[ x = "</script>"; ]]></script><z>',
    "<script><![CDATA[]]></script><z>",
    "<script><!-- </script> --></script><z>",
    "<script><!----></script><z>",
    "<script>]]><![CDATA[</script>]]></script><z>",
    "<script>--><!-- </script> --></script><z>",
    "<script>a<</script><z>",
    "<script>a < b</script><z>",
]
NEVER_CLOSED_XML = [
    "<script><![CDATA[ never closed </script>",
    "<script><!-- never closed </script>",
]


@pytest.mark.parametrize("text", RAW_TEXT_XML)
def test_xhtml_raw_text_ends_outside_cdata_and_comments(text):
    end = text.rindex("</script>")
    script, end_tag, z = tokens(text, xml=True)
    assert isinstance(script, Tag) and script.name == "script"
    assert end_tag == ("end", end, end + 9)
    assert isinstance(z, Tag) and z.name == "z"


@pytest.mark.parametrize("text", NEVER_CLOSED_XML)
def test_xhtml_raw_text_never_closed_runs_to_the_end(text):
    assert [t.name if isinstance(t, Tag) else t for t in tokens(text, xml=True)] == ["script"]


# A DOCTYPE without a subset: in HTML it ends at the first '>' (WHATWG), quotes or not; in
# XML a quoted literal may hold '>'. A '[' after the DOCTYPE's end, or before it, opens
# no subset.
DOCTYPE_ENDS = [
    ('<!DOCTYPE html PUBLIC "a>b"><p>[</p>', False, 25),
    ('<!DOCTYPE html PUBLIC "a>b"><p>[</p>', True, 28),
    ('<!DOCTYPE x SYSTEM "a>b"><z>', True, 25),
    ("<!DOCTYPE x SYSTEM 'a>b'><z>", True, 25),
    ('<!DOCTYPE"a>b"><z>', True, 15),
    ('<!DOCTYPE"a>b"><z>', False, 12),
    ("<!doctype html><p>]></p>", False, 15),
    ("<!DOCTYPE x", True, 11),
    ('<!DOCTYPE X SYSTEM "a>b"><z>', True, 25),
    ('<!DOCTYPE x SYSTEM ""><z>', True, 22),
    ('<p>[</p><!DOCTYPE html PUBLIC "a>b"><z>', False, 33),  # a '[' before it opens none
]


@pytest.mark.parametrize(("text", "xml", "end"), DOCTYPE_ENDS)
def test_a_doctype_ends_where_its_language_says(text, xml, end):
    lt = text.index("<!")
    assert next_token(text, lt, xml=xml) == (("other", lt, end), end)


# Whether tags put at an offset are read back as tags: (text, at, insertion, xml, found).
# The page's own tokens end at 'at' or run over it; our leading whitespace joins the text.
TAG_FOUND = [
    ("", 0, "<a>", False, True),
    ("<p>", 3, "<a>", False, True),
    ("<!-- c -->", 10, "<a>", False, True),
    ("<p>x", 4, "<a>", False, True),
    ("abc", 3, "\n  <meta>", False, True),
    ("x", 0, " <a>", False, True),
    ("<!-- x", 6, "<a>", False, False),
    ("<p title='x", 11, "<a>", False, False),
    ("<script>x", 9, "<a>", False, False),
    ("</p", 3, "<a>", False, False),
    ("<!DOCTYPE x", 11, "<a>", True, False),
    ("<!-- x --!>", 11, "<a>", False, True),
    ("<!-- x --!>", 11, "<a>", True, False),  # XML knows no --!>
]


@pytest.mark.parametrize(("text", "at", "insertion", "xml", "found"), TAG_FOUND)
def test_tags_put_at_an_offset_are_read_back_unless_swallowed(text, at, insertion, xml, found):
    assert tag_found_at(text, 0, at, insertion, xml) is found
