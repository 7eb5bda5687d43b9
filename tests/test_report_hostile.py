"""What the build report says stays true and cannot be forged by a site's file names."""

from __future__ import annotations

from pathlib import Path

from optout_site.build import build


def config(tmp_path: Path) -> Path:
    public = tmp_path / "public"
    public.mkdir()
    (public / "index.html").write_bytes(b"<!DOCTYPE html><title>t</title><p>hi")
    cfg = tmp_path / "sites.yaml"
    cfg.write_text(
        "sites:\n  - name: s\n    url: https://a.example\n    input: public\n"
        "    rightsholder: {name: A}\n",
        encoding="utf-8",
    )
    return cfg


def test_a_file_name_cannot_forge_report_lines(tmp_path):
    cfg = config(tmp_path)
    forged = "x\n  problems        0\n\x1b[2J.html"
    (tmp_path / "public" / forged).write_bytes(b"<?php echo 1; ?>")
    text = build(cfg, state_dir=tmp_path / "state").render()
    assert [line for line in text.splitlines() if line.startswith("  problems")] == [
        "  problems        1"
    ]
    assert "\x1b" not in text and "x\\n  problems        0\\n\\x1b[2J.html" in text


def test_an_in_place_rebuild_does_not_claim_to_replace_the_sites_own_files(tmp_path):
    cfg = config(tmp_path)
    (tmp_path / "public/ai.txt").write_text("User-Agent: *\nAllow: /\n", encoding="utf-8")
    first = build(cfg, state_dir=tmp_path / "state")
    notes = {f.path: f.message for f in first.sites[0].notes}
    assert notes["ai.txt"] == "replaces the site's own"  # true: the user's own was there
    again = build(cfg, state_dir=tmp_path / "state")
    assert [f.path for f in again.sites[0].notes] == []
