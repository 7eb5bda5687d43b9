"""The vocabularies besides the IETF labels, as data: Cloudflare's Content Signals keys
(optout_site/contentsignals.py) and the robots.txt preference tokens the aipref WG drafts
(optout_site/vocabulary.ROBOTS_TOKENS). Adding one is a row there and a row here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest
from support import load_site

from optout_site import contentsignals, dialects, vocabulary
from optout_site.policy import Decision, Use, expand
from optout_site.signals import robots
from optout_site.signals.robots import agents
from optout_site.spec import TOKEN_RE

T, G, I, S, M = Use.TRAIN, Use.GENAI_TRAIN, Use.AI_INPUT, Use.SEARCH, Use.TDM

# docs/signals.md's decision table, the Content-Signal row, written out by hand.
TABLE = [
    (set(), {"search": "yes", "ai-input": "yes", "ai-train": "yes"}),
    ({G}, {"search": "yes", "ai-input": "yes"}),
    ({T}, {"search": "yes", "ai-input": "yes", "ai-train": "no"}),
    ({I}, {"search": "yes", "ai-input": "no", "ai-train": "yes"}),
    ({M, T, G, I}, {"search": "yes", "ai-input": "no", "ai-train": "no"}),
    (set(Use), {"search": "no", "ai-input": "no", "ai-train": "no"}),
]


@pytest.mark.parametrize(("reserved", "expected"), TABLE)
def test_content_signal_table(reserved, expected):
    assert dialects.content_signals(Decision(expand(reserved))) == expected


def test_every_key_has_its_source_date_and_meaning():
    for key in contentsignals.KEYS:
        assert key.meaning and key.source
        dt.date.fromisoformat(key.date)
        if key.reserves is None:
            assert key.left_out, key.name  # a key we do not write says why
        else:
            assert key.reserves <= key.allows, key.name
            assert key.values == ("yes", "no")


def test_use_is_left_out_with_the_cloudflare_definitions():
    use = next(k for k in contentsignals.KEYS if k.name == "use")
    assert use.values == ("immediate", "reference", "full")
    assert use.date == "2026-07-01" and "reference" in use.source
    assert use not in contentsignals.WRITTEN
    for reserved in _all_sets():
        assert "use" not in dialects.content_signals(Decision(reserved))


def _all_sets():
    for n in range(len(Use) + 1):
        for combo in itertools.combinations(Use, n):
            yield expand(combo)


def test_no_key_grants_a_reserved_use_or_refuses_an_allowed_one():
    for reserved in _all_sets():
        decision = Decision(reserved)
        for key in contentsignals.WRITTEN:
            said = contentsignals.value(key, decision)
            if said == "yes":
                assert not reserved & key.allows, (key.name, reserved)
            if said == "no":
                assert reserved & key.reserves, (key.name, reserved)


def test_a_new_key_is_a_data_row(monkeypatch):
    row = contentsignals.Key(
        name="ai-search",
        meaning="hypothetical",
        source="test",
        date="2026-12-01",
        reserves=frozenset({I}),
        allows=frozenset({I, S}),
    )
    monkeypatch.setattr(contentsignals, "WRITTEN", (*contentsignals.WRITTEN, row))
    assert dialects.content_signals(Decision(expand({I})))["ai-search"] == "no"
    assert "ai-search" not in dialects.content_signals(Decision(expand({S})))
    assert dialects.content_signals(Decision(frozenset()))["ai-search"] == "yes"


# --- robots.txt preference tokens --------------------------------------------------------


def test_no_preference_token_is_named_yet_and_each_row_is_consistent():
    # draft-ietf-aipref-attach (7ca0afc, 2026-08-19) names none: nothing to write.
    assert "7ca0afc" in vocabulary.ROBOTS_TOKENS_READ
    for row in vocabulary.ROBOTS_TOKENS:
        assert TOKEN_RE.match(row.token)
        assert agents.CATEGORY_USE[row.category] == row.use
        dt.date.fromisoformat(row.date)


def test_a_named_preference_token_is_a_data_row(monkeypatch, tmp_path):
    row = vocabulary.PreferenceToken(
        token="AI-Training-Preference",
        use=Use.GENAI_TRAIN,
        category="train",
        draft="draft-ietf-aipref-attach-99 (hypothetical)",
        section="5",
        date="2026-12-01",
        basis="a group naming it states the training preference",
    )
    monkeypatch.setattr(vocabulary, "ROBOTS_TOKENS", (row,))
    site = load_site(
        tmp_path,
        """
sites:
  - name: lea
    url: https://lea.example
    input: public
    reserve: [train]
    allow: [ai-input, search]
    rules: [{path: /press/, allow: [train]}]
    rightsholder: {name: Lea}
""",
    )
    text = robots.render(site, agents.registry_for(site), None).decode()
    group = text.split("User-agent: AI-Training-Preference", 1)[1].split("\n\n", 1)[0]
    assert "Disallow: /" in group and "Allow: /press/" in group
    reg = agents.registry_for(dataclasses.replace(site))
    assert reg.get("AI-Training-Preference").source.startswith("draft-ietf-aipref-attach-99")
