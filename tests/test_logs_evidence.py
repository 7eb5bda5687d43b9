"""`optout-site logs` judging each request by the robots.txt recorded for its date: two real
builds with different policies leave two evidence records, and requests on either side of
the change are judged by the record in force at their time."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import types

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from logtraffic import GPTBOT, _t, combined
from logtraffic import Req as R
from support import JANE_SITE, examples, run_cli

from optout_site.errors import PolicyError
from optout_site.evidence import ledger, record
from optout_site.policy import Policy, Rule, Use

# Before: JANE_SITE's policy, training reserved everywhere but /press/. After: training
# allowed, except in /gallery/. The config on disk at audit time is the second one.
_LEDGER = "    output: out\n    evidence: {dir: evidence}\n"
BEFORE = JANE_SITE + _LEDGER
AFTER = (
    JANE_SITE.split("    reserve:")[0]
    + "    reserve: [ai-input]\n    allow: [tdm, train, search]\n"
    + "    rules: [{path: /gallery/, reserve: [tdm, train, ai-input]}]\n"
    + _LEDGER
)
FIRST, SECOND = "2026-11-29T12:00:00Z", "2026-11-30T12:00:00Z"


def _build(tmp_path, monkeypatch, capsys, text: str, created: str) -> None:
    (tmp_path / "sites.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(ledger, "now", lambda: created)
    code = run_cli(["build", "-c", str(tmp_path / "sites.yaml"), "--state-dir", str(tmp_path)])
    assert code == 0, capsys.readouterr()


@pytest.fixture
def site(tmp_path, monkeypatch, capsys):
    for page in ("", "press/", "gallery/"):
        folder = tmp_path / "public" / page
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.html").write_text(
            "<!doctype html><html><head><title>x</title></head><body>x</body></html>",
            encoding="utf-8",
        )
    _build(tmp_path, monkeypatch, capsys, BEFORE, FIRST)
    robots_before = hashlib.sha256((tmp_path / "out" / "robots.txt").read_bytes()).hexdigest()
    _build(tmp_path, monkeypatch, capsys, AFTER, SECOND)
    records = ledger.records(tmp_path / "evidence" / "jane")
    assert [p.name for p in records] == [
        "000001-20261129T120000Z.json",
        "000002-20261130T120000Z.json",
    ]
    return tmp_path, records, robots_before


# GPTBot from OpenAI's range (the packaged snapshot verifies it): category genai-train.
TRAFFIC = [
    R("20.171.206.9", _t(28, 10), "/gallery/", 200, 100, GPTBOT),  # before any record
    R("20.171.206.9", _t(29, 12), "/", 200, 101, GPTBOT),  # the first record's very second
    R("20.171.206.9", _t(29, 13), "/gallery/", 200, 102, GPTBOT),
    R("20.171.206.9", _t(29, 14), "/press/", 200, 103, GPTBOT),  # allowed then
    R("20.171.206.9", _t(30, 11, 59), "/", 200, 104, GPTBOT),  # last minute of the first
    R("20.171.206.9", _t(30, 12), "/", 200, 105, GPTBOT),  # allowed from now on
    R("20.171.206.9", _t(30, 13), "/gallery/", 200, 106, GPTBOT),
    R("20.171.206.9", _t(30, 14), "/press/", 200, 107, GPTBOT),
    R("20.171.206.9", _t(30, 14, 1), "/robots.txt", 200, 108, GPTBOT),  # never judged
]


def _audit(root, capsys, *extra):
    log = root / "access.log"
    log.write_text("".join(combined(r) + "\n" for r in TRAFFIC), encoding="utf-8")
    capsys.readouterr()
    code = run_cli(["logs", str(log), "-c", str(root / "sites.yaml"), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_each_request_is_judged_by_the_record_of_its_time(site, capsys):
    root, (first, second), robots_before = site
    code, out = _audit(root, capsys, "--json")
    assert code == 1
    data = json.loads(out)
    found = [(v["time"], v["path"], v["judged_by"]["id"], v["rule"]) for v in data["violations"]]
    assert found == [
        ("2026-11-29T12:00:00Z", "/", first.name, "/ (the policy reserves genai-train here)"),
        (
            "2026-11-29T13:00:00Z",
            "/gallery/",
            first.name,
            "/ (the policy reserves genai-train here)",
        ),
        ("2026-11-30T11:59:00Z", "/", first.name, "/ (the policy reserves genai-train here)"),
        (
            "2026-11-30T13:00:00Z",
            "/gallery/",
            second.name,
            "/gallery/ (the policy reserves genai-train here)",
        ),
    ]
    (gpt,) = data["agents"]
    assert (gpt["hits"], gpt["verified"], gpt["violations"]) == (9, 9, 4)
    assert gpt["before_first_record"] == 1
    # Each violation names the record: its id, date and digests, checkable with sha256sum.
    by_id = {v["judged_by"]["id"]: v["judged_by"] for v in data["violations"]}
    for path in (first, second):
        assert by_id[path.name]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert by_id[first.name]["created"] == FIRST
    assert by_id[first.name]["robots_sha256"] == robots_before
    robots_now = hashlib.sha256((root / "out" / "robots.txt").read_bytes()).hexdigest()
    assert by_id[second.name]["robots_sha256"] == robots_now != robots_before
    evidence = data["evidence"]
    assert evidence["folder"] == str(root / "evidence" / "jane")
    assert [r["id"] for r in evidence["records"]] == [first.name, second.name]
    assert evidence["before_first_record"] == 1


def test_text_and_csv_name_the_record(site, capsys):
    root, (first, second), _ = site
    _, text = _audit(root, capsys)
    assert "Judged by the robots.txt of 2 evidence record(s)" in text
    assert "1 request(s) by registry agents before the first record (2026-11-29T12:00:00Z)" in text
    assert f"; record {first.name})" in text and f"; record {second.name})" in text
    _, table = _audit(root, capsys, "--csv")
    rows = [r for r in csv.DictReader(io.StringIO(table)) if r["record"] == "violation"]
    assert [r["judged_by"] for r in rows] == [first.name] * 3 + [second.name]


def test_without_records_the_current_policy_judges(site, capsys):
    root, _, _ = site
    shutil.rmtree(root / "evidence")
    code, out = _audit(root, capsys, "--json")
    data = json.loads(out)
    assert data["evidence"] is None
    # AFTER's policy: only /gallery/ is disallowed, whatever the date.
    found = [(v["time"][:10], v["path"], v["judged_by"]) for v in data["violations"]]
    assert found == [
        ("2026-11-28", "/gallery/", None),
        ("2026-11-29", "/gallery/", None),
        ("2026-11-30", "/gallery/", None),
    ]
    assert data["agents"][0]["before_first_record"] == 0


def test_an_unreadable_record_is_a_plain_error(site, capsys):
    root, (first, _), _ = site
    value = json.loads(first.read_text(encoding="utf-8"))
    value["policy"]["rules"][0]["reserved"] = ["mining"]
    first.write_text(json.dumps(value), encoding="utf-8")
    code, err = _audit(root, capsys)
    assert code == 2
    assert first.name in err and "policy.rules" in err


# --- the recorded decision table is the policy's -----------------------------------------

_uses = st.frozensets(st.sampled_from(list(Use)))
_pattern = st.text(alphabet="/ab*$%é", min_size=1, max_size=6).map(lambda t: "/" + t)


@settings(max_examples=examples(200), deadline=None)
@given(
    reserve=_uses,
    rules=st.lists(st.tuples(_pattern, _uses, _uses), max_size=6),
    probes=st.lists(st.text(alphabet="/ab$%é.", max_size=8).map(lambda t: "/" + t), max_size=10),
)
def test_recorded_rules_resolve_as_the_policy_did(reserve, rules, probes):
    try:
        policy = Policy(
            reserve=reserve,
            rules=tuple(Rule(p, reserve=r - a, allow=a) for p, r, a in rules),
        )
        policy.ordered_decisions  # noqa: B018 (raises on a contradictory rule)
    except PolicyError:
        assume(False)
    summary = record.policy_summary(types.SimpleNamespace(policy=policy))  # type: ignore[arg-type]
    # Through the record's canonical bytes and back, as `logs` reads it from the ledger.
    recorded = record.decisions_of({"policy": json.loads(record.canonical(summary))})
    for path in [*probes, *(p for p, _, _ in rules)]:
        assert recorded.resolve(path) == policy.resolve(path), path
