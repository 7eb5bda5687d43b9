"""One table per dialect: how each reserved set is spelled."""

from __future__ import annotations

import pytest

from optout_site import dialects
from optout_site.policy import Decision, Use

T, G, I, S, M = Use.TRAIN, Use.GENAI_TRAIN, Use.AI_INPUT, Use.SEARCH, Use.TDM
NOTHING, PHOTO, ALL = frozenset(), frozenset({M, T, G, I}), frozenset(Use)
V = dialects.PLUS_VOCAB


def d(*uses):
    return Decision(frozenset(uses))


@pytest.mark.parametrize(
    ("decision", "tdm", "noai"),
    [
        (d(), 0, False),
        # DeviantArt's noai means no training *and* no AI input: only where both are reserved.
        (d(T, G), 1, False),
        (d(I), 1, False),
        (d(G, I), 1, False),  # non-generative training stays allowed
        (d(T, G, I), 1, True),
        (d(S), 1, False),
        (d(M), 1, False),
        (d(*PHOTO), 1, True),
    ],
)
def test_tdmrep_and_noai(decision, tdm, noai):
    assert dialects.tdm_reservation(decision) == tdm
    assert dialects.noai(decision) is noai


@pytest.mark.parametrize(
    ("decision", "usage", "signal"),
    [
        (d(), "train-ai=y, ai-use=y, search=y", "search=yes, ai-input=yes, ai-train=yes"),
        # search=y would also allow training for search (vocab-08 §4.3): left unsaid
        (d(*PHOTO), "train-ai=n, ai-use=n", "search=yes, ai-input=no, ai-train=no"),
        (d(*ALL), "train-ai=n, ai-use=n, search=n", "search=no, ai-input=no, ai-train=no"),
        (d(G), "train-ai=n, ai-use=y", "search=yes, ai-input=yes"),  # ai-train left unsaid
        (d(I), "train-ai=y, ai-use=n, search=y", "search=yes, ai-input=no, ai-train=yes"),
    ],
)
def test_content_usage_and_content_signal(decision, usage, signal):
    assert dialects.content_usage(decision) == usage
    assert dialects.content_signal([decision]) == signal


@pytest.mark.parametrize(
    ("decisions", "signal"),
    [
        # reserve: [] with /blog/ reserving tdm: only search is the same everywhere.
        ([d(), d(M, T, G, I)], "search=yes"),
        # a group that may crawl only where everything is allowed says so
        ([d()], "search=yes, ai-input=yes, ai-train=yes"),
        ([d(*PHOTO), d(*PHOTO)], "search=yes, ai-input=no, ai-train=no"),
        ([d(*ALL), d()], None),  # no key agrees: no line at all
        ([d(G), d(T, G)], "search=yes, ai-input=yes"),  # ai-train unsayable in one of them
    ],
)
def test_content_signal_states_only_what_every_crawlable_decision_agrees_on(decisions, signal):
    assert dialects.content_signal(decisions) == signal


@pytest.mark.parametrize(
    ("decision", "code", "constraint"),
    [
        (d(), "DMI-ALLOWED", False),
        (d(G), "DMI-PROHIBITED-GENAIMLTRAINING", False),
        (d(T, G), "DMI-PROHIBITED-AIMLTRAINING", False),
        (d(*PHOTO), "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", False),
        (d(*ALL), "DMI-PROHIBITED", False),
        (d(I), "DMI-PROHIBITED-SEECONSTRAINT", True),
        (d(M, T, G), "DMI-PROHIBITED-SEECONSTRAINT", True),
        (d(S), "DMI-PROHIBITED-SEECONSTRAINT", True),
    ],
)
def test_iptc_data_mining(decision, code, constraint):
    assert dialects.iptc_data_mining(decision) == V + code
    assert dialects.needs_constraint_text(decision) is constraint


@pytest.mark.parametrize(
    ("decision", "permits", "prohibits"),
    [
        (d(), ("all", "ai-all", "ai-train", "ai-input", "ai-index", "search"), ()),
        (d(*PHOTO), ("search",), ("ai-all", "ai-train", "ai-input", "ai-index")),
        (d(*ALL), (), ("ai-all", "ai-train", "ai-input", "ai-index", "search")),
        # only generative training reserved: ai-train (all training) is in neither list
        (d(G), ("ai-input", "ai-index", "search"), ()),
        (d(T, G), ("ai-input", "ai-index", "search"), ("ai-train",)),
        (d(I), ("ai-train", "search"), ("ai-input", "ai-index")),
    ],
)
def test_rsl_usage(decision, permits, prohibits):
    assert dialects.rsl_usage(decision) == (permits, prohibits)


@pytest.mark.parametrize(
    ("decision", "disallow"),
    [(d(), False), (d(G), True), (d(M), True), (d(I), False), (d(S), False)],
)
def test_ai_txt(decision, disallow):
    assert dialects.ai_txt_disallows(decision) is disallow


def test_describe_names_reserved_and_allowed():
    text = dialects.describe(d(*PHOTO))
    assert "training of AI models" in text and "Allowed: search engine indexing" in text
    assert dialects.describe(d()).startswith("No use is reserved")


@pytest.mark.parametrize(
    ("decision", "plain", "with_noarchive"),
    [
        (d(), (), ()),
        (d(T, G, I), ("noai", "noimageai"), ("noai", "noimageai", "noarchive")),
        # Bing's noarchive: AI input *and* generative training reserved, nothing more
        (d(G, I), (), ("noarchive",)),
        (d(I), (), ()),
        (d(T, G), (), ()),
        (d(*ALL), ("noai", "noimageai"), ("noai", "noimageai", "noarchive")),
    ],
)
def test_robots_directives_and_the_noarchive_opt_in(decision, plain, with_noarchive):
    assert dialects.robots_directives(decision) == plain
    assert dialects.robots_directives(decision, noarchive=False) == plain
    assert dialects.robots_directives(decision, noarchive=True) == with_noarchive
    assert dialects.noai_directives(decision) == plain
    assert dialects.bing_noarchive(decision) is ("noarchive" in with_noarchive)


_WORDS = {
    M: "text and data mining",
    T: "training of AI models",
    G: "training of generative AI models",
    I: "use as input to AI systems (retrieval, grounding, AI answers)",
    S: "search engine indexing",
}


@pytest.mark.parametrize(
    ("decision", "text"),
    [
        (
            d(),
            "No use is reserved: "
            + "; ".join(_WORDS[u] for u in (M, T, G, I, S))
            + " are allowed.",
        ),
        (
            d(*ALL),
            "Reserved (not permitted without a licence): "
            + "; ".join(_WORDS[u] for u in (M, T, G, I, S))
            + ".",
        ),
        (
            d(T, G),
            f"Reserved (not permitted without a licence): {_WORDS[T]}; {_WORDS[G]}."
            f" Allowed: {_WORDS[M]}; {_WORDS[I]}; {_WORDS[S]}.",
        ),
    ],
)
def test_describe_in_plain_words_in_use_order(decision, text):
    assert dialects.describe(decision) == text
