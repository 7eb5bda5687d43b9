"""``optout-site check FOLDER`` agrees with ``build``: the same ./sites.yaml, findings the
user acknowledged there listed but not failing, a user's later ``_headers`` rule that
Netlify lets win over ours flagged, and counts said in words."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import html5lib
import pytest
import yaml
from support import errors, make_example, run_cli, write_example_config

from optout_site import config
from optout_site.build import pipeline
from optout_site.check import CheckReport, check_folder, render
from optout_site.cli import check as check_cli
from optout_site.hosts import common


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[Path, config.Site]:
    return make_example(tmp_path_factory.mktemp("agrees"), hosts=["netlify"])


def _json(argv: list[str], capsys) -> tuple[int, dict]:
    code = run_cli([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_check_folder_reads_the_sites_yaml_of_the_working_directory(example, monkeypatch, capsys):
    cfg, site = example
    monkeypatch.chdir(cfg.parent)
    code, data = _json(["check", str(site.output_dir)], capsys)
    assert (code, data["site"]) == (0, "lea-moreau")


def test_check_of_a_folder_the_sites_yaml_does_not_write_infers(example, tmp_path, capsys):
    cfg, site = example
    other = tmp_path / "copy"
    shutil.copytree(site.output_dir, other)
    _with(cfg, tmp_path, name="sites.yaml")  # its site writes another folder
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        _, data = _json(["check", str(other)], capsys)
    assert data["site"] is None
    assert data["policy_source"].startswith("inferred")


def _with(cfg: Path, tmp_path: Path, name: str = "acknowledged.yaml", **keys: object) -> Path:
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    data["sites"][0].update(keys)
    for key in ("input", "output"):  # relative to the original config's folder
        data["sites"][0][key] = str((cfg.parent / data["sites"][0][key]).resolve())
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _noindex(folder: Path) -> Path:
    copy = folder.parent / "noindex"
    shutil.copytree(folder, copy)
    page = copy / "gallery/index.html"
    text, count = re.subn(
        r'(<meta name="robots" content=")', r"\1noindex, ", page.read_text(encoding="utf-8")
    )
    assert count == 1
    page.write_text(text, encoding="utf-8")
    return copy


@pytest.mark.slow  # three checks of the example
def test_an_acknowledged_noindex_is_listed_marked_and_not_a_warning(example, tmp_path, capsys):
    cfg, site = example
    folder = _noindex(site.output_dir)
    _, plain = _json(["check", str(folder), "-c", str(cfg)], capsys)
    [warning] = [f for f in plain["findings"] if "noindex" in f["message"]]
    assert warning["severity"] == "warning" and not warning["acknowledged"]
    assert "acknowledge: [noindex]" in warning["fix"]

    acknowledged = _with(cfg, tmp_path, acknowledge=["noindex"])
    code, data = _json(["check", str(folder), "-c", str(acknowledged)], capsys)
    [finding] = [f for f in data["findings"] if "noindex" in f["message"]]
    assert finding["acknowledged"] and finding["code"] == "noindex"
    assert code == 0 and data["signals"]["page meta"]["warnings"] == 0
    report = check_folder(folder, config.load(acknowledged).sites[0])
    text = render.text(report)
    assert "(acknowledged in sites.yaml: noindex)" in text
    assert "1 acknowledged" in text
    assert "::notice " in render.github(report) and "::warning" not in render.github(report)
    page = render.html(report)
    html5lib.HTMLParser(strict=True).parse(page)
    assert "Acknowledged in sites.yaml" in page and "(noindex)" in page


def test_acknowledge_names_only_what_exists(example, tmp_path):
    cfg, _ = example
    with pytest.raises(config.ConfigError, match="did you mean 'noindex'"):
        config.load(_with(cfg, tmp_path, acknowledge=["noindexx"]))


def test_a_later_headers_rule_netlify_lets_win_is_flagged(example, tmp_path, capsys):
    cfg, site = example
    folder = tmp_path / "site"
    shutil.copytree(site.output_dir, folder)
    headers = folder / "_headers"
    text = headers.read_text(encoding="utf-8")
    assert text.rstrip().endswith(common.END)
    own = "\n/gallery/*\n  Cache-Control: max-age=60\n  X-Robots-Tag: all\n"
    headers.write_text(text + own, encoding="utf-8")
    line = len(text.splitlines()) + 4
    code, data = _json(["check", str(folder), "-c", str(cfg)], capsys)
    assert code == 1
    [finding] = errors(data, "host config", "/_headers", "X-Robots-Tag after optout-site")
    assert finding["line"] == line and "/gallery/*" in finding["message"]
    assert not errors(data, "host config", "/_headers", "Cache-Control")


def test_the_robots_row_says_what_it_counted(example, capsys):
    cfg, site = example
    code = run_cli(["check", str(site.output_dir), "-c", str(cfg)])
    out = capsys.readouterr().out
    assert code == 0
    row = next(x for x in out.splitlines() if x.strip().startswith("robots.txt "))
    assert re.search(r"robots\.txt +\d+ crawlers asked about \d+ paths \(\d+ answers\)", row)


def test_no_pages_is_not_full_coverage():
    report = CheckReport("x", "url", None, "inferred")
    text = render.text(report)
    assert "Coverage: no pages checked carry" not in text
    assert "100%" not in text and "no pages checked" in text and "no images checked" in text


# --- build --check: the HTML report, annotations on the source files -------------------------


def test_build_check_writes_the_html_report(example, tmp_path, capsys):
    cfg, _ = example
    report = tmp_path / "report.html"
    code = run_cli(["build", "-c", str(cfg), "--check", "--html", str(report)])
    assert code == 0
    assert f"HTML report: {report}" in capsys.readouterr().out
    report.unlink()
    # -q prints only errors, but the report is still written.
    assert run_cli(["build", "-c", str(cfg), "--check", "--html", str(report), "-q"]) == 0
    assert capsys.readouterr().out == "" and report.is_file()
    html5lib.HTMLParser(strict=True).parse(report.read_text(encoding="utf-8"))


def test_build_html_without_check_is_a_usage_error(example, tmp_path, capsys):
    cfg, _ = example
    assert run_cli(["build", "-c", str(cfg), "--html", str(tmp_path / "r.html")]) == 2
    assert "add --check" in capsys.readouterr().err


@pytest.fixture(scope="module")
def from_source(tmp_path_factory) -> tuple[Path, config.Site]:
    """The example built from a source whose robots.txt has a line of the user's own that
    check flags, and a page that says noindex."""
    root = tmp_path_factory.mktemp("source")
    cfg = write_example_config(root)
    with (root / "public/robots.txt").open("a", encoding="utf-8") as handle:
        handle.write("\nSitemaps: https://lea-moreau.example/s.xml\n")  # kept as written
    page = root / "public/gallery/index.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace(
            "<head>", '<head>\n<meta name="robots" content="noindex">', 1
        ),
        encoding="utf-8",
    )
    assert pipeline.build(cfg, jobs=1, state_dir=root / "state").ok
    return cfg, config.load(cfg).sites[0]


def _annotation(out: str, words: str) -> str:
    return next(x for x in out.splitlines() if words in x).replace("%3A", ":")


def test_annotations_point_at_the_source_file_and_its_line(from_source, capsys):
    cfg, site = from_source
    assert site.output is not None and site.output != site.input
    check_cli.check_sites([site], fmt="github")
    out = capsys.readouterr().out
    source_lines = (site.input / "robots.txt").read_text(encoding="utf-8").splitlines()
    robots = _annotation(out, "unknown field 'sitemaps'")
    line = source_lines.index("Sitemaps: https://lea-moreau.example/s.xml") + 1
    assert f"file={os.path.relpath(site.input / 'robots.txt')},line={line}," in robots
    assert f"line {line} of {os.path.relpath(site.input / 'robots.txt')}" in robots
    noindex = _annotation(out, "noindex")
    assert f"file={os.path.relpath(site.input / 'gallery/index.html')}," in noindex


def test_a_line_optout_site_wrote_stays_on_the_built_file(from_source, capsys):
    _, site = from_source
    built = site.output_dir / "robots.txt"
    text = built.read_text(encoding="utf-8")
    ours = "User-agent: GPTBot\n"
    assert ours in text and ours not in (site.input / "robots.txt").read_text(encoding="utf-8")
    # A stray line inside our own block: check flags it, and only the built file has it.
    built.write_text(text.replace(ours, ours + "Crawl-delay: x\n", 1), encoding="utf-8")
    try:
        report = check_folder(site.output_dir, site)
    finally:
        built.write_text(text, encoding="utf-8")
    annotations = render.github(report)
    lines = [x for x in annotations.splitlines() if "robots.txt" in x and "line=" in x]
    assert lines and all(os.path.relpath(built) in x for x in lines)
