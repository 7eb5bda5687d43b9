"""The ``optout-site`` command. Typed errors from the layers below are caught here, once."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from optout_site import config
from optout_site._version import __version__
from optout_site.build import pipeline
from optout_site.cli import check as check_cli
from optout_site.cli import progress
from optout_site.config.yamlnodes import ConfigError
from optout_site.signals.robots import agents, registry

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
COMMANDS = ("build", "check", "agents", "init", "sites")

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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="optout-site",
        description=(
            "Publish one AI/TDM rights reservation in every machine-readable dialect "
            "(TDMRep, meta tags, ai.txt, image metadata) for static sites."
        ),
        epilog="Exit codes: 0 ok, 1 problems found, 2 usage or config error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("build", help="stamp every site of a sites.yaml (the default command)")
    p.add_argument(
        "-c",
        "--config",
        type=Path,
        default=config.DEFAULT_CONFIG,
        help="the sites.yaml to read (default: ./sites.yaml)",
    )
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

    check_cli.add_parser(sub)

    p = sub.add_parser(
        "agents",
        help="list the AI agent registry, or explain one token",
        description="List the robots.txt product tokens optout-site knows, by purpose; "
        "'agents explain TOKEN' says what one is and what blocking it costs.",
    )
    p.add_argument("action", nargs="?", choices=["list", "explain"], default="list")
    p.add_argument("token", nargs="?", help="with 'explain': the product token")
    p.add_argument(
        "--category",
        action="append",
        choices=registry.CATEGORIES,
        help="only this category (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "-c",
        "--config",
        type=Path,
        default=None,
        help="a sites.yaml whose agents settings and policy to apply",
    )
    p.add_argument("--site", default=None, help="the site of --config to use")

    p = sub.add_parser("init", help="write a starter sites.yaml")
    p.add_argument("path", nargs="?", type=Path, default=config.DEFAULT_CONFIG)
    p.add_argument("--force", action="store_true", help="overwrite an existing file")

    p = sub.add_parser("sites", help="list the sites of a sites.yaml (for CI matrices)")
    p.add_argument("-c", "--config", type=Path, default=config.DEFAULT_CONFIG)
    p.add_argument("--json", action="store_true", help="print a JSON list")
    return parser


_INTACT = "every file is either as it was or complete; run again to finish"


class Terminated(Exception):
    """SIGTERM (a cancelled CI job): unwind like Ctrl-C so the pool stops cleanly."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    # File names need not be UTF-8 (they reach us surrogate-escaped); a report must still
    # print, so unencodable characters are shown as escapes rather than crashing.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (
        args_list[0] not in COMMANDS and args_list[0] not in ("-h", "--help", "--version")
    ):
        args_list.insert(0, "build")
    args = _parser().parse_args(args_list)
    try:
        if args.command == "init":
            return _init(args)
        if args.command == "sites":
            return _sites(args)
        if args.command == "check":
            return check_cli.run(args)
        if args.command == "agents":
            return _agents(args)
        return _build(args)
    except ConfigError as exc:
        print(f"optout-site: config error\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    except registry.RegistryError as exc:
        print(f"optout-site: agent registry error\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader (say `| head`) went away; stop quietly as other Unix tools do.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (flush at exit must not fail)
        return EXIT_OK
    except KeyboardInterrupt:
        print(f"optout-site: interrupted; {_INTACT}", file=sys.stderr)
        return 130
    except Terminated:
        print(f"optout-site: terminated; {_INTACT}", file=sys.stderr)
        return 143


def _build(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        print("optout-site: --jobs must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    bar = progress.Bar() if progress.wanted() and not (args.quiet or args.json) else None
    report = pipeline.build(
        args.config,
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
                print(f"{site.name}: {problem.path}: {problem.message}", file=sys.stderr)
    else:
        print(report.render())
    code = EXIT_OK if report.ok else EXIT_PROBLEMS
    if args.check and not args.dry_run:
        sites = config.load(args.config).select(args.site)
        code = max(code, check_cli.check_sites(sites, stream=sys.stderr if args.json else None))
    return code


def _agents(args: argparse.Namespace) -> int:
    site = None
    if args.config is not None:
        cfg = config.load(args.config)
        chosen = cfg.select([args.site] if args.site else None)
        site = chosen[0]
    reg = agents.registry_for(site)
    if args.action == "explain":
        if not args.token:
            print("optout-site: agents explain needs a TOKEN", file=sys.stderr)
            return EXIT_USAGE
        try:
            print(agents.explain(reg, args.token, site))
        except agents.UnknownAgent as exc:
            print(f"optout-site: {exc}", file=sys.stderr)
            return EXIT_USAGE
        return EXIT_OK
    print(agents.list_agents(reg, args.category, as_json=args.json))
    return EXIT_OK


def _init(args: argparse.Namespace) -> int:
    if args.path.exists() and not args.force:
        print(f"optout-site: {args.path} exists; use --force to overwrite", file=sys.stderr)
        return EXIT_USAGE
    args.path.write_text(STARTER, encoding="utf-8")
    print(f"wrote {args.path}; edit it, then run: optout-site build -c {args.path}")
    return EXIT_OK


def _sites(args: argparse.Namespace) -> int:
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
