"""One evidence record: what a build published, as a canonical, hash-chained JSON document.

A record lists every signal file and every stamped page and image of a site by URL path,
with its SHA-256 and the reservation a reader finds in it (for images the XMP
``plus:DataMining`` value, for pages the TDMRep meta tags and our robots directives), read
back from the published bytes rather than taken from the plan, so the record says what
was served, not what was meant. A Merkle root over the entries (RFC 6962 §2.1 tree hash)
lets one file be proven part of a record without the others; ``previous`` names the
record before it, so the records of a site form a chain.

Canonical form: UTF-8 JSON, keys sorted, no insignificant whitespace, no floats — for the
values a record holds (strings, integers, lists, objects with ASCII keys) this is the
JSON Canonicalization Scheme of RFC 8785, so the hash can be recomputed by anyone.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from optout_site import paths
from optout_site._version import __version__
from optout_site.build.report import CHANGED, UNCHANGED, SiteReport
from optout_site.config import Site
from optout_site.errors import EvidenceError, ImageError, PolicyError
from optout_site.html import splice
from optout_site.policy import Decision, Decisions, Use

FORMAT = "optout-site-evidence/1"
# Meta names whose values are the page's reservation (TDMRep §4.2, and the robots meta
# directives noai/noimageai); the robots value is taken from the tag optout-site owns.
_PAGE_METAS = ("tdm-reservation", "tdm-policy")
_HEAD_END = re.compile(rb"<body[\s>]", re.I)


@dataclass(frozen=True)
class Entry:
    path: str  # URL path, normalised (paths.file_url_path)
    kind: str  # "signal", "host-config" (read by the server, never served), "page", "image"
    sha256: str
    bytes: int
    reservation: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def canonical(value: Any) -> bytes:
    """The bytes a record's hash is taken over (see the module docstring)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def merkle_root(entries: Iterable[Entry]) -> str:
    """RFC 6962 §2.1: leaves hashed with a 0x00 prefix, nodes with 0x01; empty → hash of ''."""
    leaves = [hashlib.sha256(b"\x00" + canonical(e.to_dict())).digest() for e in entries]

    def tree(nodes: list[bytes]) -> bytes:
        if len(nodes) == 1:
            return nodes[0]
        split = 1 << ((len(nodes) - 1).bit_length() - 1)  # largest power of 2 below n
        return hashlib.sha256(b"\x01" + tree(nodes[:split]) + tree(nodes[split:])).digest()

    return (tree(leaves) if leaves else hashlib.sha256(b"").digest()).hex()


def file_digest(path: Path) -> tuple[str, int]:
    with path.open("rb") as handle:
        hashed = hashlib.file_digest(handle, "sha256")
    return hashed.hexdigest(), path.stat().st_size


def page_reservation(body: bytes) -> dict[str, str]:
    """The reservation a page's head carries: TDMRep metas and our robots directives."""
    from lxml import html as lxml_html

    match = _HEAD_END.search(body)
    head = body[: match.start()] if match else body
    try:
        root = lxml_html.fromstring(head or b"<html></html>")
    except Exception:  # lxml raises several types for garbage; an unreadable head says nothing
        return {}
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        name = (meta.get("name") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if name in _PAGE_METAS and name not in found:
            found[name] = content
        elif name == "robots" and meta.get(splice.MARK) is not None:
            found["robots"] = content
    return found


def image_reservation(path: Path) -> dict[str, str]:
    from optout_site import images
    from optout_site.images import xmp

    try:
        packet = images.read_xmp(path)
    except (ImageError, OSError):
        return {}
    if packet is None:
        return {}
    try:
        values = xmp.summary(packet)
    except ImageError:
        return {}
    names = {"data_mining": "plus:DataMining", "other_constraints": "plus:OtherConstraints"}
    return {prop: values[key][0] for key, prop in names.items() if values.get(key)}


def _entry(root: Path, rel: str, kind: str) -> Entry | None:
    from optout_site.hosts import RENDERERS

    path = root / rel
    if kind == "signal" and rel in RENDERERS:
        kind = "host-config"
    try:
        sha, size = file_digest(path)
        if kind == "page":
            with path.open("rb") as handle:
                reservation = page_reservation(handle.read(512 * 1024))
        elif kind == "image":
            reservation = image_reservation(path)
        else:
            reservation = {}
    except OSError:
        return None  # gone since the build: not published, so not recorded
    return Entry(paths.file_url_path(PurePosixPath(rel)), kind, sha, size, reservation)


def collect(site: Site, report: SiteReport, jobs: int | None = None) -> list[Entry]:
    """Every signal file and every stamped page and image the build left published."""
    wanted = [
        (f.path, f.kind)
        for f in report.files
        if f.kind in ("signal", "page", "image")
        and f.action in (CHANGED, UNCHANGED)
        # A host config in hosts_dir is reported by its full path: it is not published.
        and not Path(f.path).is_absolute()
    ]
    root = site.output_dir
    # Hashing releases the GIL; threads keep the parent's memory and need no pickling.
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        found = pool.map(lambda item: _entry(root, *item), wanted)
        entries = [e for e in found if e is not None]
    return sorted(entries, key=lambda e: e.path)


def policy_summary(site: Site) -> dict[str, Any]:
    """The resolved policy: the reserved uses per rule, most specific first, as applied."""
    return {
        "rules": [
            {"path": pattern, "reserved": sorted(u.value for u in decision.reserved)}
            for pattern, decision in site.policy.ordered_decisions
        ]
    }


def decisions_of(record: dict[str, Any]) -> Decisions:
    """The decisions a record's ``policy.rules`` list (the inverse of :func:`policy_summary`)."""
    try:
        rules = record["policy"]["rules"]
        return Decisions(
            tuple(
                (
                    str(rule["path"]),
                    Decision(frozenset(Use(u) for u in rule["reserved"]), str(rule["path"])),
                )
                for rule in rules
            )
        )
    except (KeyError, TypeError, ValueError, PolicyError) as exc:
        raise EvidenceError(f"policy.rules is not a list of rules ({exc})") from None


def signal_digest(record: dict[str, Any], path: str) -> str | None:
    """The SHA-256 a record lists for a published file (``/robots.txt``), or None."""
    for item in record.get("files", []):
        if isinstance(item, dict) and item.get("path") == path:
            value = item.get("sha256")
            return value if isinstance(value, str) else None
    return None


def make(site: Site, entries: list[Entry], previous: str | None, created: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "site": site.name,
        "url": site.url,
        "created": created,
        "tool": {"name": "optout-site", "version": __version__},
        "rightsholder": site.rightsholder.name,
        "policy": policy_summary(site),
        "files": [e.to_dict() for e in entries],
        "merkle_root": merkle_root(entries),
        "previous": previous,
    }


def content(record: dict[str, Any]) -> dict[str, Any]:
    """What a record says about the site, without when it was made or what came before:
    two records with equal content describe the same publication."""
    return {k: v for k, v in record.items() if k not in ("created", "previous", "tool")}


def entries_of(record: dict[str, Any]) -> list[Entry]:
    return [Entry(**item) for item in record.get("files", [])]
