"""Kept violation records on disk, read back as one sorted stream.

Each piece of a log keeps up to ``keep`` records; holding them all in the parent to sort
their union cost the parent more memory than a worker (two lists and a pickle at once). So
every piece writes its records, sorted, to a file of its own (a :class:`~.tally.Run`) in a
private temporary folder, and the report reads the runs through :func:`heapq.merge`: the
sorted union, cut at ``keep``, with one batch per run in memory.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from optout_site.logs.tally import Run, Tally, Violation

BATCH = 256  # records per pickle: what an open run costs while it is read (~80 kB)
MAX_RUNS = 16  # runs kept before they are merged into one (open files, disk)


@contextlib.contextmanager
def folder() -> Iterator[str]:
    """A private temporary folder (mode 0700), removed on exit, on error and on Ctrl-C."""
    with tempfile.TemporaryDirectory(prefix="optout-site-logs-") as path:
        yield path


def write(records: Iterable[Violation], where: str) -> Run:
    """Write ``records`` (already in report order) to a new run in ``where``."""
    fd, path = tempfile.mkstemp(suffix=".run", dir=where)
    count = 0
    items = iter(records)
    with os.fdopen(fd, "wb") as f:
        while batch := list(itertools.islice(items, BATCH)):
            pickle.dump(batch, f, pickle.HIGHEST_PROTOCOL)
            count += len(batch)
    return Run(path, count)


def read(run: Run) -> Iterator[Violation]:
    # Only this process and its workers write in the private folder: its pickles are ours.
    with open(run.path, "rb") as f:
        while True:
            try:
                batch: list[Violation] = pickle.load(f)
            except EOFError:
                return
            yield from batch


def park(tally: Tally, where: str) -> None:
    """Move a piece's kept records to a run: sorted, as the report lists them."""
    tally.violations.sort()
    tally.runs.append(write(tally.violations, where))
    tally.violations = []


def compact(tally: Tally, where: str) -> None:
    """Merge the runs into one when there are many (many files or pieces): the records
    beyond the first ``keep`` of the union can never be reported."""
    if len(tally.runs) <= MAX_RUNS:
        return
    old = tally.runs
    merged = write(Kept(old, [], tally.keep), where)
    for run in old:
        os.remove(run.path)
    tally.runs = [merged]


@dataclass(frozen=True)
class Kept:
    """The records a report lists: the first ``keep`` of the runs' sorted union, then
    ``memory`` (a tally never spilled); read anew on every pass, never held whole."""

    runs: list[Run]
    memory: list[Violation]
    keep: int

    @classmethod
    def of(cls, tally: Tally) -> Kept:
        return cls(tally.runs, tally.violations, tally.keep)

    def __iter__(self) -> Iterator[Violation]:
        streams = [read(run) for run in self.runs]
        return itertools.islice(heapq.merge(*streams, iter(self.memory)), self.keep)

    def __len__(self) -> int:
        return min(self.keep, sum(run.count for run in self.runs) + len(self.memory))

    def __getitem__(self, part: slice) -> list[Violation]:
        """The records ``part`` selects (what ``report["violations"][:20]`` reads)."""
        return list(itertools.islice(self, part.start, part.stop, part.step))
