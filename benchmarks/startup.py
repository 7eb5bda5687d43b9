"""Benchmark: start-up of the command line (not a test; run by hand, results in RESULTS.md).

Measures, in one run and on the same interpreter:

* the package's import time for ``optout-site --help``, ``optout-site sites`` and a no-op
  ``optout-site build`` of a small site (one page, built once before), summed from
  ``python -X importtime`` (the ``optout_site`` modules and everything they pull
  in, not the interpreter's own start-up);
* the whole process's wall time for those commands, against ``python -c pass``.

    python benchmarks/startup.py [--repeat 7]

Goal (issue "One model of paths, and a layout that shows the pipeline", and issue 19): the
imports of ``--help``, ``sites`` and a no-op build take at most 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CONFIG = """\
sites:
  - name: s
    url: https://s.example
    input: public
    rightsholder: {name: S}
    reserve: [tdm, train, ai-input]
    allow: [search]
"""


# Measured as installed code runs: with bytecode caches (pip compiles them at install;
# PYTHONDONTWRITEBYTECODE, set in some shells and sandboxes, would time the compiler).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["CI"] = "true"  # no progress bar: the summary alone, as in CI
PAGE = "<!DOCTYPE html><html><head><title>s</title></head><body><p>s</p></body></html>\n"


def import_ms(args: list[str], cwd: Path) -> float:
    """Milliseconds spent importing optout_site modules and what they pull in."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "optout_site", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=ENV,
    )
    total = 0
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, raw_name = line.split("|")
        # Top-level entries only (nested ones are inside their importer's cumulative time).
        top = raw_name[1:]
        if not top.startswith(" ") and top.startswith("optout_site"):
            total += int(cumulative.strip())
    return total / 1000


def wall_s(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, check=False, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        (cwd / "public").mkdir()
        (cwd / "public" / "index.html").write_text(PAGE, encoding="utf-8")
        (cwd / "sites.yaml").write_text(CONFIG, encoding="utf-8")
        ENV["XDG_CACHE_HOME"] = str(cwd / "cache")  # the build's state, not the user's
        print(f"python {sys.version.split()[0]}, bytecode caches on")
        rows = []
        noop = ["build", "--quiet"]
        for warm in (["--help"], ["sites"], noop):  # bytecode caches, the first build
            wall_s([sys.executable, "-m", "optout_site", *warm], cwd)
        commands = (("--help", ["--help"]), ("sites", ["sites"]), ("build (no-op)", noop))
        for label, cli_args in commands:
            imports = [import_ms(cli_args, cwd) for _ in range(args.repeat)]
            walls = [
                wall_s([sys.executable, "-m", "optout_site", *cli_args], cwd)
                for _ in range(args.repeat)
            ]
            rows.append((label, statistics.median(imports), statistics.median(walls)))
        bare = statistics.median(
            wall_s([sys.executable, "-c", "pass"], cwd) for _ in range(args.repeat)
        )
        print("| command | imports of optout_site (ms, median) | process (s, median) | goal |")
        print("|---|---:|---:|---|")
        for label, imports, wall in rows:
            print(f"| `optout-site {label}` | {imports:.0f} | {wall:.3f} | imports ≤ 100 ms |")
        print(f"| `python -c pass` | — | {bare:.3f} | |")


if __name__ == "__main__":
    main()
