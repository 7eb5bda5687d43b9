"""``check`` reads each image's Content Credentials (issue 17 item 5): a manifest that no
longer validates, or whose training-mining assertion contradicts the policy, is an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_c2pa import SITE, _build, _camera_image, _jpeg, _site

from optout_site import config
from optout_site.c2pa import certs
from optout_site.check import check_built_site
from optout_site.check.model import C2PA


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> certs.TestCertificate:
    return certs.make(tmp_path_factory.mktemp("ca"), "Jane Doe")


def _findings(cfg: Path) -> dict[str, str]:
    report = check_built_site(config.load(cfg).sites[0])
    return {f.path: f.message for f in report.findings if f.signal == C2PA}


def test_signed_site_checks_clean(tmp_path: Path, ca: certs.TestCertificate):
    cfg = _site(tmp_path, ca, **{"a.jpg": _jpeg(), "press__b.jpg": _jpeg()})
    _build(cfg)
    report = check_built_site(config.load(cfg).sites[0])
    assert report.checked[C2PA] == 2
    assert not [f for f in report.findings if f.signal == C2PA]


def test_tampered_image_no_longer_validates(tmp_path: Path, ca: certs.TestCertificate):
    cfg = _site(tmp_path, ca, **{"a.jpg": _jpeg()})
    _build(cfg)
    image = tmp_path / "build/a.jpg"
    data = bytearray(image.read_bytes())
    data[-40] ^= 0x01  # one bit of the compressed pixels, outside every metadata segment
    image.write_bytes(bytes(data))
    assert "no longer validates (assertion.dataHash.mismatch)" in _findings(cfg)["/a.jpg"]


def test_assertion_contradicting_the_policy(tmp_path: Path, ca: certs.TestCertificate):
    cfg = _site(tmp_path, ca, **{"a.jpg": _jpeg()})
    _build(cfg)
    # The policy changes but the site is not rebuilt: the signed statement is now wrong.
    cfg.write_text(cfg.read_text().replace("reserve: [tdm, train, ai-input]", "reserve: [train]"))
    message = _findings(cfg)["/a.jpg"]
    assert "c2pa.ai_inference is notAllowed, the policy says allowed" in message
    assert "cawg.data_mining is notAllowed, the policy says constrained" in message


def test_missing_manifest_when_signing_is_configured(tmp_path: Path, ca: certs.TestCertificate):
    cfg = _site(tmp_path, ca, **{"a.jpg": _jpeg()})
    unsigned = cfg.read_text().replace(f"    c2pa: {{cert: {ca.chain}, key: {ca.key}}}\n", "")
    assert "c2pa" not in unsigned
    cfg.write_text(unsigned)
    _build(cfg)
    assert _findings(cfg) == {}  # without c2pa:, a plain image is fine
    cfg.write_text(SITE.format(cert=ca.chain, key=ca.key))
    assert _findings(cfg)["/a.jpg"] == "the image has no C2PA manifest"


def test_foreign_manifest_without_assertion_is_not_a_contradiction(
    tmp_path: Path, ca: certs.TestCertificate
):
    cfg = _site(tmp_path, ca, **{"cam.jpg": _camera_image(tmp_path)})
    cfg.write_text(cfg.read_text().replace(f"    c2pa: {{cert: {ca.chain}, key: {ca.key}}}\n", ""))
    _build(cfg)  # XMP not written: the camera's manifest is left valid
    assert _findings(cfg) == {}
