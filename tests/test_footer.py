"""The reservation footer link: where it goes (the last ``</footer>`` by default, so it takes
the theme's footer style, else ``</body>``; or before the end tag the user names), its
text, and no other byte of the page touched."""

from __future__ import annotations

import html5lib
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optout_site import config
from optout_site.errors import ConfigError
from optout_site.html import footer, splice
from optout_site.html.splice import FOOTER_CLASS, Wanted
from optout_site.html.tokens import Cut, Tag, tokens

HREF = "https://a.example/ai-reservation/"
PAGE = (
    "<!doctype html>\n<html>\n<head><title>t</title></head>\n<body>\n"
    "<main>\n  <article><p>Photo</p><footer>Posted in May</footer></article>\n</main>\n"
    '<footer class="site">\n  <p>&copy; Jane</p>\n</footer>\n'
    "<script>var x = '</footer>';</script>\n</body>\n</html>\n"
)


def _spliced(page: str, before: str = "footer", label: str = "AI rights") -> str:
    wanted = Wanted(footer=(HREF, label), footer_before=before)
    return splice.splice(page.encode(), wanted).decode()


def _parent_of_link(page: str) -> tuple[str, str | None, str]:
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    parents = {child: parent for parent in tree.iter() for child in parent}
    [link] = [a for a in tree.iter("a") if a.get("class") == FOOTER_CLASS]
    parent = parents[link]
    assert list(parent)[-1] is link  # the last thing in it
    return parent.tag, parent.get("class"), link.text or ""


def _without_link(page: str) -> str:
    start = page.index(f'<a class="{FOOTER_CLASS}"')
    end = page.index("</a>", start) + len("</a>")
    line = page.rfind("\n", 0, start)
    return page[:line] + page[end:] if not page[line:start].strip() else page[:start] + page[end:]


def test_by_default_the_link_goes_into_the_site_footer_and_nothing_else_changes():
    out = _spliced(PAGE)
    # The site's own footer (the last one, not an article's, not a '</footer>' in a script).
    assert _parent_of_link(out) == ("footer", "site", "AI rights")
    assert '</p>\n<a class="optout-site-reservation"' in out  # a line of its own
    assert _without_link(out) == PAGE
    assert _spliced(out) == out


def test_without_the_element_asked_for_the_link_falls_back_to_body():
    page = PAGE.replace('<footer class="site">', "<div>").replace(
        "</footer>\n<script", "</div>\n<script"
    )
    out = _spliced(page, before="nav")
    assert _parent_of_link(out)[0] == "body"
    assert _without_link(out) == page


def test_the_user_chooses_the_element_and_the_text():
    out = _spliced(PAGE, before="main", label="Rights & AI")
    assert _parent_of_link(out) == ("main", None, "Rights & AI")
    assert "Rights &amp; AI" in out
    assert _without_link(out) == PAGE


def test_moving_the_link_leaves_one_link_in_the_new_place():
    at_body = _spliced(PAGE, before="body")
    assert _parent_of_link(at_body)[0] == "body"
    moved = _spliced(at_body)
    assert _parent_of_link(moved)[:2] == ("footer", "site")
    assert moved.count(FOOTER_CLASS) == 1
    assert _without_link(moved) == PAGE


LINK = f'<a class="{FOOTER_CLASS}" href="{HREF}">AI rights</a>'
# Pages with no end tag to put the link before: it goes after the last non-blank byte,
# unless the page ends inside a comment, a tag or raw text, where it would never be found
# again (every build would add one more): then the page is left as it is.
UNENDED = [
    (
        "<!doctype html><title>t</title><p>x</p>\n\n",
        f"<!doctype html><title>t</title><p>x</p>{LINK}\n\n",
    ),
    ("<p>x</p>", f"<p>x</p>{LINK}"),
    ("<p>x</p><!-- a --!> b\n", f"<p>x</p><!-- a --!> b{LINK}\n"),  # HTML ends it at --!>
    ("<p>x</p><!-- never closed\n", None),
    ("<p>x</p><script>var a\n", None),
    ("<p>x</p><img alt='x\n", None),
    # XML knows no --!>: the comment runs on.
    (
        '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><p>x</p><!-- a --!> b',
        None,
    ),
]


