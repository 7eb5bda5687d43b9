"""The reservation page never replaces a page of the site's own, and always recognises its own.

A page at ``reservation_page.path`` that the build did not write is kept (and tagged like any
other page); the reservation pages are then not written, each conflict is an error row naming
the file and the key, the rest of the site and the other sites build, and the exit code is 1.
"""

from __future__ import annotations

from pathlib import Path

from optout_site.build import build
from optout_site.cli import main

ABOUT = b"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>About</title>
    <link rel="canonical" href="https://a.example/about/">
  </head>
  <body><p>About me.</p></body>
</html>
"""


def site_yaml(tmp_path: Path, extra: str = "", name: str = "s", folder: str = "public") -> str:
    """One site entry of a sites.yaml; ``extra`` is more of its keys, one a line."""
    keys = [
        f"name: {name}",
        "url: https://a.example",
        f"input: {tmp_path / folder}",
        "rightsholder: {name: A}",
        "language: [en, fr]",
        *extra.splitlines(),
    ]
    return "  - " + "\n    ".join(keys) + "\n"


def write(tmp_path: Path, *sites: str) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text("sites:\n" + "".join(sites), encoding="utf-8")
    return path


def make_site(tmp_path: Path, folder: str = "public") -> Path:
    public = tmp_path / folder
    (public / "about").mkdir(parents=True)
    (public / "about/index.html").write_bytes(ABOUT)
    (public / "index.html").write_bytes(b"<!DOCTYPE html><title>home</title><p>hi")
    return public


def test_a_page_tagged_by_an_earlier_build_is_still_the_sites_own(tmp_path):
    """Every page carries our tdm-reservation meta after a build, and SSGs write canonical
    links exactly as our page did before the generator mark: that pair is no proof."""
    public = make_site(tmp_path)
    state = tmp_path / "state"
    assert build(write(tmp_path, site_yaml(tmp_path)), state_dir=state).ok
    tagged = (public / "about/index.html").read_bytes()
    assert b'<meta name="tdm-reservation"' in tagged
    cfg = write(tmp_path, site_yaml(tmp_path, "reservation_page: {path: /about/}\n"))
    report = build(cfg, state_dir=state)
    assert not report.ok
    assert (public / "about/index.html").read_bytes() == tagged
    problems = {p.path: p.message for p in report.sites[0].problems}
    assert "would replace the site's own page" in problems["about/index.html"]


def test_no_reservation_page_is_written_when_one_of_them_would_replace_a_page(tmp_path):
    public = make_site(tmp_path)
    (public / "about/index.html").unlink()
    (public / "about/fr").mkdir()
    (public / "about/fr/index.html").write_bytes(ABOUT.replace(b'"en"', b'"fr"'))
    cfg = write(tmp_path, site_yaml(tmp_path, "reservation_page: {path: /about/}\n"))
    report = build(cfg, state_dir=tmp_path / "state")
    assert not report.ok
    # The English page would stand beside the site's French one, each linking the other.
    assert not (public / "about/index.html").exists()
    problems = {p.path: p.message for p in report.sites[0].problems}
    assert "reservation_page.path" in problems["about/fr/index.html"]
    assert "about/fr/index.html" in problems["about/index.html"]


def test_a_theme_page_without_our_mark_is_recognised_on_the_next_build(tmp_path):
    public = make_site(tmp_path)
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "reservation.html.j2").write_text(
        "<!DOCTYPE html><html lang={{ lang }}><head><title>x</title></head>"
        "<body><p>{{ holder.name }}</p></body></html>",
        encoding="utf-8",
    )
    cfg = write(tmp_path, site_yaml(tmp_path, f"reservation_page: {{templates: {theme}}}\n"))
    state = tmp_path / "state"
    first = build(cfg, state_dir=state)
    assert first.ok, first.render()
    page = public / "ai-reservation/index.html"
    written = page.read_bytes()
    assert b"<p>A</p>" in written
    # In place, the page is now in the input: it is ours, also without the state file.
    for state_dir in (state, tmp_path / "fresh-state"):
        again = build(cfg, state_dir=state_dir)
        assert again.ok, again.render()
        assert page.read_bytes() == written


def test_the_conflict_is_exit_1_and_the_other_sites_build(tmp_path, capsys):
    make_site(tmp_path)
    other = make_site(tmp_path, "other")
    cfg = write(
        tmp_path,
        site_yaml(tmp_path, "reservation_page: {path: /about/}\n"),
        site_yaml(tmp_path, name="t", folder="other"),
    )
    assert main(["build", "--config", str(cfg), "--jobs", "1"]) == 1
    err = capsys.readouterr()
    assert "about/index.html" in err.out + err.err
    assert (other / "ai-reservation/index.html").is_file()
    assert b"tdm-reservation" in (other / "about/index.html").read_bytes()


def test_our_page_from_before_the_mark_is_still_ours(tmp_path):
    public = make_site(tmp_path)
    cfg = write(tmp_path, site_yaml(tmp_path))
    assert build(cfg, state_dir=tmp_path / "state").ok
    page = public / "ai-reservation/index.html"
    ours = page.read_bytes()
    # What builds wrote before the generator meta existed.
    page.write_bytes(ours.replace(b'<meta name="generator" content="optout-site">\n', b""))
    report = build(cfg, state_dir=tmp_path / "fresh-state")
    assert report.ok, report.render()
    assert page.read_bytes() == ours
