"""Cloudflare's Content Signals vocabulary as data, beside the IETF one (vocabulary.py).

One :class:`Key` row per key of a ``Content-Signal`` line: what the policy text says it
means, where and when we read that, and which optout-site uses decide it. A key says
``no`` where the decision reserves any of ``reserves``, ``yes`` where it reserves none
of ``allows`` (everything ``yes`` would let a reader do), and is otherwise left out,
which the policy's clause (c) defines as neither granting nor restricting. A key we do
not write has ``reserves=None`` and says why in ``left_out``; adding or changing a key
is a change to :data:`KEYS` and a row of tests/test_contentsignals.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from optout_site.policy import Decision, Use

POLICY_URL = "https://contentsignals.org/"
# The Content Signals Policy text we write into robots.txt (signals/robots) and read here.
POLICY_SOURCE = "contentsignals.org policy text, CC0, as published by Cloudflare 2025-09-24"
USE_SOURCE = (
    "Cloudflare blog 'Your site, your rules: new AI traffic options for all customers' "
    "(blog.cloudflare.com/content-independence-day-ai-options/, 2026-07-01), read through "
    "secondary copies (the primary page is not among our stored sources); the managed "
    "robots.txt's comment reads 'use: how AI systems may consume the content (immediate, "
    "reference, or full)' and its default line 'search=yes,ai-train=no,use=reference'"
)


@dataclass(frozen=True)
class Key:
    name: str  # the key in ``Content-Signal: name=value``
    meaning: str  # the source's definition, in short
    source: str
    date: str  # when the source says it was published or was read
    reserves: frozenset[Use] | None  # ``no`` where any of these is reserved; None: not written
    allows: frozenset[Use] = frozenset()  # ``yes`` only where none of these is reserved
    values: tuple[str, ...] = ("yes", "no")
    left_out: str = ""  # why a key is not written


KEYS: tuple[Key, ...] = (
    Key(
        name="search",
        meaning="building a search index and providing search results (hyperlinks and short "
        "excerpts); not AI-generated search summaries",
        source=POLICY_SOURCE,
        date="2025-09-24",
        reserves=frozenset({Use.SEARCH}),
        allows=frozenset({Use.SEARCH}),
    ),
    Key(
        name="ai-input",
        meaning="inputting content into AI models (retrieval augmented generation, grounding, "
        "real-time taking of content for generative AI search answers)",
        source=POLICY_SOURCE,
        date="2025-09-24",
        reserves=frozenset({Use.AI_INPUT}),
        allows=frozenset({Use.AI_INPUT}),
    ),
    Key(
        # All training: with only generative training reserved, "no" would forbid allowed
        # training and "yes" would grant reserved training, so the key is left out there.
        name="ai-train",
        meaning="training or fine-tuning AI models",
        source=POLICY_SOURCE,
        date="2025-09-24",
        reserves=frozenset({Use.TRAIN}),
        allows=frozenset({Use.TRAIN, Use.GENAI_TRAIN}),
    ),
    Key(
        name="use",
        meaning="how much of the content an AI system may keep and reuse: immediate "
        "(interact, store and reuse nothing), reference (index, excerpt and link back; the "
        "managed default), full (summarize and reproduce)",
        source=USE_SOURCE,
        date="2026-07-01",
        reserves=None,
        values=("immediate", "reference", "full"),
        left_out="a scale of retention, not of use: our policy reserves uses (training, AI "
        "input, search) and says nothing about how much a permitted use may keep, and the "
        "text we could read does not say whether reference includes immediate. Any value "
        "would grant something the policy does not decide (reference would let an AI input "
        "the policy reserves excerpt and link), so the key is left out: clause (c), neither "
        "granted nor restricted. The other keys and robots.txt groups carry the reservation.",
    ),
)

WRITTEN: tuple[Key, ...] = tuple(k for k in KEYS if k.reserves is not None)


def value(key: Key, decision: Decision) -> str | None:
    """``yes``/``no`` for one key under ``decision``, or None where it is left out."""
    if key.reserves is None:
        return None
    if any(decision.reserves(use) for use in key.reserves):
        return "no"
    if not any(decision.reserves(use) for use in key.allows):
        return "yes"
    return None
