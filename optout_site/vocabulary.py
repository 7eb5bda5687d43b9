"""The IETF AI-preferences vocabulary (draft-ietf-aipref-vocab) as data, in one place.

Each *generation* is one revision of the draft whose labels we write or read: its labels,
the category and section each names, which optout-site :class:`~optout_site.policy.Use`
each expresses, the label hierarchy and overrides, and where the text was read. The next
draft is a new :class:`Generation` row and a change of :data:`CURRENT`; no code changes.

Writing (:func:`statement`, :func:`content_usage`) works label by label from two sets:

* ``reserves``: the label says ``n`` when the decision reserves any of these uses;
* ``allows``: everything ``y`` would let a reader do. The label says ``y`` only when the
  decision reserves none of them.

A label that can say neither is left out, which the draft reads as "unknown" (vocab-07
§5: "Otherwise, the preference for that category is unknown"): it grants nothing and
blocks nothing. So no label ever says ``y`` for a reserved use, and ``n`` is said only
for a reserved use. The inexact combinations, all decided from the draft text:

* ``search`` and training. Allowing Search allows "any processing internal to the
  application ... That includes the training of AI models using the assets" (vocab-07
  §4.2; vocab-08 §4.3 keeps this), and in -08 Search "overrides any usage that falls into
  other categories, including AI Training and AI Use" (§4.3). So ``search=y`` grants
  training models used exclusively for search, even next to ``train-ai=n``. Our ``train``
  and ``genai-train`` have no search carve-out, so where either is reserved and ``search``
  is allowed, ``search`` is left out (unknown): ``y`` would grant reserved training, ``n``
  would forbid allowed search. Search engines still get the crawl rules; only this
  preference goes unsaid. If the project decides that its ``search`` use includes training
  used only for search, drop ``TRAIN``/``GENAI_TRAIN`` from ``allows`` of that row.
* ``search=n`` (search reserved) also forbids training models exclusively for search even
  where ``train`` is allowed. That over-blocks a sliver of an allowed use; the protective
  side is kept, because leaving it out would not state the search reservation at all.
* ``search`` and AI use: Search excludes "the use of assets to generate summaries" and only
  shows links and relevance excerpts (vocab-07 §4.2), which is none of our ``ai-input``
  (AI answers, grounding, summaries), so ``search=y`` is not held back by ``ai-input``.
* ``ai-use`` (vocab-08 §4.2) leaves out assets the user supplies directly; our ``ai-input``
  includes assistants fetching for a user. ``ai-use=n`` therefore cannot reserve that
  part: the vocabulary has no label for it (unknown, not granted).
* ``train-ai`` is generative training only (vocab-07 §4.1, vocab-08 §4.1): exactly our
  ``genai-train``. Non-generative training (the rest of ``train``) has no label.

Reading (:func:`read`) parses a ``Content-Usage`` value as the RFC 9651 Dictionary the
draft specifies (vocab-07 §6, §6.5) and keeps the labels of every generation, so a value
written for -07 and one written for -08 both read; :func:`compare` says whether what was
read states a decision in any generation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from optout_site import sfv
from optout_site.policy import Use

Pref = Literal["y", "n"]


@dataclass(frozen=True)
class Label:
    """One category label of one draft revision and the optout-site uses it expresses."""

    name: str  # the Dictionary key, e.g. ``train-ai``
    category: str  # the draft's name for the category
    section: str  # where the draft defines the category
    reserves: frozenset[Use]  # ``n`` when the decision reserves any of these
    allows: frozenset[Use]  # what ``y`` grants; ``y`` only when none of these is reserved
    basis: str  # the draft's words the row rests on


@dataclass(frozen=True)
class Generation:
    """One revision of draft-ietf-aipref-vocab whose labels we write or read."""

    name: str  # e.g. ``vocab-08``
    draft: str  # e.g. ``draft-ietf-aipref-vocab-08``
    date: str  # the draft's date
    url: str
    read_from: str  # which text of the draft these rows were checked against
    labels: tuple[Label, ...]  # in the draft's table order, which is the order we write
    parents: tuple[tuple[str, str], ...] = ()  # (label, containing label): fallback on read
    overrides: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (label, labels it overrides)

    def label(self, name: str) -> Label | None:
        return next((lb for lb in self.labels if lb.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(lb.name for lb in self.labels)


_TRAIN_AI_07 = Label(
    name="train-ai",
    category="AI Model Training",
    section="4.1",
    reserves=frozenset({Use.GENAI_TRAIN}),
    allows=frozenset({Use.GENAI_TRAIN}),
    basis="Using an asset to modify the learned parameters of an AI model that is used "
    "to generate synthetic content in one or more modalities.",
)
_SEARCH_07 = Label(
    name="search",
    category="Search",
    section="4.2",
    reserves=frozenset({Use.SEARCH}),
    allows=frozenset({Use.SEARCH, Use.TRAIN, Use.GENAI_TRAIN}),
    basis="A preference to allow this category of use includes allowing any processing "
    "internal to the application that is performed on assets. [...] That includes the "
    "training of AI models using the assets and the use of those models provided that the "
    "resulting models and their outputs are used exclusively in ways that meet the above "
    "conditions.",
)

VOCAB_07 = Generation(
    name="vocab-07",
    draft="draft-ietf-aipref-vocab-07",
    date="2026-08-19",
    url="https://datatracker.ietf.org/doc/draft-ietf-aipref-vocab/07/",
    read_from="ietf-wg-aipref/drafts, tag draft-ietf-aipref-vocab-07 (commit 7ca0afc), "
    "draft-ietf-aipref-vocab.md",
    labels=(_TRAIN_AI_07, _SEARCH_07),
    # -07 removed the subset fallback of -06 ("Some categories describe a proper subset
    # ...") and has no override: flat.
)

VOCAB_08 = Generation(
    name="vocab-08",
    draft="draft-ietf-aipref-vocab-08",
    date="2026-09-14",
    url="https://datatracker.ietf.org/doc/draft-ietf-aipref-vocab/08/",
    read_from="NOT the primary text: the WG repository mirror ends at -07. Rows follow the "
    "issue text and secondary summaries of -08 (train-ai §4.1, ai-use §4.2, search §4.3 "
    "overriding both); check them against the published draft before relying on them.",
    labels=(
        Label(
            name="train-ai",
            category="AI Training",
            section="4.1",
            reserves=frozenset({Use.GENAI_TRAIN}),
            allows=frozenset({Use.GENAI_TRAIN}),
            basis="Using an asset to modify the learned parameters of a generative AI model "
            "(not models used for classification, ranking or scoring).",
        ),
        Label(
            name="ai-use",
            category="AI Use",
            section="4.2",
            reserves=frozenset({Use.AI_INPUT}),
            allows=frozenset({Use.AI_INPUT}),
            basis="Using an asset as input to a generative AI model, where the asset is not "
            "directly provided by the user; excludes AI Training.",
        ),
        Label(
            name="search",
            category="Search",
            section="4.3",
            reserves=frozenset({Use.SEARCH}),
            allows=frozenset({Use.SEARCH, Use.TRAIN, Use.GENAI_TRAIN}),
            basis="Allowing Search allows processing internal to the search application, "
            "including training AI models used exclusively by it; Search overrides any "
            "usage that falls into other categories, including AI Training and AI Use.",
        ),
    ),
    overrides=(("search", ("train-ai", "ai-use")),),
)

GENERATIONS: tuple[Generation, ...] = (VOCAB_08, VOCAB_07)  # newest first
CURRENT = VOCAB_08

# Labels of earlier revisions that no generation above defines. Readers of the current
# draft ignore them ("any unknown labels MUST be ignored", vocab-07 §6.4). Read from the
# tags draft-ietf-aipref-vocab-01 .. -04 of ietf-wg-aipref/drafts.
RETIRED: Mapping[str, str] = {
    "tdm": "vocab-01",
    "ai": "vocab-01",
    "genai": "vocab-01",
    "inference": "vocab-01",
    "all": "vocab-02",
    "train-genai": "vocab-02, vocab-03",
    "bots": "vocab-03, vocab-04",
    "ai-output": "vocab-04",
}

KNOWN_LABELS: frozenset[str] = frozenset(lb.name for g in GENERATIONS for lb in g.labels)


@dataclass(frozen=True)
class PreferenceToken:
    """A robots.txt product token that stands for a preference, not a crawler: a group
    naming it says the preference (``Disallow`` where ``use`` is reserved). Written like a
    registry agent of ``category`` (signals/robots/agents.registry_for)."""

    token: str
    use: Use
    category: str  # the registry category whose verdicts it follows
    draft: str
    section: str
    date: str
    basis: str


# The training-preference token the aipref WG is drafting for robots.txt groups. None yet:
# draft-ietf-aipref-attach (ietf-wg-aipref/drafts, commit 7ca0afc, 2026-08-19) defines the
# Content-Usage rule (which robots.txt carries already) and names no product token. When a
# draft names one, it is a row here (token, use, category, draft, section, date, basis).
ROBOTS_TOKENS: tuple[PreferenceToken, ...] = ()
ROBOTS_TOKENS_READ = "draft-ietf-aipref-attach, ietf-wg-aipref/drafts commit 7ca0afc, 2026-08-19"


def check_tables() -> None:
    """The invariants the writing rule relies on; raises AssertionError on a bad row."""
    for gen in GENERATIONS:
        assert len(set(gen.names)) == len(gen.names), gen.name
        for lb in gen.labels:
            assert sfv.KEY.fullmatch(lb.name), lb.name
            assert lb.reserves and lb.reserves <= lb.allows, (gen.name, lb.name)
        names = set(gen.names)
        parents = dict(gen.parents)
        for child, parent in gen.parents:
            assert {child, parent} <= names, (gen.name, child, parent)
            seen, at = {child}, parents.get(child)
            while at is not None:  # the hierarchy is a tree: no label contains itself
                assert at not in seen, (gen.name, child)
                seen.add(at)
                at = parents.get(at)
        for label, others in gen.overrides:
            assert {label, *others} <= names, (gen.name, label)
    assert not KNOWN_LABELS & RETIRED.keys()


check_tables()


# --- writing ----------------------------------------------------------------------------


def statement(reserved: Iterable[Use], generation: Generation = CURRENT) -> dict[str, Pref]:
    """Label → ``y``/``n`` for the reserved uses; labels that can say neither are left out."""
    reserved = frozenset(reserved)
    out: dict[str, Pref] = {}
    for label in generation.labels:
        if reserved & label.reserves:
            out[label.name] = "n"
        elif not reserved & label.allows:
            out[label.name] = "y"
    return out


def serialize(prefs: Mapping[str, Pref]) -> str:
    """The exemplary format (vocab-07 §6): an RFC 9651 Dictionary of Tokens, ``a=y, b=n``."""
    return ", ".join(f"{name}={value}" for name, value in prefs.items())


def content_usage(reserved: Iterable[Use], generation: Generation = CURRENT) -> str:
    return serialize(statement(reserved, generation))


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A Content-Usage value read with the labels of every generation."""

    prefs: dict[str, Pref]  # known label → y/n (a Token ``y`` or ``n``)
    unreadable: tuple[str, ...]  # known labels whose value is no y/n Token: unknown
    unknown: tuple[str, ...]  # labels no generation defines: ignored (vocab-07 §6.4)


