"""``optout-site check TARGET``: the command line around :mod:`optout_site.check`.

Exit codes: 0 every signal agrees, 1 problems found, 2 usage or config error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from optout_site.cli import EXIT_OK, EXIT_PROBLEMS, Subparsers, options
from optout_site.errors import UsageError

if TYPE_CHECKING:
    from optout_site.check import CheckReport
    from optout_site.config import Site

FORMATS = ("text", "json", "github")


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="audit a built folder or a served URL: every signal, and whether they agree",
        description=(
            "Read every opt-out signal of a built site folder or a served site the way "
            "outside readers do, and report missing signals, contradictions between them, "
            "over-blocking and robots.txt mistakes. With a config (-c, or ./sites.yaml naming "
            "TARGET), compare with the intended policy; without, infer the policy from what "
            "the site says."
        ),
        epilog=(
            "URL mode reads the first 512 KiB of each page (enough for its head and the "
            "links near the top), the first 500 KiB of robots.txt (RFC 9309), follows "
            "redirects to http(s) URLs only and skips malformed URLs with a warning. "
            "Exit codes: 0 all consistent, 1 problems found, 2 usage or config error "
            "(an unreachable host included)."
        ),
    )
    p.add_argument(
        "target", metavar="TARGET", help="a built site folder, or a base URL (http:// or https://)"
    )
    options.config(
        p,
        default=None,
        help=(
            "the sites.yaml to compare with (default: ./sites.yaml when it is there and "
            "one of its sites writes TARGET or is served at it)"
        ),
    )
    p.add_argument(
        "--site",
        metavar="NAME",
        default=None,
        help="which site of the config (needed when it has several)",
    )
    p.add_argument("--json", action="store_true", help="same as --format json")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="text (default), json, or github (Actions annotations)",
    )
    p.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        default=None,
        help="also write a self-contained HTML report to FILE",
    )
    p.add_argument(
        "--sample",
        type=int,
        default=20,
        metavar="N",
        help="URL mode: pages and images to sample (default 20)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help=(
            "URL mode: seconds one whole response may take, redirects and a slow body "
            "included (default 10)"
        ),
    )
    p.add_argument(
        "--deadline",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help=(
            "URL mode: seconds the whole check may take (default 120); what is left then "
            "is reported as not checked, and the check fails"
        ),
    )
    p.add_argument(
        "--max-requests",
        type=int,
        default=300,
        metavar="N",
        help=(
            "URL mode: requests the whole check may make, redirects included (default 300); "
            "what is left then is reported as not checked, and the check fails"
        ),
    )
    return p


def _is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def _pick_site(args: argparse.Namespace) -> Site | None:
    from optout_site import config

    # Like `build`, ./sites.yaml is read when it is there; unasked, it only names the site
    # whose output folder (or URL) is the target, so checking another folder still infers.
    implicit = args.config is None and args.site is None
    if implicit and not options.DEFAULT_CONFIG.is_file():
        return None
    cfg = config.load(args.config or options.DEFAULT_CONFIG)
    if args.site:
        return cfg.select([args.site])[0]
    if _is_url(args.target):
        matching = [s for s in cfg.sites if s.url == args.target.rstrip("/")]
    else:
        target = Path(args.target).resolve()
        matching = [s for s in cfg.sites if s.output_dir.resolve() == target]
    if len(matching) == 1:
        return matching[0]
    if implicit:
        return None
    if len(cfg.sites) == 1:
        return cfg.sites[0]
    names = ", ".join(s.name for s in cfg.sites)
    raise UsageError(f"{cfg.file} has several sites ({names}); choose one with --site")


def _format(args: argparse.Namespace) -> str:
    if args.json and args.format not in (None, "json"):
        raise UsageError(f"--json and --format {args.format} contradict each other")
    return "json" if args.json else (args.format or "text")


def render(report: CheckReport, fmt: str) -> str:
    from optout_site.check import render as rendering

    if fmt == "json":
        return report.to_json()
    if fmt == "github":
        return rendering.github(report)
    return rendering.text(report)


def run(args: argparse.Namespace) -> int:
    """Run ``check`` for parsed arguments; returns the exit code."""
    from optout_site.check import check_folder, check_url

    fmt = _format(args)
    if args.sample < 1:
        raise UsageError("--sample must be at least 1")
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    if args.deadline <= 0:
        raise UsageError("--deadline must be positive")
    if args.max_requests < 1:
        raise UsageError("--max-requests must be at least 1")
    site = _pick_site(args)
    if _is_url(args.target):
        report = check_url(
            args.target,
            site,
            sample=args.sample,
            timeout=args.timeout,
            deadline=args.deadline,
            max_requests=args.max_requests,
        )
    elif Path(args.target).is_dir():
        report = check_folder(Path(args.target), site)
    else:
        raise UsageError(f"{args.target}: not a folder, and not an http(s) URL")
    print(render(report, fmt))
    if args.html is not None:
        write_html(report, args.html)
        if fmt == "text":
            print(f"HTML report: {args.html}")
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def write_html(report: CheckReport, path: Path) -> None:
    from optout_site.check import render as rendering

    try:
        path.write_text(rendering.html(report), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc}") from exc


def check_sites(
    sites: Sequence[Site],
    fmt: str = "auto",
    stream: TextIO | None = None,
    html: Path | None = None,
    *,
    quiet: bool = False,
) -> int:
    """``build --check``: check each built site against its own config; returns 0 or 1.

    ``auto`` prints the text summary, plus GitHub annotations when running in GitHub
    Actions, so the composite action marks the files to fix without extra flags. ``html``
    names the HTML report (one per site, named after it, when there are several).
    ``quiet`` prints only the errors, one line each: on stderr, or in GitHub Actions as
    ``::error`` annotations; the exit code is the same.
    """
    import os

    from optout_site.build.report import printable
    from optout_site.check import check_built_site
    from optout_site.check import render as rendering

    stream = stream or sys.stdout
    code = EXIT_OK
    for site in sites:
        report = check_built_site(site)
        if quiet and report.errors and os.environ.get("GITHUB_ACTIONS") == "true":
            print(rendering.github(report, errors_only=True), file=stream)
        elif quiet:
            for f in report.errors:
                print(printable(f"{site.name}: {f.path}: {f.message}"), file=sys.stderr)
        elif fmt == "auto":
            print(rendering.text(report), file=stream)
            if os.environ.get("GITHUB_ACTIONS") == "true":
                print(rendering.github(report), file=stream)
        else:
            print(render(report, fmt), file=stream)
        if html is not None:
            path = html if len(sites) == 1 else html.with_stem(f"{html.stem}-{site.name}")
            write_html(report, path)
            if not quiet:
                print(f"HTML report: {path}", file=stream)
        if not report.ok:
            code = EXIT_PROBLEMS
    return code
