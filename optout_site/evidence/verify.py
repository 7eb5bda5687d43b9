"""``evidence verify``: is a record intact, timestamped, chained, and still what is served?

Each check is independent and reported by name, so a lawyer reading the output sees
which property holds and which does not: the record's own Merkle root, its place in the
chain (every earlier record of the ledger names the one before it), the timestamp token
(it covers exactly this record's bytes, and its signature verifies), and, given a built
folder or the live site, that every listed file is still served with the listed hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optout_site.errors import EvidenceError
from optout_site.evidence import ledger, record, tsa


@dataclass
class Finding:
    ok: bool
    what: str  # "merkle root", "chain", "timestamp", or a URL path
    message: str


@dataclass
class Verification:
    record: Path
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def add(self, ok: bool, what: str, message: str) -> None:
        self.findings.append(Finding(ok, what, message))

    def render(self) -> str:
        lines = [f"evidence record {self.record}"]
        for f in self.findings:
            lines.append(f"  {'ok  ' if f.ok else 'FAIL'}  {f.what}: {f.message}")
        failed = sum(not f.ok for f in self.findings)
        lines.append("verified" if not failed else f"{failed} check(s) failed")
        return "\n".join(lines)


def verify(path: Path, target: str | None = None, ca_bundle: Path | None = None) -> Verification:
    """Verify the record at ``path`` (or the latest record of a ledger folder)."""
    path = record_path(path)
    result = Verification(path)
    value, data = ledger.load(path)
    entries = record.entries_of(value)
    root = record.merkle_root(entries)
    result.add(
        root == value.get("merkle_root"),
        "merkle root",
        f"{root[:16]}… over {len(entries)} files"
        if root == value.get("merkle_root")
        else "the file list does not hash to the recorded root: the record was altered",
    )
    _chain(path, value, result)
    _timestamp(path, data, ca_bundle, result)
    if target is not None:
        _served(value, entries, target, result)
    return result


def record_path(path: Path) -> Path:
    if path.is_dir():
        chain = ledger.records(path)
        if not chain:
            raise EvidenceError(f"{path}: no evidence records in this folder")
        return chain[-1]
    return path


def _chain(path: Path, value: dict[str, Any], result: Verification) -> None:
    chain = ledger.records(path.parent)
    if path not in chain:
        result.add(True, "chain", "a single record (not inside a ledger folder); not checked")
        return
    upto = chain[: chain.index(path) + 1]
    expected: str | None = None
    for earlier in upto:
        try:
            item, data = ledger.load(earlier)
        except EvidenceError as exc:
            result.add(False, "chain", str(exc))
            return
        if item.get("previous") != expected:
            result.add(
                False,
                "chain",
                f"{earlier.name} does not name the record before it "
                "(a record was changed, removed or inserted)",
            )
            return
        expected = record.digest(data)
    result.add(True, "chain", f"{len(upto)} record(s), each naming the one before it")


def _timestamp(path: Path, data: bytes, ca_bundle: Path | None, result: Verification) -> None:
    token = ledger.token_path(path)
    if not token.exists():
        result.add(True, "timestamp", "none (no time-stamping authority was configured)")
        return
    try:
        info, trust = tsa.verify(token.read_bytes(), data, ca_bundle)
    except EvidenceError as exc:
        result.add(False, "timestamp", str(exc))
        return
    when = info.time.strftime("%Y-%m-%d %H:%M:%S UTC")
    result.add(True, "timestamp", f"{when} by {info.authority}; {trust}")


def _served(
    value: dict[str, Any], entries: list[record.Entry], target: str, result: Verification
) -> None:
    from optout_site.check import sources

    source: sources.FolderSource | sources.HttpSource
    if target.startswith(("http://", "https://")):
        # Each file is fetched whole: a hash of the first bytes proves nothing.
        source = sources.HttpSource(target, whole=True, max_requests=len(entries) + 10)
    else:
        folder = Path(target)
        if not folder.is_dir():
            raise EvidenceError(f"{target}: not a folder or an http(s) URL")
        source = sources.FolderSource(folder)
    changed = 0
    if isinstance(source, sources.HttpSource):
        # A server reads its config files and must not serve them (ours tell it so).
        entries = [e for e in entries if e.kind != "host-config"]
    for entry in entries:
        got = source.get(entry.path)
        if not got.ok:
            result.add(False, entry.path, f"not served ({got.error or got.status})")
            changed += 1
        elif hashlib.sha256(got.body).hexdigest() != entry.sha256:
            result.add(False, entry.path, "served bytes differ from the recorded hash")
            changed += 1
    if not changed:
        result.add(True, "served", f"all {len(entries)} files served as recorded by {target}")
