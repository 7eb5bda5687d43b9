"""A broken theme (``reservation_page.templates``) is a config error: exit 2, the file and line
named, nothing written, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from optout_site.cli import main

PAGE = b"<!DOCTYPE html><title>home</title><p>hi"


@pytest.fixture
def theme(tmp_path: Path) -> Path:
    folder = tmp_path / "theme"
    folder.mkdir()
    return folder


def run(tmp_path: Path, theme: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    for name in ("public", "other"):
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "index.html").write_bytes(PAGE)
    cfg = tmp_path / "sites.yaml"
    cfg.write_text(
        "sites:\n"
        "  - name: other\n"
        f"    url: https://b.example\n    input: {tmp_path / 'other'}\n"
        "    rightsholder: {name: B}\n"
        "  - name: s\n"
        f"    url: https://a.example\n    input: {tmp_path / 'public'}\n"
        "    rightsholder: {name: A}\n"
        f"    reservation_page: {{templates: {theme}}}\n",
        encoding="utf-8",
    )
    code = main(["build", "--config", str(cfg), "--jobs", "1"])
    out = capsys.readouterr()
    # Exit 2 means nothing was written, for any site.
    for name in ("public", "other"):
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == ["index.html"]
        assert (tmp_path / name / "index.html").read_bytes() == PAGE
    assert "Traceback" not in out.err
    return code, out.err + out.out


TEMPLATES = {
    "syntax error": ("<!DOCTYPE html>\n<p>{{ holder.name }}\n{% if %}\n", 3, "syntax"),
    "unknown tag": ("<p>\n{% frobnicate %}\n", 2, "frobnicate"),
    "undefined called": ("<p>\n\n{{ nosuch(1) }}\n", 3, "nosuch"),
    "undefined arithmetic": ("<p>{{ holder.name }}</p>\n{{ nosuch + 1 }}\n", 2, "nosuch"),
    "runtime error in a block": (
        '{% extends "reservation_base.html.j2" %}\n{% block style %}\n{{ 1 // 0 }}\n'
        "{% endblock %}\n",
        3,
        "division",
    ),
    "missing parent": ('{% extends "nosuch.j2" %}\n', 1, "nosuch.j2"),
}


@pytest.mark.parametrize("case", TEMPLATES)
def test_a_broken_template_is_named_at_its_line(tmp_path, theme, capsys, case):
    source, line, words = TEMPLATES[case]
    (theme / "reservation.html.j2").write_text(source, encoding="utf-8")
    code, said = run(tmp_path, theme, capsys)
    assert code == 2, said
    assert f"{theme / 'reservation.html.j2'}:{line}" in said
    assert words in said.lower()


TEXTS = {
    "yaml syntax": ("en:\n  title: [unclosed\n", 3, "YAML syntax error"),
    "not a mapping": ("- en\n- fr\n", 1, "mapping"),
    "language not a mapping": ("en: hello\n", 1, "mapping"),
    "text not a string": ("fr:\n  title: [a, b]\n", 2, "title"),
    "uses not a mapping": ("en:\n  uses: reserved\n", 2, "uses"),
    "unknown placeholder": ("en:\n  declaration: 'Hi {holdr}'\n", 2, "holdr"),
    "unbalanced brace": ("de:\n  title: ok\n  declaration: 'Hi {'\n", 3, "declaration"),
    "positional placeholder": ("en:\n  title: 'x {0}'\n", 2, "title"),
}


@pytest.mark.parametrize("case", TEXTS)
def test_broken_texts_are_named_at_their_line(tmp_path, theme, capsys, case):
    source, line, words = TEXTS[case]
    (theme / "reservation_texts.yaml").write_text(source, encoding="utf-8")
    code, said = run(tmp_path, theme, capsys)
    assert code == 2, said
    assert f"{theme / 'reservation_texts.yaml'}:{line}:" in said
    assert words in said


def test_texts_that_are_not_utf8_are_named(tmp_path, theme, capsys):
    (theme / "reservation_texts.yaml").write_bytes(b"en:\n  title: \xff\n")
    code, said = run(tmp_path, theme, capsys)
    assert code == 2 and f"{theme / 'reservation_texts.yaml'}:1:" in said


def test_a_theme_may_override_one_word_of_a_mapping(tmp_path, theme, capsys):
    """``uses`` and ``none`` are merged key by key, so one word can change alone."""
    (theme / "reservation_texts.yaml").write_text(
        "en:\n  uses: {tdm: data mining of any kind}\n", encoding="utf-8"
    )
    for name in ("public", "other"):
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "index.html").write_bytes(PAGE)
    cfg = tmp_path / "sites.yaml"
    cfg.write_text(
        "sites:\n  - name: s\n"
        f"    url: https://a.example\n    input: {tmp_path / 'public'}\n"
        "    rightsholder: {name: A}\n    reserve: [tdm, train]\n"
        f"    reservation_page: {{templates: {theme}}}\n",
        encoding="utf-8",
    )
    assert main(["build", "--config", str(cfg), "--jobs", "1"]) == 0
    page = (tmp_path / "public/ai-reservation/index.html").read_text("utf-8")
    assert "data mining of any kind" in page
