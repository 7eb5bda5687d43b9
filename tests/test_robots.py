"""robots.txt: per-agent groups that both kinds of parser read as the policy says, merged
into the site's own file without losing a byte of it."""

from __future__ import annotations

import re
import urllib.robotparser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from protego import Protego
from support import JANE_SITE, REPO, examples

from optout_site import config
from optout_site.config import Site
from optout_site.errors import SignalError
from optout_site.policy import Use
from optout_site.signals import robots
from optout_site.signals.robots import agents
from optout_site.signals.robots import document as rt
from optout_site.signals.robots.registry import TOKEN_RE, Registry, load

ORIGIN = "https://jane.example"

OWN_ROBOTS = (
    b"# Jane's own robots.txt\n"
    b"User-agent: *\n"
    b"Disallow: /drafts/\n"
    b"Allow: /drafts/public/\n"
    b"\n"
    b"User-agent: GPTBot\n"
    b"Disallow: /press/private/\n"
    b"\n"
    b"User-agent: FooBot\n"
    b"Disallow: /foo/\n"
    b"\n"
    b"Sitemap: https://jane.example/sitemap.xml\n"
)

PATHS = (
    "/",
    "/index.html",
    "/gallery/a.jpg",
    "/press/",
    "/press/portrait.jpg",
    "/press",
    "/pressroom/",
    "/blog/",
    "/blog/post.html",
    "/blog",
    "/drafts/",
    "/drafts/x",
    "/drafts/public/y",
    "/private/x",
    "/press/private/x",
    "/foo/x",
)


@pytest.fixture
def make_site(write_config, tmp_path: Path):
    def make(text: str = JANE_SITE) -> tuple[Site, Registry]:
        (tmp_path / "public").mkdir(exist_ok=True)
        site = config.load(write_config(text)).sites[0]
        return site, agents.registry_for(site)

    return make


def parsers(text: str) -> tuple[urllib.robotparser.RobotFileParser, Protego]:
    first_match = urllib.robotparser.RobotFileParser()
    first_match.parse(text.splitlines())
    return first_match, Protego.parse(text)


def site_allows(original: bytes | None, token: str, path: str) -> bool:
    """The site's own verdict by RFC 9309: the groups naming the token, else ``*``."""
    doc = rt.parse(rt.decode(original or b""))
    named: list[tuple[bool, str]] = []
    star: list[tuple[bool, str]] = []
    has_own = False
    for group in doc.groups:
        rules = [
            (doc.lines[i].allows, doc.lines[i].value)
            for i in group.members
            if doc.lines[i].kind == "rule"
        ]
        names = {rt.token_of(doc.lines[i].value).casefold() for i in group.agents}
        if token.casefold() in names:
            named += rules
            has_own = True
        if "*" in names:
            star += rules
    return rt.allowed(named if has_own else star, path)


def expected(site: Site, reg: Registry, original: bytes | None, token: str, path: str) -> bool:
    policy_ok = not agents.blocked(site, token, site.policy.resolve(path), reg)
    return policy_ok and site_allows(original, token, path)


def assert_agrees(
    site: Site, reg: Registry, original: bytes | None, paths=PATHS, tokens=None
) -> str:
    text = robots.render(site, reg, original).decode("utf-8")
    first_match, longest_match = parsers(text)
    wrong = []
    for token in tokens or [a.token for a in reg]:
        for path in paths:
            want = expected(site, reg, original, token, path)
            got = (
                first_match.can_fetch(token, ORIGIN + path),
                longest_match.can_fetch(ORIGIN + path, token),
            )
            if got != (want, want):
                wrong.append(f"{token} {path}: want {want}, urllib/protego {got}")
    assert not wrong, "\n".join(wrong[:20])
    return text


# --- every registry agent, both parsers ---------------------------------------------------


def test_bundled_example_every_agent_both_parsers():
    site = config.load(REPO / "sites.yaml").sites[0]
    reg = agents.registry_for(site)
    original = (site.input / "robots.txt").read_bytes()
    text = assert_agrees(site, reg, original, PATHS + ("/about/", "/fr/"))
    _, protego = parsers(text)
    assert list(protego.sitemaps) == ["https://lea-moreau.example/sitemap.xml"]
    for token in ("GPTBot", "ClaudeBot", "Google-Extended", "CCBot", "PerplexityBot"):
        assert not protego.can_fetch(ORIGIN + "/gallery/a.jpg", token)
        assert protego.can_fetch(ORIGIN + "/press/portrait.jpg", token)
    for token in ("Googlebot", "bingbot", "facebookexternalhit", "Baiduspider", "Applebot"):
        assert protego.can_fetch(ORIGIN + "/gallery/a.jpg", token)
        assert not protego.can_fetch(ORIGIN + "/drafts/x", token)


@pytest.mark.parametrize("original", [None, b"", OWN_ROBOTS], ids=["none", "empty", "own"])
def test_every_agent_every_rule_path(make_site, original):
    site, reg = make_site()
    assert_agrees(site, reg, original)


