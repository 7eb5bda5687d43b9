"""find_head's jump over the head's scripts, styles, titles, whitespace and ignored end
tags (html/skip.py ``head_tokens``) finds the head the full token reader finds: the same
insertion point, indentation, meta and link tags."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import examples
from test_htmlskip import FRAGMENTS

from optout_site.html import splice
from optout_site.html.skip import head_tokens
from optout_site.html.splice import find_head
from optout_site.html.tokens import tokens

HEAD_PIECES = [
    '<meta charset="utf-8">',
    '<meta name="robots" content="noai">',
    '<link rel="stylesheet" href="a.css">',
    "<script src=a.js></script>",
    "<SCRIPT>if (a < b) x = '</head>';</SCRIPT >",
    "<style>p > a {}</style>",
    "<title>a <b> c</title>",
    "<Title>",
    "<noscript>",
    "<template>",
    "<base href=/>",
    "</HEAD>",
    "</head >",
    "</br>",
    "</html>",
    "</div>",
    "</ti>",
    "\t",
    "\u00a0",
    "\u3000",
    "x",
]
heads = st.lists(st.sampled_from(FRAGMENTS + HEAD_PIECES), max_size=30).map("".join)


def full_find_head(text: str, start: int, monkeypatch: pytest.MonkeyPatch) -> splice.Head:
    with monkeypatch.context() as patch:
        patch.setattr(splice, "head_tokens", lambda text, start: tokens(text, start))
        return find_head(text, start, xml=False)


@pytest.mark.slow  # 1500 examples, ~5 s
@settings(max_examples=examples(1500), deadline=None, suppress_health_check=list(HealthCheck))
@given(text=heads, start=st.integers(0, 5))
def test_property_the_head_skip_finds_the_head_a_full_pass_finds(
    text: str, start: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = min(start, len(text))
    assert find_head(text, start, xml=False) == full_find_head(text, start, monkeypatch)


SPHINX_HEAD = (
    '<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8" />\n'
    "    <title>t &#8212; docs</title>\n"
    '    <link rel="stylesheet" type="text/css" href="a.css?v=1" />\n'
    '    <script src="a.js"></script>\n    <script src="b.js"></script>\n'
    '    <link rel="index" title="Index" href="genindex.html" />\n  </head><body><p>x</p>'
)


def test_a_sphinx_head_is_read_in_few_tokens_and_found_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    head = find_head(SPHINX_HEAD, 0, xml=False)
    assert head == full_find_head(SPHINX_HEAD, 0, monkeypatch)
    assert [t.name for t in head.metas + head.links] == ["meta", "link", "link"]
    # The title, both scripts and the whitespace around them are each one skipped run.
    kinds = [t[0] for t in head_tokens(SPHINX_HEAD, 0) if isinstance(t, tuple)]
    assert kinds.count("seen") == 2


@pytest.mark.parametrize(
    ("page", "anchor"),
    [
        # A comment after <html> and a script: the comment is in the head, ours go after
        # the <html> tag's comments only while no head element was seen.
        ("<html><!-- a --><script></script><!-- b --><p>", "<!-- a -->"),
        ("<html>\n<title>t</title><!-- b --><p>", "<html>"),
        ("<html>  <!-- a -->  <p>", "<!-- a -->"),
        ("<html><STYLE></STYLE><!-- b --><p>", "<html>"),
        # Not a head element: the head ends there, and the meta after it is the body's.
        ("<html><head><textarea></textarea><meta charset=utf-8>", "<head>"),
    ],
)
def test_a_skipped_head_element_still_counts_as_content(
    page: str, anchor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = find_head(page, 0, xml=False)
    assert head.insert_at == page.index(anchor) + len(anchor)
    assert head == full_find_head(page, 0, monkeypatch)
