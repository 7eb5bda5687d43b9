"""Property tests of the XMP merge: idempotent, never drops what we do not write, and
without ``overwrite`` never changes a value present before unless our digest says we
wrote it.

Packets are generated with random properties in random namespaces (simple values in
attribute and element form, language alternatives, bags and sequences, structures in all
three RDF forms), random foreign values in the fields we write, sometimes split over two
packets, sometimes stamped by us first and then edited by a person. The expectations are
worked out here from the generated trees by an independent flattener, not by the merge
code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from support import BASE, examples

from optout_site.images import Contact, ImageRights, xmp

pytestmark = pytest.mark.slow  # ~30 s of CPU for the three properties

SETTINGS = settings(
    max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
RDF = xmp.NS_RDF
DESC, LI, ABOUT = f"{{{RDF}}}Description", f"{{{RDF}}}li", f"{{{RDF}}}about"
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
IPTC, PLUS, RIGHTS, DC = xmp.NS_IPTC, xmp.NS_PLUS, xmp.NS_RIGHTS, xmp.NS_DC
OURS_NS = "urn:optout-site:xmp:1/"
NSMAP = {"rdf": RDF, "dc": DC, "xmpRights": RIGHTS, "Iptc4xmpCore": IPTC, "plus": PLUS}
FOREIGN_NS = [f"http://ns{i}.example/x/" for i in range(3)] + [DC, PLUS, IPTC]

CI = [
    "CiAdrExtadr",
    "CiAdrCity",
    "CiAdrPcode",
    "CiAdrCtry",
    "CiTelWork",
    "CiEmailWork",
    "CiUrlWork",
]
LIC = ["LicensorName", "LicensorEmail", "LicensorURL"]
# Leaf code -> (top-level property, path inside it), as images.md defines what we write.
OUR_LEAVES = {
    "c": (f"{{{DC}}}creator", None),
    "r": (f"{{{DC}}}rights", ("x-default",)),
    "w": (f"{{{RIGHTS}}}WebStatement", ()),
    "u": (f"{{{RIGHTS}}}UsageTerms", ("x-default",)),
    **{
        code: (f"{{{IPTC}}}CreatorContactInfo", (f"{{{IPTC}}}{name}",))
        for code, name in zip(["ca", "cc", "cp", "cn", "ct", "ce", "cu"], CI, strict=True)
    },
    **{
        code: (f"{{{PLUS}}}Licensor", (0, f"{{{PLUS}}}{name}"))
        for code, name in zip(["ln", "le", "lu"], LIC, strict=True)
    },
}
ALWAYS_OURS = {
    f"{{{PLUS}}}DataMining",
    f"{{{PLUS}}}OtherConstraints",
    f"{{{RIGHTS}}}Marked",
    f"{{{OURS_NS}}}Owned",
}

TEXT = st.one_of(
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([" ", "Jane", "(c) Jane", "\u00a9 2024 Ross"]),
)
NAMES = st.sampled_from(["A", "B", "Label", "CiAdrRegion", "LicensorID", "subject", "x1"])


# --- generating packets ------------------------------------------------------------------


@st.composite
def fields(draw: st.DrawFn, ns: str, names: list[str]) -> dict[str, str]:
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
    return {f"{{{ns}}}{name}": draw(TEXT) for name in chosen}


def struct_into(el: etree._Element, values: dict[str, str], form: str) -> None:
    if form == "attr":
        for name, value in values.items():
            el.set(name, value)
        return
    holder = el
    if form == "descattr":
        nested = etree.SubElement(el, DESC)
        for name, value in values.items():
            nested.set(name, value)
        return
    if form == "desc":
        holder = etree.SubElement(el, DESC)
    else:
        el.set(f"{{{RDF}}}parseType", "Resource")
    for name, value in values.items():
        etree.SubElement(holder, name).text = value


@st.composite
def a_property(draw: st.DrawFn) -> tuple[str, object]:
    """(tag, builder) of one random property; the builder adds it to a description."""
    kind = draw(
        st.sampled_from(
            ["attr", "simple", "alt", "seq", "struct", "rights", "creator", "contact", "licensor"]
        )
    )
    if kind in ("attr", "simple", "alt", "seq", "struct"):
        tag = f"{{{draw(st.sampled_from(FOREIGN_NS))}}}{draw(NAMES)}"
    else:
        tag = {
            "rights": draw(st.sampled_from([f"{{{DC}}}rights", f"{{{RIGHTS}}}UsageTerms"])),
            "creator": f"{{{DC}}}creator",
            "contact": f"{{{IPTC}}}CreatorContactInfo",
            "licensor": f"{{{PLUS}}}Licensor",
        }[kind]
    text = draw(TEXT)
    langs = draw(st.lists(st.sampled_from(["x-default", "de", "fr"]), min_size=1, unique=True))
    alt_texts = [draw(TEXT) for _ in langs]
    items = draw(st.lists(TEXT, min_size=1, max_size=3))
    form = draw(st.sampled_from(["attr", "resource", "desc", "descattr"]))
    struct_ns = draw(st.sampled_from(FOREIGN_NS))
    values = draw(fields(struct_ns, ["A", "B", "C"]))
    contact = draw(fields(IPTC, [*CI, "CiAdrRegion"]))
    licensor = draw(fields(PLUS, [*LIC, "LicensorID"]))
    web = draw(st.booleans())

    def build(desc: etree._Element) -> None:
        if kind == "attr" or (kind == "simple" and web):
            desc.set(tag, text)
            return
        el = etree.SubElement(desc, tag)
        if kind == "simple":
            el.text = text
        elif kind in ("alt", "rights"):
            alt = etree.SubElement(el, f"{{{RDF}}}Alt")
            for lang, value in zip(langs, alt_texts, strict=True):
                li = etree.SubElement(alt, LI)
                li.set(LANG, lang)
                li.text = value
        elif kind in ("seq", "creator"):
            seq = etree.SubElement(el, f"{{{RDF}}}Seq" if kind == "creator" else f"{{{RDF}}}Bag")
            for value in items:
                etree.SubElement(seq, LI).text = value
        elif kind == "struct":
            struct_into(el, values, form)
        elif kind == "contact":
            struct_into(el, contact, form)
        else:
            li = etree.SubElement(etree.SubElement(el, f"{{{RDF}}}Seq"), LI)
            struct_into(li, licensor, form)

    return tag, build


@st.composite
def packets(draw: st.DrawFn) -> list[bytes]:
    props = draw(st.lists(a_property(), max_size=8, unique_by=lambda p: p[0]))
    if draw(st.booleans()):
        web = f"{{{RIGHTS}}}WebStatement"
        props.append((web, lambda d: d.set(web, "https://agency.example/")))
    split = draw(st.lists(st.booleans(), min_size=len(props), max_size=len(props)))
    out = []
    for which in (False, True) if any(split) else (False,):
        root = etree.Element("{adobe:ns:meta/}xmpmeta", nsmap={"x": "adobe:ns:meta/"})
        desc = etree.SubElement(etree.SubElement(root, f"{{{RDF}}}RDF", nsmap=NSMAP), DESC)
        desc.set(ABOUT, "")
        for (_tag, build), side in zip(props, split, strict=True):
            if side == which:
                build(desc)  # type: ignore[operator]
        out.append(etree.tostring(root))
    return out


CONTACTS = st.builds(
    Contact,
    name=st.sampled_from(["Jane", "Ross"]),
    email=st.sampled_from([None, "jane@j.example"]),
    city=st.sampled_from([None, "Lisbon", "Porto"]),
    phone=st.sampled_from([None, "+351"]),
)
RIGHTS_ST = st.builds(
    dataclasses.replace,
    st.just(BASE),
    copyright=st.sampled_from([None, "(c) Jane", "(c) 2026 Jane"]),
    creator=st.sampled_from([None, "Jane"]),
    usage_terms=st.sampled_from([None, "No AI training", "Ask first"]),
    web_statement=st.sampled_from([None, "https://j.example/terms"]),
    contact=st.one_of(st.none(), CONTACTS),
    overwrite=st.booleans(),
)
AUTHORS = st.one_of(
    st.just([]), st.lists(st.sampled_from(["Ross", "Jane", "Copyright 2024"]), max_size=2)
)


@st.composite
def stamped_then_edited(draw: st.DrawFn) -> list[bytes]:
    """Packets as found; sometimes ours from an earlier build, then edited by a person."""
    found = draw(packets())
    if not draw(st.booleans()):
        return found
    ours = xmp.merge(found, draw(RIGHTS_ST), 0, None)
    root = etree.fromstring(ours.split(b"?>", 1)[1].rsplit(b"<?xpacket", 1)[0])
    texts = [el for el in root.iter() if isinstance(el.tag, str) and el.text and not len(el)]
    for el in draw(st.lists(st.sampled_from(texts), max_size=2, unique=True)) if texts else []:
        el.text = (el.text or "") + " (edited)"
    return [etree.tostring(root)]


# --- an independent reading ----------------------------------------------------------------


def leaves(el: etree._Element) -> dict[tuple[object, ...], str]:
    out: dict[tuple[object, ...], str] = {}
    for name, value in el.attrib.items():
        if not name.startswith((f"{{{RDF}}}", "{http://www.w3.org/XML")):
            out[(name,)] = value
    for child in el:
        if child.tag in (f"{{{RDF}}}Alt", f"{{{RDF}}}Seq", f"{{{RDF}}}Bag"):
            for i, li in enumerate(child):
                key = li.get(LANG) if child.tag == f"{{{RDF}}}Alt" else i
                out.update({(key, *k): v for k, v in leaves(li).items()})
        elif child.tag == DESC:
            out.update(leaves(child))
        elif isinstance(child.tag, str):
            out.update({(child.tag, *k): v for k, v in leaves(child).items()})
    if not out and not len(el):
        out[()] = el.text or ""
    return out


def flatten(packets: list[bytes]) -> dict[str, dict[tuple[object, ...], str]]:
    """Top-level property -> its leaves; a later packet's property replaces an earlier one's."""
    props: dict[str, dict[tuple[object, ...], str]] = {}
    for packet in packets:
        body = packet.split(b"?>", 1)[1] if packet.startswith(b"<?xpacket") else packet
        root = etree.fromstring(body.rsplit(b"<?xpacket", 1)[0])
        for desc in root.iter(DESC):
            if desc.getparent() is None or desc.getparent().tag != f"{{{RDF}}}RDF":
                continue
            for name, value in desc.attrib.items():
                if name != ABOUT:
                    props[name] = {(): value}
            for child in desc:
                props[child.tag] = leaves(child)
    return props


def ours(tag: str, path: tuple[object, ...]) -> bool:
    """Whether (tag, path) is a leaf we write (and so may change)."""
    if tag in ALWAYS_OURS or tag == f"{{{DC}}}creator":
        return True
    return any(tag == t and p is not None and path == p for t, p in OUR_LEAVES.values())


def leaf_value(props: dict[str, dict[tuple[object, ...], str]], code: str) -> str | None:
    tag, path = OUR_LEAVES[code]
    found = props.get(tag)
    if found is None:
        return None
    if path is None:  # the creator list
        items = [v for k, v in sorted(found.items(), key=lambda kv: str(kv[0])) if len(k) == 1]
        return "\n".join(items) if items else None
    return found.get(path)


def recorded(props: dict[str, dict[tuple[object, ...], str]]) -> dict[str, str]:
    text = props.get(f"{{{OURS_NS}}}Owned", {}).get((), "")
    return dict(re.findall(r"(\w+)=(\w+)", text))


# --- the properties -------------------------------------------------------------------------


@SETTINGS
@given(found=stamped_then_edited(), rights=RIGHTS_ST, authors=AUTHORS)
def test_merge_is_idempotent(found: list[bytes], rights: ImageRights, authors: list[str]) -> None:
    once, _note, _kept = xmp.stamp_packet(found, rights, authors, 0, None)
    again, _note, _kept = xmp.stamp_packet([once], rights, authors, 0, None)
    assert again == once


@SETTINGS
@given(found=stamped_then_edited(), rights=RIGHTS_ST, authors=AUTHORS)
def test_merge_never_drops_a_field_we_do_not_write(
    found: list[bytes], rights: ImageRights, authors: list[str]
) -> None:
    before = flatten(found)
    after = flatten([xmp.stamp_packet(found, rights, authors, 0, None)[0]])
    for tag, values in before.items():
        for path, value in values.items():
            if not ours(tag, path):
                assert after.get(tag, {}).get(path) == value, (tag, path)


@SETTINGS
@given(found=stamped_then_edited(), rights=RIGHTS_ST, authors=AUTHORS)
def test_without_overwrite_a_present_value_changes_only_if_we_wrote_it(
    found: list[bytes], rights: ImageRights, authors: list[str]
) -> None:
    rights = dataclasses.replace(rights, overwrite=False)
    before = flatten(found)
    record = recorded(before)
    after = flatten([xmp.stamp_packet(found, rights, authors, 0, None)[0]])
    for code in OUR_LEAVES:
        value = leaf_value(before, code)
        if value is None:
            continue
        written_by_us = record.get(code) == hashlib.sha256(value.encode()).hexdigest()[:8]
        if not written_by_us:
            assert leaf_value(after, code) == value, code
