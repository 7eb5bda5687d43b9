"""``optout-site agents [list|explain TOKEN]``: the AI agent registry, for people."""

from __future__ import annotations

import argparse
from pathlib import Path

from optout_site.cli import EXIT_OK, Subparsers, options
from optout_site.errors import UsageError
from optout_site.spec import CATEGORIES


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "agents",
        help="list the AI agent registry, or explain one token",
        description="List the robots.txt product tokens optout-site knows, by purpose; "
        "'agents explain TOKEN' says what one is and what blocking it costs; "
        "'agents ranges [--update]' shows (or refreshes) the crawler IP ranges that "
        "`optout-site logs` verifies addresses with.",
    )
    p.add_argument("action", nargs="?", choices=["list", "explain", "ranges"], default="list")
    p.add_argument("token", nargs="?", help="with 'explain': the product token")
    p.add_argument(
        "--category", action="append", choices=CATEGORIES, help="only this category (repeatable)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    options.config(p, default=None)
    p.add_argument("--site", default=None, help="the site of --config to use")
    p.add_argument(
        "--update",
        action="store_true",
        help="with 'ranges': fetch every operator's published ranges (needs the network)",
    )
    p.add_argument(
        "--ranges",
        type=Path,
        metavar="FILE",
        default=None,
        help="with 'ranges': the ranges file to read (default: the last update, else the "
        "packaged snapshot)",
    )
    p.add_argument(
        "--to",
        type=Path,
        metavar="FILE",
        default=None,
        help="with 'ranges --update': where to write (default: "
        "~/.cache/optout-site/ipranges.json, which `logs` reads)",
    )
    return p


def run(args: argparse.Namespace) -> int:
    from optout_site import config
    from optout_site.signals.robots import agents

    site = None
    if args.config is not None:
        site = config.load(args.config).select([args.site] if args.site else None)[0]
    if args.action == "ranges":
        return _ranges(args)
    reg = agents.registry_for(site)
    if args.action == "explain":
        if not args.token:
            raise UsageError("agents explain needs a TOKEN")
        print(agents.explain(reg, args.token, site))
        return EXIT_OK
    print(agents.list_agents(reg, args.category, as_json=args.json))
    return EXIT_OK


def _ranges(args: argparse.Namespace) -> int:
    from optout_site.logs import ranges

    current = ranges.load(args.ranges)
    if args.update:
        current, notes = ranges.update(current, args.to or ranges.updated_path())
        for note in notes:
            print(note)
        print(f"wrote {current.origin}")
        return EXIT_OK
    print(f"IP ranges of {current.date} ({current.origin}):")
    for s in current.sources:
        state = f"complete, fetched {s.fetched}" if s.complete else "partial snapshot"
        print(
            f"  {s.operator:<13} {', '.join(s.tokens):<40} {len(s.prefixes):>4} prefixes"
            f"  ({state})  {s.url}"
        )
    return EXIT_OK
