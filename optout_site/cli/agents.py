"""``optout-site agents [list|explain TOKEN]``: the AI agent registry, for people."""

from __future__ import annotations

import argparse

from optout_site.cli import EXIT_OK, Subparsers, options
from optout_site.errors import UsageError
from optout_site.spec import CATEGORIES


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "agents",
        help="list the AI agent registry, or explain one token",
        description="List the robots.txt product tokens optout-site knows, by purpose; "
        "'agents explain TOKEN' says what one is and what blocking it costs, whether it "
        "is a generic token that substring-matching parsers confuse with other agents, and "
        "why a name ai.robots.txt lists is left out of the registry.",
    )
    p.add_argument("action", nargs="?", choices=["list", "explain"], default="list")
    p.add_argument("token", nargs="?", help="with 'explain': the product token")
    p.add_argument(
        "--category", action="append", choices=CATEGORIES, help="only this category (repeatable)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    options.config(p, default=None)
    p.add_argument("--site", default=None, help="the site of --config to use")
    return p


def run(args: argparse.Namespace) -> int:
    from optout_site import config
    from optout_site.signals.robots import agents

    site = None
    if args.config is not None:
        site = config.load(args.config).select([args.site] if args.site else None)[0]
    reg = agents.registry_for(site)
    if args.action == "explain":
        if not args.token:
            raise UsageError("agents explain needs a TOKEN")
        print(agents.explain(reg, args.token, site))
        return EXIT_OK
    print(agents.list_agents(reg, args.category, as_json=args.json))
    return EXIT_OK
