"""``optout-site logs FILE…``: audit access logs for AI crawlers (docs/logs.md).

Exit codes: 0 no request the policy disallowed, 1 violations found, 2 usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from optout_site.cli import EXIT_OK, EXIT_PROBLEMS, Subparsers, options
from optout_site.errors import UsageError

FORMATS = ("auto", "combined", "caddy", "cloudflare", "json", "csv")  # = logs.formats.FORMATS


def _date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "logs",
        help="audit access logs: which AI crawlers came, were they real, did they obey",
        description=(
            "Read web server access logs (nginx/Apache combined or common, Caddy JSON, "
            "Cloudflare Logpush JSON, or any JSON/CSV export with --fields; plain, .gz, "
            ".bz2 or .zst; '-' for stdin) and report, per AI agent of the registry: "
            "requests, whether its addresses are the operator's published ranges "
            "(verified/unverifiable/spoofed), when it fetched robots.txt, and every "
            "request to a path the site's policy disallowed for it (when the site keeps "
            "evidence records: the robots.txt recorded at the request's time, naming the "
            "record; requests older than the first record are not judged). Unknown automated "
            "clients are listed by user agent. IP addresses are shown only for "
            "requests naming a registry agent."
        ),
        epilog="Exit codes: 0 no violations, 1 violations found, 2 usage or config error.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="access logs, in any order")
    options.config(p, default=None)
    p.add_argument("--site", metavar="NAME", default=None, help="which site of the config")
    p.add_argument(
        "--since", type=_date, metavar="DATE", help="only requests on or after DATE (YYYY-MM-DD)"
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the report as JSON")
    out.add_argument("--csv", action="store_true", help="print agents and violations as CSV")
    p.add_argument(
        "--html", type=Path, metavar="FILE", help="also write a self-contained HTML report"
    )
    p.add_argument(
        "--format", choices=FORMATS, default="auto", help="log format (default: detected)"
    )
    p.add_argument(
        "--fields",
        metavar="MAP",
        help="field mapping for other JSON/CSV exports: time=..,ip=..,path=..,status=..,"
        "bytes=..,ua=..,method=.. (dotted names for nested JSON)",
    )
    p.add_argument(
        "--ranges", type=Path, metavar="FILE", help="IP ranges file (default: last update)"
    )
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="processes (default: all)")
    return p


def run(args: argparse.Namespace) -> int:
    from optout_site import config
    from optout_site.logs import audit, formats, ranges, report, spill
    from optout_site.signals.robots import agents

    site = None
    if args.config is not None:
        site = config.load(args.config).select([args.site] if args.site else None)[0]
    mapping = None
    if args.fields:
        try:
            mapping = formats.parse_mapping(args.fields)
        except ValueError as exc:
            raise UsageError(f"--fields: {exc}") from None
    elif args.format in ("json", "csv"):
        raise UsageError(f"--format {args.format} needs --fields (see docs/logs.md)")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    history = None
    if site is not None:
        from optout_site.evidence import history as evidence_history

        history = evidence_history.load(site)
    judge = audit.Judge(agents.registry_for(site), ranges.load(args.ranges), site, history=history)
    opts = audit.Options(args.format, mapping, args.since)
    # The kept violation records wait in a private folder until the report is written;
    # it goes when the report is done, or on an error or Ctrl-C.
    with spill.folder() as where:
        tally = audit.run(args.files, judge, opts, args.jobs, where)
        data = report.data(tally, judge, args.files, args.since)
        if args.json:
            report.write_json(data, sys.stdout)
        elif args.csv:
            report.write_csv(data, sys.stdout)
        else:
            sys.stdout.write(report.to_text(data))
        if args.html is not None:
            from optout_site.logs import charts

            charts.write(data, args.html)
            if not (args.json or args.csv):
                print(f"HTML report: {args.html}")
    return EXIT_PROBLEMS if data["violations_total"] else EXIT_OK
