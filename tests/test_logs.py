"""`optout-site logs`: known traffic in, exact counts out, in every format and packaging."""

from __future__ import annotations

import bz2
import gzip
import json
import os
import random
import signal

import pytest
import zstandard
from logtraffic import (
    CSV_FIELDS,
    RANGES,
    TRAFFIC,
    caddy,
    cloudflare,
    combined,
    common_agent,
    csv_export,
)
from support import JANE_SITE, run_cli

from optout_site.logs import audit as audit_module
from optout_site.logs import source


@pytest.fixture
def env(tmp_path):
    (tmp_path / "public").mkdir()
    (tmp_path / "sites.yaml").write_text(JANE_SITE, encoding="utf-8")
    (tmp_path / "ranges.json").write_text(json.dumps(RANGES), encoding="utf-8")
    return tmp_path


def audit(env, capsys, *files, extra=()):
    capsys.readouterr()
    code = run_cli(
        [
            "logs",
            *map(str, files),
            "-c",
            str(env / "sites.yaml"),
            "--ranges",
            str(env / "ranges.json"),
            "--json",
            *extra,
        ]
    )
    out = capsys.readouterr().out
    data = json.loads(out)
    assert code == (1 if data["violations_total"] else 0)
    return data


def write(path, lines, opener=open):
    with opener(path, "wt", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
    return path


def agents(data):
    return {a["token"]: a for a in data["agents"]}


def summary(data):
    """What must not depend on format, packaging or order."""
    return (
        data["requests"],
        data["violations_total"],
        sorted(
            (
                a["token"],
                a["hits"],
                a["verified"],
                a["unverifiable"],
                a["spoofed"],
                a["robots_fetched"],
                a["robots_first"],
                a["violations_by_kind"]["page"],
                a["violations_by_kind"]["image"],
                a["violation_bytes"],
                a["bytes"],
            )
            for a in data["agents"]
        ),
        sorted((c["user_agent"], c["hits"], c["robots_fetched"]) for c in data["unknown_clients"]),
        sorted((v["time"], v["agent"], v["path"], v["verification"]) for v in data["violations"]),
    )


def test_known_traffic_exact_counts(env, capsys):
    data = audit(env, capsys, write(env / "access.log", map(combined, TRAFFIC)))
    assert data["lines"] == data["requests"] == len(TRAFFIC) == 23
    assert data["malformed"]["count"] == 0
    by = agents(data)
    assert set(by) == {"GPTBot", "Googlebot", "CCBot", "ChatGPT-User"}
    gpt = by["GPTBot"]
    assert (gpt["hits"], gpt["verified"], gpt["unverifiable"], gpt["spoofed"]) == (8, 6, 0, 2)
    assert gpt["robots_fetched"] and gpt["robots_first"] == "2026-11-28T10:00:00Z"
    assert gpt["robots_fetches"] == 1  # the spoofer's fetch is not OpenAI's
    assert gpt["violations_by_kind"] == {"page": 1, "image": 2, "other": 0}
    assert gpt["violations"] == 3 and gpt["violation_bytes"] == 95000
    assert gpt["bytes"] == 248240
    assert (gpt["category"], gpt["operator"]) == ("train", "OpenAI")
    assert {ip["ip"] for ip in gpt["ips"]} == {"20.171.206.9", "2a01:111:f403::7", "45.9.9.9"}
    google = by["Googlebot"]
    assert (google["hits"], google["verified"], google["violations"]) == (2, 2, 0)
    assert google["robots_first"] == "2026-11-28T08:00:00Z"
    cc = by["CCBot"]
    assert (cc["hits"], cc["unverifiable"], cc["spoofed"], cc["robots_fetched"]) == (2, 2, 0, False)
    assert cc["violations_by_kind"] == {"page": 0, "image": 2, "other": 0}
    assert cc["violation_bytes"] == 90150
    user = by["ChatGPT-User"]
    assert (user["hits"], user["unverifiable"], user["violations_by_kind"]["page"]) == (1, 1, 1)
    assert data["violations_total"] == 6 and len(data["violations"]) == 6
    first = data["violations"][0]
    assert first == {
        "time": "2026-11-28T10:01:00Z",
        "agent": "GPTBot",
        "path": "/",
        "rule": "/ (the policy reserves genai-train here)",
        "kind": "page",
        "status": 200,
        "bytes": 5000,
        "ip": "20.171.206.9",
        "verification": "verified",
        "judged_by": None,  # no evidence records: the current policy
    }
    # /press/ allows everything: GPTBot's two requests there are not violations.
    assert not [v for v in data["violations"] if v["path"].startswith("/press/")]
    clients = {c["user_agent"]: c for c in data["unknown_clients"]}
    assert {ua: (c["hits"], c["robots_fetched"]) for ua, c in clients.items()} == {
        "python-requests/2.31.0": (3, False),
        "img2dataset/1.45 (+https://github.com/rom1504/img2dataset)": (2, False),
        "Go-http-client/1.1": (1, True),
    }
    assert clients["img2dataset/1.45 (+https://github.com/rom1504/img2dataset)"]["why"] == (
        "HTTP library img2dataset"
    )
    per_day = {(r["day"], r["category"]): r["requests"] for r in data["per_day"]}
    assert per_day[("2026-11-28", "other")] == 2
    assert per_day[("2026-11-30", "unknown-automated")] == 6
    assert sum(per_day.values()) == 23


def test_privacy_no_address_of_a_visitor(env, capsys):
    path = write(env / "access.log", map(combined, TRAFFIC))
    text = json.dumps(audit(env, capsys, path))
    for ip in ("192.0.2.10", "192.0.2.11", "9.9.9.1", "9.9.9.2", "9.9.9.3"):
        assert ip not in text
    capsys.readouterr()
    run_cli(["logs", str(path), "-c", str(env / "sites.yaml"), "--csv"])
    assert "192.0.2.10" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("writer", "extra"),
    [
        (common_agent, ()),
        (caddy, ()),
        (cloudflare, ()),
        (cloudflare, ("--format", "cloudflare")),
    ],
)
def test_every_format_gives_the_same_audit(env, capsys, writer, extra):
    reference = summary(audit(env, capsys, write(env / "a.log", map(combined, TRAFFIC))))
    other = audit(env, capsys, write(env / "b.log", map(writer, TRAFFIC)), extra=extra)
    assert other["malformed"]["count"] == 0
    assert summary(other) == reference


