"""``optout-site init`` reads the generator's own config (issue 14, item 2): one row per
generator and spelling, the readers never crash on arbitrary text, and the file it writes
is valid, never has ``output:``, and keeps as placeholders (which ``build`` refuses by
name) exactly the values it could not find."""

from __future__ import annotations

import io
import re
import string

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from optout_site import config
from optout_site.cli import init as init_cmd
from optout_site.cli import main
from optout_site.config import generators

HUGO_TOML = """\
baseURL = 'https://jo.photo/'
languageCode = 'en-us'
title = 'Jo Photo'
publishDir = 'dist'
[params]
  author = 'Jo Photo'
"""

# (files, generator, url, title, author, output)
CASES = [
    pytest.param(
        {"hugo.toml": HUGO_TOML},
        "Hugo",
        "https://jo.photo",
        "Jo Photo",
        "Jo Photo",
        "dist",
        id="hugo.toml",
    ),
    pytest.param(
        {"config.toml": "baseurl = 'https://jo.photo'\ntitle = 'Jo'\nauthor = 'Jo P'\n"},
        "Hugo",
        "https://jo.photo",
        "Jo",
        "Jo P",
        "public",
        id="hugo-config.toml-lowercase-keys",
    ),
    pytest.param(
        {"config.yaml": "baseURL: https://jo.photo/\ntitle: Jo\nparams:\n  author: {name: Jo Y}\n"},
        "Hugo",
        "https://jo.photo",
        "Jo",
        "Jo Y",
        "public",
        id="hugo-config.yaml-author-map",
    ),
    pytest.param(
        {"hugo.json": '{"baseURL": "https://jo.photo/", "title": "Jo", "publishDir": "out/"}'},
        "Hugo",
        "https://jo.photo",
        "Jo",
        None,
        "out",
        id="hugo.json",
    ),
    pytest.param(
        # What `hugo new site` writes: example.org is nobody's site, so no URL is found.
        {
            "hugo.toml": "baseURL = 'https://example.org/'\nlanguageCode = 'en-us'\ntitle = 'My New Hugo Site'\n"
        },
        "Hugo",
        None,
        "My New Hugo Site",
        None,
        "public",
        id="hugo-new-site-default",
    ),
    pytest.param(
        {
            "mkdocs.yml": (
                "site_name: Jo's Notes\nsite_url: https://docs.jo.photo/\nsite_author: Jo Photo\n"
                "site_dir: built\nmarkdown_extensions:\n  - pymdownx.emoji:\n"
                "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
                "extra:\n  analytics: !ENV GOOGLE_ANALYTICS_KEY\n"
            )
        },
        "MkDocs",
        "https://docs.jo.photo",
        "Jo's Notes",
        "Jo Photo",
        "built",
        id="mkdocs-with-python-tags",
    ),
    pytest.param(
        {"mkdocs.yml": "site_name: Notes\n"},
        "MkDocs",
        None,
        "Notes",
        None,
        "site",
        id="mkdocs-minimal",
    ),
    pytest.param(
        {
            "_config.yml": (
                "title: Jo's blog\nurl: https://jo.github.io\nbaseurl: /blog\n"
                "author:\n  name: Jo Photo\n  email: jo@jo.photo\ndestination: ./_build\n"
            )
        },
        "Jekyll",
        "https://jo.github.io/blog",
        "Jo's blog",
        "Jo Photo",
        "_build",
        id="jekyll-url-baseurl",
    ),
    pytest.param(
        {"_config.yml": 'title: Jo\nurl: "https://jo.photo"\nbaseurl: ""\nauthor: Jo P\n'},
        "Jekyll",
        "https://jo.photo",
        "Jo",
        "Jo P",
        "_site",
        id="jekyll-empty-baseurl",
    ),
    pytest.param(
        {
            "pelicanconf.py": (
                "AUTHOR = 'Jo Photo'\nSITENAME = \"Jo's Photos\"  # shown in the header\n"
                "SITEURL = ''\nPATH = 'content'\nOUTPUT_PATH = 'out/'\n"
                "SITEURL_LATER = compute()\nimport os\n"
            ),
            "publishconf.py": "from pelicanconf import *\nSITEURL = 'https://jo.photo'\n",
        },
        "Pelican",
        "https://jo.photo",
        "Jo's Photos",
        "Jo Photo",
        "out",
        id="pelican-publishconf",
    ),
    pytest.param(
        {"pelicanconf.py": "AUTHOR = os.environ['ME']\nSITEURL = 'http://localhost:8000'\n"},
        "Pelican",
        None,
        None,
        None,
        "output",
        id="pelican-computed-and-local",
    ),
    pytest.param(
        {
            "eleventy.config.js": (
                'export default function (eleventyConfig) {\n  return { dir: { input: "src", '
                'output: "dist" } };\n}\n'
            )
        },
        "Eleventy",
        None,
        None,
        None,
        "dist",
        id="eleventy-literal-output",
    ),
    pytest.param(
        {".eleventy.js": "module.exports = c => ({ dir: { output: process.env.OUT } });\n"},
        "Eleventy",
        None,
        None,
        None,
        "_site",
        id="eleventy-computed-output",
    ),
    pytest.param(
        {
            "astro.config.mjs": (
                "import { defineConfig } from 'astro/config';\nexport default defineConfig({\n"
                "  site: 'https://jo.photo',\n  outDir: './build',\n});\n"
            )
        },
        "Astro",
        "https://jo.photo",
        None,
        None,
        "build",
        id="astro",
    ),
]


