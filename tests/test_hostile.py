"""Hostile and broken inputs, through the whole build.

Every case stamps a site in place (the photographer's only copy) next to two ordinary
files, and checks: the build completes (the ordinary files are stamped), the exit code
is 1 when a file could not be processed (the report names it and says why) and 0 when
the input is merely odd, a file that could not be processed is byte-identical to
before, and no temp file is left anywhere.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import imagefactory as f
import pytest
from PIL import Image
from support import BASE, REPO

from optout_site.build import build
from optout_site.build.atomic import TEMP_PREFIX
from optout_site.cli import main
from optout_site.images import ImageError, xmp

CATALOGUE = f.catalogue()
GOOD_PAGE = b'<!DOCTYPE html>\n<html>\n<head>\n  <meta charset="utf-8">\n  <title>ok</title>\n</head>\n<body><p>ok</p></body>\n</html>\n'
GOOD_IMAGE = CATALOGUE["exif_icc.jpg"]
IS_ROOT = os.geteuid() == 0


@dataclass
class Outcome:
    code: int
    problems: dict[str, str]
    skipped: dict[str, str]
    changed: set[str]


class Site:
    """A site folder with two ordinary files, a sites.yaml for it, and a build runner."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "site"
        self.root.mkdir()
        self.state = tmp_path / "state"
        (self.root / "index.html").write_bytes(GOOD_PAGE)
        (self.root / "photo.jpg").write_bytes(GOOD_IMAGE)
        self.config = tmp_path / "sites.yaml"
        self.config.write_text(
            "sites:\n  - name: hostile\n    url: https://hostile.example\n"
            f"    input: {json.dumps(str(self.root))}\n    reserve: [tdm, train, ai-input]\n"
            "    rightsholder: {name: Hostile}\n",
            encoding="utf-8",
        )

    def add(self, rel: str | bytes, data: bytes) -> Path:
        path = Path(os.fsdecode(os.path.join(os.fsencode(self.root), os.fsencode(rel))))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def build(self, capsys: pytest.CaptureFixture[str]) -> Outcome:
        """The CLI exactly as a user runs it, reading its JSON report."""
        capsys.readouterr()
        code = main(
            [
                "build",
                "-c",
                str(self.config),
                "--json",
                "--jobs",
                "1",
                "--state-dir",
                str(self.state),
            ]
        )
        report = json.loads(capsys.readouterr().out)["sites"][0]
        return Outcome(
            code,
            {p["path"]: p["message"] for p in report["problems"]},
            {s["path"]: s["message"] for s in report["skipped"]},
            {f["path"] for f in report["files"] if f["action"] == "changed"},
        )

    def temps(self) -> list[Path]:
        return [p for p in self.root.rglob("*") if p.name.startswith(TEMP_PREFIX)]

    def assert_completed(self, outcome: Outcome) -> None:
        assert {"index.html", "photo.jpg"} <= outcome.changed, outcome
        assert b'name="tdm-reservation"' in (self.root / "index.html").read_bytes()
        assert not self.temps()


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


def refused(site: Site, outcome: Outcome, path: Path, before: bytes, *words: str) -> None:
    """The file was named, with a reason, and left exactly as it was: a page as a problem
    (exit 1, it goes out without its tags), an image as a warning (images.on_unreadable
    defaults to warn: browsers may show it, and the rest of the site carries the policy)."""
    rel = path.relative_to(site.root).as_posix()
    is_page = path.suffix.lower() in (".html", ".htm", ".xhtml")
    named = outcome.problems if is_page else outcome.skipped
    if is_page:
        assert outcome.code == 1, outcome
    assert rel in named and rel not in (outcome.skipped if is_page else outcome.problems)
    message = named[rel].lower()
    assert any(w.lower() in message for w in words), message
    assert path.read_bytes() == before
    site.assert_completed(outcome)


# --- broken images --------------------------------------------------------------------