def read(value: str) -> Reading | None:
    """Parse a Content-Usage value of any generation; None when it is no SF Dictionary.

    vocab-07 §6.5: "If the value is a Token with a value of `y`, the associated preference
    is to allow [...] `n` [...] disallow [...] Otherwise, the preference for that category
    is unknown", and "If the parsing of the Dictionary fails, preferences are unknown."
    Parameters are disregarded; a repeated key keeps its last value (RFC 9651 §4.2.2).
    """
    members = sfv.parse_dictionary(value)
    if members is None:
        return None
    prefs: dict[str, Pref] = {}
    unreadable: list[str] = []
    unknown: list[str] = []
    for key, (kind, text) in members.items():
        if key not in KNOWN_LABELS:
            unknown.append(key)
        elif kind == "token" and text == "y":
            prefs[key] = "y"
        elif kind == "token" and text == "n":
            prefs[key] = "n"
        else:
            unreadable.append(key)
    return Reading(prefs, tuple(unreadable), tuple(unknown))


def effective(prefs: Mapping[str, str], generation: Generation) -> dict[str, Pref]:
    """The stated preference per label of ``generation``, with its hierarchy's fallback."""
    parents = dict(generation.parents)
    out: dict[str, Pref] = {}
    for name in generation.names:
        at: str | None = name
        while at is not None and prefs.get(at) not in ("y", "n"):
            at = parents.get(at)
        if at is not None:
            out[name] = "y" if prefs[at] == "y" else "n"
    return out


