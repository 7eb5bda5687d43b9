"""The agent verdicts and the text behind `optout-site agents`."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from support import JANE_SITE, REPO

from optout_site import config
from optout_site.errors import UnknownAgent
from optout_site.policy import Use
from optout_site.signals.robots import agents
from optout_site.signals.robots.registry import CATEGORIES, RegistryError


@pytest.fixture
def make_site(write_config, tmp_path: Path):
    def make(extra: str = ""):
        (tmp_path / "public").mkdir(exist_ok=True)
        return config.load(write_config(JANE_SITE + extra)).sites[0]

    return make


@pytest.fixture(scope="module")
def reg():
    return agents.registry_for()


def test_category_mapping(make_site, reg):
    site = make_site()
    top, press, blog = (site.policy.resolve(p) for p in ("/", "/press/a", "/blog/a"))
    assert top.reserves(Use.GENAI_TRAIN) and not top.reserves(Use.SEARCH)
    cases = {
        "GPTBot": (True, False, True),
        "CCBot": (True, False, True),
        "OAI-SearchBot": (True, False, True),
        "ChatGPT-User": (True, False, True),
        "Claude-Code": (True, False, True),
        "Googlebot": (False, False, True),
        "facebookexternalhit": (False, False, False),
    }
    for token, want in cases.items():
        assert tuple(agents.blocked(site, token, d, reg) for d in (top, press, blog)) == want, token


def test_site_overrides(make_site):
    site = make_site("""\
    agents:
      block: [Twitterbot, gptbot]
      allow: [PerplexityBot]
      categories: {user-fetch: allow, search-engine: block}
""")
    reg = agents.registry_for(site)
    press = site.policy.resolve("/press/")
    top = site.policy.default
    assert agents.blocked(site, "Twitterbot", top, reg)  # preview, named in block
    assert agents.blocked(site, "GPTBot", press, reg)  # block beats the /press/ rule
    assert not agents.blocked(site, "PerplexityBot", top, reg)
    assert not agents.blocked(site, "ChatGPT-User", top, reg)
    assert agents.blocked(site, "Googlebot", top, reg)
    assert agents.reason(site, "Googlebot", top, reg)[1] == (
        "agents.categories sets search-engine to block"
    )
    assert not agents.blocked(site, "UnknownBot", top, reg)


def test_verdicts_cover_every_agent_and_rule(make_site, reg):
    site = make_site()
    table = agents.verdicts(site, reg)
    assert len(table) == len(reg)
    assert list(table["GPTBot"]) == ["/press/", "/blog/", "/"]
    assert table["GPTBot"] == {"/press/": False, "/blog/": True, "/": True}
    assert table["Googlebot"] == {"/press/": False, "/blog/": True, "/": False}


def test_registry_for_layers_file_and_inline_records(make_site, tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        textwrap.dedent("""\
        version: "site"
        agents:
          - token: LocalBot
            operator: Local Inc.
            category: dataset
            honours_robots: "yes"
            purpose: Builds a local corpus.
            source: https://local.example/bot
            verified: 2026-01-02
    """),
        encoding="utf-8",
    )
    site = make_site(f"""\
    agents:
      registry: {extra}
      add:
        - {{token: NewBot, operator: New AI Inc., category: train}}
        - {{token: applebot, operator: Apple, category: train}}
""")
    reg = agents.registry_for(site)
    assert reg.get("LocalBot").category == "dataset"
    new = reg.get("NewBot")
    assert (new.operator, new.category, new.honours_robots) == ("New AI Inc.", "train", "unknown")
    apple = reg.get("Applebot")
    assert (apple.token, apple.category) == ("Applebot", "train")
    assert apple.source == "https://support.apple.com/en-us/119829"  # unstated fields kept
    assert len(reg) == len(agents.registry_for()) + 2


def test_bad_extra_registry_is_reported(make_site, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("agents: [{token: 'Bad Bot'}]\n", encoding="utf-8")
    site = make_site(f"    agents:\n      registry: {bad}\n")
    with pytest.raises(RegistryError, match="bad.yaml"):
        agents.registry_for(site)


def test_list_by_category(reg):
    text = agents.list_agents(reg, ["search-engine", "preview"])
    lines = text.splitlines()
    assert lines[0].split() == ["TOKEN", "CATEGORY", "OPERATOR", "HONOURS"]
    assert any(line.startswith("Googlebot ") for line in lines)
    assert any(line.startswith("facebookexternalhit ") for line in lines)
    assert not any(line.startswith("GPTBot ") for line in lines)
    assert lines[-1].startswith("21 agents")
    everything = agents.list_agents(reg)
    assert everything.splitlines()[-1].startswith(f"{len(reg)} agents")
    with pytest.raises(ValueError, match="unknown categories"):
        agents.list_agents(reg, ["nope"])


def test_list_json_shape(reg):
    data = json.loads(agents.list_agents(reg, ["train"], as_json=True))
    assert data["version"] == reg.version
    assert data["categories"] == ["train"]
    assert {a["category"] for a in data["agents"]} == {"train"}
    gpt = next(a for a in data["agents"] if a["token"] == "GPTBot")
    assert set(gpt) == {
        "token",
        "operator",
        "category",
        "honours_robots",
        "purpose",
        "source",
        "verified",
        "aliases",
        "generic",
    }
    assert gpt["operator"] == "OpenAI" and gpt["generic"] is False
    full = json.loads(agents.list_agents(reg, as_json=True))
    assert [a["category"] for a in full["agents"]] == sorted(
        (a["category"] for a in full["agents"]), key=CATEGORIES.index
    )


def test_explain_gptbot(reg):
    text = agents.explain(reg, "gptbot")
    gpt = reg.get("GPTBot")
    assert text.startswith("GPTBot (OpenAI)")
    assert gpt.purpose in text
    assert gpt.source in text
    assert gpt.verified in text
    assert "training" in text and "search results are not affected" in text


def test_explain_costs_by_category(reg):
    assert "search results" in agents.explain(reg, "Googlebot")
    assert "when a user asks" in agents.explain(reg, "ChatGPT-User")
    assert "preview" in agents.explain(reg, "facebookexternalhit")
    assert "enforce it at the server" in agents.explain(reg, "Perplexity-User")


def test_explain_with_a_site(make_site, reg):
    site = make_site()
    text = agents.explain(reg, "GPTBot", site)
    assert "In site jane (https://jane.example):" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("  /")}
    assert "Allow" in lines["/press/"] and "policy allows genai-train" in lines["/press/"]
    assert "Disallow" in lines["/"] and "policy reserves genai-train" in lines["/"]
    google = agents.explain(reg, "Googlebot", site)
    assert "Disallow  (the policy reserves search here)" in google


def test_explain_bundled_example():
    site = config.load(REPO / "sites.yaml").sites[0]
    reg = agents.registry_for(site)
    text = agents.explain(reg, "CCBot", site)
    assert "/press/" in text and "Disallow" in text


def test_unknown_token_suggests(reg):
    with pytest.raises(UnknownAgent) as caught:
        agents.explain(reg, "GPTBott")
    assert "did you mean GPTBot" in str(caught.value)
    with pytest.raises(UnknownAgent, match="Perplexity"):
        agents.explain(reg, "perplexity")
    with pytest.raises(UnknownAgent, match="optout-site agents"):
        agents.explain(reg, "zzzzqqq")
