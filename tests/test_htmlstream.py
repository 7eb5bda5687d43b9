"""Pages spliced in windows (html/stream.py) give splice()'s bytes exactly, in bounded memory.

The property test reads generated pages through windows of a few bytes, so every edge is
crossed somewhere: a head split over windows, ``</body>`` (or one inside a comment or a
script) at a window's end, multi-byte UTF-8 and UTF-16 characters there, CRLF, a BOM, no
head, several ``</body>``, our own footer link and tags from an earlier build. Where the
stream says it cannot vouch for a page (Unstreamed), the build takes splice(); the reasons
it may give are named here, and a fixed set of pages must stream."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import examples
from test_htmlsplice import ENCODING_CHANGES

from optout_site.build import work
from optout_site.build.plan import Task
from optout_site.build.report import CHANGED, UNCHANGED
from optout_site.errors import HtmlError
from optout_site.html import stream
from optout_site.html.splice import FOOTER_CLASS, SERVER_CODE_BYTES, Wanted, splice

HREF = "https://a.example/ai-reservation/"
WANTS = [
    Wanted(metas=(("tdm-reservation", "1"),), robots_add=("noai", "noimageai")),
    Wanted(
        metas=(("tdm-reservation", "1"), ("tdm-policy", "https://a.example/p.json")),
        robots_add=("noai",),
        links=(("license", "application/rsl+xml", "https://a.example/license.xml"),),
        footer=(HREF, "AI rights é"),
        footer_before="footer",
    ),
    Wanted(metas=(("tdm-reservation", "0"),), footer=(HREF, "AI"), footer_before="body"),
    Wanted(metas=(("tdm-reservation", None),)),  # withdrawn: our footer link goes too
]
OURS = f'<a class="{FOOTER_CLASS}" href="{HREF}">AI</a>'
# Ours with a label longer than a window's margin, as a hand edit may leave it.
LONG_OURS = f'<a class="{FOOTER_CLASS}" href="{HREF}">{"reserved " * 12}</a>'
FRAGMENTS = [
    "<!doctype html>",
    "<html>",
    '<html xmlns="http://www.w3.org/1999/xhtml">',
    "<head>",
    "<meta charset=utf-8>",
    '<meta name="tdm-reservation" content="1">',
    '<meta name="robots" content="noai, noimageai" data-optout-site="">',
    "<title>é 中 </body></title>",
    "<!-- </body> <footer> -->",
    "<script>var s = '</body></footer>';</script>",
    "</head>",
    "<body>",
    "<p>text é 中 𝄞</p>",
    "<footer>",
    "</footer>",
    "</body>",
    "</html>",
    OURS,
    LONG_OURS,
    "\r\n" + " " * 300,  # an indent longer than the first look back for a line break
    "<?phpinfo",  # not PHP's opening tag: a name goes on
    "\n",
    "\r\n",
    "  ",
    "<p class='x>y'>",
    "<!--",
]
# Pages the whole path refuses, or the stream hands back: in the mix, but rarer.
FRAGMENTS = FRAGMENTS * 4 + ["<?php echo 1 ?>", "\x00"]


def _spliced_whole(data: bytes, wanted: Wanted) -> bytes | str:
    try:
        return splice(data, wanted)
    except HtmlError as exc:
        return f"error: {exc}"


def _spliced_stream(path: Path, wanted: Wanted, window: int, limit: int) -> bytes | str:
    with path.open("rb") as handle:
        try:
            page = stream.splice_stream(handle.fileno(), wanted, window=window, limit=limit)
        except HtmlError as exc:
            return f"error: {exc}"
        if isinstance(page, stream.Unstreamed):
            return f"unstreamed: {page.reason}"
        return page.read(0, page.size)


# What the stream may hand back to splice() (module docstring of html/stream.py).
REASONS = ("a utf-16", "a utf-32", "a footer link wanted on a page with no end of its body")


@settings(max_examples=examples(600), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(st.sampled_from(FRAGMENTS), max_size=40),
    filler=st.integers(0, 300),
    prefix=st.sampled_from([b""] * 6 + [b"\xef\xbb\xbf", "utf-16-le", "utf-16-be"]),
    wanted=st.sampled_from(WANTS),
    window=st.integers(1, 300),
    small_limit=st.booleans(),
    chunk=st.integers(16, 200),
)
def test_stream_gives_splices_bytes(
    tmp_path_factory: pytest.TempPathFactory,
    parts: list[str],
    filler: int,
    prefix: bytes | str,
    wanted: Wanted,
    window: int,
    small_limit: bool,
    chunk: int,
) -> None:
    # A run of plain paragraphs somewhere, so windows fall inside a long body as well.
    text = "".join(parts[:5]) + "<p>é</p>\n" * filler + "".join(parts[5:])
    if isinstance(prefix, str):
        data = "\ufeff".encode(prefix) + text.encode(prefix)
    else:
        data = prefix + text.encode()
    path = tmp_path_factory.mktemp("stream") / "page.html"
    path.write_bytes(data)
    expected = _spliced_whole(data, wanted)
    with mock.patch.object(stream, "_CHUNK", chunk):  # searches and compares cross edges too
        got = _spliced_stream(path, wanted, window, 512 if small_limit else 1 << 20)
    if isinstance(got, str) and got.startswith("unstreamed: "):
        reason = got.removeprefix("unstreamed: ")
        assert small_limit or reason.startswith(REASONS), reason
        return
    assert got == expected


PAGES = {
    "crlf": (
        "<!DOCTYPE html>\r\n<html>\r\n<head>\r\n  <meta charset=utf-8>\r\n  <title>t</title>\r\n"
        "</head>\r\n<body>\r\n" + "<p>é中</p>\r\n" * 40 + "<footer>\r\n  <p>©</p>\r\n"
        "  </footer>\r\n</body>\r\n</html>\r\n"
    ),
    "no head": "<p>x</p>\n" * 30 + "<!-- </body> -->\n</body>\n",
    "several </body>": "<html><head></head><body>\n<p>a</p>\n</body>\n" * 20,
    "stamped before": (
        '<html><head>\n<meta name="tdm-reservation" content="1">\n</head><body>\n'
        + "<script>x = '</body>'</script>\n" * 20
        + f"<footer>\n  {OURS}\n</footer>\n</body></html>"
    ),
    "deep indent": (
        "<html><head></head><body>\n<footer>\r\n"
        + " " * 300
        + f"{LONG_OURS}\r\n"
        + " " * 300
        + "</footer>\r\n</body>"
    ),
    # A page whose edits settle only in a second pass (the second want; found by the
    # fragment property).
    "two passes": (
        '</footer><meta name="tdm-reservation" content="1">\n' + "<p>a</p>\n" * 9 + "</body>"
    ),
    # Binary-looking first bytes, accepted because we stamped the page before.
    "stamped, with NULs": (
        "<html>"
        + "\x00" * 40
        + '<head><meta name="tdm-reservation" content="1"></head><body>\n'
        + "<p>a</p>\n" * 20
        + "</body>"
    ),
    "our robots tag from before the mark": (
        '<html><head>\n<meta name="tdm-reservation" content="1">\n'
        '<meta name="robots" content="noai, noimageai">\n</head><body>\n'
        + "<p>a</p>\n" * 30
        + "</body>"
    ),
    "two links of ours": (
        f"<html><head></head><body>\n  {OURS}\n" + "<p>a</p>\n" * 30 + f"  {OURS}\n</body>"
    ),
}


# Every window from 1 byte to 399 in CI and the whole suite; the fast loop (a quarter of
# the examples) takes the first 16 and every fourth after; a mutation run (10 examples,
# each mutant running this for every page) the first 16 and those either side of a power
# of two, where a window's edge meets a page's.
if examples(100) >= 100:
    WINDOWS: Sequence[int] = range(1, 400)
elif examples(100) > 10:
    WINDOWS = [*range(1, 17), *range(17, 400, 4)]
else:
    WINDOWS = [*range(1, 17), *(p + d for p in (32, 64, 128, 256) for d in (-1, 0, 1)), 399]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("wanted", WANTS, ids=["head", "all", "body", "off"])
def test_pages_stream_at_every_window_size(tmp_path: Path, name: str, wanted: Wanted) -> None:
    """Not handed back to splice(): these pages stream, at every window from 1 byte on."""
    data = PAGES[name].encode()
    path = tmp_path / "page.html"
    path.write_bytes(data)
    expected = splice(data, wanted)
    for window in WINDOWS:
        assert _spliced_stream(path, wanted, window, 1 << 20) == expected, window


# The footer link's line break looked for from the page's first byte, and far into a page
# longer than the stream's limit: both stream (they are not handed back).
# (page, window, limit)
LOOK_BACK = {
    "link first": (f"\n  {OURS}\n<p>x</p>\n</body>\n", 64, 512),
    "long page": (
        "<html><head></head><body>\n" + "<p>x</p>\n" * 200 + f"  {OURS}\n</body>\n",
        64,
        512,
    ),
    "no line break": (f"<body><p>x</p>{OURS}</body>", 64, 512),
    # Form feeds are no line break or indent to look back over (tokens.line_before).
    "form feeds": ("<body>\n" + "\f" * 600 + f"{OURS}\n</body>\n", 1024, 512),
    "a run of text": ("<body>" + "X" * 600 + f"\n  {OURS}\n</body>\n", 1024, 512),
    # The link at byte 257: the first look back reads from byte 1, all blank.
    "blanks first": (" " * 257 + f"{OURS}\n<p>x</p>\n</body>\n", 64, 1 << 20),
}


@pytest.mark.parametrize("name", LOOK_BACK)
@pytest.mark.parametrize("wanted", WANTS, ids=["head", "all", "body", "off"])
def test_the_look_back_for_a_line_break_streams(tmp_path: Path, name: str, wanted: Wanted) -> None:
    page, window, limit = LOOK_BACK[name]
    path = tmp_path / "page.html"
    path.write_bytes(page.encode())
    assert _spliced_stream(path, wanted, window, limit) == splice(page.encode(), wanted)


@pytest.mark.parametrize("xhtml", [True, False], ids=["xhtml", "html"])
def test_a_body_is_read_by_its_languages_rules_in_windows(tmp_path: Path, xhtml: bool) -> None:
    # XML knows no '--!>': the comment runs on to '-->', and the '</body>' inside it is
    # not the body's last end tag. HTML ends the comment there, and that '</body>' is.
    start = (
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        if xhtml
        else "<!DOCTYPE html>\n<html>"
    )
    page = (
        start
        + "<head><title>t</title></head><body>\n"
        + "<p>x</p>\n" * 600  # past the first 4096 bytes, read for the encoding
        + "<p>y</p>\n</body><!-- a --!> </body> --></html>\n"
    ).encode()
    path = tmp_path / "page.xhtml"
    path.write_bytes(page)
    out = _spliced_stream(path, WANTS[2], 64, 1 << 20)
    assert out == splice(page, WANTS[2])
    assert isinstance(out, bytes)
    before_comment = out.index(FOOTER_CLASS.encode()) < out.index(b"<!-- a")
    assert before_comment == xhtml


def test_an_xml_declaration_the_page_ends_in_is_refused_not_handed_back(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<?xml version='1.0'")  # all of it read: nothing longer to hand back
    assert _spliced_stream(path, WANTS[0], 64, 1 << 20) == (
        "error: the head ends inside an unterminated tag, comment or declaration; left untouched"
    )


@st.composite
def _edits(draw: st.DrawFn, size: int) -> list[tuple[int, int, str]]:
    """Edits that do not overlap: replacements, insertions and deletions."""
    cuts = sorted(draw(st.lists(st.integers(0, size), unique=True, max_size=8)))
    spans = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    if cuts:
        spans += [(at, at) for at in draw(st.lists(st.sampled_from(cuts), max_size=2))]
    texts = st.text(alphabet="aé<>", max_size=5)
    return [(begin, end, draw(texts)) for begin, end in sorted(set(spans))]


@settings(max_examples=examples(200), deadline=None)
@given(data=st.data(), source=st.binary(max_size=30))
def test_a_page_of_pieces_reads_as_the_bytes_it_stands_for(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, source: bytes
) -> None:
    # Edited twice, so new bytes and ranges alternate anywhere; every read, from every
    # offset to every end (and past the end), is the page's bytes there.
    path = tmp_path_factory.mktemp("pieces") / "page.html"
    path.write_bytes(source)
    expected = source
    with path.open("rb") as handle:
        page = stream.Page.of(handle.fileno())
        for _ in range(2):
            edits = data.draw(_edits(len(expected)))
            for begin, end, text in reversed(edits):
                expected = expected[:begin] + text.encode("latin-1") + expected[end:]
            page = page.apply(edits)
        assert page.size == len(expected)
        for begin in range(len(expected) + 1):
            for end in range(begin, len(expected) + 2):
                assert page.read(begin, end) == expected[begin:end], (begin, end)


def test_a_page_is_read_whole_through_short_reads(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4
    path = tmp_path / "page.html"
    path.write_bytes(data)
    real_pread = os.pread

    def short(fd: int, length: int, offset: int) -> bytes:  # at most 3 bytes a call
        return real_pread(fd, min(length, 3), offset)

    with path.open("rb") as handle, mock.patch.object(stream.os, "pread", short):
        page = stream.Page.of(handle.fileno())
        assert page.read(0, len(data)) == data
        assert page.read(100, 200) == data[100:200]


def test_a_page_that_shrinks_while_read_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<p>x</p>" * 100)
    with path.open("rb") as handle:
        page = stream.Page.of(handle.fileno())
        os.truncate(path, 300)
        with pytest.raises(HtmlError) as raised:
            page.read(0, page.size)
    assert str(raised.value) == "the page changed while it was read; left untouched"


@pytest.mark.parametrize("code", [b"<?php echo 1 ?>", b"<?= $x ?>"])
def test_server_code_at_the_first_byte_is_refused_in_windows_too(
    tmp_path: Path, code: bytes
) -> None:
    data = code + b"<html><head></head><body>" + b"<p>x</p>\n" * 20 + b"</body></html>"
    path = tmp_path / "page.html"
    path.write_bytes(data)
    refused = _spliced_whole(data, WANTS[1])
    assert isinstance(refused, str) and refused.startswith("error: ")
    assert _spliced_stream(path, WANTS[1], 64, 1 << 20) == refused


# Pages the stream hands back to splice(), and the reason it gives (window 64 bytes,
# or 1024 where the limit is smaller than the window).
HANDED_BACK = [
    (
        "\ufeff<p>x</p>".encode("utf-16-le"),
        WANTS[1],
        64,
        1 << 20,
        "a utf-16-le page is decoded whole",
    ),
    (
        "\ufeff<p>x</p>".encode("utf-16-be"),
        WANTS[0],
        64,
        1 << 20,
        "a utf-16-be page is decoded whole",
    ),
    (
        b"<p>x</p>\n" * 50,
        WANTS[2],
        64,
        1 << 20,
        "a footer link wanted on a page with no end of its body",
    ),
    (
        b"<html><head>" + b"<meta name=a>" * 25 + b"</head><body></body>",  # ends at 350
        WANTS[0],
        64,
        256,
        "no end of the head in its first 256 bytes",
    ),
    (
        b"<?xml version='1.0'" + b" " * 5000 + b"?><html/>",
        WANTS[0],
        64,
        1 << 20,
        "an XML declaration longer than its first bytes",
    ),
    (
        b"<html><head></head><body>" + b"x" * 600 + b"</body>",
        WANTS[2],
        64,
        512,
        "a token of over 512 bytes in the body",
    ),
    (
        ("<body>\n" + " " * 700 + f"{OURS}\n</body>\n").encode(),
        WANTS[3],
        1024,
        512,
        "over 512 bytes of whitespace before the footer link",
    ),
]


@pytest.mark.parametrize(("data", "wanted", "window", "limit", "reason"), HANDED_BACK)
def test_a_page_handed_back_says_why(
    tmp_path: Path, data: bytes, wanted: Wanted, window: int, limit: int, reason: str
) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(data)
    assert _spliced_stream(path, wanted, window, limit) == f"unstreamed: {reason}"


@pytest.mark.parametrize(("page", "wanted"), ENCODING_CHANGES)
def test_the_stream_refuses_an_encoding_change_as_splice_does(
    tmp_path: Path, page: bytes, wanted: Wanted
) -> None:
    data = page.replace(b"<body>", b"<body>" + b"<p>x</p>\n" * 40)  # longer than the window
    path = tmp_path / "page.html"
    path.write_bytes(data)
    refused = "error: editing the head would change the page's detected encoding; left untouched"
    assert _spliced_whole(data, wanted) == refused
    assert _spliced_stream(path, wanted, 64, 1 << 20) == refused


def test_the_middle_is_copied_not_read(tmp_path: Path) -> None:
    """Only the head and the footer's surroundings are new bytes; the rest is one range."""
    data = PAGES["crlf"].encode()
    path = tmp_path / "page.html"
    path.write_bytes(data)
    with path.open("rb") as handle:
        page = stream.splice_stream(handle.fileno(), WANTS[1], window=64)
        assert isinstance(page, stream.Page)
        ranges = [p for p in page.pieces if isinstance(p, tuple)]
        new = sum(len(p) for p in page.pieces if isinstance(p, bytes))
        assert new < 400 and max(length for _, length in ranges) > len(data) // 2
        again = stream.splice_stream(handle.fileno(), WANTS[0], window=64)
        assert isinstance(again, stream.Page)


