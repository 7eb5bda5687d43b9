"""The XMP fields we write, one leaf at a time, and the record of which ones are ours.

A leaf is one value: a simple property (``xmpRights:WebStatement``), the x-default item
of a language alternative (``dc:rights``), the creator list, or one field of a structure
(``Iptc4xmpCore:CreatorContactInfo/CiAdrCity``, the first ``plus:Licensor``'s
``LicensorName``). Reading accepts every RDF form a leaf may take (attribute, element,
``rdf:parseType="Resource"`` or a nested ``rdf:Description``); writing touches only the
leaf, so a field we do not write (``CiAdrRegion``, ``LicensorID``, a ``de`` translation)
stays where it was.

Which leaves are ours is recorded in the file itself, in ``optout:Owned`` (a private
namespace): ``code=digest`` per leaf we wrote, the digest being the first 8 hex digits of
the SHA-256 of the value. A value whose digest still matches is ours to update when the
configuration changes; one a person edited afterwards no longer matches and is theirs.
The file is the only place that survives a fresh CI checkout, so no state file is used.

:func:`decide` applies the rules per leaf: absent → ours is added (not into a structure
that holds someone else's values); present and ours, or ``overwrite`` → set to what the
configuration says (removed if it says nothing and the value was ours); present and
theirs → kept. A file naming another author gets the reservation only.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from optout_site.images import authorship
from optout_site.images.rights import ImageRights

NS_X = "adobe:ns:meta/"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_XML = "http://www.w3.org/XML/1998/namespace"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_RIGHTS = "http://ns.adobe.com/xap/1.0/rights/"
NS_IPTC = "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
NS_PLUS = "http://ns.useplus.org/ldf/xmp/1.0/"
NS_OURS = "urn:optout-site:xmp:1/"
OUR_NSMAP = {
    "dc": NS_DC,
    "xmpRights": NS_RIGHTS,
    "Iptc4xmpCore": NS_IPTC,
    "plus": NS_PLUS,
    "optout": NS_OURS,
}

RDF_RDF, RDF_DESC, RDF_LI = f"{{{NS_RDF}}}RDF", f"{{{NS_RDF}}}Description", f"{{{NS_RDF}}}li"
RDF_ABOUT, RDF_PARSETYPE = f"{{{NS_RDF}}}about", f"{{{NS_RDF}}}parseType"
RDF_RESOURCE = f"{{{NS_RDF}}}resource"
RDF_ALT, RDF_SEQ, RDF_BAG = f"{{{NS_RDF}}}Alt", f"{{{NS_RDF}}}Seq", f"{{{NS_RDF}}}Bag"
XML_LANG = f"{{{NS_XML}}}lang"

DC_CREATOR, DC_RIGHTS = f"{{{NS_DC}}}creator", f"{{{NS_DC}}}rights"
MARKED, WEB_STATEMENT = f"{{{NS_RIGHTS}}}Marked", f"{{{NS_RIGHTS}}}WebStatement"
USAGE_TERMS = f"{{{NS_RIGHTS}}}UsageTerms"
CONTACT_INFO = f"{{{NS_IPTC}}}CreatorContactInfo"
DATA_MINING, OTHER_CONSTRAINTS = f"{{{NS_PLUS}}}DataMining", f"{{{NS_PLUS}}}OtherConstraints"
LICENSOR = f"{{{NS_PLUS}}}Licensor"
OWNED = f"{{{NS_OURS}}}Owned"


@dataclass(frozen=True)
class Leaf:
    code: str  # its key in optout:Owned
    prop: str  # the top-level property
    form: str  # text | alt | seq | field (of the struct) | item (field of the first item)
    field: str = ""


def _ci(code: str, name: str) -> Leaf:
    return Leaf(code, CONTACT_INFO, "field", f"{{{NS_IPTC}}}{name}")


def _lic(code: str, name: str) -> Leaf:
    return Leaf(code, LICENSOR, "item", f"{{{NS_PLUS}}}{name}")


# Every leaf ``images.overwrite`` governs, in the order written.
LEAVES = (
    Leaf("c", DC_CREATOR, "seq"),
    Leaf("r", DC_RIGHTS, "alt"),
    Leaf("w", WEB_STATEMENT, "text"),
    Leaf("u", USAGE_TERMS, "alt"),
    _ci("ca", "CiAdrExtadr"),
    _ci("cc", "CiAdrCity"),
    _ci("cp", "CiAdrPcode"),
    _ci("cn", "CiAdrCtry"),
    _ci("ct", "CiTelWork"),
    _ci("ce", "CiEmailWork"),
    _ci("cu", "CiUrlWork"),
    _lic("ln", "LicensorName"),
    _lic("le", "LicensorEmail"),
    _lic("lu", "LicensorURL"),
)
STRUCTS = (CONTACT_INFO, LICENSOR)


def wanted(r: ImageRights) -> dict[str, str | None]:
    """Leaf code -> the value ``r`` asks for (None: we write nothing there)."""
    c = r.contact
    values = {
        "c": r.creator,
        "r": r.copyright,
        "w": r.web_statement,
        "u": r.usage_terms,
    }
    for code, value in (
        ("ca", c.address if c else None),
        ("cc", c.city if c else None),
        ("cp", c.postal_code if c else None),
        ("cn", c.country if c else None),
        ("ct", c.phone if c else None),
        ("ce", c.email if c else None),
        ("cu", c.url if c else None),
        ("ln", c.name if c else None),
        ("le", c.email if c else None),
        ("lu", c.url if c else None),
    ):
        values[code] = value
    return {code: value or None for code, value in values.items()}


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:8]


def parse_record(text: str | None) -> dict[str, str]:
    out = {}
    for token in (text or "").split():
        code, _, value = token.partition("=")
        out[code] = value
    return out


def format_record(record: dict[str, str]) -> str:
    return " ".join(f"{leaf.code}={record[leaf.code]}" for leaf in LEAVES if leaf.code in record)


def _items(el: etree._Element) -> list[etree._Element]:
    for container in el:
        if container.tag in (RDF_ALT, RDF_SEQ, RDF_BAG):
            return [li for li in container if li.tag == RDF_LI]
    return []


def _struct(el: etree._Element | None, form: str) -> etree._Element | None:
    """The element whose attributes/children are the struct's fields."""
    if el is not None and form == "item":
        items = _items(el)
        el = items[0] if items else None
    if el is None:
        return None
    nested = el.find(RDF_DESC)
    return nested if nested is not None else el


