"""Benchmark: `optout-site logs` vs GoAccess on the same generated combined log (not a test).

    python benchmarks/logs.py [--lines N] [--repeat R] [--jobs J] [--keep]
                              [--log FILE] [--skip-goaccess]

Writes a combined-format log of ``--lines`` lines (default 5,000,000): browsers, search
engines, AI crawlers (some from their operators' ranges, some spoofed), HTTP libraries,
over a month, pages and images of the bundled example's shape. Then, ``--repeat`` times
each, warm cache:

* ``goaccess LOG --log-format=COMBINED -o report.json`` (GoAccess's own parser, all its
  panels, JSON output; Debian's GoAccess 1.7 parses on one thread);
* ``optout-site logs LOG --config sites.yaml --json`` (``--jobs``, default all cores), and
  with ``--jobs 1``.

Prints a markdown table: median wall and CPU seconds, lines per second of each, peak RSS
of the largest process and of the whole process tree (sampled every 0.2 s: the parent and
its workers together). CPU seconds matter on a shared machine, where wall time depends on
the neighbours. ``--log FILE`` audits an existing log instead of generating one (a 5 GB log
takes ~10 minutes to generate); ``--skip-goaccess`` measures optout-site alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

AGENTS = [
    # (weight, user agent, addresses)
    (
        70,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        None,
    ),
    (
        30,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        None,
    ),
    (20, "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0", None),
    (
        8,
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ["66.249.66.{}", "66.249.79.{}"],
    ),
    (
        5,
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        ["40.77.167.{}", "157.55.39.{}"],
    ),
    (
        6,
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
        "+https://openai.com/gptbot)",
        ["20.171.206.{}", "45.140.12.{}"],
    ),
    (3, "CCBot/2.0 (https://commoncrawl.org/faq/)", ["3.224.220.{}"]),
    (
        3,
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; "
        "+claudebot@anthropic.com)",
        ["34.162.{}.7"],
    ),
    (2, "Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)", ["110.249.201.{}"]),
    (2, "python-requests/2.31.0", ["9.9.9.{}"]),
    (1, "img2dataset/1.45 (+https://github.com/rom1504/img2dataset)", ["9.9.8.{}"]),
    (1, "Go-http-client/1.1", ["9.9.7.{}"]),
]
PATHS = [
    "/",
    "/robots.txt",
    "/about/",
    "/gallery/",
    "/gallery/coast/",
    "/gallery/mountains/",
    "/images/mountains.jpg",
    "/images/forest.webp",
    "/images/coast.png",
    "/press/",
    "/press/portrait.jpg",
    "/css/style.css",
    "/js/main.js",
    "/blog/2026/10/first-light/",
    "/fr/expositions.html",
    "/sitemap.xml",
    "/favicon.ico",
]


def generate(path: Path, lines: int, seed: int = 16) -> None:
    rng = random.Random(seed)
    weights = [w for w, _, _ in AGENTS]
    with path.open("w", encoding="ascii") as f:
        for start in range(0, lines, 10_000):
            count = min(10_000, lines - start)
            batch = []
            for i, (_, ua, nets) in enumerate(rng.choices(AGENTS, weights, k=count)):
                r = rng.getrandbits(64)
                ip = (
                    rng.choice(nets).format(1 + r % 254)
                    if nets
                    else f"{1 + r % 223}.{r >> 8 & 255}.{r >> 16 & 255}.{1 + (r >> 24) % 254}"
                )
                day = 1 + (start + i) * 30 // lines
                second = (r >> 32) % 86400
                stamp = (
                    f"{day:02d}/Nov/2026:{second // 3600:02d}:{second // 60 % 60:02d}:"
                    f"{second % 60:02d} +0100"
                )
                page = PATHS[(r >> 50) % len(PATHS)]
                status = 200 if (r >> 40) % 100 < 93 else (304, 404, 301)[(r >> 40) % 3]
                size = (r >> 20) % 400_000 + 200 if status == 200 else 0
                batch.append(
                    f'{ip} - - [{stamp}] "GET {page} HTTP/1.1" {status} {size} '
                    f'"https://lea-moreau.example/" "{ua}"\n'
                )
            f.writelines(batch)


# Runs one command in a fresh interpreter, whose RUSAGE_CHILDREN then covers that command
# and its processes only: wall seconds, peak RSS (KiB, largest process), CPU seconds, and
# the peak of the summed RSS of the command's process tree (KiB, sampled from /proc).
_PROBE = """
import json, os, resource, subprocess, sys, time

