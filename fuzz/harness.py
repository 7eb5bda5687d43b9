"""The shared atheris entry point: one target per container, plus XMP and HTML.

Each ``fuzz_<name>.py`` imports this module inside ``atheris.instrument_imports`` so that
``optout_site`` is coverage-instrumented, then calls :func:`main`. An exception other than
the component's own typed error, or a :class:`fuzz.oracle.Finding`, is a crash: libFuzzer
saves the input as ``crash-<sha1>`` under the artifact prefix and stops.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

from fuzz import oracle

TARGETS = (*oracle.FORMATS, "xmp", "html")


def _scratch(name: str) -> Path:
    # tmpfs when there is one: a few files are written and renamed per execution.
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() else None
    return Path(tempfile.mkdtemp(prefix=f"optout-fuzz-{name}-", dir=base))


def target(name: str) -> Callable[[bytes], None]:
    """The function libFuzzer calls with each input."""
    if name in oracle.FORMATS:
        workdir = _scratch(name)
        ext = oracle.FORMATS[name]

        def one_image(data: bytes) -> None:
            oracle.check_image(data, workdir, ext)

        return one_image
    if name == "xmp":
        oracle.ensure_canary()
        return lambda data: None if oracle.check_xmp(data) else None
    if name == "html":
        return lambda data: None if oracle.check_html(data) else None
    raise SystemExit(f"unknown fuzz target {name!r}; one of {', '.join(TARGETS)}")


def main(name: str, argv: list[str] | None = None) -> None:
    atheris.Setup(list(sys.argv if argv is None else argv), target(name))
    atheris.Fuzz()
