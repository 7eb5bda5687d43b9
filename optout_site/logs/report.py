"""The audit as data (``--json``, ``--csv``) and as text for a terminal.

:func:`data` is the one shape every output is made from; docs/logs.md documents it.
Privacy: addresses appear only for requests naming a registry agent (crawlers, whose
operators publish their addresses); other visitors are only counted.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from optout_site.build.report import printable
from optout_site.logs import spill
from optout_site.logs.audit import Judge
from optout_site.logs.tally import KINDS, Tally, Violation

SCHEMA = "optout-site-logs/1"
AGENT_COLUMNS = (
    "token",
    "category",
    "operator",
    "hits",
    "verified",
    "unverifiable",
    "spoofed",
    "robots_fetched",
    "robots_first",
    "violations",
    "violation_pages",
    "violation_images",
    "violation_bytes",
    "bytes",
)
VIOLATION_COLUMNS = (
    "time",
    "agent",
    "path",
    "rule",
    "kind",
    "status",
    "bytes",
    "ip",
    "verification",
    "judged_by",
)


def data(tally: Tally, judge: Judge, files: Iterable[str], since: str | None) -> dict[str, Any]:
    """The audit as data for :func:`write_json`, :func:`to_csv` and :func:`to_text` (schema:
    docs/logs.md); ``violations`` is a :class:`spill.Kept`: the tally's records, read
    (from the spilled runs) and turned into JSON only as they are written."""
    agents = []
    for token, s in sorted(tally.agents.items(), key=lambda kv: (-kv[1].hits, kv[0].casefold())):
        agent = judge.registry.get(token)
        agents.append(
            {
                "token": token,
                "category": agent.category if agent else "",
                "operator": agent.operator if agent else "",
                "hits": s.hits,
                "verified": s.verified,
                "unverifiable": s.unverifiable,
                "spoofed": s.spoofed,
                "ranges": judge.ranges.coverage(token),
                "robots_fetched": s.robots_fetches > 0,
                "robots_fetches": s.robots_fetches,
                "robots_first": s.robots_first,
                "before_first_record": s.before_records,
                "violations": sum(s.violations.values()),
                "violations_by_kind": {k: s.violations[k] for k in KINDS},
                "violation_bytes": sum(s.violation_bytes.values()),
                "violation_bytes_by_kind": {k: s.violation_bytes[k] for k in KINDS},
                "bytes": s.bytes,
                "requests_by_kind": {k: s.kinds[k] for k in ("robots", *KINDS)},
                "first": s.first,
                "last": s.last,
                "ips": [{"ip": ip, "hits": n} for ip, n in s.ips.most_common()],
            }
        )
    clients = sorted(tally.clients.values(), key=lambda c: (-c.hits, c.ua))
    ranges = judge.ranges
    history = judge.history
    return {
        "schema": SCHEMA,
        "site": judge.site.name if judge.site else None,
        "files": list(files),
        "since": since,
        "ranges": {
            "date": ranges.date,
            "origin": ranges.origin,
            "complete": bool(ranges.sources) and all(s.complete for s in ranges.sources),
        },
        "evidence": None
        if history is None
        else {
            "folder": history.folder,
            "records": [r.summary() for r in history.records],
            "before_first_record": sum(s.before_records for s in tally.agents.values()),
        },
        "lines": tally.lines,
        "requests": tally.requests,
        "before_since": tally.skipped,
        "bytes": tally.bytes,
        "malformed": {"count": tally.malformed, "samples": tally.samples},
        "agents": agents,
        # Not a list: the records (up to MAX_VIOLATIONS) are streamed from their runs while
        # written; 100 000 records held at once cost ~30 MB, as dicts ~65 MB.
        "violations": spill.Kept.of(tally),
        "violations_total": tally.violation_count,
        "unknown_clients": [
            {
                "user_agent": c.ua,
                "why": c.why,
                "hits": c.hits,
                "bytes": c.bytes,
                "robots_fetched": c.robots_fetches > 0,
                "first": c.first,
                "last": c.last,
            }
            for c in clients
        ],
        "unknown_clients_not_listed": tally.clients_dropped,
        "violations_per_day": [
            {"day": day, "kind": kind, "violations": n}
            for (day, kind), n in sorted(tally.violations_per_day.items())
        ],
        "per_day": [
            {"day": day, "category": category, "requests": n}
            for (day, category), n in sorted(tally.per_day.items())
        ],
    }


def violation_json(v: Violation, records: dict[str, Any]) -> dict[str, Any]:
    """A violation as the JSON schema has it; ``records``: the evidence records by id."""
    found = {name: getattr(v, name) for name in VIOLATION_COLUMNS}
    found["judged_by"] = records.get(v.judged_by) if v.judged_by else None
    return found


def _pretty(value: object, depth: int) -> str:
    """What ``json.dump(indent=2)`` writes for ``value`` nested ``depth`` levels deep.

    Not json.dumps(indent=2) per record: each such call builds a cycle of closures that
    only the garbage collector frees, so 100 000 calls pile up garbage between collections.
    """
    pad = "\n" + "  " * (depth + 1)
    end = "\n" + "  " * depth
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (
            f"{json.dumps(key, ensure_ascii=False)}: {_pretty(item, depth + 1)}"
            for key, item in value.items()
        )
        return "{" + pad + ("," + pad).join(items) + end + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return "[" + pad + ("," + pad).join(_pretty(item, depth + 1) for item in value) + end + "]"
    return json.dumps(value, ensure_ascii=False)


def write_json(report: dict[str, Any], out: TextIO) -> None:
    """The report as ``json.dump(report, indent=2)`` would write it, the violation records
    streamed one at a time (json.dump can only write a list it holds whole)."""
    evidence = report["evidence"]
    records = {r["id"]: r for r in evidence["records"]} if evidence else {}
    out.write("{")
    for i, (key, value) in enumerate(report.items()):
        out.write(("\n" if i == 0 else ",\n") + f"  {json.dumps(key, ensure_ascii=False)}: ")
        if key != "violations":
            out.write(_pretty(value, 1))
            continue
        empty = True
        for v in value:
            out.write(("[\n" if empty else ",\n") + "    ")
            out.write(_pretty(violation_json(v, records), 2))
            empty = False
        out.write("[]" if empty else "\n  ]")
    out.write("\n}\n")


def _agent_row(a: dict[str, Any]) -> list[Any]:
    by_kind = a["violations_by_kind"]
    return [
        a["token"],
        a["category"],
        a["operator"],
        a["hits"],
        a["verified"],
        a["unverifiable"],
        a["spoofed"],
        a["robots_fetched"],
        a["robots_first"] or "",
        a["violations"],
        by_kind["page"],
        by_kind["image"],
        a["violation_bytes"],
        a["bytes"],
    ]


def to_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    write_csv(report, out)
    return out.getvalue()


def write_csv(report: dict[str, Any], out: TextIO) -> None:
    """One table: a ``record`` column says ``agent`` or ``violation``; each record fills
    its own columns (docs/logs.md). Written row by row."""
    writer = csv.writer(out, lineterminator="\n")
    # The violation's own size is "request_bytes": "bytes" is the agent's total.
    violation_header = ["request_bytes" if c == "bytes" else c for c in VIOLATION_COLUMNS]
    writer.writerow(["record", *AGENT_COLUMNS, *violation_header])
    blank_v = [""] * len(VIOLATION_COLUMNS)
    for a in report["agents"]:
        writer.writerow(["agent", *_agent_row(a), *blank_v])
    blank_a = [""] * len(AGENT_COLUMNS)
    for v in report["violations"]:  # judged_by: the record's id ("": the current policy)
        writer.writerow(["violation", *blank_a, *(getattr(v, c) for c in VIOLATION_COLUMNS)])


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n = n / 1000  # type: ignore[assignment]
    return f"{n} B"


def to_text(report: dict[str, Any], limit: int = 20) -> str:
    """The terminal summary; every string from the log goes through :func:`printable`."""
    lines = [
        f"{report['requests']} requests in {report['lines']} lines"
        + (
            f" ({report['before_since']} before {report['since']} skipped)"
            if report["since"]
            else ""
        )
        + (f", {report['malformed']['count']} malformed" if report["malformed"]["count"] else ""),
    ]
    if report["site"] is None:
        lines.append("No --config: requests are not judged against a policy (no violations).")
    ranges = report["ranges"]
    evidence = report["evidence"]
    if evidence is not None:
        records = evidence["records"]
        lines.append(
            f"Judged by the robots.txt of {len(records)} evidence record(s) in "
            f"{printable(evidence['folder'])}: each request by the newest record made at or "
            "before it."
        )
        if evidence["before_first_record"]:
            lines.append(
                f"{evidence['before_first_record']} request(s) by registry agents before the "
                f"first record ({records[0]['created']}) were not judged: no record shows "
                "what robots.txt said then."
            )
    partial = [a["token"] for a in report["agents"] if a["ranges"] != "complete"]
    if partial:
        lines.append(
            f"IP ranges ({ranges['origin']} of {ranges['date']}): no complete published "
            f"ranges for {', '.join(map(printable, partial))}, so their requests from other "
            "addresses are 'unverifiable', not 'spoofed'; `optout-site agents ranges "
            "--update` refreshes the ranges online."
        )
    if report["agents"]:
        rows = [
            (
                str(a["token"]),
                str(a["category"]),
                str(a["hits"]),
                f"{a['verified']}/{a['spoofed']}",
                str(a["robots_first"] or "never"),
                f"{a['violations_by_kind']['page']}/{a['violations_by_kind']['image']}"
                f"/{a['violations_by_kind']['other']}",
                _size(a["bytes"]),
            )
            for a in report["agents"]
        ]
        lines += ["", "AI and search agents:"]
        header = (
            "TOKEN",
            "CATEGORY",
            "HITS",
            "VERIFIED/SPOOFED",
            "ROBOTS.TXT FIRST",
            "VIOLATIONS PAGE/IMG/OTHER",
            "SERVED",
        )
        lines += ["  " + line for line in _table(header, rows)]
    else:
        lines += ["", "No request named an agent of the registry."]
    if report["violations_total"]:
        lines += ["", f"Requests the policy disallowed ({report['violations_total']}):"]
        for v in report["violations"][:limit]:
            record = f"; record {v.judged_by}" if v.judged_by else ""
            lines.append(
                f"  {v.time}  {v.agent}  {printable(v.path)}  {v.status}  "
                f"{v.bytes} B  ({v.verification}; {printable(v.rule)}{record})"
            )
        if report["violations_total"] > limit:
            lines.append(f"  … {report['violations_total'] - limit} more (see --json or --csv)")
    if report["unknown_clients"]:
        lines += ["", "Unknown automated clients (no registry token):"]
        for c in report["unknown_clients"][:limit]:
            robots = "read robots.txt" if c["robots_fetched"] else "never read robots.txt"
            lines.append(
                f"  {c['hits']:>7}  {printable(c['user_agent'])[:80]}  ({c['why']}; {robots})"
            )
        more = len(report["unknown_clients"]) - limit
        if more > 0:
            lines.append(f"  … {more} more")
    if report["malformed"]["samples"]:
        lines += ["", "Malformed lines (first ones):"]
        lines += [f"  {printable(s)}" for s in report["malformed"]["samples"]]
    return "\n".join(lines) + "\n"
