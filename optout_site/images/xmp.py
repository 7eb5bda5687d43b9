"""Build and merge the XMP packet that carries the rights (images.md §1).

Merging goes property by property and, inside structures and language alternatives,
leaf by leaf (:mod:`optout_site.images.xmpfields`): every foreign property, namespace and
field we do not write is kept. ``overwrite`` governs every leaf we write but the
reservation (``plus:DataMining``, ``plus:OtherConstraints``, ``xmpRights:Marked``), which
is always ours: without it a leaf the file fills is kept, unless ``optout:Owned`` says we
wrote that very value (then a configuration change updates it). When the file names
another author (:mod:`optout_site.images.authorship`) only the reservation is written.

A file with several standard packets (two JPEG APP1 or PNG iTXt ones) is read as one: the
union of their properties, a later packet's property replacing an earlier one's, which is
what exiftool reports; the container then writes the single merged packet.

Our properties go into one ``rdf:Description`` of their own, appended last (XMP merges all
top-level descriptions with the same ``rdf:about``). Every instance of a property we manage
is taken out of the other descriptions first, and empty descriptions are dropped, so
merging our own output again yields the same bytes: "unchanged" needs no side channel.
The packet is minimal: no indentation, no unused namespace declaration, no empty
container, simple values as attributes, no padding unless asked for.

Untrusted packets are parsed with entity resolution, DTD loading and network off, and
any packet that declares a DOCTYPE or ENTITY is refused outright, never expanded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from lxml import etree

from optout_site.errors import ImageError
from optout_site.images import xmpfields
from optout_site.images.rights import ImageRights
from optout_site.images.xmpfields import (
    CONTACT_INFO,
    DATA_MINING,
    DC_CREATOR,
    DC_RIGHTS,
    LICENSOR,
    MARKED,
    NS_DC,
    NS_IPTC,
    NS_PLUS,
    NS_RDF,
    NS_RIGHTS,
    NS_X,
    NS_XML,
    OTHER_CONSTRAINTS,
    OUR_NSMAP,
    OWNED,
    RDF_ABOUT,
    RDF_ALT,
    RDF_DESC,
    RDF_LI,
    RDF_RDF,
    USAGE_TERMS,
    WEB_STATEMENT,
    XML_LANG,
    reservation_only,
)

__all__ = [
    "NS_DC",
    "NS_IPTC",
    "NS_PLUS",
    "NS_RDF",
    "NS_RIGHTS",
    "NS_XML",
    "merge",
    "parse",
    "reservation_only",
    "stamp_packet",
    "summary",
]

PACKET_HEADER = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'.encode()
PACKET_TRAILER = b'<?xpacket end="w"?>'
_FORBIDDEN = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _is_utf16(packet: bytes) -> bool:
    return packet[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in packet[:4]


def _as_text(packet: bytes) -> str:
    # Scan the declared encoding too: a UTF-16 packet hides "<!DOCTYPE" from a byte search.
    if packet.startswith((b"\xff\xfe", b"\xfe\xff")):
        return packet.decode("utf-16", "replace")
    if b"\x00" in packet[:4]:
        return packet.decode("utf-16-be" if packet[:1] == b"\x00" else "utf-16-le", "replace")
    return packet.decode("utf-8", "replace")


def parse(packet: bytes) -> etree._Element:
    """Parse an existing packet safely and return its ``x:xmpmeta`` element."""
    if _FORBIDDEN.search(_as_text(packet)):
        raise ImageError("XMP packet declares a DOCTYPE/ENTITY; refused (never expanded)")
    if not _is_utf16(packet):
        # Cameras pad packets with NULs; they are not XML and carry nothing.
        packet = packet.rstrip(b"\x00 \t\r\n")
    try:
        root = etree.fromstring(packet, _parser())
    except etree.XMLSyntaxError as exc:
        raise ImageError(f"existing XMP packet is not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise ImageError("XMP packet declares a DOCTYPE; refused")
    if root.tag == RDF_RDF:
        wrapper = etree.Element(f"{{{NS_X}}}xmpmeta", nsmap={"x": NS_X})
        wrapper.append(root)
        root = wrapper
    if root.tag not in (f"{{{NS_X}}}xmpmeta", f"{{{NS_X}}}xapmeta") or root.find(RDF_RDF) is None:
        raise ImageError(f"existing XMP packet has no rdf:RDF (root element {root.tag!r})")
    return root


def _new_root() -> etree._Element:
    root = etree.Element(f"{{{NS_X}}}xmpmeta", nsmap={"x": NS_X})
    root.set(f"{{{NS_X}}}xmptk", "optout-site")
    etree.SubElement(root, RDF_RDF, nsmap={"rdf": NS_RDF})
    return root


def _rdf(root: etree._Element) -> etree._Element:
    """The ``rdf:RDF`` of a root from :func:`parse` or :func:`_new_root` (both ensure one)."""
    rdf = root.find(RDF_RDF)
    assert rdf is not None, "parse() and _new_root() return a root with rdf:RDF"
    return rdf


def _descriptions(root: etree._Element) -> list[etree._Element]:
    return list(_rdf(root).iterchildren(RDF_DESC))


def _properties(desc: etree._Element) -> set[str]:
    return {str(child.tag) for child in desc if isinstance(child.tag, str)} | {
        str(name) for name in desc.attrib if name != RDF_ABOUT
    }


def _remove(desc: etree._Element, tags: set[str]) -> None:
    for child in [c for c in desc if c.tag in tags]:
        desc.remove(child)
    for name in [n for n in desc.attrib if n in tags]:
        del desc.attrib[name]


def combine(packets: Sequence[bytes]) -> etree._Element:
    """One tree for several packets: their union, a later packet's property replacing
    an earlier one's (exiftool reports the last one it reads)."""
    if not packets:
        return _new_root()
    root = parse(packets[0])
    rdf = _rdf(root)
    for packet in packets[1:]:
        later = _descriptions(parse(packet))
        tags = set().union(*(_properties(d) for d in later)) if later else set()
        for desc in _descriptions(root):
            _remove(desc, tags)
        for desc in later:
            rdf.append(desc)
    return root


