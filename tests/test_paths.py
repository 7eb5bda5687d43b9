"""One model of URL paths: normalisation, RFC 9309 matching and specificity.

The rows are written from the specs (RFC 3986 §6.2.2, RFC 9309 §2.2.2-2.2.3 and the
examples in Google's robots.txt specification), not from the code. The properties check
that the build's decision, the checker's reading of what the build wrote, and two
independent robots.txt parsers agree on every generated path, in every spelling.
"""

from __future__ import annotations

import json
import re
import urllib.robotparser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from protego import Protego
from support import examples

from optout_site import config, paths
from optout_site.check.readings import TdmRule, first_match
from optout_site.dialects import tdm_reservation
from optout_site.policy import Policy, Rule, Use
from optout_site.signals import robots, tdmrep
from optout_site.signals.robots import agents

ORIGIN = "https://jane.example"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("/", "/"),
        ("/café/", "/caf%C3%A9/"),  # non-ASCII: UTF-8 octets, percent-encoded
        ("/caf%c3%a9/", "/caf%C3%A9/"),  # hex digits upper case (RFC 3986 §6.2.2.1)
        ("/%7Ejane/", "/~jane/"),  # unreserved escapes decoded (§6.2.2.2)
        ("/%41%2d%5f%2E/", "/A-_./"),
        ("/a%2Fb/", "/a%2Fb/"),  # reserved escapes stay: /a%2Fb is not /a/b
        ("/a%2fb/", "/a%2Fb/"),
        ("/a b/", "/a%20b/"),
        ("/100%/", "/100%25/"),  # a "%" that starts no escape is data
        ("/%zz", "/%25zz"),
        ("/a#b", "/a%23b"),  # "#" would start a robots.txt comment
        ("/*.jpg$", "/*.jpg$"),
        ("/search?q=x&y", "/search?q=x&y"),
        ("/日本/", "/%E6%97%A5%E6%9C%AC/"),
        ("/<x>/", "/%3Cx%3E/"),
    ],
)
def test_normalise(raw: str, canonical: str) -> None:
    assert paths.normalise(raw) == canonical


def test_undecodable_file_names_are_encoded_octet_for_octet() -> None:
    # os.fsdecode turns the byte 0xE9 of a Latin-1 file name into U+DCE9 (surrogateescape)
    assert paths.normalise("/caf\udce9/") == "/caf%E9/"
    # a lone surrogate no file name produces still gets an encoding, its UTF-8-like octets
    assert paths.normalise("/\ud800") == "/%ED%A0%80"


def test_file_names_keep_the_characters_a_path_may_hold() -> None:
    # RFC 3986 pchar: sub-delims, ":" and "@" stand as they are in a URL path, so a rule
    # spelled with them matches the file; "?", "#", "%" and space are data in a name.
    assert paths.file_url_path("a!b/it's (1)+x=y;z,@:.jpg") == "/a!b/it's%20(1)+x=y;z,@:.jpg"
    assert paths.file_url_path("100%?#.html") == "/100%25%3F%23.html"


@pytest.mark.parametrize(
    ("pattern", "sample", "inside"),
    [
        ("/", "/", "/sample.html"),
        ("/blog/", "/blog/", "/blog/sample.html"),
        ("/FAX", "/FAX", "/FAX/sample.html"),  # only slashes are trimmed
        ("/a/*.jpg$", "/a/x.jpg", "/a/x.jpg/sample.html"),
        ("/café/*", "/caf%C3%A9/x", "/caf%C3%A9/x/sample.html"),  # "x" for each "*"
        ("", "/", "/sample.html"),
    ],
)
def test_example_and_inside_give_a_path_the_pattern_matches(
    pattern: str, sample: str, inside: str
) -> None:
    assert paths.example(pattern) == sample
    assert paths.inside(pattern) == inside
    if pattern:
        assert paths.matches(pattern, sample)


# Google's robots.txt specification, "URL matching based on path values" (and RFC 9309).
GOOGLE_ROWS = [
    ("/", "/", True),
    ("/", "/x", True),
    ("/fish", "/fish", True),
    ("/fish", "/fish.html", True),
    ("/fish", "/fish/salmon.html", True),
    ("/fish", "/fishheads", True),
    ("/fish", "/fish.php?id=anything", True),
    ("/fish", "/Fish.asp", False),
    ("/fish", "/catfish", False),
    ("/fish", "/?id=fish", False),
    ("/fish*", "/fishheads/yummy.html", True),
    ("/fish*", "/Fish.bar", False),
    ("/fish/", "/fish/", True),
    ("/fish/", "/fish/?id=anything", True),
    ("/fish/", "/fish", False),
    ("/fish/", "/fish.html", False),
    ("/*.php", "/index.php", True),
    ("/*.php", "/folder/filename.php?parameters", True),
    ("/*.php", "/windows.PHP", False),
    ("/*.php$", "/filename.php", True),
    ("/*.php$", "/filename.php?parameters", False),
    ("/*.php$", "/filename.php5", False),
    ("/fish*.php", "/fish.php", True),
    ("/fish*.php", "/fishheads/catfish.php?parameters", True),
    ("/fish*.php", "/Fish.PHP", False),
    ("/*.php", "/index.ph", False),  # the octet after the last "*" counts too
    ("/a*b*c", "/a-b-c", True),  # every "*" is a wildcard, not only the first
    ("/a*b*c", "/a-b-", False),
    # Spelling does not matter, octets do.
    ("/café/", "/caf%C3%A9/a.jpg", True),
    ("/caf%C3%A9/", "/café/a.jpg", True),
    ("/%7Ejane/", "/~jane/a.html", True),
    ("/~jane/", "/%7ejane/a.html", True),
    ("/a%2Fb/", "/a/b/c", False),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), GOOGLE_ROWS)
