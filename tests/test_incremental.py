"""Incremental builds: unchanged files are not opened, config changes re-stamp what they affect."""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path

import pytest

from optout_site.build import atomic, build

CONFIG = """
sites:
  - name: s
    url: https://a.example
    input: {input}
    output: out
    reserve: [tdm]
    rightsholder: {{name: A}}
{rules}
"""


@pytest.fixture
def make_config(write_config, site_dir):
    def make(rules: str = "") -> Path:
        return write_config(CONFIG.format(input=site_dir, rules=rules))

    return make


def test_rebuild_opens_no_site_file(make_config, site_dir, tmp_path, monkeypatch):
    cfg = make_config()
    build(cfg, jobs=1)
    opened: list[str] = []
    real_open = builtins.open
    real_io_open = io.open

    def spy(file, *args, **kwargs):
        opened.append(os.fspath(file) if not isinstance(file, int) else str(file))
        return real_open(file, *args, **kwargs)

    def spy_io(file, *args, **kwargs):
        opened.append(os.fspath(file) if not isinstance(file, int) else str(file))
        return real_io_open(file, *args, **kwargs)

    writes: list[Path] = []
    real_replace = atomic.replace

    def spy_replace(target, *args, **kwargs):
        writes.append(target)
        return real_replace(target, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy_io)
    monkeypatch.setattr(atomic, "replace", spy_replace)
    report = build(cfg, jobs=1)
    assert report.changed == 0
    assert writes == [] or all(w.name.endswith(".json") and "cache" in str(w) for w in writes)
    signals = {f.path for f in report.sites[0].files if f.kind == "signal"}
    touched = {
        Path(p).relative_to(root).as_posix()
        for p in opened
        for root in (site_dir, tmp_path / "out")
        if Path(p).is_relative_to(root)
    }
    # Site-level signals (a handful of small files) are compared; no page or image is opened.
    assert touched <= signals, touched - signals


def test_source_change_restamps_only_that_file(make_config, site_dir):
    cfg = make_config()
    build(cfg)
    page = site_dir / "about" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"I photograph", b"I photograph and print"))
    report = build(cfg)
    changed = [f.path for f in report.sites[0].files if f.action in ("changed", "copied")]
    assert changed == ["about/index.html"]


def test_config_change_restamps_affected_files(make_config, tmp_path):
    build(make_config())
    report = build(make_config("    rules:\n      - {path: /press/, allow: [tdm]}\n"))
    changed = {f.path for f in report.sites[0].files if f.action == "changed"}
    assert "press/index.html" in changed and "press/portrait.jpg" in changed
    assert "about/index.html" not in changed
    assert b'content="0"' in (tmp_path / "out/press/index.html").read_bytes()


def test_force_rebuilds_but_changes_no_byte(make_config, tmp_path):
    cfg = make_config()
    build(cfg)
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    report = build(cfg, force=True)
    assert report.ok and report.changed == 0
    assert {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()} == before


def test_output_edited_by_hand_is_repaired(make_config, tmp_path):
    cfg = make_config()
    build(cfg)
    page = tmp_path / "out" / "index.html"
    page.write_bytes(b"<html><head></head><body>clobbered</body></html>")
    build(cfg)
    assert b"Light on stone and water" in page.read_bytes()


def test_corrupt_state_file_is_ignored(make_config, tmp_path):
    cfg = make_config()
    build(cfg)
    for state in Path(os.environ["XDG_CACHE_HOME"]).rglob("*.json"):
        state.write_text("{not json")
    report = build(cfg)
    assert report.ok and report.changed == 0


def test_jobs_1_and_jobs_4_are_byte_identical(write_config, site_dir, tmp_path):
    outputs = []
    for jobs in (1, 4):
        cfg = write_config(
            CONFIG.format(input=site_dir, rules="").replace("output: out", f"output: out{jobs}")
        )
        build(cfg, jobs=jobs)
        root = tmp_path / f"out{jobs}"
        outputs.append(
            {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
        )
    assert outputs[0] == outputs[1]
