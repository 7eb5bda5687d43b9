"""HTML splicing: only our tags change, every other byte stays, a second run is a no-op."""

from __future__ import annotations

import re

import html5lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree, html
from support import examples

from optout_site.errors import HtmlError
from optout_site.html.splice import Wanted, detect_encoding, find_head, in_order, splice

RESERVE = Wanted(
    metas=(("tdm-reservation", "1"), ("tdm-policy", "https://a.example/policies/tdm.json")),
    robots_add=("noai", "noimageai"),
)
RELEASE = Wanted(metas=(("tdm-reservation", "0"), ("tdm-policy", None)))
OUR_TAG = re.compile(
    r'(\r?\n[ \t]*)?<(meta name="(tdm-reservation|tdm-policy)" content="[^"]*"'
    r'|meta name="robots" content="[^"]*" data-optout-site=""'
    r'|link rel="[^"]*" type="[^"]*" href="[^"]*" data-optout-site="")( /)?>'
)


def only_our_tags_inserted(before: bytes, after: bytes) -> bool:
    """Output minus our tags (each with the line break we put before it) equals the input."""
    return OUR_TAG.sub("", after.decode("latin-1")) == before.decode("latin-1")


def metas(page: bytes) -> dict[str, list[str]]:
    """What an independent parser (lxml) sees in the head."""
    doc = html.document_fromstring(page)
    out: dict[str, list[str]] = {}
    for meta in doc.iter("meta"):
        if meta.get("name"):
            out.setdefault(meta.get("name").lower(), []).append(meta.get("content"))
    return out


CASES = {
    "plain": b'<!DOCTYPE html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>x</title>\n  </head>\n  <body><p>hi</p></body>\n</html>\n',
    "no head": b"<!doctype html><html lang=en><title>x</title><body><p>x</body></html>",
    "fragment": b'<div class="w">\n  <p>x</p>\n</div>\n',
    "upper case": b"<HTML><HEAD><TITLE>X</TITLE></HEAD><BODY>x</BODY></HTML>",
    "comment with head": b"<!-- <head><meta name=tdm-reservation content=0></head> -->\n<html><head><title>t</title></head><body></body></html>",
    "bom": b"\xef\xbb\xbf<!DOCTYPE html><html><head><meta charset=utf-8><title>t</title></head></html>",
    "crlf": b"<html>\r\n<head>\r\n\t<title>t</title>\r\n</head>\r\n<body></body></html>\r\n",
    "script with head": b"<html><head><script>var s = '<head><meta name=robots content=noindex>';</script></head><body></body></html>",
    "attrs with >": b'<html><head data-x="a>b"><title>t</title></head></html>',
    "minified": b"<!DOCTYPE html><html><head><meta charset=utf-8><title>t</title><link rel=stylesheet href=/a.css></head><body></body></html>",
}


@pytest.mark.parametrize("name", CASES)
def test_splice_inserts_only_our_tags_and_is_idempotent(name):
    page = CASES[name]
    out = splice(page, RESERVE)
    assert only_our_tags_inserted(page, out), out
    assert splice(out, RESERVE) == out
    seen = metas(out)
    if name != "comment with head" and name != "script with head":
        assert seen["tdm-reservation"] == ["1"]
        assert seen["robots"] == ["noai, noimageai"]
    else:
        assert seen.get("tdm-reservation") == ["1"]


def test_our_tags_go_after_charset_and_line_up():
    out = splice(CASES["plain"], RESERVE)
    assert out.startswith(
        b'<!DOCTYPE html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <meta name="tdm-reservation" content="1">\n'
    )


