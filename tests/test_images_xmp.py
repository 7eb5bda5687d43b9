"""XMP merge semantics, determinism and hostile packets."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import imagefactory as f
import pytest
from lxml import etree
from PIL import PngImagePlugin
from support import BASE, HASH_SEEDS, outputs_across_processes

from optout_site.build.work import stamp_image as stamp
from optout_site.images import Contact, ImageError, ImageRights, read_xmp, xmp

NS = {
    "rdf": xmp.NS_RDF,
    "dc": xmp.NS_DC,
    "plus": xmp.NS_PLUS,
    "xmpRights": xmp.NS_RIGHTS,
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "crs": "http://ns.adobe.com/camera-raw-settings/1.0/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpCore": xmp.NS_IPTC,
}


def tree(packet: bytes) -> etree._Element:
    return xmp.parse(packet)


def texts(root: etree._Element, path: str) -> list[str]:
    return [str(v) for v in root.xpath(path, namespaces=NS)]


def rdf(inner: str) -> bytes:
    """A packet whose rdf:RDF holds ``inner``."""
    return (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{xmp.NS_RDF}">{inner}'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


def described(body: str, attrs: str = "") -> bytes:
    """A packet of one rdf:Description holding ``body``, with the namespaces of NS declared."""
    spaces = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NS.items() if prefix != "rdf")
    return rdf(f'<rdf:Description rdf:about="" {spaces} {attrs}>{body}</rdf:Description>')


def test_new_packet_has_every_property() -> None:
    rights = dataclasses.replace(
        BASE,
        other_constraints="See terms",
        contact=Contact(
            name="Jane",
            email="e@x",
            url="https://x",
            address="1 Road",
            city="Porto",
            postal_code="4000",
            country="PT",
            phone="+351",
        ),
    )
    root = tree(xmp.merge(None, rights, 100, None))
    d = "//rdf:Description/"
    assert texts(root, d + "@plus:DataMining") == [f.DMI]
    assert texts(root, d + "plus:OtherConstraints/rdf:Alt/rdf:li/text()") == ["See terms"]
    # The item readers show is the one tagged x-default, spelt as XMP and our reader spell it.
    assert texts(root, d + "plus:OtherConstraints/rdf:Alt/rdf:li/@xml:lang") == ["x-default"]
    assert texts(root, d + "@xmpRights:Marked") == ["True"]
    assert texts(root, d + "dc:creator/rdf:Seq/rdf:li/text()") == ["Jane"]
    assert texts(root, d + "dc:creator/rdf:Seq/rdf:li/@xml:lang") == []  # a Seq: no language
    assert texts(root, d + "@xmpRights:WebStatement") == ["https://j.example/terms"]
    assert texts(root, d + "xmpRights:UsageTerms/rdf:Alt/rdf:li/text()") == ["No AI training"]
    assert texts(root, d + "dc:rights/rdf:Alt/rdf:li[@xml:lang='x-default']/text()") == ["(c) Jane"]
    assert texts(root, d + "dc:creator/rdf:Seq/rdf:li/text()") == ["Jane"]
    info = d + "Iptc4xmpCore:CreatorContactInfo/Iptc4xmpCore:"
    for field, value in (
        ("CiEmailWork", "e@x"),
        ("CiUrlWork", "https://x"),
        ("CiAdrExtadr", "1 Road"),
        ("CiAdrCity", "Porto"),
        ("CiAdrPcode", "4000"),
        ("CiAdrCtry", "PT"),
        ("CiTelWork", "+351"),
    ):
        assert texts(root, info + field + "/text()") == [value]
    lic = d + "plus:Licensor/rdf:Seq/rdf:li/plus:"
    assert texts(root, lic + "LicensorName/text()") == ["Jane"]
    assert texts(root, lic + "LicensorEmail/text()") == ["e@x"]
    assert texts(root, lic + "LicensorURL/text()") == ["https://x"]


def test_packet_wrapper_and_padding() -> None:
    packet = xmp.merge(None, BASE, 2048, None)
    assert packet.startswith(b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>')
    # The prefixes every XMP example uses (some readers search for "<x:xmpmeta" as text) and
    # the toolkit that wrote the packet.
    assert packet.split(b"?>", 1)[1].startswith(
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="optout-site">'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    )
    # 2048 bytes of padding: lines of 99 spaces and a newline, then the rest in spaces.
    assert packet.endswith((b" " * 99 + b"\n") * 20 + b" " * 48 + b'<?xpacket end="w"?>')
    # UTF-8 as XMP asks, a value outside ASCII written as itself.
    assert "© 2025 Jané".encode() in xmp.merge(
        None, dataclasses.replace(BASE, copyright="© 2025 Jané"), 0, None
    )


def test_our_description_takes_the_files_about_and_our_prefixes() -> None:
    assert texts(tree(xmp.merge(None, BASE, 0, None)), "//rdf:Description/@rdf:about") == [""]
    about = described("<xmp:Label>x</xmp:Label>").replace(b'rdf:about=""', b'rdf:about="uuid:1"')
    root = tree(xmp.merge(about, BASE, 0, None))
    assert texts(root, "//rdf:Description/@rdf:about") == ["uuid:1", "uuid:1"]
    unmarked = dataclasses.replace(BASE, marked=False)
    bare = (  # a bare rdf:RDF, its description without rdf:about
        f'<rdf:RDF xmlns:rdf="{xmp.NS_RDF}"><rdf:Description xmlns:xmp="{NS["xmp"]}"'
        ' xmp:Rating="1"/></rdf:RDF>'
    ).encode()
    packet = xmp.merge(bare, unmarked, 0, None)
    assert b'<x:xmpmeta xmlns:x="adobe:ns:meta/"' in packet  # a bare rdf:RDF gets wrapped
    assert b'xmpRights:Marked="False"' in packet
    assert b"<dc:creator><rdf:Seq><rdf:li>Jane</rdf:li></rdf:Seq></dc:creator>" in packet
    assert texts(tree(packet), "//rdf:Description/@rdf:about") == [""]


def test_merge_passes_the_container_limit_on() -> None:
    bare = xmp.merge(None, BASE, 0, None)
    # 2048 bytes of padding asked for, room for 150: the 150 are given.
    assert len(xmp.merge(None, BASE, 2048, len(bare) + 150)) == len(bare) + 150
    assert xmp.merge(None, BASE, 2048, len(bare)) == bare  # no room: no padding, no error
    with pytest.raises(ImageError, match=f"is {len(bare)} bytes; .* at most {len(bare) - 1}"):
        xmp.merge(None, BASE, 0, len(bare) - 1)


def test_merge_keeps_foreign_properties_and_namespaces() -> None:
    merged = xmp.merge(f.FOREIGN_XMP, BASE, 0, None)
    root = tree(merged)
    assert texts(root, "//@xmp:CreatorTool") == ["Adobe Lightroom Classic 13.0"]
    assert texts(root, "//@crs:Exposure2012") == ["+0.35"]
    assert texts(root, "//@photoshop:Credit") == ["Foreign Credit"]
    assert texts(root, "//dc:subject/rdf:Bag/rdf:li/text()") == ["harbour", "boats"]
    assert b'x:xmptk="Adobe XMP Core 7.0-c000 79.1357c9e"' in merged
    # The file names another author: theirs is kept, with their Marked flag, and only
    # the reservation is added.
    assert texts(root, "//@xmpRights:Marked") == ["False"]
    assert texts(root, "//dc:rights//rdf:li/text()") == ["(c) Foreign Owner"]
    assert texts(root, "//dc:creator//rdf:li/text()") == ["Foreign Creator"]
    assert texts(root, "//@plus:DataMining") == [f.DMI]
    assert texts(root, "//@xmpRights:WebStatement | //xmpRights:UsageTerms") == []
    assert texts(root, "//Iptc4xmpCore:CreatorContactInfo | //plus:Licensor") == []
    abouts = texts(root, "//rdf:Description/@rdf:about")
    assert len(set(abouts)) == 1


def test_overwrite_replaces_rights_and_creator() -> None:
    root = tree(xmp.merge(f.FOREIGN_XMP, dataclasses.replace(BASE, overwrite=True), 0, None))
    assert texts(root, "//dc:rights//rdf:li/text()") == ["(c) Jane"]
    assert texts(root, "//dc:creator//rdf:li/text()") == ["Jane"]
    assert texts(root, "//dc:subject/rdf:Bag/rdf:li/text()") == ["harbour", "boats"]


def test_overwrite_without_values_keeps_file_values() -> None:
    rights = dataclasses.replace(BASE, overwrite=True, copyright=None, creator=None)
    root = tree(xmp.merge(f.FOREIGN_XMP, rights, 0, None))
    assert texts(root, "//dc:rights//rdf:li/text()") == ["(c) Foreign Owner"]


def test_a_setting_taken_out_of_the_config_takes_our_value_out() -> None:
    before = xmp.merge(None, BASE, 0, None)
    fewer = dataclasses.replace(BASE, web_statement=None, creator=None)
    after = tree(xmp.merge(before, fewer, 0, None))
    assert texts(after, "//@xmpRights:WebStatement | //xmpRights:WebStatement") == []
    assert texts(after, "//dc:creator | //@dc:creator") == []  # gone, not left empty
    assert texts(after, "//xmpRights:UsageTerms/rdf:Alt/rdf:li/text()") == ["No AI training"]


def test_a_record_from_an_earlier_build_is_read_as_ours() -> None:
    # optout:Owned as builds write it: the first 8 hex digits of SHA-256 ("Jane": 4f23798d).
    # Images keep it for years, so the format may not drift: a renamed creator is updated.
    earlier = described(
        "<dc:creator><rdf:Seq><rdf:li>Jane</rdf:li></rdf:Seq></dc:creator>",
        'xmlns:optout="urn:optout-site:xmp:1/" optout:Owned="c=4f23798d"',
    )
    root = tree(xmp.merge(earlier, dataclasses.replace(BASE, creator="Jane Doe"), 0, None))
    assert texts(root, "//dc:creator/rdf:Seq/rdf:li/text()") == ["Jane Doe"]


OWNED = 'xmlns:optout="urn:optout-site:xmp:1/" optout:Owned="{}"'


def test_our_values_in_another_form_are_still_ours_and_follow_the_config() -> None:
    # WebStatement as rdf:resource, the rights' x-default item after another language: a
    # tool rewrote our values; they are read as ours, recorded, and updated on a change.
    found = described(
        '<xmpRights:WebStatement rdf:resource="https://j.example/terms"/><dc:rights><rdf:Alt>'
        '<rdf:li xml:lang="de">Rechte</rdf:li><rdf:li xml:lang="x-default">(c) Jane</rdf:li>'
        "</rdf:Alt></dc:rights>"
    )
    first = xmp.merge(found, BASE, 0, None)
    changed = dataclasses.replace(BASE, web_statement="https://j.example/new", copyright="(c) J")
    root = tree(xmp.merge(first, changed, 0, None))
    statement = "//@xmpRights:WebStatement | //xmpRights:WebStatement/@rdf:resource"
    assert texts(root, statement) == ["https://j.example/new"]
    assert texts(root, "//dc:rights/rdf:Alt/rdf:li/text()") == ["Rechte", "(c) J"]


def said(found: list[bytes], rights: ImageRights) -> tuple[str, bool]:
    """stamp_packet's note and whether it kept the file's author."""
    _packet, note, kept = xmp.stamp_packet(found, rights, (), 0, None)
    return note, kept


def test_creators_read_item_by_item() -> None:
    def creators(*items: str) -> bytes:
        return described(f"<dc:creator><rdf:Seq>{''.join(items)}</rdf:Seq></dc:creator>")

    # An empty Seq names nobody: ours goes in. An empty item is nobody else.
    root = tree(xmp.merge(creators(), BASE, 0, None))
    assert texts(root, "//dc:creator/rdf:Seq/rdf:li/text()") == ["Jane"]
    assert said([creators("<rdf:li/>", "<rdf:li>Jane</rdf:li>")], BASE) == ("", False)
    # Each item is a name of its own; the note names the other author.
    two = creators("<rdf:li>Jane</rdf:li>", "<rdf:li>Ross</rdf:li>")
    assert said([two], BASE) == (
        "kept the author named in the file (Ross); wrote the reservation only",
        True,
    )
    overwrite = dataclasses.replace(BASE, overwrite=True)
    assert said([two], overwrite) == (
        "replaced the author named in the file (Ross) (images.overwrite)",
        False,
    )
    # Our own name already in the file is no other author.
    lea = dataclasses.replace(BASE, creator="Léa Moreau", copyright="(c) Léa Moreau")
    assert said([creators("<rdf:li>Léa Moreau</rdf:li>")], lea) == ("", False)


def test_our_earlier_name_outside_xmp_is_no_other_author_after_a_rename() -> None:
    # EXIF still names Jane, whom the record shows we wrote; the site is now Léa's.
    lea = dataclasses.replace(BASE, creator="Léa Moreau", copyright="(c) Léa Moreau")
    by_creator = described(
        "<dc:creator><rdf:Seq><rdf:li>Jane</rdf:li></rdf:Seq></dc:creator>",
        OWNED.format("c=4f23798d"),
    )
    out, note, kept = xmp.stamp_packet([by_creator], lea, ("Jane",), 0, None)
    assert (note, kept) == ("", False)
    assert texts(tree(out), "//dc:creator/rdf:Seq/rdf:li/text()") == ["Léa Moreau"]
    by_rights = described(
        '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">(c) Jane</rdf:li></rdf:Alt></dc:rights>',
        OWNED.format("r=61a65acf"),
    )
    out, note, kept = xmp.stamp_packet([by_rights], lea, ("(c) Jane",), 0, None)
    assert (note, kept) == ("", False)
    assert texts(tree(out), "//dc:rights/rdf:Alt/rdf:li/text()") == ["(c) Léa Moreau"]
    # A new packet: nothing to say.
    assert said([], BASE) == ("", False)


def test_language_alternatives_keep_one_default_first() -> None:
    def rights(alt: str) -> bytes:
        return described(f"<dc:rights><rdf:Alt>{alt}</rdf:Alt></dc:rights>")

    ours = dataclasses.replace(BASE, overwrite=True)
    items = "//dc:rights/rdf:Alt/rdf:li"
    # A lone untagged item is the default readers show: someone else's, it is kept...
    kept = tree(xmp.merge(rights("<rdf:li>old</rdf:li>"), BASE, 0, None))
    assert texts(kept, f"{items}/text()") == ["old"]
    # ... and with overwrite it is replaced, not joined.
    root = tree(xmp.merge(rights("<rdf:li>old</rdf:li>"), ours, 0, None))
    assert texts(root, f"{items}/text()") == ["(c) Jane"]
    assert texts(root, f"{items}/@xml:lang") == ["x-default"]
    # Only other languages: ours is added as the default, first (XMP part 1), theirs kept.
    root = tree(xmp.merge(rights("<rdf:li xml:lang='de'>Rechte</rdf:li>"), ours, 0, None))
    assert texts(root, f"{items}/@xml:lang") == ["x-default", "de"]
    assert texts(root, f"{items}/text()") == ["(c) Jane", "Rechte"]


def test_a_foreign_empty_property_stays_empty() -> None:
    empty = described("<xmpRights:WebStatement/>")
    root = tree(xmp.merge(empty, dataclasses.replace(BASE, web_statement=None), 0, None))
    assert texts(root, "//@xmpRights:WebStatement") == [""]


def test_a_property_in_the_wrong_form_is_rewritten_in_the_right_one() -> None:
    # dc:rights is a language alternative, dc:creator a Seq, WebStatement a URI (XMP part 2).
    wrong = described(
        "<dc:rights>old</dc:rights>"
        "<dc:creator><rdf:Bag><rdf:li>Jane Doe</rdf:li></rdf:Bag></dc:creator>"
        "<xmpRights:WebStatement><rdf:Bag><rdf:li>https://old.example/</rdf:li></rdf:Bag>"
        "</xmpRights:WebStatement>"
    )
    root = tree(xmp.merge(wrong, dataclasses.replace(BASE, overwrite=True), 0, None))
    assert texts(root, "//dc:rights/text() | //dc:rights/*[not(self::rdf:Alt)]") == []
    assert texts(root, "//dc:rights/rdf:Alt/rdf:li[@xml:lang='x-default']/text()") == ["(c) Jane"]
    assert texts(root, "//dc:creator/*[not(self::rdf:Seq)]") == []
    assert texts(root, "//dc:creator/rdf:Seq/rdf:li/text()") == ["Jane"]
    assert texts(root, "//@xmpRights:WebStatement") == ["https://j.example/terms"]
    assert texts(root, "//xmpRights:WebStatement") == []


def test_stale_other_constraints_removed_and_data_mining_replaced() -> None:
    first = xmp.merge(
        None,
        dataclasses.replace(BASE, data_mining=xmp.NS_PLUS + "x", other_constraints="old words"),
        0,
        None,
    )
    root = tree(xmp.merge(first, BASE, 0, None))
    assert texts(root, "//plus:OtherConstraints") == []
    assert texts(root, "//@plus:DataMining") == [f.DMI]
    assert len(root.xpath("//rdf:Description", namespaces=NS)) == 1


def test_contact_none_removes_our_earlier_contact() -> None:
    first = xmp.merge(None, BASE, 0, None)
    root = tree(xmp.merge(first, dataclasses.replace(BASE, contact=None), 0, None))
    assert texts(root, "//plus:Licensor | //Iptc4xmpCore:CreatorContactInfo") == []
    assert texts(root, "//dc:creator//rdf:li/text()") == ["Jane"]


def test_deterministic_and_fixed_point() -> None:
    for existing in (None, f.FOREIGN_XMP, f.extended_xmp()[0]):
        once = xmp.merge(existing, BASE, 300, None)
        assert once == xmp.merge(existing, BASE, 300, None)
        assert xmp.merge(once, BASE, 300, None) == once


@pytest.mark.slow  # three fresh interpreters
def test_merge_is_the_same_in_every_process() -> None:
    code = (
        "import pickle, sys; import imagefactory as f; from support import BASE;"
        " from optout_site.images import xmp;"
        "sys.stdout.buffer.write(pickle.dumps([xmp.merge(e, BASE, 300, None)"
        " for e in (None, f.FOREIGN_XMP, f.extended_xmp()[0])]))"
    )
    want = [xmp.merge(e, BASE, 300, None) for e in (None, f.FOREIGN_XMP, f.extended_xmp()[0])]
    assert [pickle.loads(o) for o in outputs_across_processes(code)] == [want] * len(HASH_SEEDS)


def test_bare_rdf_root_nul_padding_and_utf16_are_accepted() -> None:
    bare = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description'
        b' rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="3"/></rdf:RDF>'
    )
    root = tree(xmp.merge(bare + b"\x00" * 64, BASE, 0, None))
    assert texts(root, "//@xmp:Rating") == ["3"]
    text = f.FOREIGN_XMP.decode().replace("\ufeff", "")
    for utf16 in (text.encode("utf-16"), text.encode("utf-16-le"), text.encode("utf-16-be")):
        assert texts(tree(xmp.merge(utf16, BASE, 0, None)), "//@crs:Version") == ["16.0"]


def test_summary_reads_every_data_mining_form() -> None:
    for body in (
        f"<plus:DataMining>{f.DMI}</plus:DataMining>",
        f'<plus:DataMining rdf:resource="{f.DMI}"/>',
    ):
        assert xmp.summary(described(body))["data_mining"] == [f.DMI]
    attr = described("", f'plus:DataMining="{f.DMI}"')
    assert xmp.summary(attr)["data_mining"] == [f.DMI]


def test_summary_names_each_value_and_reads_only_top_level_descriptions() -> None:
    rights = dataclasses.replace(BASE, other_constraints="See terms")
    assert xmp.summary(xmp.merge(None, rights, 0, None)) == {
        "data_mining": [f.DMI],
        "other_constraints": ["See terms"],
        "copyright": ["(c) Jane"],
        "creator": ["Jane"],
        "marked": ["True"],
        "web_statement": ["https://j.example/terms"],
        "usage_terms": ["No AI training"],
    }
    # A typed node beside the description is no description of the resource: merge
    # leaves it alone, and summary does not read it either.
    typed = rdf(
        f'<plus:Other xmlns:plus="{xmp.NS_PLUS}" plus:DataMining="{f.DMI}"/>'
        f'<rdf:Description rdf:about="" xmlns:xmp="{NS["xmp"]}" xmp:Rating="1"/>'
    )
    assert xmp.summary(typed) == {}
    merged = tree(xmp.merge(typed, BASE, 0, None))
    assert texts(merged, "//plus:Other/@plus:DataMining") == [f.DMI]
    assert texts(merged, "//rdf:Description/@plus:DataMining") == [f.DMI]


def test_summary_gives_an_empty_value_as_empty() -> None:
    # An empty DataMining or creator is shown to `check` as it is, not made up.
    packet = described(
        "<plus:DataMining/><dc:creator><rdf:Seq><rdf:li/><rdf:li>Jane</rdf:li></rdf:Seq>"
        "</dc:creator>"
    )
    assert xmp.summary(packet) == {"data_mining": [""], "creator": ["", "Jane"]}


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (b"<x:xmpmeta", "existing XMP packet is not well-formed XML: "),
        (b"not xml at all", "existing XMP packet is not well-formed XML: "),
        (b"<foo/>", "existing XMP packet has no rdf:RDF (root element 'foo')"),
        (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>', "existing XMP packet has no rdf:RDF"),
        # Bytes no encoding can read are a broken packet too, never a crash.
        (b"<x:xmpmeta>\xff</x:xmpmeta>", "existing XMP packet is not well-formed XML: "),
        (b"\xff\xfe" + "<x:xmpmeta/>".encode("utf-16-le") + b"\x00", "not well-formed"),
        ("<x:xmpmeta/>".encode("utf-16-le") + b"\x00", "not well-formed"),
        ("<x:xmpmeta/>".encode("utf-16-be") + b"<", "not well-formed"),
    ],
)
def test_malformed_packets_raise(bad: bytes, says: str) -> None:
    with pytest.raises(ImageError) as raised:
        xmp.merge(bad, BASE, 0, None)
    assert str(raised.value).startswith(says) or says in str(raised.value)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_a_doctype_is_refused_before_parsing_in_every_encoding(encoding: str, bom: str) -> None:
    packet = (bom + EXTERNAL.decode()).encode(encoding)
    refused = "XMP packet declares a DOCTYPE/ENTITY; refused (never expanded)"
    with pytest.raises(ImageError) as raised:
        xmp.merge(packet, BASE, 0, None)
    assert str(raised.value) == refused


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:format>&lol3;</dc:format>
</rdf:Description></rdf:RDF></x:xmpmeta>"""
EXTERNAL = b"""<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:format>&xxe;</dc:format>
</rdf:Description></rdf:RDF></x:xmpmeta>"""
HOSTILE = {
    "laughs": LAUGHS,
    "external": EXTERNAL,
    "utf16": EXTERNAL.decode().encode("utf-16"),
    "lowercase": EXTERNAL.replace(b"DOCTYPE", b"doctype"),
    "entity_only": b'<!ENTITY a "b">' + f.FOREIGN_XMP,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_doctype_and_entities_refused(name: str) -> None:
    with pytest.raises(ImageError, match="DOCTYPE|ENTITY|well-formed"):
        xmp.merge(HOSTILE[name], BASE, 0, None)


@pytest.mark.parametrize("name", ["laughs", "external"])
def test_hostile_xmp_in_image_never_expanded_or_written(name: str, tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", HOSTILE[name].decode())
    src = tmp_path / "in.png"
    src.write_bytes(f.save(f.noise("RGB", (4, 4)), "PNG", pnginfo=info))
    before = src.read_bytes()
    with pytest.raises(ImageError, match="DOCTYPE"):
        stamp(src, tmp_path / "out.png", BASE)
    assert not (tmp_path / "out.png").exists() and src.read_bytes() == before
    assert b"root:" not in read_xmp(src)  # the raw packet, never expanded


def test_jpeg_padding_shrinks_then_refuses(tmp_path: Path) -> None:
    def foreign(n: int) -> bytes:
        items = "".join(f"<rdf:li>keyword{i:05d}</rdf:li>" for i in range(n))
        return f.FOREIGN_XMP.replace(b"<rdf:li>harbour</rdf:li>", items.encode())

    pic = f.photo((16, 16))
    rights = dataclasses.replace(BASE, overwrite=True, padding=True)  # every field is added
    near = tmp_path / "near.jpg"
    near.write_bytes(f.save(pic, "JPEG", xmp=foreign(2170)))  # merged ~64.8 KB: less padding
    assert stamp(near, tmp_path / "near_out.jpg", rights).status == "changed"
    packet = read_xmp(tmp_path / "near_out.jpg")
    assert 65_000 < len(packet) <= 65504 and packet.endswith(b'<?xpacket end="w"?>')
    over = tmp_path / "over.jpg"
    over.write_bytes(f.save(pic, "JPEG", xmp=foreign(2210)))  # merged packet > one segment
    with pytest.raises(ImageError, match="at most 65504"):
        stamp(over, tmp_path / "over_out.jpg", rights)
    assert not (tmp_path / "over_out.jpg").exists()


def test_rights_reject_text_xml_cannot_carry() -> None:
    with pytest.raises(ValueError, match="not allowed in XML"):
        dataclasses.replace(BASE, copyright="bad \x01 char")
    with pytest.raises(ValueError, match="not allowed in XML"):
        Contact(name="x\x00")


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-le", "utf-32-be"])
def test_a_utf32_packet_declaring_a_doctype_is_refused_after_parsing(encoding: str) -> None:
    # The text scan reads UTF-8 and UTF-16 only; libxml2 reads UTF-32 and reports the
    # DOCTYPE, which is refused there (lxml neither loads nor expands it).
    packet = ('<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE x>' + rdf("").decode()).encode(
        encoding
    )
    with pytest.raises(ImageError) as raised:
        xmp.merge(packet, BASE, 0, None)
    assert str(raised.value) == "XMP packet declares a DOCTYPE; refused"


def test_a_packet_nested_past_libxml2s_depth_limit_is_refused() -> None:
    # 300 levels: over libxml2's 256, which huge_tree would lift to 2048.
    packet = rdf("<a>" * 300 + "</a>" * 300)
    with pytest.raises(ImageError) as raised:
        xmp.merge(packet, BASE, 0, None)
    assert str(raised.value).startswith(
        "existing XMP packet is not well-formed XML: Excessive depth in document: 256"
    )


def test_a_build_that_owns_no_field_leaves_no_record_of_an_earlier_one() -> None:
    before = xmp.merge(None, BASE, 0, None)
    assert b"optout:Owned=" in before
    bare = dataclasses.replace(
        BASE, web_statement=None, usage_terms=None, copyright=None, creator=None, contact=None
    )
    assert b"Owned" not in xmp.merge(before, bare, 0, None)
    # A file whose author is now someone else: we write the reservation only, and own nothing.
    packet, _note, kept_author = xmp.stamp_packet([before], BASE, ["Someone Else"], 0, None)
    assert kept_author
    assert b"Owned" not in packet


def test_our_description_takes_the_about_of_a_description_that_stays() -> None:
    # Two rdf:about values (XMP wants one): the first description holds only a field we
    # take, so it is emptied and dropped; ours takes the about of the one that stays.
    packet = rdf(
        f'<rdf:Description rdf:about="urn:a" xmlns:plus="{xmp.NS_PLUS}" plus:DataMining="x"/>'
        f'<rdf:Description rdf:about="urn:b" xmlns:crs="{NS["crs"]}" crs:Exposure="1"/>'
    )
    root = tree(xmp.merge(packet, BASE, 0, None))
    assert texts(root, "//rdf:Description/@rdf:about") == ["urn:b", "urn:b"]
