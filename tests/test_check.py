"""``optout-site check`` on a built folder: the bundled example is consistent, and each
deliberately broken copy of it fails with a finding that names the file and the signal."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import html5lib
import pytest
from support import EXAMPLE, chromium_layout, chromium_screenshot, errors, make_example, run_cli

from optout_site import config, dialects, images
from optout_site.build import work
from optout_site.check import check_built_site, check_folder, render
from optout_site.cli import check as check_cli

# --- building the example once per module ------------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[Path, config.Site]:
    return make_example(tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="module")
def rsl_example(tmp_path_factory) -> tuple[Path, config.Site]:
    return make_example(
        tmp_path_factory.mktemp("rsl"), rsl={"enabled": True}, hosts=["netlify", "apache"]
    )


def check_json(folder: Path, cfg: Path | None, capsys) -> tuple[int, dict]:
    argv = ["check", str(folder), "--json"] + (["--config", str(cfg)] if cfg else [])
    code = run_cli(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


def variant(example, tmp_path: Path) -> Path:
    _, site = example
    target = tmp_path / "site"
    shutil.copytree(site.output_dir, target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, path)
    path.write_text(text.replace(old, new, count), encoding="utf-8")


# --- the consistent example -----------------------------------------------------------------


def test_built_example_is_consistent(example, capsys):
    cfg, site = example
    code, data = check_json(site.output_dir, cfg, capsys)
    assert code == 0, json.dumps(data["findings"], indent=1)
    assert data["ok"] and data["site"] == "lea-moreau"
    assert data["coverage"]["pages_percent"] == 100.0
    assert data["coverage"]["images_percent"] == 100.0
    assert data["coverage"]["images"] == 4
    assert {"robots.txt", "tdmrep.json", "TDM policy", "ai.txt", "page meta", "image XMP"} <= set(
        data["signals"]
    )
    assert [p["path"] for p in data["policy"]] == ["/press/", "/"]


def test_check_built_site_helper_and_text_summary(example):
    _, site = example
    report = check_built_site(site)
    assert report.ok
    text = render.text(report)
    assert "Result: OK" in text and "image XMP" in text and "Coverage: pages" in text


def test_without_config_the_policy_is_inferred_from_the_site(example):
    _, site = example
    report = check_folder(site.output_dir, None)
    assert report.ok, render.text(report)
    assert report.policy_source.startswith("inferred from tdmrep.json")
    scopes = {p.path: set(p.reserved) for p in report.policy}
    assert scopes["/"] == {"tdm", "train", "genai-train", "ai-input"}
    assert scopes["/press/"] == set()


def test_rsl_example_is_consistent(rsl_example, capsys):
    cfg, site = rsl_example
    assert (site.output_dir / "license.xml").is_file()
    code, data = check_json(site.output_dir, cfg, capsys)
    assert code == 0, json.dumps(data["findings"], indent=1)
    assert "license.xml" in data["signals"]
    assert data["signals"]["host config"]["checked"] == 2


def test_host_config_missing(rsl_example, tmp_path, capsys):
    folder = variant(rsl_example, tmp_path)
    (folder / "_headers").unlink()
    code, data = check_json(folder, rsl_example[0], capsys)
    assert code == 1
    assert errors(data, "host config", "/_headers", "'netlify'")


def test_unbuilt_site_without_config_reports_missing_reservation(capsys):
    code, data = check_json(EXAMPLE, None, capsys)
    assert code == 1
    assert errors(data, "tdmrep.json", "/.well-known/tdmrep.json", "missing")


# --- broken variants: each exit 1 with a finding naming file/path and signal --------------


def test_page_without_meta(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    page = folder / "gallery/index.html"
    page.write_bytes(
        re.sub(
            rb'\s*<meta name="(tdm-reservation|tdm-policy|robots)"[^>]*>', b"", page.read_bytes()
        )
    )
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    assert errors(data, "page meta", "/gallery/index.html", 'no <meta name="tdm-reservation">')
    assert errors(data, "page meta", "/gallery/index.html", "noai")
    assert data["coverage"]["pages_reserved"] == data["coverage"]["pages"] - 1


def test_page_meta_says_0_where_reserved(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    edit(
        folder / "about/index.html",
        '<meta name="tdm-reservation" content="1">',
        '<meta name="tdm-reservation" content="0">',
    )
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    [finding] = errors(data, "page meta", "/about/index.html", "meta says tdm-reservation 0")
    assert "tdmrep.json says 1" in finding["message"]


@pytest.mark.parametrize("marked", [True, False])
def test_noai_where_allowed_is_ours_only_when_marked(example, tmp_path, capsys, marked):
    # /press/ allows AI use: a noai robots meta carrying the mark the build writes is
    # optout-site contradicting the policy (an error); the author's own, unmarked, is kept
    # as written and only said (a warning).
    folder = variant(example, tmp_path)
    mark = ' data-optout-site=""' if marked else ""
    edit(
        folder / "press/index.html",
        "<title>",
        f'<meta name="robots" content="noai, noimageai"{mark}>\n    <title>',
    )
    code, data = check_json(folder, example[0], capsys)
    ours = errors(data, "page meta", "/press/index.html", "policy allows AI use here")
    theirs = [
        f
        for f in data["findings"]
        if f["severity"] == "warning" and "stricter than the policy" in f["message"]
    ]
    assert (code, len(ours), len(theirs)) == ((1, 1, 0) if marked else (0, 0, 1))


def test_contradicting_tdmrep_json(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    rules = json.loads((folder / ".well-known/tdmrep.json").read_text())
    rules[-1]["tdm-reservation"] = 0  # the site default "/" now says "not reserved"
    (folder / ".well-known/tdmrep.json").write_text(json.dumps(rules))
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    found = errors(data, "tdmrep.json", text="rule #2 ('/') says 0")
    assert found and found[0]["file"] == "/.well-known/tdmrep.json"
    assert "/index.html" in found[0]["message"] or found[0]["path"] == "/"


def test_tdmrep_true_is_invalid_and_unset(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    edit(folder / ".well-known/tdmrep.json", '"tdm-reservation": 1', '"tdm-reservation": true')
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    assert errors(data, "tdmrep.json", "/.well-known/tdmrep.json", '"tdm-reservation": true')
    assert errors(data, "tdmrep.json", text="an invalid value (unset)")


def test_tdmrep_catch_all_first_shadows_specific_rule(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    path = folder / ".well-known/tdmrep.json"
    path.write_text(json.dumps(list(reversed(json.loads(path.read_text())))))
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    assert errors(data, "tdmrep.json", "/.well-known/tdmrep.json", "never applies")


def test_robots_named_group_lost_the_sites_own_disallow(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    robots = folder / "robots.txt"
    text = robots.read_text()
    # Baiduspider gets a group of its own (a token containing `Spider`); drop its copy of
    # the site's `Disallow: /drafts/`.
    group = re.search(r"User-agent: Baiduspider\n(?:.+\n)*?Disallow: /drafts/\n", text)
    assert group, text
    robots.write_text(
        text.replace(group.group(0), group.group(0).replace("Disallow: /drafts/\n", ""))
    )
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    [finding] = errors(data, "robots.txt", text="lost")
    assert "Baiduspider" in finding["message"] and "/drafts/" in finding["path"]
    assert finding["file"] == "/robots.txt"


def test_robots_blocking_googlebot_is_over_blocking(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    with (folder / "robots.txt").open("a") as handle:
        handle.write("\nUser-agent: Googlebot\nDisallow: /\n")
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    [finding] = errors(data, "robots.txt", text="over-blocking: search engine(s) Googlebot")
    assert finding["path"] == "/"


def test_content_usage_allows_training_where_reserved(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    edit(
        folder / "robots.txt",
        "Content-Usage: train-ai=n, ai-use=n",
        "Content-Usage: train-ai=y, ai-use=n",
    )
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    found = errors(data, "robots.txt", text="Content-Usage says train-ai=y")
    assert found and "User-agent: *" in found[0]["message"]
    assert "while robots.txt itself blocks" in found[0]["message"]  # GPTBot & co. are blocked


def test_invalid_token_in_robots_txt(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    with (folder / "robots.txt").open("a") as handle:
        handle.write("\nUser-agent: GPTBot/1.0\nDisallow: /\n")
    lines = (folder / "robots.txt").read_text().splitlines()
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    [finding] = errors(data, "robots.txt", "/robots.txt", "invalid product token 'GPTBot/1.0'")
    assert lines[finding["line"] - 1] == "User-agent: GPTBot/1.0"


def test_robots_txt_over_500_kib(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    with (folder / "robots.txt").open("a") as handle:
        handle.write("# padding\n" * 60_000)
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    assert errors(data, "robots.txt", "/robots.txt", "500 KiB")


def test_image_stripped_of_xmp(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    shutil.copyfile(EXAMPLE / "images/mountains.jpg", folder / "images/mountains.jpg")
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    assert errors(data, "image XMP", "/images/mountains.jpg", "no XMP")
    assert data["coverage"]["images_reserved"] == 3


def test_image_datamining_allowed_where_reserved(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    rights = images.ImageRights(
        data_mining=dialects.PLUS_VOCAB + "DMI-ALLOWED",
        other_constraints=None,
        web_statement=None,
        usage_terms=None,
        copyright=None,
        creator=None,
        contact=None,
        overwrite=True,
    )
    png = folder / "images/coast.png"
    assert work.stamp_image(png, png, rights).status == "changed"
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    [finding] = errors(data, "image XMP", "/images/coast.png", "DMI-ALLOWED")
    assert "tdmrep.json says 1" in finding["message"]


def test_ai_txt_missing(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    (folder / "ai.txt").unlink()
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    assert errors(data, "ai.txt", "/ai.txt", "missing")


def test_tdm_policy_without_permission(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    path = folder / "policies/tdm-policy.json"
    doc = json.loads(path.read_text())
    del doc["permission"]
    path.write_text(json.dumps(doc))
    code, data = check_json(folder, example[0], capsys)
    assert code == 1
    assert errors(data, "TDM policy", "/policies/tdm-policy.json", "'permission' is missing")


def test_license_xml_contradicting(rsl_example, tmp_path, capsys):
    folder = variant(rsl_example, tmp_path)
    license_xml = folder / "license.xml"
    text = license_xml.read_text()
    # The site default now permits AI training that the policy reserves.
    tail = text[text.rindex('<content url="/">') :]
    license_xml.write_text(
        text.replace(
            tail,
            tail.replace('<prohibits type="usage">', '<permits type="usage">').replace(
                "</prohibits>", "</permits>"
            ),
        )
    )
    code, data = check_json(folder, rsl_example[0], capsys)
    assert code == 1
    [finding] = errors(data, "license.xml", text="ai-train is not prohibited")
    assert finding["file"] == "/license.xml" and "<content url='/'>" in finding["message"]


def test_tdm_policy_missing_permission_without_config_too(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    path = folder / "policies/tdm-policy.json"
    doc = json.loads(path.read_text())
    doc["permission"] = []
    path.write_text(json.dumps(doc))
    code, data = check_json(folder, None, capsys)
    assert code == 1
    assert errors(data, "TDM policy", "/policies/tdm-policy.json", "non-empty array")


# --- output formats and usage errors ---------------------------------------------------------


def test_github_annotations_name_the_file_and_line(example, tmp_path, capsys):
    folder = variant(example, tmp_path)
    with (folder / "robots.txt").open("a") as handle:
        handle.write("\nUser-agent: Claude Bot\nDisallow: /\n")
    code = run_cli(["check", str(folder), "--config", str(example[0]), "--format", "github"])
    out = capsys.readouterr().out
    assert code == 1
    line = next(x for x in out.splitlines() if "invalid product token" in x)
    assert line.startswith("::error file=")
    assert os.path.relpath(folder / "robots.txt") in line.replace("%3A", ":")
    assert re.search(r",line=\d+,title=robots.txt%3A /robots.txt::", line)


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "/nonexistent/folder"],
        ["check", "ftp://example.com/"],
        ["check", str(EXAMPLE), "--json", "--format", "github"],
        ["check", str(EXAMPLE), "--config", "/nonexistent/sites.yaml"],
        ["check", str(EXAMPLE), "--sample", "0"],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    assert run_cli(argv) == 2
    assert capsys.readouterr().err


def test_unknown_site_exits_2(example, capsys):
    cfg, site = example
    assert run_cli(["check", str(site.output_dir), "-c", str(cfg), "--site", "nope"]) == 2


def test_check_sites_helper_for_build_check(example, capsys):
    _, site = example
    assert check_cli.check_sites([site]) == 0
    assert "Result: OK" in capsys.readouterr().out


# --- the HTML report ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broken_html(example, tmp_path_factory) -> Path:
    cfg, site = example
    folder = tmp_path_factory.mktemp("html") / "site"
    shutil.copytree(site.output_dir, folder)
    shutil.copyfile(EXAMPLE / "images/mountains.jpg", folder / "images/mountains.jpg")
    edit(folder / "about/index.html", 'content="1"', 'content="0"')
    out = folder.parent / "report.html"
    assert run_cli(["check", str(folder), "-c", str(cfg), "--html", str(out)]) == 1
    return out


def test_html_report_is_self_contained_and_valid(broken_html):
    text = broken_html.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert "<link" not in text and "<script" not in text and "@import" not in text
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(text)  # raises on any parse error
    assert "/about/index.html" in text and "/images/mountains.jpg" in text
    assert "text and data mining of your work" in text  # plain words, not dialect tokens
    assert "What to fix" in text and 'class="cell bad"' in text


def test_html_report_escapes_what_the_site_says(example, tmp_path):
    folder = variant(example, tmp_path)
    edit(
        folder / "about/index.html",
        '<meta name="tdm-reservation" content="1">',
        '<meta name="tdm-reservation" content="<script>x</script>">',
    )
    text = render.html(check_folder(folder, example[1]))
    assert "<script>x" not in text and "&lt;script&gt;x" in text
    html5lib.HTMLParser(strict=True).parse(text)


@pytest.mark.slow  # headless Chromium
@pytest.mark.parametrize("width", [1200, 500])  # 500: the narrowest window Chromium opens
def test_html_report_in_chromium_shows_the_problem_and_fits(broken_html, tmp_path, width):
    layout = chromium_layout(broken_html.read_bytes(), tmp_path, width)
    text = layout["text"]
    assert "What to fix" in text and "/about/index.html" in text
    assert "text and data mining of your work" in text
    assert layout["overflow"] == [], layout["overflow"]
    keep = os.environ.get("OPTOUT_CHECK_SCREENSHOT")  # a picture for a human, on request
    if keep and width == 1200:
        png = tmp_path / "report.png"
        chromium_screenshot(broken_html, png, tmp_path / "profile", 1200, 1600)
        shutil.copyfile(png, keep)
