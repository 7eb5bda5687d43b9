"""User-agent matching: whole words, case-insensitive, against an independent oracle."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optout_site.signals.robots import uamatch

TOKENS = (
    "GPTBot",
    "CCBot",
    "Google-Extended",
    "Googlebot",
    "Spider",
    "Bytespider",
    "img2dataset",
)


@pytest.mark.parametrize(
    ("ua", "want"),
    [
        (
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "GPTBot",
        ),
        ("CCBot/2.0 (https://commoncrawl.org/faq/)", "CCBot"),
        ("gptbot", "GPTBot"),  # case-insensitive
        ("Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)", "Bytespider"),
        ("Sogou web spider/4.0", "Spider"),  # a whole word, as urllib's parser also reads it
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot"),
        ("Google-Extended", "Google-Extended"),
        ("NotGPTBot/1.0", None),  # inside a longer word
        ("GPTBot-Preview/1.0", None),  # '-' is part of a token, so this is another word
        ("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", None),
        ("img2dataset/1.45 (+https://github.com/rom1504/img2dataset)", "img2dataset"),
        ("", None),
    ],
)
def test_identify(ua, want):
    assert uamatch.identify(ua, TOKENS) == want


def test_a_product_beats_a_word_of_the_url():
    # The registry has an "OpenAI" token as long as "GPTBot"; GPTBot's own user agent
    # names both, and is GPTBot (the product), not "OpenAI" (a word of its URL).
    ua = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"
    assert uamatch.identify(ua, (*TOKENS, "OpenAI")) == "GPTBot"
    assert (
        uamatch.identify("OpenAI/1.0 (+https://x.example/gptbot)", (*TOKENS, "OpenAI")) == "OpenAI"
    )


def test_pattern_is_one_expression_for_every_server():
    source = uamatch.pattern(["GPTBot", "CCBot"])
    assert source == "(^|[^A-Za-z0-9_-])(GPTBot|CCBot)([^A-Za-z0-9_-]|$)"
    # No lookarounds or \b: RE2 (Caddy, Cloudflare) rejects the first, and \b splits at '-'.
    assert "(?=" not in source and "(?<" not in source and "\\b" not in source
    with pytest.raises(ValueError):
        uamatch.pattern(["not a token"])
    with pytest.raises(ValueError):
        uamatch.pattern([])


def _oracle(ua: str, tokens: tuple[str, ...]) -> str | None:
    words = {w.lower() for w in re.split(r"[^A-Za-z0-9_-]+", ua) if w}
    named = [t for t in tokens if t.lower() in words]
    return max(named, key=lambda t: (len(t), t.lower())) if named else None


token = st.text("abcGPTBotCcb-_", min_size=1, max_size=8).filter(
    lambda t: re.fullmatch(r"[A-Za-z_-]+", t) is not None
)


@given(
    st.lists(token, min_size=1, max_size=5, unique_by=str.lower),
    st.text("abcGPTBotCcb-_ /;()0.", max_size=40),
)
def test_identify_agrees_with_splitting_into_words(tokens, ua):
    tokens = tuple(tokens)
    assert uamatch.identify(ua, tokens) == _oracle(ua, tokens)