def test_spot_verdicts_with_own_rules_and_own_gptbot_group(make_site):
    site, reg = make_site()
    first_match, longest_match = parsers(robots.render(site, reg, OWN_ROBOTS).decode())
    for parser_can in (
        lambda t, p: first_match.can_fetch(t, ORIGIN + p),
        lambda t, p: longest_match.can_fetch(ORIGIN + p, t),
    ):
        assert not parser_can("GPTBot", "/gallery/a.jpg")
        assert parser_can("GPTBot", "/press/portrait.jpg")
        assert not parser_can("GPTBot", "/press/private/x")  # the site's own GPTBot rule
        assert parser_can("GPTBot", "/press/drafts/x")  # its own group hides '*' (RFC 9309)
        for token in ("Googlebot", "bingbot", "facebookexternalhit"):
            assert parser_can(token, "/gallery/a.jpg")
            assert parser_can(token, "/drafts/public/y")
            assert not parser_can(token, "/drafts/x")
        assert not parser_can("Googlebot", "/blog/post.html")  # /blog/ reserves search
        assert parser_can("facebookexternalhit", "/blog/post.html")  # previews never blocked
        assert not parser_can("FooBot", "/foo/x")  # a site group we do not own still works
        assert parser_can("FooBot", "/drafts/x")


def test_site_agent_settings(make_site):
    site, reg = make_site(
        JANE_SITE
        + """\
    agents:
      block: [Twitterbot, SomeScraper]
      allow: [PerplexityBot]
      categories: {user-fetch: allow}
      add:
        - {token: NewBot, operator: New AI Inc., category: train}
"""
    )
    text = assert_agrees(site, reg, OWN_ROBOTS, tokens=[a.token for a in reg] + ["SomeScraper"])
    _, protego = parsers(text)
    assert not protego.can_fetch(ORIGIN + "/press/x", "Twitterbot")
    assert not protego.can_fetch(ORIGIN + "/press/x", "SomeScraper")
    assert not protego.can_fetch(ORIGIN + "/", "NewBot")
    assert protego.can_fetch(ORIGIN + "/", "PerplexityBot")
    assert protego.can_fetch(ORIGIN + "/", "ChatGPT-User")
    assert not protego.can_fetch(ORIGIN + "/", "OAI-SearchBot")


@pytest.mark.parametrize(
    "own",
    [
        # A site group whose name holds one of ours (urllib would read ours for it), and
        # one whose name one of ours holds (urllib would read it for ours).
        b"User-agent: GPTBot-Extra\nDisallow: /x/\n",
        b"User-agent: PTBot\nDisallow: /x/\n",
    ],
    ids=["holds ours", "held by ours"],
)
def test_a_site_group_linked_by_name_to_one_of_ours_reads_alike_in_every_parser(make_site, own):
    site, reg = make_site()
    site_token = own.split(b"\n")[0].removeprefix(b"User-agent: ").decode()
    text = assert_agrees(site, reg, own, tokens=[a.token for a in reg] + [site_token])
    assert f"User-agent: {site_token}\n" in text.split(rt.END)[0]  # taken into our block


NOTHING_RESERVED = """
sites:
  - name: jane
    url: https://jane.example
    input: public
    rightsholder: {name: Jane Doe}
    allow: [tdm, train, ai-input, search]
    acknowledge: [no-reservation]
"""


@pytest.mark.parametrize(
    ("line", "names"),
    [
        # No product token (RFC 9309 ignores the group), but urllib finds each inside the
        # name an agent goes by: "bigsur.ai", "Brightbot 1.0", "quillbot.com".
        ("User-agent: .ai", ["bigsur.ai"]),
        ("User-agent: 1.0", ["Brightbot 1.0"]),
        ("User-agent: .COM", ["quillbot.com", "panscient.com"]),
    ],
)
def test_a_site_group_naming_no_token_gets_the_agents_it_would_catch_a_group(
    make_site, line, names
):
    site, reg = make_site(NOTHING_RESERVED)
    text = robots.render(site, reg, f"{line}\nDisallow: /\n".encode()).decode()
    first_match, _ = parsers(text)
    for name in names:
        assert first_match.can_fetch(name, ORIGIN + "/gallery/a.jpg"), name  # '*' as RFC 9309
        assert f"User-agent: {reg.get(name).token}\n" in text


def test_nothing_reserved_writes_no_ai_groups(make_site):
    site, reg = make_site(NOTHING_RESERVED)
    text = robots.render(site, reg, None).decode()
    assert [ln for ln in text.splitlines() if ln.startswith("User-agent:")] == ["User-agent: *"]
    assert "Content-Usage: train-ai=y, ai-use=y, search=y" in text
    assert "Content-Signal: search=yes, ai-input=yes, ai-train=yes" in text


# --- the lines we write -----------------------------------------------------------------------


