"""The policy model: reserve/allow semantics and most-specific-rule resolution."""

from __future__ import annotations

import pytest

from optout_site.policy import Decision, Policy, PolicyError, Rule, Use, apply, expand

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
    ("reserve", "allow", "message"),
    [
        ([T], [T], "train is both reserved and allowed"),
        ([S, M, T], [T, M], "tdm, train is both reserved and allowed"),  # sorted, each named
        (
            [T],
            [G],
            "genai-train cannot be allowed while train is reserved"
            " (training generative models is training)",
        ),
    ],
)
def test_contradictions_are_refused_in_plain_words(reserve, allow, message):
    with pytest.raises(PolicyError) as raised:
        apply(frozenset(), reserve, allow)
    assert str(raised.value) == message


def test_decision_answers_for_each_use():
    decision = Decision(frozenset({M, T}), "/a/")
    assert decision.reserves(M) and decision.reserves(T) and not decision.reserves(S)
    assert decision.allowed == frozenset({G, I, S}) and decision.any_reserved
    assert not Decision(frozenset()).any_reserved


def test_a_rule_keeps_its_path_in_the_one_normalised_spelling():
    assert Rule("/%7ejane/caf%c3%a9/").path == "/~jane/caf%C3%A9/"
    assert Rule("/café/*.jpg$").path == "/caf%C3%A9/*.jpg$"


def test_expand_is_closed():
    assert expand([M]) == {M, T, G, I}
    assert expand(expand([T])) == expand([T])


# Built inside each test (not at import), so that Policy's own setup runs under test.
def jane() -> Policy:
    return Policy(
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
    decision = jane().resolve(path)
    assert decision.rule == rule
    assert decision.reserved == frozenset(reserved)


def test_ordered_decisions_longest_first_and_root_last():
    paths = [p for p, _ in jane().ordered_decisions]
    assert paths == ["/press/embargo/", "/press/", "/*.pdf$", "/blog/", "/"]


def test_first_match_over_ordered_rules_equals_resolve():
    # The property every first-match dialect (tdmrep.json, ai.txt) relies on.
    import re

    def first_match(path):
        for pattern, decision in jane().ordered_decisions:
            body = pattern.rstrip("$")
            regex = ".*".join(map(re.escape, body.split("*"))) + (
                "$" if pattern.endswith("$") else ""
            )
            if re.match(regex, path):
                return decision
        raise AssertionError("/ always matches")

    for path in ["/", "/press/a", "/press/embargo/b", "/x.pdf", "/blog/", "/press/y.pdf"]:
        assert first_match(path) == jane().resolve(path)