BROKEN = {
    "truncated.jpg": CATALOGUE["exif_icc.jpg"][: len(CATALOGUE["exif_icc.jpg"]) // 2],
    "truncated.png": CATALOGUE["rgba.png"][:300],
    "truncated.webp": CATALOGUE["lossless.webp"][:-40],
    "truncated.tif": CATALOGUE["mm.tif"][:200],
    "truncated.gif": CATALOGUE["animated.gif"][:-30],
    "corrupt_segment.jpg": CATALOGUE["gray.jpg"][:4] + b"\x00\x01" + CATALOGUE["gray.jpg"][6:],
    "corrupt_crc.png": CATALOGUE["rgba.png"][:29] + b"\x00" + CATALOGUE["rgba.png"][30:],
    "corrupt_riff.webp": CATALOGUE["lossy.webp"][:12]
    + b"JUNK\xff\xff\xff\x7f"
    + CATALOGUE["lossy.webp"][20:],
    "corrupt_ifd.tif": CATALOGUE["mm.tif"][:4] + b"\x7f\xff\xff\xf0" + CATALOGUE["mm.tif"][8:],
    "corrupt_block.gif": CATALOGUE["static87a.gif"][:-2] + b"\x99\x3b",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_truncated_and_corrupt_images_are_named_and_untouched(
    site: Site, capsys, name: str
) -> None:
    path = site.add(f"images/{name}", BROKEN[name])
    outcome = site.build(capsys)
    refused(
        site,
        outcome,
        path,
        BROKEN[name],
        "the file ends early (truncated)",
        "we do not modify; browsers may still show it",
    )


def test_wrong_extensions(site: Site, capsys) -> None:
    png_as_jpg = site.add("png_named.jpg", CATALOGUE["rgba.png"])
    html_as_png = site.add("page_named.png", GOOD_PAGE)
    text_as_gif = site.add("notes_named.gif", b"just some text, not a GIF\n")
    jpeg_as_html = site.add("photo_named.html", CATALOGUE["gray.jpg"])
    outcome = site.build(capsys)
    # A PNG under a .jpg name is still a PNG: stamped as one, pixels unchanged.
    assert "png_named.jpg" in outcome.changed
    assert png_as_jpg.read_bytes().startswith(b"\x89PNG")
    with Image.open(png_as_jpg) as a, Image.open(io.BytesIO(CATALOGUE["rgba.png"])) as b:
        assert a.tobytes() == b.tobytes()
    refused(site, outcome, html_as_png, GOOD_PAGE, "not a JPEG, PNG, WebP")
    refused(site, outcome, text_as_gif, b"just some text, not a GIF\n", "not a JPEG, PNG, WebP")
    # Tags spliced in front of a JPEG would have corrupted it.
    refused(site, outcome, jpeg_as_html, CATALOGUE["gray.jpg"], "binary data")


def test_zero_byte_files(site: Site, capsys) -> None:
    images = [site.add(f"empty.{ext}", b"") for ext in ("jpg", "png", "webp", "tif", "gif")]
    page = site.add("empty.html", b"")
    css = site.add("empty.css", b"")
    outcome = site.build(capsys)
    for path in images:
        refused(site, outcome, path, b"", "empty file")
    # An empty page is odd but fine: the tags alone make a valid document.
    assert "empty.html" not in outcome.problems
    assert page.read_bytes().startswith(b'<meta name="tdm-reservation" content="1">')
    assert css.read_bytes() == b""


# --- huge, malformed and hostile XMP ----------------------------------------------------


def _with_xmp(fmt: str, packet: bytes) -> bytes:
    """A small image of ``fmt`` whose existing XMP is ``packet`` (bytes as given)."""
    pic = f.noise("RGB", (8, 8), 1)
    if fmt == "jpg":
        return f.insert_segments(f.save(pic, "JPEG"), 1, f.jpeg_segment(0xE1, f.XMP_SIG + packet))
    if fmt == "png":
        chunks, tail = f.png_chunks(f.save(pic, "PNG"))
        body = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + packet
        return f.png_from_chunks([chunks[0], (b"iTXt", body), *chunks[1:]], tail)
    if fmt == "webp":
        return f.save(pic, "WEBP", xmp=packet)
    if fmt == "tif":
        return f.save(pic, "TIFF", tiffinfo={700: packet})
    plain = f.save(pic.quantize(16), "GIF")
    head, blocks, tail = f.gif_blocks(plain)
    return b"GIF89a" + head[6:] + f.gif_xmp_block(packet) + b"".join(blocks) + tail


XMP_FORMATS = ("jpg", "png", "webp", "tif", "gif")
RDF = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
END = b"</rdf:RDF></x:xmpmeta>"
DESC = b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i + 1, (b"&lol%d;" % i if i else b"&lol;") * 10)
        for i in range(9)
    )
    + b"]>"
    + RDF
    + DESC
    + b"<dc:title>&lol9;</dc:title></rdf:Description>"
    + END
)


