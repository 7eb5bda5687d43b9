"""The build end to end on the bundled example and on broken inputs."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from pathlib import Path

import html5lib
import pytest
from PIL import Image
from support import write_example_config

from optout_site.build import build, plan, work
from optout_site.cli import main

OUR_TAG = re.compile(
    rb'(\r?\n[ \t]*)?(<meta name="(tdm-reservation|tdm-policy|robots)" content="[^"]*"( data-optout-site="")?( /)?>'
    rb'|<link rel="license" type="application/rsl\+xml" href="[^"]*"( data-optout-site="")?( /)?>'
    rb'|<a class="optout-site-reservation" href="[^"]*">[^<]*</a>)'
)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def example_config(tmp_path: Path) -> Path:
    """The bundled sites.yaml, pointed at a copy of the example so the test owns its output."""
    return write_example_config(tmp_path)


def test_example_build_produces_every_signal_and_only_our_tags(example_config, tmp_path):
    report = build(example_config, jobs=2)
    assert report.ok, report.render()
    out = tmp_path / "build"
    for rel in [".well-known/tdmrep.json", "policies/tdm-policy.json", "ai.txt"]:
        assert (out / rel).is_file(), rel
    json.loads((out / ".well-known/tdmrep.json").read_bytes())
    pages = [p for p in (tmp_path / "public").rglob("*") if p.suffix in (".html", ".xhtml")]
    assert len(pages) >= 10
    for page in pages:
        rel = page.relative_to(tmp_path / "public")
        before, after = page.read_bytes(), (out / rel).read_bytes()
        assert OUR_TAG.sub(b"", after) == before, rel  # output minus our tags == input
        assert b'name="tdm-reservation"' in after, rel
    # The press page is exempt by a path rule; everything else is reserved.
    press = html5lib.parse((out / "press/index.html").read_bytes(), namespaceHTMLElements=False)
    assert [m.get("content") for m in press.iter("meta") if m.get("name") == "tdm-reservation"] == [
        "0"
    ]
    home = (out / "index.html").read_bytes()
    assert b'<meta name="robots" content="noai, noimageai" data-optout-site="">' in home
    # The ISO-8859-1 page keeps its own bytes.
    assert "Expositions passées".encode("latin-1") in (out / "fr/expositions.html").read_bytes()
    # The site's untouched files are copied byte for byte.
    for rel in ["css/style.css", "js/main.js", "sitemap.xml"]:
        assert (out / rel).read_bytes() == (tmp_path / "public" / rel).read_bytes()


def test_second_build_changes_nothing_not_even_mtimes(example_config, tmp_path):
    build(example_config, jobs=2)
    before = snapshot(tmp_path / "build")
    report = build(example_config, jobs=2)
    assert report.ok and report.changed == 0, report.render()
    assert snapshot(tmp_path / "build") == before


def test_in_place_build_is_idempotent(tmp_path, site_dir, write_config):
    cfg = write_config(f"""
        sites:
          - name: s
            url: https://a.example
            input: {site_dir}
            reserve: [tdm]
            rightsholder: {{name: A}}
        """)
    assert build(cfg).changed > 0
    before = snapshot(site_dir)
    report = build(cfg)
    assert report.changed == 0, report.render()
    assert snapshot(site_dir) == before


def test_dry_run_writes_nothing(example_config, tmp_path):
    report = build(example_config, dry_run=True)
    assert report.changed > 0
    assert not (tmp_path / "build").exists()


def test_jobs_1_and_jobs_2_give_identical_outputs(example_config, tmp_path):
    build(example_config, jobs=1)
    one = {k: v[0] for k, v in snapshot(tmp_path / "build").items()}
    shutil.rmtree(tmp_path / "build")
    build(example_config, jobs=2)
    assert {k: v[0] for k, v in snapshot(tmp_path / "build").items()} == one


def test_a_bad_file_is_named_left_alone_and_the_rest_completes(tmp_path, site_dir, write_config):
    bad = site_dir / "images" / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 7)  # truncated JPEG
    odd = site_dir / "utf16.html"
    odd.write_bytes(
        b"\xff\xfe" + "<html><head></head>\udcff</html>".encode("utf-16-le", "surrogatepass")
    )
    cfg = write_config(f"""
        sites:
          - name: s
            url: https://a.example
            input: {site_dir}
            rightsholder: {{name: A}}
        """)
    before = bad.read_bytes(), odd.read_bytes()
    report = build(cfg)
    problems = {p.path: p.message for p in report.sites[0].problems}
    skipped = {f.path: f.message for f in report.sites[0].files if f.action == "skipped"}
    # A page that cannot carry its tags is an error; an image a warning (on_unreadable).
    assert "utf16.html" in problems and "images/broken.jpg" in skipped, report.render()
    assert "truncated" in skipped["images/broken.jpg"]
    assert (bad.read_bytes(), odd.read_bytes()) == before
    assert b"tdm-reservation" in (site_dir / "index.html").read_bytes()
    assert main(["build", "-c", str(cfg), "--quiet"]) == 1


def test_output_mode_publishes_every_file_even_one_it_cannot_stamp(
    tmp_path, site_dir, write_config
):
    """Every input file reaches the output: stamped, or copied through byte for byte."""
    bad = site_dir / "images" / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 7)  # truncated JPEG
    text = f"""
        sites:
          - name: s
            url: https://a.example
            input: {site_dir}
            output: {tmp_path / "out"}
            rightsholder: {{name: A}}
        """
    report = build(write_config(text), state_dir=tmp_path / "state")
    assert report.ok, report.render()  # a warning: browsers may show what we cannot stamp
    [note] = [f for f in report.sites[0].files if f.path == "images/broken.jpg"]
    assert note.action == "skipped" and note.message.endswith("(copied as is)")
    assert (tmp_path / "out/images/broken.jpg").read_bytes() == bad.read_bytes()
    inputs = {p.relative_to(site_dir) for p in site_dir.rglob("*") if p.is_file()}
    outputs = {
        p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*") if p.is_file()
    }
    assert inputs <= outputs, inputs - outputs
    # images.on_unreadable: error fails the build, and still publishes the file.
    (tmp_path / "out/images/broken.jpg").unlink()
    strict = text.rstrip() + "\n            images: {on_unreadable: error}\n"
    report = build(write_config(strict), state_dir=tmp_path / "state2")
    assert [p.path for p in report.sites[0].problems] == ["images/broken.jpg"]
    assert (tmp_path / "out/images/broken.jpg").read_bytes() == bad.read_bytes()


def test_symlinks_out_of_the_site_are_not_followed(tmp_path, site_dir, write_config):
    secret = tmp_path / "secret.html"
    secret.write_text("<html><head></head></html>")
    os.symlink(secret, site_dir / "leak.html")
    os.symlink(site_dir, site_dir / "loop")
    cfg = write_config(f"""
        sites:
          - {{name: s, url: 'https://a.example', input: {site_dir}, output: out, rightsholder: {{name: A}}}}
        """)
    report = build(cfg)
    skipped = {f.path for f in report.sites[0].files if f.action == "skipped"}
    assert {"leak.html", "loop"} <= skipped
    assert secret.read_text() == "<html><head></head></html>"
    assert not (tmp_path / "out" / "leak.html").exists()


def test_temp_files_from_a_killed_run_are_swept(tmp_path, site_dir, write_config):
    cfg = write_config(f"""
        sites:
          - {{name: s, url: 'https://a.example', input: {site_dir}, rightsholder: {{name: A}}}}
        """)
    from optout_site.build import atomic
    from optout_site.build.pipeline import lock_path

    journal = lock_path(load_site_from(cfg)).with_suffix(".temps")
    journal.parent.mkdir(parents=True, exist_ok=True)
    with atomic.recording_temps(journal):  # a build killed mid-write
        fd, left = atomic._create_temp(site_dir / "css")
        os.write(fd, b"half")
        os.close(fd)
    build(cfg)
    assert not left.exists() and not list(site_dir.rglob(".optout-site-tmp-*"))


def test_images_are_stamped_pixels_unchanged(example_config, tmp_path):
    build(example_config)
    for rel in [
        "images/mountains.jpg",
        "images/coast.png",
        "images/forest.webp",
        "press/portrait.jpg",
    ]:
        src, dst = tmp_path / "public" / rel, tmp_path / "build" / rel
        with Image.open(src) as a, Image.open(dst) as b:
            assert a.tobytes() == b.tobytes(), rel
            assert a.info.get("icc_profile") == b.info.get("icc_profile"), rel
        assert b"plus:DataMining" in dst.read_bytes() or b"DataMining" in dst.read_bytes(), rel
    assert b"DMI-ALLOWED" in (tmp_path / "build/press/portrait.jpg").read_bytes()
    assert (
        b"DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"
        in (tmp_path / "build/images/mountains.jpg").read_bytes()
    )


def test_cli_json_report_and_config_error_exit_code(example_config, tmp_path, capsys):
    assert main(["build", "-c", str(example_config), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["sites"][0]["name"] == "lea-moreau"
    bad = tmp_path / "bad.yaml"
    bad.write_text("sites:\n  - nam: x\n")
    assert main(["build", "-c", str(bad)]) == 2
    assert f"{bad}:2:5" in capsys.readouterr().err


def test_pipeline_process_reports_unreadable_file(tmp_path):
    task = plan.Task("x.css", tmp_path / "missing.css", tmp_path / "out.css", "file", False)
    result = work.process(task)
    assert result.action == "error" and "missing.css" in result.message


def test_check_with_a_config_counts_files_missing_from_the_output(tmp_path, site_dir, write_config):
    text = f"""
        sites:
          - name: s
            url: https://a.example
            input: {site_dir}
            output: {tmp_path / "out"}
            rightsholder: {{name: A}}
        """
    cfg = write_config(text)
    assert main(["build", "-c", str(cfg), "-q"]) == 0
    assert main(["check", str(tmp_path / "out"), "-c", str(cfg), "--json"]) == 0
    (tmp_path / "out/images/mountains.jpg").unlink()  # what a build that drops a photo leaves
    assert main(["check", str(tmp_path / "out"), "-c", str(cfg), "--json"]) == 1


def test_an_output_that_cannot_be_written_is_one_line_not_an_error_per_file(
    tmp_path, site_dir, write_config
):
    blocked = tmp_path / "out"
    blocked.write_text("a file where the output folder should be\n")
    cfg = write_config(f"""
        sites:
          - name: s
            url: https://a.example
            input: {site_dir}
            output: {blocked}
            rightsholder: {{name: A}}
        """)
    report = build(cfg, state_dir=tmp_path / "state")
    [problem] = report.sites[0].problems
    assert problem.path == "." and problem.message.startswith(f"cannot write to {blocked}")
    assert "nothing was changed" in problem.message
    assert ".optout-site-tmp-" not in report.render()
    assert blocked.read_text() == "a file where the output folder should be\n"


def test_a_second_build_of_the_same_output_waits_its_turn(tmp_path, site_dir, write_config):
    """Two builds at once on one site: the second says so and touches nothing."""
    from optout_site.build import atomic
    from optout_site.build.pipeline import lock_path

    cfg = write_config(f"""
        sites:
          - name: s
            url: https://a.example
            input: {site_dir}
            rightsholder: {{name: A}}
        """)
    site = load_site_from(cfg)
    before = {p: p.read_bytes() for p in site_dir.rglob("*") if p.is_file()}
    stray = site_dir / ".optout-site-tmp-first-build"
    stray.write_bytes(b"the first build's file in hand")
    # Held by a build of the same folder under another site name (another sites.yaml).
    other = dataclasses.replace(site, name="another-name")
    lock = lock_path(other, tmp_path / "state")
    with atomic.exclusive(lock) as holder:
        assert holder is None
        report = build(cfg, state_dir=tmp_path / "state")
    [problem] = report.sites[0].problems
    assert "another optout-site build is writing to" in problem.message
    assert f"pid {os.getpid()}" in problem.message
    assert stray.exists()  # not swept from under the first build
    assert {p: p.read_bytes() for p in site_dir.rglob("*") if p.is_file() and p != stray} == before
    stray.unlink()
    assert build(cfg, state_dir=tmp_path / "state").ok  # the lock is free again


def load_site_from(cfg):
    from optout_site import config

    return config.load(cfg).sites[0]


def test_never_writes_through_a_symlinked_folder(tmp_path, site_dir, write_config):
    """.well-known linked to a folder shared between hosts; an output folder linked back
    into the input: neither may change a file outside the site."""
    shared = tmp_path / "shared-acme"
    shared.mkdir()
    (shared / "tdmrep.json").write_text("theirs")
    (site_dir / ".well-known").symlink_to(shared)
    cfg = write_config(f"""
        sites:
          - name: s
            url: https://a.example
            input: {site_dir}
            rightsholder: {{name: A}}
        """)
    report = build(cfg, state_dir=tmp_path / "state")
    assert (shared / "tdmrep.json").read_text() == "theirs"
    [problem] = [p for p in report.sites[0].problems if p.path == ".well-known/tdmrep.json"]
    assert "symbolic link" in problem.message and str(shared) in problem.message

    out = tmp_path / "out"
    out.mkdir()
    (out / "images").symlink_to(site_dir / "images")
    before = {p.name: p.read_bytes() for p in (site_dir / "images").iterdir()}
    cfg = write_config(f"""
        sites:
          - name: s
            url: https://a.example
            input: {site_dir}
            output: {out}
            rightsholder: {{name: A}}
        """)
    report = build(cfg, state_dir=tmp_path / "state2")
    assert {p.name: p.read_bytes() for p in (site_dir / "images").iterdir()} == before
    assert {p.path for p in report.sites[0].problems} >= {"images/mountains.jpg"}


def test_a_fifo_or_device_link_at_an_output_path_does_not_hang(tmp_path, site_dir, write_config):
    out = tmp_path / "out"
    (out / "about").mkdir(parents=True)
    os.mkfifo(out / "about/index.html")  # reading it would block forever
    (out / "index.html").symlink_to("/dev/zero")  # reading it would never end
    cfg = write_config(f"""
        sites:
          - name: s
            url: https://a.example
            input: {site_dir}
            output: {out}
            rightsholder: {{name: A}}
        """)
    report = build(cfg, state_dir=tmp_path / "state")
    assert report.ok, report.render()
    assert (out / "about/index.html").is_file() and not (out / "index.html").is_symlink()
    assert b"tdm-reservation" in (out / "about/index.html").read_bytes()


def test_the_reservation_page_never_replaces_the_sites_own_page(tmp_path, site_dir, write_config):
    about = site_dir / "about/index.html"
    before = about.read_bytes()
    cfg = write_config(f"""
        sites:
          - name: s
            url: https://a.example
            input: {site_dir}
            rightsholder: {{name: A}}
            reservation_page: {{path: /about/}}
        """)
    report = build(cfg, state_dir=tmp_path / "state")
    [problem] = [p for p in report.sites[0].problems if p.path == "about/index.html"]
    assert "would replace the site's own page" in problem.message
    # The page keeps its content; it is still tagged like any other page of the site.
    after = about.read_bytes()
    assert b"tdm-reservation" in after and len(after) < len(before) + 400
    assert b'content="optout-site"' not in after
    # Our own page at its usual path is recognised on every rebuild, in place.
    cfg = write_config(f"""
        sites:
          - name: s
            url: https://a.example
            input: {site_dir}
            rightsholder: {{name: A}}
        """)
    assert build(cfg, state_dir=tmp_path / "state").ok
    assert build(cfg, state_dir=tmp_path / "state").ok


def test_the_footer_link_is_the_last_thing_in_every_body(tmp_path, site_dir, write_config):
    """reservation_page.footer_link before </body>: a link to the page inside <body>, as
    browsers parse it."""
    cfg = write_config(f"""
        sites:
          - name: s
            url: https://a.example
            input: {site_dir}
            rightsholder: {{name: A}}
            reservation_page: {{footer_link: {{before: "</body>"}}}}
        """)
    assert build(cfg, state_dir=tmp_path / "state").ok
    pages = [p for p in site_dir.rglob("*.html") if "ai-reservation" not in p.parts]
    assert len(pages) >= 5
    for page in pages:
        tree = html5lib.parse(page.read_bytes(), namespaceHTMLElements=False)
        body = tree.find("body")
        links = [a for a in body.iter("a") if a.get("class") == "optout-site-reservation"]
        assert len(links) == 1, page
        assert links[0].get("href") == "https://a.example/ai-reservation/", page
        assert (links[0].text or "").strip(), page
        # Spliced before </body> in the bytes (html5lib would move a link written after
        # </body> into the body too), and nothing of the page's own follows it.
        raw = page.read_bytes()
        at = raw.index(b'class="optout-site-reservation"')
        end = raw.lower().rfind(b"</body>")
        assert at < end if end != -1 else b"</" not in raw[at:].replace(b"</a>", b""), page
        assert list(body.iter())[-1] is links[0] or links[0] in list(body)[-1:], page
    assert build(cfg, state_dir=tmp_path / "state").changed == 0
