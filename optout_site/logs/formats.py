"""One access-log line → one :class:`Hit`: the formats ``optout-site logs`` reads.

Text logs: the NCSA ``common`` and ``combined`` formats that nginx and Apache write by
default, with the variants met in practice (Apache's ``vhost_combined`` prefix, a user
agent without a referer, fields appended after the user agent). JSON logs: Caddy's access
log, Cloudflare Logpush's HTTP requests dataset, and any other JSON or CSV export through
a field mapping (``--fields``). A line that fits none is malformed: the caller counts it.

Parsers return plain tuples, not objects: they run once per line, millions of times.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

FORMATS = ("auto", "combined", "caddy", "cloudflare", "json", "csv")
FIELDS = ("time", "ip", "method", "path", "status", "bytes", "ua")


class Hit(NamedTuple):
    """One request. ``time`` is as the log wrote it (see :func:`moment`), ``day`` the
    ISO date in the log's own time zone, ``bytes`` the response body size (0 when
    unknown)."""

    ip: str
    time: str
    day: str
    method: str
    path: str
    status: int
    bytes: int
    ua: str


Parser = Callable[[str], Hit | None]

# A quoted field in nginx (\x22 escapes) or Apache (\" escapes) style, as an unrolled
# loop: an alternation per character costs Python's regex engine ten times more.
_Q = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
_CLF = re.compile(
    # vhost_combined starts with "host:port "; backtracking drops it for plain lines.
    r"(?:\S+ )?(\S+) \S+ \S+ \[([^\]]+)\] "
    + _Q
    + r" (\d{3}|-) (\d+|-)(?: "
    + _Q
    + r")?(?: "
    + _Q
    + r")?"
)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    )
}


@functools.lru_cache(maxsize=4096)
def _clf_day(date: str) -> str:
    # "10/Oct/2000" → "2000-10-10" (cached: a log has few distinct days)
    day, month, year = date.split("/")
    return f"{int(year):04d}-{_MONTHS[month]:02d}-{int(day):02d}"


def _target(request: str) -> tuple[str, str] | None:
    parts = request.split(" ")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return None
    target = parts[1]
    if not target.startswith("/"):
        # An absolute-form target (a proxy request, RFC 9112 §3.2.2): keep its path.
        scheme, _, rest = target.partition("://")
        if not rest:
            return None
        slash = rest.find("/")
        target = rest[slash:] if slash >= 0 else "/"
    return parts[0], target


def combined(line: str) -> Hit | None:
    """``common``/``combined`` (nginx, Apache), with or without referer and user agent."""
    m = _CLF.match(line)
    if m is None:
        return None
    ip, stamp, request, status, size, first, second = m.groups()
    if status == "-":
        return None
    try:
        day = _clf_day(stamp[:11])
    except (ValueError, KeyError):
        return None
    target = _target(request)
    if target is None:
        return None
    # One quoted field after the size is a user agent (the "common + agent" variant).
    ua = second if second is not None else (first or "")
    return Hit(
        ip, stamp, day, target[0], target[1], int(status), 0 if size == "-" else int(size), ua
    )


def moment(stamp: str) -> dt.datetime | None:
    """The time of a :class:`Hit` as an aware datetime: CLF (``10/Oct/2000:13:55:36
    -0700``), ISO 8601/RFC 3339, or Unix seconds/nanoseconds as text."""
    return _moment(stamp)


@functools.lru_cache(maxsize=4096)  # recent seconds: logs are in time order (audit.utc)
def _moment(stamp: str) -> dt.datetime | None:
    try:
        if len(stamp) >= 20 and stamp[2] == "/":
            return _clf_moment(stamp)
        if stamp[:1].isdigit() and "-" not in stamp:
            number = float(stamp)
            if number > 1e14:  # Cloudflare's "unixnano"
                number /= 1e9
            return dt.datetime.fromtimestamp(number, dt.UTC)
        value = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    except (ValueError, KeyError, OverflowError, OSError):
        return None


def _clf_moment(stamp: str) -> dt.datetime:
    # "10/Oct/2000:13:55:36 -0700", sliced: strptime costs 20 times more.
    if len(stamp) != 26 or stamp[11] != ":" or stamp[20] != " " or stamp[21] not in "+-":
        raise ValueError(stamp)
    offset = dt.timedelta(hours=int(stamp[22:24]), minutes=int(stamp[24:26]))
    return dt.datetime(
        int(stamp[7:11]),
        _MONTHS[stamp[3:6]],
        int(stamp[0:2]),
        int(stamp[12:14]),
        int(stamp[15:17]),
        int(stamp[18:20]),
        tzinfo=dt.timezone(-offset if stamp[21] == "-" else offset),
    )


def _stamp(value: Any) -> tuple[str, str] | None:
    """A JSON time value → (stamp text, ISO day)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    text = repr(value) if isinstance(value, float) else str(value)
    when = _moment(text)
    if when is None:
        return None
    return text, when.date().isoformat()


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _from_fields(values: Mapping[str, Any]) -> Hit | None:
    """A Hit from the canonical fields (see :data:`FIELDS`), validated."""
    stamp = _stamp(values.get("time"))
    status = _int(values.get("status"))
    path, ip = values.get("path"), values.get("ip")
    if stamp is None or status is None or not isinstance(path, str) or not isinstance(ip, str):
        return None
    if not path.startswith("/"):
        target = _target(f"GET {path}")
        if target is None:
            return None
        path = target[1]
    ua = values.get("ua")
    method = values.get("method")
    return Hit(
        ip,
        stamp[0],
        stamp[1],
        method if isinstance(method, str) else "GET",
        path,
        status,
        _int(values.get("bytes")) or 0,
        ua if isinstance(ua, str) else "",
    )