@pytest.mark.parametrize("fmt", XMP_FORMATS)
def test_malformed_xmp_is_refused(site: Site, capsys, fmt: str) -> None:
    data = _with_xmp(fmt, RDF + DESC + b"<dc:title>unclosed</rdf:Description>" + END)
    path = site.add(f"malformed.{fmt}", data)
    refused(site, site.build(capsys), path, data, "not well-formed")


@pytest.mark.parametrize("fmt", XMP_FORMATS)
def test_billion_laughs_is_refused_not_expanded(site: Site, capsys, fmt: str) -> None:
    data = _with_xmp(fmt, LAUGHS)
    path = site.add(f"laughs.{fmt}", data)
    start = time.monotonic()
    outcome = site.build(capsys)
    assert time.monotonic() - start < 10
    refused(site, outcome, path, data, "DOCTYPE", "ENTITY")


@pytest.fixture
def listener():
    """A local TCP port that records whether anything connected (a fetch attempt)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def _connected(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


@pytest.mark.parametrize("fmt", XMP_FORMATS)
def test_external_entities_are_refused_never_fetched(
    site: Site, capsys, tmp_path: Path, listener: socket.socket, fmt: str
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"TOP-SECRET-CANARY")
    port = listener.getsockname()[1]
    packet = (
        b'<!DOCTYPE x [<!ENTITY %% remote SYSTEM "http://127.0.0.1:%d/evil.dtd"> %%remote;' % port
        + b'<!ENTITY secret SYSTEM "'
        + secret.as_uri().encode()
        + b'">]>'
        + RDF
        + DESC
        + b"<dc:title>&secret;</dc:title></rdf:Description>"
        + END
    )
    data = _with_xmp(fmt, packet)
    path = site.add(f"xxe.{fmt}", data)
    outcome = site.build(capsys)
    refused(site, outcome, path, data, "DOCTYPE", "ENTITY")
    assert not _connected(listener), "the build tried to fetch an external DTD"
    for file in site.root.rglob("*"):
        if file.is_file():
            assert b"TOP-SECRET-CANARY" not in file.read_bytes(), file


@pytest.mark.parametrize(
    "packet",
    [
        LAUGHS.decode().encode("utf-16"),  # the DOCTYPE hidden from a byte search
        LAUGHS.decode().encode("utf-16-be"),  # ... and without a byte order mark
        LAUGHS.replace(b"DOCTYPE", b"doctype"),
        b'<!ENTITY a "b">' + RDF + END,
        b'<?xml version="1.0" encoding="UTF-16"?>' + LAUGHS[21:],  # a lying declaration
    ],
    ids=["utf16", "utf16be_nobom", "lowercase", "entity_only", "declared_utf16"],
)
def test_xmp_entity_tricks_are_refused(packet: bytes) -> None:
    with pytest.raises(ImageError, match="DOCTYPE|ENTITY|well-formed"):
        xmp.merge(packet, BASE, 512, None)


def test_xinclude_is_kept_as_foreign_data_never_processed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"TOP-SECRET-CANARY")
    packet = (
        RDF
        + DESC
        + b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="'
        + secret.as_uri().encode()
        + b'" parse="text"/></rdf:Description>'
        + END
    )
    merged = xmp.merge(packet, BASE, 512, None)
    assert b"TOP-SECRET-CANARY" not in merged and b"xi:include" in merged


def test_huge_xmp(site: Site, capsys) -> None:
    # Bigger than PNG's sanity limit for a metadata chunk: refused before parsing.
    huge = (
        RDF
        + DESC
        + b"<dc:title>"
        + b"x" * (17 * 1024 * 1024)
        + b"</dc:title></rdf:Description>"
        + END
    )
    too_big = site.add("huge_xmp.png", _with_xmp("png", huge))
    # A JPEG packet that fills its 64 KB segment: merging ours in cannot fit, refused.
    full = RDF + DESC + b"<dc:title>" + b"y" * 65000 + b"</dc:title></rdf:Description>" + END
    no_room = site.add("full_xmp.jpg", _with_xmp("jpg", full))
    # Large but sane (1 MB) in TIFF: odd, fine, and kept whole.
    big = RDF + DESC + b"<dc:title>" + b"z" * (1024 * 1024) + b"</dc:title></rdf:Description>" + END
    big_ok = site.add("big_xmp.tif", _with_xmp("tif", big))
    befores = {p: p.read_bytes() for p in (too_big, no_room)}
    outcome = site.build(capsys)
    refused(site, outcome, too_big, befores[too_big], "implausibly large")
    refused(site, outcome, no_room, befores[no_room], "holds at most")
    assert "big_xmp.tif" in outcome.changed
    assert b"z" * (1024 * 1024) in big_ok.read_bytes()


# --- HTML -----------------------------------------------------------------------------


def _only_tags_added(before: bytes, after: bytes) -> bool:
    import re

    ours = re.compile(
        rb'(\r?\n[ \t]*)?<meta name="(tdm-reservation|tdm-policy|robots)" content="[^"]*"( data-optout-site="")?( /)?>'
    )
    return ours.sub(b"", after) == before


def test_html_odd_but_fine_encodings(site: Site, capsys) -> None:
    pages = {
        "latin1.html": '<html><head><meta charset="iso-8859-1"><title>Été</title></head>'
        "<body>é</body></html>".encode("latin-1"),
        "utf16_bom.html": "\ufeff<html><head><title>Ünïcode</title></head><body>x</body></html>".encode(
            "utf-16-le"
        ),
        "utf32_bom.html": "\ufeff<html><head><title>x</title></head></html>".encode("utf-32"),
        "shift_jis.html": '<html><head><meta charset="shift_jis"><title>写真</title></head>'
        "<body>写真</body></html>".encode("shift_jis"),
        # Labels a browser would not apply as written; the bytes are ASCII-compatible.
        "utf16_label.html": b'<html><head><meta charset="utf-16le"><title>x</title></head></html>',
        "base64_label.html": b"<html><head><meta charset=base64><title>x</title></head></html>",
        "utf7_label.html": b'<html><head><meta charset="utf-7"><title>x</title></head></html>',
        "unknown_label.html": b'<html><head><meta charset="klingon"><title>x</title></head></html>',
        "nul_bytes.html": b"<html><head><title>a\x00b</title></head><body>\x00\x00</body></html>",
    }
    paths = {name: site.add(name, data) for name, data in pages.items()}
    outcome = site.build(capsys)
    assert outcome.code == 0, outcome
    for name, data in pages.items():
        out = paths[name].read_bytes()
        assert name in outcome.changed, name
        if name.startswith(("utf16_bom", "utf32_bom")):
            codec = "utf-16" if name.startswith("utf16") else "utf-32"
            assert out.decode(codec).count('name="tdm-reservation"') == 1, name
            continue
        # Our tags in ASCII (never UTF-16 for a mislabelled page), everything else as it was.
        assert out.count(b'<meta name="tdm-reservation" content="1">') == 1, name
        assert _only_tags_added(data, out), name
    site.assert_completed(outcome)


def test_html_that_cannot_be_edited_safely_is_refused(site: Site, capsys) -> None:
    pages = {
        "utf16_no_bom.html": "<html><head></head><body>x</body></html>".encode("utf-16-le"),
        "bad_utf16.html": b"\xff\xfe"
        + "<html><head></head>\udcff</html>".encode("utf-16-le", "surrogatepass"),
        "unterminated_tag.html": b'<html lang="en',
        "unterminated_doctype.html": b"<!DOCTYPE<!",
        "binary.html": bytes(range(256)) * 4,
    }
    paths = {name: site.add(name, data) for name, data in pages.items()}
    outcome = site.build(capsys)
    for name, data in pages.items():
        refused(site, outcome, paths[name], data, "utf-16", "untouched", "binary")


@pytest.mark.slow  # ~7 s
def test_giant_single_line_pages_are_fast_and_exact(site: Site, capsys) -> None:
    line = b"x" * (20 * 1024 * 1024)
    body_line = site.add(
        "giant_body.html", b"<html><head><title>t</title></head><body>" + line + b"</body></html>"
    )
    title_line = site.add("giant_title.html", b"<html><head><title>" + line + b"</title></head>")
    attr_line = site.add(
        "giant_attr.html", b"<html><head><meta name=description content='" + line + b"'></head>"
    )
    befores = {p: p.read_bytes() for p in (body_line, title_line, attr_line)}
    start = time.monotonic()
    outcome = site.build(capsys)
    assert time.monotonic() - start < 30
    assert outcome.code == 0, outcome
    for path, before in befores.items():
        assert _only_tags_added(before, path.read_bytes()), path
    site.assert_completed(outcome)


@pytest.mark.slow  # ~1 s
def test_unclosed_tags_and_many_duplicates(site: Site, capsys) -> None:
    pages = {
        "unclosed_title.html": b"<html><head><title>never closed",
        "unclosed_comment.html": b"<html><head><!-- never closed",
        "unclosed_script.html": b"<html><head><script>var a = '<head>';",
        "unclosed_body.html": b"<html><head></head><body><div><p><b>text",
    }
    paths = {name: site.add(name, data) for name, data in pages.items()}
    dupes = (
        b"<html><head>"
        + b'\n  <meta name="tdm-reservation" content="0">' * 20000
        + b"\n</head></html>"
    )
    dup_path = site.add("duplicates.html", dupes)
    start = time.monotonic()
    outcome = site.build(capsys)
    assert time.monotonic() - start < 20, "removing duplicate tags must stay linear"
    assert outcome.code == 0, outcome
    for name, data in pages.items():
        out = paths[name].read_bytes()
        assert _only_tags_added(data, out), name
        assert out.count(b'name="tdm-reservation"') == 1, name
    assert dup_path.read_bytes().count(b"tdm-reservation") == 1
    # A second build over all of it changes nothing.
    snapshot = {p: p.read_bytes() for p in site.root.rglob("*") if p.is_file()}
    again = site.build(capsys)
    assert again.changed == set(), again
    assert {p: p.read_bytes() for p in site.root.rglob("*") if p.is_file()} == snapshot


# --- permissions ----------------------------------------------------------------------


def test_read_only_files_keep_their_mode(site: Site, capsys) -> None:
    page = site.add("ro.html", GOOD_PAGE)
    image = site.add("ro.png", CATALOGUE["rgba.png"])
    page.chmod(0o444)
    image.chmod(0o400)
    outcome = site.build(capsys)
    assert outcome.code == 0, outcome
    # The owner may replace a read-only file in a folder they can write (as editors do);
    # what must never change is who may read or write it afterwards.
    assert stat.S_IMODE(page.stat().st_mode) == 0o444
    assert stat.S_IMODE(image.stat().st_mode) == 0o400
    assert b"tdm-reservation" in page.read_bytes()
    site.assert_completed(outcome)


def _chattr(flag: str, *paths: Path) -> bool:
    if not shutil.which("chattr"):
        return False
    result = subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True)
    return result.returncode == 0


def test_read_only_folder_and_immutable_file_are_left_alone(site: Site, capsys) -> None:
    folder = site.root / "locked"
    page = site.add("locked/page.html", GOOD_PAGE)
    image = site.add("locked/photo.png", CATALOGUE["rgba.png"])
    locked = [(page, GOOD_PAGE), (image, CATALOGUE["rgba.png"])]
    if IS_ROOT:
        # Permission bits do not stop root; the immutable attribute stops everyone.
        frozen = site.add("frozen.html", GOOD_PAGE)
        if not _chattr("+i", folder, frozen):
            _chattr("-i", folder, frozen)  # in case one of the two took
            pytest.skip(
                "running as root and chattr +i is not available here, so nothing "
                "can be made unwritable (mode preservation is tested above)"
            )
        locked.append((frozen, GOOD_PAGE))
        frozen_paths = [folder, frozen]
    else:
        folder.chmod(0o555)
    try:
        outcome = site.build(capsys)
    finally:
        if IS_ROOT:
            _chattr("-i", *frozen_paths)
        else:
            folder.chmod(0o755)
    for path, before in locked:
        rel = path.relative_to(site.root).as_posix()
        assert rel in outcome.problems, outcome
        message = outcome.problems[rel]
        assert "not permitted" in message or "denied" in message, message
        assert path.read_bytes() == before
    assert outcome.code == 1
    site.assert_completed(outcome)


# --- names ----------------------------------------------------------------------------

ODD_NAMES = [
    "with space.html",
    "ünïcödé/é-nfc.html",
    "e\u0301-nfd.jpg",
    "emoji-\U0001f4f7.png",
    "tab\tand\nnewline.html",
    "quote\"and'apostrophe.html",
    "-dash-first.html",
]
RAW_NAMES = [b"latin1-\xe9t\xe9.html", b"invalid-\xff\xfe.jpg", b"dir-\xc3(/page.html"]


def test_odd_file_names_are_processed_and_named(site: Site, tmp_path: Path) -> None:
    for name in ODD_NAMES:
        data = (
            CATALOGUE["gray.jpg"]
            if name.endswith(".jpg")
            else CATALOGUE["rgba.png"]
            if name.endswith(".png")
            else GOOD_PAGE
        )
        site.add(name, data)
    for raw in RAW_NAMES:
        site.add(raw, CATALOGUE["gray.jpg"] if raw.endswith(b".jpg") else GOOD_PAGE)
    broken = site.add(b"broken-\xff.png", b"not a png")
    report = build(site.config, jobs=2, state_dir=site.state).sites[0]
    assert not report.problems[1:], report.render()
    names = {os.fsencode(f.path): f for f in report.files}
    for name in ODD_NAMES:
        assert names[os.fsencode(name)].action == "changed", name
    for raw in RAW_NAMES:
        assert names[raw].action == "changed", raw  # the exact bytes, via surrogateescape
    # The broken one is named byte-exactly and left alone; the rest of the site is done.
    problem = names[b"broken-\xff.png"]
    assert problem.action == "skipped" and "not a JPEG, PNG, WebP" in problem.message
    assert broken.read_bytes() == b"not a png"
    assert not site.temps()
    # The JSON report keeps the undecodable names exact (as surrogate escapes).
    data = json.loads(json.dumps(report.to_dict()))
    assert {os.fsencode(p["path"]) for p in data["skipped"]} >= {b"broken-\xff.png"}


@pytest.mark.slow  # two CLI subprocesses, ~1.5 s
def test_cli_reports_undecodable_names_on_a_utf8_terminal(site: Site) -> None:
    site.add(b"broken-\xff.png", b"not a png")
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONIOENCODING="utf-8:strict", CI="1")
    for extra in ([], ["--json"]):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "optout_site",
                "build",
                "-c",
                str(site.config),
                "--state-dir",
                str(site.state),
                *extra,
            ],
            capture_output=True,
            env=env,
            timeout=60,
        )
        # An unreadable image is a warning (images.on_unreadable), named in the report.
        assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
        assert b"broken-" in result.stdout
        assert b"Traceback" not in result.stderr


# --- links ----------------------------------------------------------------------------


def test_symlink_loops_and_links_out_of_the_site(site: Site, capsys, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.html"
    secret.write_bytes(GOOD_PAGE)
    (site.root / "sub").mkdir()
    os.symlink("b.html", site.root / "a.html")  # a -> b -> a
    os.symlink("a.html", site.root / "b.html")
    os.symlink("self.html", site.root / "self.html")
    os.symlink("..", site.root / "sub" / "up")  # folder loop
    os.symlink(secret, site.root / "leak.html")
    os.symlink(outside, site.root / "outside-dir")
    os.symlink("nowhere.jpg", site.root / "dangling.jpg")
    os.mkfifo(site.root / "pipe.html")  # reading it would block the build forever
    outcome = site.build(capsys)
    assert outcome.code == 0, outcome
    for rel, why in {
        "a.html": "loop",
        "b.html": "loop",
        "self.html": "loop",
        "sub/up": "folder",
        "leak.html": "outside",
        "outside-dir": "folder",
        "dangling.jpg": "missing",
        "pipe.html": "not a regular file",
    }.items():
        assert why in outcome.skipped.get(rel, ""), (rel, outcome.skipped)
    assert secret.read_bytes() == GOOD_PAGE
    assert os.readlink(site.root / "a.html") == "b.html"
    site.assert_completed(outcome)


def test_in_place_build_keeps_links_inside_the_site(site: Site, capsys) -> None:
    os.symlink("index.html", site.root / "alias.html")
    os.symlink("photo.jpg", site.root / "alias.jpg")
    site.build(capsys)
    assert (site.root / "alias.html").is_symlink()
    assert (site.root / "alias.jpg").is_symlink()


# --- disk full ------------------------------------------------------------------------


def _fd_path(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def test_disk_full_mid_write_keeps_the_original(
    site: Site, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC halfway through writing a temp file in full/: the original stays, the temp
    file goes, the report names the file, everything else is stamped."""
    pages = {"full/page.html": GOOD_PAGE}
    pictures = {
        f"full/{name}": CATALOGUE[name]
        for name in ("exif_icc.jpg", "rgba.png", "lossy.webp", "mm.tif", "animated.gif")
    }
    paths = {rel: site.add(rel, data) for rel, data in {**pages, **pictures}.items()}
    real_write, real_fsync = os.write, os.fsync
    real_copy = getattr(os, "copy_file_range", None)

    def doomed(fd: int) -> bool:
        target = _fd_path(fd)
        return f"{os.sep}full{os.sep}{TEMP_PREFIX}" in target

    def write(fd: int, data: bytes) -> int:
        if doomed(fd):
            if os.fstat(fd).st_size == 0 and len(data) > 1:
                return real_write(fd, bytes(data[: len(data) // 2]))  # a short write first
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    def copy_file_range(src: int, dst: int, count: int, *args: int) -> int:
        if doomed(dst):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_copy(src, dst, count, *args)

    def fsync(fd: int) -> None:
        # Buffered writes (pages) reach the disk at flush/fsync; ext4 reports ENOSPC there.
        if doomed(fd):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "fsync", fsync)
    if real_copy is not None:
        monkeypatch.setattr(os, "copy_file_range", copy_file_range)
    outcome = site.build(capsys)
    monkeypatch.undo()
    for rel, path in paths.items():
        assert "No space left on device" in outcome.problems.get(rel, ""), (rel, outcome)
        assert path.read_bytes() == {**pages, **pictures}[rel], rel
    assert not list((site.root / "full").glob(TEMP_PREFIX + "*"))
    assert outcome.code == 1
    site.assert_completed(outcome)
