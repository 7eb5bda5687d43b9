"""Where records are kept: one folder per site, one file per record, in chain order.

The ledger lives outside the published folder (default ``evidence/`` beside sites.yaml),
so it is committed to git with the config: a CI runner starts without state, but the
repository remembers. File names are ``NNNNNN-YYYYMMDDTHHMMSSZ.json`` (sequence number,
then time), and the file's bytes are exactly the canonical record, so ``sha256sum`` of
the file is the hash the next record names as ``previous``. A timestamp token, when one
was obtained, sits beside it as ``….tsr``.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optout_site.build import atomic
from optout_site.build.report import SiteReport
from optout_site.config import Site
from optout_site.errors import EvidenceError
from optout_site.evidence import record, tsa

_NAME = re.compile(r"^(\d{6})-(\d{8}T\d{6}Z)\.json$")
PUBLISHED = ".well-known/optout-site-evidence.json"


@dataclass(frozen=True)
class Outcome:
    """What recording one build did, for the report."""

    path: Path | None  # the new record; None when nothing changed since the last one
    message: str
    warning: str = ""  # a timestamp that could not be obtained (never fails the build)


def folder(site: Site) -> Path:
    base = site.evidence.dir
    if base is None:
        raise EvidenceError(f"site {site.name!r} has no evidence folder")
    return base / site.name


def records(where: Path) -> list[Path]:
    """The records of a ledger folder, oldest first."""
    if not where.is_dir():
        return []
    return sorted(p for p in where.iterdir() if _NAME.match(p.name))


def load(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        data = path.read_bytes()
        value = json.loads(data)
    except (OSError, ValueError) as exc:
        raise EvidenceError(f"{path}: not a readable evidence record ({exc})") from None
    if not isinstance(value, dict) or value.get("format") != record.FORMAT:
        raise EvidenceError(f"{path}: not an optout-site evidence record")
    return value, data


def token_path(path: Path) -> Path:
    return path.with_suffix(".tsr")


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_build(
    site: Site, report: SiteReport, created: str | None = None, jobs: int | None = None
) -> Outcome:
    """Append a record of what ``report``'s build left published, unless nothing changed."""
    where = folder(site)
    chain = records(where)
    previous: str | None = None
    last: dict[str, Any] | None = None
    if chain:
        last, data = load(chain[-1])
        previous = record.digest(data)
    created = created or now()
    draft = record.make(site, record.collect(site, report, jobs), previous, created)
    if last is not None and record.content(last) == record.content(draft):
        return Outcome(None, f"evidence unchanged since {chain[-1].name}")
    data = record.canonical(draft)
    seq = int(_NAME.match(chain[-1].name).group(1)) + 1 if chain else 1  # type: ignore[union-attr]
    stamp = created.replace("-", "").replace(":", "")
    path = where / f"{seq:06d}-{stamp}.json"
    where.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, data)
    warning = ""
    if site.evidence.tsa:
        try:
            atomic.write_bytes(token_path(path), tsa.request(site.evidence.tsa, data))
        except EvidenceError as exc:
            warning = f"{exc}; the record was kept without a timestamp"
    if site.evidence.publish:
        _publish(site, path)
    files = len(draft["files"])
    return Outcome(path, f"evidence recorded: {path} ({files} files)", warning)


def _publish(site: Site, path: Path) -> None:
    """The latest record (and token) under /.well-known/, for web archives to capture."""
    target = site.output_dir / PUBLISHED
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(target, path.read_bytes())
    token = token_path(path)
    if token.exists():
        atomic.write_bytes(target.with_suffix(".tsr"), token.read_bytes())