@pytest.mark.parametrize(("page", "expected"), UNENDED)
def test_a_page_with_no_end_tag_gets_the_link_after_its_last_text(page, expected):
    out = _spliced(page)
    assert out == (page if expected is None else expected)
    assert _spliced(out) == out


@pytest.mark.parametrize(
    ("page", "left"),
    [
        # Our link goes with its line break and indent, even at the very start of the page.
        (f"\n  {LINK}\n<p>x</p>\n", "\n<p>x</p>\n"),
        (f"<p>x</p>\r\n\t{LINK}</body>", "<p>x</p></body>"),
        (f"<p>x</p> {LINK}</body>", "<p>x</p> </body>"),  # no line break: the space stays
        (f"<p>x</p>\n\n{LINK}</body>", "<p>x</p>\n</body>"),  # one line break, the last
    ],
)
def test_withdrawing_the_link_takes_its_line_break_along(page, left):
    off = Wanted(metas=(("tdm-reservation", None),))
    assert splice.splice(page.encode(), off).decode() == left


OLD = f'<a class="{FOOTER_CLASS}" href="{HREF}">AI</a>'  # from a build with another label
# (page, before, expected): each written out by hand from the rules in footer.footer_edits.
PLACED = {
    # Duplicates (a theme partial included twice, say) go in one pass: one link is left,
    # before the end tag, on a line of its own with that tag's indent.
    "three links of ours": (
        f"<body>\n<footer>\n  <p>x</p>\n  {LINK}\n  {LINK}\n{LINK}\n</footer>\n</body>",
        "footer",
        f"<body>\n<footer>\n  <p>x</p>\n{LINK}\n</footer>\n</body>",
    ),
    # In place (only blanks before the end tag): updated where it stands, the author's
    # indent kept; right against the end tag is in place too.
    "in place, old label": (
        f"<body>\n<footer>\n  <p>x</p>\n      {OLD}\n</footer>\n</body>",
        "footer",
        f"<body>\n<footer>\n  <p>x</p>\n      {LINK}\n</footer>\n</body>",
    ),
    "against the end tag": (
        f"<body>\n<footer>\n  <p>x</p>\n  {LINK}</footer>\n</body>",
        "footer",
        f"<body>\n<footer>\n  <p>x</p>\n  {LINK}</footer>\n</body>",
    ),
    # Markup of the HTML 4 years: end tags in capitals are end tags.
    "capitals, footer": (
        "<BODY>\n<FOOTER>\n  <P>x</P>\n</FOOTER>\n</BODY>",
        "footer",
        f"<BODY>\n<FOOTER>\n  <P>x</P>\n{LINK}\n</FOOTER>\n</BODY>",
    ),
    "capitals, no nav: before </BODY>": (
        "<BODY>\n<FOOTER>\n  <P>x</P>\n</FOOTER>\n</BODY>",
        "nav",
        f"<BODY>\n<FOOTER>\n  <P>x</P>\n</FOOTER>\n{LINK}\n</BODY>",
    ),
    # Only an <a> of our class is ours: not another element of that class, not another
    # class that starts with its name, not the author's own links.
    "the author's elements": (
        f'<body>\n<footer>\n  <span class="{FOOTER_CLASS}">x</span> <a href="/y">y</a>'
        f' <a class="z {FOOTER_CLASS}z">z</a>\n</footer>\n</body>',
        "footer",
        f'<body>\n<footer>\n  <span class="{FOOTER_CLASS}">x</span> <a href="/y">y</a>'
        f' <a class="z {FOOTER_CLASS}z">z</a>\n{LINK}\n</footer>\n</body>',
    ),
    # Markup inside our label (an edit by hand): only the start tag is known to be ours,
    # so it goes and the author's words stay (with their </a>); ours goes in its place.
    "markup in our label": (
        f'<body>\n<footer>\n  <p>x</p>\n  <a class="{FOOTER_CLASS}" href="{HREF}">AI <b>rights'
        "</b></a>\n</footer>\n</body>",
        "footer",
        f"<body>\n<footer>\n  <p>x</p>AI <b>rights</b></a>\n{LINK}\n</footer>\n</body>",
    ),
}