def _take(descs: list[etree._Element], tag: str) -> etree._Element | None:
    """Detach every instance of ``tag`` (element or attribute form) and return the first,
    as an element."""
    first: etree._Element | None = None
    for desc in descs:
        value = desc.attrib.pop(tag, None)
        if value is not None and first is None:
            first = etree.Element(tag)
            first.text = value
        for el in desc.findall(tag):
            desc.remove(el)
            if first is None:
                first = el
    return first


def _simple_value(el: etree._Element) -> str | None:
    """The text of a plain simple property (no attributes, no children), else None."""
    if len(el) or el.attrib:
        return None
    return el.text or ""


def _lang_alt(tag: str, text: str) -> etree._Element:
    el = etree.Element(tag)
    li = etree.SubElement(etree.SubElement(el, RDF_ALT), RDF_LI)
    li.set(XML_LANG, "x-default")
    li.text = text
    return el


def _text(tag: str, text: str) -> etree._Element:
    el = etree.Element(tag)
    el.text = text
    return el


# The order of our description: what we always write, then every governed leaf's property.
ORDER = (
    DC_CREATOR,
    DC_RIGHTS,
    MARKED,
    WEB_STATEMENT,
    USAGE_TERMS,
    CONTACT_INFO,
    DATA_MINING,
    OTHER_CONSTRAINTS,
    LICENSOR,
    OWNED,
)


def stamp_packet(
    existing: Sequence[bytes],
    rights: ImageRights,
    authors: Sequence[str],
    padding: int,
    limit: int | None,
) -> tuple[bytes, str, bool]:
    """The packet to store for a file holding the standard packets ``existing`` (in file
    order) and naming ``authors`` outside XMP (EXIF, IPTC), a note for the report, and
    whether the file's author was kept (then only the reservation was written).

    ``padding`` is the whitespace reserved for in-place edits by other tools; it is
    shrunk (never below zero) when the container can hold at most ``limit`` bytes.
    """
    return _stamp_cached(tuple(existing), rights, tuple(authors), padding, limit)


