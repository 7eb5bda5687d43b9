"""Who really sent a request: the IP ranges crawler operators publish, as dated data.

The packaged ``data/ipranges.yaml`` names each operator's published file (the sources)
and holds a snapshot of prefixes; ``optout-site agents ranges --update`` fetches the
files and writes a complete, dated copy that later audits prefer. A source whose
prefixes came from its own file is ``complete``: only then is an address outside it
evidence of a **spoofed** user agent. An incomplete snapshot can verify, never accuse.
"""

from __future__ import annotations

import bisect
import datetime as dt
import ipaddress
import json
import os
import urllib.request
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from optout_site.build import atomic
from optout_site.errors import UsageError

VERIFIED, UNVERIFIABLE, SPOOFED = "verified", "unverifiable", "spoofed"
FETCH_TIMEOUT = 20.0
MAX_SOURCE_BYTES = 4 * 1024 * 1024


def updated_path() -> Path:
    """Where ``agents ranges --update`` writes: the user's cache folder."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "optout-site" / "ipranges.json"


@dataclass(frozen=True)
class Source:
    """One published file of one operator, covering some product tokens."""

    operator: str
    url: str
    tokens: tuple[str, ...]
    prefixes: tuple[str, ...] = ()
    complete: bool = False  # the prefixes are the whole file as fetched on ``fetched``
    fetched: str | None = None  # the date of the copy
    created: str | None = None  # the file's own creationTime
    via: str | None = None  # how the copy was obtained (a URL, or a mirror and its commit)
    reverse_dns: tuple[str, ...] = ()  # documented for people; the audit stays offline
    _table: tuple[list[int], list[int], list[int], list[int]] = field(
        init=False, repr=False, compare=False, default=([], [], [], [])
    )

    def __post_init__(self) -> None:
        spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for prefix in self.prefixes:
            net = ipaddress.ip_network(prefix, strict=False)
            spans[net.version].append((int(net.network_address), int(net.broadcast_address)))
        v4, v6 = _disjoint(spans[4]), _disjoint(spans[6])
        table = ([a for a, _ in v4], [b for _, b in v4], [a for a, _ in v6], [b for _, b in v6])
        object.__setattr__(self, "_table", table)

    def contains(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        starts, ends = self._table[0:2] if address.version == 4 else self._table[2:4]
        value = int(address)
        i = bisect.bisect_right(starts, value) - 1
        return i >= 0 and ends[i] >= value


def _disjoint(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping and nested ones merged, so one bisect decides."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


@dataclass(frozen=True)
class Ranges:
    date: str  # when the snapshot was taken
    sources: tuple[Source, ...]
    origin: str  # the file it was read from, for the report

    def for_token(self, token: str) -> list[Source]:
        key = token.casefold()
        return [s for s in self.sources if key in (t.casefold() for t in s.tokens)]

    def coverage(self, token: str) -> str:
        """ "complete" (an address outside can be called spoofed), "partial" (it can only
        be verified) or "none" (the operator's ranges for ``token`` are unknown)."""
        sources = self.for_token(token)
        if not sources:
            return "none"
        return "complete" if all(s.complete for s in sources) else "partial"

    def verify(self, token: str, ip: str) -> str:
        """verified, unverifiable or spoofed: does ``ip`` belong to ``token``'s operator?"""
        sources = self.for_token(token)
        if not sources:
            return UNVERIFIABLE
        address = _address(ip)
        if address is None:
            return UNVERIFIABLE
        if any(s.contains(address) for s in sources):
            return VERIFIED
        return SPOOFED if all(s.complete for s in sources) else UNVERIFIABLE


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse(data: Any, origin: str) -> Ranges:
    """Ranges from the data file's structure; raises UsageError naming the problem."""
    try:
        sources = tuple(
            Source(
                operator=str(op["operator"]),
                url=str(src["url"]),
                tokens=tuple(str(t) for t in src["tokens"]),
                prefixes=tuple(str(p) for p in src.get("prefixes") or ()),
                complete=bool(src.get("complete", False)),
                fetched=_text(src.get("fetched")),
                created=_text(src.get("created")),
                via=_text(src.get("via")),
                reverse_dns=tuple(str(d) for d in src.get("reverse_dns") or ()),
            )
            for op in data["operators"]
            for src in op["sources"]
        )
        return Ranges(str(data["date"]), sources, origin)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{origin}: not an IP ranges file: {exc}") from None


def _text(value: Any) -> str | None:
    # YAML reads an unquoted date as a date; the file means its ISO text.
    return (
        None if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)
    )


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the snapshot holds ~1,700 prefixes


