"""Property-based fuzzing in the normal suite: the same oracle as the atheris harnesses
(fuzz/oracle.py), fed by hypothesis with mutated fixtures, random pages and random YAML.

For images: take a valid fixture, flip, overwrite, insert, delete or duplicate bytes, and
stamp it. ``stamp`` must raise ``ImageError`` (nothing written) or produce a file that
re-parses, is idempotent and that Pillow decodes to the very pixels it decodes from the
input. Any other exception is a bug.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import imagefactory as f
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import examples

from fuzz import oracle
from optout_site import config
from optout_site.config.yamlnodes import ConfigError

pytestmark = pytest.mark.slow  # property fuzzing, ~1 s and more per test

SETTINGS = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CATALOGUE = f.catalogue()
BY_FORMAT = {
    fmt: sorted(name for name in CATALOGUE if name.endswith("." + ext))
    for fmt, ext in (
        ("jpeg", "jpg"),
        ("png", "png"),
        ("webp", "webp"),
        ("tiff", "tif"),
        ("gif", "gif"),
    )
}


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with 1-4 random edits, near either end (where structure lives) or anywhere."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        size = len(out)
        if size == 0:
            break
        limit = draw(st.sampled_from([min(size, 64), min(size, 512), size]))
        at = draw(st.integers(0, limit - 1))
        if draw(st.booleans()):
            at = size - 1 - at  # the tail: image data, trailers, late chunks
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "duplicate", "int"]))
        if op == "flip":
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            out[at] = draw(
                st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0x01, draw(st.integers(0, 255))])
            )
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del out[at : at + draw(st.integers(1, 32))]
        elif op == "duplicate":
            length = draw(st.integers(1, 64))
            out[at:at] = out[at : at + length]
        else:  # a length or offset field set to an interesting value
            width = draw(st.sampled_from([2, 4]))
            value = draw(
                st.sampled_from(
                    [
                        0,
                        1,
                        2,
                        8,
                        0x7F,
                        0xFF,
                        0xFFFF,
                        0x7FFFFFFF,
                        0xFFFFFFFF,
                        size,
                        size - 1,
                        size + 1,
                    ]
                )
            )
            order = draw(st.sampled_from(["big", "little"]))
            out[at : at + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, order)
    return bytes(out)


@st.composite
def mutated_image(draw: st.DrawFn, fmt: str) -> bytes:
    return draw(mutated(CATALOGUE[draw(st.sampled_from(BY_FORMAT[fmt]))]))


def _check(fmt: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        oracle.check_image(data, Path(tmp), oracle.FORMATS[fmt])


@pytest.mark.parametrize("fmt", sorted(BY_FORMAT))
def test_mutated_images_are_refused_or_stamped_losslessly(fmt: str) -> None:
    @settings(SETTINGS, max_examples=examples(150))
    @given(data=mutated_image(fmt))
    def run(data: bytes) -> None:
        _check(fmt, data)

    run()


@SETTINGS
@given(data=st.binary(max_size=300), fmt=st.sampled_from(sorted(BY_FORMAT)))
def test_random_bytes_behind_a_real_signature(data: bytes, fmt: str) -> None:
    magic = {
        "jpeg": b"\xff\xd8\xff",
        "png": b"\x89PNG\r\n\x1a\n",
        "webp": b"RIFF\x40\x00\x00\x00WEBP",
        "tiff": b"II*\x00",
        "gif": b"GIF89a",
    }[fmt]
    _check(fmt, magic + data)


# --- HTML -----------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "<!DOCTYPE html>",
        "<html>",
        "<head>",
        "</head>",
        "<body>",
        "</body>",
        "</html>",
        '<meta charset="utf-8">',
        "<meta charset=iso-8859-1>",
        '<meta charset="utf-16le">',
        "<meta charset=base64>",
        '<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">',
        '<meta name="robots" content="noindex">',
        "<META NAME=robots CONTENT='noai'>",
        '<meta name="tdm-reservation" content="0">',
        '<meta name="tdm-policy" content="x">',
        '<link rel="license" type="application/rsl+xml" href="/l.xml">',
        '<a class="optout-site-reservation" href="/r/">AI</a>',
        "<title>t</title>",
        "<title>",
        "<script>",
        "</script>",
        "<!--",
        "-->",
        "<!",
        "<?xml ?>",
        "<noscript>",
        "<template>",
        "<p>",
        "text",
        "é",
        "\x00",
        "\n",
        "  ",
        "\r\n",
        "'",
        '"',
        "<",
        ">",
        "=",
        "/",
        "<meta",
        "<a",
        "\ufeff",
    ]
)


@st.composite
def pages(draw: st.DrawFn) -> bytes:
    text = "".join(draw(st.lists(FRAGMENTS, max_size=25)))
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16", "cp1252"]))
    data = text.encode(encoding, "replace")
    if draw(st.booleans()):
        data = draw(mutated(data)) if data else data
    return data


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(pages(), st.binary(max_size=400)))
def test_html_splicing_over_random_bytes(data: bytes) -> None:
    oracle.check_html(data)


# --- XMP ------------------------------------------------------------------------------

PACKETS = [
    f.FOREIGN_XMP,
    oracle.xmp.merge(None, oracle.RIGHTS, 64, None),
    oracle.xmp.merge(f.FOREIGN_XMP, oracle.LEGACY, 0, None),
    f.extended_xmp()[0],
]


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.sampled_from(PACKETS).flatmap(mutated), st.binary(max_size=200)))
def test_xmp_merge_over_mutated_packets(data: bytes) -> None:
    oracle.check_xmp(data)


# --- config ---------------------------------------------------------------------------

SCALARS = st.one_of(
    st.sampled_from(
        [
            "s",
            "https://a.example",
            "site",
            "/x/",
            "[tdm, train]",
            "train",
            "true",
            "yes",
            "~",
            "null",
            "1",
            "0x1F",
            ".nan",
            "2001-12-14",
            "'quoted'",
            '"dq"',
            "!!str s",
            "!!bool true",
            "!!int 3",
            "!!binary aGk=",
            "&a x",
            "*a",
            "{name: A}",
            "[]",
            "{}",
            "|\n    block",
            ">-\n    folded",
        ]
    ),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12).map(repr),
)
KEYS = st.sampled_from(
    [
        "sites",
        "defaults",
        "name",
        "url",
        "input",
        "output",
        "rightsholder",
        "reserve",
        "allow",
        "rules",
        "path",
        "language",
        "images",
        "enabled",
        "copyright",
        "agents",
        "block",
        "hosts",
        "tdm_policy",
        "rsl",
        "reservation_page",
        "templates",
        "registry",
        "unknown",
        "<<",
        "? x",
    ]
)


def _yaml_tree(depth: int = 3) -> st.SearchStrategy[str]:
    if depth == 0:
        return SCALARS

    def mapping(items: list[tuple[str, str]]) -> str:
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"

    def sequence(items: list[str]) -> str:
        return "[" + ", ".join(items) + "]"

    child = _yaml_tree(depth - 1)
    return st.one_of(
        SCALARS,
        st.lists(st.tuples(KEYS, child), max_size=5).map(mapping),
        st.lists(child, max_size=4).map(sequence),
    )


def _load(tmp: Path, text: str) -> None:
    path = tmp / "sites.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        config.load(path)
    except ConfigError as exc:
        assert str(exc)  # says what is wrong


# Inputs that once crashed config.load (fixed in schema.py/config.py; one regression
# test each in test_fuzz_regressions.py): a non-boolean under an explicit !!bool tag
# (KeyError), a ~user path for an unknown user (RuntimeError), a NUL in a path and an
# unparsable URL (ValueError), an over-long path component (OSError ENAMETOOLONG).
FORMER_CONFIG_CRASHES = (
    "sites: [{name: s, url: 'https://a.example', input: ., rightsholder: {name: A}, "
    "images: {enabled: !!bool maybe}}]",
    "sites: [{name: s, url: 'https://a.example', input: ~nosuchuser-optout/x, "
    "rightsholder: {name: A}}]",
    'sites: [{name: s, url: "https://a.example", input: "a\\0b", rightsholder: {name: A}}]',
    "sites: [{name: s, url: 'http://[x', input: ., rightsholder: {name: A}}]",
    "sites: [{name: s, url: 'https://a.example', input: "
    + "n" * 300
    + ", rightsholder: {name: A}}]",
)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        _yaml_tree().map(lambda t: f"sites: {t}\n"),
        _yaml_tree().map(lambda t: f"defaults: {t}\nsites: [{t}]\n"),
        st.text(max_size=200),
        st.binary(max_size=200).map(lambda b: b.decode("utf-8", "surrogateescape")),
    )
)
@example(text=FORMER_CONFIG_CRASHES[0])
@example(text=FORMER_CONFIG_CRASHES[1])
@example(text=FORMER_CONFIG_CRASHES[2])
@example(text=FORMER_CONFIG_CRASHES[3])
@example(text=FORMER_CONFIG_CRASHES[4])
def test_config_load_over_random_yaml_raises_only_config_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _load(Path(tmp), text)