@pytest.mark.parametrize(
    ("declaration", "after_it"),
    [
        (b'<meta http-equiv="Content-Type" content="text/html; charset=utf-8">', True),
        (b"<meta HTTP-EQUIV=' content-type ' content='text/html; charset=utf-8'>", True),
        (b'<meta http-equiv="refresh" content="5">', False),  # declares no encoding
    ],
)
def test_our_tags_go_after_a_content_type_declaration(declaration, after_it):
    wanted = Wanted(metas=(("tdm-reservation", "1"),))
    page = b"<html><head><title>t</title>" + declaration + b"<meta name=x></head></html>"
    ours = b'<meta name="tdm-reservation" content="1">'
    if after_it:  # the encoding is declared before anything of ours
        assert splice(page, wanted) == page.replace(declaration, declaration + ours)
    else:
        assert splice(page, wanted) == page.replace(b"<head>", b"<head>" + ours)


def test_no_head_tags_land_in_the_implied_head():
    out = splice(CASES["no head"], RESERVE)
    doc = html.document_fromstring(out)
    assert doc.find("head/meta[@name='tdm-reservation']") is not None


def test_the_authors_robots_tag_is_never_edited_and_noindex_never_added():
    page = b'<html><head><meta name="robots" content="noindex, nofollow"><title>t</title></head></html>'
    out = splice(page, RESERVE)
    assert b'<meta name="robots" content="noindex, nofollow">' in out
    assert b'<meta name="robots" content="noai, noimageai" data-optout-site="">' in out
    assert splice(out, RESERVE) == out
    released = splice(out, RELEASE)
    assert released.replace(b'<meta name="tdm-reservation" content="0">', b"") == page
    assert b"noindex" not in splice(CASES["plain"], RESERVE)


def test_the_authors_own_noai_is_kept_where_the_policy_allows_ai():
    """Remove only what the tool added: a hand-written noai stays on an unreserved path."""
    page = b'<html><head><meta name="robots" content="noindex, noai"><title>t</title></head></html>'
    released = splice(page, RELEASE)
    assert released.replace(b'<meta name="tdm-reservation" content="0">', b"") == page
    # Where it already says what we would, we add nothing beyond the missing directive.
    reserved = splice(page, RESERVE)
    assert b'<meta name="robots" content="noimageai" data-optout-site="">' in reserved
    assert b'content="noindex, noai"' in reserved


NOARCHIVE = Wanted(metas=RESERVE.metas, robots_add=("noai", "noimageai", "noarchive"))


def test_noarchive_joins_our_tag_and_leaves_the_authors_alone():
    """robots_meta.bing_noarchive: our tag grows by one directive, in place, and shrinks back."""
    built = splice(CASES["plain"], RESERVE)
    on = splice(built, NOARCHIVE)
    assert on == built.replace(
        b'content="noai, noimageai"', b'content="noai, noimageai, noarchive"'
    )
    assert splice(on, NOARCHIVE) == on
    assert splice(on, RESERVE) == built
    # The author's own noarchive (or nocache) is theirs: kept as written, not repeated.
    page = b'<html><head><meta name="robots" content="noarchive, nocache"><title>t</title></head></html>'
    out = splice(page, NOARCHIVE)
    assert b'<meta name="robots" content="noarchive, nocache">' in out
    assert b'<meta name="robots" content="noai, noimageai" data-optout-site="">' in out
    assert b"noindex" not in out
    assert splice(out, RELEASE).replace(b'<meta name="tdm-reservation" content="0">', b"") == page


def test_an_authors_robots_meta_without_content_says_nothing_and_is_left_alone():
    """A robots meta with no content attribute holds no directive: ours says them all."""
    page = b'<html><head><meta name="robots"><title>t</title></head><body></body></html>'
    out = splice(page, RESERVE)
    assert b'<meta name="robots"><title>' in out
    assert b'<meta name="robots" content="noai, noimageai" data-optout-site="">' in out
    assert splice(out, RESERVE) == out


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16-be", "utf-32-le"])
def test_our_tag_from_before_the_mark_is_recognised(encoding):
    """Builds before the data-optout-site mark wrote exactly this tag beside our meta (in
    the page's own encoding: a UTF-16 page spells it with a NUL between ASCII bytes)."""

    def page(text: str) -> bytes:
        return text.encode() if encoding == "utf-8" else ("\ufeff" + text).encode(encoding)

    legacy = (
        '<html><head><meta name="tdm-reservation" content="1">'
        '<meta name="robots" content="noai, noimageai"><title>t</title></head></html>'
    )
    released = splice(page(legacy), RELEASE).decode(encoding)
    assert "noai" not in released
    # Without our tdm-reservation meta it is the author's, and stays.
    authors = legacy.replace('<meta name="tdm-reservation" content="1">', "")
    assert 'content="noai, noimageai"' in splice(page(authors), RELEASE).decode(encoding)


