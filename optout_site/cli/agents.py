"""``optout-site agents [list|explain TOKEN|update --from FILE|URL]``: the AI agent
registry, for people."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from optout_site.cli import EXIT_OK, Subparsers, options
from optout_site.errors import RegistryError, UsageError
from optout_site.spec import CATEGORIES

_MAX_JSON = 8 * 1024 * 1024  # robots.json is ~70 kB; refuse anything absurd


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "agents",
        help="list the AI agent registry, explain one token, or update it from ai.robots.txt",
        description="List the robots.txt product tokens optout-site knows, by purpose; "
        "'agents explain TOKEN' says what one is and what blocking it costs, whether it "
        "is a generic token that substring-matching parsers confuse with other agents, and "
        "why a name ai.robots.txt lists is left out of the registry; "
        "'agents update --from FILE|URL' compares ai.robots.txt's robots.json with the "
        "registry, prints the differences and writes an override file (agents.yaml beside "
        "sites.yaml, read by every build) to review and commit; "
        "'agents ranges [--update]' shows (or refreshes) the crawler IP ranges that "
        "`optout-site logs` verifies addresses with.",
    )
    p.add_argument(
        "action", nargs="?", choices=["list", "explain", "update", "ranges"], default="list"
    )
    p.add_argument("token", nargs="?", help="with 'explain': the product token")
    p.add_argument(
        "--category", action="append", choices=CATEGORIES, help="only this category (repeatable)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--version",
        action="store_true",
        help="print the registry's version and the list it was last compared with",
    )
    p.add_argument(
        "--from",
        dest="source",
        metavar="FILE|URL",
        help="with 'update': ai.robots.txt's robots.json, a file or an http(s) URL",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=None,
        help="with 'update': the override file (default: agents.yaml beside --config)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="with 'update': print the diff, write nothing"
    )
    p.add_argument(
        "--recategorise",
        action="store_true",
        help="with 'update': also write the category changes the mapping rules propose",
    )
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


def _read(source: str) -> tuple[str, str]:
    """(text, label) of robots.json from a file or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        import urllib.request  # only to fetch a list: ~40 ms of imports otherwise

        request = urllib.request.Request(source, headers={"User-Agent": "optout-site"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                data: bytes = response.read(_MAX_JSON + 1)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot fetch {source}: {exc}") from None
        if len(data) > _MAX_JSON:
            raise UsageError(f"{source} is larger than {_MAX_JSON} bytes; not robots.json")
        return data.decode("utf-8", errors="replace"), source
    try:
        return Path(source).read_text(encoding="utf-8"), source
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {source}: {exc}") from None


def _update(args: argparse.Namespace, site: object) -> int:
    from optout_site.config import Site
    from optout_site.config.load import OVERRIDE_FILE
    from optout_site.signals.robots import agents, registry, update

    if not args.source:
        raise UsageError("agents update needs --from FILE|URL (ai.robots.txt's robots.json)")
    assert site is None or isinstance(site, Site)
    text, label = _read(args.source)
    data = update.parse(text, label)
    reg = agents.registry_for(site)
    today = dt.date.today().isoformat()
    result = update.diff(data, reg, today)
    print(update.report(result, reg, site, label, args.recategorise), end="")
    if args.dry_run:
        return EXIT_OK
    if args.output is not None:
        target = args.output
    elif args.config is not None:
        target = Path(args.config).parent / OVERRIDE_FILE
    else:
        target = Path(OVERRIDE_FILE)
    existing = None
    if target.is_file():
        try:
            existing = registry.load(target)
        except RegistryError as exc:
            raise UsageError(f"{target} is not a registry file ({exc}); move it first") from None
    source = registry.Source("ai.robots.txt robots.json", label, today)
    content = update.override(existing, result, source, args.recategorise)
    registry._parse(content, str(target))  # what we write must load
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.replace(target)
    written = len(result.records(args.recategorise))
    print(f"Wrote {written} record(s) to {target}: review it, then commit it.")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    from optout_site import config
    from optout_site.signals.robots import agents

    site = None
    if args.config is not None:
        site = config.load(args.config).select([args.site] if args.site else None)[0]
    if args.action == "update":
        return _update(args, site)
    if args.action == "ranges":
        return _ranges(args)
    reg = agents.registry_for(site)
    if args.version:
        print(agents.version_text(reg, site))
        return EXIT_OK
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
        state = (
            f"complete copy of {s.fetched}" + (f", created {s.created}" if s.created else "")
            if s.complete
            else "partial: verifies, never accuses"
            if s.prefixes
            else "no copy yet: unverifiable"
        )
        print(f"  {s.operator}: {s.url}")
        print(f"    {', '.join(s.tokens)}: {len(s.prefixes)} prefixes ({state})")
        if s.via:
            print(f"    via {s.via}")
        if s.reverse_dns:
            print(f"    reverse DNS (not checked by the audit): {', '.join(s.reverse_dns)}")
    return EXIT_OK
