"""The robots.txt reader: lossless lines, RFC 9309 groups, our marks, longest-match."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import examples

from optout_site.signals.robots import document as rt

SAMPLE = (
    "\ufeff# top comment\r\n"
    "Disallow: /before-any-agent/\r\n"
    "Sitemap: https://a.example/s.xml\r\n"
    "\r\n"
    "User-agent: GPTBot\r\n"
    "  user-AGENT :ClaudeBot   # two agents, one group\r\n"
    "\r\n"
    "Disallow: /private/ # why\r\n"
    "Allow:\r\n"
    "Crawl-delay: 5\r\n"
    "Sitemap: https://a.example/other.xml\r\n"
    "User-agent: *\r\n"
    "Disallow:\r\n"
    "garbage without colon\r\n"
    "Content-Usage: /ai-ok/ train-ai=y"
)


def test_lines_keep_text_and_endings():
    doc = rt.parse(SAMPLE)
    assert doc.text == SAMPLE
    assert doc.bom == "\ufeff"
    assert doc.lines[0].raw == "# top comment\r\n"
    assert doc.lines[-1].eol == ""
    assert doc.eol() == "\r\n"
    assert rt.parse("a\rb\nc\r\n").text == "a\rb\nc\r\n"
    assert [ln.raw for ln in rt.split_lines("a\rb\nc\r\n")] == ["a\r", "b\n", "c\r\n"]
    assert rt.split_lines("") == []


def test_kinds_fields_and_values():
    doc = rt.parse(SAMPLE)
    by_text = {ln.text.strip(): ln for ln in doc.lines}
    ua = by_text["user-AGENT :ClaudeBot   # two agents, one group"]
    assert (ua.kind, ua.field, ua.value) == ("user-agent", "user-agent", "ClaudeBot")
    rule = by_text["Disallow: /private/ # why"]
    assert (rule.kind, rule.value) == ("rule", "/private/")
    assert by_text["Allow:"].value == ""
    assert by_text["Crawl-delay: 5"].kind == "record"
    assert by_text["Sitemap: https://a.example/s.xml"].kind == "global"
    assert by_text["Sitemap: https://a.example/s.xml"].value == "https://a.example/s.xml"
    assert by_text["# top comment"].kind == "comment"
    assert by_text[""].kind == "blank"
    assert by_text["garbage without colon"].kind == "other"
    assert by_text["Content-Usage: /ai-ok/ train-ai=y"].field == "content-usage"


def test_groups_follow_rfc_9309():
    doc = rt.parse(SAMPLE)
    names = [[doc.lines[i].value for i in g.agents] for g in doc.groups]
    assert names == [["GPTBot", "ClaudeBot"], ["*"]]
    first, star = doc.groups
    assert [doc.lines[i].text for i in first.members] == [
        "Disallow: /private/ # why",
        "Allow:",
        "Crawl-delay: 5",
    ]  # the Sitemap is site-wide
    assert [doc.lines[i].text for i in star.members] == [
        "Disallow:",
        "Content-Usage: /ai-ok/ train-ai=y",
    ]
    assert [doc.lines[i].text for i in doc.orphans] == ["Disallow: /before-any-agent/"]


def test_sitemap_between_user_agents_does_not_split_a_group():
    doc = rt.parse("User-agent: a\nSitemap: https://x/s.xml\nUser-agent: b\nDisallow: /\n")
    assert [[doc.lines[i].value for i in g.agents] for g in doc.groups] == [["a", "b"]]


def test_unmerge_removes_blocks_and_restores_merged_lines():
    own = "User-agent: *\nDisallow: /x/\n"
    merged = (
        f"{rt.BEGIN}: ours\nUser-agent: *\nDisallow: /x/\n{rt.END}\n\n"
        f"{rt.MERGED}User-agent: *\n{rt.MERGED}Disallow: /x/\n"
    )
    doc, position = rt.unmerge(rt.parse(merged))
    assert doc.text == own
    assert position == 0
    assert rt.unmerge(rt.parse(own)) == (rt.parse(own), None)


def test_unmerge_keeps_the_block_position():
    text = f"# mine\nSitemap: https://x/s.xml\n{rt.BEGIN}\n{rt.END}\n"
    doc, position = rt.unmerge(rt.parse(text))
    assert doc.text == "# mine\nSitemap: https://x/s.xml\n"
    assert position == 2


@pytest.mark.parametrize(
    "text, message",
    [
        (f"# mine\r\nUser-agent: x\n{rt.BEGIN}\nUser-agent: *\n", f"line 3: '{rt.BEGIN}' has no"),
        (f"a\rb\r\n{rt.END}\n", f"line 3: '{rt.END}' without"),  # a lone CR ends a line too
        (
            f"x\n{rt.BEGIN}\n{rt.END}\n\n{rt.BEGIN}\n{rt.BEGIN}\n{rt.END}\n",
            f"line 6: '{rt.BEGIN}' inside the block opened at line 5",
        ),
    ],
)
def test_broken_blocks_are_reported_with_their_line(text, message):
    with pytest.raises(rt.RobotsTxtError, match=re.escape(message)):
        rt.blocks(rt.parse(text).lines)


def test_token_of_reads_the_product_token():
    assert rt.token_of("Googlebot/2.1") == "Googlebot"
    assert rt.token_of(" * ") == "*"
    assert rt.token_of("Datenbank Crawler") == "Datenbank"
    assert rt.token_of("2bot") == ""


@pytest.mark.parametrize(
    "rules, path, allowed",
    [
        ([(False, "/")], "/a", False),
        ([(False, "/"), (True, "/press/")], "/press/a.jpg", True),
        ([(True, "/press/"), (False, "/press/private/")], "/press/private/x", False),
        ([(False, "/a"), (True, "/a")], "/a", True),  # a tie goes to allow
        ([(False, "")], "/a", True),  # an empty Disallow matches nothing
        ([(False, "/*.pdf$")], "/x/y.pdf", False),
        ([(False, "/*.pdf$")], "/x/y.pdf?z", True),
        ([(False, "/fish*")], "/fishheads", False),
        ([(False, "/a$")], "/a/b", True),
        ([], "/", True),
    ],
)
def test_longest_match(rules, path, allowed):
    assert rt.allowed(rules, path) is allowed


# --- properties -------------------------------------------------------------------------------

_field = st.sampled_from(
    [
        "User-agent",
        "user-agent",
        "Allow",
        "DISALLOW",
        "Sitemap",
        "Crawl-delay",
        "Content-Usage",
        "Content-Signal",
        "License",
        "Host",
        "X",
    ]
)
_value = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=12
)
_record = st.tuples(
    st.sampled_from(["", " ", "\t"]), _field, st.sampled_from([":", " :", ": "]), _value
).map("".join)
_robots_line = st.one_of(_record, _value, _value.map(lambda v: "#" + v), st.just(""))
_robots_text = st.tuples(
    st.lists(st.tuples(_robots_line, st.sampled_from(["\n", "\r\n", "\r"])), max_size=20),
    st.booleans(),
    st.booleans(),
).map(
    lambda t: (
        ("\ufeff" if t[1] else "") + "".join(a + b for a, b in t[0]) + ("tail" if t[2] else "")
    )
)


@settings(max_examples=examples(100))
@given(st.text(max_size=300))
def test_any_text_round_trips(text):
    assert rt.parse(text).text == text


@settings(max_examples=examples(100))
@given(_robots_text)
def test_robots_like_text_round_trips_and_groups_are_consistent(text):
    doc = rt.parse(text)
    assert doc.text == text
    seen: set[int] = set()
    for group in doc.groups:
        assert group.agents
        assert all(doc.lines[i].kind == "user-agent" for i in group.agents)
        assert all(doc.lines[i].is_member for i in group.members)
        assert not seen & {*group.agents, *group.members}
        seen |= {*group.agents, *group.members}
    assert not seen & set(doc.orphans)


@settings(max_examples=examples(100))
@given(st.binary(max_size=200))
def test_any_bytes_round_trip(data):
    assert rt.encode(rt.parse(rt.decode(data)).text) == data


@settings(max_examples=examples(100))
@given(_robots_text)
def test_commenting_out_is_reversible(text):
    doc = rt.parse(text.replace(rt.MERGED, ""))
    commented = rt.Document(
        doc.bom,
        tuple(ln.comment_out() if ln.kind in ("user-agent", "rule") else ln for ln in doc.lines),
    )
    assert all(ln.kind == "comment" for ln in commented.lines if ln.merged)
    assert rt.unmerge(commented)[0] == doc


@pytest.mark.parametrize(
    ("text", "eol"),
    [
        ("User-agent: *\rDisallow: /x\r", "\r"),
        ("User-agent: *\r\nDisallow: /x\r\n", "\r\n"),
        ("User-agent: *\nDisallow: /x\r\nAllow: /y\n", "\n"),  # the most common wins
        ("User-agent: *", "\n"),  # none: a line feed
    ],
)
def test_a_document_writes_its_most_common_line_ending(text, eol):
    assert rt.parse(text).eol() == eol
