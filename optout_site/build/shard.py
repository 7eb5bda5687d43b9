"""``build --shard K/N``: a deterministic 1/N of a site's files, balanced by bytes.

For archives that outgrow one CI runner, the CI system is the distributed engine: N jobs
each build one shard into their own output folder, and the N folders overlaid are exactly
the single-machine build. Every input file belongs to exactly one shard; the site-level
signals (robots.txt, tdmrep.json, …) depend on the config alone, so every shard writes the
same bytes for them and the overlay needs no merging.

The assignment is longest-processing-time first (files by size, largest first, each to
the shard with the fewest bytes so far; ties by path and shard number), so it depends only
on the tree: every job must see the same input folder (build the site once and hand it to
the shards as an artifact). :func:`tree_digest` names the tree, so a deploy job can check
that all shards saw the same one.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from optout_site.build.scan import Entry
from optout_site.errors import UsageError


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as the user writes it
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, sep, count = text.partition("/")
        if not sep or not index.isdigit() or not count.isdigit():
            raise UsageError(f"--shard takes K/N, such as 2/3, not {text!r}")
        shard = cls(int(index), int(count))
        if not 1 <= shard.index <= shard.count:
            raise UsageError(f"--shard {text}: K must be between 1 and N")
        return shard

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def _size(entry: Entry) -> int:
    try:
        return os.stat(entry.path).st_size
    except OSError:
        return 0  # reported by the build itself when it cannot read the file


def assign(sizes: Iterable[tuple[str, int]], count: int) -> dict[str, int]:
    """Name → 0-based shard for ``(name, size)`` pairs: largest first, to the lightest shard."""
    loads = [0] * count
    owner: dict[str, int] = {}
    for name, size in sorted(sizes, key=lambda item: (-item[1], item[0])):
        target = min(range(count), key=lambda i: (loads[i], i))
        owner[name] = target
        loads[target] += size + 1  # +1: empty files are spread too
    return owner


def select(entries: Sequence[Entry], shard: Shard) -> set[str]:
    """The site-relative paths this shard builds."""
    owner = assign(((str(e.rel), _size(e)) for e in entries), shard.count)
    return {rel for rel, i in owner.items() if i == shard.index - 1}


def tree_digest(entries: Sequence[Entry]) -> str:
    """A short name for the input tree the assignment was made from (paths and sizes)."""
    h = hashlib.sha256()
    for size, rel in sorted((_size(e), str(e.rel)) for e in entries):
        h.update(f"{size} {rel}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:16]
