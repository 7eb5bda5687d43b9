"""Benchmark: one worker's CPU time per image, per format, no process start-up (not a test).

    python benchmarks/imageworker.py [--impl NAME=PYTHONPATH ...] [--formats ...] [--count N]
        [--repeat R]

What a build's worker process spends on one image (``build.work.stamp_image`` into a new
folder: parse, merge and render the packet, copy the bytes, the atomic write), measured in
one fresh process per source tree (user and system CPU time, ``getrusage``) after a
warm-up pass, so
start-up, the pool and the parent's planning are left out, and other people's load on a
shared machine disturbs the figure far less than wall time. The corpora are
benchmarks/imageformats.py's; ``--impl`` names source trees to compare in the same run
(default: this checkout).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import imageformats  # noqa: E402

# Runs inside the tree under test (PYTHONPATH), so only its own API is used.
PROBE = """
import resource, shutil, statistics, sys
from pathlib import Path
from optout_site.build.work import stamp_image
from optout_site.images import Contact, ImageRights
rights = ImageRights(
    data_mining="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING",
    other_constraints=None,
    web_statement="https://jane.example/ai-reservation/",
    usage_terms="No use for AI/ML training or text and data mining.",
    copyright="(c) 2025 Jane Doe. All rights reserved.",
    creator="Jane Doe",
    contact=Contact(name="Jane Doe", email="licensing@jane.example", url="https://jane.example"),
)
corpus, out, repeat = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
files = sorted(corpus.iterdir())
runs = []
for i in range(repeat + 1):  # the first pass warms imports and caches, and is not counted
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    before = resource.getrusage(resource.RUSAGE_SELF)
    for path in files:
        assert stamp_image(path, out / path.name, rights).status == "changed"
    after = resource.getrusage(resource.RUSAGE_SELF)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    runs.append((user / len(files) * 1000, system / len(files) * 1000))
print(statistics.median(u for u, _ in runs[1:]), statistics.median(s for _, s in runs[1:]))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    imageformats.add_arguments(parser)
    parser.add_argument("--count", type=int, default=100, help="files per corpus")
    args = parser.parse_args()
    impls = imageformats.impls(args, HERE.parent)
    root = Path(tempfile.mkdtemp(prefix="optout-worker-", dir=os.environ.get("BENCH_DIR")))
    print(
        f"CPU ms per image in one worker, user + system, median of {args.repeat} passes "
        "over the corpus\n"
    )
    print("| format | files | KB per file | " + " | ".join(impls) + " |")
    print("|---|---:|---:|" + "---:|" * len(impls))
    try:
        for name in args.formats.split(","):
            corpus = root / name
            size = imageformats.build(corpus, imageformats.BY_NAME[name], args.count)
            cells = []
            for path in impls.values():
                env = {**os.environ, "PYTHONPATH": path}
                run = subprocess.run(
                    [sys.executable, "-c", PROBE, str(corpus), str(root / "out"), str(args.repeat)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=root,  # not a checkout: `-c` puts the working folder on sys.path first
                )
                user, system = map(float, run.stdout.split())
                cells.append(f"{user:.2f} + {system:.2f}")
            kb = size / args.count / 1e3
            print(f"| {name} | {args.count} | {kb:,.0f} | " + " | ".join(cells) + " |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