@pytest.mark.parametrize(
    ("close", "marked"),
    [  # inserted before '>', or right before a self-closing '/': no byte of the tag moves
        (b">", b' data-optout-site="">'),
        (b"/>", b' data-optout-site=""/>'),
        (b" />", b'  data-optout-site=""/>'),
    ],
)
def test_our_tag_from_before_the_mark_is_marked_in_place(close, marked):
    head = b'<html><head><meta name="tdm-reservation" content="1">'
    tag = b'<meta name="robots" content="noai, noimageai"'
    wanted = Wanted(metas=(("tdm-reservation", "1"),), robots_add=("noai", "noimageai"))
    out = splice(head + tag + close + b"<title>t</title>", wanted)
    assert out == head + tag + marked + b"<title>t</title>"


@pytest.mark.parametrize(
    ("content", "updated"),
    [
        (b"content=noai", b'content="noai, noimageai"'),  # unquoted: quotes added
        (b"content='noai'", b"content='noai, noimageai'"),  # the author's quotes kept
        (b'content="noai"', b'content="noai, noimageai"'),
    ],
)
def test_our_tags_value_is_updated_in_its_own_quotes(content, updated):
    wanted = Wanted(robots_add=("noai", "noimageai"))
    page = b"<html><head><meta name=robots " + content + b" data-optout-site><title>t</title>"
    assert splice(page, wanted) == page.replace(content, updated)


def test_existing_tags_are_updated_not_duplicated():
    page = (
        b"<html><head>\n<meta name=\"TDM-Reservation\" content='0'>\n"
        b'<meta name="tdm-reservation" content="0">\n<title>t</title></head></html>'
    )
    out = splice(page, RESERVE)
    assert metas(out)["tdm-reservation"] == ["1"]
    assert out.lower().count(b"tdm-reservation") == 1 and b"TDM-Reservation" in out


def test_release_removes_policy_and_our_robots_tag_without_leaving_gaps():
    reserved = splice(CASES["plain"], RESERVE)
    released = splice(reserved, RELEASE)
    assert b"tdm-policy" not in released and b"noai" not in released
    assert released == CASES["plain"].replace(
        b'<meta charset="utf-8">\n',
        b'<meta charset="utf-8">\n    <meta name="tdm-reservation" content="0">\n',
    )


def test_xhtml_gets_self_closing_tags_and_stays_well_formed():
    page = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        b"<head><title>t</title></head><body/></html>"
    )
    out = splice(page, RESERVE)
    assert b'<meta name="tdm-reservation" content="1" />' in out
    etree.fromstring(out)  # parses as XML


def test_latin1_page_keeps_its_bytes_and_gets_char_refs():
    page = '<html><head><meta charset="ISO-8859-1"><title>été</title></head></html>'.encode(
        "latin-1"
    )
    wanted = Wanted(metas=(("tdm-policy", "https://a.example/politique-été.json"),))
    out = splice(page, wanted)
    assert "été".encode("latin-1") in out
    assert b"politique-\xe9t\xe9.json" in out
    assert only_our_tags_inserted(page, out)


def test_utf16_page_round_trips():
    page = "\ufeff<html><head><title>x</title></head></html>".encode("utf-16-le")
    out = splice(page, RESERVE)
    assert out.decode("utf-16-le").count("tdm-reservation") == 1
    assert splice(out, RESERVE) == out


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b'<meta charset="windows-1252">', "cp1252"),
        (b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">', "cp1252"),
        (b'<?xml version="1.0" encoding="iso-8859-15"?><html/>', "iso8859-15"),
        (b"<html></html>", "utf-8"),
        (b'<meta charset="klingon">', "ascii"),
    ],
)
def test_detect_encoding(data, encoding):
    assert detect_encoding(data)[0] == encoding


