"""Every fuzz finding, kept: the inputs live in fuzz/regressions/<target>/ (the harnesses
also read them as seeds) and each must now pass the oracle with the expected outcome.

Config crashes found by fuzzing (explicit YAML tags, unexpandable or malformed paths,
unparsable URLs, control characters) are kept with the fix each needed, now made in
schema.py and config.py.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from support import REPO

from fuzz import oracle
from optout_site import config
from optout_site.build.scan import scan
from optout_site.build.work import stamp_image as stamp
from optout_site.config.yamlnodes import ConfigError
from optout_site.html.splice import HtmlError, Wanted, splice
from optout_site.images import ImageError, xmp

REGRESSIONS = REPO / "fuzz" / "regressions"

# file -> (outcome, why it was a finding)
EXPECTED = {
    "tiff/strip-at-offset-0-overlaps-header.tif": (
        "refused",
        "strip data read from the header bytes we patch: pixels changed",
    ),
    "tiff/tag-value-overlaps-header.tif": (
        "refused",
        "ImageLength array read from the header bytes we patch: size changed",
    ),
    "tiff/duplicate-strip-offsets-tag.tif": (
        "refused",
        "only the last of two StripOffsets was checked; Pillow reads the first",
    ),
    "tiff/one-strip-for-a-taller-image.tif": (
        "refused",
        "Pillow maps the whole image from the one strip: rows past the end of "
        "the file came from our appended IFD",
    ),
    "webp/vp8-zero-width.webp": ("refused", "OverflowError writing a VP8X canvas of width 0 - 1"),
    "xmp/nested-xmpmeta-in-seq.xmp": (
        "merged",
        "summary counted a nested struct's DataMining as the resource's own",
    ),
    "xmp/descriptions-with-different-about.xmp": (
        "merged",
        "rdf:about taken from a description the merge then dropped: not idempotent",
    ),
    "html/unterminated-doctype.html": (
        "refused",
        "tags inserted inside '<!DOCTYPE<!' were swallowed: added again each build",
    ),
    "html/unterminated-attribute-at-eof.html": (
        "spliced",
        "footer appended inside an open attribute value: added again each build",
    ),
    "html/footer-before-indented-body-end.html": ("spliced", "footer placement before </body>"),
    "html/charset-inside-robots-value.html": (
        "spliced",
        "our robots edit removed the 'charset=' the encoding was sniffed from",
    ),
    "html/duplicate-footer-links.html": ("spliced", "one duplicate footer removed per build"),
    "html/duplicate-robots-metas.html": ("spliced", "one duplicate robots tag removed per build"),
    "html/meta-after-body-end.html": (
        "spliced",
        "a meta after </body> was taken for a head meta until our footer hid it",
    ),
    "html/control-bytes-shifted-by-our-edit.html": (
        "spliced",
        "our edit shifted control bytes into the binary sniff window: refused next",
    ),
    "html/charset-base64.html": ("spliced", "LookupError (not a text encoding) killed the build"),
    "html/charset-utf16le-on-ascii-page.html": (
        "spliced",
        "UTF-16 tags spliced into an ASCII page",
    ),
    "html/charset-punycode.html": ("spliced", 'tdm-reservation "1" written as "1-"'),
    "html/footer-without-close-before-author-markup.html": (
        "spliced",
        "footer span ran to a later </a>, deleting the author's markup",
    ),
    "html/footer-before-body-end-not-on-its-own-line.html": (
        "spliced",
        "oracle false positive: it took the page's own newline for ours",
    ),
    "html/footer-removal-uncovers-head-link.html": (
        "spliced",
        "removing a misplaced footer let the next build's head scan go further",
    ),
}


def _run(target: str, data: bytes, tmp_path: Path) -> str:
    if target in oracle.FORMATS:
        return oracle.check_image(data, tmp_path, oracle.FORMATS[target])
    if target == "xmp":
        oracle.ensure_canary()
        return oracle.check_xmp(data)
    return oracle.check_html(data)


def test_every_regression_file_has_an_expectation() -> None:
    files = {p.relative_to(REGRESSIONS).as_posix() for p in REGRESSIONS.rglob("*") if p.is_file()}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_fuzz_finding_stays_fixed(rel: str, tmp_path: Path) -> None:
    target = rel.split("/")[0]
    outcome, _why = EXPECTED[rel]
    assert _run(target, (REGRESSIONS / rel).read_bytes(), tmp_path) == outcome


# --- specific checks behind some findings ---------------------------------------------

RESERVE = Wanted(metas=(("tdm-reservation", "1"),), robots_add=("noai", "noimageai"))


def test_tiff_overlap_is_named(tmp_path: Path) -> None:
    for name in ("strip-at-offset-0-overlaps-header.tif", "tag-value-overlaps-header.tif"):
        src = tmp_path / name
        src.write_bytes((REGRESSIONS / "tiff" / name).read_bytes())
        with pytest.raises(ImageError) as info:
            stamp(src, tmp_path / "out.tif", oracle.RIGHTS)
        assert "overlaps the TIFF header" in info.value.detail


def test_nested_description_is_not_the_resources_data_mining() -> None:
    packet = (REGRESSIONS / "xmp" / "nested-xmpmeta-in-seq.xmp").read_bytes()
    merged = xmp.merge(packet, oracle.RIGHTS, 0, None)
    assert xmp.summary(merged)["data_mining"] == [oracle.RIGHTS.data_mining]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("base64", b'content="1"'),
        ("rot13", b'content="1"'),
        ("punycode", b'content="1"'),
        ("utf-8-sig", b'content="1"'),
        ("unicode_escape", b'content="1"'),
        ("undefined", b'content="1"'),
        ("utf-16le", b'content="1"'),
        ("utf-32", b'content="1"'),
    ],
)
def test_charset_labels_never_crash_or_garble_our_tags(label: str, expected: bytes) -> None:
    page = f"<html><head><meta charset={label}></head><body>\u00e9</body></html>".encode()
    out = splice(page, RESERVE)
    assert b'<meta name="tdm-reservation" content="1">' in out
    assert b"\x00" not in out and b"\xef\xbb\xbf" not in out
    assert splice(out, RESERVE) == out


def test_utf16_without_bom_is_refused_and_utf32_with_bom_is_edited_in_utf32() -> None:
    with pytest.raises(HtmlError, match="byte order mark"):
        splice("<html><head></head></html>".encode("utf-16-le"), RESERVE)
    page = "\ufeff<html><head><title>\u00e9</title></head></html>".encode("utf-32-le")
    out = splice(page, RESERVE)
    assert out.decode("utf-32-le").count('name="tdm-reservation"') == 1
    assert splice(out, RESERVE) == out


@pytest.mark.slow  # ~2 s
def test_removing_many_duplicate_tags_is_linear() -> None:
    # A complexity guard, not a speed goal: CPU time for 4× the duplicates must grow
    # about 4×, not 16× (it was quadratic: 8000 duplicates took 12 s). Relative and in
    # process time, so a loaded machine does not fail it; the best of 3 runs each.
    def cpu(n: int) -> float:
        page = b"<html><head>" + b'\n  <meta name="tdm-reservation" content="0">' * n + b"</head>"
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            out = splice(page, RESERVE)
            best = min(best, time.process_time() - start)
        assert out.count(b"tdm-reservation") == 1
        return best

    small, large = cpu(5000), cpu(20000)
    assert large < 10 * max(small, 1e-3)


def test_symlink_loop_is_skipped_not_a_crash(tmp_path: Path) -> None:
    os.symlink("b.html", tmp_path / "a.html")
    os.symlink("a.html", tmp_path / "b.html")
    (tmp_path / "ok.html").write_text("<html></html>")
    entries, skipped = scan(tmp_path)
    assert [e.rel.as_posix() for e in entries] == ["ok.html"]
    assert {s.rel.as_posix(): s.reason for s in skipped} == {
        "a.html": "symlink loop, not followed",
        "b.html": "symlink loop, not followed",
    }


# --- config.load: crashes that need fixes in config.py / schema.py ----------------------

SITE = (
    "sites:\n  - name: s\n    url: {url}\n    input: {input}\n    rightsholder: {holder}\n{extra}"
)


def _config(
    tmp_path: Path,
    url: str = "https://a.example",
    input: str = "site",
    holder: str = "{name: A}",
    extra: str = "",
) -> Path:
    (tmp_path / "site").mkdir(exist_ok=True)
    path = tmp_path / "sites.yaml"
    path.write_text(SITE.format(url=url, input=input, holder=holder, extra=extra), encoding="utf-8")
    return path


CONFIG_CRASHES = {
    "explicit_bool_tag": (
        {"extra": "    images: {enabled: !!bool maybe}\n"},
        "KeyError from SafeConstructor.construct_yaml_bool. Fix schema.boolean: catch "
        "(KeyError, ValueError) from construct_object and raise Invalid('expected true or "
        "false, got ...')",
    ),
    "unknown_user_home": (
        {"input": "~nosuchuser-optout/site"},
        "RuntimeError from Path.expanduser. Fix config._file_path: catch RuntimeError and "
        "raise Invalid('cannot expand ~user in ...')",
    ),
    "nul_in_path": (
        {"input": '"si\\0te"'},
        "ValueError (embedded null byte) from Path.resolve/exists. Fix config._file_path: "
        "raise Invalid when '\\x00' in value",
    ),
    "unparsable_url": (
        {"url": '"http://[x"'},
        "ValueError (Invalid IPv6 URL) from urlsplit. Fix config._url: wrap urlsplit in "
        "try/except ValueError -> Invalid",
    ),
    "overlong_path": (
        {"input": "n" * 300},
        "OSError ENAMETOOLONG from Path.exists in _check_paths. Fix config._check_paths: "
        "catch OSError around exists()/is_dir() and report it as a problem",
    ),
    "control_character_in_text": (
        {"holder": '{name: "A\\x01"}'},
        "loads fine, then ImageRights raises ValueError (U+0001 not allowed in XML) in every "
        "build with a traceback. Fix schema.string: reject C0 controls (except tab/newline) "
        "and lone surrogates with Invalid",
    ),
}


@pytest.mark.parametrize("case", [pytest.param(case, id=case) for case in sorted(CONFIG_CRASHES)])
def test_config_problem_is_a_config_error_with_its_line(case: str, tmp_path: Path) -> None:
    path = _config(tmp_path, **CONFIG_CRASHES[case][0])
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert f"{path}:" in str(info.value)