def test_matches_like_the_spec(pattern: str, path: str, expected: bool) -> None:
    assert paths.matches(pattern, path) is expected


def test_specificity_counts_octets_of_the_encoded_form() -> None:
    assert paths.specificity("/café/") == len("/caf%C3%A9/") == paths.specificity("/caf%c3%a9/")
    assert paths.specificity("/%7Ejane/") == len("/~jane/")
    assert paths.specificity("/*.jpg$") == 7


@pytest.mark.parametrize("tie_first", [True, False])
def test_longest_match_tie_goes_to_the_tie_rule_in_either_order(tie_first: bool) -> None:
    """RFC 9309: equally specific allow and disallow — allow wins, whatever the order."""
    rules = [("/a*", True), ("/ab", False)] if tie_first else [("/ab", False), ("/a*", True)]
    table: paths.LongestMatch[bool] = paths.LongestMatch(rules, tie=lambda a, b: a or b)
    assert table.get("/abc", True) is True
    plain_tie: paths.LongestMatch[bool] = paths.LongestMatch(
        [("/x", False), ("/x", True)] if tie_first else [("/x", True), ("/x", False)],
        tie=lambda a, b: a or b,
    )
    assert plain_tie.get("/x/y", False) is True


def test_longest_match_with_only_wildcards_and_no_match() -> None:
    table: paths.LongestMatch[int] = paths.LongestMatch([("/*.jpg", 1), ("/x*", 2)])
    assert table.best("/a.jpg") == ("/*.jpg", 1)
    assert table.best("/a.png") is None
    assert table.get("/a.png", 7) == 7


def test_longest_match_root_and_plain_prefixes() -> None:
    table: paths.LongestMatch[int] = paths.LongestMatch([("/", 1), ("/a/", 2), ("", 3)])
    assert table.best("/x") == ("/", 1)  # the one-octet prefix "/" is looked up too
    assert table.best("/a/b") == ("/a/", 2)
    assert table.best("") is None  # "Disallow:" with no path matches nothing


def test_longest_match_the_most_octets_win_whatever_the_kind_and_order() -> None:
    either = lambda a, b: a or b  # noqa: E731
    # a longer wildcard beats a shorter plain prefix ...
    assert paths.LongestMatch([("/a", "plain"), ("/ab*", "wild")]).best("/abc") == ("/ab*", "wild")
    # ... a shorter wildcard never takes part in a longer plain prefix's tie ...
    longer: paths.LongestMatch[bool] = paths.LongestMatch(
        [("/abc/", False), ("/a*", True)], tie=either
    )
    assert longer.best("/abc/x") == ("/abc/", False)
    # ... a shorter wildcard before a longer one does not end the search ...
    table = paths.LongestMatch([("/ab", "plain"), ("/*", "short"), ("/ab*c", "long")])
    assert table.best("/abxc") == ("/ab*c", "long")
    # ... nor does a wildcard that does not match
    assert paths.LongestMatch([("/x*", 1), ("/a*", 2)]).best("/abc") == ("/a*", 2)
    # a tie keeps the first pattern's name and combines the values
    tie: paths.LongestMatch[bool] = paths.LongestMatch([("/ab", False), ("/a*", True)], tie=either)
    assert tie.best("/abc") == ("/ab", True)


def test_policy_rule_written_first_wins_a_tie_in_either_order() -> None:
    a = Rule("/a*", reserve=frozenset({Use.TRAIN}))
    b = Rule("/ab", allow=frozenset({Use.TRAIN}))
    assert Policy(rules=(a, b)).resolve("/abc").rule == "/a*"
    assert Policy(rules=(b, a)).resolve("/abc").rule == "/ab"


