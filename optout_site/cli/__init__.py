"""The ``optout-site`` command: one module per subcommand, errors caught once, here.

Each subcommand module has ``add_parser(subparsers)`` and ``run(args) -> int``. Building
the parser imports nothing but the standard library, so ``--help`` and ``sites`` start
fast; a subcommand imports the stages it needs when it runs. Every deliberate error of
the layers below (:mod:`optout_site.errors`) is turned into a message and an exit code by
the one table below; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, cast

from optout_site._version import __version__
from optout_site.errors import (
    ConfigError,
    CredentialsError,
    EvidenceError,
    OptoutSiteError,
    RegistryError,
    UnknownAgent,
    UsageError,
)

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143
COMMANDS = ("build", "check", "agents", "init", "sites", "evidence", "c2pa", "logs")

# Error → (heading printed before the message, exit code). First match wins.
ERRORS: tuple[tuple[type[OptoutSiteError], str | None, int], ...] = (
    (ConfigError, "config error", EXIT_USAGE),
    (RegistryError, "agent registry error", EXIT_USAGE),
    (UnknownAgent, None, EXIT_USAGE),
    (UsageError, None, EXIT_USAGE),
    (EvidenceError, "evidence error", EXIT_USAGE),
    (CredentialsError, "Content Credentials error", EXIT_USAGE),
)

_INTACT = "every file is either as it was or complete; run again to finish"


def _parser(commands: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    """The command line; ``commands``: the subcommands to add (each one's module is
    imported for it, so a command that is named needs only its own)."""
    parser = argparse.ArgumentParser(
        prog="optout-site",
        description=(
            "Publish one AI/TDM rights reservation in every machine-readable dialect "
            "(robots.txt, TDMRep, ai.txt, meta tags, headers, RSL, image metadata) "
            "for static sites."
        ),
        epilog="Exit codes: 0 ok, 1 problems found, 2 usage or config error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in commands:
        _command(name).add_parser(sub)
    return parser


if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:  # not subscriptable at run time
    Subparsers = argparse._SubParsersAction


class Command(Protocol):
    """What a subcommand module provides."""

    def add_parser(self, subparsers: Subparsers) -> argparse.ArgumentParser: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _command(name: str) -> Command:
    return cast(Command, importlib.import_module(f"optout_site.cli.{name}"))


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
    named = args_list[0] in COMMANDS
    args = _parser((args_list[0],) if named else COMMANDS).parse_args(args_list)
    try:
        return _command(args.command).run(args)
    except OptoutSiteError as exc:
        for kind, heading, exit_code in ERRORS:
            if isinstance(exc, kind):
                prefix = f"optout-site: {heading}\n" if heading else "optout-site: "
                print(f"{prefix}{exc}", file=sys.stderr)
                return exit_code
        raise
    except BrokenPipeError:
        # The reader (say `| head`) went away; stop quietly as other Unix tools do.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (flush at exit must not fail)
        return EXIT_OK
    except KeyboardInterrupt:
        print(f"optout-site: interrupted; {_INTACT}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print(f"optout-site: terminated; {_INTACT}", file=sys.stderr)
        return EXIT_TERMINATED
