"""Kept violation records spilled to disk: the report keeps exactly what it kept when the
parent sorted them in memory, whatever the number of processes, and the temporary folder
goes whatever happens.

``data/logs_kept_before.json`` was written by the code before the spill (commit 5daf07d)
with the same logs, cap and pieces (the generator is ``logtraffic.crawl``)."""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import os
import random
import stat
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from logtraffic import RANGES, combined, crawl
from support import JANE_SITE, run_cli

from optout_site.logs import audit, report, source, spill
from optout_site.logs.tally import Tally, Violation

BEFORE = json.loads((Path(__file__).parent / "data" / "logs_kept_before.json").read_text())
KEEP = 40  # the cap the fixture was written with


@pytest.fixture
def env(tmp_path, monkeypatch):
    (tmp_path / "public").mkdir()
    (tmp_path / "sites.yaml").write_text(JANE_SITE, encoding="utf-8")
    (tmp_path / "ranges.json").write_text(json.dumps(RANGES), encoding="utf-8")
    (tmp_path / "tmp").mkdir()
    # Inherited by the forked workers: four pieces, 40 records kept, spills in tmp/.
    monkeypatch.setattr(source, "CHUNK", 4000)
    monkeypatch.setattr(audit, "Options", functools.partial(audit.Options, keep=KEEP))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    lines = [combined(r) for r in crawl(1500, 16)]
    (tmp_path / "ordered.log").write_text("".join(f"{line}\n" for line in lines))
    random.Random(16).shuffle(lines)
    (tmp_path / "shuffled.log").write_text("".join(f"{line}\n" for line in lines))
    assert len(source.pieces([str(tmp_path / "ordered.log")], 2)) == 4
    return tmp_path


def logs(env, capsys, name, *extra):
    capsys.readouterr()
    argv = ["logs", str(env / name), "-c", str(env / "sites.yaml")]
    run_cli([*argv, "--ranges", str(env / "ranges.json"), *extra])
    return capsys.readouterr().out


def kept(env, capsys, name, jobs):
    data = json.loads(logs(env, capsys, name, "--json", "--jobs", jobs))
    rows = csv.reader(io.StringIO(logs(env, capsys, name, "--csv", "--jobs", jobs)))
    return {
        "violations": data["violations"],
        "violations_total": data["violations_total"],
        "violations_per_day": data["violations_per_day"],
        "csv_violation_rows": [row for row in rows if row[0] == "violation"],
    }


@pytest.mark.parametrize(
    ("name", "jobs", "case"),
    [
        ("ordered.log", "1", "ordered"),
        ("ordered.log", "2", "ordered"),
        ("shuffled.log", "1", "shuffled --jobs 1"),
        ("shuffled.log", "2", "shuffled --jobs 2"),
    ],
)
def test_same_records_kept_as_before_the_spill(env, capsys, name, jobs, case):
    got = kept(env, capsys, name, jobs)
    assert got["violations_total"] > 10 * KEEP
    assert len(got["violations"]) == KEEP
    assert got == BEFORE[case]
    assert os.listdir(env / "tmp") == []


def test_one_process_or_two_write_the_same_report(env, capsys):
    # A log in time order: every piece's first records are the log's first ones.
    for extra in (("--json",), ("--csv",), ()):
        one = logs(env, capsys, "ordered.log", *extra, "--jobs", "1")
        two = logs(env, capsys, "ordered.log", *extra, "--jobs", "2")
        assert one == two
    assert "Requests the policy disallowed (5" in one


def test_the_parent_holds_no_record(env):
    from optout_site import config
    from optout_site.logs import ranges
    from optout_site.signals.robots import agents

    site = config.load(env / "sites.yaml").select(None)[0]
    judge = audit.Judge(agents.registry_for(site), ranges.load(env / "ranges.json"), site)
    with spill.folder() as where:
        assert stat.S_IMODE(os.stat(where).st_mode) == 0o700  # private
        tally = audit.run([str(env / "shuffled.log")], judge, audit.Options(), 2, where)
        assert tally.violations == []
        assert len(tally.runs) == 4
        assert all(run.count <= KEEP for run in tally.runs)
        assert len(spill.Kept.of(tally)) == KEEP
    assert not os.path.exists(where)


@pytest.mark.parametrize("crash", [KeyboardInterrupt, OSError])
def test_the_folder_goes_on_error_and_interrupt(env, capsys, monkeypatch, crash):
    seen = []

    def stop(data, out):
        seen.extend(os.listdir(env / "tmp"))
        raise crash()

    monkeypatch.setattr(report, "write_json", stop)
    # The CLI turns Ctrl-C into exit code 130; either way the folder must be gone.
    with contextlib.suppress(crash):
        logs(env, capsys, "shuffled.log", "--json", "--jobs", "2")
    assert len(seen) == 1  # the runs were there…
    assert os.listdir(env / "tmp") == []  # …and are gone


violations = st.builds(
    Violation,
    st.sampled_from(["2026-11-01T00:00:00Z", "2026-11-01T00:00:01Z", "2026-11-02T10:00:00Z"]),
    st.sampled_from(["GPTBot", "CCBot"]),
    st.text(max_size=5).map(lambda s: "/" + s),
    st.just("/ (reserved)"),
    st.sampled_from(["page", "image"]),
    st.sampled_from([200, 304]),
    st.integers(0, 10),
    st.sampled_from(["1.2.3.4", "::1"]),
    st.just("verified"),
    st.sampled_from(["", "000001"]),
)


@given(st.lists(st.lists(violations, max_size=30), max_size=20), st.integers(1, 60))
def test_runs_merge_into_the_first_records_of_their_union(pieces, keep):
    # Few runs before they are merged into one, so that merging happens here.
    with spill.folder() as where, mock.patch.object(spill, "MAX_RUNS", 3):
        total = Tally(keep=keep)
        for records in pieces:
            piece = Tally(keep=keep)
            for record in records:
                piece.violation(record)
            spill.park(piece, where)
            total.merge(piece)
            spill.compact(total, where)
        assert len(total.runs) <= 3
        kept = spill.Kept.of(total)
        # What the parent computed in memory before: the sorted union of each piece's
        # first records, cut at the cap.
        expected = sorted(r for records in pieces for r in records[:keep])[:keep]
        assert list(kept) == expected
        assert list(kept) == expected  # read again, same records
        assert len(kept) == len(expected)
        assert kept[:3] == expected[:3]
        assert len(os.listdir(where)) == len(total.runs)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), json_values, max_size=5), st.lists(violations, max_size=5))
def test_json_report_is_what_json_dump_wrote(report_, records):
    # The streaming writer against the writer it replaced (json.dump with indent=2).
    data = {"evidence": None, **report_, "violations": records}
    out = io.StringIO()
    report.write_json(data, out)

    def encode(value):
        return report.violation_json(value, {})

    expected = io.StringIO()
    json.dump(data, expected, indent=2, ensure_ascii=False, default=encode)
    expected.write("\n")
    assert out.getvalue() == expected.getvalue()