def read(el: etree._Element | None, leaf: Leaf) -> str | None:
    """The leaf's value in property element ``el`` (None: absent or not a text)."""
    if el is None:
        return None
    if leaf.form == "text":
        return el.get(RDF_RESOURCE) if len(el) == 0 and el.text is None else _text(el)
    if leaf.form == "alt":
        items = _items(el)
        chosen = next((li for li in items if li.get(XML_LANG) == "x-default"), None)
        return _text(chosen if chosen is not None else (items[0] if items else None))
    if leaf.form == "seq":
        texts = [li.text or "" for li in _items(el)]
        return "\n".join(texts) if texts else None
    node = _struct(el, leaf.form)
    if node is None:
        return None
    attribute = node.get(leaf.field)
    return attribute if attribute is not None else _text(node.find(leaf.field))


def _text(el: etree._Element | None) -> str | None:
    if el is None or len(el):
        return None
    return el.text or ""


def new_property(leaf: Leaf) -> etree._Element:
    el = etree.Element(leaf.prop)
    if leaf.form in ("alt", "seq"):
        etree.SubElement(el, RDF_ALT if leaf.form == "alt" else RDF_SEQ)
    elif leaf.form == "item":
        li = etree.SubElement(etree.SubElement(el, RDF_SEQ), RDF_LI)
        li.set(RDF_PARSETYPE, "Resource")
    elif leaf.form == "field":
        el.set(RDF_PARSETYPE, "Resource")
    return el


def write(el: etree._Element, leaf: Leaf, value: str | None) -> None:
    """Set (or, for None, remove) the leaf inside property element ``el``."""
    if leaf.form == "text":
        el.attrib.pop(RDF_RESOURCE, None)
        for child in list(el):
            el.remove(child)
        el.text = value or ""
        return
    if leaf.form in ("alt", "seq"):
        _write_list(el, leaf.form, value)
        return
    node = _fields(el, leaf.form)
    old = node.find(leaf.field)
    if value is None:
        if old is not None:
            node.remove(old)
        return
    if old is None:
        old = etree.SubElement(node, leaf.field)
    old.text = value


def _write_list(el: etree._Element, form: str, value: str | None) -> None:
    wanted_tag = RDF_ALT if form == "alt" else RDF_SEQ
    container = next((c for c in el if c.tag in (RDF_ALT, RDF_SEQ, RDF_BAG)), None)
    if container is None or (form == "seq" and container.tag != RDF_SEQ):
        for child in list(el):
            el.remove(child)
        el.text = None
        container = etree.SubElement(el, wanted_tag)
    if form == "seq":
        for li in list(container):
            container.remove(li)
        if value is not None:
            etree.SubElement(container, RDF_LI).text = value
        return
    items = [li for li in container if li.tag == RDF_LI]
    default = next((li for li in items if li.get(XML_LANG) == "x-default"), None)
    if default is None and value is not None and len(items) == 1 and items[0].get(XML_LANG) is None:
        default = items[0]  # an untagged single item is the default readers show
    if value is None:
        if default is not None:
            container.remove(default)
        return
    if default is None:
        default = etree.Element(RDF_LI)
        container.insert(0, default)
    default.set(XML_LANG, "x-default")
    default.text = value