def _groups(text: str) -> list[tuple[list[str], list[str]]]:
    doc = rt.parse(text)
    return [
        ([doc.lines[i].value for i in g.agents], [doc.lines[i].text for i in g.members])
        for g in doc.groups
    ]


def test_agents_alike_share_one_group_where_no_name_order_forbids_it():
    # In the bundled example nothing forces a second group for the same rules (in Jane's
    # site, Applebot-Extended must come before Applebot and Baiduspider before Spider, so
    # the reserved agents stand on both sides of the search engines): each set of rules
    # stands in one group, but for '*' and agents that read only a group naming them.
    site = config.load(REPO / "sites.yaml").sites[0]
    reg = agents.registry_for(site)
    groups = _groups(robots.render(site, reg, None).decode())
    alone = {a.token for a in reg if a.honours_robots == "own-group-only"}
    shared = [tuple(body) for names, body in groups if names != ["*"] and not set(names) <= alone]
    assert len(shared) == len(set(shared)) and len(shared) >= 2


def test_each_group_says_what_it_holds_and_why_it_stands_apart():
    # The bundled example reserves training and AI input outside /press/ and allows search:
    # search engines read '*' (two of them listed before Spider, whose token their names
    # hold), Bytespider obeys only a group naming it alone, every other AI agent shares one.
    site = config.load(REPO / "sites.yaml").sites[0]
    text = robots.render(site, agents.registry_for(site), None).decode()
    lines = text.splitlines()
    assert (
        lines[0]
        == f"{rt.BEGIN}: generated from the site's policy; edit sites.yaml, not this block."
    )
    after_star = lines[lines.index("User-agent: *") :]
    listed_before = (
        "# (listed before {}: some parsers take the first group whose token occurs"
        " anywhere in the agent's name)"
    )
    assert [ln for ln in after_star if ln.startswith("#")] == [
        "# categories: search-engine",
        listed_before.format("Spider"),
        "# categories: train",
        "# (a group of its own: reported to obey only a group naming it alone)",
        "# categories: train, dataset, ai-search, user-fetch, agent",
        rt.END,
    ]
    # Each group set apart by one blank line.
    assert all(
        lines[i - 1] == "" for i, line in enumerate(lines) if line.startswith("# categories")
    )
    start = after_star.index("# categories: search-engine")
    assert after_star[start + 2 : start + 4] == ["User-agent: Baiduspider", "User-agent: Sogou"]


def test_a_group_of_agents_the_site_names_says_so(make_site):
    site, reg = make_site()
    text = robots.render(site, reg, b"User-agent: GPTBot-Extra\nDisallow: /x/\n").decode()
    # Two tokens inside one name: listed before both.
    two = robots.render(site, reg, b"User-agent: GPTBot-Spider\nDisallow: /x/\n").decode()
    assert (
        "# (listed before GPTBot, Spider: some parsers take the first group whose token"
        " occurs anywhere in the agent's name)\nUser-agent: GPTBot-Spider\n"
    ) in two
    # Its name holds GPTBot's token, so urllib would read GPTBot's group for it: it comes first.
    lines = text.splitlines()
    at = lines.index("User-agent: GPTBot-Extra")
    assert lines[at - 2 : at] == [
        "# categories: named by the site",
        "# (listed before GPTBot: some parsers take the first group whose token occurs"
        " anywhere in the agent's name)",
    ]


def test_a_group_mixing_registry_agents_and_the_sites_lists_them_by_category(make_site):
    site, reg = make_site(JANE_SITE + "    agents:\n      block: [Twitterbot, SomeScraper]\n")
    text = robots.render(site, reg, None).decode()
    # Both blocked everywhere: one group; Twitterbot's category first, then the agent the
    # site named (no category), each line by category before name.
    assert (
        "# categories: preview, named by the site\n"
        "User-agent: Twitterbot\nUser-agent: SomeScraper\nDisallow: /\n\n"
    ) in text  # kept out everywhere: nothing to signal, so no Content-Usage or -Signal


def test_a_group_kept_out_everywhere_carries_nothing_else(make_site):
    site, reg = make_site(JANE_SITE + "    agents:\n      block: [Twitterbot]\n")
    own = b"User-agent: Twitterbot\nCrawl-delay: 5\nDisallow: /x/\n"
    block = robots.render(site, reg, own).decode().split(rt.END)[0]
    # The site's Crawl-delay for it is moot: no path is left to crawl slowly.
    assert "User-agent: Twitterbot\nDisallow: /\n\n" in block
    assert "Crawl-delay" not in block