def test_find_head_ignores_body_metas():
    text = (
        "<html><head><title>t</title></head><body><meta name=robots content=noindex></body></html>"
    )
    assert find_head(text, 0).metas == []


# --- property-based: random pages built from realistic pieces -------------------------

head_items = st.sampled_from(
    [
        '<meta charset="utf-8">',
        "<meta charset=UTF-8>",
        "<title>Été &amp; <b></title>",
        '<link rel="stylesheet" href="/a.css">',
        "<script>if (a < b) { x = '<head>'; }</script>",
        "<style>p > a { color: red }</style>",
        "<!-- a comment <head> -->",
        '<meta name="description" content="a > b">',
        '<meta name="robots" content="noindex">',
        '<meta name="tdm-reservation" content="0">',
        "<base href=/>",
        "<noscript><style>x{}</style></noscript>",
        "<META NAME=ROBOTS CONTENT=NOFOLLOW>",
        "<meta name=viewport content='width=device-width'>",
    ]
)
body_items = st.sampled_from(
    [
        "<p>text</p>",
        "<img src=a.jpg alt='<head>'>",
        "<div><meta name=robots content=noindex></div>",
        "<p>unclosed",
        "<p>a stray \x00 NUL in a paragraph</p>",
        "<script>document.write('<head>')</script>",
        "plain text",
        "<br/>",
    ]
)
whitespace = st.sampled_from(["", "\n", "\n  ", "\r\n\t", " "])


@st.composite
def pages(draw):
    parts = [draw(st.sampled_from(["", "<!DOCTYPE html>", "\ufeff<!doctype html>", "<!-- c -->"]))]
    has_html = draw(st.booleans())
    has_head = draw(st.booleans())
    if has_html:
        parts.append(draw(st.sampled_from(["<html>", '<html lang="fr">', "<HTML>"])))
    if has_head:
        parts.append(draw(st.sampled_from(["<head>", "<HEAD>", '<head data-x="y>z">'])))
    for item in draw(st.lists(head_items, max_size=6)):
        parts += [draw(whitespace), item]
    if has_head and draw(st.booleans()):
        parts.append("</head>")
    if draw(st.booleans()):
        parts.append("<body>")
    for item in draw(st.lists(body_items, max_size=4)):
        parts += [draw(whitespace), item]
    if has_html and draw(st.booleans()):
        parts.append("</body></html>")
    parts.append(draw(whitespace))
    return "".join(parts).encode("utf-8")


@pytest.mark.slow  # 300 examples, ~2 s
@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page=pages(), wanted=st.sampled_from([RESERVE, RELEASE]))
def test_property_only_our_tags_change_and_second_run_is_a_noop(page, wanted):
    out = splice(page, wanted)
    assert splice(out, wanted) == out
    if b"tdm-" not in page and b"robots" not in page.lower():
        assert only_our_tags_inserted(page, out)
    # Whatever the page, a spec-conformant HTML5 parser (html5lib, independent of our
    # tokenizer) sees exactly one reservation meta in the head, with the wanted value.
    doc = html5lib.parse(out, namespaceHTMLElements=False)
    values = [
        m.get("content")
        for m in doc.find("head").iter("meta")
        if (m.get("name") or "").lower() == "tdm-reservation"
    ]
    assert values == [wanted.metas[0][1]]


@settings(max_examples=examples(200), deadline=None)
@given(st.binary(max_size=400))
def test_property_arbitrary_bytes_never_crash_and_converge(data):
    try:
        out = splice(data, RESERVE)
    except HtmlError:
        return  # HtmlError: refused, which is allowed; the caller leaves the file alone
    assert splice(out, RESERVE) == out


