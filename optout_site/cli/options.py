"""Options several subcommands share, declared once."""

from __future__ import annotations

import argparse
from pathlib import Path

# The default config file; optout_site.config.DEFAULT_CONFIG is the same path, repeated
# here so that building the parser imports no stage.
DEFAULT_CONFIG = Path("sites.yaml")


def config(
    parser: argparse.ArgumentParser, default: Path | None = DEFAULT_CONFIG, help: str = ""
) -> None:
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        default=default,
        metavar="FILE",
        help=help or "the sites.yaml to read" + (" (default: ./sites.yaml)" if default else ""),
    )
