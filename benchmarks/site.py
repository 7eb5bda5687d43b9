"""Benchmark: a whole-site build against ``cp -r``, exiftool and itself (not a test).

    python benchmarks/site.py [--pages N] [--images N] [--megapixels M] [--repeat R]
                              [--tiff-mb MB] [--results benchmarks/RESULTS.md]

Generates a portfolio site (HTML pages from the bundled example's templates, JPEG/PNG/WebP
photos with EXIF, see benchmarks/images.py), then measures in one run, median of
``--repeat`` runs each:

* full build into a new output folder vs ``cp -r`` of the same site, warm and cold cache
  (cold = page cache dropped before each run; needs root, otherwise reported as n/a);
* image stamping vs exiftool writing XMP fields to the same images (one process, batch);
* a no-op rebuild vs the full build;
* peak RSS of a build whose site includes one ``--tiff-mb`` MB TIFF.

Writes the figures and the machine description to ``--results``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import images as corpus  # noqa: E402  (benchmarks/images.py: photo corpus and exiftool args)

WORDS = [
    "light",
    "stone",
    "water",
    "ridge",
    "granite",
    "tide",
    "larch",
    "autumn",
    "summit",
    "glacier",
    "harbour",
    "dawn",
    "mist",
    "shore",
    "cliff",
    "valley",
    "print",
    "series",
    "archive",
    "portrait",
    "press",
    "journal",
]
PAGE = """<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{title} · Benchmark Photography</title>
    <link rel="stylesheet" href="/css/style.css">
  </head>
  <body>
    <main>
      <h1>{title}</h1>
{body}
    </main>
  </body>
</html>
"""


def child_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a measured build runs in: CI's (no progress bar), with bytecode
    caches on as a pip install leaves them (a sandbox's PYTHONDONTWRITEBYTECODE would have
    every start compile the modules changed since the last cache was written)."""
    env = {k: v for k, v in (base or os.environ).items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["CI"] = "true"
    return env


def make_site(root: Path, pages: int, images: int, megapixels: float) -> int:
    rng = random.Random(7)
    corpus.build_corpus(root / "images", images, megapixels)
    for i in range(pages):
        folder = root / "journal" / f"{i // 100:03d}" / f"post-{i:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        paragraphs = "\n".join(
            f"      <p>{' '.join(rng.choices(WORDS, k=120))}</p>" for _ in range(6)
        )
        image = f'      <img src="/images/img{i % max(images, 1):05d}.jpg" alt="">'
        title = " ".join(rng.choices(WORDS, k=4)).title()
        (folder / "index.html").write_text(PAGE.format(title=title, body=paragraphs + "\n" + image))
    (root / "css").mkdir(exist_ok=True)
    (root / "css/style.css").write_text("body { font-family: serif; }\n")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /drafts/\n")
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def write_tiff(path: Path, megabytes: int) -> None:
    """An uncompressed RGB baseline TIFF, written in strips so making it needs no memory."""
    width = 8000
    height = megabytes * 1024 * 1024 // (width * 3)
    data_len = width * height * 3
    with path.open("wb") as out:
        out.write(b"II*\x00" + struct.pack("<I", 8 + data_len))
        row = bytes(random.Random(1).randrange(256) for _ in range(width * 3))
        for _ in range(height):
            out.write(row)
        entries = [
            (256, 4, 1, width),
            (257, 4, 1, height),
            (258, 3, 1, 8),
            (259, 3, 1, 1),
            (262, 3, 1, 2),
            (273, 4, 1, 8),
            (277, 3, 1, 3),
            (278, 4, 1, height),
            (279, 4, 1, data_len),
        ]
        out.write(struct.pack("<H", len(entries)))
        for tag, kind, count, value in entries:
            packed = struct.pack("<H", value) + b"\0\0" if kind == 3 else struct.pack("<I", value)
            out.write(struct.pack("<HHI", tag, kind, count) + packed)
        out.write(struct.pack("<I", 0))


def write_config(root: Path, site: Path, output: Path, extra: str = "") -> Path:
    """A one-site config building ``site`` into ``output``; ``extra``: more site keys."""
    cfg = root / f"sites-{output.name}.yaml"
    cfg.write_text(
        "sites:\n"
        f"  - name: bench\n    url: https://bench.example\n    input: {site}\n"
        f"    output: {output}\n    reserve: [tdm, train, ai-input]\n"
        "    rightsholder: {name: Bench Photographer, email: b@bench.example}\n" + extra,
        encoding="utf-8",
    )
    return cfg


_RSS_PROBE = (
    "import resource, subprocess, sys;"
    "subprocess.run(sys.argv[1:], check=True);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def peak_rss_mb(cfg: Path, state: Path) -> float:
    """Peak RSS of the build's largest process (parent or worker), measured in a fresh
    process so nothing this script ran before is counted."""
    cmd = [
        sys.executable,
        "-m",
        "optout_site",
        "build",
        "-c",
        str(cfg),
        "--quiet",
        "--state-dir",
        str(state),
        "--jobs",
        "2",
    ]
    probe = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, *cmd],
        check=True,
        capture_output=True,
        text=True,
        env=child_env(),
    )
    return int(probe.stdout.strip().splitlines()[-1]) / 1024


def drop_caches() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def optout(cfg: Path, state: Path, *extra: str) -> None:
    cmd = [
        sys.executable,
        "-m",
        "optout_site",
        "build",
        "-c",
        str(cfg),
        "--quiet",
        "--state-dir",
        str(state),
        *extra,
    ]
    subprocess.run(cmd, check=True, env=child_env())


