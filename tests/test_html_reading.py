"""How a page is read, stated by hand: each token's kind and extent by HTML's and by XML's
rules (html/tokens.py), whether a page is XHTML, where its head takes our tags and which
of its tags are the head's (splice.find_head), the head skip's runs, and the refusals of
what only looks like a page."""

from __future__ import annotations

import pytest

from optout_site.errors import HtmlError
from optout_site.html.skip import head_tokens
from optout_site.html.splice import Wanted, find_head, splice
from optout_site.html.tokens import Cut, Tag, is_xml, read_token, tokens

XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'

# (page, xml, tokens as (kind, the text it spans)): a start tag's kind is "<" + its name.
TOKENS = [
    # CDATA: a bogus comment to the first '>' in HTML, a section to its ']]>' in XML.
    (
        "<p><![CDATA[ a>b ]]>x",
        False,
        [("<p", "<p>"), ("other", "<![CDATA[ a>"), ("text", "b ]]>x")],
    ),
    ("<p><![CDATA[ a>b ]]>x", True, [("<p", "<p>"), ("other", "<![CDATA[ a>b ]]>"), ("text", "x")]),
    ("a]]><![CDATA[]]><b>", True, [("text", "a]]>"), ("other", "<![CDATA[]]>"), ("<b", "<b>")]),
    # Processing instructions: to the first '>' in HTML, to '?>' in XML.
    (
        "<p><?x a>b ?><??>c",
        False,
        [("<p", "<p>"), ("other", "<?x a>"), ("text", "b ?>"), ("other", "<??>"), ("text", "c")],
    ),
    (
        "<p><?x a>b ?><??>c",
        True,
        [("<p", "<p>"), ("other", "<?x a>b ?>"), ("other", "<??>"), ("text", "c")],
    ),
    # Other '<!' markup is a bogus comment to its first '>', even with a '[' before it.
    ("<p><!x a>b", False, [("<p", "<p>"), ("other", "<!x a>"), ("text", "b")]),
    ("<p><!x [a>b]>c", False, [("<p", "<p>"), ("other", "<!x [a>"), ("text", "b]>c")]),
    ("<!DocType html><p>", False, [("other", "<!DocType html>"), ("<p", "<p>")]),
    # End tags: a name right after '</', else a bogus comment; to the first '>' or the end.
    (
        '</p></ p></></1></P  x="y>z">',
        False,
        [
            ("end", "</p>"),
            ("other", "</ p>"),
            ("other", "</>"),
            ("other", "</1>"),
            ("end", '</P  x="y>'),
            ("text", 'z">'),
        ],
    ),
    ("<p></div", False, [("<p", "<p>"), ("end", "</div")]),
    # A '<' that starts no tag is text of its own.
    ("<1<p>", False, [("text", "<"), ("text", "1"), ("<p", "<p>")]),
]


def _read(token: Tag | tuple[str, int, int], page: str) -> tuple[str, str]:
    if isinstance(token, Tag):
        return "<" + token.name, page[token.start : token.end]
    kind, begin, end = token
    return kind, page[begin:end]


@pytest.mark.parametrize(("page", "xml", "expected"), TOKENS)
def test_tokens_are_read_by_the_pages_language(page, xml, expected):
    read = tokens(page, xml=True) if xml else tokens(page)  # HTML is the default
    assert [_read(token, page) for token in read] == expected


def test_a_token_is_cut_only_within_the_margin_of_a_windows_end():
    tag, end = read_token("<p>" + " " * 64, 0, final=False)  # ends 64 before the end
    assert (_read(tag, "<p>"), end) == (("<p", "<p>"), 3)
    with pytest.raises(Cut) as cut:
        read_token("<p>" + " " * 63, 0, final=False)
    assert cut.value.at == 0


# (text, start, final, XHTML?, or the offset a Cut names)
IS_XML = [
    ('<?xml version="1.0"?><html>', 0, True, True),  # the declaration decides
    ('\ufeff<?xml version="1.0"?><html>', 1, True, True),  # after a BOM
    ('<?XML version="1.0"?><html>', 0, True, False),  # no declaration: only "xml"
    (f"<!-- a --!> <p> --><html {XHTML}>", 0, True, True),  # read by XML's rules
    (f"<p><html {XHTML}>", 3, True, True),  # from start
    (f"<p><html {XHTML}>", 0, True, False),  # the first element is not <html>
    ("just text", 0, True, False),
    (" " * 40 + '<?xml version="1.0"?>', 40, False, Cut(40)),  # near a window's end
    ('<html data-x="' + "y" * 70 + '" xmlns="http://www.w3.org/1999/xh', 0, False, Cut(0)),
]


