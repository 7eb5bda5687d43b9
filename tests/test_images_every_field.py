"""Every field the image writer promises, read back by exiftool (-j -n -struct), per format.

The values are written here by hand; a writer that drops the contact, the licensor, the
constraint text or the web statement fails this test, whatever else it still writes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import imagefactory as f
import pytest

from optout_site.build.work import stamp_image
from optout_site.images import Contact, ImageRights

pytestmark = pytest.mark.slow  # one exiftool run over five formats

EXIFTOOL = shutil.which("exiftool")
SEE = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-SEECONSTRAINT"
RIGHTS = ImageRights(
    data_mining=SEE,
    other_constraints="Reserved: use as input to AI systems. Allowed: training.",
    web_statement="https://jane.example/ai-reservation/",
    usage_terms="No AI input without a licence.",
    copyright="\u00a9 2025 Jane Doe",
    creator="Jane Doe",
    contact=Contact(
        name="Jane Doe",
        email="jane@jane.example",
        url="https://jane.example/",
        address="1 Rua Nova",
        city="Lisbon",
        postal_code="1100-001",
        country="Portugal",
        phone="+351 21 000 0000",
    ),
)
ONE_PER_FORMAT = ["gray.jpg", "rgba.png", "lossless.webp", "ii_raw.tif", "static87a.gif"]


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
def test_every_field_we_write_is_read_back(tmp_path: Path) -> None:
    catalogue = f.catalogue()
    names = [n for n in ONE_PER_FORMAT if n in catalogue]
    assert len(names) == len(ONE_PER_FORMAT), sorted(catalogue)
    files = []
    for name in names:
        path = tmp_path / name
        path.write_bytes(catalogue[name])
        assert stamp_image(path, path, RIGHTS).status == "changed"
        files.append(str(path))
    out = subprocess.run(
        [EXIFTOOL, "-j", "-n", "-struct", "-XMP:all", *files], capture_output=True, check=True
    )
    for name, record in zip(names, json.loads(out.stdout), strict=True):
        assert record["DataMining"] == SEE, name
        assert record["OtherConstraints"] == RIGHTS.other_constraints, name
        assert record["WebStatement"] == RIGHTS.web_statement, name
        assert record["UsageTerms"] == RIGHTS.usage_terms, name
        assert record["Marked"] in (True, "True", 1), name
        assert record["Rights"] == RIGHTS.copyright, name
        assert record["Creator"] in ("Jane Doe", ["Jane Doe"]), name
        contact = record["CreatorContactInfo"]
        assert contact == {
            "CiAdrExtadr": "1 Rua Nova",
            "CiAdrCity": "Lisbon",
            "CiAdrPcode": "1100-001",
            "CiAdrCtry": "Portugal",
            "CiTelWork": "+351 21 000 0000",
            "CiEmailWork": "jane@jane.example",
            "CiUrlWork": "https://jane.example/",
        }, name
        licensor = record["Licensor"]
        licensor = licensor[0] if isinstance(licensor, list) else licensor
        assert {k: licensor.get(k) for k in ("LicensorName", "LicensorEmail", "LicensorURL")} == {
            "LicensorName": "Jane Doe",
            "LicensorEmail": "jane@jane.example",
            "LicensorURL": "https://jane.example/",
        }, name


def test_no_padding_by_default_and_padding_on_request(tmp_path: Path) -> None:
    """A web image needs no room for in-place edits; a 292-byte favicon grew to 2,787."""
    import dataclasses

    from optout_site.images import read_xmp

    data = f.catalogue()["gray.jpg"]
    plain, padded = tmp_path / "plain.jpg", tmp_path / "padded.jpg"
    plain.write_bytes(data)
    padded.write_bytes(data)
    stamp_image(plain, plain, RIGHTS)
    stamp_image(padded, padded, dataclasses.replace(RIGHTS, padding=True))
    packet, padded_packet = read_xmp(plain), read_xmp(padded)
    assert packet is not None and padded_packet is not None
    assert b" " * 100 not in packet  # no run of padding spaces
    assert len(padded_packet) - len(packet) >= 1500  # JPEG pads ~2 KB when asked
    assert stamp_image(plain, plain, RIGHTS).status == "unchanged"


AGENCY_FIRST = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""
 xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
 xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
<xmp:Label>first</xmp:Label><xmp:Rating>3</xmp:Rating>
<Iptc4xmpCore:CreatorContactInfo rdf:parseType="Resource">
<Iptc4xmpCore:CiAdrRegion>Lisboa</Iptc4xmpCore:CiAdrRegion></Iptc4xmpCore:CreatorContactInfo>
<plus:Licensor><rdf:Seq><rdf:li rdf:parseType="Resource"><plus:LicensorID>AG-7</plus:LicensorID>
</rdf:li></rdf:Seq></plus:Licensor></rdf:Description></rdf:RDF></x:xmpmeta>"""
AGENCY_SECOND = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""
 xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Label="second" xmp:Nickname="n2"/>
