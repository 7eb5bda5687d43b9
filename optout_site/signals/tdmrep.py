"""W3C TDMRep: ``/.well-known/tdmrep.json`` and the TDM policy (ODRL profile, JSON-LD).

tdmrep.json is matched first-in-sequence (TDMRep §"TDM File on the Origin Server"), so
rules go most specific first and ``/`` last: the same order in which the policy resolves.
"""

from __future__ import annotations

import json
from typing import Any

from optout_site import dialects
from optout_site.config import Site

WELL_KNOWN_PATH = "/.well-known/tdmrep.json"
ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
TDMREP_CONTEXT = "http://www.w3.org/ns/tdmrep.jsonld"
TDMREP_PROFILE = "http://www.w3.org/ns/tdmrep"


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
        "permission": [
            {
                "target": site.url + "/",
                "action": "tdm:mine",
                "duty": [{"action": site.tdm_policy.duty}],
            }
        ],
    }


def render_policy(site: Site, reservation_page: str | None = None) -> bytes:
    return _dump(policy_document(site, reservation_page))