# The packet is a pure function of these arguments, and a gallery repeats them: every
# image without XMP, or with the packet its export tool writes, gets the same one. Parsing,
# merging and rendering it again cost more per web-size image than copying its bytes.
# An error is not cached (raised again, the same). Bounded: a key holds the packets.
@functools.lru_cache(maxsize=64)
def _stamp_cached(
    existing: tuple[bytes, ...],
    rights: ImageRights,
    authors: tuple[str, ...],
    padding: int,
    limit: int | None,
) -> tuple[bytes, str, bool]:
    root = combine(existing)
    rdf = _rdf(root)
    descs = _descriptions(root)
    props = {tag: el for tag in ORDER if (el := _take(descs, tag)) is not None}
    outcome = xmpfields.decide(props, rights, authors)
    props = outcome.props
    r = xmpfields.reservation_only(rights) if outcome.kept_author else rights
    if not r.reservation_only:
        props[MARKED] = _text(MARKED, "True" if r.marked else "False")
    # DataMining and the OtherConstraints that qualifies it are always ours: a stale
    # constraint from an earlier decision must not outlive a change of DataMining.
    props[DATA_MINING] = _text(DATA_MINING, r.data_mining)
    props.pop(OTHER_CONSTRAINTS, None)
    if r.other_constraints:
        props[OTHER_CONSTRAINTS] = _lang_alt(OTHER_CONSTRAINTS, r.other_constraints)
    props.pop(OWNED, None)
    if outcome.record:
        props[OWNED] = _text(OWNED, xmpfields.format_record(outcome.record))

    for desc in descs:
        if not len(desc) and set(desc.attrib) <= {RDF_ABOUT}:
            rdf.remove(desc)
    # XMP wants one rdf:about for all descriptions; a packet that breaks that rule must
    # still merge to a fixed point, so take it from a description that survives the
    # removal above (our own, emptied and dropped on a re-merge, would flip it).
    kept = _descriptions(root) or descs
    ours = etree.SubElement(rdf, RDF_DESC, nsmap=OUR_NSMAP)
    ours.set(RDF_ABOUT, kept[0].get(RDF_ABOUT, "") if kept else "")
    for tag in ORDER:
        el = props.get(tag)
        if el is None:
            continue
        simple = _simple_value(el)
        if simple is not None:
            ours.set(tag, simple)
        else:
            el.tail = None
            ours.append(el)
    return serialize(root, padding, limit), outcome.note, outcome.kept_author


def merge(
    existing: bytes | Sequence[bytes] | None,
    rights: ImageRights,
    padding: int,
    limit: int | None,
) -> bytes:
    """:func:`stamp_packet` for a packet (or several, or none) and no outside authors."""
    if existing is None:
        packets: Sequence[bytes] = ()
    elif isinstance(existing, bytes):
        packets = (existing,)
    else:
        packets = existing
    return stamp_packet(packets, rights, (), padding, limit)[0]


def _compact(root: etree._Element) -> None:
    """No whitespace between elements (RDF gives it no meaning) and no namespace
    declaration nothing uses."""
    for el in root.iter():
        if isinstance(el.tag, str) and len(el) and el.text is not None and not el.text.strip():
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    etree.cleanup_namespaces(root)


def serialize(root: etree._Element, padding: int, limit: int | None) -> bytes:
    _compact(root)
    body = PACKET_HEADER + etree.tostring(
        root, encoding="utf-8", xml_declaration=False, with_tail=False
    )
    if limit is not None:
        room = limit - len(body) - len(PACKET_TRAILER)
        if room < 0:
            raise ImageError(
                f"merged XMP packet is {len(body) + len(PACKET_TRAILER)} bytes; this container "
                f"holds at most {limit} (Extended XMP is not written)"
            )
        padding = min(padding, room)
    return body + _padding(padding) + PACKET_TRAILER


def _padding(size: int) -> bytes:
    # Lines of spaces, as the XMP spec suggests, so the padding is editor-friendly.
    line = b" " * 99 + b"\n"
    full, rest = divmod(size, len(line))
    return line * full + b" " * rest


def _values(desc: etree._Element, tag: str) -> list[str]:
    attribute = desc.get(tag)
    if attribute is not None:
        return [attribute]
    out = []
    for el in desc.findall(tag):
        resource = el.get(f"{{{NS_RDF}}}resource")
        if resource is not None:
            out.append(resource)
        elif len(el):
            out.extend(li.text or "" for li in el.iter(RDF_LI))
        else:
            out.append(el.text or "")
    return out


def summary(packet: bytes) -> dict[str, list[str]]:
    """Rights values as readers see them (for ``check`` and tests): property -> values.

    Accepts the element, attribute and ``rdf:resource`` forms of DataMining.
    """
    root = parse(packet)
    names = {
        DATA_MINING: "data_mining",
        OTHER_CONSTRAINTS: "other_constraints",
        DC_RIGHTS: "copyright",
        DC_CREATOR: "creator",
        MARKED: "marked",
        WEB_STATEMENT: "web_statement",
        USAGE_TERMS: "usage_terms",
    }
    result: dict[str, list[str]] = {}
    # Top-level descriptions only, as merge sees them: a nested rdf:Description is a
    # struct value of some other property, not the resource's own DataMining.
    for desc in _rdf(root).iterchildren(RDF_DESC):
        for tag, name in names.items():
            values = _values(desc, tag)
            if values:
                result.setdefault(name, []).extend(values)
    return result
