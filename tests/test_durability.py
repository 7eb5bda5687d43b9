"""Durability is a setting: a replaced file is fsynced (with its folder) unless the build
runs with OPTOUT_SITE_DURABILITY=ci, on a checkout that is thrown away."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from optout_site.build import atomic


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


@pytest.mark.parametrize("setting", [None, "full", "", "FULL", "cii"])
def test_replacing_a_file_is_fsynced_with_its_folder(monkeypatch, fsyncs, tmp_path, setting):
    if setting is None:
        monkeypatch.delenv(atomic.DURABILITY_ENV, raising=False)
    else:
        monkeypatch.setenv(atomic.DURABILITY_ENV, setting)
    page = tmp_path / "page.html"
    page.write_bytes(b"the user's only copy")
    atomic.write_bytes(page, b"stamped")
    assert page.read_bytes() == b"stamped"
    assert len(fsyncs) == 2  # the file, then the folder that holds the new name


@pytest.mark.parametrize("setting", ["ci", " CI "])
def test_ci_durability_skips_fsync(monkeypatch, fsyncs, tmp_path, setting):
    monkeypatch.setenv(atomic.DURABILITY_ENV, setting)
    page = tmp_path / "page.html"
    page.write_bytes(b"a disposable checkout")
    atomic.write_bytes(page, b"stamped")
    assert page.read_bytes() == b"stamped"
    assert fsyncs == []


def test_a_new_file_is_not_fsynced(monkeypatch, fsyncs, tmp_path):
    monkeypatch.delenv(atomic.DURABILITY_ENV, raising=False)
    atomic.write_bytes(tmp_path / "new.html", b"nothing of the user's was here")
    assert fsyncs == []


def test_a_build_in_place_fsyncs_and_in_ci_does_not(monkeypatch, fsyncs, tmp_path: Path):
    from optout_site.build.work import _replace_if_changed

    page = tmp_path / "index.html"
    page.write_bytes(b"<p>old</p>")
    monkeypatch.delenv(atomic.DURABILITY_ENV, raising=False)
    _replace_if_changed(page, b"<p>new</p>", dry_run=False)
    assert len(fsyncs) == 2
    monkeypatch.setenv(atomic.DURABILITY_ENV, "ci")
    _replace_if_changed(page, b"<p>newer</p>", dry_run=False)
    assert len(fsyncs) == 2 and page.read_bytes() == b"<p>newer</p>"
