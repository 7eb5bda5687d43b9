"""Benchmark: a real page-heavy site, Python-Markdown's documentation built by MkDocs (not a test).

    python benchmarks/mkdocs_site.py [--markdown 3.7] [--repeat R] [--old PATH]
                                     [--results benchmarks/RESULTS.md]

Uses the network (package registries only): downloads Python-Markdown's sdist
(``pip download --no-deps --no-binary :all: markdown==X``), creates a virtual environment
for the generator in the benchmark's temp folder and installs what the docs need into it
(MkDocs, the ``mkdocs-nature`` theme, ``mdx_gh_links``, that Markdown), then builds the
docs as the project does, except the API reference: its plugins (mkdocstrings, gen-files,
literate-nav, section-index) fetch docs.python.org's inventory, which is not a registry.
On that output, in one run and as ``benchmarks/pages.py`` does: full build into a new
folder vs ``cp -r``, no-op rebuild vs ``rsync -a``'s no-op, footer link off and on, median
of ``--repeat``; ``--old PATH`` adds the same figures for another checkout (PYTHONPATH).
Appends a section to ``--results``. Needs ``rsync``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_pages", HERE / "pages.py")
assert _spec is not None and _spec.loader is not None
pages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pages)
bench = pages.bench

# What the project's mkdocs.yml needs beyond the API reference.
GENERATOR = ("mkdocs>=1.6,<2", "mkdocs-nature>=0.6", "mdx_gh_links>=0.2")


def fetch_docs(root: Path, version: str) -> Path:
    """Python-Markdown's sdist, unpacked; its mkdocs.yml without the API reference."""
    download = root / "download"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
        + [f"markdown=={version}", "-d", str(download)],
        check=True,
    )
    (sdist,) = download.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(root, filter="data")
    source = next(p for p in root.iterdir() if p.name.lower() == f"markdown-{version}")
    text = (source / "mkdocs.yml").read_text(encoding="utf-8")
    text = text.replace("  - API Reference: reference/\n", "")
    text = text[: text.index("\nplugins:")] + "\nplugins:\n- search\n"
    # A YAML tag that imports the package: the version is what it would give.
    text = text.replace("!!python/name:markdown.__version__", f'"{version}"')
    (source / "mkdocs-bench.yml").write_text(text, encoding="utf-8")
    return source


def build_docs(root: Path, source: Path, version: str) -> Path:
    """The docs as MkDocs builds them, from a venv of the benchmark's own."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", *GENERATOR, f"markdown=={version}"]
    subprocess.run(pip, check=True)
    site = root / "site"
    mkdocs = [str(python), "-m", "mkdocs", "build", "--quiet", "-f", "mkdocs-bench.yml"]
    subprocess.run([*mkdocs, "-d", str(site)], check=True, cwd=source)
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", default="3.7", help="Python-Markdown version")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--old", help="another optout-site checkout, measured the same way")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="optout-site-mkdocs-", dir=os.environ.get("BENCH_DIR")))
    try:
        site = build_docs(root, fetch_docs(root, args.markdown), args.markdown)
        report = run(root, site, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    with args.results.open("a", encoding="utf-8") as handle:
        handle.write("\n" + report)
    print(report)


def run(root: Path, site: Path, args: argparse.Namespace) -> str:
    copy, synced = root / "copy", root / "synced"
    files = [p for p in site.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    html = sum(p.suffix == ".html" for p in files)
    subprocess.run(["cp", "-r", str(site), str(copy)], check=True)  # warm the cache

    def cp() -> None:
        subprocess.run(["cp", "-r", str(site), str(copy)], check=True)

    cp_times = bench.timed(cp, lambda: shutil.rmtree(copy, ignore_errors=True), args.repeat)
    subprocess.run(["rsync", "-a", f"{site}/", f"{synced}/"], check=True)

    def rsync() -> None:
        subprocess.run(["rsync", "-a", f"{site}/", f"{synced}/"], check=True)

    rsync_times = bench.timed(rsync, lambda: None, args.repeat)
    load = os.getloadavg()
    trees = [("after", None)] + ([("before", args.old)] if args.old else [])
    figures = {tag: pages.measure(root, site, args.repeat, tree, tag) for tag, tree in trees}
    load_after = os.getloadavg()
    lines = [
        "## A real page-heavy site: Python-Markdown's docs by MkDocs (`benchmarks/mkdocs_site.py`)",
        "",
        f"Command: `python benchmarks/mkdocs_site.py --markdown {args.markdown} "
        f"--repeat {args.repeat}" + (" --old OLD`" if args.old else "`"),
        f"Run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {bench.machine()}. "
        f"Load average {load[0]:.1f} before the builds, {load_after[0]:.1f} after (on a "
        "shared machine absolute times are inflated; the ratios compare runs taken side by "
        "side).",
        f"Site: Python-Markdown {args.markdown}'s documentation built by MkDocs "
        f"({', '.join(GENERATOR)}), without the API reference: {len(files)} files, "
        f"{html} pages, {size / 1e6:.1f} MB.",
        "",
        *pages.tables(trees, figures, cp_times, rsync_times),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
