"""The audit's memory stays bounded: the report is written one violation record at a time,
never as a second copy of the list (up to 100 000 records; benchmarks/RESULTS.md measures a
whole run on a 5 GB log)."""

from __future__ import annotations

import dataclasses
import io
import json
import tracemalloc

import pytest

from optout_site.logs import audit, ranges, report, spill
from optout_site.logs.tally import Tally, Violation
from optout_site.signals.robots import agents


class _Sink:
    """Counts what is written and keeps none of it, like a pipe."""

    size = 0

    def write(self, text: str) -> int:
        self.size += len(text)
        return len(text)


def _tally(count: int) -> Tally:
    tally = Tally()
    for i in range(count):
        tally.violation(
            Violation(
                f"2026-11-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
                "GPTBot",
                f"/gallery/{i}.jpg",
                "/ (the policy reserves train here)",
                "image",
                200,
                1000,
                "20.171.206.9",
                "verified",
                "",
            )
        )
    return tally


def test_the_json_report_writes_violations_without_copying_them():
    tally = _tally(2000)
    judge = audit.Judge(agents.registry_for(None), ranges.load())
    sink = _Sink()
    tracemalloc.start()
    try:
        data = report.data(tally, judge, ["access.log"], None)
        report.write_json(data, sink)  # type: ignore[arg-type]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sink.size > 600_000  # all of it was written…
    # …one record at a time: 2 000 dicts held at once would take ~560 kB.
    assert peak < 64 * 1024, peak
    out = io.StringIO()
    report.write_json(report.data(tally, judge, ["access.log"], None), out)
    parsed = json.loads(out.getvalue())
    assert len(parsed["violations"]) == 2000
    assert parsed["violations"][5] == {
        "time": "2026-11-01T00:00:05Z",
        "agent": "GPTBot",
        "path": "/gallery/5.jpg",
        "rule": "/ (the policy reserves train here)",
        "kind": "image",
        "status": 200,
        "bytes": 1000,
        "ip": "20.171.206.9",
        "verification": "verified",
        "judged_by": None,
    }


@pytest.mark.slow  # 8 MB of reports written under tracemalloc: 11 s on a slow machine
def test_spilled_records_are_streamed_not_held(tmp_path):
    # Four pieces' records, as the workers spill them: the report reads them as one sorted
    # stream, never as a list (20 000 records held at once would take ~7 MB).
    tally = Tally(keep=20_000)
    for piece in range(4):
        part = _tally(5000)
        part.violations = [
            dataclasses.replace(v, path=f"/{piece}{v.path}") for v in part.violations
        ]
        spill.park(part, str(tmp_path))
        tally.merge(part)
    judge = audit.Judge(agents.registry_for(None), ranges.load())
    json_sink, csv_sink = _Sink(), _Sink()
    tracemalloc.start()
    try:
        data = report.data(tally, judge, ["access.log"], None)
        report.write_json(data, json_sink)  # type: ignore[arg-type]
        report.write_csv(data, csv_sink)  # type: ignore[arg-type]
        text = report.to_text(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert json_sink.size > 6_000_000 and csv_sink.size > 2_000_000  # all of it was written
    assert "/0/gallery/0.jpg" in text  # the oldest first: the merge is sorted
    # Four open runs hold a batch each (~4 × 256 records).
    assert peak < 1_500_000, peak