def test_csv_and_json_exports_with_a_field_mapping(env, capsys):
    reference = summary(audit(env, capsys, write(env / "a.log", map(combined, TRAFFIC))))
    path = env / "export.csv"
    path.write_text(csv_export(TRAFFIC), encoding="utf-8")
    got = audit(env, capsys, path, extra=("--format", "csv", "--fields", CSV_FIELDS))
    assert got["malformed"]["count"] == 0 and summary(got) == reference
    lines = [
        json.dumps(
            {
                "t": r.when.isoformat(),
                "c": {"ip": r.ip},
                "u": r.path,
                "s": r.status,
                "ua": r.ua,
                "b": r.size,
            }
        )
        for r in TRAFFIC
    ]
    fields = "time=t,ip=c.ip,path=u,status=s,ua=ua,bytes=b"
    got = audit(env, capsys, write(env / "x.json", lines), extra=("--fields", fields))
    assert summary(got) == reference


def test_unknown_json_layout_needs_a_mapping(env, capsys):
    path = write(env / "x.json", ['{"a": 1}'])
    assert run_cli(["logs", str(path)]) == 2
    assert "--fields" in capsys.readouterr().err


def test_rotated_compressed_shuffled_and_stdin(env, capsys, monkeypatch):
    lines = [combined(r) for r in TRAFFIC]
    reference = summary(audit(env, capsys, write(env / "all.log", lines)))
    random.Random(7).shuffle(lines)
    parts = [lines[i::5] for i in range(5)]
    files = [
        write(env / "access.log", parts[0]),
        write(env / "access.log.1", parts[1]),
        write(env / "access.log.2.gz", parts[2], gzip.open),
        write(env / "access.log.3.bz2", parts[3], bz2.open),
        write(env / "access.log.4.zst", parts[4], zstandard.open),
    ]
    # A rotated file whose name lies about its compression is read by its bytes.
    os.rename(files[2], env / "access.log.2")
    files[2] = env / "access.log.2"
    assert summary(audit(env, capsys, *files[::-1])) == reference
    assert summary(audit(env, capsys, *files, extra=("--jobs", "1"))) == reference
    # stdin ("-") with the rest.
    monkeypatch.setattr("sys.stdin", open(files[0], encoding="utf-8"))  # noqa: SIM115
    assert summary(audit(env, capsys, "-", *files[1:])) == reference


