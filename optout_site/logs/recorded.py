"""Which robots.txt was in force when: a site's evidence records, as the audit judges by them.

When a site keeps an evidence ledger (docs/evidence.md), each record lists the decisions
the robots.txt of that build carried (``policy.rules``: every path pattern with the uses it
reserves) and the robots.txt's SHA-256. A request is judged by the newest record created at
or before it; a request older than the first record is not judged at all (no record shows
what was published then). :mod:`optout_site.evidence.history` builds the
:class:`History` from the ledger; this module only looks records up by time.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from optout_site.policy import Decisions


@dataclass(frozen=True)
class Recorded:
    """One evidence record, as far as judging requests goes."""

    id: str  # the record's file name, 000002-20261202T101500Z.json
    created: str  # UTC, 2026-12-02T10:15:00Z
    sha256: str  # of the record file: the hash the next record names as ``previous``
    robots_sha256: str | None  # of the robots.txt it lists (None: it lists none)
    decisions: Decisions

    def summary(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "created": self.created,
            "sha256": self.sha256,
            "robots_sha256": self.robots_sha256,
        }


@dataclass(frozen=True)
class History:
    folder: str
    records: tuple[Recorded, ...]  # oldest first
    _seconds: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        # Whole seconds: a log's "…:00.5Z" must not sort before a record's "…:00Z".
        object.__setattr__(self, "_seconds", tuple(r.created[:19] for r in self.records))

    def in_force(self, when: str) -> Recorded | None:
        """The newest record created at or before ``when`` (UTC ISO time); None when
        ``when`` is before the first record or unknown ("")."""
        if not when:
            return None
        index = bisect.bisect_right(self._seconds, when[:19]) - 1
        return self.records[index] if index >= 0 else None