def test_signal_lines_in_every_group_that_may_crawl(make_site):
    site, reg = make_site()
    text = robots.render(site, reg, OWN_ROBOTS).decode()
    assert text.count("# As a condition of accessing this website") == 1
    assert text.index("# As a condition") < text.index("User-agent:")
    stars = [agents_ for agents_, _ in _groups(text) if "*" in agents_]
    assert stars == [["*"]]
    protego = Protego.parse(text)
    for names, members in _groups(text):
        if names == ["FooBot"]:
            continue  # the site's own group, left as it was
        if members == ["Disallow: /"]:
            continue  # may not crawl at all: no usage lines (attach draft: they would not apply)
        assert any(m.startswith("Content-Usage:") for m in members), names
        # Content-Signal has no path form: every key it states must hold on every path
        # the group may crawl (checked through Protego, an outside reader).
        agent = "zzqx-unnamed" if names == ["*"] else names[0]
        crawled = [p for p in PATHS if protego.can_fetch(ORIGIN + p, agent)]
        for line in (m for m in members if m.startswith("Content-Signal:")):
            for item in line.removeprefix("Content-Signal:").split(","):
                key, value = item.strip().split("=")
                for path in crawled:
                    use = {"search": Use.SEARCH, "ai-input": Use.AI_INPUT, "ai-train": Use.TRAIN}
                    reserved = site.policy.resolve(path).reserves(use[key])
                    assert value == ("no" if reserved else "yes"), (names, key, path)
    star_members = next(m for a, m in _groups(text) if a == ["*"])
    # `*` may crawl /press/ (nothing reserved), /blog/ (everything reserved) and the rest
    # (all but search reserved): no key is the same on all three, so no Content-Signal.
    assert star_members == [
        "Allow: /drafts/public/",
        "Disallow: /drafts/",
        "Content-Usage: /press/ train-ai=y, ai-use=y, search=y",
        "Content-Usage: /blog/ train-ai=n, ai-use=n, search=n",
        "Content-Usage: train-ai=n, ai-use=n",
    ]


def test_only_valid_tokens_and_rules_longest_first(make_site):
    site, reg = make_site()
    text = robots.render(site, reg, OWN_ROBOTS + b"User-agent: Datenbank Crawler\nDisallow: /\n")
    seen: set[str] = set()
    for names, members in _groups(text.decode()):
        if names == ["FooBot"]:
            continue
        for name in names:
            assert name == "*" or TOKEN_RE.match(name), name
            assert name.casefold() not in seen, f"{name} in two groups"
            seen.add(name.casefold())
        patterns = [
            m.split(":", 1)[1].strip() for m in members if m.startswith(("Allow:", "Disallow:"))
        ]
        assert patterns == sorted(patterns, key=lambda p: -len(p.encode()))


def test_bytespider_gets_a_group_of_its_own(make_site):
    site, reg = make_site()
    groups = _groups(robots.render(site, reg, None).decode())
    assert ["Bytespider"] in [names for names, _ in groups]


def test_global_records_go_before_the_first_group(make_site):
    site, reg = make_site()
    text = robots.render(
        site, reg, OWN_ROBOTS, records=["License: https://jane.example/license.xml"]
    ).decode()
    assert text.index("License: https://") < text.index("User-agent:")
    # The block: its first line, the Content Signals text, the records, then the groups,
    # each part set apart by one blank line.
    lines = robots.render(site, reg, None, records=["License: https://jane.example/license.xml"])
    lines = lines.decode().splitlines()
    policy = list(robots.CONTENT_SIGNALS_POLICY)
    assert lines[0].startswith(rt.BEGIN) and lines[1] == ""
    assert lines[2 : 2 + len(policy)] == policy
    assert lines[2 + len(policy) :][:4] == [
        "",
        "License: https://jane.example/license.xml",
        "",
        "User-agent: *",
    ]


@pytest.mark.parametrize("record", ["License: a\nUser-agent: x", "License: a\rUser-agent: x"])
def test_a_record_of_more_than_one_line_is_refused(make_site, record):
    site, reg = make_site()
    with pytest.raises(SignalError) as raised:
        robots.render(site, reg, None, records=[record])
    assert str(raised.value) == "each record must be a single line"


def test_the_note_on_taken_over_lines_comes_only_with_such_lines(make_site):
    site, reg = make_site()
    note = (
        f'# Lines starting with "{rt.MERGED.strip()}" are the site\'s own, taken over by\n'
        "# the groups in this block. To undo: delete this block and that prefix.\n"
    )
    taken_over = robots.render(site, reg, OWN_ROBOTS).decode()
    assert rt.MERGED in taken_over and note in taken_over
    plain = robots.render(site, reg, b"User-agent: FooBot\nDisallow: /foo/\n").decode()
    assert rt.MERGED not in plain and note not in plain


def test_a_block_at_the_end_has_no_blank_line_after_it(make_site):
    site, reg = make_site()
    alone = robots.render(site, reg, None)
    assert alone.startswith(rt.BEGIN.encode()) and alone.endswith(f"\n{rt.END}\n".encode())
    # Moved below the site's lines by hand: it stays there, and still ends the file.
    own = b"User-agent: FooBot\nDisallow: /foo/\n"
    moved = robots.render(site, reg, own + alone)
    assert moved == own + alone


# --- merging -----------------------------------------------------------------------------------


