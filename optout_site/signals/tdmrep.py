"""W3C TDMRep: ``/.well-known/tdmrep.json`` and the TDM policy (ODRL profile, JSON-LD).

tdmrep.json is matched first-in-sequence (TDMRep §"TDM File on the Origin Server"), so
rules go most specific first and ``/`` last: the same order in which the policy resolves.

``tdm-reservation`` has one bit, so any reservation writes ``1`` (TDMRep §"tdm-reservation":
``0`` means agents "can mine the content for TDM purposes without having to contact the
rightsholder"). What stays permitted goes in the one TDM policy every reserving rule, meta
tag and header points at (:func:`policy_document`):

* the first permission is the licence offer for the whole site: ``tdm:mine`` with the
  configured duty (``obtainConsent`` or ``compensate``; §"Expressing the duty ...");
* then, for each reserving rule (most specific first), one permission per TDM purpose that
  stays permitted there: ``tdm:mine`` with **no duty**, a ``target`` naming the rule's
  collection and a ``purpose`` constraint with operator ``eq`` (§"Expressing a constraint
  on the type of usage": "The usage type is expressed as a ``purpose`` value on a
  ``leftOperand`` property, the ``operator`` property takes ``eq`` as value").

Why one document and not one per rule: the meta tags and headers, which name the policy on
every reserved page, supersede tdmrep.json (§"Processing priority": their values "supercede
any value inferred from a TDM file"), so a per-rule policy named only in tdmrep.json would
not be the one agents read for pages. Every channel names this one, so it must hold every
rule's terms, and ``target`` tells them apart (§"Expressing the target of a permission":
"If present, the ``target`` property MUST be a URI identifying the collection of resources
associated with the permission").

The URIs are the policy's ``uid`` with a fragment, because no vocabulary has them: TDMRep's
only purposes, ``tdm:research``/``tdm:non-research``, are "experimental" and "may well be
soon replaced"; ODRL 2.2 lets a ``rightOperand`` be an IRI ("Constraint Class"); and the
``@context`` "MUST be an array of two values", ODRL's and TDMRep's (§"JSON-LD context and
identifier of a Policy"), so no prefix of ours can be declared and the IRIs are absolute:

* a rule's collection is ``<uid>#<location>`` (``…/tdm-policy.json#/blog/``): the resources
  for which tdmrep.json's rule with that location is the first match. Not the rule's URL:
  ``https://site/blog/`` read as a prefix would also cover a stricter ``/blog/private/``
  rule, and ``https://site/`` (the ``/`` rule) every other rule; the spec allows a target
  that is "not necessarily dereferenceable".
* a purpose is ``<uid>#<name>``, one of :data:`PURPOSES`: the leaves of the use hierarchy
  (mining that is neither training nor AI input, training of non-generative models,
  training of generative models, AI input). Leaves, because a permission for ``train``
  where only ``genai-train`` is reserved would also cover the reserved use.

ODRL 2.2 (Information Model, "Permission Class"): "A Permission allows an action ... to be
exercised on an Asset if all constraints are satisfied and if all duties are fulfilled". No
purpose listed for a rule includes a use reserved there, so no permission without a duty
covers a reserved use.
"""

from __future__ import annotations

import json
from typing import Any

from optout_site import dialects
from optout_site.config import Site
from optout_site.policy import Decision, Use

WELL_KNOWN_PATH = "/.well-known/tdmrep.json"
ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
TDMREP_CONTEXT = "http://www.w3.org/ns/tdmrep.jsonld"
TDMREP_PROFILE = "http://www.w3.org/ns/tdmrep"

# The TDM purposes a permission may name: the leaves of the use hierarchy, each with the
# use whose reservation covers it. ``other-tdm`` is mining that is neither training nor AI
# input (reserved with ``tdm`` itself); ``non-genai-train`` is training of models that are
# not generative (reserved with ``train``).
PURPOSES: tuple[tuple[str, Use], ...] = (
    ("other-tdm", Use.TDM),
    ("non-genai-train", Use.TRAIN),
    ("genai-train", Use.GENAI_TRAIN),
    ("ai-input", Use.AI_INPUT),
)


def _dump(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def rules(site: Site) -> list[dict[str, Any]]:
    out = []
    for location, decision in site.policy.ordered_decisions:
        rule: dict[str, Any] = {
            "location": location,
            "tdm-reservation": dialects.tdm_reservation(decision),
        }
        if decision.any_reserved:
            rule["tdm-policy"] = site.tdm_policy_url
        out.append(rule)
    return out


def render(site: Site) -> bytes:
    return _dump(rules(site))


def permitted(decision: Decision) -> tuple[str, ...]:
    """The TDM purposes (names in :data:`PURPOSES`) that stay permitted without consent
    where ``decision`` says ``tdm-reservation: 1``; nothing where it says 0."""
    if not decision.any_reserved:
        return ()
    return tuple(name for name, use in PURPOSES if use not in decision.reserved)


def collection_uri(site: Site, location: str) -> str:
    """The ``target`` naming the resources tdmrep.json's rule ``location`` applies to."""
    return f"{site.tdm_policy_url}#{location}"


def purpose_uri(site: Site, name: str) -> str:
    return f"{site.tdm_policy_url}#{name}"


def _permissions(site: Site) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "target": site.url + "/",
            "action": "tdm:mine",
            "duty": [{"action": site.tdm_policy.duty}],
        }
    ]
    for location, decision in site.policy.ordered_decisions:
        for name in permitted(decision):
            out.append(
                {
                    "target": collection_uri(site, location),
                    "action": "tdm:mine",
                    "constraint": [
                        {
                            "leftOperand": "purpose",
                            "operator": "eq",
                            "rightOperand": purpose_uri(site, name),
                        }
                    ],
                }
            )
    return out


def policy_document(site: Site, reservation_page: str | None = None) -> dict[str, Any]:
    holder = site.rightsholder
    assigner: dict[str, Any] = {"uid": holder.url or site.url + "/", "vcard:fn": holder.name}
    if holder.email:
        assigner["vcard:hasEmail"] = "mailto:" + holder.email
    if holder.address:
        address = {
            f"vcard:{key}": value
            for key, value in (
                ("street-address", holder.address.street),
                ("postal-code", holder.address.postal_code),
                ("locality", holder.address.locality),
                ("country-name", holder.address.country),
            )
            if value
        }
        if address:
            assigner["vcard:hasAddress"] = address
    if holder.tel:
        assigner["vcard:hasTelephone"] = holder.tel
    page = reservation_page or holder.url
    if page:
        assigner["vcard:hasURL"] = page
    return {
        "@context": [ODRL_CONTEXT, TDMREP_CONTEXT],
        "@type": "Offer",
        "profile": TDMREP_PROFILE,
        "uid": site.tdm_policy_url,
        "assigner": assigner,
        "permission": _permissions(site),
    }


def render_policy(site: Site, reservation_page: str | None = None) -> bytes:
    return _dump(policy_document(site, reservation_page))
