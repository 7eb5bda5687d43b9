"""Property-by-property merge: two packets, an agency's fields, another author, our record.

Issue 20 item 7 (metadata the photographer wrote was dropped), issue 13 items 4 (someone
else's photo got our creator) and 5 (editing the copyright line changed nothing).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import imagefactory as f
import pytest
from lxml import etree
from PIL import Image
from support import BASE

from optout_site.build.work import stamp_image as stamp
from optout_site.images import Contact, authorship, read_xmp, xmp

NS = {
    "rdf": xmp.NS_RDF,
    "dc": xmp.NS_DC,
    "plus": xmp.NS_PLUS,
    "xmpRights": xmp.NS_RIGHTS,
    "Iptc4xmpCore": xmp.NS_IPTC,
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "optout": "urn:optout-site:xmp:1/",
}
FULL = dataclasses.replace(
    BASE,
    contact=Contact(
        name="Jane",
        email="jane@j.example",
        url="https://j.example/",
        address="1 Rua Nova",
        city="Lisbon",
        postal_code="1100-001",
        country="Portugal",
        phone="+351 21 000 0000",
    ),
)


def texts(packet: bytes, path: str) -> list[str]:
    return [str(v) for v in xmp.parse(packet).xpath(path, namespaces=NS)]


def packet(body: str, attrs: str = "") -> bytes:
    spaces = (
        f'xmlns:dc="{xmp.NS_DC}" xmlns:xmp="{NS["xmp"]}" xmlns:xmpRights="{xmp.NS_RIGHTS}" '
        f'xmlns:Iptc4xmpCore="{xmp.NS_IPTC}" xmlns:plus="{xmp.NS_PLUS}"'
    )
    return (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{xmp.NS_RDF}">'
        f'<rdf:Description rdf:about="" {spaces} {attrs}>{body}'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


AGENCY = packet(
    "<xmpRights:UsageTerms><rdf:Alt><rdf:li xml:lang='x-default'>Agency terms</rdf:li>"
    "<rdf:li xml:lang='de'>Agenturbedingungen</rdf:li></rdf:Alt></xmpRights:UsageTerms>"
    "<Iptc4xmpCore:CreatorContactInfo Iptc4xmpCore:CiAdrRegion='Bavaria'"
    " Iptc4xmpCore:CiTelWork='+49 89 1'/>"
    "<plus:Licensor><rdf:Seq><rdf:li rdf:parseType='Resource'>"
    "<plus:LicensorName>Agency</plus:LicensorName><plus:LicensorID>AG-1</plus:LicensorID>"
    "</rdf:li></rdf:Seq></plus:Licensor>",
    "xmpRights:WebStatement='https://agency.example/licence'",
)
FIRST = packet("<xmp:Label>first</xmp:Label><xmp:Rating>1</xmp:Rating>")
SECOND = packet("<xmp:Label>second</xmp:Label><xmp:Nickname>n2</xmp:Nickname>")


# --- item 1: merge property by property ------------------------------------------------


def test_agency_fields_kept_without_overwrite() -> None:
    out = xmp.merge(AGENCY, FULL, 0, None)
    assert texts(out, "//@xmpRights:WebStatement") == ["https://agency.example/licence"]
    alt = "//xmpRights:UsageTerms/rdf:Alt/rdf:li"
    assert texts(out, alt + "/text()") == ["Agency terms", "Agenturbedingungen"]
    assert texts(out, "//@Iptc4xmpCore:CiAdrRegion") == ["Bavaria"]
    assert texts(out, "//@Iptc4xmpCore:CiTelWork") == ["+49 89 1"]
    # Their contact is theirs: none of our address, email or phone goes into it.
    assert texts(out, "//Iptc4xmpCore:CreatorContactInfo//Iptc4xmpCore:CiEmailWork") == []
    assert texts(out, "//plus:Licensor//plus:LicensorName/text()") == ["Agency"]
    assert texts(out, "//plus:Licensor//plus:LicensorID/text()") == ["AG-1"]
    assert texts(out, "//plus:Licensor//plus:LicensorEmail") == []
    # What the file lacked is ours to add, and the reservation is always written.
    assert texts(out, "//dc:creator//rdf:li/text()") == ["Jane"]
    assert texts(out, "//@plus:DataMining") == [f.DMI]
    unmarked = packet("", 'xmpRights:Marked="False"')
    assert texts(xmp.merge(unmarked, FULL, 0, None), "//@xmpRights:Marked") == ["True"]


def test_overwrite_replaces_our_fields_and_keeps_the_rest() -> None:
    out = xmp.merge(AGENCY, dataclasses.replace(FULL, overwrite=True), 0, None)
    assert texts(out, "//@xmpRights:WebStatement") == ["https://j.example/terms"]
    alt = "//xmpRights:UsageTerms/rdf:Alt/rdf:li"
    assert texts(out, alt + "[@xml:lang='x-default']/text()") == ["No AI training"]
    assert texts(out, alt + "[@xml:lang='de']/text()") == ["Agenturbedingungen"]
    info = "//Iptc4xmpCore:CreatorContactInfo/Iptc4xmpCore:"
    assert texts(out, info + "CiAdrRegion/text()") == ["Bavaria"]  # a field we never write
    assert texts(out, info + "CiTelWork/text()") == ["+351 21 000 0000"]
    assert texts(out, info + "CiAdrCity/text()") == ["Lisbon"]
    lic = "//plus:Licensor/rdf:Seq/rdf:li/plus:"
    assert texts(out, lic + "LicensorName/text()") == ["Jane"]
    assert texts(out, lic + "LicensorID/text()") == ["AG-1"]


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_two_packets_become_one_with_both(kind: str, tmp_path: Path) -> None:
    pic = f.photo((16, 16))
    if kind == "jpeg":
        data = f.insert_segments(
            f.save(pic, "JPEG"),
            0,
            f.jpeg_segment(0xE1, f.XMP_SIG + FIRST),
            f.jpeg_segment(0xE1, f.XMP_SIG + SECOND),
        )
    else:
        chunks, trailer = f.png_chunks(f.save(pic, "PNG"))
        itxt = [(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + p) for p in (FIRST, SECOND)]
        data = f.png_from_chunks(chunks[:1] + itxt + chunks[1:], trailer)
    src = tmp_path / f"two.{kind}"
    src.write_bytes(data)
    with Image.open(src) as im:
        pixels = im.tobytes()
    assert stamp(src, src, BASE).status == "changed"
    out = src.read_bytes()
    assert out.count(b"XML:com.adobe.xmp" if kind == "png" else f.XMP_SIG) == 1
    merged = read_xmp(src)
    assert merged is not None
    # Both packets' properties; on a conflict the later packet's, as exiftool reads it.
    assert texts(merged, "//xmp:Label/text() | //@xmp:Label") == ["second"]
    assert texts(merged, "//xmp:Rating/text() | //@xmp:Rating") == ["1"]
    assert texts(merged, "//xmp:Nickname/text() | //@xmp:Nickname") == ["n2"]
    assert stamp(src, src, BASE).status == "unchanged"
    with Image.open(src) as im:
        assert im.tobytes() == pixels


def test_a_later_packets_attribute_replaces_the_earlier_one_and_no_other() -> None:
    # Both in attribute form (the containers above carry elements): the earlier packet's
    # Label goes, its Rating stays.
    first = packet("", 'xmp:Label="first" xmp:Rating="1"')
    second = packet("", 'xmp:Label="second"')
    out = xmp.merge([first, second], BASE, 0, None)
    assert texts(out, "//xmp:Label/text() | //@xmp:Label") == ["second"]
    assert texts(out, "//xmp:Rating/text() | //@xmp:Rating") == ["1"]


# A struct's fields may also sit on an rdf:Description inside the property (XMP part 1),
# as attributes or as elements.
NESTED = packet(
    "<Iptc4xmpCore:CreatorContactInfo><rdf:Description Iptc4xmpCore:CiAdrCity='Porto'"
    " Iptc4xmpCore:CiAdrRegion='Norte'><Iptc4xmpCore:CiTelWork>+351 22 1</Iptc4xmpCore:CiTelWork>"
    "</rdf:Description></Iptc4xmpCore:CreatorContactInfo>"
)


def test_a_contact_written_as_a_nested_description_is_read_as_theirs() -> None:
    info = "//Iptc4xmpCore:CreatorContactInfo"
    kept = xmp.merge(NESTED, FULL, 0, None)
    assert texts(kept, f"{info}//@Iptc4xmpCore:CiAdrCity") == ["Porto"]
    email = f"{info}//Iptc4xmpCore:CiEmailWork | {info}//@Iptc4xmpCore:CiEmailWork"
    assert texts(kept, email) == []  # theirs: none of our fields is added to it
    assert texts(kept, f"{info}//Iptc4xmpCore:CiTelWork/text()") == ["+351 22 1"]
    # overwrite: our fields go in, theirs stay, in the one parseType="Resource" form.
    replaced = xmp.merge(NESTED, dataclasses.replace(FULL, overwrite=True), 0, None)
    assert texts(replaced, f"{info}/Iptc4xmpCore:CiAdrCity/text()") == ["Lisbon"]
    assert texts(replaced, f"{info}/Iptc4xmpCore:CiAdrRegion/text()") == ["Norte"]
    assert texts(replaced, f"{info}/Iptc4xmpCore:CiTelWork/text()") == ["+351 21 000 0000"]
    assert texts(replaced, f"{info}/rdf:Description | {info}//@Iptc4xmpCore:CiAdrCity") == []
    assert texts(replaced, f"{info}/@rdf:parseType") == ["Resource"]  # RDF spells it so


@pytest.mark.parametrize(
    "licensor", ["<plus:Licensor/>", "<plus:Licensor><rdf:Seq/></plus:Licensor>"]
)
def test_a_licensor_without_an_item_gets_ours(licensor: str) -> None:
    out = xmp.merge(packet(licensor), FULL, 0, None)
    lic = "//plus:Licensor/rdf:Seq/rdf:li/plus:"
    assert texts(out, lic + "LicensorName/text()") == ["Jane"]
    assert texts(out, lic + "LicensorEmail/text()") == ["jane@j.example"]
    assert len(texts(out, "//plus:Licensor/rdf:Seq/rdf:li")) == 1  # one item, ours
    assert texts(out, "//plus:Licensor/rdf:Seq/rdf:li/@rdf:parseType") == ["Resource"]


def test_a_second_licensor_in_attribute_form_is_kept() -> None:
    seq = (
        "<plus:Licensor><rdf:Seq><rdf:li rdf:parseType='Resource'/>"
        "<rdf:li plus:LicensorName='Agency'/>"
        "<rdf:li><rdf:Description plus:LicensorName='Press'/></rdf:li></rdf:Seq></plus:Licensor>"
    )
    out = xmp.merge(packet(seq), FULL, 0, None)
    lic = "//plus:Licensor/rdf:Seq/rdf:li"
    assert texts(out, f"{lic}/plus:LicensorName/text()") == ["Jane"]  # the first, empty: ours
    assert texts(out, f"{lic}//@plus:LicensorName") == ["Agency", "Press"]


# --- item 2: someone else's photo ------------------------------------------------------


def nikon_jpeg(**exif: str) -> bytes:
    return f.save(f.photo((16, 16)), "JPEG", exif=f.exif_bytes(1, **exif))


def test_someone_elses_photo_gets_the_reservation_only(tmp_path: Path) -> None:
    src = tmp_path / "DSC_0001.jpg"
    src.write_bytes(nikon_jpeg(artist="Ross_Pushinaitis", copyright="Ross_Pushinaitis"))
    result = stamp(src, src, dataclasses.replace(FULL, legacy=True))
    assert result.status == "changed"
    assert "kept the author named in the file (Ross_Pushinaitis)" in result.reason
    assert "reservation only" in result.reason
    out = read_xmp(src)
    assert out is not None
    assert texts(out, "//@plus:DataMining") == [f.DMI]
    for path in ("//dc:creator", "//dc:rights", "//plus:Licensor", "//@xmpRights:Marked"):
        assert texts(out, path) == [], path
    assert b"Jane" not in src.read_bytes()  # not in EXIF or IPTC either (legacy mode)
    assert stamp(src, src, dataclasses.replace(FULL, legacy=True)).status == "unchanged"


@pytest.mark.parametrize(
    ("found", "other"),
    [
        (["Ross_Pushinaitis"], True),
        (["© 2024 Jane"], False),
        (["  jane  "], False),
        (["JANE", "Copyright 2024. All rights reserved."], False),
        (["Copyright 2024"], False),  # names nobody
        (["Jane Doe"], False),
        (["Léa Moreau"], True),
    ],
)
def test_different_author_tolerates_trivial_differences(found: list[str], other: bool) -> None:
    assert (authorship.other_author(found, ["Jane", "(c) Jane"]) is not None) is other


def test_author_in_each_container_is_read(tmp_path: Path) -> None:
    exif = f.exif_bytes(1, artist="Ross_Pushinaitis")
    pic = f.photo((16, 16))
    files = {
        "a.jpg": f.save(pic, "JPEG", exif=exif),
        "a.png": f.save(pic, "PNG", exif=exif),
        "a.webp": f.save(pic, "WEBP", exif=exif, lossless=True),
        "a.tif": f.save(pic, "TIFF", tiffinfo={0x013B: "Ross_Pushinaitis"}),
        "iptc.jpg": f.insert_segments(
            f.save(pic, "JPEG"), 0, f.jpeg_segment(0xED, iptc_byline("Ross_Pushinaitis"))
        ),
    }
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = stamp(path, path, FULL)
        assert "Ross_Pushinaitis" in result.reason, name
        out = read_xmp(path)
        assert out is not None and texts(out, "//dc:creator") == [], name


def iptc_byline(name: str) -> bytes:
    iim = b"\x1c\x02\x50" + len(name).to_bytes(2, "big") + name.encode()
    irb = b"8BIM\x04\x04\x00\x00" + len(iim).to_bytes(4, "big") + iim + b"\x00" * (len(iim) & 1)
    return b"Photoshop 3.0\x00" + irb


def test_xmp_creator_of_someone_else_kept() -> None:
    theirs = packet("<dc:creator><rdf:Seq><rdf:li>Ross</rdf:li></rdf:Seq></dc:creator>")
    out = xmp.merge(theirs, FULL, 0, None)
    assert texts(out, "//dc:creator//rdf:li/text()") == ["Ross"]
    assert texts(out, "//dc:rights | //plus:Licensor | //@xmpRights:WebStatement") == []
    # overwrite: the site says every image is its own.
    out = xmp.merge(theirs, dataclasses.replace(FULL, overwrite=True), 0, None)
    assert texts(out, "//dc:creator//rdf:li/text()") == ["Jane"]


# --- item 3: our own earlier values follow the configuration ----------------------------


def test_config_change_updates_what_we_wrote(tmp_path: Path) -> None:
    src = tmp_path / "a.jpg"
    src.write_bytes(nikon_jpeg())
    assert stamp(src, src, FULL).status == "changed"
    new = dataclasses.replace(
        FULL,
        copyright="(c) 2026 Jane",
        usage_terms="Ask first",
        contact=dataclasses.replace(FULL.contact, city="Porto"),  # type: ignore[arg-type]
    )
    assert stamp(src, src, new).status == "changed"
    out = read_xmp(src)
    assert out is not None
    assert texts(out, "//dc:rights//rdf:li/text()") == ["(c) 2026 Jane"]
    assert texts(out, "//xmpRights:UsageTerms//rdf:li/text()") == ["Ask first"]
    assert texts(out, "//Iptc4xmpCore:CiAdrCity/text()") == ["Porto"]
    assert stamp(src, src, new).status == "unchanged"


def test_value_a_person_edited_is_kept() -> None:
    first = xmp.merge(None, FULL, 0, None)
    edited = first.replace(b"(c) Jane", b"(c) Jane, agency edit").replace(b"Lisbon", b"Sintra")
    out = xmp.merge(edited, dataclasses.replace(FULL, copyright="(c) 2026 Jane"), 0, None)
    assert texts(out, "//dc:rights//rdf:li/text()") == ["(c) Jane, agency edit"]
    assert texts(out, "//Iptc4xmpCore:CiAdrCity/text()") == ["Sintra"]
    # The fields of the contact still ours follow the configuration.
    moved = dataclasses.replace(FULL.contact, postal_code="4000-001")  # type: ignore[arg-type]
    out = xmp.merge(edited, dataclasses.replace(FULL, contact=moved), 0, None)
    assert texts(out, "//Iptc4xmpCore:CiAdrPcode/text()") == ["4000-001"]
    assert texts(out, "//Iptc4xmpCore:CiAdrCity/text()") == ["Sintra"]


def test_renamed_holder_is_not_another_author(tmp_path: Path) -> None:
    src = tmp_path / "a.jpg"
    src.write_bytes(nikon_jpeg())
    legacy = dataclasses.replace(FULL, legacy=True)
    stamp(src, src, legacy)  # EXIF Artist and IPTC By-line now say "Jane"
    renamed = dataclasses.replace(legacy, creator="Marta Kowalski")
    result = stamp(src, src, renamed)
    assert "kept the author" not in result.reason
    out = read_xmp(src)
    assert out is not None
    assert texts(out, "//dc:creator//rdf:li/text()") == ["Marta Kowalski"]


# --- item 4: minimal packet --------------------------------------------------------------


def test_our_values_leave_when_the_configuration_drops_them() -> None:
    first = xmp.merge(None, FULL, 0, None)
    out = xmp.merge(first, dataclasses.replace(FULL, copyright=None, usage_terms=None), 0, None)
    assert texts(out, "//dc:rights | //xmpRights:UsageTerms") == []
    assert texts(out, "//dc:creator//rdf:li/text()") == ["Jane"]


def test_packet_is_minimal() -> None:
    for rights in (FULL, dataclasses.replace(FULL, contact=Contact(name="Jane"))):
        assert b"\n" not in xmp.merge(f.FOREIGN_XMP, rights, 0, None)  # theirs compacted too
        out = xmp.merge(None, rights, 0, None)
        assert b"\n" not in out and b"  " not in out  # no indentation, no padding
        root = xmp.parse(out)
        used = {etree.QName(el).namespace for el in root.iter()} | {
            etree.QName(a).namespace for el in root.iter() for a in el.attrib
        }
        declared = {ns for el in root.iter() for ns in el.nsmap.values()}
        assert declared <= used | {None}, declared - used
        for el in root.iter():
            assert len(el) or el.text or el.attrib, f"empty {el.tag}"
