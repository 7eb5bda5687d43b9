"""TDMRep as a TDM agent reads it: ``/.well-known/tdmrep.json`` (first match wins) and the
TDM policy its rules point at (the W3C TDMRep Community Group report: the well-known
file and the ODRL-based TDM policy).

Checked against sites.yaml, the policy's permissions without a duty must list, per rule,
exactly the TDM purposes that stay permitted there (see :mod:`optout_site.signals.tdmrep`):
one more is a grant of a reserved use (an error), one fewer makes agents ask for consent
where none is needed (a warning)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from optout_site import dialects, paths
from optout_site.check.context import Context, short_list
from optout_site.check.model import BAD, OK, TDM_POLICY, TDMREP
from optout_site.check.readings import TdmRule, first_match
from optout_site.signals import tdmrep

PATH = "/.well-known/tdmrep.json"
FILE = "/.well-known/tdmrep.json"
ODRL = "http://www.w3.org/ns/odrl.jsonld"
TDMREP_CTX = "http://www.w3.org/ns/tdmrep.jsonld"
PROFILE = "http://www.w3.org/ns/tdmrep"
DUTIES = ("obtainConsent", "compensate")
JSON_TYPES = ("application/json", "application/ld+json")
_REBUILD = "Rebuild with `optout-site build`; tdmrep.json is generated from sites.yaml."


def parse(ctx: Context) -> list[TdmRule] | None:
    """Read tdmrep.json; report what makes it (or a rule of it) unusable."""
    got = ctx.get(PATH)
    ctx.count(TDMREP)
    if not got.ok:
        ctx.add(
            "error",
            TDMREP,
            FILE,
            f"tdmrep.json is missing ({got.error or f'HTTP {got.status}'}): TDM agents will "
            "assume nothing is reserved on this site",
            "Publish /.well-known/tdmrep.json (optout-site build writes it).",
        )
        return None
    try:
        data = json.loads(got.body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        ctx.add(
            "error",
            TDMREP,
            FILE,
            f"tdmrep.json is not valid JSON: {exc}",
            "Fix the JSON syntax (no trailing commas, double quotes only). " + _REBUILD,
        )
        return None
    if ctx.source.mode == "url" and got.content_type not in JSON_TYPES:
        ctx.add(
            "warning",
            TDMREP,
            FILE,
            f"served as {got.content_type or 'no Content-Type'}, not application/json",
            "Configure the host to serve .json files as application/json.",
        )
    if not isinstance(data, list):
        ctx.add(
            "error",
            TDMREP,
            FILE,
            "tdmrep.json must be a JSON array of rules "
            "(the brackets are mandatory even for one rule)",
            'Wrap the rules in [ ... ], e.g. [{"location": "/", "tdm-reservation": 1}].',
        )
        return None
    return [rule for i, item in enumerate(data, 1) if (rule := _rule(ctx, i, item))]


def _rule(ctx: Context, index: int, item: Any) -> TdmRule | None:
    where = f"rule #{index}"
    if not isinstance(item, dict) or not isinstance(item.get("location"), str):
        ctx.add(
            "error",
            TDMREP,
            FILE,
            f"{where} has no 'location' string; it is ignored",
            "Every rule needs a 'location' path pattern and a 'tdm-reservation'.",
        )
        return None
    location = item["location"]
    value = item.get("tdm-reservation")
    reservation: int | None = value if type(value) is int and value in (0, 1) else None
    if "tdm-reservation" not in item:
        ctx.add(
            "error",
            TDMREP,
            FILE,
            f"{where} ({location!r}) has no 'tdm-reservation'",
            'Add "tdm-reservation": 1 (reserved) or 0 (not reserved).',
        )
    elif reservation is None:
        ctx.add(
            "error",
            TDMREP,
            FILE,
            f'{where} ({location!r}) has "tdm-reservation": {json.dumps(value)}; only the '
            "numbers 1 and 0 are valid, so TDM agents read the reservation as unset",
            'Write the JSON number 1 (not true, "1" or "yes").',
        )
    policy = item.get("tdm-policy")
    if policy is not None and not (isinstance(policy, str) and urlsplit(policy).scheme):
        ctx.add(
            "warning",
            TDMREP,
            FILE,
            f"{where} ({location!r}): tdm-policy {policy!r} is not an absolute URL",
            "Use the policy's full https:// URL.",
        )
        policy = None
    return TdmRule(index, location, reservation, policy)


def check(ctx: Context) -> None:
    rules = ctx.tdm_rules
    if rules is None:
        for path in ctx.pages + ctx.images:
            ctx.cell(path, TDMREP, BAD, "tdmrep.json missing")
        _check_policy_documents(ctx, [])
        return
    _shadowed(ctx, rules)
    problems: dict[tuple[int, str, int], list[str]] = defaultdict(list)
    for path in ctx.sample_paths():
        want = dialects.tdm_reservation(ctx.decision(path))
        rule = first_match(rules, path)
        got = None if rule is None else rule.reservation
        if got == want:
            ctx.cell(path, TDMREP, OK, f"tdm-reservation {got}")
            continue
        said = (
            "no rule matches"
            if rule is None
            else (
                f"rule #{rule.index} ({rule.location!r}) says "
                + ("an invalid value (unset)" if got is None else str(got))
            )
        )
        problems[(rule.index if rule else 0, said, want)].append(path)
        ctx.cell(path, TDMREP, BAD, f"{said}; policy wants {want}")
    for (_, said, want), where in problems.items():
        meaning = "reserves TDM" if want else "reserves nothing"
        ctx.add(
            "error",
            TDMREP,
            where[0],
            f"{said} for {short_list(where)}, but the policy {meaning} there "
            f"(tdm-reservation {want})",
            'Order rules most specific first with "/" last, and use the policy\'s value. '
            + _REBUILD,
            file=FILE,
        )
    if ctx.strict:
        for rule in rules:
            if rule.reservation == 1 and rule.policy != ctx.exp.policy_url:
                said = "no tdm-policy" if rule.policy is None else f"tdm-policy {rule.policy}"
                ctx.add(
                    "warning",
                    TDMREP,
                    FILE,
                    f"rule #{rule.index} ({rule.location!r}) has {said}; expected "
                    f"{ctx.exp.policy_url}",
                    _REBUILD,
                )
    _check_policy_documents(ctx, [r.policy for r in rules if r.reservation == 1 and r.policy])


def _shadowed(ctx: Context, rules: list[TdmRule]) -> None:
    # First match wins: a rule after a broader one it falls under can never apply.
    for i, rule in enumerate(rules):
        probe = paths.example(rule.location)
        earlier = next((r for r in rules[:i] if paths.matches(r.location, probe)), None)
        if earlier is not None and earlier.reservation != rule.reservation:
            ctx.add(
                "error",
                TDMREP,
                FILE,
                f"rule #{rule.index} ({rule.location!r}) never applies: rule #{earlier.index} "
                f"({earlier.location!r}) comes first and matches the same paths (tdmrep.json "
                "is first-match, unlike robots.txt)",
                'Put specific rules first and "/" last. ' + _REBUILD,
            )


def _check_policy_documents(ctx: Context, urls: list[str]) -> None:
    wanted = any(d.any_reserved for _, d in ctx.exp.site.policy.ordered_decisions)
    if ctx.exp.policy_url and wanted:
        urls = [ctx.exp.policy_url, *urls]
    for url in dict.fromkeys(urls):
        path = ctx.source.site_path(url)
        if path is None:
            ctx.add("warning", TDM_POLICY, url, *ctx.elsewhere(url, "the TDM policy"))
            continue
        check_policy(ctx, path)


def check_policy(ctx: Context, path: str) -> None:
    """The TDM policy: valid JSON with the fields TDMRep §"Expressing a TDM Policy" requires."""
    got = ctx.get(path)
    ctx.count(TDM_POLICY)
    fix = "Rebuild with `optout-site build`; the TDM policy is generated from sites.yaml."
    if not got.ok:
        ctx.add(
            "error",
            TDM_POLICY,
            path,
            f"the TDM policy is missing "
            f"({got.error or f'HTTP {got.status}'}); tdm-policy links point at nothing",
            fix,
        )
        return
    if ctx.source.mode == "url" and got.content_type not in JSON_TYPES:
        ctx.add(
            "warning",
            TDM_POLICY,
            path,
            f"served as {got.content_type or 'no Content-Type'}; only application/json or "
            "application/ld+json count as machine-readable",
            "Configure the host to serve it as application/ld+json.",
        )
    try:
        doc = json.loads(got.body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        ctx.add("error", TDM_POLICY, path, f"not valid JSON: {exc}", fix)
        return
    if not isinstance(doc, dict):
        ctx.add("error", TDM_POLICY, path, "the TDM policy must be a JSON object", fix)
        return
    for message in _policy_problems(doc):
        ctx.add("error", TDM_POLICY, path, message, fix)
    if ctx.strict and ctx.exp.policy_url and ctx.source.site_path(ctx.exp.policy_url) == path:
        _check_permitted(ctx, path, doc, fix)


def _policy_problems(doc: dict[str, Any]) -> list[str]:
    out = []
    context = doc.get("@context")
    if not (isinstance(context, list) and ODRL in context and TDMREP_CTX in context):
        out.append(f"'@context' must be the array [{ODRL!r}, {TDMREP_CTX!r}]")
    if doc.get("@type") != "Offer":
        out.append("'@type' must be \"Offer\"")
    if doc.get("profile") != PROFILE:
        out.append(f"'profile' must be {PROFILE!r}")
    if not isinstance(doc.get("uid"), str) or not urlsplit(doc["uid"]).scheme:
        out.append("'uid' (a URI identifying the policy) is missing")
    assigner = doc.get("assigner")
    if not isinstance(assigner, dict):
        out.append("'assigner' (who to ask for a licence) is missing")
    elif not any(k in assigner for k in ("vcard:fn", "fn", "vcard:hasEmail", "vcard:hasURL")):
        out.append("'assigner' names no one: add vcard:fn and a contact")
    permission = doc.get("permission")
    if "permission" not in doc:
        out.append("'permission' is missing: TDM agents cannot learn how to get a licence")
    elif not isinstance(permission, list) or not permission:
        out.append("'permission' must be a non-empty array")
    else:
        for i, perm in enumerate(permission, 1):
            if not isinstance(perm, dict) or perm.get("action") not in (
                "tdm:mine",
                PROFILE + "#mine",
            ):
                out.append(f"permission #{i}: 'action' must be \"tdm:mine\"")
                continue
            for duty in perm.get("duty", []) or []:
                if not isinstance(duty, dict) or duty.get("action") not in DUTIES:
                    out.append(f"permission #{i}: duty must be obtainConsent or compensate")
            out += _permission_problems(i, perm)
    return out


def _permission_problems(i: int, perm: dict[str, Any]) -> list[str]:
    """``target`` and ``constraint`` as TDMRep §"Permissions" has them."""
    out = []
    target = perm.get("target")
    if "target" in perm and not (isinstance(target, str) and urlsplit(target).scheme):
        out.append(f"permission #{i}: 'target' must be a URI naming a collection of resources")
    constraints = perm.get("constraint")
    if "constraint" in perm and not (
        isinstance(constraints, list)
        and constraints
        and all(
            isinstance(c, dict) and {"leftOperand", "operator", "rightOperand"} <= c.keys()
            for c in constraints
        )
    ):
        out.append(
            f"permission #{i}: 'constraint' must be an array of "
            "{leftOperand, operator, rightOperand} objects"
        )
    elif any(
        c.get("leftOperand") == "purpose" and c.get("operator") != "eq" for c in _purposes(perm)
    ):
        out.append(f'permission #{i}: a purpose constraint takes the operator "eq"')
    if not perm.get("duty") and not _purposes(perm):
        out.append(
            f"permission #{i} has no duty and no purpose constraint: it lets anyone mine "
            f"{target if isinstance(target, str) else 'the content'} for any purpose without "
            "consent, which takes back tdm-reservation 1"
        )
    return out


def _purposes(perm: dict[str, Any]) -> list[dict[str, Any]]:
    found = perm.get("constraint")
    if not isinstance(found, list):
        return []
    return [c for c in found if isinstance(c, dict) and c.get("leftOperand") == "purpose"]


def _check_permitted(ctx: Context, path: str, doc: dict[str, Any], fix: str) -> None:
    """The permissions without a duty against the policy: per rule, the purposes it allows."""
    permission = doc.get("permission")
    uid = doc.get("uid")
    if not isinstance(permission, list) or not isinstance(uid, str):
        return  # reported above
    base = uid + "#"
    decisions = dict(ctx.exp.site.policy.ordered_decisions)
    uses = dict(tdmrep.PURPOSES)
    listed: set[tuple[str, str]] = set()
    for i, perm in enumerate(permission, 1):
        if not isinstance(perm, dict) or perm.get("duty"):
            continue
        target = perm.get("target")
        location = target.removeprefix(base) if isinstance(target, str) else ""
        for constraint in _purposes(perm):
            value = constraint.get("rightOperand")
            name = value.removeprefix(base) if isinstance(value, str) else ""
            decision, use = decisions.get(location), uses.get(name)
            if decision is None or use is None or not target or target == location:
                ctx.add(
                    "error",
                    TDM_POLICY,
                    path,
                    f"permission #{i} lets anyone mine {target} for {value} without consent; "
                    "that names no rule of the policy and no purpose it knows",
                    fix,
                )
            elif use in decision.reserved:
                ctx.add(
                    "error",
                    TDM_POLICY,
                    path,
                    f"permission #{i} lets anyone mine {location!r} for {name} without "
                    f"consent, but the policy reserves {use} there",
                    fix,
                )
            else:
                listed.add((location, name))
    for location, decision in ctx.exp.site.policy.ordered_decisions:
        missing = [name for name in tdmrep.permitted(decision) if (location, name) not in listed]
        if missing:
            ctx.add(
                "warning",
                TDM_POLICY,
                path,
                f"the TDM policy does not list {', '.join(missing)} as permitted on "
                f"{location!r}, which the policy allows there; TDM agents will ask for consent",
                fix,
            )
