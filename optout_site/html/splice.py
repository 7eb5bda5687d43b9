"""Put tags into an HTML page's ``<head>`` without re-serialising the page.

Re-serialising (lxml, html5lib, BeautifulSoup) rewrites quoting, entities, whitespace and
case all over a page. We instead find byte offsets with a small tokenizer that follows
the HTML parsing rules that matter for the head (comments, raw-text elements, quoted
attributes, the implied head), and splice text in at those offsets. Every byte we do
not own stays identical, and a second run finds its own tags and changes nothing.
(lxml reports only line numbers, not byte offsets, so it cannot locate a splice point.)
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from optout_site.errors import HtmlError
from optout_site.html.encoding import (
    detect_encoding,
    is_ascii_compatible,
    looks_binary,
    looks_wide,
)
from optout_site.html.footer import FOOTER_CLASS, BodyScan, WholeText, footer_edits
from optout_site.html.skip import head_tokens, tokens_that_matter
from optout_site.html.tokens import Tag, is_xml, line_before, tag_found_at, tokens

# Elements that may stand in the head; any other start tag (or text) starts the body.
_HEAD_CONTENT = {"meta", "link", "title", "style", "script", "base", "noscript", "template"}


@dataclass
class Head:
    """What the head region of a page holds, with offsets into the decoded text."""

    insert_at: int
    indent: str
    metas: list[Tag]
    links: list[Tag]
    xhtml: bool


def find_head(text: str, start: int, xml: bool | None = None, *, final: bool = True) -> Head:
    """Locate the head region: where to insert, and the meta/link tags already there.

    ``xml``: whether to read the page by XML's rules (see ``tokens.is_xml``); by default
    the page decides. ``final=False``: ``text`` is the page's beginning only, and
    :class:`tokens.Cut` says the head may go on past it."""
    if xml is None:
        xml = is_xml(text, start, final=final)
    html_end = head_end = charset_end = None
    unsafe_seen = content_seen = False
    leading_end = start
    metas: list[Tag] = []
    links: list[Tag] = []
    xhtml = xml
    # HTML pages read whole jump over the head's scripts, styles and whitespace at regex
    # speed; XHTML and a page's first window keep the full reader.
    read = (
        tokens(text, start, xml=xml, final=final) if xml or not final else head_tokens(text, start)
    )
    for token in read:
        if isinstance(token, Tag):
            if token.name == "html":
                html_end = token.end
                xhtml = xhtml or token.get("xmlns") is not None
            elif token.name == "head" and head_end is None:
                head_end = token.end
            elif token.name in _HEAD_CONTENT:
                content_seen = True
                if token.name in ("noscript", "template"):
                    # Parsers disagree on where these end (scripting on or off, HTML4
                    # parsers such as libxml2); never anchor our tags behind one.
                    unsafe_seen = True
                if token.name == "meta":
                    metas.append(token)
                    charset = token.get("charset") is not None or _is_content_type(token)
                    if charset and not unsafe_seen:
                        charset_end = token.end
                elif token.name == "link":
                    links.append(token)
            else:
                break
            continue
        kind, begin, end = token
        if kind in ("seen", "skipped"):
            content_seen = content_seen or kind == "seen"
            continue
        if kind == "text" and text[begin:end].strip():
            break
        # HTML's "in head" mode: </head>, and </body>, </html>, </br> too, end the head
        # (other stray end tags are ignored). A meta after </body> is not in the head.
        if kind == "end" and re.match(r"</(head|body|html|br)[\s/>]", text[begin:end] + ">", re.I):
            break
        if kind == "other" and head_end is None and (html_end is None or not content_seen):
            # Doctype, XML declaration or comments before <html>; or comments right after
            # it, which an HTML parser puts before the head (so ours go after them).
            leading_end = end
    after_html = None if html_end is None else max(html_end, leading_end)
    anchor = next(p for p in (charset_end, head_end, after_html, leading_end) if p is not None)
    return Head(anchor, _indent_after(text, anchor), metas, links, xhtml)


def _is_content_type(tag: Tag) -> bool:
    equiv = tag.get("http-equiv")
    return equiv is not None and equiv.value.strip().lower() == "content-type"


def _indent_after(text: str, pos: int) -> str:
    """The line break and indentation that follow ``pos``, so inserted tags line up."""
    match = re.compile(r"(\r?\n)([ \t]*)").match(text, pos)
    return match.group(0) if match else ""


@dataclass(frozen=True)
class Wanted:
    """The signals a page should carry.

    ``metas`` maps a meta name to its content, or to None where the tag must go.
    ``robots_add`` are the directives of our own ``<meta name="robots" … data-optout-site>``
    tag; an empty tuple removes that tag. The author's robots tags are never edited: what
    the author wrote there (``noindex``, or a ``noai`` of their own) stays as written, and
    crawlers combine the directives of every robots tag.
    ``links`` are (rel, type, href) for ``<link>`` tags we own, keyed by (rel, type); an
    href of None removes ours. An author's own link of that key is never edited: where it
    already points at href, ours is not added.
    ``footer`` is (href, text) for a link to the reservation page, placed just before the
    last ``footer_before`` end tag (``</footer>``, say: the link then takes the site
    footer's style), else before ``</body>``; None removes a link we placed earlier.
    """

    metas: tuple[tuple[str, str | None], ...] = ()
    robots_add: tuple[str, ...] = ()
    links: tuple[tuple[str, str, str | None], ...] = ()
    footer: tuple[str, str] | None = None
    footer_before: str = "body"  # the name of the element whose end tag the link precedes


# Marks the robots and link tags we own, so a later build can tell them from the
# author's own and withdraw exactly what it added.
MARK = "data-optout-site"


def _meta_name(tag: Tag) -> str | None:
    name = tag.get("name")
    return name.value.strip().lower() if name is not None else None


def _link_key(tag: Tag) -> tuple[str, str]:
    rel, kind = tag.get("rel"), tag.get("type")
    return (rel.value.strip().lower() if rel else "", kind.value.strip().lower() if kind else "")


def _line_span(text: str, tag: Tag) -> tuple[int, int, str]:
    """Remove the tag plus the line break and indentation before it, so no gap is left."""
    line = line_before(text, tag.start)
    return line.start() if line else tag.start, tag.end, ""


Encoder = Callable[[str], str]


def edit(
    text: str,
    wanted: Wanted,
    start: int,
    encode: Encoder = lambda v: v,
    *,
    adopt: bool,
) -> str:
    """Return ``text`` with the wanted tags present, updated or removed; the rest unchanged.

    ``encode`` turns an escaped attribute value into the text that stands in the page
    (the page's encoding seen through latin-1, for byte-exact splicing).
    """
    server_code = SERVER_CODE.search(text)
    if server_code:
        refuse_server_code(server_code.group(0))
    head, xml, edits = head_edits(text, wanted, start, encode, adopt=adopt)
    if wanted.footer is not None or FOOTER_CLASS in text:
        # XHTML keeps the full reader (CDATA, processing instructions and comments end by
        # XML's rules there); HTML pages skip at regex speed to the tokens that matter.
        scan = BodyScan(wanted.footer_before)
        after = head.insert_at
        body = (
            tokens(text, after, xml=True)
            if xml
            else tokens_that_matter(text, after, wanted.footer_before, FOOTER_CLASS)
        )
        for token in body:
            scan.note(text, token)
        edits.extend(
            footer_edits(scan, wanted.footer, value_of(encode), WholeText(text, after, xml))
        )
    return _apply(text, edits)


def refuse_server_code(code: str) -> None:
    # PHP (or similar) in a .html page runs on the server before any parser sees the
    # page; where its code ends ("?>" inside a string, "->" …) no HTML or XML rule can
    # tell, so tags spliced in could land inside the code.
    raise HtmlError(
        f"server-side code ({code}) in the page; optout-site does not edit it; left untouched"
    )


def value_of(encode: Encoder) -> Callable[[str], str]:
    return lambda raw: encode(html.escape(raw, quote=True))


def head_edits(
    text: str,
    wanted: Wanted,
    start: int,
    encode: Encoder,
    *,
    adopt: bool,
    final: bool = True,
) -> tuple[Head, bool, list[tuple[int, int, str]]]:
    """The head, whether the page reads as XML, and the edits of our meta and link tags.

    ``final=False``: ``text`` is the page's beginning only (:class:`tokens.Cut` if the
    head may go on past it); every edit then lies inside it."""
    xml = is_xml(text, start, final=final)
    head = find_head(text, start, xml, final=final)
    close = " />" if head.xhtml else ">"
    edits: list[tuple[int, int, str]] = []
    inserts: list[str] = []
    value = value_of(encode)

    for name, content in wanted.metas:
        found = [t for t in head.metas if _meta_name(t) == name]
        if content is None:
            edits.extend(_line_span(text, t) for t in found)
        elif not found:
            inserts.append(f'<meta name="{name}" content="{value(content)}"{close}')
        else:
            edits.extend(_set_attr(found[0], "content", value(content)))
            edits.extend(_line_span(text, t) for t in found[1:])

    robots = [t for t in head.metas if _meta_name(t) == "robots"]
    ours = [t for t in robots if _is_ours(t, adopt)]
    theirs = set().union(*(_directives(t) for t in robots if not _is_ours(t, adopt)))
    # Needed only for what the author's own tags do not already say.
    needed = tuple(d for d in wanted.robots_add if d not in theirs)
    if needed and ours:
        edits.extend(_set_attr(ours[0], "content", ", ".join(needed)))
        if ours[0].get(MARK) is None:  # adopted from an earlier build: mark it
            edits.extend(_set_attr(ours[0], MARK, ""))
    elif needed:
        inserts.append(f'<meta name="robots" content="{", ".join(needed)}" {MARK}=""{close}')
    edits.extend(_line_span(text, t) for t in (ours[1:] if needed else ours))

    for rel, kind, href in wanted.links:
        found = [t for t in head.links if _link_key(t) == (rel, kind)]
        mine = [t for t in found if _is_our_link(t, adopt)]
        if href is not None and mine:
            edits.extend(_set_attr(mine[0], "href", value(href)))
            mine = mine[1:]
        elif href is not None and not any(_attr_is(t, "href", value(href)) for t in found):
            inserts.append(f'<link rel="{rel}" type="{kind}" href="{value(href)}" {MARK}=""{close}')
        edits.extend(_line_span(text, t) for t in mine)

    if inserts:
        insertion = "".join(head.indent + t for t in inserts)
        if not tag_found_at(text, start, head.insert_at, insertion, xml):
            # Tags put there would not be found again: every build would add them anew.
            raise HtmlError(
                "the head ends inside an unterminated tag, comment or declaration; left untouched"
            )
        edits.append((head.insert_at, head.insert_at, insertion))
    return head, xml, edits


# PHP's opening tags (<?php, and <?= for echo): code the server runs, not markup. As
# bytes too, for pages read in windows (latin-1: the same matches, byte for character).
_SERVER_CODE_RE = r"<\?(?:php(?![A-Za-z0-9_-])|=)"
SERVER_CODE = re.compile(_SERVER_CODE_RE, re.I)
SERVER_CODE_BYTES = re.compile(_SERVER_CODE_RE.encode(), re.I)


def _set_attr(tag: Tag, name: str, value: str) -> list[tuple[int, int, str]]:
    """Set an attribute to ``value`` (escaped, so safe inside either kind of quote)."""
    attr = tag.get(name)
    if attr is None:
        at = tag.end - 1  # before '>', so a self-closing '/' stays where the author put it
        if tag.self_closing:
            at -= 1
        return [(at, at, f' {name}="{value}"')]
    if attr.value == value:
        return []
    return [(attr.start, attr.end, value if attr.quote else f'"{value}"')]


def _is_ours(tag: Tag, adopt: bool) -> bool:
    """Our robots tag: marked, or, with ``adopt``, the exact unmarked tag builds wrote
    before the mark existed (``adopt`` is decided once, on the page as it came in)."""
    if tag.get(MARK) is not None:
        return True
    attr = tag.get("content")
    return adopt and attr is not None and attr.value == "noai, noimageai"


# The unmarked link builds wrote before the mark existed: these attributes in this order,
# double-quoted, and always an absolute URL.
_LEGACY_LINK = ["rel", "type", "href"]
_ABSOLUTE = re.compile(r"https?://", re.I)


def _is_our_link(tag: Tag, adopt: bool) -> bool:
    """Our link: marked, or, with ``adopt``, exactly as builds wrote it before the mark."""
    if tag.get(MARK) is not None:
        return True
    legacy = [a.name for a in tag.attrs] == _LEGACY_LINK and tag.attrs[0].quote == '"'
    return adopt and legacy and _ABSOLUTE.match(tag.attrs[2].value) is not None


def _attr_is(tag: Tag, name: str, value: str) -> bool:
    attr = tag.get(name)
    return attr is not None and attr.value == value


def _directives(tag: Tag) -> set[str]:
    attr = tag.get("content")
    return {d.strip().lower() for d in (attr.value if attr else "").split(",") if d.strip()}


def in_order(edits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The (begin, end, replacement) edits by position; refused where two overlap."""
    ordered = sorted(edits, key=lambda e: (e[0], e[1]))
    for before, after in itertools.pairwise(ordered):
        if after[0] < before[1]:
            raise HtmlError("overlapping edits; the head is too malformed to edit safely")
    return ordered


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    if not edits:
        return text
    out, pos = [], 0
    for begin, end, replacement in in_order(edits):
        out.append(text[pos:begin])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def splice(data: bytes, wanted: Wanted) -> bytes:
    """Edit a page's bytes in its own encoding; bytes outside our tags are unchanged.

    The result is verified to be a fixed point, so the next build changes nothing. On
    broken markup one edit can uncover another (removing a misplaced link of ours lets
    the head scan reach tags it stopped short of); another pass settles that.
    """
    page, found = data, detect_encoding(data)
    # In the page's own encoding: a UTF-16 page spells it with a NUL between ASCII bytes.
    adopt = OUR_META.encode(found[0]) in data
    for _ in range(_PASSES):
        out, found = _splice_once(page, wanted, adopt, found)
        # A pass is a function of (page, wanted, adopt) alone: one that changes nothing
        # proves the fixed point; running it again on the same bytes could add nothing.
        if out == page:
            return out
        page = out
    raise HtmlError("the markup is too broken for our edits to settle; left untouched")


# The edits, then at most three more passes for what they uncover (the last must be a no-op).
_PASSES = 4


# Our own tdm-reservation meta: a page that carries it was accepted by an earlier build.
STAMPED = b'name="tdm-reservation"'
# An unmarked "noai, noimageai" robots tag on a page we stamped before (it carries our
# tdm-reservation meta as builds write it) is the one earlier builds wrote: ours to update
# or withdraw ("adopt").
OUR_META = '<meta name="tdm-reservation" content="'


def refuse_odd_bytes(head: bytes, bom: int, stamped: Callable[[], bool]) -> None:
    """Refuse what only looks like a page, judged on its first bytes (``head``).

    Heuristics, so a page that already carries our tag (we accepted it before, and our
    own edits moved its bytes: ``stamped()``) is not refused on the next build."""
    if bom or stamped():
        return
    if looks_wide(head):
        raise HtmlError(
            "page looks like UTF-16/UTF-32 without a byte order mark; left "
            "untouched (ASCII tags spliced in would garble it)"
        )
    if looks_binary(head):
        raise HtmlError(
            "not an HTML page: the file holds binary data (an image or archive "
            "under an .html name?); left untouched"
        )


def encoder(encoding: str) -> Encoder:
    """An escaped value in ``encoding`` seen through latin-1 (ASCII-compatible pages)."""

    def encode(value: str) -> str:
        return value.encode(encoding, "xmlcharrefreplace").decode("latin-1")

    return encode


def refuse_encoding_change() -> None:
    # e.g. a "charset=" inside a robots value we rewrite: the next build would read the
    # page in another encoding and rewrite our tags again, forever.
    raise HtmlError("editing the head would change the page's detected encoding; left untouched")


def _splice_once(
    data: bytes, wanted: Wanted, adopt: bool, found: tuple[str, int]
) -> tuple[bytes, tuple[str, int]]:
    """One pass over ``data``, whose ``detect_encoding`` answer is ``found``: the page, and
    the answer for it (checked to be ``found`` again where an edit could change it)."""
    encoding, bom = found
    refuse_odd_bytes(data, bom, lambda: STAMPED in data)
    if is_ascii_compatible(encoding):
        # latin-1 maps bytes 1:1 to code points, so offsets in text are offsets in bytes.
        text = data.decode("latin-1")
        out = edit(text, wanted, bom, encoder(encoding), adopt=adopt).encode("latin-1")
        if out != data and detect_encoding(out) != found:
            refuse_encoding_change()
        return out, found
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise HtmlError(
            f"page declares {encoding} but is not valid {encoding}: {exc.reason}"
        ) from None
    if text.encode(encoding) != data:
        raise HtmlError(f"page does not round-trip through {encoding}; left untouched")
    start = 1 if text.startswith("\ufeff") else 0
    # Only a BOM gives a page an encoding that is not ASCII-compatible, and our edits
    # all lie past it (past ``start``): the page as edited is read as this one is.
    return edit(text, wanted, start, adopt=adopt).encode(encoding), found
