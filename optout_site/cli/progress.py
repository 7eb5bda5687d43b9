"""Progress for people: a tqdm bar on a terminal, nothing in CI or when piped.

tqdm is a dependency because it handles terminal width, rate smoothing and cleanup on
interruption, which a hand-written bar would get subtly wrong. It is imported when a bar
is drawn (~0.1 s of start-up a CI build never needs).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Never, TextIO

if TYPE_CHECKING:
    from tqdm import tqdm

    from optout_site.build.report import FileResult


def wanted(stream: TextIO | None = None) -> bool:
    """A bar only for a person at a terminal; CI logs get the summary alone."""
    # sys.stderr is looked up per call: it can be replaced after this module is imported.
    stream = stream or sys.stderr
    ci = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
    return stream.isatty() and not ci


class Bar:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._bar: tqdm[Never] | None = None  # a bar with no iterable
        self._bytes = 0

    def start(self, site: str, total: int) -> None:
        from tqdm import tqdm  # on a terminal only: CI and pipes never draw a bar

        self._bar = tqdm(total=total, desc=site, unit="file", file=self._stream, leave=False)

    def advance(self, result: FileResult) -> None:
        if self._bar is not None:
            self._bar.update(1)
            if result.action == "error":
                self._bar.write(f"  {result.path}: {result.message}")

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
