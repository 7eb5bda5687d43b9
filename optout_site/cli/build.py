"""``optout-site build``: stamp every site of a sites.yaml (the default command)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from optout_site.cli import EXIT_OK, EXIT_PROBLEMS, Subparsers, options
from optout_site.errors import EvidenceError, UsageError

if TYPE_CHECKING:
    from optout_site.build.report import BuildReport
    from optout_site.config import Site


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
        help=(
            "worker processes (default: one per core; a few small files, up to 32 and "
            "8 MB, are done in one process)"
        ),
    )
    p.add_argument(
        "-q", "--quiet", action="store_true", help="print only problems (with --check: errors)"
    )
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
        "--allow-existing",
        action="store_true",
        help="let a first build write into an output folder that already holds other files",
    )
    p.add_argument(
        "--shard",
        metavar="K/N",
        help="build only the K-th of N byte-balanced parts of each site's files, for CI "
        "matrix jobs whose output folders are then overlaid (needs `output:`; docs/ci.md)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="after building, check every built site's signals (like `check`)",
    )
    p.add_argument(
        "--if-built",
        action="store_true",
        help="skip, with a message, each site whose input folder does not exist yet "
        "(for a pre-commit hook that runs before the generator has built the site)",
    )
    p.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        default=None,
        help=(
            "with --check, also write the HTML report to FILE (several sites: one file "
            "each, the site name added before the extension)"
        ),
    )
    return p


def run(args: argparse.Namespace) -> int:
    from optout_site import config
    from optout_site.build import pipeline
    from optout_site.build.report import printable
    from optout_site.build.shard import Shard
    from optout_site.cli import progress

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.html is not None and not args.check:
        raise UsageError("--html writes the --check report: add --check")
    shard = Shard.parse(args.shard) if args.shard else None
    if shard is not None and args.check:
        raise UsageError("--check needs the whole site: run `check` on the overlaid folders")
    cfg = config.load(args.config, unbuilt_ok=args.if_built)
    chosen = []
    for site in cfg.select(args.site):
        if site.input.exists():
            chosen.append(site.name)
        else:  # only with --if-built: else load refused it
            print(
                f"site {site.name}: {site.input} is not built yet; skipped "
                "(run your generator first)",
                file=sys.stderr,
            )
    if not chosen:
        return EXIT_OK
    bar = progress.Bar() if progress.wanted() and not (args.quiet or args.json) else None
    report = pipeline.build(
        cfg,
        sites=chosen,
        dry_run=args.dry_run,
        jobs=args.jobs,
        progress=bar,
        force=args.force,
        state_dir=args.state_dir,
        shard=shard,
        allow_existing=args.allow_existing,
    )
    if not args.dry_run and shard is None:  # a shard's record would list part of the site
        _record_evidence(cfg.select(chosen), report, args.jobs)
    if args.json:
        print(report.to_json())
    elif args.quiet:
        for done in report.sites:
            for problem in done.problems:
                print(printable(f"{done.name}: {problem.text(args.verbose)}"), file=sys.stderr)
    else:
        print(report.render(args.verbose))
    code = EXIT_OK if report.ok else EXIT_PROBLEMS
    if args.check and not args.dry_run:
        from optout_site.cli.check import check_sites

        sites = cfg.select(chosen)
        stream = sys.stderr if args.json else None
        code = max(code, check_sites(sites, stream=stream, quiet=args.quiet, html=args.html))
    return code


def _record_evidence(sites: tuple[Site, ...], report: BuildReport, jobs: int | None) -> None:
    """Append each site's evidence record; a failure is that site's problem, not a crash."""
    from optout_site.build.report import CHANGED, ERROR, UNCHANGED, FileResult

    for site, site_report in zip(sites, report.sites, strict=True):
        if not site.evidence.enabled or any(f.kind == "folder" for f in site_report.files):
            continue  # a site that was not built has nothing new to record
        from optout_site.evidence import ledger  # only for a site that keeps a record

        try:
            outcome = ledger.record_build(site, site_report, jobs=jobs)
        except (EvidenceError, OSError) as exc:
            message = f"no evidence record was written: {exc}"
            site_report.files.append(FileResult("evidence", "evidence", ERROR, message))
            continue
        message = outcome.message + (f"; warning: {outcome.warning}" if outcome.warning else "")
        action = CHANGED if outcome.path is not None else UNCHANGED
        site_report.files.append(FileResult("evidence", "evidence", action, message))
