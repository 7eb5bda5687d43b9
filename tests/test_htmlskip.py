"""The fast body skip (html/skip.py) finds exactly the tokens a full ``tokens`` pass finds
where the footer edit looks: our ``<a>`` tags, ``</body>`` and the chosen end tag."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import examples

from optout_site.errors import HtmlError
from optout_site.html import splice
from optout_site.html.skip import tokens_that_matter
from optout_site.html.splice import FOOTER_CLASS, Wanted
from optout_site.html.tokens import MARGIN, Cut, Tag, tokens

# Pieces that change where tokens end: comments (WHATWG endings), raw text, quotes
# holding '>' or end tags, doctypes with subsets, bogus comments, unterminated things,
# case variants, and characters that only re.I folds to ASCII (ſ, K).
FRAGMENTS = [
    "<html>",
    "<head>",
    "</head>",
    "<body>",
    "</body>",
    "</BODY >",
    "</body\n>",
    "</bodyx>",
    "</footer>",
    "</Footer\t>",
    "<footer>",
    "</nav>",
    "</main>",
    "</a>",
    "</ a>",
    "</>",
    f'<a class="{FOOTER_CLASS}" href="x">',
    f"<A class='x {FOOTER_CLASS}'>",
    f"<a class={FOOTER_CLASS}>",
    f'<a title="{FOOTER_CLASS}">',
    f'<div class="{FOOTER_CLASS}">',
    "<a>",
    "<a/>",
    "<a",
    "<ab>",
    "<p>",
    "<p",
    '<p title="a>b">',
    "<p title='</body>'>",
    '<p x="',
    "<p x='",
    "<p x=y>",
    "<p x = y z>",
    "<p / x>",
    "<br/>",
    "<script>",
    "<SCRIPT type=x>",
    "</script>",
    "</ScRiPt >",
    "<ſcript>",
    "</ſcript>",
    "<style>",
    "</style>",
    "<title>",
    "</title>",
    "<textarea>",
    "</textarea>",
    "<xmp>",
    "<iframe>",
    "</iframe>",
    "<noembed>",
    "<noframes>",
    "</noframes>",
    "<scripts>",
    "<!--",
    "-->",
    "--!>",
    "<!-->",
    "<!--->",
    "<!---->",
    "<!-- x -->",
    "-",
    "--",
    "<!doctype html>",
    "<!DOCTYPE html [ <!ENTITY x '>'> ]>",
    "<!DocType",
    "<!x>",
    "<!",
    "<?php x ?>",
    "<?",
    "<![CDATA[",
    "]]>",
    "<",
    ">",
    "<1",
    "<<",
    '"',
    "'",
    "=",
    "/",
    " ",
    "\n",
    # Each rule once, with an end tag that it hides or reveals.
    "<!-- x --!></body>-->",
    "<!--></body>-->",
    "<!---></footer>-->",
    "<p title='x>'></body>",
    "<script></body></script>",
    "<style></footer></STYLE></body>",
    "<!DOCTYPE x [ <!ENTITY y '>'> </body> ]></footer>",
    "<!x </body>",
    "<?x </footer>?>",
    "text",
    FOOTER_CLASS,  # our class name as text (a page about the tool), maybe where a read starts
    "é",
    "K",
    "</K>",
]
pages = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)


def _matters(token: Tag | tuple[str, int, int], text: str, before: str) -> bool:
    if isinstance(token, Tag):
        attr = token.get("class")
        return token.name == "a" and FOOTER_CLASS in (attr.value if attr else "").split()
    end = re.compile(rf"</(body|{re.escape(before)})[\s>]", re.I)
    return token[0] == "end" and end.match(text, token[1], token[2]) is not None


@pytest.mark.slow
@settings(max_examples=examples(1500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=pages, start=st.integers(0, 10), before=st.sampled_from(["footer", "body", "nav"]))
def test_the_skip_finds_what_a_full_pass_finds(text, start, before):
    start = min(start, len(text))
    full = [t for t in tokens(text, start) if _matters(t, text, before)]
    fast = [t for t in tokens_that_matter(text, start, before, FOOTER_CLASS)]
    assert [t for t in fast if _matters(t, text, before)] == full


# The cases the properties above find only now and then, for the fast loop: end tags the
# skip must not see inside raw text or a DOCTYPE named in any ASCII case.
CASES = [
    "<SCRIPT>x = '</body>'</SCRIPT></body>",
    "<Style>p::after { content: '</footer>' }</sTyLe><footer></footer></body>",
    "<TITLE></body></TITLE></body>",
    "<!DOCTYPE html></footer></body>",
    "<!DocType x [<!-- > -->]></body>",
]


@pytest.mark.parametrize("before", ["footer", "body"])
@pytest.mark.parametrize("text", CASES)
def test_the_skip_reads_names_in_any_ascii_case(text, before):
    full = [t for t in tokens(text, 0) if _matters(t, text, before)]
    fast = [t for t in tokens_that_matter(text, 0, before, FOOTER_CLASS)]
    assert [t for t in fast if _matters(t, text, before)] == full
    assert full  # each case holds an end tag that matters, outside the raw text


def _matter(found, text: str, before: str = "footer") -> list:
    return [t for t in found if _matters(t, text, before)]


def _start(token: Tag | tuple[str, int, int]) -> int:
    return token.start if isinstance(token, Tag) else token[1]


def test_our_class_name_as_the_first_text_hides_no_link_after_it():
    # A read that starts on our class name (a window of the stream may begin there).
    text = f'{FOOTER_CLASS} names our link: <a class="{FOOTER_CLASS}" href="/r">AI</a></body>\n'
    every = list(tokens(text, 0))
    full = _matter(every, text)
    assert [t.name if isinstance(t, Tag) else t[0] for t in full] == ["a", "end"]
    fast = list(tokens_that_matter(text, 0, "footer", FOOTER_CLASS))
    assert _matter(fast, text) == full
    assert all(t in every for t in fast)  # the others it yields are tokens too, none empty


def test_the_body_after_our_link_is_skipped_not_read_token_by_token():
    # The point of the skip (module docstring): after our link the pattern takes over
    # again; a few tokens around the link, not the thousand of the paragraphs after it.
    text = f'<a class="{FOOTER_CLASS}" href="/r">AI</a>' + "<p>x</p>\n" * 500 + "</body>"
    assert len(list(tokens_that_matter(text, 0, "footer", FOOTER_CLASS))) <= 4


# Every kind of token the skip stops at, each longer than a window's margin: our class name
# as text, a DOCTYPE with a subset, our link, an end tag padded with spaces.
WINDOWED = (
    "<p>a</p>\n" * 3
    + f"<p>{FOOTER_CLASS} is the class of the link to our AI reservation, below</p>\n"
    + '<!DOCTYPE x [ <!ENTITY y "'
    + "y" * 60
    + '"> ]>\n'
    + f'<a class="{FOOTER_CLASS}" href="https://a.example/ai-reservation/">AI</a>\n'
    + "</footer"
    + " " * 70
    + ">\n"
    + "<p>b</p>\n" * 3
    + "</body>\n"
)


def _read_in_window(window: str, start: int) -> tuple[list, int]:
    """What the skip yields in ``window`` of a longer page, and where its Cut says to go on."""
    found = []
    with pytest.raises(Cut) as cut:  # a page that goes on: it never ends by itself
        for token in tokens_that_matter(window, start, "footer", FOOTER_CLASS, final=False):
            found.append(token)
    return found, cut.value.at


def test_a_window_yields_whole_tokens_and_is_cut_where_a_token_starts():
    """At every window end, from every token start (as an offset, and as the window's
    first byte, as the stream reads): the tokens that matter before the cut are those a
    full pass finds there, none read short, and the cut is at a token of the page."""
    longest = max(t.end - t.start if isinstance(t, Tag) else t[2] - t[1] for t in tokens(WINDOWED))
    assert longest > MARGIN
    for begin in [_start(t) for t in tokens(WINDOWED)]:
        for shift in {0, begin}:  # the window from the page's first byte, or from begin
            page, start = WINDOWED[shift:], begin - shift
            full = list(tokens(page, start))
            starts = {_start(t) for t in full}
            for end in range(start + 1, len(page) + 1):
                found, at = _read_in_window(page[:end], start)
                assert at in starts, (begin, shift, end, at)
                expected = [t for t in full if _start(t) < at]
                assert _matter(found, page) == _matter(expected, page), (begin, shift, end)


def _full_pass(text: str, start: int, before: str, marker: str):  # the code before the skip
    return tokens(text, start)


@pytest.mark.slow
@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=pages,
    footer=st.sampled_from([("https://a.example/r/", "AI rights"), None]),
    before=st.sampled_from(["footer", "body", "nav"]),
)
def test_splice_is_byte_identical_to_the_full_pass(text, footer, before):
    wanted = Wanted(metas=(("tdm-reservation", "1"),), footer=footer, footer_before=before)
    data = ("<!doctype html><html><head><title>t</title></head><body>" + text).encode()
    results = []
    for scan in (tokens_that_matter, _full_pass):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(splice, "tokens_that_matter", scan)
            try:
                results.append(splice.splice(data, wanted))
            except HtmlError as exc:  # the same refusal, for the same reason
                results.append(str(exc).encode())
    assert results[0] == results[1]