def test_site_lines_preserved_and_reversible(make_site):
    site, reg = make_site()
    out = robots.render(site, reg, OWN_ROBOTS)
    text = out.decode()
    assert "User-agent: FooBot\nDisallow: /foo/\n" in text
    assert "Sitemap: https://jane.example/sitemap.xml\n" in text
    assert "# Jane's own robots.txt\n" in text
    assert f"{rt.MERGED}User-agent: GPTBot\n{rt.MERGED}Disallow: /press/private/\n" in text
    assert robots.remove(out) == OWN_ROBOTS
    assert rt.parse(text).text == text


@pytest.mark.parametrize(
    "original",
    [
        None,
        b"",
        OWN_ROBOTS,
        OWN_ROBOTS.replace(b"\n", b"\r\n"),
        b"\xef\xbb\xbfUser-agent: *\r\nDisallow: /x",
        b"Disallow: /orphan/\nUser-agent: *\nDisallow:\n",
    ],
)
def test_idempotent(make_site, original):
    site, reg = make_site()
    once = robots.render(site, reg, original)
    assert robots.render(site, reg, once) == once
    assert robots.remove(once) == (original or b"")


def test_crlf_bom_and_no_final_newline_are_kept(make_site):
    site, reg = make_site()
    original = b"\xef\xbb\xbf# mine\r\nUser-agent: *\r\nDisallow: /x/\r\nSitemap: https://j/s.xml"
    out = robots.render(site, reg, original)
    assert out.startswith(b"\xef\xbb\xbf# BEGIN optout-site")
    assert b"\n" not in out.replace(b"\r\n", b"")  # our lines follow the file's CRLF
    assert out.endswith(b"Sitemap: https://j/s.xml")
    _, protego = parsers(out.decode("utf-8-sig"))
    assert not protego.can_fetch(ORIGIN + "/x/1", "Googlebot")


def test_rules_before_any_user_agent_stay_ignored(make_site):
    site, reg = make_site()
    original = b"Disallow: /orphan/\n\nUser-agent: *\nDisallow: /x/\n"
    out = robots.render(site, reg, original).decode()
    assert f"{rt.MERGED}Disallow: /orphan/" in out
    first_match, longest_match = parsers(out)
    assert first_match.can_fetch("*", ORIGIN + "/orphan/a")
    assert longest_match.can_fetch(ORIGIN + "/orphan/a", "SomeBot")
    assert not longest_match.can_fetch(ORIGIN + "/x/a", "SomeBot")


def test_block_replaced_in_place(make_site):
    site, reg = make_site()
    once = robots.render(site, reg, OWN_ROBOTS).decode()
    moved_block = (
        once[once.index("\n\n# Jane's") + 2 :] + "\n" + once[: once.index("\n\n# Jane's")] + "\n"
    )
    again = robots.render(site, reg, moved_block.encode()).decode()
    assert again.startswith("# Jane's own robots.txt\n")
    assert again.count(rt.BEGIN) == 1
    assert robots.render(site, reg, again.encode()).decode() == again


def test_broken_block_is_an_error(make_site):
    site, reg = make_site()
    once = robots.render(site, reg, OWN_ROBOTS)
    assert once.startswith(rt.BEGIN.encode())  # our block first: the two lines below make it 3
    message = f"line 3: '{rt.BEGIN}' has no '{rt.END}' line"
    with pytest.raises(rt.RobotsTxtError, match=re.escape(message)):
        robots.render(site, reg, b"# moved\r\n\n" + once.replace(rt.END.encode(), b"# the end"))


def test_size_limit(make_site):
    site, reg = make_site()
    huge = b"User-agent: *\n" + b"".join(b"Disallow: /p%06d/\n" % i for i in range(30000))
    with pytest.raises(rt.RobotsTxtError, match="500 KiB"):
        robots.render(site, reg, huge)
    big = huge[:100_000]  # ~5,500 rules of the site's, copied into each group standing for '*'
    out = robots.render(site, reg, big[: big.rindex(b"\n") + 1])
    assert len(out) <= robots.MAX_BYTES


def test_a_block_moved_into_a_site_group_goes_back_to_the_top(make_site):
    site, reg = make_site()
    alone = robots.render(site, reg, None)
    # Put between FooBot's user-agent line and its rule, the block would split the group.
    split = b"User-agent: FooBot\n" + alone + b"Disallow: /foo/\n"
    assert robots.render(site, reg, split) == alone + b"\nUser-agent: FooBot\nDisallow: /foo/\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # Between two whole groups, and before lines that belong to no group: it stays.
        (b"User-agent: FooBot\nDisallow: /foo/\n", b"User-agent: BarBot\nDisallow: /bar/\n"),
        (b"User-agent: FooBot\nDisallow: /foo/\n", b"Sitemap: https://jane.example/s.xml\n"),
    ],
)
def test_a_block_moved_between_groups_stays_there(make_site, before, after):
    site, reg = make_site()
    alone = robots.render(site, reg, None)
    moved = before + alone + b"\n" + after
    assert robots.render(site, reg, moved) == moved