def _fields(el: etree._Element, form: str) -> etree._Element:
    """The struct's field holder in ``rdf:parseType="Resource"`` form, made so if needed:
    attribute fields become elements and a nested ``rdf:Description`` is unwrapped."""
    if form == "item":
        container = next((c for c in el if c.tag in (RDF_SEQ, RDF_BAG, RDF_ALT)), None)
        if container is None:
            container = etree.SubElement(el, RDF_SEQ)
        items = [li for li in container if li.tag == RDF_LI]
        if not items:
            items = [etree.SubElement(container, RDF_LI)]
        el = items[0]
    nested = el.find(RDF_DESC)
    if nested is not None:
        for child in list(nested):
            el.append(child)
        for name, value in nested.attrib.items():
            if name != RDF_ABOUT:
                el.set(name, value)
        el.remove(nested)
    for name in [n for n in el.attrib if not n.startswith((f"{{{NS_RDF}}}", f"{{{NS_XML}}}"))]:
        etree.SubElement(el, name).text = el.attrib.pop(name)
    el.set(RDF_PARSETYPE, "Resource")
    return el


def prune(el: etree._Element, leaf: Leaf) -> bool:
    """Drop empty items; True when the whole property is now empty (to be removed)."""
    if leaf.form == "text":
        # Only write() empties it, and only to take our earlier value out.
        return not el.text
    if leaf.form in ("alt", "seq", "item"):
        for container in [c for c in el if c.tag in (RDF_ALT, RDF_SEQ, RDF_BAG)]:
            for li in [li for li in container if li.tag == RDF_LI]:
                if leaf.form == "item" and _empty_struct(li):
                    container.remove(li)
            if not len(container):
                el.remove(container)
        return not len(el) and not (el.text or "").strip()
    return _empty_struct(el)


def _empty_struct(el: etree._Element) -> bool:
    node = _struct(el, "field")
    assert node is not None
    fields = [n for n in node.attrib if not n.startswith((f"{{{NS_RDF}}}", f"{{{NS_XML}}}"))]
    return not len(node) and not fields and node.get(RDF_RESOURCE) is None


@dataclasses.dataclass
class Outcome:
    props: dict[str, etree._Element]
    record: dict[str, str]
    note: str
    kept_author: bool


def reservation_only(rights: ImageRights) -> ImageRights:
    """``rights`` reduced to the reservation, for a file that names another author."""
    return dataclasses.replace(
        rights,
        creator=None,
        copyright=None,
        contact=None,
        web_statement=None,
        usage_terms=None,
        reservation_only=True,
    )


def decide(
    props: dict[str, etree._Element], rights: ImageRights, authors: Sequence[str]
) -> Outcome:
    """Set every governed leaf in ``props`` (top-level property -> element, edited in
    place) as ``rights`` and the file's record say; the new record and the report note."""
    record = parse_record(props[OWNED].text if OWNED in props else None)
    current = {leaf.code: read(props.get(leaf.prop), leaf) for leaf in LEAVES}
    mine = {
        code
        for code, value in current.items()
        if value is not None and record.get(code) == digest(value)
    }
    # Our own earlier name (or rights line) is not "another author", even after a rename.
    ours = [rights.creator or "", rights.copyright or ""]
    ours += [current[c] or "" for c in ("c", "r") if c in mine]
    in_xmp = [] if "c" in mine else (current["c"] or "").split("\n")
    note = ""
    other = authorship.other_author([*authors, *in_xmp], ours)
    if other is not None and rights.overwrite and not rights.reservation_only:
        # overwrite: the site says every image is its own; still, say whose name went.
        note = f"replaced the author named in the file ({other}) (images.overwrite)"
    elif other is not None and not rights.reservation_only:
        rights = reservation_only(rights)
        note = f"kept the author named in the file ({other}); wrote the reservation only"
    want = wanted(rights)
    # A structure that holds someone else's value describes someone else: we update our
    # own leaves in it but add none (no email of ours inside an agency's contact).
    foreign = {
        leaf.prop
        for leaf in LEAVES
        if leaf.prop in STRUCTS
        and current[leaf.code] is not None
        and leaf.code not in mine
        and current[leaf.code] != want[leaf.code]
        and not rights.overwrite
    }
    new_record = {}
    for leaf in LEAVES:
        value, wish = current[leaf.code], want[leaf.code]
        if value is None:
            final = wish if leaf.prop not in foreign else None
        elif leaf.code in mine or rights.overwrite:
            final = wish if wish is not None or leaf.code in mine else value
        else:
            final = value
        if final != value:
            _set(props, leaf, final)
        if final is not None and final == wish:
            new_record[leaf.code] = digest(final)
    return Outcome(props, new_record, note, rights.reservation_only)


def _set(props: dict[str, etree._Element], leaf: Leaf, value: str | None) -> None:
    el = props.get(leaf.prop)
    if el is None:
        if value is None:
            return
        el = props[leaf.prop] = new_property(leaf)
    write(el, leaf, value)
    if prune(el, leaf):
        del props[leaf.prop]
