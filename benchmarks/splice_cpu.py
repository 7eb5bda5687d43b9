"""Benchmark: CPU of splice alone over benchmarks/pages.py's site (not a test).

    python benchmarks/splice_cpu.py [--pages N] [--old PATH]

The build's per-page CPU without the start-up, config, scan and writes around it (which
make a whole build's CPU too noisy on a shared machine to show a change of a few per
cent): for a page as it comes (edited) and as stamped by a build (a no-op), footer link
off and on, the best of seven passes over every page, in process CPU. ``--old PATH``
runs the same in a subprocess with PYTHONPATH=PATH, for before/after figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from optout_site.html.splice import Wanted, splice

OFF = Wanted(
    metas=(("tdm-reservation", "1"), ("tdm-policy", "https://a.example/policies/tdm.json")),
    robots_add=("noai", "noimageai"),
)
ON = Wanted(metas=OFF.metas, robots_add=OFF.robots_add, footer=("/ai.html", "No AI training"))


def best_ms(run: Callable[[], object], times: int = 7) -> float:
    best = float("inf")
    for _ in range(times):
        begin = time.process_time()
        run()
        best = min(best, time.process_time() - begin)
    return best * 1000


def _all(pages: list[bytes], wanted: Wanted) -> Callable[[], object]:
    return lambda: [splice(page, wanted) for page in pages]


def measure(site: Path) -> str:
    pages = [p.read_bytes() for p in sorted(site.rglob("*.html"))]
    lines = []
    for name, wanted in (("footer off", OFF), ("footer on", ON)):
        stamped = [splice(page, wanted) for page in pages]
        fresh = best_ms(_all(pages, wanted))
        again = best_ms(_all(stamped, wanted))
        lines.append(
            f"{name}: page as it comes {fresh:.0f} ms ({fresh / len(pages):.2f} ms/page), "
            f"stamped page {again:.0f} ms ({again / len(pages):.2f} ms/page)"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=213)
    parser.add_argument("--old", help="another optout-site checkout, measured the same way")
    parser.add_argument("--site", type=Path, help=argparse.SUPPRESS)  # the --old run's
    args = parser.parse_args()
    if args.site:
        print(measure(args.site))
        return
    sys.path.insert(0, str(Path(__file__).parent))
    import pages  # noqa: PLC0415 (the sibling benchmark script, found through sys.path)

    with tempfile.TemporaryDirectory(prefix="optout-site-splice-") as root:
        site = Path(root) / "site"
        pages.make_site(site, args.pages)
        print(f"load average {os.getloadavg()[0]:.1f}")
        print("after:\n" + measure(site))
        if args.old:
            env = {**os.environ, "PYTHONPATH": args.old}
            cmd = [sys.executable, __file__, "--site", str(site)]
            old = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
            print("before:\n" + old.stdout.strip())
        print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
