"""How one decision is spelled in every dialect, in one place.

Each function takes a :class:`~optout_site.policy.Decision` and returns that dialect's
value. Where a dialect cannot say a combination exactly, it gets the most protective
value that does not block what the creator allows, and the exact words go where the
dialect has room for them (``describe``).
"""

from __future__ import annotations

from collections.abc import Iterable

from optout_site.policy import Decision, Use

PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"

_USE_WORDS = {
    Use.TDM: "text and data mining",
    Use.TRAIN: "training of AI models",
    Use.GENAI_TRAIN: "training of generative AI models",
    Use.AI_INPUT: "use as input to AI systems (retrieval, grounding, AI answers)",
    Use.SEARCH: "search engine indexing",
}


def tdm_reservation(decision: Decision) -> int:
    """TDMRep has one bit: any reserved use reserves TDM rights."""
    return 1 if decision.any_reserved else 0


def noai(decision: Decision) -> bool:
    """``noai, noimageai`` (meta robots, X-Robots-Tag): all training *and* AI input reserved.

    DeviantArt defined the directives as "may not be used as input to AI models" and
    "to train machine-learning models of any kind": one signal for both. Emitting it where
    either stays allowed would forbid what the creator allows, so there it is left out
    (absent, it grants nothing; every other signal states the reservation exactly).
    """
    return decision.reserves(Use.TRAIN) and decision.reserves(Use.AI_INPUT)


def noai_directives(decision: Decision) -> tuple[str, ...]:
    return ("noai", "noimageai") if noai(decision) else ()


def bing_noarchive(decision: Decision) -> bool:
    """Bing's ``noarchive`` (robots meta, X-Robots-Tag): AI input *and* generative training.

    Bing's Webmaster blog (September 2023) gives ``noarchive`` two effects at once: the
    content "will not be included in Bing Chat answers, not be linked to in the answers"
    (our ``ai-input``) and Bing "will not use the content for training Microsoft's
    generative AI foundation models" (our ``genai-train``, which ``train`` implies); the
    page stays in Bing's search results. As with ``noai``, it goes only where both are
    reserved, so it never forbids what the creator allows.
    """
    return decision.reserves(Use.AI_INPUT) and decision.reserves(Use.GENAI_TRAIN)


def robots_directives(decision: Decision, *, noarchive: bool = False) -> tuple[str, ...]:
    """The directives of our robots meta tag and of ``X-Robots-Tag``: ``noai, noimageai``
    where :func:`noai`, plus ``noarchive`` where the site opts in (``noarchive``) and
    :func:`bing_noarchive`. Never ``noindex``."""
    extra = ("noarchive",) if noarchive and bing_noarchive(decision) else ()
    return noai_directives(decision) + extra


def content_usage(decision: Decision) -> str:
    """IETF AIPREF ``Content-Usage`` in the current draft's labels (``train-ai=n, ...``).

    The labels, what each expresses and the combinations it cannot say exactly (``search``
    is left out where training is reserved: ``search=y`` allows training for search) are
    data in :mod:`optout_site.vocabulary`.
    """
    from optout_site import vocabulary

    return vocabulary.content_usage(decision.reserved)


def content_signals(decision: Decision) -> dict[str, str]:
    """Cloudflare Content Signals for one decision: key → ``yes``/``no``, in key order.

    The keys, what each means and which uses decide it are data in
    :mod:`optout_site.contentsignals`; a key neither value can say exactly is left out,
    which the policy's clause (c) defines as neither granting nor restricting.
    """
    from optout_site import contentsignals

    out = {}
    for key in contentsignals.WRITTEN:
        said = contentsignals.value(key, decision)
        if said is not None:
            out[key.name] = said
    return out


def content_signal(decisions: Iterable[Decision]) -> str | None:
    """One ``Content-Signal`` value for every decision a robots.txt group may crawl under.

    The record has no path form, so it speaks for the whole group: a key is stated only
    where every one of those decisions gives it the same value, and left out otherwise
    (neither granting nor restricting). None when no key is left.
    """
    agreed: dict[str, str] | None = None
    for decision in decisions:
        values = content_signals(decision)
        if agreed is None:
            agreed = values
        else:
            agreed = {k: v for k, v in agreed.items() if values.get(k) == v}
    if not agreed:
        return None
    return ", ".join(f"{key}={value}" for key, value in agreed.items())