def load(path: Path | None = None) -> Ranges:
    """``path``; else the last ``--update`` if there is one; else the packaged snapshot."""
    if path is None and updated_path().is_file():
        path = updated_path()
    if path is None:
        resource = resources.files("optout_site").joinpath("data", "ipranges.yaml")
        data = yaml.load(resource.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506
        return parse(data, "packaged snapshot")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    try:
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader); JSON is YAML
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not YAML or JSON: {exc}") from None
    return parse(data, str(path))


def _created(payload: Any) -> str | None:
    value = payload.get("creationTime") if isinstance(payload, dict) else None
    return value if isinstance(value, str) else None


def _prefixes(payload: Any) -> list[str]:
    # Every operator publishes Google's layout: {"prefixes": [{"ipv4Prefix": ...}, ...]}.
    out = []
    for item in payload.get("prefixes", []) if isinstance(payload, dict) else []:
        for key in ("ipv4Prefix", "ipv6Prefix"):
            if isinstance(item, dict) and isinstance(item.get(key), str):
                ipaddress.ip_network(item[key], strict=False)  # ValueError if not a prefix
                out.append(item[key])
    return out


def update(ranges: Ranges, target: Path, today: dt.date | None = None) -> tuple[Ranges, list[str]]:
    """Fetch every source; write the result to ``target`` (atomically). A source that
    cannot be fetched keeps its previous prefixes and completeness. Returns the new
    ranges and one line per source."""
    date = (today or dt.date.today()).isoformat()
    opener = urllib.request.build_opener()
    fresh: list[Source] = []
    notes: list[str] = []
    for source in ranges.sources:
        try:
            request = urllib.request.Request(source.url, headers={"User-Agent": "optout-site"})
            with opener.open(request, timeout=FETCH_TIMEOUT) as response:
                body = response.read(MAX_SOURCE_BYTES + 1)
            if len(body) > MAX_SOURCE_BYTES:
                raise ValueError("larger than 4 MiB")
            payload = json.loads(body)
            prefixes = _prefixes(payload)
            if not prefixes:
                raise ValueError("no prefixes in it")
        except (OSError, ValueError) as exc:
            notes.append(f"{source.url}: kept the previous data ({exc})")
            fresh.append(source)
            continue
        notes.append(f"{source.url}: {len(prefixes)} prefixes")
        fresh.append(
            Source(
                source.operator,
                source.url,
                source.tokens,
                tuple(prefixes),
                True,
                date,
                _created(payload),
                f"fetched from {source.url}",
                source.reverse_dns,
            )
        )
    result = Ranges(date, tuple(fresh), str(target))
    _write(result, target)
    return result, notes


def _write(ranges: Ranges, target: Path) -> None:
    by_operator: dict[str, list[dict[str, Any]]] = {}
    for s in ranges.sources:
        by_operator.setdefault(s.operator, []).append(
            {
                "url": s.url,
                "tokens": list(s.tokens),
                "complete": s.complete,
                "fetched": s.fetched,
                "created": s.created,
                "via": s.via,
                "reverse_dns": list(s.reverse_dns),
                "prefixes": list(s.prefixes),
            }
        )
    data = {
        "date": ranges.date,
        "operators": [{"operator": op, "sources": srcs} for op, srcs in by_operator.items()],
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(target, (json.dumps(data, indent=1) + "\n").encode())