@pytest.mark.parametrize(("text", "start", "final", "expected"), IS_XML)
def test_is_xml_reads_the_declaration_or_the_first_element(text, start, final, expected):
    if isinstance(expected, Cut):
        with pytest.raises(Cut) as cut:
            is_xml(text, start, final=final)
        assert cut.value.at == expected.at
    else:
        assert is_xml(text, start, final=final) is expected


# (page with '|' where our tags go, start, meta and link tags of the head, XHTML?)
HEADS = [
    ("<html><head><meta charset=utf-8>|<title>t</title></head>", 0, 1, False),
    # A charset inside <noscript> or <template> is no anchor: parsers disagree on where
    # those end.
    ("<html><head>|<noscript><meta charset=utf-8></noscript><title>t</title>", 0, 1, False),
    ("<html><head>|<template><meta charset=utf-8></template>", 0, 1, False),
    ('<html xmlns=""><head>|<title>t</title>', 0, 0, True),  # our tags close with '/>'
    (f'<?xml version="1.0"?><html {XHTML}><head>|<title>t</title>', 0, 0, True),
    (f'\ufeff<?xml version="1.0"?><html {XHTML}><head>|<link rel=icon href=i>', 1, 1, True),
    # </body>, </html> and </br> end the head in any case; what follows is the body's.
    ('|<title>t</title></BODY><meta name="x">', 0, 0, False),
    ('|<title>t</title></br><meta name="x">', 0, 0, False),
    ('|<title>t</title></html><link rel="x">', 0, 0, False),
]


@pytest.mark.parametrize(("marked", "start", "tags", "xhtml"), HEADS)
def test_the_head_is_found_where_a_parser_puts_it(marked, start, tags, xhtml):
    page = marked.replace("|", "")
    head = find_head(page, start)
    assert (head.insert_at, len(head.metas) + len(head.links), head.xhtml) == (
        marked.index("|"),
        tags,
        xhtml,
    )


def test_a_head_cut_by_a_windows_end_says_so():
    with pytest.raises(Cut):
        find_head("<html><head>", 0, final=False)


def _run_or_token(token: Tag | tuple[str, int, int], page: str) -> tuple[str, str]:
    if isinstance(token, tuple) and token[0] in ("seen", "skipped"):
        return token[0], page[token[1] : token[2]]
    return _read(token, page)


def test_the_head_skip_yields_each_run_once_and_no_empty_token():
    page = "<head>\n  <script>a</script>\n  <meta charset=utf-8>\n</head>\n"
    assert [_run_or_token(t, page) for t in head_tokens(page, 0)] == [
        ("<head", "<head>"),
        ("seen", "\n  <script>a</script>\n  "),  # a head element among them
        ("<meta", "<meta charset=utf-8>"),
        ("skipped", "\n"),
        ("end", "</head>"),
        ("skipped", "\n"),
    ]


MARKED_ROBOTS = '<meta name="robots" content="noai, noimageai" data-optout-site="">'
OUR_RSL = (
    '<link rel="license" type="application/rsl+xml" href="https://a.example/license.xml"'
    ' data-optout-site="">'
)


@pytest.mark.parametrize(
    ("tag", "wanted"),
    [
        (MARKED_ROBOTS, Wanted(robots_add=("noai", "noimageai"))),
        (
            OUR_RSL,
            Wanted(links=(("license", "application/rsl+xml", "https://a.example/license.xml"),)),
        ),
    ],
)
def test_copies_of_our_head_tags_go_in_one_pass(tag, wanted):
    page = f"<html><head>\n{tag}\n{tag}\n{tag}\n<title>t</title></head></html>"
    expected = f"<html><head>\n{tag}\n<title>t</title></head></html>"
    assert splice(page.encode(), wanted).decode() == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            "<html><head></head><body>x</body></html>".encode("utf-16-le"),
            "page looks like UTF-16/UTF-32 without a byte order mark; left untouched "
            "(ASCII tags spliced in would garble it)",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
            "not an HTML page: the file holds binary data (an image or archive under an "
            ".html name?); left untouched",
        ),
    ],
)
def test_what_only_looks_like_a_page_is_refused_in_plain_words(data, message):
    with pytest.raises(HtmlError) as refused:
        splice(data, Wanted(metas=(("tdm-reservation", "1"),)))
    assert str(refused.value) == message
