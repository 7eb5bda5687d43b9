"""``optout-site sites``: list the sites of a sites.yaml (for CI matrices)."""

from __future__ import annotations

import argparse
import json

from optout_site.cli import EXIT_OK, Subparsers, options


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "sites", help="list the sites of a sites.yaml (for CI matrices)"
    )
    options.config(p)
    p.add_argument("--json", action="store_true", help="print a JSON list")
    return p


def run(args: argparse.Namespace) -> int:
    from optout_site import config

    cfg = config.load(args.config)
    rows = [
        {"name": s.name, "url": s.url, "input": str(s.input), "output": str(s.output_dir)}
        for s in cfg.sites
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['name']}\t{row['url']}\t{row['input']} -> {row['output']}")
    return EXIT_OK
