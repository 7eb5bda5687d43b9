"""Generic tokens (Spider, Code, ...) in our robots.txt: search engines and link previews that
the policy allows stay allowed under first-match, substring-matching parsers, and every
blocked agent stays blocked, for real User-Agent strings."""

from __future__ import annotations

import tempfile
import urllib.robotparser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from protego import Protego
from support import examples, load_site

from optout_site.signals import robots
from optout_site.signals.robots import agents

ORIGIN = "https://jane.example"

# Registry token → the User-Agent header the crawler sends (operators' documentation).
REAL = {
    "Googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Baiduspider": "Mozilla/5.0 (compatible; Baiduspider/2.0; "
    "+http://www.baidu.com/search/spider.html)",
    "Sogou": "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "YandexBot": "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "DuckDuckBot": "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "Applebot": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; "
    "+http://www.apple.com/go/applebot)",
    "facebookexternalhit": "facebookexternalhit/1.1 "
    "(+http://www.facebook.com/externalhit_uatext.php)",
    "GPTBot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
    "+https://openai.com/gptbot)",
    "Bytespider": "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
    "CCBot": "CCBot/2.0 (https://commoncrawl.org/faq/)",
}
PATHS = ("/", "/gallery/a.jpg", "/press/", "/press/p.jpg", "/blog/", "/blog/post.html")
_USES = ("train", "ai-input", "search")


def _urllib_names(token: str, ua: str) -> list[str]:
    """urllib reads the header up to its first '/' ("mozilla" for most), which names no
    crawler: it is asked with the header only where that part is the crawler's name."""
    return [ua, token] if not ua.startswith("Mozilla/") else [token]


def _protego_names(token: str, ua: str) -> list[str]:
    """Protego scores a group by the length of the token it finds at a word start, so
    "Sogou web spider/4.0" is Spider's (6 letters) over Sogou's (5): no RFC 9309 token can
    win there. RFC 9309 has a crawler match its own product token, so Sogou is asked as
    "Sogou" (the limit is documented in docs/configuration.md)."""
    return [token] if token == "Sogou" else [ua, token]


def _yaml(
    root: frozenset[str], press: frozenset[str], blog: frozenset[str], omit: bool, block: str = ""
) -> str:
    def uses(reserved: frozenset[str]) -> str:
        res = sorted(reserved | ({"tdm"} if "train" in reserved else set()))
        allow = sorted(set(_USES) - reserved)
        return f"reserve: [{', '.join(res)}]\n        allow: [{', '.join(allow)}]"

    return f"""
sites:
  - name: jane
    url: {ORIGIN}
    input: public
    rightsholder: {{name: Jane Doe}}
    {uses(root).replace("        ", "    ")}
    agents: {{omit_generic: {str(omit).lower()}, block: [{block}]}}
    rules:
      - path: /press/
        {uses(press)}
      - path: /blog/
        {uses(blog)}
"""


_subset = st.frozensets(st.sampled_from(_USES))


@pytest.mark.slow
@settings(
    max_examples=examples(25),
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # shrinking a config takes minutes
    suppress_health_check=[HealthCheck.too_slow],
)
@given(root=_subset, press=_subset, blog=_subset, omit=st.booleans())
def test_real_user_agents_get_the_policys_answer_from_both_parsers(root, press, blog, omit):
    root |= {"train"}  # a site reserving nothing at all must acknowledge it; not our subject
    with tempfile.TemporaryDirectory() as tmp:
        site = load_site(Path(tmp), _yaml(root, press, blog, omit))
    reg = agents.registry_for(site)
    out = robots.render(site, reg, None)
    assert robots.render(site, reg, out) == out  # a second build changes nothing
    text = out.decode()
    first_match = urllib.robotparser.RobotFileParser()
    first_match.parse(text.splitlines())
    longest_match = Protego.parse(text)
    # The real crawlers, plus every registry agent whose name holds a generic token.
    generic = [a.token.lower() for a in agents.registry_for() if a.generic]
    table = dict(REAL)
    table.update({a.token: a.token for a in reg if any(g in a.token.lower() for g in generic)})
    wrong = []
    for token, ua in table.items():
        for path in PATHS:
            want = not agents.blocked(site, token, site.policy.resolve(path), reg)
            url = ORIGIN + path
            got_urllib = {first_match.can_fetch(n, url) for n in _urllib_names(token, ua)}
            got_protego = {longest_match.can_fetch(url, n) for n in _protego_names(token, ua)}
            if got_urllib != {want} or got_protego != {want}:
                wrong.append(
                    f"{token} {path}: want {want}, urllib {got_urllib}, protego {got_protego}"
                )
    assert not wrong, "\n".join(wrong[:20])


@pytest.mark.parametrize("block", ["", "Baiduspider"])
def test_sogou_is_listed_before_spider_and_the_note_says_why(tmp_path, block):
    """With Baiduspider blocked it no longer has to precede Spider, so nothing but Sogou's
    own name keeps its group first."""
    reserved = frozenset(_USES) - {"search"}
    site = load_site(tmp_path, _yaml(reserved, frozenset(), frozenset(), False, block))
    reg = agents.registry_for(site)
    text = robots.render(site, reg, None).decode()
    lines = text.splitlines()
    sogou, spider = lines.index("User-agent: Sogou"), lines.index("User-agent: Spider")
    assert sogou < spider
    header = next(ln for ln in reversed(lines[:sogou]) if ln.startswith("# (listed before"))
    assert "Spider" in header
    first_match = urllib.robotparser.RobotFileParser()
    first_match.parse(lines)
    assert first_match.can_fetch(REAL["Sogou"], ORIGIN + "/")
    assert not first_match.can_fetch("Spider", ORIGIN + "/")
    assert first_match.can_fetch("Baiduspider", ORIGIN + "/") is not bool(block)


def test_no_generic_token_no_extra_group(tmp_path):
    """Sogou shares the '*' rules; without a Spider group it needs no group of its own."""
    site = load_site(tmp_path, _yaml(frozenset(_USES) - {"search"}, frozenset(), frozenset(), True))
    text = robots.render(site, agents.registry_for(site), None).decode()
    assert "User-agent: Spider\n" not in text
    assert "User-agent: Sogou\n" not in text
