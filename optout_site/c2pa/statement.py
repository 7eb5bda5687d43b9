"""What our manifest asserts for one decision: the training-and-data-mining assertion,
under the CAWG label and the legacy C2PA 1.x label (the C2PA Verify site and Spawning's
datadiligence read only the latter). Pure data, so it is planned once per decision and
crosses into worker processes as a string.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from optout_site import dialects
from optout_site.config import Site
from optout_site.policy import Decision

CLAIM_GENERATOR = "optout-site"
PREFIXES = ("cawg", "c2pa")  # cawg.training-mining, c2pa.training-mining


def assertions(decision: Decision, constraint_info: str) -> list[dict[str, Any]]:
    """The two labelled assertions; ``constraint_info`` goes on each ``constrained`` entry."""
    uses = dialects.training_mining(decision)
    out = []
    for prefix in PREFIXES:
        entries: dict[str, dict[str, str]] = {}
        for entry, use in uses.items():
            value = {"use": use}
            if use == "constrained":
                value["constraint_info"] = constraint_info
            entries[f"{prefix}.{entry}"] = value
        out.append({"label": f"{prefix}.training-mining", "data": {"entries": entries}})
    return out


@functools.lru_cache(maxsize=256)
def for_decision(site: Site, decision: Decision) -> str:
    """The assertions for one decision of a site, as canonical JSON (a Task field)."""
    info = site.reservation_page_url or site.tdm_policy_url
    return json.dumps(assertions(decision, info), sort_keys=True, separators=(",", ":"))


def entries_by_label(manifest_assertions: list[dict[str, Any]]) -> dict[str, Any]:
    """label → data of the training-mining assertions among a manifest's assertions."""
    wanted = {f"{p}.training-mining" for p in PREFIXES}
    return {a["label"]: a.get("data") for a in manifest_assertions if a.get("label") in wanted}
