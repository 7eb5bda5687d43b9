"""The IETF AI-preferences vocabulary: tables written from the draft text, not from the code.

vocab-07 is read from the WG repository (tag draft-ietf-aipref-vocab-07); vocab-08 from the
issue and secondary summaries of the published draft (see ``vocabulary.VOCAB_08.read_from``).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from support import make_example, run_cli

from optout_site import config, dialects, vocabulary
from optout_site.errors import PolicyError
from optout_site.policy import Decision, Use, apply

T, G, I, S, M = Use.TRAIN, Use.GENAI_TRAIN, Use.AI_INPUT, Use.SEARCH, Use.TDM
SUBSETS = [frozenset(u for i, u in enumerate(Use) if n >> i & 1) for n in range(32)]

# --- the drafts' tables ---------------------------------------------------------------------

# vocab-07 §6.1, Table 1 "Mappings for Categories"; §4.1, §4.2.
# vocab-08 §6.1 Table 1 (train-ai, ai-use, search); §4.1 AI Training, §4.2 AI Use, §4.3 Search.
DRAFT = {
    "vocab-07": (
        "draft-ietf-aipref-vocab-07",
        "2026-08-19",
        {
            "train-ai": ("AI Model Training", "4.1"),
            "search": ("Search", "4.2"),
        },
    ),
    "vocab-08": (
        "draft-ietf-aipref-vocab-08",
        "2026-09-14",
        {
            "train-ai": ("AI Training", "4.1"),
            "ai-use": ("AI Use", "4.2"),
            "search": ("Search", "4.3"),
        },
    ),
}

# What `y` lets a reader do, in our uses. train-ai: "modify the learned parameters of an AI
# model that is used to generate synthetic content" = genai-train. ai-use: input to a
# generative model = ai-input. search: "A preference to allow this category of use includes
# allowing any processing internal to the application [...] That includes the training of
# AI models using the assets" (07 §4.2), overriding AI Training and AI Use (08 §4.3): search
# and training (generative or not) used exclusively by the search application.
Y_ALLOWS = {
    "vocab-07": {"train-ai": {G}, "search": {S, T, G}},
    "vocab-08": {"train-ai": {G}, "ai-use": {I}, "search": {S, T, G}},
}
# What `n` asks not to do, in our uses.
N_RESERVES = {
    "vocab-07": {"train-ai": {G}, "search": {S}},
    "vocab-08": {"train-ai": {G}, "ai-use": {I}, "search": {S}},
}

GENS = {g.name: g for g in vocabulary.GENERATIONS}


def test_generations_are_the_drafts():
    assert set(GENS) == set(DRAFT)
    assert vocabulary.CURRENT is GENS["vocab-08"]
    for name, (draft, date, labels) in DRAFT.items():
        gen = GENS[name]
        assert (gen.draft, gen.date) == (draft, date)
        assert gen.names == tuple(labels)  # the draft's table order, which is ours
        assert {lb.name: (lb.category, lb.section) for lb in gen.labels} == labels
        # -07 removed the subset fallback; -08 adds none (search overrides instead)
        assert gen.parents == ()
    assert dict(GENS["vocab-08"].overrides) == {"search": ("train-ai", "ai-use")}
    assert dict(GENS["vocab-07"].overrides) == {}
    assert "ai-use" not in vocabulary.RETIRED and "bots" in vocabulary.RETIRED


def test_rows_express_the_uses_the_text_names():
    for name, gen in GENS.items():
        for lb in gen.labels:
            assert lb.allows == Y_ALLOWS[name][lb.name], (name, lb.name)
            assert lb.reserves == N_RESERVES[name][lb.name], (name, lb.name)


# (reserve, allow) as a site writes them → Content-Usage per generation, written by hand.
CASES = [
    ([], [], "train-ai=y, ai-use=y, search=y", "train-ai=y, search=y"),
    (["tdm"], [], "train-ai=n, ai-use=n", "train-ai=n"),  # search=y would allow training
    (["tdm", "search"], [], "train-ai=n, ai-use=n, search=n", "train-ai=n, search=n"),
    (["genai-train"], [], "train-ai=n, ai-use=y", "train-ai=n"),
    (["train"], [], "train-ai=n, ai-use=y", "train-ai=n"),
    (["ai-input"], [], "train-ai=y, ai-use=n, search=y", "train-ai=y, search=y"),
    (["search"], [], "train-ai=y, ai-use=y, search=n", "train-ai=y, search=n"),
    (["tdm"], ["ai-input"], "train-ai=n, ai-use=y", "train-ai=n"),
    (["tdm"], ["train"], "train-ai=y, ai-use=n, search=y", "train-ai=y, search=y"),
    (["tdm"], ["search"], "train-ai=n, ai-use=n", "train-ai=n"),
]


@pytest.mark.parametrize(("reserve", "allow", "v08", "v07"), CASES)
def test_content_usage_table(reserve, allow, v08, v07):
    reserved = apply(frozenset(), map(Use, reserve), map(Use, allow))
    assert vocabulary.content_usage(reserved, GENS["vocab-08"]) == v08
    assert vocabulary.content_usage(reserved, GENS["vocab-07"]) == v07
    assert dialects.content_usage(Decision(reserved)) == v08  # the current generation


# --- the property: no label says y for a reserved use -------------------------------------


def _assert_safe(reserved: frozenset[Use]) -> None:
    for name, gen in GENS.items():
        said = vocabulary.statement(reserved, gen)
        assert said, (name, reserved)  # never an empty Content-Usage line
        for label, value in said.items():
            if value == "y":
                assert not Y_ALLOWS[name][label] & reserved, (name, label, reserved)
            else:
                assert N_RESERVES[name][label] & reserved, (name, label, reserved)
        for label in gen.names:
            # a reservation is always stated, and an allowance wherever y grants nothing reserved
            if N_RESERVES[name][label] & reserved:
                assert said.get(label) == "n", (name, label, reserved)
            elif not Y_ALLOWS[name][label] & reserved:
                assert said.get(label) == "y", (name, label, reserved)


@given(st.frozensets(st.sampled_from(list(Use))))
def test_no_label_grants_a_reserved_use(reserved):
    _assert_safe(Decision(reserved).reserved)


@given(st.frozensets(st.sampled_from(list(Use))), st.frozensets(st.sampled_from(list(Use))))
def test_no_label_grants_a_reserved_use_through_apply(reserve, allow):
    try:
        reserved = apply(frozenset(), reserve, allow)
    except PolicyError:
        assume(False)
        return
    _assert_safe(reserved)


@pytest.mark.parametrize("reserved", SUBSETS, ids=lambda s: ",".join(sorted(s)) or "none")
def test_every_subset_is_safe_and_reads_back(reserved):
    _assert_safe(reserved)
    for gen in vocabulary.GENERATIONS:
        written = vocabulary.content_usage(reserved, gen)
        reading = vocabulary.read(written)
        assert reading is not None and not reading.unreadable and not reading.unknown
        assert reading.prefs == vocabulary.statement(reserved, gen)
        assert vocabulary.compare(reading.prefs, reserved) == (gen, [])
        # the same meaning: nothing reserved is granted, only reserved uses are withheld
        assert not vocabulary.grants(reading.prefs, gen) & reserved
        assert vocabulary.withholds(reading.prefs, gen) <= reserved


# --- reading either generation (vocab-07 §6.5, §6.5.1, §6.5.2; RFC 9651 §4.2.2) -----------


@pytest.mark.parametrize(
    ("value", "prefs", "unreadable", "unknown"),
    [
        ("train-ai=n, search=y", {"train-ai": "n", "search": "y"}, (), ()),
        ("train-ai=n, ai-use=n, search=y", {"train-ai": "n", "ai-use": "n", "search": "y"}, (), ()),
        ("train-ai=y,search=n", {"train-ai": "y", "search": "n"}, (), ()),
        ('train-ai=y, train-ai, search=n, search="n"', {}, ("train-ai", "search"), ()),
        ("train-ai;allow=n, train-ai=y", {"train-ai": "y"}, (), ()),
        ('train-ai=n;why="a, b", search=y', {"train-ai": "n", "search": "y"}, (), ()),
        ("train-ai=no, ai-use=(n)", {}, ("train-ai", "ai-use"), ()),
        ("bots=n, train-genai=n", {}, (), ("bots", "train-genai")),
        ("", {}, (), ()),
    ],
)
def test_read(value, prefs, unreadable, unknown):
    reading = vocabulary.read(value)
    assert reading == vocabulary.Reading(prefs, unreadable, unknown)


@pytest.mark.parametrize(
    "value", ["TRAIN-AI=n", "train-ai=n,", "train-ai=n search=y", "train-ai=é", "=n", "a=1;"]
)
def test_unparseable_values_mean_all_unknown(value):
    assert vocabulary.read(value) is None


def test_compare_prefers_the_generation_the_value_is_written_in():
    photo = apply(frozenset(), [M], [])
    # written for -07: accepted as -07
    assert vocabulary.compare({"train-ai": "n"}, photo) == (GENS["vocab-07"], [])
    # an -08 label makes it an -08 value: ai-use=y grants reserved ai-input
    gen, diffs = vocabulary.compare({"train-ai": "n", "ai-use": "y"}, photo)
    assert gen is GENS["vocab-08"] and diffs == [("ai-use", "y", "n")]
    # the pre-08 output of this tool: search=y also allows training, which is reserved
    gen, diffs = vocabulary.compare({"train-ai": "n", "search": "y"}, photo)
    assert gen is GENS["vocab-07"] and diffs == [("search", "y", None)]


# --- check accepts both generations ---------------------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[Path, config.Site]:
    return make_example(tmp_path_factory.mktemp("vocab"))


_LINE = re.compile(r"^Content-Usage: (/\S* )?(.*)$", re.M)


def _rewrite(example, tmp_path: Path, generation: vocabulary.Generation) -> dict:
    """The example's robots.txt with every Content-Usage value in ``generation``'s labels."""
    cfg, site = example
    folder = tmp_path / "site"
    shutil.copytree(site.output_dir, folder)
    robots = folder / "robots.txt"

    def old(match: re.Match[str]) -> str:
        reading = vocabulary.read(match.group(2))
        assert reading is not None
        keep = {k: v for k, v in reading.prefs.items() if k in generation.names}
        return f"Content-Usage: {match.group(1) or ''}{vocabulary.serialize(keep)}"

    text = robots.read_text(encoding="utf-8")
    robots.write_text(_LINE.sub(old, text), encoding="utf-8")
    code = run_cli(["check", str(folder), "--json", "--config", str(cfg)])
    return {"code": code, "text": robots.read_text(encoding="utf-8")}


def _usage_findings(data: dict) -> list[dict]:
    return [f for f in data["findings"] if "Content-Usage" in f["message"]]


@pytest.mark.parametrize("generation", vocabulary.GENERATIONS, ids=lambda g: g.name)
def test_check_accepts_either_generation(example, tmp_path, capsys, generation):
    result = _rewrite(example, tmp_path, generation)
    data = json.loads(capsys.readouterr().out)
    assert ("ai-use=" in result["text"]) is ("ai-use" in generation.names)
    found = _usage_findings(data)
    assert not [f for f in found if f["severity"] == "error"], found
    assert result["code"] == 0
    if generation is not vocabulary.CURRENT:  # accepted, with a note of what -08 adds
        assert any("would also say ai-use=n" in f["message"] for f in found), found


def test_check_rejects_search_y_where_training_is_reserved(example, tmp_path, capsys):
    _, site = example
    folder = tmp_path / "site"
    shutil.copytree(site.output_dir, folder)
    robots = folder / "robots.txt"
    text = robots.read_text(encoding="utf-8")
    assert "\nContent-Usage: train-ai=n, ai-use=n\n" in text
    # what this tool wrote for vocab-07 before: search=y next to train-ai=n
    robots.write_text(
        text.replace(
            "\nContent-Usage: train-ai=n, ai-use=n\n", "\nContent-Usage: train-ai=n, search=y\n"
        ),
        encoding="utf-8",
    )
    code = run_cli(["check", str(folder), "--json", "--config", str(example[0])])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    errors = [f for f in _usage_findings(data) if f["severity"] == "error"]
    assert errors and all("search=y would also allow" in f["message"] for f in errors), errors


def test_robots_rule_values_and_equal_paths():
    from optout_site.check.usage import parse_usage, usage_at

    # attach-05 §3.2: the path ends before the first SP or HTAB
    assert parse_usage("/a/\ttrain-ai=n") == ("/a/", {"train-ai": "n"}, [])
    assert parse_usage("/a/ bots=n, ai-use=x") == ("/a/", {"ai-use": "?"}, ["bots"])
    assert parse_usage("Train-AI=n")[1] is None
    # identical paths combine (vocab-07 §5.1): any n wins, else y; unknown overrides neither
    rules = [("", {"train-ai": "y", "search": "y"}), ("", {"train-ai": "?", "search": "n"})]
    assert usage_at(rules, "/x") == {"train-ai": "y", "search": "n"}
