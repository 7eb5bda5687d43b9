"""Turning a page feature off withdraws exactly what we inserted, and nothing else.

RSL's ``<link>``, the footer link to the reservation page, ``noarchive`` in our robots tag
and the TDM policy's URL can each be switched off or moved in ``sites.yaml``; the page then
goes back to the very bytes it had without that feature, and the author's own tags of the
same kind are never edited or removed.
"""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import html5lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import examples
from test_htmlsplice import pages

from optout_site.build import build
from optout_site.html.splice import Wanted, splice

RSL = ("license", "application/rsl+xml")
LICENSE = "https://a.example/license.xml"
AUTHORS_LINK = b'<link rel="license" type="application/rsl+xml" href="/theirs.xml">'


def wanted(
    rsl: bool = False, footer: bool = False, noarchive: bool = False, policy: str = "a"
) -> Wanted:
    return Wanted(
        metas=(("tdm-reservation", "1"), ("tdm-policy", f"https://a.example/{policy}.json")),
        robots_add=("noai", "noimageai", "noarchive") if noarchive else ("noai", "noimageai"),
        links=((*RSL, LICENSE if rsl else None),),
        footer=("https://a.example/ai/", "AI use reserved") if footer else None,
    )


# Every combination of the switchable features.
SETTINGS = [
    wanted(*flags, policy)
    for *flags, policy in itertools.product([False, True], [False, True], [False, True], "ab")
]
# Nothing of ours: what a page holds when every one of our tags is withdrawn.
NOTHING = Wanted(
    metas=(("tdm-reservation", None), ("tdm-policy", None)),
    links=((*RSL, None),),
)

PAGE = b"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>t</title>
  </head>
  <body>
    <p>hi</p>
  </body>
</html>
"""


def rsl_links(page: bytes) -> list[str]:
    """The RSL links an HTML5 parser sees in the head."""
    doc = html5lib.parse(page, namespaceHTMLElements=False)
    return [
        link.get("href")
        for link in doc.find("head").iter("link")
        if link.get("type") == "application/rsl+xml"
    ]


def test_turning_rsl_off_removes_our_link():
    on = splice(PAGE, wanted(rsl=True))
    assert rsl_links(on) == [LICENSE]
    off = splice(on, wanted(rsl=False))
    assert rsl_links(off) == []
    assert off == splice(PAGE, wanted(rsl=False))


def test_the_authors_own_rsl_link_is_never_edited_or_removed():
    page = PAGE.replace(b"<title>", AUTHORS_LINK + b"\n    <title>")
    on = splice(page, wanted(rsl=True))
    # Theirs stays as written; ours is added beside it.
    assert AUTHORS_LINK in on and rsl_links(on) == [LICENSE, "/theirs.xml"]
    off = splice(on, wanted(rsl=False))
    assert off == splice(page, wanted(rsl=False))
    assert AUTHORS_LINK in off


def test_an_authors_link_that_already_says_it_gets_no_twin():
    link = f'<link rel="license" href="{LICENSE}" type="application/rsl+xml">'.encode()
    page = PAGE.replace(b"<title>", link + b"<title>")
    on = splice(page, wanted(rsl=True))
    assert rsl_links(on) == [LICENSE]
    assert splice(on, wanted(rsl=False)) == splice(page, wanted(rsl=False))


def test_our_link_from_before_the_mark_is_withdrawn():
    """Builds before the mark wrote exactly this link beside our tdm-reservation meta."""
    legacy = PAGE.replace(
        b"<title>",
        b'<meta name="tdm-reservation" content="1">\n    '
        b'<link rel="license" type="application/rsl+xml" href="https://a.example/license.xml">'
        b"\n    <title>",
    )
    on = splice(legacy, wanted(rsl=True))
    assert rsl_links(on) == [LICENSE] and b"data-optout-site" not in on.split(b"<title>")[0][-120:]
    assert rsl_links(splice(legacy, wanted(rsl=False))) == []
    # Without our tdm-reservation meta the same link is the author's, and stays.
    authors = legacy.replace(b'<meta name="tdm-reservation" content="1">\n    ', b"")
    assert rsl_links(splice(authors, wanted(rsl=False))) == [LICENSE]


# On a page stamped before the mark, only the exact link builds wrote is ours: any other
# shape is the author's and stays when RSL is off (a <link> with no rel is read too).
NOT_LEGACY = [
    b'<link rel="license" type="application/rsl+xml" href="https://x.example/l.xml" title="t">',
    b'<link rel=license type="application/rsl+xml" href="https://x.example/l.xml">',
    b"<link rel='license' type='application/rsl+xml' href='https://x.example/l.xml'>",
    b'<link type="application/rsl+xml" rel="license" href="https://x.example/l.xml">',
    b'<link rel="license" type="application/rsl+xml" href="/l.xml">',
]


@pytest.mark.parametrize("link", NOT_LEGACY)
def test_only_the_exact_legacy_link_is_adopted_as_ours(link):
    page = PAGE.replace(
        b"<title>",
        b'<meta name="tdm-reservation" content="1">\n    <link href="/s.css">\n    '
        + link
        + b"\n    <title>",
    )
    off = splice(page, wanted(rsl=False))
    assert link in off and b'<link href="/s.css">' in off
    assert len(rsl_links(off)) == 1


# A page of ours must not contain tags only the author can have written.
def _untagged(page: bytes) -> bool:
    lowered = page.lower()
    return not any(w in lowered for w in (b"tdm-", b"license", b"optout-site", b"noai"))


FLAGS = st.tuples(st.booleans(), st.booleans(), st.booleans())


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    page=pages(),
    extra=st.sampled_from([b"", AUTHORS_LINK]),
    off=FLAGS,
    on=FLAGS,
    policies=st.tuples(st.sampled_from("ab"), st.sampled_from("ab")),
)
def test_property_off_on_off_returns_the_same_bytes(page, extra, off, on, policies):
    """Features switched on (any of them, the TDM policy moved too), then off again."""
    page = page.replace(b"<title>", extra + b"<title>", 1)
    first = wanted(*off, policy=policies[0])
    second = wanted(*(a or b for a, b in zip(off, on, strict=True)), policy=policies[1])
    before = splice(page, first)
    after = splice(splice(before, second), first)
    assert after == before


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page=pages(), features=st.sampled_from(SETTINGS))
def test_property_everything_we_insert_comes_out_byte_for_byte(page, features):
    if not _untagged(page):
        return
    assert splice(splice(page, features), NOTHING) == page


CONFIG = """
sites:
  - name: s
    url: https://a.example
    input: public
    rightsholder: {{name: A}}
    reserve: [tdm]
    rsl: {{enabled: {rsl}}}
    reservation_page: {{footer_link: {footer}}}
    robots_meta: {{bing_noarchive: {noarchive}}}
"""


@pytest.mark.parametrize("feature", ["rsl", "footer", "noarchive"])
def test_a_build_with_a_feature_turned_off_leaves_the_page_as_if_it_never_was_on(
    tmp_path: Path, feature: str
):
    public = tmp_path / "public"
    public.mkdir()
    (public / "index.html").write_bytes(PAGE)
    config = tmp_path / "sites.yaml"

    def run(on: bool) -> bytes:
        flags = dict.fromkeys(["rsl", "footer", "noarchive"], "false") | {
            feature: "true" if on else "false"
        }
        config.write_text(textwrap.dedent(CONFIG.format(**flags)), encoding="utf-8")
        report = build(config, jobs=1)
        assert report.ok, report.render()
        return (public / "index.html").read_bytes()

    off = run(False)
    on = run(True)
    assert on != off
    assert run(False) == off
