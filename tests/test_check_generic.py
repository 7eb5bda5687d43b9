"""`check` warns about generic tokens (Spider, Code, ...) in the site's own robots.txt, outside
the block optout-site writes: by line, with the crawlers they may catch and a plain fix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import make_example, run_cli

from optout_site import config


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[Path, config.Site]:
    return make_example(tmp_path_factory.mktemp("example"))


def _warnings(example, tmp_path: Path, capsys, own: str) -> tuple[list[str], list[dict]]:
    target = tmp_path / "site"
    shutil.copytree(example[1].output_dir, target)
    with (target / "robots.txt").open("a") as handle:
        handle.write(own)
    lines = (target / "robots.txt").read_text().splitlines()
    run_cli(["check", str(target), "--json", "--config", str(example[0])])
    data = json.loads(capsys.readouterr().out)
    found = [
        f
        for f in data["findings"]
        if f["severity"] == "warning" and f["signal"] == "robots.txt" and "generic" in f["message"]
    ]
    return lines, found


def test_a_generic_token_in_the_sites_own_group_is_named_with_whom_it_catches(
    example, tmp_path, capsys
):
    lines, found = _warnings(
        example, tmp_path, capsys, "\nUser-agent: FooBot\nUser-agent: spider\nDisallow: /\n"
    )
    [finding] = found
    assert lines[finding["line"] - 1] == "User-agent: spider"
    assert finding["message"].startswith(f"line {finding['line']}: `User-agent: spider`")
    # Search engines first: Baiduspider by its token, Sogou by the name it sends.
    assert 'such as Baiduspider, Sogou ("Sogou web spider")' in finding["message"]
    assert f"Remove line {finding['line']}" in finding["fix"]
    assert "agents explain Spider" in finding["fix"]


def test_no_warning_for_specific_tokens_or_for_our_own_block(example, tmp_path, capsys):
    """The built file names Spider inside its block; the site's GPTBot group is specific."""
    lines, found = _warnings(example, tmp_path, capsys, "\nUser-agent: GPTBot\nDisallow: /x/\n")
    assert "User-agent: Spider" in lines  # ours, in the block
    assert found == []
