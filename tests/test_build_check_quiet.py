"""``build --check -q`` prints the errors and nothing else, with the same exit code."""

from __future__ import annotations

import pytest

from optout_site.cli import main

SITE = """sites:
  - name: s
    url: https://s.example
    input: public
    output: build
    hosts: [netlify]
    rightsholder: {name: X}
"""


@pytest.fixture
def site(tmp_path, monkeypatch):
    public = tmp_path / "public"
    public.mkdir()
    (public / "index.html").write_text("<!doctype html><title>t</title>\n", encoding="utf-8")
    # A field crawlers ignore: a check warning, which -q leaves out.
    (public / "robots.txt").write_text("User-agent: *\nFoo: bar\nDisallow: /x/\n")
    (tmp_path / "sites.yaml").write_text(SITE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def test_quiet_check_of_a_good_build_prints_nothing(site, capsys):
    assert main(["build", "--check"]) == 0
    assert "unknown field 'foo'" in capsys.readouterr().out  # not quiet: the reports
    assert main(["build", "--check", "-q"]) == 0
    assert capsys.readouterr() == ("", "")


def test_quiet_check_prints_each_error_once_and_keeps_the_exit_code(site, capsys, monkeypatch):
    (site / "public" / "broken.jpg").write_bytes(b"not an image")  # a warning to build
    assert main(["build", "--check"]) == 1
    loud = capsys.readouterr()
    assert main(["build", "--check", "-q"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("s: /broken.jpg: the image cannot be read")
    assert lines[0].split(": ", 2)[2] in loud.out  # the same finding the full report names
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["build", "--check", "-q"]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    assert [line.split(" ", 1)[0] for line in out.splitlines()] == ["::error"]
