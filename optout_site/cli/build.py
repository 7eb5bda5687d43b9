"""``optout-site build``: stamp every site of a sites.yaml (the default command)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from optout_site.cli import EXIT_OK, EXIT_PROBLEMS, Subparsers, options
from optout_site.errors import UsageError


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "build", help="stamp every site of a sites.yaml (the default command)"
    )
    options.config(p)
    p.add_argument(
        "--site", action="append", metavar="NAME", help="build only this site (repeatable)"
    )
    p.add_argument(
        "-n", "--dry-run", action="store_true", help="report what would change, write nothing"
    )
    p.add_argument("--json", action="store_true", help="print a machine-readable report")
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: one per core)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="add the technical detail (structure, byte offset) to each problem",
    )
    p.add_argument(
        "--force", action="store_true", help="rebuild every file, ignoring the incremental state"
    )
    p.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where incremental state is kept (default: ~/.cache/optout-site)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="after building, check every built site's signals (like `check`)",
    )
    return p


def run(args: argparse.Namespace) -> int:
    from optout_site import config
    from optout_site.build import pipeline
    from optout_site.cli import progress
    from optout_site.cli.check import check_sites

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    bar = progress.Bar() if progress.wanted() and not (args.quiet or args.json) else None
    cfg = config.load(args.config)
    report = pipeline.build(
        cfg,
        sites=args.site,
        dry_run=args.dry_run,
        jobs=args.jobs,
        progress=bar,
        force=args.force,
        state_dir=args.state_dir,
    )
    if args.json:
        print(report.to_json())
    elif args.quiet:
        for site in report.sites:
            for problem in site.problems:
                print(f"{site.name}: {problem.text(args.verbose)}", file=sys.stderr)
    else:
        print(report.render(args.verbose))
    code = EXIT_OK if report.ok else EXIT_PROBLEMS
    if args.check and not args.dry_run:
        sites = cfg.select(args.site)
        code = max(code, check_sites(sites, stream=sys.stderr if args.json else None))
    return code
