"""What a user reads about an image we leave alone: plain words, the path once, and the
technical account only with ``--verbose`` and in the JSON reports."""

from __future__ import annotations

import json
from pathlib import Path

import imagefactory as f
import pytest
from support import make_example, run_cli, write_example_config

from optout_site.build import build

TRUNCATED = f.catalogue()["exif_icc.jpg"][:500]  # inside its ICC APP2 (146..751)
# A scan before any frame header: no decoder can show it, and we will not guess.
NO_FRAME = b"\xff\xd8" + f.jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + b"\x00\xff\xd9"
BROKEN = {
    "images/cut.jpg": (TRUNCATED, "the file ends early (truncated)"),
    "images/empty.png": (b"", "empty file"),
    "images/odd.jpg": (NO_FRAME, "non-standard JPEG we do not modify; browsers may still show it"),
    "images/text.gif": (b"not a gif", "not a JPEG, PNG, WebP, TIFF, GIF, AVIF or HEIC image"),
}


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, object]:
    cfg = write_example_config(tmp_path)
    for rel, (data, _) in BROKEN.items():
        (tmp_path / "public" / rel).write_bytes(data)
    return cfg, build(cfg, jobs=1, state_dir=tmp_path / "state").sites[0]


def test_the_text_report_says_it_plainly_and_names_the_file_once(built, tmp_path: Path) -> None:
    _, report = built
    text = report.render()
    for rel, (_, plain) in BROKEN.items():
        assert f"    {rel}: {plain} (copied as is)\n" in text + "\n", text
    assert str(tmp_path) not in text.split("\n", 1)[1]  # the header names the folders
    assert "byte offset" not in text and "0xFF" not in text


def test_verbose_and_json_keep_the_detail(built) -> None:
    _, report = built
    verbose = report.render(verbose=True)
    assert (
        "images/cut.jpg: the file ends early (truncated) (copied as is) [segment 0xFFE2 at "
        "byte offset 146 needs 1 byte(s) at byte offset 751, but the file ends at 500]"
    ) in verbose
    rows = {row["path"]: row for row in report.to_dict()["skipped"]}
    assert rows["images/cut.jpg"]["message"].startswith("the file ends early (truncated)")
    assert "byte offset" in rows["images/cut.jpg"]["detail"]
    assert "frame header" in rows["images/odd.jpg"]["detail"]
    assert all(row.get("detail", "x") for row in report.to_dict()["files"])  # never empty


@pytest.mark.slow  # three builds of the example, ~2 s
def test_cli_verbose_flag_and_json(tmp_path: Path, capsys) -> None:
    cfg = write_example_config(tmp_path)
    (tmp_path / "public" / "images" / "cut.jpg").write_bytes(TRUNCATED)
    state = ["--state-dir", str(tmp_path / "state")]
    assert run_cli(["build", "-c", str(cfg), "--json", "--force", *state]) == 0
    data = json.loads(capsys.readouterr().out)
    [row] = [r for r in data["sites"][0]["skipped"] if r["path"] == "images/cut.jpg"]
    assert "needs 1 byte(s)" in row["detail"] and "byte offset" not in row["message"]
    assert run_cli(["build", "-c", str(cfg), "--force", *state]) == 0
    plain = capsys.readouterr().out
    assert "images/cut.jpg: the file ends early (truncated)" in plain
    assert "byte offset" not in plain
    assert run_cli(["build", "-c", str(cfg), "--force", "-v", *state]) == 0
    assert "needs 1 byte(s) at byte offset" in capsys.readouterr().out


@pytest.mark.slow  # a build and two checks of the example, ~3 s
def test_check_names_no_file_path_and_keeps_the_detail(tmp_path: Path, capsys) -> None:
    cfg, site = make_example(tmp_path)
    (site.output_dir / "images" / "mountains.jpg").write_bytes(TRUNCATED)
    run_cli(["check", str(site.output_dir), "-c", str(cfg), "--json"])
    data = json.loads(capsys.readouterr().out)
    [finding] = [
        x
        for x in data["findings"]
        if x["path"] == "/images/mountains.jpg" and x["signal"] == "image XMP"
    ]
    assert finding["message"] == "the image cannot be read: the file ends early (truncated)"
    assert "byte offset" in finding["detail"]
    assert finding["fix"] != "Check the file."
    run_cli(["check", str(site.output_dir), "-c", str(cfg)])
    text = capsys.readouterr().out
    assert "optout-check-" not in text and str(site.output_dir) + "/images" not in text


@pytest.mark.slow  # an HTTP server on loopback
def test_url_check_leaks_no_temporary_file_name(tmp_path: Path, capsys) -> None:
    from test_check_url import serve

    cfg, site = make_example(tmp_path)
    (site.output_dir / "images" / "mountains.jpg").write_bytes(TRUNCATED)
    with serve(site.output_dir) as base:
        run_cli(["check", base, "-c", str(cfg), "--json", "--timeout", "5"])
    data = json.loads(capsys.readouterr().out)
    [finding] = [
        x
        for x in data["findings"]
        if x["path"] == "/images/mountains.jpg" and x["signal"] == "image XMP"
    ]
    assert finding["message"] == "the image cannot be read: the file ends early (truncated)"
    assert "optout-check-" not in json.dumps(data)