def test_a_block_moved_after_a_comment_stays_and_orphan_rules_below_are_taken_over(make_site):
    site, reg = make_site()
    alone = robots.render(site, reg, None).decode()
    # Rules before any user-agent line belong to no group (RFC 9309 ignores them).
    out = robots.render(site, reg, f"# mine\n{alone}\nDisallow: /x/\n".encode()).decode()
    assert out.startswith(f"# mine\n{rt.BEGIN}")
    assert out.endswith(f"\n{rt.MERGED}Disallow: /x/\n")


def test_the_site_groups_stricter_than_the_policy_are_named_by_rule_path(make_site):
    site, reg = make_site()
    own = (
        b"User-agent: *\nDisallow: /press/\n\n"  # '*' is not an agent the policy names
        b"User-agent: Googlebot\nDisallow: /\n\n"  # search: allowed but on /blog/
        b"User-agent: GPTBot\nDisallow: /\n"  # training: allowed on /press/ only
    )
    assert robots.merge(site, reg, own)[1] == {
        "/press/": ["Googlebot", "GPTBot"],
        "/": ["Googlebot"],
    }


def test_a_taken_over_group_keeps_its_other_records(make_site):
    site, reg = make_site()
    own = b"User-agent: GPTBot\nCrawl-delay: 10\nDisallow: /x/\n"
    block = robots.render(site, reg, own).decode().split(rt.END)[0]
    gptbot = block[block.index("User-agent: GPTBot\n") :]
    assert "Crawl-delay: 10\n" in gptbot[: gptbot.find("\n\n")]
    # Ours: a Content-Signal or Content-Usage the site wrote there is not copied (the
    # policy says it), nor is a field name no parser knows the shape of.
    own = (
        b"User-agent: GPTBot\nContent-Signal: tdm=mine\ncontent-usage: mine\n"
        b"X Field: mine\nDisallow: /x/\n"
    )
    assert "mine" not in robots.render(site, reg, own).decode().split(rt.END)[0]


@pytest.mark.parametrize(
    "rules", ["Allow: /drafts/\nDisallow: /drafts/", "Disallow: /drafts/\nAllow: /drafts/"]
)
def test_a_site_rule_allowed_and_disallowed_alike_is_allowed_in_either_order(make_site, rules):
    # RFC 9309 §2.2.2: of equivalent rules the least restrictive (allow) applies.
    site, reg = make_site()
    text = robots.render(site, reg, f"User-agent: *\n{rules}\n".encode()).decode()
    first_match, longest_match = parsers(text)
    for agent in ("Googlebot", "bingbot"):
        assert first_match.can_fetch(agent, ORIGIN + "/drafts/x")
        assert longest_match.can_fetch(ORIGIN + "/drafts/x", agent)


def test_a_site_rule_anchored_with_dollar_governs_its_one_path_only(make_site):
    # '/press/$' keeps crawlers off the /press/ page itself, not the pages below it.
    # (urllib knows no '$'; Protego and RFC 9309 do.)
    site, reg = make_site()
    own = b"User-agent: *\nDisallow: /press/$\n"
    _, protego = parsers(robots.render(site, reg, own).decode())
    for agent in reg:
        for path in ("/", "/press/", "/press/x", "/blog/y"):
            want = expected(site, reg, own, agent.token, path)
            assert protego.can_fetch(ORIGIN + path, agent.token) == want, (agent.token, path)
    assert protego.can_fetch(ORIGIN + "/press/x", "GPTBot")
    assert not protego.can_fetch(ORIGIN + "/press/", "GPTBot")


def test_a_site_wildcard_allow_crosses_the_policy_prefixes(make_site):
    # The site lets crawlers fetch only stylesheets; the policy opens /press/ to training
    # and keeps search off /blog/. A path is allowed only where both allow it.
    site, reg = make_site()
    own = b"User-agent: *\nDisallow: /\nAllow: /*.css$\n"
    _, protego = parsers(robots.render(site, reg, own).decode())
    verdicts = {
        ("GPTBot", "/press/a.css"): True,
        ("GPTBot", "/press/a.html"): False,
        ("GPTBot", "/a.css"): False,
        ("Googlebot", "/a.css"): True,
        ("Googlebot", "/press/a.css"): True,
        ("Googlebot", "/blog/a.css"): False,
        ("Googlebot", "/a.html"): False,
    }
    for (agent, path), allowed in verdicts.items():
        assert protego.can_fetch(ORIGIN + path, agent) is allowed, (agent, path)


