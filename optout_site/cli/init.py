"""``optout-site init [PATH]``: write a starter sites.yaml, filled from the generator's
own config where it has one (URL, title, author, output folder), from the command line
(``--name``, ``--email``, ``--url``, ``--reserve``) and, on a terminal, from a few
questions. What it cannot find stays an example value that ``build`` refuses by name."""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from optout_site.cli import EXIT_OK, Subparsers, options
from optout_site.errors import UsageError

if TYPE_CHECKING:
    from optout_site.config.generators import Generator

# Uses reserved when nobody says otherwise: the same as a site without `reserve`.
_RESERVE = ("tdm", "train", "ai-input")


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "init",
        help="write a starter sites.yaml, filled from the generator's config",
        description=(
            "Write a starter sites.yaml. The URL, site name, author and output folder are "
            "read from a Hugo, MkDocs, Jekyll, Pelican, Eleventy or Astro config in the "
            "same folder; on a terminal, init asks for your name, e-mail and what to "
            "reserve. Values it cannot find stay examples that `build` refuses until you "
            "replace them. No `output:` is written: the generator's folder is stamped in "
            "place, so your deploy step keeps publishing the folder it publishes now."
        ),
    )
    p.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=options.DEFAULT_CONFIG,
        help="the file to write (default: sites.yaml); the generator's config is read "
        "from its folder",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("--name", help="the rights holder's name (default: the config's author)")
    p.add_argument("--email", help="where licensing requests go")
    p.add_argument("--url", help="the site's public URL (default: the config's)")
    p.add_argument(
        "--reserve",
        metavar="USES",
        help=f"comma-separated uses to reserve (default: {', '.join(_RESERVE)})",
    )
    p.add_argument("-y", "--yes", action="store_true", help="ask nothing; use what was found")
    return p


@dataclass(frozen=True)
class Answers:
    """What goes into the starter file; ``None`` where an example value stays."""

    site: str
    url: str | None
    input: str
    name: str | None
    email: str | None
    reserve: tuple[str, ...]


def slug(text: str) -> str:
    """A site name `sites.yaml` accepts (letters, digits, '.', '_', '-'), from a title."""
    # "Jo's Notes" is jos-notes, not jo-s-notes.
    text = text.replace("'", "").replace("\u2019", "")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-")


def _uses(text: str) -> tuple[str, ...]:
    from optout_site.policy import Use

    words = tuple(dict.fromkeys(w for w in re.split(r"[\s,]+", text.strip()) if w))
    known = {u.value for u in Use}
    unknown = [w for w in words if w not in known]
    if unknown or not words:
        raise UsageError(
            f"unknown use {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(sorted(known))}"
        )
    return words


Ask = Callable[[str], str]


def _ask(ask: Ask, question: str, default: str | None) -> str | None:
    shown = f" [{default}]" if default else ""
    try:
        answer = ask(f"{question}{shown}: ").strip()
    except EOFError:  # Ctrl-D, or input ran out: keep what was found
        answer = ""
    return answer or default


def answers(
    args: argparse.Namespace, found: Generator | None, project: Path, ask: Ask | None
) -> Answers:
    """Command line first, then the generator's config, then (with ``ask``) the user."""
    from optout_site.config.generators import site_url

    url = args.url or (found.url if found else None)
    name = args.name or (found.author if found else None)
    email = args.email
    reserve = _uses(args.reserve) if args.reserve else _RESERVE
    if ask is not None:
        if args.url is None and url is None:
            url = _ask(ask, "Site URL (https://...)", None)
        if args.name is None:
            name = _ask(ask, "Your name, as the rights holder", name)
        if args.email is None:
            email = _ask(ask, "E-mail for licensing requests", None)
        if args.reserve is None:
            while True:
                text = _ask(ask, "Reserve (tdm, train, genai-train, ai-input, search)", None)
                try:
                    reserve = _uses(text) if text else _RESERVE
                    break
                except UsageError as exc:
                    print(exc, file=sys.stderr)
    if args.url is not None and site_url(args.url) is None:
        raise UsageError(f"--url {args.url!r}: expected the site's own https:// URL")
    title = found.title if found else None
    site = slug(title or "") or slug(project.resolve().name) or "site"
    return Answers(site, url, found.output if found else "public", name, email, reserve)


def _scalar(value: str) -> str:
    """``value`` as a YAML scalar that reads back as exactly ``value``."""
    import yaml

    return yaml.safe_dump(value, default_style='"', allow_unicode=True, width=1 << 30).strip()


def render(a: Answers, source: str) -> str:
    """The starter sites.yaml; the example values are the ones `build` refuses."""
    from optout_site.config.load import PLACEHOLDERS

    url = a.url or PLACEHOLDERS[("url",)]
    allow = "" if "search" in a.reserve else "\n  allow: [search]"
    return f"""\
# optout-site configuration{source}: one entry per site. Every key: docs/configuration.md
defaults:
  # Uses: tdm, train, genai-train, ai-input, search
  reserve: [{", ".join(a.reserve)}]{allow}
  language: [en]

sites:
  - name: {a.site}
    url: {_scalar(url)}
    # The generator's output folder, stamped in place: deploy it as you do now.
    # Add `output: build` to write a stamped copy there instead.
    input: {_scalar(a.input)}
    rightsholder:
      name: {_scalar(a.name or PLACEHOLDERS[("rightsholder", "name")])}
      email: {_scalar(a.email or PLACEHOLDERS[("rightsholder", "email")])}
      url: {_scalar(url + "/" if a.url else PLACEHOLDERS[("rightsholder", "url")])}
    # A path with a policy of its own, e.g. press photos anyone may use:
    # rules:
    #   - path: /press/
    #     allow: [train, tdm, ai-input]
"""


def _still_examples(a: Answers) -> list[str]:
    missing = [("url", a.url), ("rightsholder.name", a.name), ("rightsholder.email", a.email)]
    names = [key for key, value in missing if not value]
    return names + ([] if a.url else ["rightsholder.url"])


def run(args: argparse.Namespace) -> int:
    from optout_site.config.generators import detect

    if args.path.exists() and not args.force:
        raise UsageError(f"{args.path} exists; use --force to overwrite")
    project = args.path.parent
    found = detect(project)
    ask: Ask | None = input if sys.stdin.isatty() and not args.yes else None
    if found is not None:
        print(f"read {found.config} ({found.name}): builds into {found.output}/")
    a = answers(args, found, project, ask)
    source = f", from {found.config.name}" if found else ""
    from optout_site.build import atomic

    atomic.write_bytes(args.path, render(a, source).encode("utf-8"))
    print(f"wrote {args.path}")
    examples = _still_examples(a)
    if examples:
        print(f"still examples, to replace before building: {', '.join(examples)}")
    print(f"then run your generator and: optout-site build -c {args.path}")
    return EXIT_OK