# A stub page (an empty index.html, a doctype alone): the head tags and the link go in at
# the same offset, the head tags first, as in the edits' given order.
@pytest.mark.parametrize("page", ["", "<html>", "<!doctype html>"])
def test_a_page_with_neither_head_nor_body_gets_the_head_tags_then_the_link(page):
    wanted = Wanted(
        metas=(("tdm-reservation", "1"),), footer=(HREF, "AI rights"), footer_before="footer"
    )
    out = splice.splice(page.encode(), wanted).decode()
    assert out == page + '<meta name="tdm-reservation" content="1">' + LINK
    assert splice.splice(out.encode(), wanted).decode() == out


@pytest.mark.parametrize("name", PLACED)
def test_our_link_is_placed_updated_and_deduplicated_as_written(name):
    page, before, expected = PLACED[name]
    out = _spliced(page, before)
    assert out == expected
    assert _spliced(out, before) == out


# BodyScan.note in a window of a longer page: our link is noted whole when its </a> ends
# before the window's last MARGIN characters (read_token's rule), else the window is cut
# at the link. (what follows the link in the window, cut?)
IN_A_WINDOW = [
    (LINK + " " * 64, False),  # the '>' of </a> ends 64 characters before the window's end
    (LINK + " " * 63, True),
    (LINK + " " * 70 + "<br>", False),  # later tags close to the end change nothing
    (LINK, True),
    (LINK[:-2], True),  # the window ends inside our </a>
]


@pytest.mark.parametrize(("window", "cut"), IN_A_WINDOW)
def test_a_window_is_cut_at_our_link_only_when_its_end_may_lie_past_it(window, cut):
    window = "<p>x</p>" + window
    [ours] = [t for t in tokens(window) if isinstance(t, Tag) and t.name == "a"]
    scan = footer.BodyScan("footer")
    if cut:
        with pytest.raises(Cut) as raised:
            scan.note(window, ours, base=100, final=False)
        assert raised.value.at == 8
    else:
        scan.note(window, ours, base=100, final=False)
        assert scan.found == [(108, 108 + len(LINK))]


@given(st.sampled_from(["footer", "main", "body", "nav", "article"]), st.text(min_size=1))
def test_placing_is_a_fixed_point_and_touches_no_other_byte(before, label):
    label = "".join(ch for ch in label if ch.isprintable()).strip() or "x"
    out = _spliced(PAGE, before, label)
    assert _spliced(out, before, label) == out
    assert _without_link(out) == PAGE


SITE = """
sites:
  - name: s
    url: https://a.example
    input: public
    rightsholder: {name: A}
    reservation_page:
"""


@pytest.fixture
def public(tmp_path):
    (tmp_path / "public").mkdir()


@pytest.mark.parametrize(
    ("value", "enabled", "before", "text"),
    [
        ("    footer_link: true\n", True, "footer", None),
        ("    footer_link: false\n", False, "footer", None),
        ("    footer_link: {before: </Main>, text: AI rights}\n", True, "main", "AI rights"),
    ],
)
def test_footer_link_setting(write_config, public, value, enabled, before, text):
    (site,) = config.load(write_config(SITE + "  " + value)).sites
    page = site.reservation_page
    assert (page.footer_link, page.footer_before, page.footer_text) == (enabled, before, text)


def test_a_footer_link_place_that_is_not_an_end_tag_is_a_located_error(write_config, public):
    path = write_config(SITE + "      footer_link: {before: footer}\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    (problem,) = info.value.problems
    assert (problem.line, "end tag such as </footer>" in problem.message) == (7, True)


def test_a_build_puts_the_link_with_its_text_where_the_config_says(
    tmp_path, site_dir, write_config
):
    from optout_site.build.pipeline import build

    original = (site_dir / "index.html").read_text(encoding="utf-8")
    assert original.count("</footer>") >= 1
    cfg = write_config(f"""
        sites:
          - name: s
            url: https://a.example
            input: {site_dir}
            rightsholder: {{name: A}}
            reservation_page: {{footer_link: {{text: "No AI training, please"}}}}
        """)
    assert build(cfg, state_dir=tmp_path / "state").ok
    page = (site_dir / "index.html").read_text(encoding="utf-8")
    assert _parent_of_link(page)[0] == "footer"
    assert _parent_of_link(page)[2] == "No AI training, please"
    assert build(cfg, state_dir=tmp_path / "state").changed == 0
