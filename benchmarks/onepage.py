"""Benchmark: CPU time of ``splice`` on one tag-dense page, footer link off and on (not a test).

    python benchmarks/onepage.py MB [--rebuild]
    python benchmarks/onepage.py MB --rss     # the build's page work on a file: peak RSS
    PYTHONPATH=OLD python benchmarks/onepage.py MB   # another checkout, for before/after

The page is ``MB`` megabytes of ``<p><b>ab</b><i>c</i></p>`` (six tags and end tags per 25
bytes) with a site ``<footer>`` at the end. ``--rebuild`` also times a second splice of the
stamped page (what a build does to a page it stamped before, and what the fixed-point check
repeats). ``--rss`` writes the page to a file (under ``$BENCH_DIR`` or the temp folder) and
runs the build's own page work on it (``build.work.process``: into a new output file, then
again over it, the no-op) in a fresh process, whose peak RSS and CPU time it reports: what
one worker of a build needs for that page, whether it reads the page whole or in windows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from optout_site.html.splice import Wanted, splice

UNIT = "<p><b>ab</b><i>c</i></p>\n"
HEAD = "<!doctype html><html><head><meta charset=utf-8><title>t</title></head><body>\n"
TAIL = '<footer class="site"><p>&copy; me</p>\n</footer>\n</body></html>\n'
FOOTER_ON = Wanted(
    metas=(("tdm-reservation", "1"),),
    footer=("https://a.example/r/", "AI rights"),
    footer_before="footer",
)
FOOTER_OFF = Wanted(metas=(("tdm-reservation", "1"),))


# The child: one page through the build's page work, into a new file and then over it.
_WORK = """
import sys, time
from pathlib import Path
from optout_site.build import work
from optout_site.build.plan import Task
from optout_site.html.splice import Wanted
footer = ("https://a.example/r/", "AI rights") if sys.argv[3] == "on" else None
wanted = Wanted(metas=(("tdm-reservation", "1"),), footer=footer, footer_before="footer")
for _ in range(2):
    task = Task("page.html", Path(sys.argv[1]), Path(sys.argv[2]), "page", False, page=wanted)
    print(work.process(task).action, end=" ")
print(time.process_time())
"""
_PROBE = """
import resource, subprocess, sys
out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout
print(out.strip(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def rss(count: int) -> None:
    """Peak RSS of a fresh process doing the build's work on the page, footer off and on."""
    folder = Path(tempfile.mkdtemp(prefix="onepage-", dir=os.environ.get("BENCH_DIR")))
    page = folder / "page.html"
    with page.open("w", encoding="utf-8") as handle:
        handle.write(HEAD)
        for done in range(0, count, 100_000):
            handle.write(UNIT * min(100_000, count - done))
        handle.write(TAIL)
    size = page.stat().st_size
    try:
        for footer in ("off", "on"):
            out = folder / f"out-{footer}.html"
            cmd = [sys.executable, "-c", _WORK, str(page), str(out), footer]
            # From the page's folder: `python -c` puts the working folder first on sys.path,
            # which would shadow the checkout PYTHONPATH names.
            probe = subprocess.run(
                [sys.executable, "-c", _PROBE, *cmd],
                check=True,
                capture_output=True,
                text=True,
                cwd=folder,
            )
            *actions, cpu, peak = probe.stdout.split()
            print(
                f"{size / 1e6:.1f} MB page, footer link {footer}: {' then '.join(actions)}, "
                f"peak RSS {int(peak) / 1024:.0f} MB, {float(cpu):.2f} s CPU",
                flush=True,
            )
            out.unlink()
    finally:
        page.unlink()
        folder.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mb", type=float)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--rss", action="store_true", help="peak RSS of the build's page work")
    args = parser.parse_args()
    count = int(args.mb * 1_000_000 / len(UNIT))
    if args.rss:
        rss(count)
        return
    data = (HEAD + UNIT * count + TAIL).encode()
    for name, wanted in (("footer off", FOOTER_OFF), ("footer on", FOOTER_ON)):
        start = time.process_time()
        out = splice(data, wanted)
        line = f"{len(data) / 1e6:.1f} MB, {count * 6} tags and end tags, {name}: "
        line += f"build {time.process_time() - start:.2f} s CPU"
        if args.rebuild:
            start = time.process_time()
            assert splice(out, wanted) == out
            line += f", rebuild (page already stamped) {time.process_time() - start:.2f} s CPU"
        print(line, flush=True)


if __name__ == "__main__":
    main()
