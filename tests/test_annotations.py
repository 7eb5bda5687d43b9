"""GitHub Actions reads every line a step prints that starts with ``::`` as a workflow
command. A file name is data: one holding ``\\n::error …`` must neither start a command of
its own in the text reports nor break out of our annotations, whose data and properties
are escaped as GitHub's workflow-command docs say (data: ``%`` ``\\r`` ``\\n``; properties
also ``:`` and ``,``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from optout_site.build.report import printable
from optout_site.check import render
from optout_site.check.model import CheckReport, Finding
from optout_site.cli import main

EVIL = "a\n::error file=x,line=1::pwned\r::warning::b.jpg"
_ESCAPE = re.compile(r"%(25|0D|0A|3A|2C)")
_DECODED = {"25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": ","}


def _unescape(value: str, *, prop: bool) -> str:
    """The runner's reading of an escaped value (one pass, so no escape is decoded twice)."""
    keys = {"25", "0D", "0A", *(("3A", "2C") if prop else ())}
    return _ESCAPE.sub(lambda m: _DECODED[m[1]] if m[1] in keys else m[0], value)


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as actions/runner parses it: ``::name k=v,k=v::message``."""
    assert line.startswith("::")
    end = line.index("::", 2)
    name, _, props = line[2:end].partition(" ")
    pairs = dict(p.split("=", 1) for p in props.split(",")) if props else {}
    return (
        name,
        {k: _unescape(v, prop=True) for k, v in pairs.items()},
        _unescape(line[end + 2 :], prop=False),
    )


# Mostly the pieces escaping is about, so that "%0A" written as such turns up often.
_PIECES = ["%", "%0A", "%0D", "%25", "%3A", "%2C", ":", "::", ",", "=", "\r", "\n", " "]
texts = st.lists(
    st.sampled_from(_PIECES) | st.characters(codec="utf-8", exclude_categories=["Cs"]),
    max_size=12,
).map("".join)


@given(path=texts, message=texts, fix=texts)
def test_annotations_round_trip_through_the_runners_parser(path, message, fix):
    finding = Finding("error", "robots.txt", path, message, fix)
    report = CheckReport("t", "url", None, "x", findings=[finding])  # type: ignore[arg-type]
    first, *rest = render.github(report).split("\n")
    assert len(rest) == 1 and not rest[0].startswith("::")
    name, props, data = parse(first)
    assert name == "error"
    assert props == {"title": f"robots.txt: {path}"}
    assert data == f"{message} Fix: {fix}"


@given(texts)
def test_printable_lines_stay_one_line(text):
    line = printable(text)
    assert len(line.splitlines()) <= 1 and "\n" not in line and "\r" not in line
    if text.isprintable():
        assert line == text


def test_a_file_name_cannot_inject_workflow_commands(tmp_path, monkeypatch, capsys):
    public = tmp_path / "public"
    public.mkdir()
    (public / "index.html").write_text("<!doctype html><title>t</title>\n", encoding="utf-8")
    (public / EVIL).write_bytes(b"not an image")  # a .jpg both reports name
    (tmp_path / "sites.yaml").write_text(
        "sites:\n  - name: s\n    url: https://s.example\n    input: public\n"
        "    output: build\n    rightsholder: {name: X}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["build", "--check"]) == 1
    out = capsys.readouterr()
    commands = [line for line in (out.out + out.err).splitlines() if line.startswith("::")]
    assert commands, out.out  # the check's own annotation for the unreadable image
    for line in commands:
        name, props, data = parse(line)
        assert name == "error"
        # In output mode the annotation points at the source file the image came from.
        assert Path(props["file"]) == Path(os.path.relpath(tmp_path / "public" / EVIL))
        assert props["title"].endswith("b.jpg")  # the message itself no longer repeats the path