# --- markup that hides code: PHP, DTD internal subsets, XML PIs, WHATWG comments ---------

STAMP = Wanted(metas=(("tdm-reservation", "1"),), robots_add=("noai", "noimageai"))
XHTML_NS = "{http://www.w3.org/1999/xhtml}"


def head_meta_names(page: bytes) -> list[str]:
    """The meta names html5lib (a spec-conformant HTML5 parser) puts in <head>."""
    doc = html5lib.parse(page, namespaceHTMLElements=False)
    return [m.get("name") or "" for m in doc.find("head").iter("meta")]


def xml_head_meta_names(page: bytes) -> list[str]:
    """The meta names an XML parser puts in the XHTML <head> (the page must be well-formed)."""
    root = etree.fromstring(page)
    head = root.find(f"{XHTML_NS}head")
    return [m.get("name") or "" for m in head.iter(f"{XHTML_NS}meta")]


@pytest.mark.parametrize(
    "opening",
    [
        b'<?php if ($user->isAdmin()) { echo "<b>admin</b>"; } ?>\n',
        b"<?PHP echo $a->b; ?>\n",
        b"<?= $page->title ?>\n",
    ],
)
def test_a_page_with_php_is_refused_with_a_reason(opening):
    """Before: the tags went after the '>' of '->', inside the PHP code."""
    page = opening + b"<!DOCTYPE html>\n<html><head><title>t</title></head><body></body></html>\n"
    with pytest.raises(HtmlError, match=r"server-side code \(<\?(php|PHP|=)\)"):
        splice(page, STAMP)
    # Anywhere in the page, not only before the doctype.
    body_php = b"<html><head><title>t</title></head><body><?php echo 1; ?></body></html>"
    with pytest.raises(HtmlError, match="server-side code"):
        splice(body_php, STAMP)


def test_a_php_page_goes_out_as_is_and_is_reported(tmp_path):
    from optout_site.build.plan import Task
    from optout_site.build.report import ERROR
    from optout_site.build.work import process

    page = b"<?php if ($user->isAdmin()) { ?>\n<!DOCTYPE html>\n<html><head></head></html>\n"
    src = tmp_path / "index.html"
    src.write_bytes(page)
    result = process(Task("index.html", src, src, "page", False, page=STAMP))
    assert result.action == ERROR and "server-side code (<?php)" in result.message
    assert src.read_bytes() == page


def test_xhtml_doctype_internal_subset_is_skipped():
    """Before: the tags went into the DTD (after the first '>'), no longer well-formed."""
    page = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE html [\n  <!ENTITY copy "&#169;">\n  <!ENTITY arrow "a->b">\n]>\n'
        b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head>'
        b"<body><p>&copy;</p></body></html>\n"
    )
    out = splice(page, STAMP)
    assert out.startswith(page[: page.index(b"<head>") + 6] + b'<meta name="tdm-reservation"')
    assert only_our_tags_inserted(page, out) and splice(out, STAMP) == out
    assert xml_head_meta_names(out) == ["tdm-reservation", "robots"]


def test_xml_processing_instruction_ends_at_question_mark_gt():
    """Before: the tags went into the href, after 'x=>'."""
    page = (
        b'<?xml version="1.0"?>\n<?xml-stylesheet href="a.xsl?x=>1" type="text/xsl"?>\n'
        b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head>'
        b"<body><p>x</p></body></html>\n"
    )
    out = splice(page, STAMP)
    assert b'href="a.xsl?x=>1" type="text/xsl"?>\n<html' in out
    assert only_our_tags_inserted(page, out) and splice(out, STAMP) == out
    assert xml_head_meta_names(out) == ["tdm-reservation", "robots"]
    # Without a head, the tags still go after the whole PI.
    headless = page.replace(b"<head><title>t</title></head>", b"")
    assert b'type="text/xsl"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><meta ' in splice(
        headless, STAMP
    )


