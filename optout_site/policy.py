"""The policy model: which uses of the work are reserved, per site and per URL path.

A site states a default (``reserve`` / ``allow``) and optional path rules. Every signal
asks the same question, ``policy.resolve(path)``, so every signal says the same thing.

Rule paths use robots.txt pattern syntax (RFC 9309 §2.2.3: ``*`` matches any run of
characters, a trailing ``$`` anchors the end), normalised and matched by
:mod:`optout_site.paths`. The most specific rule wins, and "most specific" means what
RFC 9309 says: the pattern with the most octets. Ordering rules by
that length, longest first, makes first-match (TDMRep, urllib.robotparser) and
longest-match (RFC 9309, Protego) agree, which is what lets every dialect carry the
same decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from optout_site import paths
from optout_site.errors import PolicyError


class Use(StrEnum):
    TDM = "tdm"
    TRAIN = "train"
    GENAI_TRAIN = "genai-train"
    AI_INPUT = "ai-input"
    SEARCH = "search"


ALL_USES: frozenset[Use] = frozenset(Use)

# Reserving a broader use reserves the narrower ones it contains; allowing a broader
# use allows them too. Search is deliberately outside `tdm` here: creators who reserve
# mining almost always want to stay findable, and every dialect separates the two.
_IMPLIES: dict[Use, frozenset[Use]] = {
    Use.TDM: frozenset({Use.TRAIN, Use.GENAI_TRAIN, Use.AI_INPUT}),
    Use.TRAIN: frozenset({Use.GENAI_TRAIN}),
}


def expand(uses: Iterable[Use]) -> frozenset[Use]:
    """The uses together with every narrower use they imply."""
    out = set(uses)
    for use in list(out):
        out |= _IMPLIES.get(use, frozenset())
    return frozenset(out)


def apply(base: frozenset[Use], reserve: Iterable[Use], allow: Iterable[Use]) -> frozenset[Use]:
    """Reserved uses after a scope's ``reserve``/``allow`` lists are laid over ``base``.

    An explicit word beats an implied one: ``reserve: [tdm], allow: [ai-input]`` reserves
    mining and training but leaves AI retrieval allowed.
    """
    reserve, allow = frozenset(reserve), frozenset(allow)
    both = reserve & allow
    if both:
        names = ", ".join(sorted(both))
        raise PolicyError(f"{names} is both reserved and allowed")
    allowed = expand(allow)
    result = (base - allowed) | (expand(reserve) - allowed) | reserve
    if Use.TRAIN in result and Use.GENAI_TRAIN not in result:
        raise PolicyError(
            "genai-train cannot be allowed while train is reserved "
            "(training generative models is training)"
        )
    return result


@dataclass(frozen=True)
class Decision:
    """What the policy says for one path: the reserved uses and the rule that said it."""

    reserved: frozenset[Use]
    rule: str = "/"

    def reserves(self, use: Use) -> bool:
        return use in self.reserved

    @property
    def allowed(self) -> frozenset[Use]:
        return ALL_USES - self.reserved

    @property
    def any_reserved(self) -> bool:
        return bool(self.reserved)


@dataclass(frozen=True)
class Rule:
    """A path rule as the config states it (``reserve``/``allow`` relative to the site).

    ``path`` is a robots.txt pattern, kept in the normalised form of :mod:`optout_site.paths`
    whatever spelling it was given in (``/café/`` and ``/caf%c3%a9/`` are one rule).
    """

    path: str
    reserve: frozenset[Use] = frozenset()
    allow: frozenset[Use] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", paths.normalise(self.path))


@dataclass(frozen=True)
class Decisions:
    """Path patterns with their decisions, most specific first, the default ``/`` last:
    a :class:`Policy`'s, or the ones an evidence record lists, answering ``resolve``."""

    ordered: tuple[tuple[str, Decision], ...]
    _table: paths.LongestMatch[tuple[int, Decision]] = field(
        init=False, repr=False, compare=False, default_factory=paths.LongestMatch
    )

    def __post_init__(self) -> None:
        if not self.ordered or self.ordered[-1][0] != "/":
            raise PolicyError("the decisions must end with the default rule '/'")
        # Equal specificity: the rule listed first wins (its index is lower).
        table: paths.LongestMatch[tuple[int, Decision]] = paths.LongestMatch(tie=min)
        for index, (path, decision) in enumerate(self.ordered[:-1]):
            table.add(path, (index, decision))
        object.__setattr__(self, "_table", table)

    def resolve(self, path: str) -> Decision:
        """The decision for a URL path (starting with ``/``; normalised here)."""
        best = self._table.best(path)
        return self.ordered[-1][1] if best is None else best[1][1]


@dataclass(frozen=True)
class Policy:
    """A site's default decision and its path rules, resolved once."""

    reserve: frozenset[Use] = frozenset()
    allow: frozenset[Use] = frozenset()
    rules: tuple[Rule, ...] = ()
    _decisions: Decisions = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_decisions", Decisions(self.ordered_decisions))

    @cached_property
    def default(self) -> Decision:
        return Decision(apply(frozenset(), self.reserve, self.allow), "/")

    @cached_property
    def ordered_decisions(self) -> tuple[tuple[str, Decision], ...]:
        """Every rule with its decision, most specific first, the site default ``/`` last.

        Equal lengths keep config order, so the rule written first wins a tie. In this
        order, first-match readers (TDMRep, urllib.robotparser) and longest-match readers
        (RFC 9309, Protego) reach the same rule for every path.
        """
        base = self.default.reserved
        ranked = sorted(
            enumerate(self.rules), key=lambda ir: (-paths.specificity(ir[1].path), ir[0])
        )
        ordered = [
            (rule.path, Decision(apply(base, rule.reserve, rule.allow), rule.path))
            for _, rule in ranked
        ]
        ordered.append(("/", self.default))
        return tuple(ordered)

    def resolve(self, path: str) -> Decision:
        """The decision for a URL path (starting with ``/``; normalised here)."""
        return self._decisions.resolve(path)

    @property
    def decisions(self) -> frozenset[Decision]:
        return frozenset(d for _, d in self.ordered_decisions)
