"""A rebuild with nothing to do: nothing opened, rendered or written; anything changed still seen.

The site-level signals (robots.txt, tdmrep.json, ...) are skipped like the files when what
they are made from is as the last build left it; these tests hold each input and each
output of that promise to it (see build/sitelevel.py).
"""

from __future__ import annotations

import builtins
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from optout_site.build import build, pool
from optout_site.build.atomic import is_temp_name

CONFIG = """
sites:
  - name: s
    url: https://a.example
    input: {input}
    {output}
    reserve: [{reserve}]
    rightsholder: {{name: A}}
{extra}
"""


@pytest.fixture
def make_config(write_config, site_dir):
    def make(reserve: str = "tdm", extra: str = "", in_place: bool = False) -> Path:
        output = "" if in_place else "output: out"
        text = CONFIG.format(input=site_dir, output=output, reserve=reserve, extra=extra)
        return write_config(text)

    return make


class Opened:
    """Every path opened through open(), io.open() and os.open() while active."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[Path] = []
        for module, name in ((builtins, "open"), (io, "open"), (os, "open")):
            monkeypatch.setattr(module, name, self._spy(getattr(module, name)))

    def _spy(self, real):
        def spy(file, *args, **kwargs):
            if not isinstance(file, int):
                self.paths.append(Path(os.fsdecode(file)))
            return real(file, *args, **kwargs)

        return spy

    def under(self, *roots: Path) -> set[str]:
        """Opened files under ``roots``; not the probe that the output folder is writable
        (a temp file of ours, created and removed before every build)."""
        return {
            str(p)
            for p in self.paths
            for root in roots
            if p.is_relative_to(root) and not is_temp_name(p.name)
        }


def _signals(report) -> dict[str, str]:
    return {f.path: f.action for f in report.sites[0].files if f.kind == "signal"}


@pytest.mark.parametrize("in_place", [False, True])
def test_a_no_op_rebuild_opens_no_file_of_the_site_not_even_a_signal(
    make_config, site_dir, tmp_path, monkeypatch, in_place
):
    cfg = make_config(in_place=in_place)
    build(cfg, jobs=1)  # in place, the site's own robots.txt is read and rewritten here
    opened = Opened(monkeypatch)
    report = build(cfg, jobs=1)
    assert report.ok and report.changed == 0
    assert opened.under(site_dir, tmp_path / "out") == set()
    # ... and the report still names every signal, as unchanged, with its notes
    rendered = build(cfg, jobs=1, force=True)
    assert _signals(report) == _signals(rendered)
    assert {f.path: f.message for f in report.sites[0].files} == {
        f.path: f.message for f in rendered.sites[0].files
    }


def test_a_no_op_rebuild_writes_nothing_not_even_its_state(make_config):
    cfg = make_config()
    build(cfg, jobs=1)
    cache = Path(os.environ["XDG_CACHE_HOME"])
    before = {p: p.stat().st_mtime_ns for p in cache.rglob("*.json")}
    build(cfg, jobs=1)
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*.json")} == before


def test_a_no_op_keeps_each_files_kind_in_the_report(make_config):
    cfg = make_config()
    first = build(cfg, jobs=1)
    again = build(cfg, jobs=1)
    kinds = {f.path: f.kind for f in first.sites[0].files}
    assert {f.path: f.kind for f in again.sites[0].files} == kinds
    assert {"page", "image", "file"} <= set(kinds.values())


def test_a_no_op_stats_each_output_once(make_config, tmp_path, monkeypatch):
    cfg = make_config()
    build(cfg, jobs=1)
    counts: dict[str, int] = {}
    real = os.stat

    def spy(path, *args, **kwargs):
        counts[os.fsdecode(path)] = counts.get(os.fsdecode(path), 0) + 1
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", spy)
    build(cfg, jobs=1)
    page = str(tmp_path / "out" / "about" / "index.html")
    assert counts[page] == 1
    outputs = {
        p: n
        for p, n in counts.items()
        if Path(p).is_relative_to(tmp_path / "out") and Path(p).is_file()
    }
    assert max(outputs.values()) == 1, {p: n for p, n in outputs.items() if n > 1}


def test_a_deleted_robots_txt_is_restored_by_a_rebuild(make_config, tmp_path):
    cfg = make_config()
    build(cfg, jobs=1)
    robots = tmp_path / "out" / "robots.txt"
    text = robots.read_bytes()
    robots.unlink()
    report = build(cfg, jobs=1)
    assert robots.read_bytes() == text
    assert _signals(report)["robots.txt"] == "changed"


def _rewrite_keeping_size_and_mtime(path: Path, old: bytes, new: bytes) -> None:
    """An edit no size or mtime shows: same length, same inode, mtime set back."""
    assert len(old) == len(new)
    st = path.stat()
    data = path.read_bytes()
    assert old in data
    with path.open("r+b") as handle:  # same inode
        handle.write(data.replace(old, new, 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def test_a_signal_edited_keeping_size_and_mtime_is_repaired(make_config, tmp_path):
    cfg = make_config()
    build(cfg, jobs=1)
    tdmrep = tmp_path / "out" / ".well-known" / "tdmrep.json"
    text = tdmrep.read_bytes()
    _rewrite_keeping_size_and_mtime(tdmrep, b'"tdm-reservation": 1', b'"tdm-reservation": 0')
    build(cfg, jobs=1)
    assert tdmrep.read_bytes() == text


def test_the_sites_robots_txt_edited_keeping_size_and_mtime_is_merged(
    make_config, site_dir, tmp_path
):
    cfg = make_config()
    build(cfg, jobs=1)
    own = site_dir / "robots.txt"
    assert b"Disallow: /drafts/" in own.read_bytes()
    _rewrite_keeping_size_and_mtime(own, b"Disallow: /drafts/", b"Disallow: /secret/")
    build(cfg, jobs=1)
    out = (tmp_path / "out" / "robots.txt").read_bytes()
    assert b"Disallow: /secret/" in out and b"Disallow: /drafts/" not in out


def test_a_policy_change_renders_the_signals_again(make_config, tmp_path):
    build(make_config(), jobs=1)
    tdmrep = tmp_path / "out" / ".well-known" / "tdmrep.json"
    assert [rule["location"] for rule in json.loads(tdmrep.read_bytes())] == ["/"]
    rules = "    rules:\n      - {path: /press/, allow: [tdm]}\n"
    report = build(make_config(extra=rules), jobs=1)
    press = json.loads(tdmrep.read_bytes())[0]
    assert press["location"].startswith("/press/") and press["tdm-reservation"] == 0
    assert _signals(report)[".well-known/tdmrep.json"] == "changed"


def test_an_edited_theme_renders_the_reservation_page_again(make_config, tmp_path):
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "reservation_texts.yaml").write_text("en:\n  title: First words\n")
    cfg = make_config(extra=f"    reservation_page: {{templates: {theme}}}\n")
    build(cfg, jobs=1)
    page = tmp_path / "out" / "ai-reservation" / "index.html"
    assert b"First words" in page.read_bytes()
    (theme / "reservation_texts.yaml").write_text("en:\n  title: Other words\n")
    build(cfg, jobs=1)
    assert b"Other words" in page.read_bytes()


def test_an_edited_agent_registry_renders_robots_txt_again(make_config, tmp_path):
    extra = tmp_path / "extra.yaml"
    record = (
        'version: "1"\nagents:\n  - token: {token}\n    operator: X\n    category: train\n'
        "    honours_robots: yes\n    purpose: p\n    source: s\n    verified: 2026-01-01\n"
    )
    extra.write_text(record.format(token="FirstBot"))
    cfg = make_config(extra=f"    agents: {{registry: {extra}}}\n")
    build(cfg, jobs=1)
    robots = tmp_path / "out" / "robots.txt"
    assert b"FirstBot" in robots.read_bytes()
    extra.write_text(record.format(token="OtherBot"))
    build(cfg, jobs=1)
    assert b"OtherBot" in robots.read_bytes() and b"FirstBot" not in robots.read_bytes()


def test_force_renders_the_signals_again(make_config, site_dir, monkeypatch):
    cfg = make_config()
    build(cfg, jobs=1)
    opened = Opened(monkeypatch)
    build(cfg, jobs=1, force=True)
    assert str(site_dir / "robots.txt") in opened.under(site_dir)


def test_a_few_small_files_start_no_process_pool(make_config, site_dir, monkeypatch):
    import concurrent.futures

    def refused(*args, **kwargs):
        raise AssertionError("a process pool was started")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", refused)
    report = build(make_config(), jobs=4)
    assert report.ok and report.changed > 0
    # ... while a larger build does use one (the threshold, not the pool, decided)
    monkeypatch.setattr(pool, "SERIAL_FILES", 0)
    with pytest.raises(AssertionError, match="process pool"):
        build(make_config(), jobs=4, force=True)


def test_a_no_op_rebuild_imports_no_renderer_parser_or_pool(make_config, tmp_path):
    cfg = make_config()
    build(cfg, jobs=1)
    heavy = (
        "jinja2",
        "lxml",
        "PIL",
        "tqdm",
        "urllib.request",
        "concurrent.futures.process",
        "optout_site.html",
        "optout_site.images",
        "optout_site.signals",
        "optout_site.hosts",
        "optout_site.build.work",
        "optout_site.build.plan",
        *(f"optout_site.cli.{name}" for name in ("agents", "check", "init", "logs", "c2pa")),
    )
    probe = (
        "import sys\n"
        "from optout_site.cli import main\n"
        f"code = main(['build', '-c', {str(cfg)!r}, '--quiet'])\n"
        f"print([m for m in sys.modules if m.startswith({heavy!r})])\n"
        # the reservation texts are not parsed either (their languages are read from lines)
        "print(sys.modules['optout_site.config.languages'].shipped_texts.cache_info().currsize)\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "CI": "true"}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "0"]


def test_a_signal_folder_swapped_for_a_link_is_not_taken_for_ours(make_config, tmp_path):
    cfg = make_config()
    build(cfg, jobs=1)
    folder = tmp_path / "out" / ".well-known"
    folder.rename(tmp_path / "shared")
    folder.symlink_to(tmp_path / "shared")  # the very file we wrote, found through a link
    report = build(cfg, jobs=1)
    result = next(f for f in report.sites[0].files if f.path == ".well-known/tdmrep.json")
    assert result.action == "error" and "symbolic link" in result.message


def test_a_full_build_renders_the_reservation_pages_once(make_config, monkeypatch):
    from optout_site.signals import reservation

    calls: list[str] = []
    real = reservation.render

    def counted(site):
        calls.append(site.name)
        return real(site)

    monkeypatch.setattr(reservation, "render", counted)
    report = build(make_config(), jobs=1)
    assert report.ok and _signals(report)["ai-reservation/index.html"] == "changed"
    assert calls == ["s"]  # the theme check's pages are the ones published


def test_the_shipped_languages_read_from_lines_are_those_the_texts_parse_to():
    from optout_site.config import languages

    parsed = sorted(languages.shipped_texts())
    assert list(languages.shipped_languages()) == parsed and "en" in parsed and len(parsed) >= 5