def test_xhtml_by_namespace_reads_cdata_in_scripts_as_xml_does():
    """No XML declaration: the XHTML namespace makes it XML. Before: a '</script>' in a
    CDATA section ended the script, and the tags went after a <meta charset> in the CDATA."""
    page = (
        b'<html xmlns="http://www.w3.org/1999/xhtml"><head><script>//<![CDATA[\n'
        b'var s = "</script><meta charset=utf-8/>";\n//]]></script><title>t</title></head>'
        b"<body></body></html>"
    )
    out = splice(page, STAMP)
    assert out.startswith(
        b'<html xmlns="http://www.w3.org/1999/xhtml"><head><meta name="tdm-reservation"'
    )
    assert xml_head_meta_names(out) == ["tdm-reservation", "robots"]
    assert head_meta_names(out)[:2] == ["tdm-reservation", "robots"]


@pytest.mark.parametrize(
    "comment",
    [b"<!-->", b"<!--->", b"<!-- a --!>", b"<!---->", b"<!-- a -- b --->"],
)
def test_whatwg_comment_ends(comment):
    """Before (<!-->, <!--->, --!>): the comment ran on to a '-->' in a script string and
    the tags went into the string."""
    page = b"<!DOCTYPE html>\n" + comment + b"<script>var s = '-->';</script>\n<p>x</p>\n"
    out = splice(page, STAMP)
    at = len(b"<!DOCTYPE html>\n" + comment)
    assert out[:at] == page[:at] and out[at:].startswith(b'<meta name="tdm-reservation"')
    assert out.endswith(b"<script>var s = '-->';</script>\n<p>x</p>\n")
    assert head_meta_names(out) == ["tdm-reservation", "robots"]
    assert only_our_tags_inserted(page, out) and splice(out, STAMP) == out


def test_in_html_a_processing_instruction_is_a_bogus_comment_ending_at_the_first_gt():
    """Not XML, so '<?x>' ends at its '>' (WHATWG), not at a '?>' inside a script string."""
    page = b'<?x><script>var s = "?>";</script><p>x</p>'
    out = splice(page, STAMP)
    assert out.startswith(b'<?x><meta name="tdm-reservation"')
    assert head_meta_names(out) == ["tdm-reservation", "robots"]


# --- property: html5lib (and, for XHTML, an XML parser) agree with our splice ----------

OURS = {"tdm-reservation", "tdm-policy"}


def _is_our_element(name: str, attrs: dict[str, str]) -> bool:
    return name == "meta" and (attrs.get("name", "").lower() in OURS or "data-optout-site" in attrs)


def html5lib_events(page: bytes) -> list[tuple[str, ...]]:
    """html5lib's tree of a page as events, our elements removed and whitespace-only text
    (where our tags' line breaks go) dropped, so trees compare across the splice."""
    doc = html5lib.parse(page, treebuilder="dom", namespaceHTMLElements=False)
    events: list[tuple[str, ...]] = []
    for token in html5lib.getTreeWalker("dom")(doc):
        kind = token["type"]
        if kind in ("StartTag", "EmptyTag"):
            attrs = {k[1]: v for k, v in token["data"].items()}
            if kind == "EmptyTag" and _is_our_element(token["name"], attrs):
                continue
            events.append((kind, token["name"], *sorted(f"{k}={v}" for k, v in attrs.items())))
        elif kind in ("Characters", "SpaceCharacters"):
            if events and events[-1][0] == "text":
                events[-1] = ("text", events[-1][1] + token["data"])
            else:
                events.append(("text", token["data"]))
        elif kind == "EndTag":
            events.append((kind, token["name"]))
        else:
            events.append((kind, repr(sorted((k, str(v)) for k, v in token.items()))))
    return [e for e in events if e[0] != "text" or e[1].strip()]


