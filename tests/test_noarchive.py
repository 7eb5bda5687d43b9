"""Bing's ``noarchive`` (``robots_meta.bing_noarchive``): in our robots meta tag and in
``X-Robots-Tag`` where AI input and generative training are both reserved, never
``noindex``, never in the author's own tags, off by default; ``check`` expects it there."""

from __future__ import annotations

import json
from pathlib import Path

import html5lib
import pytest
from support import errors, load_site, make_example, run_cli
from test_check import check_json, edit, variant

from optout_site import dialects
from optout_site.hosts import render_all
from optout_site.policy import Decision, Use
from optout_site.signals import headers, page_tags

T, G, I, S, M = Use.TRAIN, Use.GENAI_TRAIN, Use.AI_INPUT, Use.SEARCH, Use.TDM

SITE = """
sites:
  - name: bing
    url: https://bing.example
    input: public
    rightsholder: {name: Jane Doe}
    reserve: [tdm, train, ai-input]
    robots_meta: {bing_noarchive: true}
    hosts: [netlify, apache]
    rules:
      - {path: /press/, allow: [tdm, train, ai-input]}
      - {path: /blog/, allow: [ai-input]}
      - {path: /lab/, allow: [tdm, train], reserve: [genai-train, ai-input]}
      - {path: /models/, allow: [ai-input], reserve: [train]}
"""

# path -> (our robots directives, X-Robots-Tag) with the setting on
EXPECTED = {
    "/": (("noai", "noimageai", "noarchive"), "noai, noimageai, noarchive"),
    "/press/a.html": ((), None),
    "/blog/a.html": ((), None),  # retrieval allowed: noarchive would keep it out of Bing Chat
    "/lab/a.html": (("noarchive",), "noarchive"),  # only generative training is reserved
    "/models/a.html": ((), None),  # training reserved, Bing Chat allowed
}


def d(*uses: Use) -> Decision:
    return Decision(frozenset(uses))


@pytest.mark.parametrize(
    ("decision", "noarchive"),
    [
        (d(), False),
        (d(I), False),  # Bing Chat stays out, but generative training is allowed
        (d(T, G), False),  # training reserved, but retrieval for answers is allowed
        (d(G, I), True),  # Bing's two effects, exactly
        (d(T, G, I), True),
        (d(M, T, G, I), True),
        (d(M, T, G, I, S), True),
        (d(S), False),
    ],
)
def test_noarchive_needs_ai_input_and_generative_training_reserved(decision, noarchive):
    assert dialects.bing_noarchive(decision) is noarchive
    on = dialects.robots_directives(decision, noarchive=True)
    off = dialects.robots_directives(decision, noarchive=False)
    assert off == dialects.noai_directives(decision)
    assert on == off + (("noarchive",) if noarchive else ())
    assert "noindex" not in on


@pytest.fixture
def site(tmp_path: Path):
    return load_site(tmp_path, SITE)


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_page_tag_and_header_carry_noarchive_where_expected(site, path):
    robots, header = EXPECTED[path]
    decision = site.policy.resolve(path)
    assert page_tags.wanted(site, decision).robots_add == robots
    assert headers.effective(site, path).get(headers.X_ROBOTS_TAG) == header


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_off_by_default(tmp_path: Path, path):
    site = load_site(tmp_path, SITE.replace("    robots_meta: {bing_noarchive: true}\n", ""))
    assert not site.robots_meta.bing_noarchive
    decision = site.policy.resolve(path)
    assert "noarchive" not in page_tags.wanted(site, decision).robots_add
    assert "noarchive" not in headers.effective(site, path).get(headers.X_ROBOTS_TAG, "")


def test_host_files_carry_noarchive(site):
    rendered = render_all(site, lambda name: None)
    files = {name: data.decode() for name, data in rendered.items() if isinstance(data, bytes)}
    assert files.keys() == {"_headers", ".htaccess"}
    assert "X-Robots-Tag: noai, noimageai, noarchive" in files["_headers"]
    assert "X-Robots-Tag: noarchive" in files["_headers"]  # /lab/
    assert '"noai, noimageai, noarchive"' in files[".htaccess"]
    assert all("noindex" not in text for text in files.values())


