"""Names the registry leaves out on purpose, and generic tokens (Spider, Code, ...) whose groups
substring-matching parsers apply to other crawlers: explained, and optionally left out."""

from __future__ import annotations

import urllib.robotparser
from pathlib import Path

import protego
import pytest
from support import JANE_SITE, run_cli

from optout_site import config
from optout_site.signals import robots
from optout_site.signals.robots import agents

GENERIC = {"Spider", "Code", "Operator", "Cursor", "Trae", "LCC", "YaK"}


@pytest.fixture(scope="module")
def reg():
    return agents.registry_for()


@pytest.mark.parametrize("name", ["img2dataset", "AI2Bot", "Crawl4AI", "ChatGPT Agent"])
def test_a_name_left_out_on_purpose_is_explained_with_the_reason(reg, name, capsys):
    assert reg.get(name) is None
    assert run_cli(["agents", "explain", name.lower()]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{name.lower()}: deliberately not in the registry")
    assert f"why: {reg.left_out(name)}" in out


def test_the_generic_tokens_are_marked_in_the_data(reg):
    assert {a.token for a in reg if a.generic} == GENERIC


@pytest.mark.parametrize("token", sorted(GENERIC))
def test_explain_flags_a_generic_token_and_names_the_setting(reg, token):
    text = agents.explain(reg, token)
    assert f"generic:   {token!r} is a common word" in text
    assert "omit_generic: true" in text
    for other in agents.confused_with(reg, reg.get(token)):
        assert other in text


def _parsers(lines: str) -> tuple[urllib.robotparser.RobotFileParser, protego.Protego]:
    stdlib = urllib.robotparser.RobotFileParser()
    stdlib.parse(lines.splitlines())
    return stdlib, protego.Protego.parse(lines)


def test_what_explain_says_of_the_parsers_is_how_they_match(reg):
    """urllib.robotparser: a substring of the crawler's name; Protego: only at a word start."""
    for token in ("Spider", "Code"):
        others = agents.confused_with(reg, reg.get(token))
        assert others  # e.g. Baiduspider, Bytespider; Claude-Code, opencode
        stdlib, prot = _parsers(f"User-agent: {token}\nDisallow: /\n")
        for other in others:
            assert not stdlib.can_fetch(other, "/photo.jpg"), other
            assert prot.can_fetch("/photo.jpg", other), other  # none starts a word there
        assert not prot.can_fetch("/photo.jpg", f"Sogou web {token.lower()}")
        assert stdlib.can_fetch("Googlebot", "/photo.jpg")
    assert "Baiduspider" in agents.confused_with(reg, reg.get("Spider"))


def _site(tmp_path: Path, extra: str) -> config.Site:
    (tmp_path / "public").mkdir(exist_ok=True)
    path = tmp_path / "sites.yaml"
    path.write_text(JANE_SITE + extra, encoding="utf-8")
    return config.load(path).sites[0]


def test_omit_generic_leaves_them_out_of_robots_txt_unless_blocked_by_name(tmp_path, capsys):
    plain = _site(tmp_path, "")
    text = robots.render(plain, agents.registry_for(plain), None).decode()
    assert all(f"User-agent: {t}\n" in text for t in GENERIC)

    site = _site(tmp_path, "    agents: {omit_generic: true, block: [Cursor]}\n")
    text = robots.render(site, agents.registry_for(site), None).decode()
    assert "User-agent: Cursor\n" in text
    assert not any(f"User-agent: {t}\n" in text for t in GENERIC - {"Cursor"})
    assert "User-agent: GPTBot\n" in text and "User-agent: Bytespider\n" in text

    (tmp_path / "sites.yaml").write_text(
        JANE_SITE + "    agents: {omit_generic: true}\n", encoding="utf-8"
    )
    code = run_cli(["agents", "explain", "Spider", "-c", str(tmp_path / "sites.yaml")])
    assert code == 0
    assert "left out of this site's robots.txt (agents.omit_generic)" in capsys.readouterr().out
