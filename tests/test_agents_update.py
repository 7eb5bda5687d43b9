"""``optout-site agents update --from FILE|URL``: ai.robots.txt's robots.json against the
registry, the reviewable diff, and the override file every build then reads.

The input is a committed copy of robots.json (tests/data/ai-robots-txt/SOURCE.md says
which commit), plus records added here by hand; --from URL is served on loopback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from support import load_site, run_cli, serve_files

from optout_site.signals.robots import agents, registry, update

FIXTURE = Path(__file__).parent / "data" / "ai-robots-txt" / "robots.json"
TODAY = "2026-12-02"

SITE = """
sites:
  - name: lea
    url: https://lea.example
    input: public
    reserve: [tdm, train]
    allow: [ai-input, search]
    rightsholder: {name: Lea}
"""


def _data() -> dict:
    data = update.parse(FIXTURE.read_text(encoding="utf-8"), str(FIXTURE))
    data["NewTrainerBot"] = {
        "function": "LLM training.",
        "respect": "Yes",
        "operator": "[Acme](https://acme.example/bot)",
    }
    data["NewAnswerBot"] = {
        "function": "AI Search Crawlers",
        "respect": "Unclear at this time.",
        "operator": "Unclear at this time.",
    }
    data["Bad Bot2"] = {"function": "AI Data Scrapers"}
    # A record from the list whose function changed upstream: the rules move it.
    data["Reflectionbot"] = {
        **data["Reflectionbot"],
        "function": "AI Assistants",
    }
    return data


@pytest.mark.parametrize(
    ("function", "category"),
    [
        ("AI Coding Agents", "agent"),
        ("AI Search Crawlers", "ai-search"),
        ("Undocumented AI Agents", "agent"),
        ("AI Assistants", "user-fetch"),
        ("Retrieves data to provide responses to user-initiated prompts.", "user-fetch"),
        ("AI Data Providers", "dataset"),
        ("Provides open crawl dataset, used for many purposes", "dataset"),
        ("LLM training.", "train"),
        ("AI Data Scrapers", "train"),
        ("Ostensibly only for sharing", "train"),  # no rule: the default
    ],
)
def test_mapping_rules(function, category):
    got, why = update.categorise({"function": function})
    assert got == category
    assert why


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("img2dataset", "a digit"),
        ("ChatGPT Agent", "a space"),
        ("bigsur.ai", "'.'"),
        ("Bad Bot2", "a digit and a space"),
    ],
)
def test_invalid_tokens_are_refused_with_a_reason(name, reason):
    assert reason in update.token_problem(name)


@given(st.text(alphabet="abcXYZ_-", min_size=1), st.text(alphabet="0123456789 .:/@", min_size=1))
def test_token_problem_is_exactly_rfc_9309(word, bad):
    assert update.token_problem(word) is None
    assert update.token_problem(word + bad) is not None


def test_diff_against_the_newest_robots_json(tmp_path):
    site = load_site(tmp_path, SITE)
    reg = agents.registry_for(site)
    result = update.diff(_data(), reg, TODAY)
    new = {e.agent.token: e for e in result.new}
    assert set(new) == {"NewTrainerBot", "NewAnswerBot"}
    assert new["NewTrainerBot"].agent.category == "train"
    assert new["NewTrainerBot"].agent.operator == "Acme"
    assert new["NewTrainerBot"].agent.source == "https://acme.example/bot"
    assert new["NewTrainerBot"].agent.honours_robots == "yes"
    assert new["NewAnswerBot"].agent.operator == "Unknown"
    assert result.refused == (("Bad Bot2", update.token_problem("Bad Bot2")),)
    moved = {old.token: entry.agent.category for old, entry in result.changed}
    assert moved["Reflectionbot"] == "user-fetch"
    # Records checked against the operator's documentation are never moved.
    assert "Applebot" not in moved and any(old.token == "Applebot" for old, _ in result.kept)
    text = update.report(result, reg, site, "robots.json")
    # Under this policy (train reserved, ai-input allowed): the trainer is newly blocked,
    # the answer engine not, and Reflectionbot (train -> user-fetch) newly allowed.
    assert "+ NewTrainerBot: train, because its function names training" in text
    assert "newly blocked at /" in text.split("+ NewTrainerBot")[1].split("+ ")[0]
    assert "no change to robots.txt" in text.split("+ NewAnswerBot")[1].split("+ ")[0]
    assert "~ Reflectionbot: train -> user-fetch" in text
    assert "newly allowed at /" in text.split("~ Reflectionbot")[1].split("~ ")[0]
    assert "! 'Bad Bot2': contains a digit and a space" in text


def test_update_writes_an_override_every_build_reads(tmp_path, capsys):
    site = load_site(tmp_path, SITE)  # writes tmp_path/sites.yaml
    cfg = tmp_path / "sites.yaml"
    source = tmp_path / "robots.json"
    source.write_text(json.dumps(_data()), encoding="utf-8")
    assert (
        run_cli(["agents", "update", "--from", str(source), "--config", str(cfg), "--dry-run"]) == 0
    )
    assert not (tmp_path / "agents.yaml").exists()
    assert run_cli(["agents", "update", "--from", str(source), "--config", str(cfg)]) == 0
    written = (tmp_path / "agents.yaml").read_text(encoding="utf-8")
    # Same format as agents.registry; new tokens only (no --recategorise).
    override = registry.load(tmp_path / "agents.yaml")
    assert {a.token for a in override} == {"NewTrainerBot", "NewAnswerBot"}
    assert override.source.name == "ai.robots.txt robots.json"
    # Read by the next load of sites.yaml, merged over the bundled registry.
    site = load_site(tmp_path, SITE)
    assert agents.registry_for(site).get("NewTrainerBot").category == "train"
    assert agents.registry_for(site).get("GPTBot") is not None
    capsys.readouterr()
    assert run_cli(["agents", "--version", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "compared with ai.robots.txt robots.json v1.50 (2026-08-22)" in out
    assert f"override {tmp_path / 'agents.yaml'}" in out
    # With the override merged in, the bundled registry's source is still the one named.
    assert (
        run_cli(["agents", "update", "--from", str(source), "--config", str(cfg), "--dry-run"]) == 0
    )
    assert "last compared with ai.robots.txt robots.json v1.50" in capsys.readouterr().out
    # A second run over its own output changes nothing.
    assert run_cli(["agents", "update", "--from", str(source), "--config", str(cfg)]) == 0
    assert (tmp_path / "agents.yaml").read_text(encoding="utf-8") == written
    # --recategorise writes the moves too.
    assert (
        run_cli(["agents", "update", "--from", str(source), "--config", str(cfg), "--recategorise"])
        == 0
    )
    assert registry.load(tmp_path / "agents.yaml").get("Reflectionbot").category == "user-fetch"


def test_update_from_a_url(tmp_path, capsys):
    body = json.dumps({"NewTrainerBot": {"function": "LLM training."}}).encode()
    with serve_files({"/robots.json": body}) as base:
        url = f"{base}/robots.json"
        assert (
            run_cli(["agents", "update", "--from", url, "--output", str(tmp_path / "o.yaml")]) == 0
        )
    assert "+ NewTrainerBot: train" in capsys.readouterr().out
    assert registry.load(tmp_path / "o.yaml").get("NewTrainerBot") is not None


def test_not_robots_json_is_refused(tmp_path):
    bad = tmp_path / "robots.json"
    bad.write_text('["GPTBot"]', encoding="utf-8")
    assert (
        run_cli(["agents", "update", "--from", str(bad), "--output", str(tmp_path / "o.yaml")]) != 0
    )
    assert not (tmp_path / "o.yaml").exists()


def test_registry_source_is_validated(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({"version": "1", "source": {"name": "x"}, "agents": []}))
    with pytest.raises(Exception, match="source must map name, version and date"):
        registry.load(path)


def test_the_scheduled_workflow_in_ci_md_runs_the_update(monkeypatch):
    text = (Path(__file__).parent.parent / "docs" / "ci.md").read_text(encoding="utf-8")
    block = text.split("# .github/workflows/agents-update.yml\n", 1)[1].split("```", 1)[0]
    workflow = yaml.safe_load(block)
    steps = workflow["jobs"]["update"]["steps"]
    script = next(s["run"] for s in steps if s.get("id") == "diff")
    command = script.split("optout-site ", 1)[1].split("\n  echo EOF")[0]
    argv = command.replace("\\\n", " ").split()
    assert argv[:2] == ["agents", "update"] and "--from" in argv and "--config" in argv
    seen = {}
    monkeypatch.setattr(
        "optout_site.cli.agents._update", lambda args, site: seen.update(vars(args)) or 0
    )
    monkeypatch.setattr("optout_site.config.load", lambda *a, **k: pytest.fail("no config here"))
    from optout_site import cli

    parser_args = [a for a in argv if a not in ("--config", "sites.yaml")]
    assert cli.main(parser_args) == 0
    assert seen["source"].startswith("https://raw.githubusercontent.com/ai-robots-txt/")
    assert any(s.get("uses", "").startswith("peter-evans/create-pull-request") for s in steps)
