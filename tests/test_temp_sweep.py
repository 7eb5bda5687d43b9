"""The start-up sweep removes only temp files a build recorded creating: a killed build's
leftovers go, a file of the user's that merely looks like one stays (and is published)."""

from __future__ import annotations

import os
from pathlib import Path

from optout_site.build import atomic, build
from optout_site.build.pipeline import lock_path
from optout_site.config import load


def config(tmp_path: Path, output: str = "") -> Path:
    (tmp_path / "public/css").mkdir(parents=True, exist_ok=True)
    (tmp_path / "public/index.html").write_bytes(b"<!DOCTYPE html><title>t</title><p>hi")
    path = tmp_path / "sites.yaml"
    path.write_text(
        "sites:\n  - name: s\n    url: https://a.example\n    input: public\n"
        f"    rightsholder: {{name: A}}\n{output}",
        encoding="utf-8",
    )
    return path


def test_a_users_file_named_like_a_temp_file_survives(tmp_path):
    cfg = config(tmp_path)
    mine = tmp_path / "public/css/.optout-site-tmp-notes.txt"
    mine.write_bytes(b"mine")
    shaped = tmp_path / "public/.optout-site-tmp-0123456789abcdef"
    shaped.write_bytes(b"also mine, and brand new")
    report = build(cfg, state_dir=tmp_path / "state")
    assert report.ok, report.render()
    assert mine.read_bytes() == b"mine" and shaped.exists()
    # Shaped exactly like ours, it is not published, and the report says so.
    skipped = {f.path: f.message for f in report.sites[0].files if f.action == "skipped"}
    assert "temp file" in skipped[".optout-site-tmp-0123456789abcdef"]


def test_in_output_mode_a_users_lookalike_file_is_published(tmp_path):
    cfg = config(tmp_path, "    output: out\n")
    (tmp_path / "public/css/.optout-site-tmp-notes.txt").write_bytes(b"mine")
    assert build(cfg, state_dir=tmp_path / "state").ok
    assert (tmp_path / "out/css/.optout-site-tmp-notes.txt").read_bytes() == b"mine"


def test_a_killed_builds_leftovers_are_swept(tmp_path):
    cfg = config(tmp_path)
    site = load(cfg).sites[0]
    journal = lock_path(site, tmp_path / "state").with_suffix(".temps")
    journal.parent.mkdir(parents=True)
    with atomic.recording_temps(journal):  # a build killed with its temp file open
        fd, left = atomic._create_temp(tmp_path / "public/css")
        os.close(fd)
    assert left.exists()
    assert build(cfg, state_dir=tmp_path / "state").ok
    assert not left.exists() and not journal.exists()
    assert sorted(p.name for p in (tmp_path / "public/css").iterdir()) == []


def test_the_journal_never_reaches_outside_the_output(tmp_path):
    cfg = config(tmp_path)
    site = load(cfg).sites[0]
    journal = lock_path(site, tmp_path / "state").with_suffix(".temps")
    journal.parent.mkdir(parents=True)
    elsewhere = tmp_path / (atomic.TEMP_PREFIX + "0123456789abcdef")
    elsewhere.write_bytes(b"not under the output")
    journal.write_bytes(os.fsencode(elsewhere) + b"\0")
    assert build(cfg, state_dir=tmp_path / "state").ok
    assert elsewhere.exists()