def tree(root):
    children = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                children.setdefault(int(f.read().rsplit(")", 1)[1].split()[1]), []).append(int(pid))
        except (OSError, IndexError, ValueError):
            pass
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/status") as f:
                total += sum(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        except OSError:
            pass
    return total

start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
peak = 0
while proc.poll() is None:
    peak = max(peak, tree(proc.pid))
    time.sleep(0.2)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, peak]))
"""


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, int, float, int]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, env=env, check=True
    ).stdout
    wall, rss, cpu, tree = json.loads(out)
    return float(wall), int(rss), float(cpu), int(tree)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--log", type=Path, help="audit this log (its line count is counted)")
    parser.add_argument("--skip-goaccess", action="store_true")
    args = parser.parse_args()
    goaccess = shutil.which("goaccess")
    if goaccess is None and not args.skip_goaccess:
        sys.exit("goaccess is not installed (Debian: apt-get install goaccess)")
    work = Path(tempfile.mkdtemp(prefix="optout-logs-bench-"))
    try:
        log = work / "access.log"
        if args.log is not None:
            log = args.log.resolve()
            with log.open("rb") as f:
                args.lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))
        else:
            t0 = time.perf_counter()
            generate(log, args.lines)
            print(
                f"generated {args.lines:,} lines, {log.stat().st_size / 1e6:.0f} MB, "
                f"in {time.perf_counter() - t0:.1f} s",
                file=sys.stderr,
            )
        (work / "public").mkdir()
        config = (ROOT / "sites.yaml").read_text(encoding="utf-8")
        config = config.replace("examples/portfolio/public", str(work / "public"))
        config = config.replace("examples/portfolio/build", str(work / "build"))
        config = config.replace("examples/portfolio/evidence", str(work / "evidence"))
        (work / "sites.yaml").write_text(config, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(work / "cache")}
        ours = [sys.executable, "-m", "optout_site", "logs", str(log), "--config"]
        ours += [str(work / "sites.yaml"), "--json", "--jobs"]
        commands = (
            {}
            if args.skip_goaccess
            else {
                "GoAccess (COMBINED, JSON report)": [
                    str(goaccess),
                    str(log),
                    "--log-format=COMBINED",
                    "-o",
                    str(work / "goaccess.json"),
                    "--no-progress",
                    "--no-global-config",
                ],
            }
        )
        commands[f"optout-site logs --json (--jobs {args.jobs})"] = [*ours, str(args.jobs)]
        commands["optout-site logs --json (--jobs 1)"] = [*ours, "1"]
        results = {
            name: [measure(argv, env) for _ in range(args.repeat)]
            for name, argv in commands.items()
        }
        print(
            f"Command: `python benchmarks/logs.py --lines {args.lines} --repeat {args.repeat} "
            f"--jobs {args.jobs}`"
        )
        print(f"Log: {args.lines:,} lines, {log.stat().st_size / 1e6:.0f} MB, combined format.\n")
        print(
            "| tool | median wall s | lines/s (wall) | median CPU s | lines per CPU s "
            "| peak RSS (largest process) | peak RSS (all processes) | wall runs (s) |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for name, runs in results.items():
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[2] for r in runs)
            peak = max(r[1] for r in runs)
            tree = max(r[3] for r in runs)
            print(
                f"| {name} | {wall:.2f} | {args.lines / wall:,.0f} | {cpu:.2f} | "
                f"{args.lines / cpu:,.0f} | {peak / 1024:.0f} MB | {tree / 1024:.0f} MB | "
                + ", ".join(f"{r[0]:.2f}" for r in runs)
                + " |"
            )
        return 0
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