def xml_events(page: bytes) -> list[tuple[str, ...]]:
    root = etree.fromstring(page)
    events: list[tuple[str, ...]] = []
    for action, el in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        if action in ("comment", "pi"):
            events.append((action, str(el)))
            continue
        name = etree.QName(el).localname
        if name == "meta" and _is_our_element(name, dict(el.attrib)):
            continue
        if action == "start":
            events.append(("start", name, *sorted(f"{k}={v}" for k, v in el.attrib.items())))
            events.append(("text", (el.text or "").strip()))
        else:
            events.append(("end", name))
            events.append(("text", (el.tail or "").strip()))
    return [e for e in events if e[0] != "text" or e[1]]


# (fragment, html5lib reads it as an XML parser does)
HTML_PROLOG = [
    "",
    "<!DOCTYPE html>",
    "<!doctype html>\n",
    "<!-- c -->",
    "<!-->",
    "<!--->",
    "<!-- a --!>",
    "<!---->",
    "<!-- <head> -- -->",
    "<?x a?>",
    "<!DOCTYPE html [ <!ENTITY a 'b'> ]>",
]
HTML_HEAD = [
    '<meta charset="utf-8">',
    "<title>a &amp; <b></title>",
    "<script>var s = '</head><meta name=tdm-reservation content=0>';</script>",
    "<script>var c = '-->', d = '--!>', e = '?>';</script>",
    "<style>p > a { color: red }</style>",
    "<!--><!-- x --!>",
    "<!--->",
    '<meta name="description" content="a > b">',
    "<link rel=stylesheet href='a.css?x=>1'>",
    '<meta name="robots" content="noindex">',
    "<?pi a>",
]
HTML_BODY = ["<p>text</p>", "<img alt='<head>' src=a.jpg>", "<!--> <p>y</p>", "plain", "<br/>"]

XML_DECL = ['<?xml version="1.0" encoding="UTF-8"?>\n', ""]
XML_MISC = [
    ('<?xml-stylesheet href="a.xsl" type="text/xsl"?>\n', True),
    ('<?xml-stylesheet href="a.xsl?x=>1" type="text/xsl"?>\n', False),
    ("<!-- c -->\n", True),
]
XML_DOCTYPE = [
    ("", True),
    (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n',
        True,
    ),
    ('<!DOCTYPE html [\n  <!ENTITY copy "&#169;">\n  <!ENTITY arrow "a->b">\n]>\n', False),
    ("<!DOCTYPE html [ <!-- ]> --> <?pi ]>?> <!ENTITY e ']>'> ]>\n", False),
]
XML_HEAD = [
    ('<meta charset="utf-8" />', True),
    ("<title>a &amp; b</title>", True),
    ('<script>//<![CDATA[\nvar s = "</head><meta charset=utf-8/>";\n//]]></script>', True),
    ("<style><![CDATA[ p > a { color: red } ]]></style>", True),
    ('<link rel="stylesheet" href="a.css?x=>1" />', True),
    ("<!-- a <head> -->", True),
    ("<?pi x=>1?>", False),
    ('<meta name="robots" content="noindex" />', True),
]


@st.composite
def spliceable_pages(draw):
    """(page, html5lib_agrees, is_xml): an HTML or an XHTML page built from tricky pieces."""
    ws = st.sampled_from(["", "\n", "\n  "])
    if draw(st.booleans()):
        parts = [draw(st.sampled_from(HTML_PROLOG))]
        has_html = draw(st.booleans())
        if has_html:
            parts.append(draw(st.sampled_from(["<html>", '<html lang="fr">'])))
        has_head = draw(st.booleans())
        if has_head:
            parts.append(draw(st.sampled_from(["<head>", '<head data-x="a>b">'])))
        for item in draw(st.lists(st.sampled_from(HTML_HEAD), max_size=5)):
            parts += [draw(ws), item]
        if has_head and draw(st.booleans()):
            parts.append("</head>")
        parts.append(draw(st.sampled_from(["", "<body>"])))
        for item in draw(st.lists(st.sampled_from(HTML_BODY), max_size=3)):
            parts += [draw(ws), item]
        page = "".join(parts)
        return page.encode("utf-8"), "[" not in parts[0], False
    prolog = draw(st.lists(st.sampled_from(XML_MISC), max_size=2, unique=True))
    prolog.insert(draw(st.integers(0, len(prolog))), draw(st.sampled_from(XML_DOCTYPE)))
    head = draw(st.lists(st.sampled_from(XML_HEAD), max_size=4, unique=True))
    parts = [draw(st.sampled_from(XML_DECL)), *(p for p, _ in prolog)]
    parts.append('<html xmlns="http://www.w3.org/1999/xhtml">\n<head>')
    for item, _ in head:
        parts += [draw(ws), item]
    parts.append("</head>\n<body><p>x</p></body></html>\n")
    agrees = all(ok for _, ok in prolog + head)
    return "".join(parts).encode("utf-8"), agrees, True