@pytest.mark.parametrize(("files", "name", "url", "title", "author", "output"), CASES)
def test_each_generator_config_is_read(tmp_path, files, name, url, title, author, output):
    for file, text in files.items():
        (tmp_path / file).write_text(text, encoding="utf-8")
    found = generators.detect(tmp_path)
    assert found is not None
    assert (found.name, found.url, found.title, found.author, found.output) == (
        name,
        url,
        title,
        author,
        output,
    )


def test_no_generator_config_is_none(tmp_path):
    (tmp_path / "README.md").write_text("hello")
    (tmp_path / "config.yaml").write_text("database: {host: db}\ntitle: not a site\n")
    (tmp_path / "hugo.toml").mkdir()  # a folder of that name is not a config
    assert generators.detect(tmp_path) is None


def test_a_broken_config_is_found_but_says_nothing(tmp_path):
    (tmp_path / "hugo.toml").write_text("baseURL = [unterminated\n")
    found = generators.detect(tmp_path)
    assert found is not None and (found.url, found.title, found.output) == (None, None, "public")


def test_pelican_config_is_never_run(tmp_path):
    """Read as text: a config that would do something when imported does nothing."""
    marker = tmp_path / "ran"
    (tmp_path / "pelicanconf.py").write_text(
        f"open({str(marker)!r}, 'w').write('x')\nSITENAME = 'Jo'\n"
    )
    found = generators.detect(tmp_path)
    assert found is not None and found.title == "Jo" and not marker.exists()


_TEXT = st.text(
    st.characters(codec="utf-8") | st.sampled_from(list(string.printable) + ["\x00", "\ufeff"]),
    max_size=60,
)
_KEYS = st.sampled_from(
    [
        "baseURL = ",
        "title: ",
        "site_url: ",
        "url: ",
        "baseurl: ",
        "SITEURL = ",
        "AUTHOR = ",
        "output: ",
        "outDir: ",
        "site: ",
        "author:\n  name: ",
        "[params]\nauthor = ",
        "publishDir = ",
        "!!python/name:",
        "'",
        '"',
        "{",
        "[",
    ]
)
_CONFIG_TEXT = st.lists(st.one_of(_KEYS, _TEXT), max_size=10).map("".join)


@given(name=st.sampled_from([n for n, _ in generators.READERS]), text=_CONFIG_TEXT)
def test_readers_never_crash_on_arbitrary_text(tmp_path_factory, name, text):
    found = generators.read(name, tmp_path_factory.getbasetemp() / name, text)
    if found is None:
        assert name.startswith("config."), name
        return
    assert found.output and "\x00" not in found.output
    if found.url is not None:
        assert re.match(r"https?://[^/\s]", found.url) and not found.url.endswith("/")
    for value in (found.title, found.author):
        assert value is None or (value.strip() == value and value)


@given(value=st.text(max_size=80))
def test_every_value_init_writes_reads_back_exactly(value):
    """Names and e-mails are the user's text: whatever it is, the YAML says exactly it."""
    assert yaml.safe_load(init_cmd._scalar(value)) == value


# --- the command ------------------------------------------------------------------------------


def _site(tmp_path) -> dict:
    return yaml.safe_load((tmp_path / "sites.yaml").read_text(encoding="utf-8"))["sites"][0]


