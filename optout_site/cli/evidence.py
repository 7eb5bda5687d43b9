"""``optout-site evidence``: verify, show and archive the records ``build`` keeps."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from optout_site.cli import EXIT_OK, EXIT_PROBLEMS, Subparsers

_RECORD = "a record file (evidence/SITE/NNNNNN-….json) or a ledger folder (its latest record)"


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "evidence", help="verify, show or archive the dated records of what was published"
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    v = sub.add_parser(
        "verify", help="check a record's chain, Merkle root, timestamp, and what is served"
    )
    v.add_argument("record", type=Path, help=_RECORD)
    v.add_argument(
        "target", nargs="?", help="a built folder or the site's URL, to compare with the record"
    )
    v.add_argument("--ca", type=Path, metavar="PEM", help="trusted roots for the timestamp")
    v.add_argument("--json", action="store_true", help="print a machine-readable result")
    s = sub.add_parser("show", help="summarise a record in words, or as a printable HTML page")
    s.add_argument("record", type=Path, help=_RECORD)
    s.add_argument("--html", type=Path, metavar="FILE", help="write a printable report here")
    s.add_argument("--ca", type=Path, metavar="PEM", help="trusted roots for the timestamp")
    a = sub.add_parser(
        "archive", help="list (or with --submit, send) URLs for the Internet Archive to save"
    )
    a.add_argument("record", type=Path, help=_RECORD)
    a.add_argument("--sample", type=int, default=10, metavar="N", help="pages and images each")
    a.add_argument("--submit", action="store_true", help="ask Save Page Now for each URL")
    return p


def run(args: argparse.Namespace) -> int:
    from optout_site.evidence import archive, show, verify

    if args.action == "verify":
        result = verify.verify(args.record, args.target, args.ca)
        if args.json:
            findings = [vars(f) for f in result.findings]
            print(json.dumps({"record": str(result.record), "ok": result.ok, "findings": findings}))
        else:
            print(result.render())
        return EXIT_OK if result.ok else EXIT_PROBLEMS
    if args.action == "show":
        path = verify.record_path(args.record)
        if args.html:
            args.html.write_text(show.html(path, args.ca), encoding="utf-8")
            print(f"wrote {args.html}")
        else:
            print(show.text(path))
        return EXIT_OK
    urls = archive.urls(verify.record_path(args.record), args.sample)
    if not args.submit:
        print("\n".join(urls))
        return EXIT_OK
    failed = archive.submit(urls)
    return EXIT_OK if not failed else EXIT_PROBLEMS