@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=spliceable_pages())
def test_property_our_tags_land_in_the_head_and_nothing_else_moves(case):
    page, html5lib_agrees, xml = case
    out = splice(page, STAMP)
    assert splice(out, STAMP) == out
    assert only_our_tags_inserted(page, out)  # (b) byte-exact
    if html5lib_agrees:
        # (a) an HTML5 parser finds our tags in the head, (c) and nothing else moved.
        names = head_meta_names(out)
        assert names.count("tdm-reservation") == 1 and names.count("robots") >= 1, out
        assert html5lib_events(out) == html5lib_events(page), out
    if xml:
        # The same, by an XML parser; and a well-formed page stays well-formed.
        names = xml_head_meta_names(out)
        assert names.count("tdm-reservation") == 1, out
        assert xml_events(out) == xml_events(page), out


# Our own tags carrying a charset declaration (a hand edit, a theme merging attributes):
# rewriting or removing them would change the encoding the next build detects, and the
# build after would rewrite the page again, forever. Refused, the page left as it is.
ON = Wanted(metas=(("tdm-reservation", "1"),), robots_add=("noai", "noimageai"))
OFF = Wanted(metas=(("tdm-reservation", None),))
ENCODING_CHANGES = [
    (
        b'<html><head><meta name="robots" content="charset=windows-1252" data-optout-site=""'
        b' http-equiv="content-type"></head><body>\xe9</body>',
        ON,
    ),
    (
        b'<html><head><meta name="tdm-reservation" content="charset=windows-1252"'
        b' http-equiv="content-type"></head><body>\xe9</body>',
        ON,
    ),
    (
        b'<html><head><meta name="tdm-reservation" content="1" charset="windows-1252"></head>'
        b"<body>\xe9</body>",
        OFF,
    ),
]


@pytest.mark.parametrize(("page", "wanted"), ENCODING_CHANGES)
def test_an_edit_that_would_change_the_detected_encoding_is_refused(page, wanted):
    assert detect_encoding(page)[0] == "cp1252"
    with pytest.raises(HtmlError) as raised:
        splice(page, wanted)
    assert str(raised.value) == (
        "editing the head would change the page's detected encoding; left untouched"
    )


@pytest.mark.parametrize(
    ("edits", "ordered"),
    [
        ([(5, 7, "b"), (1, 2, "a")], [(1, 2, "a"), (5, 7, "b")]),
        ([(3, 5, ""), (3, 3, "x")], [(3, 3, "x"), (3, 5, "")]),  # an insert, then a removal
        ([(2, 4, ""), (4, 4, "y")], [(2, 4, ""), (4, 4, "y")]),  # touching is no overlap
        ([(4, 4, "y"), (2, 4, "")], [(2, 4, ""), (4, 4, "y")]),
        ([(1, 4, ""), (3, 6, "")], None),
        ([(3, 6, ""), (1, 4, "")], None),
        ([(2, 3, ""), (1, 5, "")], None),  # one inside another
    ],
)
def test_edits_are_made_in_order_and_overlapping_ones_refused(edits, ordered):
    if ordered is not None:
        assert in_order(edits) == ordered
        return
    with pytest.raises(HtmlError) as raised:
        in_order(edits)
    assert str(raised.value) == "overlapping edits; the head is too malformed to edit safely"