def timed(
    run: Callable[[], object], prepare: Callable[[], object], repeat: int, cold: bool = False
) -> list[float] | None:
    times = []
    for _ in range(repeat):
        prepare()
        if cold and not drop_caches():
            return None
        subprocess.run(["sync"], check=True)
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} × {cpu}, {mem:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def fmt(times: list[float] | None) -> str:
    return "n/a" if not times else f"{statistics.median(times):.2f}"


def ratio(a: list[float] | None, b: list[float] | None) -> str:
    if not a or not b:
        return "n/a"
    return f"{statistics.median(a) / statistics.median(b):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tiff-mb", type=int, default=300)
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="optout-site-bench-", dir=os.environ.get("BENCH_DIR")))
    try:
        report = run(root, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    args.results.write_text(report, encoding="utf-8")
    print(report)


def run(root: Path, args: argparse.Namespace) -> str:
    site, out, state = root / "site", root / "out", root / "state"
    size = make_site(site, args.pages, args.images, args.megapixels)
    cfg = write_config(root, site, out)
    copy = root / "copy"

    def fresh() -> None:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(copy, ignore_errors=True)

    def cp() -> None:
        subprocess.run(["cp", "-r", str(site), str(copy)], check=True)

    def full() -> None:
        optout(cfg, state)

    cp()  # warm the page cache once
    cp_warm = timed(cp, fresh, args.repeat)
    build_warm = timed(full, fresh, args.repeat)
    cp_cold = timed(cp, fresh, args.repeat, cold=True)
    build_cold = timed(full, fresh, args.repeat, cold=True)
    fresh()
    full()
    noop = timed(full, lambda: None, args.repeat)

    stamp_dir, exif_dir = root / "stamped", root / "exiftool"

    def clear_images() -> None:
        shutil.rmtree(stamp_dir, ignore_errors=True)
        shutil.rmtree(exif_dir, ignore_errors=True)

    exiftool = shutil.which("exiftool")
    ours_images = timed(lambda: corpus.ours(site / "images", stamp_dir), clear_images, args.repeat)
    exif_times = None
    fields = "exiftool not installed"
    if exiftool:
        exif_args, fields = corpus.exiftool_args()

        def run_exiftool() -> None:
            subprocess.run(
                [exiftool, "-q", "-o", f"{exif_dir}/", *exif_args, str(site / "images")],
                check=True,
                stdout=subprocess.DEVNULL,
            )

        exif_times = timed(run_exiftool, clear_images, args.repeat)

    rss_site = root / "tiff-site"
    rss_site.mkdir()
    write_tiff(rss_site / "huge.tif", args.tiff_mb)
    shutil.copytree(site / "css", rss_site / "css")
    rss_cfg = write_config(root, rss_site, root / "tiff-out")
    peak = f"{peak_rss_mb(rss_cfg, root / 'tiff-state'):.0f} MB"

    n_files = sum(1 for p in site.rglob("*") if p.is_file())
    lines = [
        "# Benchmark results",
        "",
        f"Command: `python benchmarks/site.py --pages {args.pages} --images {args.images} "
        f"--megapixels {args.megapixels} --repeat {args.repeat} --tiff-mb {args.tiff_mb}`",
        f"Run on {time.strftime('%Y-%m-%d')}: {machine()}.",
        f"Site: {n_files} files, {size / 1e6:.0f} MB ({args.pages} pages, {args.images} JPEGs "
        f"of {args.megapixels} MP, {args.images // 10} PNG + {args.images // 10} WebP).",
        "",
        "| measurement | median s | runs (s) |",
        "|---|---:|---|",
        f"| `cp -r` site, warm cache | {fmt(cp_warm)} | {_runs(cp_warm)} |",
        f"| full build into new folder, warm | {fmt(build_warm)} | {_runs(build_warm)} |",
        f"| `cp -r` site, cold cache | {fmt(cp_cold)} | {_runs(cp_cold)} |",
        f"| full build into new folder, cold | {fmt(build_cold)} | {_runs(build_cold)} |",
        f"| no-op rebuild | {fmt(noop)} | {_runs(noop)} |",
        f"| stamping the images (new folder) | {fmt(ours_images)} | {_runs(ours_images)} |",
        f"| exiftool, same images, one process | {fmt(exif_times)} | {_runs(exif_times)} |",
        "",
        "| ratio | value | target |",
        "|---|---:|---|",
        f"| full build / `cp -r`, warm | {ratio(build_warm, cp_warm)} | ≤ 1.5 |",
        f"| full build / `cp -r`, cold | {ratio(build_cold, cp_cold)} | ≤ 1.5 |",
        f"| exiftool / our image stamping | {ratio(exif_times, ours_images)} | ≥ 5 |",
        f"| no-op rebuild / full build (warm) | {ratio(noop, build_warm)} | ≤ 0.03 |",
        f"| peak RSS, build with a {args.tiff_mb} MB TIFF | {peak} | ≤ 150 MB |",
        "",
        f"exiftool fields: {fields}.",
        "The full build includes Python start-up, config validation, scanning, and fsync of",
        "every file it writes; `cp -r` does not fsync.",
        "",
    ]
    return "\n".join(lines)


def _runs(times: list[float] | None) -> str:
    return ", ".join(f"{t:.2f}" for t in times) if times else "n/a"


if __name__ == "__main__":
    main()