def test_init_fills_the_site_from_hugo(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hugo.toml").write_text(HUGO_TOML)
    assert main(["init", "--email", "jo@jo.photo"]) == 0
    site = _site(tmp_path)
    assert site == {
        "name": "jo-photo",
        "url": "https://jo.photo",
        "input": "dist",
        "rightsholder": {"name": "Jo Photo", "email": "jo@jo.photo", "url": "https://jo.photo/"},
    }
    assert "output" not in site, "CI deploys the generator's folder: it must be stamped in place"
    out = capsys.readouterr().out
    assert "hugo.toml (Hugo)" in out and "still examples" not in out
    # Nothing left to replace: it builds as soon as the generator has run.
    (tmp_path / "dist").mkdir()
    assert main(["build", "-q"]) == 0


def test_flags_beat_the_generator_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hugo.toml").write_text(HUGO_TOML)
    argv = ["init", "--name", "Studio Jo", "--email", "a@b.cd", "--url", "https://studio.jo/"]
    assert main([*argv, "--reserve", "train, search", "--yes"]) == 0
    site = _site(tmp_path)
    assert site["rightsholder"]["name"] == "Studio Jo" and site["url"] == "https://studio.jo/"
    defaults = yaml.safe_load((tmp_path / "sites.yaml").read_text())["defaults"]
    assert defaults["reserve"] == ["train", "search"] and "allow" not in defaults


def test_what_init_cannot_find_stays_a_placeholder_build_names(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mkdocs.yml").write_text("site_name: Notes\nsite_author: Jo Photo\n")
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    assert "still examples, to replace before building: url, rightsholder.email" in out
    site = _site(tmp_path)
    assert site["input"] == "site" and site["rightsholder"]["name"] == "Jo Photo"
    (tmp_path / "site").mkdir()
    assert main(["build"]) == 2
    err = capsys.readouterr().err
    refused = set(re.findall(r"sites.yaml:\d+:\d+: (\S+) is still the placeholder", err))
    assert refused == {"url", "rightsholder.email", "rightsholder.url"}


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_init_asks(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "_config.yml").write_text("title: Jo\nurl: https://jo.photo\nauthor: Jo Photo\n")
    # Enter keeps the found name; a use that does not exist is asked again.
    monkeypatch.setattr("sys.stdin", _Tty("\njo@jo.photo\ntrain, nonsense\ntrain, tdm\n"))
    assert main(["init"]) == 0
    site = _site(tmp_path)
    assert site["rightsholder"] == {
        "name": "Jo Photo",
        "email": "jo@jo.photo",
        "url": "https://jo.photo/",
    }
    assert site["input"] == "_site"
    assert yaml.safe_load((tmp_path / "sites.yaml").read_text())["defaults"]["reserve"] == [
        "train",
        "tdm",
    ]
    out, err = capsys.readouterr()
    assert "Your name, as the rights holder [Jo Photo]: " in out and "unknown use nonsense" in err


def test_end_of_input_keeps_what_was_found(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hugo.toml").write_text(HUGO_TOML)
    monkeypatch.setattr("sys.stdin", _Tty(""))  # Ctrl-D at the first question
    assert main(["init"]) == 0
    assert _site(tmp_path)["rightsholder"]["name"] == "Jo Photo"


def test_yes_asks_nothing_on_a_terminal(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", _Tty(""))  # any question would hit EOF
    assert main(["init", "--yes"]) == 0
    assert _site(tmp_path)["input"] == "public"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--reserve", "everything"], "unknown use everything"),
        (["--url", "jo.photo"], "expected the site's own https:// URL"),
    ],
)
def test_bad_flags_are_refused_and_write_nothing(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["init", *argv]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "sites.yaml").exists()


def test_init_output_loads_as_a_config(tmp_path, monkeypatch):
    """Whatever a title looks like, the site name init derives is one sites.yaml accepts."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hugo.toml").write_text(
        "baseURL = 'https://jo.photo'\ntitle = '★ Ünïcode: Jo & Co ★'\n"
    )
    assert main(["init", "--name", "Jo", "--email", "jo@jo.photo"]) == 0
    (tmp_path / "public").mkdir()
    [site] = config.load(tmp_path / "sites.yaml").sites
    assert site.name == "unicode-jo-co"


@given(st.text(max_size=60))
def test_slug_is_always_a_valid_site_name_or_empty(title):
    name = init_cmd.slug(title)
    assert name == "" or re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) and not name.endswith("-")
