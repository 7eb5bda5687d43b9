"""Files left alone on purpose: verification files, theme icons, the user's globs."""

from __future__ import annotations

from pathlib import Path

import imagefactory

from optout_site.build import build

CATALOGUE = imagefactory.catalogue()
VERIFY = b"google-site-verification: google1234abcd.html\n"
PAGE = b"<!DOCTYPE html><html><head><title>t</title></head><body>x</body></html>\n"


def _site(tmp_path: Path, extra: str = "") -> tuple[Path, Path]:
    public = tmp_path / "public"
    files = {
        "google1234abcd.html": VERIFY,
        "BingSiteAuth.xml": b"<?xml version='1.0'?><users><user>ABC</user></users>\n",
        "favicon.png": CATALOGUE["rgba.png"],
        "img/apple-touch-icon.png": CATALOGUE["rgba.png"],
        "index.html": PAGE,
        "drafts/wip.html": PAGE,
        "photo.png": CATALOGUE["rgba.png"],
    }
    for rel, data in files.items():
        (public / rel).parent.mkdir(parents=True, exist_ok=True)
        (public / rel).write_bytes(data)
    cfg = tmp_path / "sites.yaml"
    cfg.write_text(
        "sites:\n  - name: s\n    url: https://s.example\n    input: public\n"
        "    rightsholder: {name: Jo}\n" + extra,
        encoding="utf-8",
    )
    return cfg, public


def test_verification_files_and_icons_are_left_byte_for_byte(tmp_path: Path) -> None:
    cfg, public = _site(tmp_path, "    exclude: [drafts/*]\n")
    report = build(cfg, state_dir=tmp_path / "state")
    assert report.ok, report.render()
    assert (public / "google1234abcd.html").read_bytes() == VERIFY
    assert (public / "favicon.png").read_bytes() == CATALOGUE["rgba.png"]
    assert (public / "img/apple-touch-icon.png").read_bytes() == CATALOGUE["rgba.png"]
    assert (public / "drafts/wip.html").read_bytes() == PAGE  # the user's own glob
    # Everything else is stamped as usual.
    assert b"tdm-reservation" in (public / "index.html").read_bytes()
    assert (public / "photo.png").read_bytes() != CATALOGUE["rgba.png"]


def test_icons_can_be_stamped_when_they_are_the_creators_own(tmp_path: Path) -> None:
    cfg, public = _site(tmp_path, "    exclude_icons: false\n")
    assert build(cfg, state_dir=tmp_path / "state").ok
    assert (public / "favicon.png").read_bytes() != CATALOGUE["rgba.png"]
    assert (public / "google1234abcd.html").read_bytes() == VERIFY  # never stamped


def test_output_mode_copies_excluded_files_as_they_are(tmp_path: Path) -> None:
    cfg, public = _site(tmp_path, "    output: out\n")
    assert build(cfg, state_dir=tmp_path / "state").ok
    out = tmp_path / "out"
    assert (out / "google1234abcd.html").read_bytes() == VERIFY
    assert (out / "favicon.png").read_bytes() == CATALOGUE["rgba.png"]
