"""The policy model: reserve/allow semantics and most-specific-rule resolution."""

from __future__ import annotations

import pytest

from optout_site.policy import Policy, PolicyError, Rule, Use, apply, expand

T, G, I, S, M = Use.TRAIN, Use.GENAI_TRAIN, Use.AI_INPUT, Use.SEARCH, Use.TDM
PHOTOGRAPHER = frozenset({M, T, G, I})


@pytest.mark.parametrize(
    ("reserve", "allow", "expected"),
    [
        ([], [], set()),
        ([T], [], {T, G}),
        ([G], [], {G}),
        ([M], [], {M, T, G, I}),
        ([M], [I], {M, T, G}),
        ([M, T, I], [S], {M, T, G, I}),
        ([S], [], {S}),
        (list(Use), [], set(Use)),
        ([M], [T], {M, I}),  # explicit allow of train also allows its narrower genai-train
    ],
)
def test_apply_over_nothing(reserve, allow, expected):
    assert apply(frozenset(), reserve, allow) == frozenset(expected)


@pytest.mark.parametrize(
    ("base", "reserve", "allow", "expected"),
    [
        (PHOTOGRAPHER, [], [M], set()),  # /press/ free for everything but search stays allowed
        (PHOTOGRAPHER, [], [T], {M, I}),
        (PHOTOGRAPHER, [S], [], PHOTOGRAPHER | {S}),
        (frozenset(), [T], [], {T, G}),
        (PHOTOGRAPHER, [], [I], {M, T, G}),
    ],
)
def test_apply_over_site_default(base, reserve, allow, expected):
    assert apply(base, reserve, allow) == frozenset(expected)


@pytest.mark.parametrize(
    ("reserve", "allow", "words"),
    [([T], [T], "both reserved and allowed"), ([T], [G], "genai-train cannot be allowed")],
)
def test_contradictions_are_refused(reserve, allow, words):
    with pytest.raises(PolicyError, match=words):
        apply(frozenset(), reserve, allow)


def test_expand_is_closed():
    assert expand([M]) == {M, T, G, I}
    assert expand(expand([T])) == expand([T])


POLICY = Policy(
    reserve=frozenset({M, T, I}),
    allow=frozenset({S}),
    rules=(
        Rule("/press/", allow=frozenset({M})),
        Rule("/press/embargo/", reserve=frozenset({M})),
        Rule("/*.pdf$", reserve=frozenset({S})),
        Rule("/blog/", reserve=frozenset({S})),
    ),
)


@pytest.mark.parametrize(
    ("path", "rule", "reserved"),
    [
        ("/", "/", PHOTOGRAPHER),
        ("/gallery/a.jpg", "/", PHOTOGRAPHER),
        ("/press/", "/press/", set()),
        ("/press/portrait.jpg", "/press/", set()),
        ("/press", "/", PHOTOGRAPHER),  # prefix match is by octets, as in RFC 9309
        ("/press/embargo/x.jpg", "/press/embargo/", PHOTOGRAPHER),
        ("/docs/cv.pdf", "/*.pdf$", PHOTOGRAPHER | {S}),
        ("/docs/cv.pdf?x=1", "/", PHOTOGRAPHER),  # '$' anchors the end
        ("/blog/2026/post/", "/blog/", PHOTOGRAPHER | {S}),
        (
            "/press/kit.pdf",
            "/press/",
            set(),
        ),  # "/press/" (7 octets) beats "/*.pdf$" (7): config order
    ],
)
def test_resolve_most_specific_rule_wins(path, rule, reserved):
    decision = POLICY.resolve(path)
    assert decision.rule == rule
    assert decision.reserved == frozenset(reserved)


def test_ordered_decisions_longest_first_and_root_last():
    paths = [p for p, _ in POLICY.ordered_decisions]
    assert paths == ["/press/embargo/", "/press/", "/*.pdf$", "/blog/", "/"]


def test_first_match_over_ordered_rules_equals_resolve():
    # The property every first-match dialect (tdmrep.json, ai.txt) relies on.
    import re

    def first_match(path):
        for pattern, decision in POLICY.ordered_decisions:
            body = pattern.rstrip("$")
            regex = ".*".join(map(re.escape, body.split("*"))) + (
                "$" if pattern.endswith("$") else ""
            )
            if re.match(regex, path):
                return decision
        raise AssertionError("/ always matches")

    for path in ["/", "/press/a", "/press/embargo/b", "/x.pdf", "/blog/", "/press/y.pdf"]:
        assert first_match(path) == POLICY.resolve(path)
