"""Content Credentials (issue 17): every stamped image gets a signed manifest saying what
the policy says, read back by independent readers (c2pa-python's Reader, Spawning's
datadiligence, Pillow, exiftool). c2patool and c2pa-node are not installable from PyPI or
npm (c2patool is a Rust binary), so they are not used here."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import c2pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from imagefactory import photo, save
from PIL import Image

from optout_site import config, dialects
from optout_site.build import pipeline
from optout_site.c2pa import certs, reading
from optout_site.errors import ConfigError
from optout_site.policy import Decision, Use, apply

SITE = """
sites:
  - name: jane
    url: https://jane.example
    input: public
    output: build
    rightsholder: {{name: Jane Doe}}
    reserve: [tdm, train, ai-input]
    allow: [search]
    rules:
      - path: /press/
        allow: [tdm, train, ai-input]
      - path: /stock/
        reserve: [genai-train]
        allow: [tdm, train, ai-input]
    c2pa: {{cert: {cert}, key: {key}}}
"""
FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP", "tif": "TIFF", "gif": "GIF"}


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> certs.TestCertificate:
    return certs.make(tmp_path_factory.mktemp("ca"), "Jane Doe")


def _site(root: Path, ca: certs.TestCertificate, **files: bytes) -> Path:
    for rel, data in files.items():
        path = root / "public" / rel.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "public").mkdir(exist_ok=True)
    cfg = root / "sites.yaml"
    cfg.write_text(SITE.format(cert=ca.chain, key=ca.key), encoding="utf-8")
    return cfg


def _build(cfg: Path) -> pipeline.BuildReport:
    report = pipeline.build(cfg, jobs=1, state_dir=cfg.parent / "state")
    assert report.ok, report.render()
    return report


def _entries(path: Path, label: str = "c2pa.training-mining") -> dict[str, str]:
    found = reading.read(path)
    data = found.training_mining[label]["entries"]
    return {k: v["use"] for k, v in data.items()}


def _store(path: Path) -> dict:
    with path.open("rb") as stream, c2pa.Reader(path.suffix[1:], stream) as reader:
        return json.loads(reader.json())


def _jpeg() -> bytes:
    return save(photo((48, 32)), "JPEG", quality=90)


# --- the projection: one decision → the training-mining entries --------------------------

_uses = st.frozensets(st.sampled_from(list(Use)))


@given(_uses, _uses)
def test_entries_never_allow_what_is_reserved(reserve: frozenset[Use], allow: frozenset[Use]):
    try:
        reserved = apply(frozenset(), reserve - allow, allow - reserve)
    except Exception:
        return
    values = dialects.training_mining(Decision(reserved))
    for entry, use, narrower in dialects.TRAINING_MINING:
        assert (values[entry] == "notAllowed") == (use in reserved)
        # "allowed" only where neither the use nor anything it contains is reserved
        assert (values[entry] == "allowed") == (not ({use} | narrower) & reserved)


def test_entries_decision_table():
    everything = dialects.training_mining(Decision(frozenset(Use)))
    assert set(everything.values()) == {"notAllowed"}
    only_genai = dialects.training_mining(Decision(frozenset({Use.GENAI_TRAIN})))
    assert only_genai == {
        "data_mining": "constrained",
        "ai_inference": "allowed",
        "ai_generative_training": "notAllowed",
        "ai_training": "constrained",
    }


# --- item 1: a manifest with both labels in every stamped format --------------------------


@pytest.mark.slow
def test_every_format_signed_with_the_policy(tmp_path: Path, ca: certs.TestCertificate):
    images = {f"img.{ext}": save(photo((40, 30)), fmt) for ext, fmt in FORMATS.items()}
    avif = tmp_path / "x.avif"
    photo((40, 30)).save(avif)
    images["img.avif"] = avif.read_bytes()
    images["press__free.jpg"] = _jpeg()
    images["stock__shot.jpg"] = _jpeg()
    cfg = _site(tmp_path, ca, **images)
    _build(cfg)
    out = tmp_path / "build"
    for name in images:
        path = out / name.replace("__", "/")
        found = reading.read(path)
        assert found.present and found.validates and found.ours, (name, found)
        assert found.state == "Valid"  # the test CA is not on the C2PA trust list
    reserved = {f"c2pa.{e}": "notAllowed" for e, *_ in dialects.TRAINING_MINING}
    for ext in [*FORMATS, "avif"]:
        assert _entries(out / f"img.{ext}") == reserved, ext
        cawg = _entries(out / f"img.{ext}", "cawg.training-mining")
        assert cawg == {k.replace("c2pa.", "cawg."): v for k, v in reserved.items()}
    assert set(_entries(out / "press/free.jpg").values()) == {"allowed"}
    stock = reading.read(out / "stock/shot.jpg").training_mining["cawg.training-mining"]
    assert stock["entries"]["cawg.ai_generative_training"] == {"use": "notAllowed"}
    assert stock["entries"]["cawg.ai_training"] == {
        "use": "constrained",
        "constraint_info": "https://jane.example/ai-reservation/",
    }


@pytest.mark.slow
def test_datadiligence_opts_the_image_out(tmp_path: Path, ca: certs.TestCertificate):
    from datadiligence import rules

    cfg = _site(tmp_path, ca, **{"a.jpg": _jpeg(), "press__b.jpg": _jpeg()})
    _build(cfg)
    rule = rules.C2PAMetadataRule()
    assert rule.is_allowed(path=str(tmp_path / "build/a.jpg")) is False
    assert rule.is_allowed(path=str(tmp_path / "build/press/b.jpg")) is True


@pytest.mark.slow
def test_pixels_and_metadata_kept(tmp_path: Path, ca: certs.TestCertificate):
    jpeg = save(photo((64, 48)), "JPEG", quality=92, comment=b"keep me")
    png = save(photo((64, 48)), "PNG")
    cfg = _site(tmp_path, ca, **{"a.jpg": jpeg, "b.png": png})
    _build(cfg)
    for name in ("a.jpg", "b.png"):
        src, dst = tmp_path / "public" / name, tmp_path / "build" / name
        with Image.open(src) as a, Image.open(dst) as b:
            assert a.tobytes() == b.tobytes() and a.size == b.size and a.mode == b.mode
        tags = json.loads(
            subprocess.run(
                ["exiftool", "-json", "-G1", str(dst)], capture_output=True, check=True
            ).stdout
        )[0]
        assert tags["XMP-plus:DataMining"].endswith("DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING")
        assert tags["XMP-dc:Rights"].startswith("© Jane Doe")
        assert any(k.startswith("JUMBF:") for k in tags), sorted(tags)
    with Image.open(tmp_path / "build/a.jpg") as im:
        assert im.info.get("comment") == b"keep me"


# --- item 2: an existing manifest is kept as the parent ingredient -----------------------


def _camera_image(tmp_path: Path) -> bytes:
    camera = certs.make(tmp_path / "camera-ca", "Camera Maker")
    definition = {
        "claim_generator_info": [{"name": "Camera firmware"}],
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": "http://cv.iptc.org/newscodes/"
                            "digitalsourcetype/digitalCapture",
                        }
                    ]
                },
            }
        ],
    }
    info = c2pa.C2paSignerInfo(b"es256", camera.chain.read_bytes(), camera.key.read_bytes(), None)
    plain, signed = tmp_path / "plain.jpg", tmp_path / "camera.jpg"
    plain.write_bytes(_jpeg())
    with (
        c2pa.Builder(definition, reading.context()) as builder,
        plain.open("rb") as src,
        signed.open("w+b") as dst,
    ):
        builder.sign(c2pa.Signer.from_info(info), "image/jpeg", src, dst)
    return signed.read_bytes()


def test_existing_manifest_kept_as_parent(tmp_path: Path, ca: certs.TestCertificate):
    cfg = _site(tmp_path, ca, **{"cam.jpg": _camera_image(tmp_path)})
    camera_label = _store(tmp_path / "public/cam.jpg")["active_manifest"]
    _build(cfg)
    out = tmp_path / "build/cam.jpg"
    store = _store(out)
    ours = store["manifests"][store["active_manifest"]]
    assert store["active_manifest"] != camera_label
    assert camera_label in store["manifests"]  # the camera's manifest is still there
    (parent,) = ours["ingredients"]
    assert parent["relationship"] == "parentOf" and parent["active_manifest"] == camera_label
    assert parent["format"] == "image/jpeg"
    failures = parent["validation_results"]["activeManifest"].get("failure", [])
    assert {f["code"] for f in failures} <= {"signingCredential.untrusted"}
    assert reading.read(out).validates
    xmp = subprocess.run(
        ["exiftool", "-s3", "-XMP-plus:DataMining", str(out)], capture_output=True, text=True
    )
    assert xmp.stdout.strip().endswith("DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING")


# --- item 4: idempotent and incremental ---------------------------------------------------


@pytest.mark.slow
def test_rebuild_changes_nothing_until_something_signed_changes(
    tmp_path: Path, ca: certs.TestCertificate
):
    avif = tmp_path / "c.avif"
    photo((40, 30)).save(avif)  # no XMP written (images.md): the manifest alone carries it
    cfg = _site(tmp_path, ca, **{"a.jpg": _jpeg(), "c.avif": avif.read_bytes()})
    _build(cfg)
    out = tmp_path / "build/a.jpg"
    first = out.read_bytes(), (tmp_path / "build/c.avif").read_bytes()
    report = pipeline.build(cfg, jobs=1, state_dir=tmp_path / "state", force=True)
    again = out.read_bytes(), (tmp_path / "build/c.avif").read_bytes()
    assert again == first, report.render()  # no re-sign with the state ignored

    # The policy changes: re-signed with the new values.
    text = cfg.read_text().replace("reserve: [tdm, train, ai-input]", "reserve: [genai-train]")
    cfg.write_text(text.replace("allow: [search]", "allow: [search, tdm, train, ai-input]"))
    _build(cfg)
    assert _entries(out)["c2pa.ai_generative_training"] == "notAllowed"
    assert _entries(out)["c2pa.ai_inference"] == "allowed"
    assert _entries(tmp_path / "build/c.avif")["c2pa.ai_inference"] == "allowed"

    # The certificate is renewed at the same paths: re-signed, the new serial.
    renewed = certs.make(tmp_path / "renewed", "Jane Doe")
    cfg.write_text(
        cfg.read_text()
        .replace(str(ca.chain), str(renewed.chain))
        .replace(str(ca.key), str(renewed.key))
    )
    before = reading.read(out).cert_serial
    _build(cfg)
    assert reading.read(out).cert_serial not in ("", before)

    # The source changes (pixels): re-signed over the new content.
    second = out.read_bytes()
    (tmp_path / "public/a.jpg").write_bytes(save(photo((48, 32), seed=7), "JPEG"))
    _build(cfg)
    assert out.read_bytes() != second and reading.read(out).validates


def test_in_place_rebuild_is_a_no_op(tmp_path: Path, ca: certs.TestCertificate):
    cfg = _site(tmp_path, ca, **{"a.jpg": _jpeg(), "b.png": save(photo((30, 20)), "PNG")})
    cfg.write_text(cfg.read_text().replace("    output: build\n", ""))
    _build(cfg)
    signed = {p: p.read_bytes() for p in (tmp_path / "public").glob("[ab].*")}
    assert len(signed) == 2
    assert all(reading.read(p).validates for p in signed)
    pipeline.build(cfg, jobs=1, state_dir=tmp_path / "state", force=True)
    assert {p: p.read_bytes() for p in signed} == signed


# --- item 3: configuration and secrets -------------------------------------------------


def test_key_from_environment_never_published(
    tmp_path: Path, ca: certs.TestCertificate, monkeypatch: pytest.MonkeyPatch
):
    key = ca.key.read_text()
    monkeypatch.setenv("TEST_C2PA_KEY", key)
    cfg = _site(tmp_path, ca, **{"a.jpg": _jpeg()})
    cfg.write_text(cfg.read_text().replace(f"key: {ca.key}", "key_env: TEST_C2PA_KEY"))
    report = _build(cfg)
    assert reading.read(tmp_path / "build/a.jpg").validates
    secret = key.splitlines()[1].encode()
    assert secret not in report.render().encode()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes(), path


def test_config_problems_are_located(tmp_path: Path, ca: certs.TestCertificate):
    cfg = _site(tmp_path, ca)
    cfg.write_text(cfg.read_text().replace(f"key: {ca.key}", "cert_env: X, tsa: nope"))
    with pytest.raises(ConfigError) as info:
        config.load(cfg)
    text = str(info.value)
    assert f"{cfg}:" in text and "absolute http(s) URL" in text
    assert "c2pa needs exactly one of cert: PATH or cert_env: VARIABLE" in text
    assert "c2pa needs exactly one of key: PATH or key_env: VARIABLE" in text


def test_unset_secret_stops_the_build_before_writing(
    tmp_path: Path, ca: certs.TestCertificate, capsys: pytest.CaptureFixture[str]
):
    from optout_site import cli

    cfg = _site(tmp_path, ca, **{"a.jpg": _jpeg()})
    cfg.write_text(cfg.read_text().replace(f"key: {ca.key}", "key_env: SURELY_UNSET_C2PA_KEY"))
    config.load(cfg)  # `check` and `sites` need no secret
    assert cli.main(["build", "--config", str(cfg)]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "c2pa.key_env: SURELY_UNSET_C2PA_KEY is not set in the environment" in err
    assert not (tmp_path / "build").exists()


def test_missing_extra_is_a_clear_message(
    tmp_path: Path, ca: certs.TestCertificate, monkeypatch: pytest.MonkeyPatch
):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "c2pa" else real(name, *a)
    )
    with pytest.raises(ConfigError, match=r"pip install 'optout-site\[c2pa\]'"):
        config.load(_site(tmp_path, ca))


def test_bad_key_is_an_error_and_leaves_the_output_alone(tmp_path: Path, ca: certs.TestCertificate):
    other = certs.make(tmp_path / "other", "Someone Else")
    cfg = _site(tmp_path, ca, **{"a.jpg": _jpeg()})
    cfg.write_text(cfg.read_text().replace(str(ca.key), str(other.key)))
    report = pipeline.build(cfg, jobs=1, state_dir=tmp_path / "state")
    assert not report.ok
    assert "could not be signed" in report.render()
    assert not (tmp_path / "build/a.jpg").exists()  # never stamped but unsigned


def test_make_test_cert_has_the_c2pa_profile(tmp_path: Path):
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    from optout_site import cli

    assert cli.main(["c2pa", "make-test-cert", str(tmp_path / "t"), "--org", "Jane"]) == 0
    leaf, issuer = x509.load_pem_x509_certificates((tmp_path / "t/chain.pem").read_bytes())
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    assert leaf.issuer == issuer.subject != leaf.subject  # not self-signed
    assert issuer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert (tmp_path / "t/signer.key").stat().st_mode & 0o077 == 0


def test_test_ca_as_trust_anchor_makes_it_trusted(tmp_path: Path, ca: certs.TestCertificate):
    cfg = _site(tmp_path, ca, **{"a.jpg": _jpeg()})
    _build(cfg)
    anchors = c2pa.Settings.from_dict({"trust": {"trust_anchors": ca.ca_cert.read_text()}})
    with (tmp_path / "build/a.jpg").open("rb") as stream:
        reader = c2pa.Reader("jpg", stream, context=c2pa.Context(anchors))
        with reader:
            assert reader.get_validation_state() == "Trusted"


@pytest.mark.slow
def test_bundled_example_builds_signed(tmp_path: Path, ca: certs.TestCertificate):
    from support import make_example

    _, site = make_example(tmp_path, c2pa={"cert": str(ca.chain), "key": str(ca.key)})
    jpegs = sorted(site.output_dir.rglob("*.jpg"))
    assert jpegs and all(reading.read(p).validates for p in jpegs)
    assert set(_entries(site.output_dir / "press/portrait.jpg").values()) == {"allowed"}
