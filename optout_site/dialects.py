"""How one decision is spelled in every dialect, in one place.

Each function takes a :class:`~optout_site.policy.Decision` and returns that dialect's
value. Where a dialect cannot say a combination exactly, it gets the most protective
value that does not block what the creator allows, and the exact words go where the
dialect has room for them (``describe``).
"""

from __future__ import annotations

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
    """``noai, noimageai`` (meta robots, X-Robots-Tag): any AI use reserved."""
    return bool(decision.reserved & {Use.TRAIN, Use.GENAI_TRAIN, Use.AI_INPUT})


def noai_directives(decision: Decision) -> tuple[str, ...]:
    return ("noai", "noimageai") if noai(decision) else ()


def content_usage(decision: Decision) -> str:
    """IETF AIPREF ``Content-Usage`` (vocab-07 labels ``train-ai``, ``search``; y/n)."""
    # train-ai is "training a model that generates synthetic content": genai-train exactly.
    train = "n" if decision.reserves(Use.GENAI_TRAIN) else "y"
    search = "n" if decision.reserves(Use.SEARCH) else "y"
    return f"train-ai={train}, search={search}"


def content_signal(decision: Decision) -> str:
    """Cloudflare Content Signals (``search``, ``ai-input``, ``ai-train``; yes/no).

    ``ai-train`` covers all training. With only generative training reserved, "no" would
    forbid allowed training and "yes" would grant reserved training, so the key is left
    out, which the policy defines as neither granting nor restricting.
    """
    parts = [f"search={'no' if decision.reserves(Use.SEARCH) else 'yes'}"]
    parts.append(f"ai-input={'no' if decision.reserves(Use.AI_INPUT) else 'yes'}")
    if decision.reserves(Use.TRAIN):
        parts.append("ai-train=no")
    elif not decision.reserves(Use.GENAI_TRAIN):
        parts.append("ai-train=yes")
    return ", ".join(parts)


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


def needs_constraint_text(decision: Decision) -> bool:
    return iptc_data_mining(decision).endswith("SEECONSTRAINT")


def rsl_usage(decision: Decision) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """RSL ``<permits type="usage">`` and ``<prohibits type="usage">`` tokens."""
    pairs = (
        ("ai-train", decision.reserves(Use.GENAI_TRAIN) or decision.reserves(Use.TRAIN)),
        ("ai-input", decision.reserves(Use.AI_INPUT)),
        ("search", decision.reserves(Use.SEARCH)),
    )
    permits = tuple(token for token, reserved in pairs if not reserved)
    prohibits = tuple(token for token, reserved in pairs if reserved)
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
