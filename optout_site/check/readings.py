"""What the checker expects and what it has read from the site, typed, shared by the
check modules (so none of them imports another for a type).

A reading is parsed once by the module that owns its format (``tdm.parse``) and then
consulted by the others for cross-channel messages ("tdmrep.json says 0 here").
"""

from __future__ import annotations

from dataclasses import dataclass

from optout_site import paths
from optout_site.config import Site
from optout_site.signals.robots.registry import Registry


@dataclass(frozen=True)
class Expect:
    """What the site should say: its policy (from sites.yaml, or inferred by
    :mod:`optout_site.check.expect`) and the URLs its signals should name."""

    site: Site
    inferred: bool
    registry: Registry
    policy_url: str | None  # the tdm-policy URL every reserved signal should name
    rsl_url: str | None  # the license.xml URL, when RSL is in use
    images: bool  # image metadata is expected
    source_note: str


@dataclass(frozen=True)
class TdmRule:
    """One rule of ``/.well-known/tdmrep.json``, as a TDM agent reads it."""

    index: int  # position in the array, from 1
    location: str
    reservation: int | None  # None: a protocol error, which TDM agents read as unset
    policy: str | None


def first_match(rules: list[TdmRule], path: str) -> TdmRule | None:
    """TDMRep is first-match: the first rule whose location matches decides."""
    return next((r for r in rules if paths.matches(r.location, path)), None)