def test_a_built_page_says_noarchive_in_our_tag_only(tmp_path: Path):
    site = load_site(tmp_path, SITE)
    page = b"""<!doctype html><html><head><meta charset="utf-8">
<meta name="robots" content="nocache, max-snippet:50"><title>t</title></head><body></body></html>"""
    out = page_tags.render(site, site.policy.resolve("/"), page)
    root = html5lib.parse(out, treebuilder="etree", namespaceHTMLElements=False)
    robots = [(m.get("content"), m.get("data-optout-site")) for m in root.iter("meta")]
    robots = [r for r in robots if r[0] and "no" in r[0]]
    assert robots == [
        ("noai, noimageai, noarchive", ""),  # ours, marked
        ("nocache, max-snippet:50", None),  # the author's, as written
    ]
    assert page_tags.render(site, site.policy.resolve("/"), out) == out


# --- check: expects noarchive where the build writes it, and nowhere else -----------------


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[Path, object]:
    return make_example(tmp_path_factory.mktemp("noarchive"), robots_meta={"bing_noarchive": True})


def _about(data: dict, word: str) -> list[dict]:
    return [f for f in data["findings"] if word in f["message"]]


def test_check_accepts_the_noarchive_it_expects(example, capsys):
    cfg, site = example
    home = (site.output_dir / "index.html").read_text(encoding="utf-8")
    assert 'content="noai, noimageai, noarchive" data-optout-site=""' in home
    press = (site.output_dir / "press" / "index.html").read_text(encoding="utf-8")
    assert "noarchive" not in press
    code, data = check_json(site.output_dir, cfg, capsys)
    assert code == 0, json.dumps(data["findings"], indent=1)
    assert not _about(data, "noarchive")


def test_check_reports_missing_noarchive(example, tmp_path, capsys):
    cfg, _ = example
    folder = variant(example, tmp_path)
    edit(folder / "index.html", "noai, noimageai, noarchive", "noai, noimageai")
    code, data = check_json(folder, cfg, capsys)
    assert code == 1
    assert errors(data, "page meta", "/index.html", "lacks noarchive")


def test_check_reports_our_noarchive_where_ai_input_is_allowed(example, tmp_path, capsys):
    cfg, site = example
    folder = variant(example, tmp_path)
    page = folder / "press" / "index.html"  # AI use allowed here
    edit(page, "<head>", '<head><meta name="robots" content="noarchive" data-optout-site="">')
    code, data = check_json(folder, cfg, capsys)
    assert code == 1
    assert [f["path"] for f in errors(data, "page meta", text="noarchive")] == ["/press/index.html"]


def test_authors_own_noarchive_is_never_flagged_but_nocache_is_warned(example, tmp_path, capsys):
    cfg, _ = example
    folder = variant(example, tmp_path)
    page = folder / "press" / "index.html"  # AI use allowed here
    edit(page, "<head>", '<head><meta name="robots" content="noarchive">')
    edit(folder / "index.html", "<head>", '<head><meta name="robots" content="nocache">')
    code, data = check_json(folder, cfg, capsys)
    assert code == 0, json.dumps(data["findings"], indent=1)
    found = _about(data, "noarchive")
    assert [(f["severity"], f["path"]) for f in found] == [("warning", "/index.html")]
    assert "nocache" in found[0]["message"]


@pytest.mark.slow  # an HTTP server on loopback
def test_check_url_expects_noarchive_in_x_robots_tag(example, capsys):
    from test_check_url import good_headers, serve

    cfg, site = example
    right = good_headers(site)
    assert right("/")["X-Robots-Tag"] == "noai, noimageai, noarchive"
    assert "X-Robots-Tag" not in right("/press/portrait.jpg")

    def without_noarchive(path: str) -> dict[str, str]:
        out = right(path)
        if "X-Robots-Tag" in out:
            out["X-Robots-Tag"] = out["X-Robots-Tag"].replace(", noarchive", "")
        return out

    argv = ["check", "", "--json", "--timeout", "5", "-c", str(cfg)]
    for headers_for, code in ((right, 0), (without_noarchive, 1)):
        with serve(site.output_dir, headers_for) as base:
            argv[1] = base
            got = run_cli(argv)
            data = json.loads(capsys.readouterr().out)
        assert got == code, json.dumps(data["findings"], indent=1)
        lacking = errors(data, "HTTP headers", text="lacks noarchive")
        assert bool(lacking) is (code == 1)
        assert all("noai" not in f["message"].replace("noarchive", "") for f in lacking)