@pytest.mark.parametrize(
    ("verdicts", "kept"),
    [
        # Under a disallowed root, a disallowing wildcard adds nothing.
        ({"/": False, "/*.pdf$": False}, ((False, "/"),)),
        # A prefix that says what its parent says goes; allowed everywhere is one Allow.
        ({"/": True, "/a/": False, "/a/b/": False}, ((False, "/a/"),)),
        ({"/": True}, ((True, "/"),)),
        ({"/": True, "/a": False, "/ab": False}, ((False, "/a"),)),  # a parent one shorter
        ({"/": True, "/*.css$": True}, ((True, "/"),)),  # an allowing wildcard under Allow: /
        # ... unless a rule as long says otherwise; a longer one does not matter.
        ({"/": True, "/*.css$": True, "/press/private/": False}, ((False, "/press/private/"),)),
        ({"/": True, "/a/b/c": False, "/*.css": True}, ((True, "/*.css"), (False, "/a/b/c"))),
        # Equally long and alike: by name.
        ({"/": False, "/b/": True, "/a/": True}, ((True, "/a/"), (True, "/b/"), (False, "/"))),
        # A wildcard longer than the prefix cannot catch its paths before the prefix does.
        ({"/": False, "/a/": False, "/*.css$": True}, ((True, "/*.css$"), (False, "/"))),
        # '/*b' ties with '/ab' (length 3): without '/abcd', '/abcd/x' would be allowed.
        (
            {"/": False, "/ab": False, "/abcd": False, "/*b": True},
            ((False, "/abcd"), (True, "/*b"), (False, "/ab"), (False, "/")),
        ),
        # Kept: a wildcard of a length between a prefix and its parent could catch paths.
        (
            {"/": False, "/a/": False, "/*x": True},
            ((True, "/*x"), (False, "/a/"), (False, "/")),
        ),
    ],
)
def test_minimal_drops_only_rules_that_change_no_outcome(verdicts, kept):
    assert robots._minimal(verdicts) == kept


def test_size_limits_at_their_edges(make_site, monkeypatch):
    site, reg = make_site()
    own = b"User-agent: FooBot\nDisallow: /foo/\n"
    size = len(robots.render(site, reg, own))
    over = "bytes, over the 500 KiB that crawlers must read (RFC 9309 §2.5); shorten the site's own rules"
    monkeypatch.setattr(robots, "MAX_BYTES", size)  # the output at the limit: written
    assert len(robots.render(site, reg, own)) == size
    monkeypatch.setattr(robots, "MAX_BYTES", size - 1)
    with pytest.raises(rt.RobotsTxtError) as raised:
        robots.render(site, reg, own)
    assert str(raised.value) == f"robots.txt would be {size:,} {over}"
    # The site's own file is measured first: at the limit it is read, one byte over it is not.
    monkeypatch.setattr(robots, "MAX_BYTES", len(own))
    with pytest.raises(rt.RobotsTxtError, match="^robots.txt would be "):
        robots.render(site, reg, own)
    with pytest.raises(rt.RobotsTxtError) as raised:
        robots.render(site, reg, own + b"#")
    assert str(raised.value) == f"the site's own robots.txt is {len(own) + 1:,} {over}"


def test_site_wildcard_rules_combine_with_policy_paths(make_site):
    site, reg = make_site()
    original = b"User-agent: *\nDisallow: /*.pdf$\nAllow: /*.css$\n"
    text = robots.render(site, reg, original).decode()
    protego = Protego.parse(text)
    assert not protego.can_fetch(ORIGIN + "/press/kit.pdf", "GPTBot")
    assert protego.can_fetch(ORIGIN + "/press/kit.zip", "GPTBot")
    assert not protego.can_fetch(ORIGIN + "/style.css", "GPTBot")
    assert not protego.can_fetch(ORIGIN + "/blog/kit.pdf", "Googlebot")
    assert not protego.can_fetch(ORIGIN + "/blog/style.css", "Googlebot")
    assert protego.can_fetch(ORIGIN + "/style.css", "Googlebot")


WILDCARD_POLICY = """
sites:
  - name: jane
    url: https://jane.example
    input: public
    rightsholder: {name: Jane Doe}
    reserve: [genai-train]
    rules:
      - path: /press/
        reserve: [tdm, train, ai-input, search]
      - path: /press/open/
        allow: [genai-train]
      - path: /*.jpg$
        reserve: [ai-input]
    agents:
      block: [Slackbot]
      categories: {agent: block}
"""


@pytest.mark.parametrize(
    "original",
    [
        b"User-agent: *\nDisallow: /x\nAllow: *.css\n",
        b"User-agent: *\nAllow: /press/\nDisallow: /*.pdf$\nDisallow: /*/x\n",
        b"User-agent: *\nAllow: /a$\nDisallow: /\n",
    ],
)
def test_wildcard_rules_on_either_side(make_site, original):
    """urllib cannot read '*' or '$'; Protego and RFC 9309 can, and must agree with us."""
    site, reg = make_site(WILDCARD_POLICY)
    protego = Protego.parse(robots.render(site, reg, original).decode())
    paths = (
        "/",
        "/a",
        "/a.jpg",
        "/x/b.jpg",
        "/x/s.css",
        "/press/a",
        "/press/a.pdf",
        "/press/open/a.jpg",
        "/press/x/y",
        "/blog/s.css",
    )
    wrong = [
        (a.token, path)
        for a in reg
        for path in paths
        if protego.can_fetch(ORIGIN + path, a.token) != expected(site, reg, original, a.token, path)
    ]
    assert not wrong, wrong[:10]


