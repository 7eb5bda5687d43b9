"""Paths the system cannot take (over 4096 bytes, or a name over 255 bytes) are reported as
that file's or folder's error; the rest of the build and of the check completes."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from optout_site.build import build, pipeline, scan
from optout_site.cli import main

HOME = b"<!DOCTYPE html><title>t</title><p>hi"
LEVEL = "d" * 250


def deep_tree(root: Path, levels: int = 17) -> str:
    """``root/LEVEL/…/deep.html`` longer than PATH_MAX, made one folder at a time."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir(LEVEL, dir_fd=fd)
            inner = os.open(LEVEL, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        page = os.open("deep.html", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(page, b"<p>deep")
        os.close(page)
    finally:
        os.close(fd)
    return "/".join([LEVEL] * levels)


def site(tmp_path: Path, extra: str = "", name: str = "s") -> Path:
    public = tmp_path / "public"
    public.mkdir(exist_ok=True)
    (public / "index.html").write_bytes(HOME)
    cfg = tmp_path / "sites.yaml"
    cfg.write_text(
        f"sites:\n  - name: {name}\n    url: https://a.example\n    input: public\n"
        f"    rightsholder: {{name: A}}\n{extra}",
        encoding="utf-8",
    )
    return cfg


def problems(report) -> dict[str, str]:
    return {p.path: p.message for p in report.sites[0].problems}


def test_in_place_a_folder_too_deep_to_read_is_an_error_and_the_rest_is_built(tmp_path):
    cfg = site(tmp_path)
    deep_tree(tmp_path / "public")
    report = build(cfg, state_dir=tmp_path / "state")
    assert not report.ok
    [(where, message)] = [(p, m) for p, m in problems(report).items() if "too long" in m]
    assert where.startswith(LEVEL) and "folder not read" in message
    assert b"tdm-reservation" in (tmp_path / "public/index.html").read_bytes()
    assert (tmp_path / "public/robots.txt").is_file()


def test_check_of_a_folder_too_deep_to_read_says_what_it_did_not_check(tmp_path, capsys):
    cfg = site(tmp_path)
    deep_tree(tmp_path / "public")
    build(cfg, state_dir=tmp_path / "state")
    capsys.readouterr()
    code = main(["check", str(tmp_path / "public")])
    said = capsys.readouterr()
    assert "Traceback" not in said.err
    assert code == 1 and "not checked: folder not read: path too long" in said.out


def test_output_mode_a_path_too_long_for_the_output_is_that_files_error(tmp_path):
    # Fits under the input, not under the longer output folder.
    cfg = site(tmp_path, f"    output: {'o' * 250}/out\n")
    deep = deep_tree(tmp_path / "public", levels=15)
    report = build(cfg, state_dir=tmp_path / "state")
    assert not report.ok
    assert "path too long" in problems(report)[f"{deep}/deep.html"]
    out = tmp_path / ("o" * 250) / "out"
    assert b"tdm-reservation" in (out / "index.html").read_bytes()


def test_names_over_255_bytes_in_the_config_are_that_files_error(tmp_path):
    long = "r" * 300
    cfg = site(tmp_path, f"    reservation_page: {{path: /{long}/}}\n", name="n" * 300)
    report = build(cfg, state_dir=tmp_path / "state")
    assert "path too long" in problems(report)[f"{long}/index.html"]
    assert b"tdm-reservation" in (tmp_path / "public/index.html").read_bytes()
    assert (tmp_path / "public/robots.txt").is_file()


def test_what_a_folder_that_could_not_be_read_published_is_not_withdrawn(tmp_path, monkeypatch):
    cfg = site(tmp_path, "    output: out\n")
    (tmp_path / "public/gallery").mkdir()
    (tmp_path / "public/gallery/a.html").write_bytes(HOME)
    assert build(cfg, state_dir=tmp_path / "state").ok
    published = tmp_path / "out/gallery/a.html"
    assert published.is_file()
    real = scan.scan

    def gallery_unreadable(root: Path):
        entries, skipped = real(root)
        kept = [e for e in entries if e.rel.parts[0] != "gallery"]
        return kept, [*skipped, scan.Skipped(PurePosixPath("gallery"), "folder not read", True)]

    monkeypatch.setattr(pipeline, "scan", gallery_unreadable)
    report = build(cfg, state_dir=tmp_path / "state")
    assert problems(report) == {"gallery": "folder not read"}
    assert published.is_file()  # still published: it may well still be in the input
    monkeypatch.undo()
    (tmp_path / "public/gallery/a.html").unlink()
    assert build(cfg, state_dir=tmp_path / "state").ok
    assert not published.exists()  # gone from the input: withdrawn after all


@pytest.fixture(autouse=True)
def _no_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
