"""``optout-site init [PATH]``: write a starter sites.yaml."""

from __future__ import annotations

import argparse
from pathlib import Path

from optout_site.cli import EXIT_OK, Subparsers, options
from optout_site.errors import UsageError

STARTER = """\
# optout-site configuration: one entry per site. Every key: docs/configuration.md
defaults:
  # Uses: tdm, train, genai-train, ai-input, search
  reserve: [tdm, train, ai-input]
  allow: [search]
  language: [en]

sites:
  - name: portfolio
    url: https://www.example.com
    input: public          # the built site (Hugo: public/, Jekyll: _site/)
    output: build          # leave out to stamp the input folder in place
    rightsholder:
      name: Your Name
      email: rights@example.com
      url: https://www.example.com/about/
    rules:
      - path: /press/
        allow: [train, tdm, ai-input]
"""


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser("init", help="write a starter sites.yaml")
    p.add_argument("path", nargs="?", type=Path, default=options.DEFAULT_CONFIG)
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    return p


def run(args: argparse.Namespace) -> int:
    if args.path.exists() and not args.force:
        raise UsageError(f"{args.path} exists; use --force to overwrite")
    args.path.write_text(STARTER, encoding="utf-8")
    print(f"wrote {args.path}; edit it, then run: optout-site build -c {args.path}")
    return EXIT_OK