def ai_txt_disallows(decision: Decision) -> bool:
    """Spawning's ai.txt speaks only of datasets for training."""
    return decision.reserves(Use.GENAI_TRAIN) or decision.reserves(Use.TDM)


def iptc_data_mining(decision: Decision) -> str:
    """The PLUS ``DataMining`` vocabulary URI (IPTC Photo Metadata 2023.1)."""
    reserved = decision.reserved
    if not reserved:
        code = "DMI-ALLOWED"
    elif reserved == frozenset(Use):
        code = "DMI-PROHIBITED"
    elif reserved == frozenset(Use) - {Use.SEARCH}:
        code = "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"
    elif reserved == {Use.TRAIN, Use.GENAI_TRAIN}:
        code = "DMI-PROHIBITED-AIMLTRAINING"
    elif reserved == {Use.GENAI_TRAIN}:
        code = "DMI-PROHIBITED-GENAIMLTRAINING"
    else:
        code = "DMI-PROHIBITED-SEECONSTRAINT"
    return PLUS_VOCAB + code


# The training-and-data-mining entries (CAWG Training and Data Mining Assertion 1.1 §3;
# the C2PA Technical Specification 1.4 definition, with the "c2pa." prefix): entry → the use whose
# reservation makes it ``notAllowed``, and the narrower uses whose reservation alone makes
# it ``constrained`` (allowed except for them; the spec reads ``constrained`` as
# ``notAllowed`` unless the reader follows ``constraint_info``). Search has no entry.
TRAINING_MINING: tuple[tuple[str, Use, frozenset[Use]], ...] = (
    ("data_mining", Use.TDM, frozenset({Use.TRAIN, Use.GENAI_TRAIN, Use.AI_INPUT})),
    ("ai_inference", Use.AI_INPUT, frozenset()),
    ("ai_generative_training", Use.GENAI_TRAIN, frozenset()),
    ("ai_training", Use.TRAIN, frozenset({Use.GENAI_TRAIN})),
)


def training_mining(decision: Decision) -> dict[str, str]:
    """Each training-mining entry (unprefixed) → ``allowed``/``notAllowed``/``constrained``."""
    out = {}
    for entry, use, narrower in TRAINING_MINING:
        if decision.reserves(use):
            out[entry] = "notAllowed"
        elif narrower & decision.reserved:
            out[entry] = "constrained"
        else:
            out[entry] = "allowed"
    return out


def needs_constraint_text(decision: Decision) -> bool:
    return iptc_data_mining(decision).endswith("SEECONSTRAINT")


def rsl_usage(decision: Decision) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """RSL ``<permits type="usage">`` and ``<prohibits type="usage">`` tokens.

    RSL 1.0 usage tokens: ``all``, ``ai-all`` (``ai-train`` + ``ai-input`` + ``ai-index``),
    ``ai-train`` (all training), ``ai-input``, ``ai-index`` (building an AI search index:
    retrieval, our ``ai-input``) and ``search``. With only generative training reserved,
    ``ai-train`` can be neither permitted (it would grant the reserved use) nor prohibited
    (it would forbid allowed training), so it is in neither list, and neither is
    ``ai-all``; ``all`` is permitted only where nothing is reserved.
    """
    train: bool | None = (
        True
        if decision.reserves(Use.TRAIN)
        else None
        if decision.reserves(Use.GENAI_TRAIN)
        else False
    )
    ai_input = decision.reserves(Use.AI_INPUT)
    pairs: tuple[tuple[str, bool | None], ...] = (
        ("all", False if not decision.any_reserved else None),
        (
            "ai-all",
            True if train and ai_input else False if train is False and not ai_input else None,
        ),
        ("ai-train", train),
        ("ai-input", ai_input),
        ("ai-index", ai_input),
        ("search", decision.reserves(Use.SEARCH)),
    )
    permits = tuple(token for token, reserved in pairs if reserved is False)
    prohibits = tuple(token for token, reserved in pairs if reserved is True)
    return permits, prohibits


def describe(decision: Decision) -> str:
    """The decision in plain English, for free-text fields and reports."""
    reserved = [_USE_WORDS[u] for u in Use if u in decision.reserved]
    allowed = [_USE_WORDS[u] for u in Use if u not in decision.reserved]
    if not reserved:
        return "No use is reserved: " + "; ".join(allowed) + " are allowed."
    text = "Reserved (not permitted without a licence): " + "; ".join(reserved) + "."
    if allowed:
        text += " Allowed: " + "; ".join(allowed) + "."
    return text