def _object(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def caddy(line: str) -> Hit | None:
    """Caddy's JSON access log (``log`` directive, ``format json``)."""
    record = _object(line)
    request = record.get("request") if record else None
    if record is None or not isinstance(request, dict):
        return None
    headers = request.get("headers")
    agents = headers.get("User-Agent") if isinstance(headers, dict) else None
    return _from_fields(
        {
            "time": record.get("ts"),
            "ip": request.get("client_ip") or request.get("remote_ip"),
            "method": request.get("method"),
            "path": request.get("uri"),
            "status": record.get("status"),
            "bytes": record.get("size"),
            "ua": agents[0] if isinstance(agents, list) and agents else "",
        }
    )


# Cloudflare Logpush, HTTP requests dataset: field names as Cloudflare documents them.
CLOUDFLARE = {
    "time": "EdgeStartTimestamp",
    "ip": "ClientIP",
    "method": "ClientRequestMethod",
    "path": "ClientRequestURI",
    "status": "EdgeResponseStatus",
    "bytes": "EdgeResponseBytes",
    "ua": "ClientRequestUserAgent",
}


def cloudflare(line: str) -> Hit | None:
    """Cloudflare Logpush JSON (``http_requests``); ``ClientRequestPath`` stands in
    when the job does not export ``ClientRequestURI``."""
    record = _object(line)
    if record is None:
        return None
    values = {name: record.get(field) for name, field in CLOUDFLARE.items()}
    if values["path"] is None:
        values["path"] = record.get("ClientRequestPath")
    return _from_fields(values)


def _lookup(record: Mapping[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def mapped_json(mapping: Mapping[str, str]) -> Parser:
    """Any JSON-lines export, ``mapping`` naming the field (dotted for nesting) of each of
    :data:`FIELDS`."""

    def parse(line: str) -> Hit | None:
        record = _object(line)
        if record is None:
            return None
        return _from_fields({name: _lookup(record, field) for name, field in mapping.items()})

    return parse


def mapped_csv(mapping: Mapping[str, str], header: list[str]) -> Parser:
    """Any CSV export with a header row; ``mapping`` names the column of each field."""
    columns = {name: header.index(column) for name, column in mapping.items() if column in header}

    def parse(line: str) -> Hit | None:
        try:
            row = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            return None
        if len(row) != len(header):
            return None
        return _from_fields({name: row[i] for name, i in columns.items()})

    return parse


def parse_mapping(text: str) -> dict[str, str]:
    """``time=ts,ip=remote,...`` → mapping; raises ValueError naming what is wrong."""
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, field = item.partition("=")
        if not sep or not field:
            raise ValueError(f"{item!r} is not NAME=FIELD")
        if name not in FIELDS:
            raise ValueError(f"unknown field {name!r}; use {', '.join(FIELDS)}")
        mapping[name] = field
    missing = {"time", "ip", "path", "status"} - set(mapping)
    if missing:
        raise ValueError(f"the mapping needs {', '.join(sorted(missing))}")
    return mapping


def sniff(first_line: str) -> str:
    """The format of a log from its first non-blank line (``combined`` for text)."""
    record = _object(first_line) if first_line.lstrip().startswith("{") else None
    if record is None:
        return "combined"
    if isinstance(record.get("request"), dict):
        return "caddy"
    if "ClientRequestUserAgent" in record or "EdgeStartTimestamp" in record:
        return "cloudflare"
    return "json"


PARSERS: dict[str, Parser] = {"combined": combined, "caddy": caddy, "cloudflare": cloudflare}
