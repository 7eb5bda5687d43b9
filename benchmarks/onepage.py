"""Benchmark: CPU time of ``splice`` on one tag-dense page, footer link off and on (not a test).

    python benchmarks/onepage.py MB [--rebuild]
    PYTHONPATH=OLD python benchmarks/onepage.py MB   # another checkout, for before/after

The page is ``MB`` megabytes of ``<p><b>ab</b><i>c</i></p>`` (six tags and end tags per 25
bytes) with a site ``<footer>`` at the end. ``--rebuild`` also times a second splice of the
stamped page (what a build does to a page it stamped before, and what the fixed-point check
repeats).
"""

from __future__ import annotations

import argparse
import time

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mb", type=float)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    count = int(args.mb * 1_000_000 / len(UNIT))
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