def test_pieces_of_one_file_read_in_parallel(env, capsys, monkeypatch):
    lines = [combined(r) for r in TRAFFIC] * 40
    path = write(env / "big.log", lines)
    whole = audit(env, capsys, path, extra=("--jobs", "1"))
    monkeypatch.setattr(source, "CHUNK", 1000)  # inherited by the forked workers
    assert len(source.pieces([str(path)], 2)) == 4
    cut = audit(env, capsys, path, extra=("--jobs", "2"))
    assert cut["lines"] == len(lines) == whole["lines"]
    assert summary(cut) == summary(whole)
    assert agents(cut)["GPTBot"]["hits"] == 8 * 40


_READ_PIECE = audit_module.read_piece


def _read_piece_noting_sigterm(piece):
    # Module level, so the pool can pickle it by name; the forked worker inherits the path.
    with open(os.environ["OPTOUT_TEST_SIGTERM_NOTES"], "a", encoding="utf-8") as notes:
        notes.write(f"{signal.getsignal(signal.SIGTERM) == signal.SIG_DFL}\n")
    return _READ_PIECE(piece)


def test_log_workers_die_on_sigterm_whatever_the_parent_does_with_it(env, capsys, monkeypatch):
    """The CLI's SIGTERM handler raises (a cancelled job unwinds); a forked worker that
    kept it would unwind on Pool.terminate() instead of dying, which hung the pool."""
    notes = env / "notes"
    monkeypatch.setenv("OPTOUT_TEST_SIGTERM_NOTES", str(notes))
    monkeypatch.setattr(audit_module, "read_piece", _read_piece_noting_sigterm)
    monkeypatch.setattr(source, "CHUNK", 1000)
    path = write(env / "big.log", [combined(r) for r in TRAFFIC] * 40)
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        audit(env, capsys, path, extra=("--jobs", "2"))
        assert signal.getsignal(signal.SIGTERM) != signal.SIG_DFL  # the CLI's, when it forked
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert notes.read_text(encoding="utf-8").split() == ["True"] * 4


