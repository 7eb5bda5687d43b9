"""A site's evidence records as the log audit judges requests by them
(:mod:`optout_site.logs.recorded`): found through the config, as ``build`` writes them."""

from __future__ import annotations

from optout_site.config import Site
from optout_site.errors import EvidenceError
from optout_site.evidence import ledger, record
from optout_site.logs.recorded import History, Recorded


def load(site: Site) -> History | None:
    """The site's records, oldest first; None when it keeps no evidence or has no record
    yet (the audit then judges by the current policy)."""
    if not site.evidence.enabled or site.evidence.dir is None:
        return None
    where = ledger.folder(site)
    found = []
    for path in ledger.records(where):
        value, data = ledger.load(path)
        created = value.get("created")
        if not isinstance(created, str):
            raise EvidenceError(f"{path}: the record has no creation time")
        try:
            decisions = record.decisions_of(value)
        except EvidenceError as exc:
            raise EvidenceError(f"{path}: {exc}") from None
        robots = record.signal_digest(value, "/robots.txt")
        found.append(Recorded(path.name, created, record.digest(data), robots, decisions))
    if not found:
        return None
    return History(str(where), tuple(found))
