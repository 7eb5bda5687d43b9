"""The site's own robots.txt stricter than the policy: kept, and said in build and check."""

from __future__ import annotations

import json
from pathlib import Path

from support import write_example_config

from optout_site.cli import main


def test_own_group_stricter_than_the_policy_is_kept_and_reported(tmp_path: Path, capsys) -> None:
    cfg = write_example_config(tmp_path)
    own = tmp_path / "public" / "robots.txt"
    original = own.read_bytes() if own.exists() else b""
    own.write_bytes(original + b"\nUser-agent: GPTBot\nDisallow: /\n")

    assert main(["build", "-c", str(cfg), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [note] = [n for n in report["sites"][0]["notes"] if n["path"] == "robots.txt"]
    # The bundled policy opens /press/ to every use; the site's own group keeps GPTBot out.
    assert "GPTBot at /press/" in note["message"] and "kept as written" in note["message"]

    assert main(["check", str(tmp_path / "build"), "-c", str(cfg), "--json"]) in (0, 1)
    findings = json.loads(capsys.readouterr().out)["findings"]
    [warning] = [
        f
        for f in findings
        if "site's own robots.txt keeps" in f["message"] and "GPTBot" in f["message"]
    ]
    assert warning["severity"] == "warning" and warning["path"].startswith("/press/")
    # Text report names it too.
    assert main(["build", "-c", str(cfg)]) == 0
    assert "GPTBot at /press/" in capsys.readouterr().out