def test_piece_boundaries_own_each_line_once(tmp_path):
    path = tmp_path / "x.log"
    body = "".join(f"line {i} {'x' * (i % 17)}\n" for i in range(500))
    path.write_text(body)
    size = path.stat().st_size
    for cut in range(1, 40):
        bounds = [0, cut, cut * 3, size // 2, size]
        got = []
        for a, b in zip(bounds, bounds[1:], strict=False):
            got += [line for _, line in source.lines(source.Piece(str(path), "", a, b))]
        assert b"\n".join(got) + b"\n" == body.encode(), cut


def test_since_skips_earlier_days(env, capsys):
    data = audit(
        env, capsys, write(env / "a.log", map(combined, TRAFFIC)), extra=("--since", "2026-11-30")
    )
    assert data["before_since"] == 15 and data["requests"] == 8
    assert set(agents(data)) == {"ChatGPT-User"}


def test_malformed_and_hostile_lines_are_counted_never_fatal(env, capsys):
    good = [combined(r) for r in TRAFFIC]
    hostile_ua = "Evil\x1b[2J\x1b]0;owned\x07Bot"
    raw = b"\n".join(
        [
            good[0].encode(),
            b"this is not a log line",
            b'1.2.3.4 - - [99/Foo/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"',
            b"x" * (2 * 1024 * 1024),  # a 2 MiB line
            # Invalid UTF-8 in a user agent: still a request, from a browser.
            b'1.2.3.4 - - [28/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0 \xff\xfe"',
            # Log injection: a forged line and terminal escapes inside a path and agent.
            f'1.2.3.4 - - [28/Nov/2026:10:00:00 +0000] "GET /x\x1b[31m HTTP/1.1" 200 1 "-" "{hostile_ua}"'.encode(),
            b"\x00\x01\x02\x1b[2Jgarbage",
            *(line.encode() for line in good[1:]),
        ]
    )
    path = env / "hostile.log"
    path.write_bytes(raw + b"\n")
    data = audit(env, capsys, path)
    assert data["malformed"]["count"] == 4
    assert data["requests"] == 23 + 2
    assert summary(data)[2] == summary(audit(env, capsys, write(env / "g.log", good)))[2]
    assert any("longer than 1 MiB" in s for s in data["malformed"]["samples"])
    capsys.readouterr()
    run_cli(["logs", str(path), "-c", str(env / "sites.yaml")])
    text = capsys.readouterr().out
    assert "\x1b" not in text and "\x00" not in text and "\x07" not in text
    assert "\\x1b[2J" in text  # shown, escaped


def test_hostile_line_costs_no_memory(tmp_path):
    import tracemalloc

    path = tmp_path / "huge.log"
    with path.open("wb") as f:
        f.write(b"a" * (24 * 1024 * 1024) + b"\nok\n")
    tracemalloc.start()
    try:
        got = list(source.lines(source.Piece(str(path), "")))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == [(1, None), (2, b"ok")]
    assert peak < 8 * 1024 * 1024  # a few 1 MiB line buffers, not the 24 MiB line


def test_without_a_config_nothing_is_judged(env, capsys):
    path = write(env / "a.log", map(combined, TRAFFIC))
    capsys.readouterr()
    assert run_cli(["logs", str(path), "--ranges", str(env / "ranges.json"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["site"] is None and data["violations_total"] == 0
    assert agents(data)["GPTBot"]["spoofed"] == 2


def test_csv_schema(env, capsys):
    path = write(env / "a.log", map(combined, TRAFFIC))
    capsys.readouterr()
    run_cli(
        [
            "logs",
            str(path),
            "-c",
            str(env / "sites.yaml"),
            "--ranges",
            str(env / "ranges.json"),
            "--csv",
        ]
    )
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    agent_rows = {r["token"]: r for r in rows if r["record"] == "agent"}
    assert agent_rows["GPTBot"]["violation_images"] == "2"
    assert agent_rows["GPTBot"]["spoofed"] == "2"
    violations = [r for r in rows if r["record"] == "violation"]
    assert len(violations) == 6
    assert {(v["agent"], v["path"], v["request_bytes"]) for v in violations} >= {
        ("CCBot", "/gallery/d.png", "150")
    }


def test_packaged_snapshot_accuses_only_where_complete(env, capsys):
    # The shipped ranges are complete copies for OpenAI's and Google's crawlers (outside:
    # spoofed), none for Common Crawl (unverifiable). More in test_logs_ranges.py.
    path = write(env / "a.log", map(combined, TRAFFIC))
    capsys.readouterr()
    run_cli(["logs", str(path), "--json"])
    data = json.loads(capsys.readouterr().out)
    seen = agents(data)
    assert data["ranges"]["origin"] == "packaged snapshot"
    assert (seen["Googlebot"]["verified"], seen["Googlebot"]["ranges"]) == (2, "complete")
    # 20.171.206.9 is GPTBot's; 45.9.9.9 and 2a01:111:f403::7 are in no OpenAI file.
    assert (seen["GPTBot"]["verified"], seen["GPTBot"]["spoofed"]) == (5, 3)
    assert (seen["CCBot"]["unverifiable"], seen["CCBot"]["spoofed"]) == (2, 0)


def test_usage_errors_are_plain_words(env, capsys):
    path = write(env / "a.log", map(combined, TRAFFIC))
    cases = [
        (["--format", "json"], "--format json needs --fields"),
        (["--fields", "time=a"], "--fields: the mapping needs"),
        (["--jobs", "0"], "--jobs must be at least 1"),
    ]
    for extra, message in cases:
        capsys.readouterr()
        assert run_cli(["logs", str(path), *extra]) == 2
        assert message in capsys.readouterr().err
    assert run_cli(["logs", str(env / "missing.log")]) == 2
    assert "no such log file" in capsys.readouterr().err


def test_agents_ranges_lists_sources_and_completeness(capsys):
    assert run_cli(["agents", "ranges"]) == 0
    text = capsys.readouterr().out
    assert "packaged snapshot" in text and "https://openai.com/gptbot.json" in text
    gptbot = text.split("https://openai.com/gptbot.json")[1].split("OpenAI:")[0]
    assert "GPTBot: 21 prefixes (complete copy of 2026-05-11, created 2025-10-30" in gptbot
    assert "via github.com/FabrizioCafolla/openai-crawlers-ip-ranges" in gptbot
    ccbot = text.split("https://index.commoncrawl.org/ccbot.json")[1]
    assert "CCBot: 0 prefixes (no copy yet: unverifiable)" in ccbot
    assert "reverse DNS (not checked by the audit): search.msn.com" in text