Difference = tuple[str, str | None, Pref | None]  # (label, what was read, what we write)


def compare(
    prefs: Mapping[str, str], reserved: Iterable[Use]
) -> tuple[Generation, list[Difference]]:
    """Which generation ``prefs`` states the decision in, else the closest and how it differs.

    Only generations that define every known label present are candidates (a value with
    ``ai-use`` is an -08 value: an -07 reader would ignore the label, an -08 reader not).
    A value agrees with a generation when each of its labels reads as that generation's
    :func:`statement` (left out and unknown are the same). The newest agreeing generation
    is returned with no differences; otherwise the one with fewest differences, the newest
    on a tie.
    """
    reserved = frozenset(reserved)
    present = {name for name in prefs if name in KNOWN_LABELS}
    candidates = [g for g in GENERATIONS if present <= set(g.names)] or list(GENERATIONS)
    best: tuple[Generation, list[Difference]] | None = None
    for gen in candidates:
        said, want = effective(prefs, gen), statement(reserved, gen)
        diffs: list[Difference] = [
            (name, prefs.get(name), want.get(name))
            for name in gen.names
            if said.get(name) != want.get(name)
        ]
        if not diffs:
            return gen, []
        if best is None or len(diffs) < len(best[1]):
            best = (gen, diffs)
    assert best is not None
    return best


def grants(prefs: Mapping[str, str], generation: Generation) -> frozenset[Use]:
    """Every use some ``y`` of ``prefs`` lets a reader of ``generation`` do."""
    said = effective(prefs, generation)
    return frozenset(
        use for lb in generation.labels if said.get(lb.name) == "y" for use in lb.allows
    )


def withholds(prefs: Mapping[str, str], generation: Generation) -> frozenset[Use]:
    """Every use some ``n`` of ``prefs`` asks a reader of ``generation`` not to do."""
    said = effective(prefs, generation)
    return frozenset(
        use for lb in generation.labels if said.get(lb.name) == "n" for use in lb.reserves
    )
