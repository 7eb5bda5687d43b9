"""Shared fixtures: a minimal site folder and a helper that writes a sites.yaml for it."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "portfolio" / "public"


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    """A copy of the bundled example site, safe to stamp in place."""
    target = tmp_path / "public"
    shutil.copytree(EXAMPLE, target, symlinks=True)
    return target


@pytest.fixture
def write_config(tmp_path: Path):
    def write(text: str, name: str = "sites.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Incremental state goes to a per-test cache, never the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
