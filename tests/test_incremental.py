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


# --- nothing stale: edits that keep size and mtime, deletions, features turned off ------


def _same_size_edit(path: Path, old: bytes, new: bytes) -> None:
    """Edit a file keeping its size and mtime, as exiftool -P or touch -r would."""
    st = path.stat()
    data = path.read_bytes()
    assert old in data and len(old) == len(new)
    path.write_bytes(data.replace(old, new, 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_an_edit_that_keeps_size_and_mtime_is_published(make_config, site_dir, tmp_path):
    cfg = make_config()
    build(cfg)
    _same_size_edit(site_dir / "about/index.html", b"<h1>", b"<h2>")
    report = build(cfg)
    assert "about/index.html" in {f.path for f in report.sites[0].files if f.action == "changed"}
    assert b"<h2>" in (tmp_path / "out/about/index.html").read_bytes()


def test_a_changed_photo_with_its_old_date_replaces_the_published_one(
    make_config, site_dir, tmp_path
):
    """exiftool -P -gps:all= keeps the file date; the stripped photo must go out."""
    cfg = make_config()
    build(cfg)
    photo = site_dir / "images/coast.png"
    st = photo.stat()
    data = bytearray(photo.read_bytes())
    data[-20] ^= 0x01  # inside the last chunk's CRC region: a different file, same size
    photo.write_bytes(bytes(data))
    os.utime(photo, ns=(st.st_atime_ns, st.st_mtime_ns))
    for state_dir in (None, tmp_path / "fresh-state"):  # with the state, and without it
        build(cfg, state_dir=state_dir)
        out = (tmp_path / "out/images/coast.png").read_bytes()
        assert out[-20:] == bytes(data[-20:]), state_dir


def test_files_deleted_from_the_input_are_withdrawn_from_the_output(
    make_config, site_dir, tmp_path
):
    cfg = make_config()
    build(cfg)
    (site_dir / "images/forest.webp").unlink()
    report = build(cfg)
    removed = {f.path for f in report.sites[0].files if f.action == "removed"}
    assert removed == {"images/forest.webp"}
    assert not (tmp_path / "out/images/forest.webp").exists()
    # A file someone put into the output by hand is never ours to delete.
    (tmp_path / "out/notes.txt").write_text("mine")
    build(cfg)
    assert (tmp_path / "out/notes.txt").read_text() == "mine"


def test_a_feature_turned_off_withdraws_its_file(write_config, site_dir, tmp_path):
    with_rsl = CONFIG.format(input=site_dir, rules="    rsl: {enabled: true}\n")
    build(write_config(with_rsl))
    assert (tmp_path / "out/license.xml").exists()
    report = build(write_config(CONFIG.format(input=site_dir, rules="")))
    assert "license.xml" in {f.path for f in report.sites[0].files if f.action == "removed"}
    assert not (tmp_path / "out/license.xml").exists()


def test_a_withdrawn_file_someone_edited_is_left_alone(write_config, site_dir, tmp_path):
    build(write_config(CONFIG.format(input=site_dir, rules="    rsl: {enabled: true}\n")))
    (tmp_path / "out/license.xml").write_text("<rsl>edited by hand</rsl>")
    build(write_config(CONFIG.format(input=site_dir, rules="")))
    assert (tmp_path / "out/license.xml").read_text() == "<rsl>edited by hand</rsl>"
