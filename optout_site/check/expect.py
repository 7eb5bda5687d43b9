"""What every signal should say: from sites.yaml, or inferred from what the site publishes.

With a config the policy is the truth and every channel is compared with it. Without one,
tdmrep.json (refined by robots.txt's Content-Signal/Content-Usage for the ``*`` group)
stands in for the policy, so the other channels are compared with what the site itself
declares there; the inferred policy is reported in plain words.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from optout_site import dialects, paths
from optout_site.check.context import Context
from optout_site.check.model import PolicyLine
from optout_site.check.readings import Expect
from optout_site.check.usage import parse_signal, parse_usage
from optout_site.config import (
    ReservationPageConfig,
    Rightsholder,
    RslConfig,
    Site,
    TdmPolicyConfig,
)
from optout_site.policy import ALL_USES, Policy, Rule, Use, expand
from optout_site.signals.robots import agents as agents_mod

_AI_USES = frozenset({Use.TDM, Use.TRAIN, Use.GENAI_TRAIN, Use.AI_INPUT})


def from_site(site: Site) -> Expect:
    return Expect(
        site=site,
        inferred=False,
        registry=agents_mod.registry_for(site),
        policy_url=site.tdm_policy_url,
        rsl_url=site.rsl_url,
        images=site.images.enabled,
        source_note=f"from sites.yaml (site {site.name})",
    )


def _refine(reserved: set[Use], signal: dict[str, str], usage: dict[str, str]) -> set[Use]:
    """Narrow TDMRep's single bit with the finer robots.txt vocabularies."""
    if signal.get("ai-input") == "yes":
        reserved.discard(Use.AI_INPUT)
    if signal.get("ai-train") == "yes" or (
        usage.get("train-ai") == "y" and "ai-train" not in signal
    ):
        reserved -= {Use.TRAIN, Use.GENAI_TRAIN}
    if signal.get("search") == "no" or usage.get("search") == "n":
        reserved.add(Use.SEARCH)
    return set(expand(reserved))


def infer(ctx: Context, origin: str | None) -> Expect:
    """The policy the site declares: tdmrep.json's rules, refined by robots.txt's ``*`` group."""
    sources: list[str] = []
    signal: dict[str, str] = {}
    usage: dict[str, str] = {}
    rsl_url: str | None = None
    robots = ctx.robots
    if robots is not None:
        for group in robots.star():
            for value, _ in group.values("content-signal"):
                signal.update(parse_signal(value))
            for value, _ in group.values("content-usage"):
                path, prefs, _ = parse_usage(value)
                if not path and prefs:
                    usage.update(prefs)
        if signal or usage:
            sources.append("robots.txt Content-Signal/Content-Usage")
        if robots.licenses:
            rsl_url = robots.licenses[0][0]
    rules: list[Rule] = []
    default: set[Use] = set()
    policy_url: str | None = None
    tdm_rules = [r for r in ctx.tdm_rules or [] if r.reservation is not None]
    if tdm_rules:
        sources.insert(0, "tdmrep.json")
        seen: list[str] = []
        for rule in tdm_rules:
            if any(_covers(earlier, rule.location) for earlier in seen):
                continue  # first match: an earlier rule hides it
            seen.append(rule.location)
            reserved = _refine(set(_AI_USES), signal, usage) if rule.reservation else set()
            if rule.location == "/":
                default = reserved
            else:
                rules.append(
                    Rule(rule.location, frozenset(reserved), frozenset(ALL_USES - reserved))
                )
            policy_url = policy_url or rule.policy
    elif signal or usage:
        default = _refine(set(_AI_USES), signal, usage)
    if not sources:
        sources.append(
            "nothing: the site publishes no tdmrep.json and no robots.txt "
            "preference, so nothing is taken as reserved"
        )
    policy = Policy(frozenset(default), frozenset(ALL_USES - default), tuple(rules))
    base = origin or _origin(policy_url) or _origin(rsl_url) or "https://site.invalid"
    policy_path = urlsplit(policy_url).path if policy_url else TdmPolicyConfig.path
    rsl_path = urlsplit(rsl_url).path if rsl_url else RslConfig.path
    site = Site(
        name="inferred",
        url=base,
        input=Path("."),
        output=None,
        rightsholder=Rightsholder("(unknown)"),
        policy=policy,
        tdm_policy=TdmPolicyConfig(path=policy_path or "/"),
        rsl=RslConfig(enabled=rsl_url is not None, path=rsl_path or "/license.xml"),
        reservation_page=ReservationPageConfig(enabled=False),
    )
    return Expect(
        site=site,
        inferred=True,
        registry=agents_mod.registry_for(None),
        policy_url=policy_url,
        rsl_url=rsl_url,
        images=True,
        source_note="inferred from " + " and ".join(sources),
    )


def _covers(earlier: str, location: str) -> bool:
    return paths.matches(earlier, paths.example(location))


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def describe(expect: Expect) -> list[PolicyLine]:
    """The policy in plain words, one line per scope, most specific first."""
    out = []
    for path, decision in expect.site.policy.ordered_decisions:
        out.append(
            PolicyLine(
                path=path,
                reserved=tuple(u.value for u in Use if u in decision.reserved),
                allowed=tuple(u.value for u in Use if u not in decision.reserved),
                text=dialects.describe(decision),
            )
        )
    return out
