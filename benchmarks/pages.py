"""Benchmark: a page-heavy site, with and without the footer link (not a test).

    python benchmarks/pages.py [--pages N] [--repeat R] [--page-mb MB] [--old PATH]
                               [--results benchmarks/RESULTS.md]

Sphinx's and Python-Markdown's documentation cannot be built here offline (neither Sphinx
nor MkDocs is installed, and the benchmark does not download), so this generates the
equivalent of Sphinx's own HTML docs as issue 19 measured them: ``--pages`` pages of
Sphinx's structure (a head of links and scripts, a body of highlighted code, one span per
token, a ``<footer>``), 20 KB to 475 KB each, ~26 MB for 213 pages. In one run, median of
``--repeat``: full build into a new folder vs ``cp -r``, no-op rebuild vs ``rsync -a``'s
no-op, each with ``footer_link`` off and on; and the peak RSS of a build whose site holds
one ``--page-mb`` MB page. ``--old PATH`` adds the same figures for another checkout of
optout-site (PYTHONPATH=PATH), for before/after tables. Appends a section to ``--results``.
Needs ``rsync`` (``apt-get install rsync``).
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_site", HERE / "site.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

HEAD = (
    '<!DOCTYPE html>\n<html lang="en" data-content_root="../">\n  <head>\n'
    '    <meta charset="utf-8" />\n'
    '    <meta name="viewport" content="width=device-width, initial-scale=1.0" />\n'
    "    <title>{title} &#8212; Sphinx documentation</title>\n"
    '    <link rel="stylesheet" type="text/css" href="../_static/pygments.css?v=4f649999" />\n'
    '    <link rel="stylesheet" type="text/css" href="../_static/sphinx13.css?v=e0a4f2d2" />\n'
    '    <script src="../_static/documentation_options.js?v=5d57ca2d"></script>\n'
    '    <script src="../_static/doctools.js?v=9a2dae69"></script>\n'
    '    <link rel="index" title="Index" href="../genindex.html" />\n'
    '    <link rel="search" title="Search" href="../search.html" />\n'
    "  </head><body>\n"
    '<div class="related" role="navigation" aria-label="Related">\n  <h3>Navigation</h3>\n'
    '  <ul><li class="right"><a href="../genindex.html" title="General Index">index</a></li>\n'
    '    <li class="nav-item nav-item-0"><a href="../index.html">Sphinx</a> &#187;</li></ul>\n'
    "</div>\n"
    '<div class="document"><div class="documentwrapper"><div class="bodywrapper">'
    '<div class="body" role="main">\n'
)
TAIL = (
    '</div></div></div>\n<div class="sphinxsidebar" role="navigation">\n'
    '<search id="searchbox"><form class="search" action="../search.html" method="get">\n'
    '<input type="text" name="q" aria-labelledby="searchlabel" autocomplete="off" />\n'
    "</form></search>\n<script>document.getElementById('searchbox').style.display = "
    '"block"</script>\n</div>\n</div>\n'
    '<footer role="contentinfo">\n    &#169; Copyright 2007-2024, the Sphinx developers.\n'
    '    Created using <a href="https://www.sphinx-doc.org/">Sphinx</a> 7.4.7.\n</footer>\n'
    "  </body>\n</html>\n"
)
WORDS = ["config", "app", "env", "builder", "node", "directive", "role", "domain", "theme"]


def _code_block(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(5, 30)):
        word, other = rng.choice(WORDS), rng.choice(WORDS)
        lines.append(
            f'<span class="n">{word}</span><span class="o">.</span>'
            f'<span class="n">{other}</span><span class="p">(</span>'
            f'<span class="s2">&quot;{word}_{other}&quot;</span><span class="p">)</span>'
        )
    return '<div class="highlight-python notranslate"><div class="highlight"><pre><span></span>' + (
        "\n".join(lines) + "\n</pre></div></div>\n"
    )


def page(rng: random.Random, title: str, size: int) -> str:
    parts = [HEAD.format(title=title), f'<section id="{title}">\n<h1>{title}</h1>\n']
    length = len(parts[0])
    while length < size:
        word = rng.choice(WORDS)
        block = (
            f'<p>The <a class="reference internal" href="#{word}"><code class="xref py '
            f'py-class docutils literal notranslate"><span class="pre">{word}</span></code></a> '
            f"object holds the {word} of the build; see <em>{rng.choice(WORDS)}</em>.</p>\n"
            + _code_block(rng)
        )
        parts.append(block)
        length += len(block)
    parts.append("</section>\n" + TAIL)
    return "".join(parts)


def make_site(root: Path, pages: int) -> int:
    rng = random.Random(19)
    total = 0
    for i in range(pages):
        # Most pages are small; a few reach Sphinx's largest (the changelog, 475 KB).
        size = 475_000 if i % 40 == 0 else rng.randint(20_000, 180_000)
        folder = root / ("usage" if i % 3 else "extdev") / ("" if i % 7 else "advanced")
        folder.mkdir(parents=True, exist_ok=True)
        data = page(rng, f"page{i}", size).encode()
        (folder / f"page{i}.html").write_bytes(data)
        total += len(data)
    static = root / "_static"
    static.mkdir(exist_ok=True)
    for name in ("pygments.css", "sphinx13.css", "doctools.js"):
        (static / name).write_text("/* static */\n" * 200)
    return total


def write_config(root: Path, site: Path, output: Path, footer: bool) -> Path:
    extra = "    reservation_page: {footer_link: true}\n" if footer else ""
    return Path(bench.write_config(root, site, output, extra))


def _with_path(tree: str | None) -> dict[str, str] | None:
    return None if tree is None else {**os.environ, "PYTHONPATH": tree}


def _build(cfg: Path, state: Path, env: dict[str, str] | None) -> None:
    cmd = [sys.executable, "-m", "optout_site", "build", "-c", str(cfg), "--quiet"]
    cmd += ["--state-dir", str(state)]
    # From the config's folder: `python -m` puts the working folder first on sys.path,
    # which would shadow the checkout PYTHONPATH names.
    environ = bench.child_env(env)
    subprocess.run(cmd, check=True, env=environ, cwd=cfg.parent)


def _fresh(*folders: Path) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def measure(root: Path, site: Path, repeat: int, tree: str | None, tag: str) -> dict[str, Any]:
    """Build and no-op timings for one checkout, footer off and on."""
    env = _with_path(tree)
    figures: dict[str, Any] = {}
    for footer in (False, True):
        out, state = root / f"out-{tag}-{footer}", root / f"state-{tag}-{footer}"
        build = functools.partial(_build, write_config(root, site, out, footer), state, env)
        figures[f"build {footer}"] = bench.timed(
            build, functools.partial(_fresh, out, state), repeat
        )
        _fresh(out, state)
        build()
        figures[f"noop {footer}"] = bench.timed(build, lambda: None, repeat)
    return figures


def tables(
    trees: list[tuple[str, str | None]],
    figures: dict[str, dict[str, Any]],
    cp_times: list[float] | None,
    rsync_times: list[float] | None,
) -> list[str]:
    """The timings and the ratios to the goals, per tree, footer link off and on."""
    fmt, ratio, runs = bench.fmt, bench.ratio, bench._runs
    lines = [
        "| measurement | median s | runs (s) |",
        "|---|---:|---|",
        f"| `cp -r` site | {fmt(cp_times)} | {runs(cp_times)} |",
        f"| `rsync -a` no-op | {fmt(rsync_times)} | {runs(rsync_times)} |",
    ]
    for tag, _ in trees:
        for footer in (False, True):
            name = "footer link on" if footer else "footer link off"
            build, noop = figures[tag][f"build {footer}"], figures[tag][f"noop {footer}"]
            lines.append(f"| {tag}: full build, {name} | {fmt(build)} | {runs(build)} |")
            lines.append(f"| {tag}: no-op rebuild, {name} | {fmt(noop)} | {runs(noop)} |")
    lines += ["", "| ratio | value | target |", "|---|---:|---|"]
    for tag, _ in trees:
        for footer in (False, True):
            name = "footer on" if footer else "footer off"
            build, noop = figures[tag][f"build {footer}"], figures[tag][f"noop {footer}"]
            lines.append(
                f"| {tag}: full build / `cp -r`, {name} | {ratio(build, cp_times)} | ≤ 1.5 |"
            )
            lines.append(
                f"| {tag}: no-op / `rsync -a` no-op, {name} | {ratio(noop, rsync_times)} | ≤ 3 |"
            )
    return lines


def big_page_rss(root: Path, megabytes: int) -> str:
    site = root / "big-site"
    site.mkdir()
    rng = random.Random(200)
    with (site / "huge.html").open("w", encoding="utf-8") as handle:
        handle.write(HEAD.format(title="huge"))
        written = 0
        while written < megabytes * 1_000_000:
            block = _code_block(rng)
            handle.write(block)
            written += len(block)
        handle.write(TAIL)
    cfg = write_config(root, site, root / "big-out", footer=True)
    return f"{bench.peak_rss_mb(cfg, root / 'big-state'):.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=213)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--page-mb", type=int, default=200)
    parser.add_argument("--old", help="another optout-site checkout, measured the same way")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="optout-site-pages-", dir=os.environ.get("BENCH_DIR")))
    try:
        report = run(root, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    with args.results.open("a", encoding="utf-8") as handle:
        handle.write("\n" + report)
    print(report)


def run(root: Path, args: argparse.Namespace) -> str:
    site, copy, synced = root / "site", root / "copy", root / "synced"
    size = make_site(site, args.pages)
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
    figures = {tag: measure(root, site, args.repeat, tree, tag) for tag, tree in trees}
    rss = big_page_rss(root, args.page_mb) if args.page_mb else "not measured"
    load_after = os.getloadavg()
    lines = [
        "## A page-heavy site (`benchmarks/pages.py`)",
        "",
        f"Command: `python benchmarks/pages.py --pages {args.pages} --repeat {args.repeat} "
        f"--page-mb {args.page_mb}" + (" --old OLD`" if args.old else "`"),
        f"Run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {bench.machine()}. "
        f"Load average {load[0]:.1f} before the builds, {load_after[0]:.1f} after (on a "
        "shared machine absolute times are inflated; the ratios compare runs taken side by "
        "side).",
        f"Site: {args.pages} generated pages of Sphinx's HTML structure, {size / 1e6:.0f} MB.",
        "",
        *tables(trees, figures, cp_times, rsync_times),
    ]
    lines += [
        f"| peak RSS, build with a {args.page_mb} MB page (footer on) | {rss} | ≤ 150 MB |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
