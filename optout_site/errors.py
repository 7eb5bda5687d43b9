"""Every error optout-site raises on purpose, in one tree.

::

    OptoutSiteError                 anything the CLI turns into a located message, not a traceback
    ├── UsageError                  the command line asks for something impossible (exit 2)
    ├── ConfigError            sites.yaml problems, all of them at once, each file:line:col (exit 2)
    ├── PolicyError             reserve/allow combinations that cannot mean anything (→ ConfigError)
    ├── RegistryError               an agent registry file is unreadable or invalid (exit 2)
    │   └── UnknownAgent            a token the registry does not know (suggests close matches)
    ├── SignalError               a site-level file cannot be written without risking the site's own
    │   ├── RobotsTxtError          the site's robots.txt cannot be merged safely
    │   └── BlockError              a host config's optout-site block is damaged
    ├── HtmlError                   a page cannot be edited without risking its bytes
    ├── ImageError                  an image is corrupt, truncated or not an image
    │   └── TruncatedImage          the file ends before its structure does
    ├── Unsupported                 a valid image we deliberately leave alone (reported as skipped)
    ├── CredentialsError            an image cannot be signed (key, certificate, c2pa library)
    └── EvidenceError               an evidence record or its timestamp cannot be made or trusted

Errors inside one file (a page, an image, a signal) are reported against that file and the
build goes on; errors of the config or the command line stop before anything is written.
The exit codes live in one table, in :mod:`optout_site.cli`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class OptoutSiteError(Exception):
    """Base of every error optout-site raises on purpose."""


class UsageError(OptoutSiteError):
    """The command line asks for something that cannot be done."""


@dataclass(frozen=True)
class Problem:
    """One located problem in a file the user wrote."""

    file: Path
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        if self.line <= 0:  # about the whole file (it is missing, say)
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ConfigError(OptoutSiteError):
    """One or more problems in a config file; ``str()`` lists them all, one per line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class PolicyError(OptoutSiteError):
    """A combination of reserve/allow that cannot mean anything consistent."""


class RegistryError(OptoutSiteError):
    """A registry file is unreadable or invalid; names the file and, where known, the line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class UnknownAgent(OptoutSiteError):
    """A token that is not in the registry; the message suggests close matches."""


class CredentialsError(OptoutSiteError):
    """Content Credentials cannot be signed: the key or certificate is unusable, or the C2PA
    library refuses. Reported against the image; never carries key material."""


class SignalError(OptoutSiteError):
    """A site-level signal file cannot be written without risking the site's own content."""


class RobotsTxtError(SignalError):
    """The site's robots.txt cannot be merged without risking its own lines."""


class BlockError(SignalError):
    """An existing file has a damaged optout-site block we refuse to guess about."""


class HtmlError(OptoutSiteError):
    """The page cannot be edited without risking its bytes."""


class ImageError(OptoutSiteError):
    """Corrupt, truncated or unreadable input.

    ``str()`` is what a user reads (``"empty file"``, ``"the file ends early
    (truncated)"``); ``detail`` is the technical account (which structure, which byte
    offset) for ``--verbose`` and ``--json``. A plugin raises with the technical text alone
    and :mod:`optout_site.images` turns it into plain words, keeping it as the detail.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class TruncatedImage(ImageError):
    """The file ends before a structure it declares does."""


class Unsupported(OptoutSiteError):
    """A valid file we deliberately do not write (becomes a "skipped" result)."""


class EvidenceError(OptoutSiteError):
    """An evidence record, its ledger or its timestamp cannot be made, read or trusted."""