def test_spellings_of_one_rule_are_one_rule() -> None:
    policy = Policy(rules=(Rule("/%7Ejane/", reserve=frozenset({Use.TDM})),))
    assert policy.resolve("/~jane/a.html").rule == "/~jane/"
    policy = Policy(rules=(Rule("/café/", reserve=frozenset({Use.TDM})),))
    assert policy.resolve(paths.file_url_path("café/a.jpg")).reserves(Use.TDM)
    assert policy.resolve("/café/a.jpg").reserves(Use.TDM)


# --- properties -------------------------------------------------------------------------

_SEGMENTS = [
    "café",
    "caf%C3%A9",
    "caf%c3%a9",
    "~jane",
    "%7Ejane",
    "%7ejane",
    "a",
    "b.jpg",
    "x.html",
    "press",
    "日本",
    "a$b",
    "100%",
    "q&a",
]
_segment = st.sampled_from(_SEGMENTS)
_path = st.lists(_segment, min_size=1, max_size=4).map(lambda s: "/" + "/".join(s))
# sites.yaml refuses "$" before the end of a rule path.
_rule_segment = st.sampled_from([s for s in _SEGMENTS if "$" not in s])
_pattern = st.tuples(
    st.lists(st.one_of(_rule_segment, st.just("*"), st.just("*.jpg")), min_size=1, max_size=3),
    st.sampled_from(["", "/", "$"]),
).map(lambda t: "/" + "/".join(t[0]) + t[1])


@settings(max_examples=examples(300), deadline=None)
@given(st.one_of(_path, _pattern, st.text(max_size=30).map(lambda s: "/" + s)))
def test_normalise_is_idempotent(raw: str) -> None:
    once = paths.normalise(raw)
    assert paths.normalise(once) == once
    assert once.isascii()


@settings(max_examples=examples(300), deadline=None)
@given(st.text(min_size=1, max_size=30).filter(lambda s: "/" not in s and s not in (".", "..")))
def test_file_url_paths_are_normalised(name: str) -> None:
    url = paths.file_url_path(name)
    assert paths.normalise(url) == url
    assert paths.matches(url + "$", url)


def _site(write_config, tmp_path, rules: list[str], default_reserves: bool):
    (tmp_path / "public").mkdir(exist_ok=True)
    body = "\n".join(
        f"      - path: {json.dumps(p)}\n        {'allow' if default_reserves else 'reserve'}: "
        f"[tdm, train, ai-input]"
        for p in rules
    )
    top = "reserve: [tdm, train, ai-input]" if default_reserves else "reserve: []"
    text = (
        "sites:\n  - name: s\n    url: https://jane.example\n    input: public\n"
        f"    rightsholder: {{name: Jane}}\n    {top}\n    allow: [search]\n"
        + (f"    rules:\n{body}\n" if rules else "")
    )
    return config.load(write_config(text)).sites[0]


@pytest.mark.slow  # 150 site builds, ~10 s; the spec rows above stay in the fast loop
@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rules=st.lists(_pattern, min_size=1, max_size=4, unique_by=paths.normalise),
    requests=st.lists(_path, min_size=1, max_size=6),
    default_reserves=st.booleans(),
)
def test_build_checker_and_parsers_agree_on_every_spelling(
    write_config, tmp_path, rules, requests, default_reserves
):
    site = _site(write_config, tmp_path, rules, default_reserves)
    reg = agents.registry_for(site)
    text = robots.render(site, reg, None).decode()
    protego = Protego.parse(text)
    urllib_parser = urllib.robotparser.RobotFileParser()
    urllib_parser.parse(text.splitlines())
    plain = all(paths.is_plain(p) for p in rules)
    tdm_rules = [
        TdmRule(i, r["location"], r["tdm-reservation"], r.get("tdm-policy"))
        for i, r in enumerate(json.loads(tdmrep.render(site)), 1)
    ]
    # Each request in two spellings: as written (raw UTF-8, lower-case hex) and normalised.
    for request in requests:
        spellings = {request, paths.normalise(request)}
        # A "%" that starts no escape is not a URL a client sends ("/100%" goes out as
        # "/100%25"); only the build is asked about it, below.
        if re.search(r"%(?![0-9A-Fa-f]{2})", request):
            spellings.discard(request)
            assert site.policy.resolve(request) == site.policy.resolve(paths.normalise(request))
        for spelling in spellings:
            decision = site.policy.resolve(spelling)
            assert decision == site.policy.resolve(paths.normalise(spelling))
            blocked = agents.blocked(site, "GPTBot", decision, reg)
            url = ORIGIN + spelling
            # Protego reads a "$" inside a request path as the anchor (/*/a$ blocks /x/a$b).
            if "$" not in spelling:
                assert protego.can_fetch(url, "GPTBot") is not blocked, (spelling, text)
            if plain and "%2F" not in spelling.upper():
                assert urllib_parser.can_fetch("GPTBot", url) is not blocked, (spelling, text)
            said = first_match(tdm_rules, spelling)
            assert said is not None and said.reservation == tdm_reservation(decision)