</rdf:RDF></x:xmpmeta>"""


def _exiftool(*paths: Path) -> list[dict[str, object]]:
    assert EXIFTOOL is not None
    out = subprocess.run(
        [EXIFTOOL, "-j", "-n", "-struct", "-XMP:all", "-EXIF:Artist", *map(str, paths)],
        capture_output=True,
        check=True,
    )
    records: list[dict[str, object]] = json.loads(out.stdout)
    return records


def _pixels(path: Path) -> bytes:
    from PIL import Image

    with Image.open(path) as im:
        return im.tobytes()


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
def test_two_packets_and_agency_fields_read_back(tmp_path: Path) -> None:
    """Issue 20 item 7: both packets' properties, the agency's sub-fields and every field we
    write, in one packet, as exiftool and exiv2 read them; pixels untouched."""
    pic = f.photo((32, 24))
    data = f.insert_segments(
        f.save(pic, "JPEG"),
        0,
        f.jpeg_segment(0xE1, f.XMP_SIG + AGENCY_FIRST),
        f.jpeg_segment(0xE1, f.XMP_SIG + AGENCY_SECOND),
    )
    src = tmp_path / "two.jpg"
    src.write_bytes(data)
    (before,) = _exiftool(src)
    pixels = _pixels(src)
    assert stamp_image(src, src, RIGHTS).status == "changed"
    assert src.read_bytes().count(f.XMP_SIG) == 1
    assert _pixels(src) == pixels
    (record,) = _exiftool(src)
    for key in ("Label", "Rating", "Nickname"):  # exiftool read the later Label before too
        assert record[key] == before[key], key
    assert record["DataMining"] == SEE and record["Rights"] == RIGHTS.copyright
    contact = record["CreatorContactInfo"]
    assert isinstance(contact, dict) and contact["CiAdrRegion"] == "Lisboa"
    assert contact["CiAdrCity"] == "Lisbon" and contact["CiTelWork"] == "+351 21 000 0000"
    licensor = record["Licensor"]
    licensor = licensor[0] if isinstance(licensor, list) else licensor
    assert isinstance(licensor, dict) and licensor["LicensorID"] == "AG-7"
    assert licensor["LicensorName"] == "Jane Doe"
    exiv2 = shutil.which("exiv2")
    if exiv2 is not None:
        out = subprocess.run([exiv2, "-px", str(src)], capture_output=True, text=True, check=True)
        assert "LicensorID" in out.stdout and "AG-7" in out.stdout
        assert "CiAdrRegion" in out.stdout and "Lisboa" in out.stdout
        assert "Xmp.xmp.Nickname" in out.stdout and SEE in out.stdout


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
def test_someone_elses_photo_read_back(tmp_path: Path) -> None:
    """Issue 13 item 4: the reservation only, the photographer's EXIF name untouched."""
    import dataclasses

    src = tmp_path / "DSC_0001.jpg"
    exif = f.exif_bytes(1, artist="Ross_Pushinaitis", copyright="Ross_Pushinaitis")
    src.write_bytes(f.save(f.photo((32, 24)), "JPEG", exif=exif))
    pixels = _pixels(src)
    result = stamp_image(src, src, dataclasses.replace(RIGHTS, legacy=True))
    assert "Ross_Pushinaitis" in result.reason and _pixels(src) == pixels
    (record,) = _exiftool(src)
    assert record["DataMining"] == SEE and record["OtherConstraints"] == RIGHTS.other_constraints
    assert record["Artist"] == "Ross_Pushinaitis"
    for key in ("Creator", "Rights", "Licensor", "CreatorContactInfo", "WebStatement"):
        assert key not in record, key


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
def test_copyright_edit_reaches_stamped_images(tmp_path: Path) -> None:
    """Issue 13 item 5: a new copyright line replaces the one we wrote, not a person's edit."""
    import dataclasses

    mine, edited = tmp_path / "mine.png", tmp_path / "edited.png"
    for path in (mine, edited):
        path.write_bytes(f.catalogue()["rgba.png"])
        stamp_image(path, path, RIGHTS)
    subprocess.run(
        [EXIFTOOL, "-q", "-overwrite_original", "-XMP-dc:Rights=(c) Agency", str(edited)],
        check=True,
    )
    new = dataclasses.replace(RIGHTS, copyright="\u00a9 2026 Jane Doe")
    assert stamp_image(mine, mine, new).status == "changed"
    stamp_image(edited, edited, new)
    first, second = _exiftool(mine, edited)
    assert first["Rights"] == "\u00a9 2026 Jane Doe"
    assert second["Rights"] == "(c) Agency"
    assert stamp_image(mine, mine, new).status == "unchanged"