def test_searches_see_across_chunk_edges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PHP's opening tag is found wherever it falls, and a longer name (``<?phpinfo``, not
    an opening tag) is never taken for one because a chunk ends after ``php``."""
    monkeypatch.setattr(stream, "_CHUNK", 32)
    path = tmp_path / "page.html"
    for at in range(80):
        for code, found in ((b"<?phpinfo", False), (b"<?php ", True), (b"<?=", True)):
            path.write_bytes(b"x" * at + code + b"y" * 80)
            with path.open("rb") as handle:
                page = stream.Page.of(handle.fileno())
                match = page.search(SERVER_CODE_BYTES, 16)
                assert (match is not None) == found, (at, code)
                assert page.contains(code) and not page.contains(code + b"z")


def _task(src: Path, dst: Path, wanted: Wanted) -> Task:
    return Task("page.html", src, dst, "page", dry_run=False, page=wanted)


@pytest.mark.parametrize("in_place", [True, False])
def test_build_writes_streamed_pages_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_place: bool
) -> None:
    """Through the build's own page work: the bytes of splice(), an atomic write, and a
    second run that changes nothing (the page is not rewritten: its inode stays)."""
    monkeypatch.setattr(stream, "WINDOW", 128)  # this small page takes the streamed path
    data = PAGES["crlf"].encode()
    src = tmp_path / "page.html"
    src.write_bytes(data)
    dst = src if in_place else tmp_path / "out" / "page.html"
    assert work.process(_task(src, dst, WANTS[1])).action == CHANGED
    assert dst.read_bytes() == splice(data, WANTS[1])
    before = os.stat(dst)
    assert work.process(_task(src, dst, WANTS[1])).action == UNCHANGED
    assert os.stat(dst).st_ino == before.st_ino
    if not in_place:  # an output edited by hand, same size: compared, and repaired
        dst.write_bytes(dst.read_bytes().replace(b"AI rights", b"AI rightz"))
        assert work.process(_task(src, dst, WANTS[1])).action == CHANGED
        assert dst.read_bytes() == splice(data, WANTS[1])


def test_unstreamed_pages_take_the_whole_path_in_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "WINDOW", 64)
    data = "\ufeff<html><head></head><body><p>é</p>".encode("utf-16-le") * 10
    src = tmp_path / "page.html"
    src.write_bytes(data)
    assert work.process(_task(src, src, WANTS[1])).action == CHANGED
    assert src.read_bytes() == splice(data, WANTS[1])


PEAK = """
import resource, subprocess, sys
subprocess.run([sys.executable, "-c", sys.argv[1], *sys.argv[2:]], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # KiB, the one child
"""
WORK_WANTED = Wanted(
    metas=(("tdm-reservation", "1"),), footer=("https://a.example/r/", "AI"), footer_before="footer"
)
WORK = """
import sys
from pathlib import Path
from optout_site.build import work
from optout_site.build.plan import Task
from optout_site.html.splice import Wanted
footer = ("https://a.example/r/", "AI") if sys.argv[3] == "footer" else None
wanted = Wanted(metas=(("tdm-reservation", "1"),), footer=footer, footer_before="footer")
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
for _ in range(2):  # the build, then the no-op rebuild
    print(work.process(Task("p.html", src, dst, "page", False, page=wanted)).action)
"""


def _peak_kib(src: Path, dst: Path, footer: bool = True) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", PEAK, WORK, str(src), str(dst), "footer" if footer else "-"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    *actions, peak = done.stdout.split()
    return int(peak), " ".join(actions)


@pytest.mark.slow
def test_a_large_page_is_built_in_bounded_memory(tmp_path: Path) -> None:
    """A 50 MB page costs its build process no more memory than a tiny page does, give or
    take the windows (a page read whole costs several times its size)."""
    head = "<!doctype html><html><head><meta charset=utf-8><title>t</title></head><body>\n"
    tail = "<footer>\n  <p>© me</p>\n</footer>\n</body></html>\n"
    unit = "<p><b>ab</b><!-- c --><i>é</i></p>\n"
    small, big = tmp_path / "small.html", tmp_path / "big.html"
    small.write_text(head + unit + tail, encoding="utf-8")
    with big.open("w", encoding="utf-8") as handle:
        handle.write(head)
        for _ in range(50):
            handle.write(unit * (1_000_000 // len(unit)))
        handle.write(tail)
    size = big.stat().st_size
    assert size > 50_000_000
    base, actions = _peak_kib(small, tmp_path / "small-out.html")
    assert actions == "changed unchanged"
    peak, actions = _peak_kib(big, tmp_path / "out" / "big.html")
    assert actions == "changed unchanged"
    grown = (peak - base) * 1024
    assert grown < 16_000_000, f"{grown / 1e6:.0f} MB more than a tiny page, for {size} bytes"
    # The small page spliced, with its one paragraph run as long as the big page's.
    count = 50 * (1_000_000 // len(unit))
    expected = splice(small.read_bytes(), WORK_WANTED).replace(unit.encode(), unit.encode() * count)
    out = (tmp_path / "out" / "big.html").read_bytes()
    assert out == expected
    # In place, the head only (no footer link): the same bound, and the same head.
    peak, actions = _peak_kib(big, big, footer=False)
    assert actions == "changed unchanged" and (peak - base) * 1024 < 16_000_000
    head_only = Wanted(metas=WORK_WANTED.metas)
    expected = splice(small.read_bytes(), head_only).replace(unit.encode(), unit.encode() * count)
    assert big.read_bytes() == expected