# --- properties -------------------------------------------------------------------------------

_TOKENS = [
    "*",
    "GPTBot",
    "Googlebot",
    "Googlebot-Image",
    "Spider",
    "Baiduspider",
    "Applebot",
    "FooBot",
    "MySpider",
    "google",
    "bingbot",
    "facebookexternalhit",
    "Google-Extended",
]
_PATHS = ["/", "/press/", "/press/a", "/blog/", "/drafts/", "/drafts/public/", "/x"]
_line = st.one_of(
    st.sampled_from(_TOKENS).map(lambda t: f"User-agent: {t}"),
    st.sampled_from(_TOKENS).map(lambda t: f"user-agent:{t}  # c"),
    st.tuples(st.sampled_from(["Allow", "Disallow", "disallow"]), st.sampled_from(_PATHS)).map(
        lambda fp: f"{fp[0]}: {fp[1]}"
    ),
    st.sampled_from(
        [
            "",
            "# a comment",
            "Disallow:",
            "Crawl-delay: 3",
            "garbage line",
            "Sitemap: https://jane.example/s.xml",
            "Content-Signal: ai-train=yes",
            "  Allow: /press/a # x",
        ]
    ),
)
_robots = st.tuples(
    st.lists(_line, max_size=14), st.sampled_from(["\n", "\r\n"]), st.booleans(), st.booleans()
).map(
    lambda t: (("\ufeff" if t[2] else "") + t[1].join(t[0]) + (t[1] if t[3] else "")).encode(
        "utf-8"
    )
)


@pytest.mark.slow  # ~10 s
@settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(original=_robots)
def test_merge_is_idempotent_reversible_and_parsers_agree(make_site, original):
    site, reg = make_site()
    once = robots.render(site, reg, original)
    assert robots.render(site, reg, once) == once
    assert robots.remove(once) == original
    check = [
        "GPTBot",
        "Googlebot",
        "Googlebot-Image",
        "Spider",
        "Baiduspider",
        "Applebot",
        "Applebot-Extended",
        "facebookexternalhit",
        "Google-Extended",
        "Bytespider",
    ]
    assert_agrees(
        site,
        reg,
        original,
        tokens=check,
        paths=("/", "/press/a", "/blog/b", "/drafts/public/c", "/x"),
    )


# --- helpers of the merge, with expected values written by hand (mutation testing found
# them reached only through whole merges that never told their answers apart) -------------


@pytest.mark.parametrize(
    ("prefix", "wildcard", "expected"),
    [
        ("/press/", "/*.pdf$", ["/press/*.pdf$"]),
        # the part after "*" may begin inside the prefix: "/press/x" is also matched
        ("/press/", "/*/x", ["/press/*/x", "/press/x"]),
        ("/ab/", "/*b/x$", ["/ab/*b/x$", "/ab/x$"]),
        # only the literal up to a second "*" can begin inside the prefix
        ("/a/", "/*/b*/c", ["/a/*/b*/c", "/a/b*/c"]),
        ("/a/", "/*/b/*c", ["/a/*/b/*c", "/a/b/*c"]),  # the literal before it, not after
        # "$" ends the pattern, it is no character the prefix could end with
        ("/press/", "/*/$", ["/press/*/$"]),
        ("/press/", "/docs/*.pdf", []),  # the wildcard's head is outside the prefix
        ("/", "/*.pdf$", []),
        ("/a*/", "/*x", []),  # not a plain prefix
    ],
)
def test_crosses_gives_the_patterns_a_wildcard_matches_under_a_prefix(
    prefix: str, wildcard: str, expected: list[str]
) -> None:
    assert robots._crosses(prefix, wildcard) == expected


def test_too_big_says_how_big_and_what_to_do() -> None:
    assert robots._too_big(600_000, "robots.txt would be") == (
        "robots.txt would be 600,000 bytes, over the 500 KiB that crawlers must read "
        "(RFC 9309 §2.5); shorten the site's own rules"
    )


@pytest.mark.parametrize(
    ("value", "key", "written"),
    [
        (" GPTBot ", "gptbot", "GPTBot"),
        ("gptbot/1.0", "gptbot", "GPTBot"),  # the parser's token, spelt as the registry does
        ("Terra Cotta", "terracotta", "TerraCotta"),  # an alias, whose first word is no agent
        ("FooBot/2", "foobot", "FooBot"),  # no agent of ours: the token as the site wrote it
        ("/x", "", None),  # names no token
    ],
)
def test_a_site_user_agent_line_names_its_key(value: str, key: str, written: str | None) -> None:
    plan = robots._Plan.__new__(robots._Plan)  # only the registry matters here
    plan.reg, plan.site_names = load(), {}
    assert plan._site_key(value) == key
    assert plan.site_names == ({key: written} if written else {})
