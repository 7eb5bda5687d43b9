"""Build and merge the XMP packet that carries the rights (images.md §1).

Merging keeps every foreign property and namespace. Our properties go into one
``rdf:Description`` of their own, appended last; XMP merges all top-level descriptions
with the same ``rdf:about``, so readers see one resource. Any earlier instance of a
property we write (element or attribute form, in any description) is removed first,
and a description left empty by that removal is dropped. That makes merging a fixed
point: merging our own output again yields the same bytes, which is how "unchanged"
is detected without a side channel.

Untrusted packets are parsed with entity resolution, DTD loading and network off, and
any packet that declares a DOCTYPE or ENTITY is refused outright, never expanded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from lxml import etree

from optout_site.errors import ImageError
from optout_site.images.rights import Contact, ImageRights

Builder = Callable[[etree._Element], None]

NS_X = "adobe:ns:meta/"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_XML = "http://www.w3.org/XML/1998/namespace"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_RIGHTS = "http://ns.adobe.com/xap/1.0/rights/"
NS_IPTC = "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
NS_PLUS = "http://ns.useplus.org/ldf/xmp/1.0/"
OUR_NSMAP = {"dc": NS_DC, "xmpRights": NS_RIGHTS, "Iptc4xmpCore": NS_IPTC, "plus": NS_PLUS}

RDF_RDF, RDF_DESC, RDF_LI = f"{{{NS_RDF}}}RDF", f"{{{NS_RDF}}}Description", f"{{{NS_RDF}}}li"
RDF_ABOUT, RDF_PARSETYPE = f"{{{NS_RDF}}}about", f"{{{NS_RDF}}}parseType"
XML_LANG = f"{{{NS_XML}}}lang"

DC_CREATOR, DC_RIGHTS = f"{{{NS_DC}}}creator", f"{{{NS_DC}}}rights"
MARKED, WEB_STATEMENT = f"{{{NS_RIGHTS}}}Marked", f"{{{NS_RIGHTS}}}WebStatement"
USAGE_TERMS = f"{{{NS_RIGHTS}}}UsageTerms"
CONTACT_INFO = f"{{{NS_IPTC}}}CreatorContactInfo"
DATA_MINING, OTHER_CONSTRAINTS = f"{{{NS_PLUS}}}DataMining", f"{{{NS_PLUS}}}OtherConstraints"
LICENSOR = f"{{{NS_PLUS}}}Licensor"

PACKET_HEADER = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'.encode()
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


def _lang_alt(parent: etree._Element, tag: str, text: str) -> None:
    alt = etree.SubElement(etree.SubElement(parent, tag), f"{{{NS_RDF}}}Alt")
    li = etree.SubElement(alt, RDF_LI)
    li.set(XML_LANG, "x-default")
    li.text = text


def _simple(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text


def _seq(parent: etree._Element, tag: str, text: str) -> None:
    seq = etree.SubElement(etree.SubElement(parent, tag), f"{{{NS_RDF}}}Seq")
    etree.SubElement(seq, RDF_LI).text = text


def _struct(parent: etree._Element, tag: str, fields: list[tuple[str, str | None]]) -> None:
    node = etree.SubElement(parent, tag)
    node.set(RDF_PARSETYPE, "Resource")
    for name, value in fields:
        if value:
            _simple(node, name, value)


def _contact_info(desc: etree._Element, c: Contact) -> None:
    ns = NS_IPTC
    _struct(
        desc,
        CONTACT_INFO,
        [
            (f"{{{ns}}}CiAdrExtadr", c.address),
            (f"{{{ns}}}CiAdrCity", c.city),
            (f"{{{ns}}}CiAdrPcode", c.postal_code),
            (f"{{{ns}}}CiAdrCtry", c.country),
            (f"{{{ns}}}CiTelWork", c.phone),
            (f"{{{ns}}}CiEmailWork", c.email),
            (f"{{{ns}}}CiUrlWork", c.url),
        ],
    )


def _licensor(desc: etree._Element, c: Contact) -> None:
    seq = etree.SubElement(etree.SubElement(desc, LICENSOR), f"{{{NS_RDF}}}Seq")
    li = etree.SubElement(seq, RDF_LI)
    li.set(RDF_PARSETYPE, "Resource")
    for name, value in (
        ("LicensorName", c.name),
        ("LicensorEmail", c.email),
        ("LicensorURL", c.url),
    ):
        if value:
            _simple(li, f"{{{NS_PLUS}}}{name}", value)


def _nothing(desc: etree._Element) -> None:
    return None


def _rdf(root: etree._Element) -> etree._Element:
    """The ``rdf:RDF`` of a root from :func:`parse` or :func:`_new_root` (both ensure one)."""
    rdf = root.find(RDF_RDF)
    assert rdf is not None, "parse() and _new_root() return a root with rdf:RDF"
    return rdf


def _first(descs: list[etree._Element], tag: str) -> etree._Element | None:
    for desc in descs:
        found = desc.find(tag)
        if found is not None:
            return found
    return None


def merge(existing: bytes | None, rights: ImageRights, padding: int, limit: int | None) -> bytes:
    """The packet to store: ``existing`` with our properties replaced, serialized.

    ``padding`` is the whitespace reserved for in-place edits by other tools; it is
    shrunk (never below zero) when the container can hold at most ``limit`` bytes.
    """
    root = parse(existing) if existing else _new_root()
    rdf = _rdf(root)
    descs = [d for d in rdf if d.tag == RDF_DESC]
    r = rights

    # (tag, builder) in the fixed order we write; builder None = move the file's own.
    steps: list[tuple[str, Builder | None]] = []
    kept: dict[str, etree._Element] = {}
    for tag, wanted, write in ((DC_CREATOR, r.creator, _seq), (DC_RIGHTS, r.copyright, _lang_alt)):
        own = _first(descs, tag)
        if own is not None and not (wanted and r.overwrite):
            # Moving the file's value into our description (same subject, same
            # meaning) is what keeps a second merge byte-identical to the first.
            kept[tag] = own
            steps.append((tag, None))
        elif wanted:
            steps.append((tag, partial(write, tag=tag, text=wanted)))
    steps.append((MARKED, partial(_simple, tag=MARKED, text="True" if r.marked else "False")))
    if r.web_statement:
        steps.append((WEB_STATEMENT, partial(_simple, tag=WEB_STATEMENT, text=r.web_statement)))
    if r.usage_terms:
        steps.append((USAGE_TERMS, partial(_lang_alt, tag=USAGE_TERMS, text=r.usage_terms)))
    if r.contact is not None:
        steps.append((CONTACT_INFO, partial(_contact_info, c=r.contact)))
    steps.append((DATA_MINING, partial(_simple, tag=DATA_MINING, text=r.data_mining)))
    # OtherConstraints qualifies DataMining, so it is always ours: a stale one from an
    # earlier decision must not outlive a change of DataMining.
    if r.other_constraints:
        steps.append(
            (OTHER_CONSTRAINTS, partial(_lang_alt, tag=OTHER_CONSTRAINTS, text=r.other_constraints))
        )
    else:
        steps.append((OTHER_CONSTRAINTS, _nothing))  # removed, not rewritten
    if r.contact is not None:
        steps.append((LICENSOR, partial(_licensor, c=r.contact)))

    owned = [tag for tag, _ in steps]
    for desc in descs:
        touched = False
        for tag in owned:
            for el in desc.findall(tag):
                desc.remove(el)  # kept ones live on in ``kept`` and are re-added below
                touched = True
            if tag in desc.attrib:
                del desc.attrib[tag]
                touched = True
        if touched and len(desc) == 0 and set(desc.attrib) <= {RDF_ABOUT}:
            rdf.remove(desc)

    # XMP wants one rdf:about for all descriptions; a packet that breaks that rule must
    # still merge to a fixed point, so take it from a description that survives the
    # removal above (our own, emptied and dropped on a re-merge, would flip it).
    kept_descs = [d for d in rdf if d.tag == RDF_DESC] or descs
    about = kept_descs[0].get(RDF_ABOUT, "") if kept_descs else ""
    ours = etree.SubElement(rdf, RDF_DESC, nsmap=OUR_NSMAP)
    ours.set(RDF_ABOUT, about)
    for tag, build in steps:
        if build is None:
            kept[tag].tail = None
            ours.append(kept[tag])
        else:
            build(ours)
    return serialize(root, padding, limit)


def serialize(root: etree._Element, padding: int, limit: int | None) -> bytes:
    etree.indent(root, space=" ")
    body = (
        PACKET_HEADER
        + etree.tostring(root, encoding="utf-8", xml_declaration=False, with_tail=False)
        + b"\n"
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
