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
