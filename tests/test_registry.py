from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from optout_site.signals.robots.registry import (
    CATEGORIES,
    HONOURS,
    TOKEN_RE,
    Agent,
    Registry,
    RegistryError,
    load,
)

AI_ROBOTS_JSON = Path(__file__).parent / "data" / "ai-robots-txt" / "robots.json"
BLOCKABLE = ("train", "dataset", "ai-search", "user-fetch", "agent")


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load()


def _agent(token: str, **overrides: str) -> Agent:
    fields = {
        "operator": "Example Corp",
        "category": "train",
        "honours_robots": "yes",
        "purpose": "Example crawler.",
        "source": "https://example.com/bot",
        "verified": "2026-01-01",
    }
    return Agent(token=token, **{**fields, **overrides})


def test_packaged_registry_loads(registry: Registry) -> None:
    assert registry.version
    assert len(registry.agents) > 150
    assert {a.category for a in registry.agents} == set(CATEGORIES)


def test_the_packaged_registry_is_read_once_per_process(tmp_path: Path) -> None:
    # Every build and check asks for it; a file of the site's own is read each time.
    assert load() is load()
    own = tmp_path / "agents.yaml"
    own.write_text('version: "1"\nagents: []\n', encoding="utf-8")
    assert load(own) is not load(own) and load(own).version == "1"


def test_every_record_is_complete_and_rfc_valid(registry: Registry) -> None:
    for agent in registry.agents:
        assert TOKEN_RE.match(agent.token), agent.token
        assert agent.category in CATEGORIES, agent.token
        assert agent.honours_robots in HONOURS, agent.token
        assert agent.operator.strip() and agent.purpose.strip(), agent.token
        assert agent.source.startswith("https://"), agent.token
        dt.date.fromisoformat(agent.verified)
        # Aliases exist to map names that cannot be published as tokens.
        assert all(not TOKEN_RE.match(alias) for alias in agent.aliases), agent.token


def test_tokens_and_aliases_are_unique_case_insensitively(registry: Registry) -> None:
    names = [n.casefold() for a in registry.agents for n in (a.token, *a.aliases)]
    assert len(names) == len(set(names))


def test_covers_every_ai_robots_txt_name(registry: Registry) -> None:
    names = json.loads(AI_ROBOTS_JSON.read_text(encoding="utf-8"))
    dropped = dict(registry.dropped)
    uncovered = [n for n in names if registry.get(n) is None and not dropped.get(n, "").strip()]
    assert uncovered == []
    # Only invalid names may be dropped, and nothing is both dropped and kept.
    assert all(not TOKEN_RE.match(name) for name in dropped)
    assert all(registry.get(name) is None for name in dropped)


@pytest.mark.parametrize(
    ("token", "category"),
    [
        ("GPTBot", "train"),
        ("ClaudeBot", "train"),
        ("Google-Extended", "train"),
        ("Applebot-Extended", "train"),
        ("meta-externalagent", "train"),
        ("CCBot", "dataset"),
        ("OAI-SearchBot", "ai-search"),
        ("Claude-SearchBot", "ai-search"),
        ("PerplexityBot", "ai-search"),
        ("ChatGPT-User", "user-fetch"),
        ("Claude-User", "user-fetch"),
        ("Perplexity-User", "user-fetch"),
        ("meta-externalfetcher", "user-fetch"),
        ("Googlebot", "search-engine"),
        ("Bingbot", "search-engine"),
        ("Applebot", "search-engine"),
        ("DuckDuckBot", "search-engine"),
        ("facebookexternalhit", "preview"),
        ("Twitterbot", "preview"),
    ],
)
def test_known_tokens_have_expected_category(registry: Registry, token: str, category: str) -> None:
    agent = registry.get(token)
    assert agent is not None, token
    assert agent.category == category


def test_search_engines_and_previews_are_never_in_blockable_categories(
    registry: Registry,
) -> None:
    blockable = {a.token.casefold() for a in registry.by_category(*BLOCKABLE)}
    keep = (
        "Googlebot",
        "bingbot",
        "Applebot",
        "DuckDuckBot",
        "YandexBot",
        "Baiduspider",
        "facebookexternalhit",
        "Twitterbot",
        "LinkedInBot",
        "Slackbot",
        "Discordbot",
    )
    assert blockable.isdisjoint(t.casefold() for t in keep)


def test_documented_non_compliance_is_recorded(registry: Registry) -> None:
    for token in ("Perplexity-User", "meta-externalfetcher", "ChatGPT-User"):
        assert registry.get(token).honours_robots == "no", token
    assert registry.get("Bytespider").honours_robots == "own-group-only"


def test_get_is_case_insensitive_and_resolves_aliases(registry: Registry) -> None:
    assert registry.get("gptbot") is registry.get("GPTBOT") is registry.get("GPTBot")
    assert registry.get("Meta-ExternalAgent").token == "meta-externalagent"
    assert registry.get("Kangaroo Bot").token == "Kangaroo"
    assert registry.get("MistralAI-User/1.0").token == "MistralAI-User"
    assert registry.get("NoSuchBot") is None


def test_by_category_filters_and_keeps_order(registry: Registry) -> None:
    ai = registry.by_category("ai-search", "user-fetch")
    assert ai and {a.category for a in ai} == {"ai-search", "user-fetch"}
    assert ai == [a for a in registry.agents if a in ai]
    with pytest.raises(ValueError, match="ai-serch"):
        registry.by_category("ai-serch")


def test_merged_overrides_case_insensitively_and_appends(registry: Registry) -> None:
    override = _agent("gptbot", category="ai-search", operator="Me")
    new = _agent("ExampleBot")
    merged = registry.merged([override, new])

    assert merged.get("GPTBot") is override
    assert merged.agents.index(override) == registry.agents.index(registry.get("GPTBot"))
    assert merged.get("examplebot") is new
    assert len(merged.agents) == len(registry.agents) + 1
    assert merged.version == registry.version and merged.dropped == registry.dropped
    assert registry.get("GPTBot").category == "train"  # the base is untouched


def test_agent_rejects_invalid_token() -> None:
    with pytest.raises(ValueError, match="RFC 9309"):
        _agent("Kangaroo Bot")


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "extra-agents.yaml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD = """\
version: "local"
agents:
  - token: ExampleBot
    operator: Example Corp
    category: train
    honours_robots: yes
    purpose: Example crawler.
    source: https://example.com/bot
    verified: 2026-01-01
"""


def test_user_file_in_same_format_loads_and_merges(tmp_path: Path, registry: Registry) -> None:
    extra = load(_write(tmp_path, GOOD))
    # Bare yes and a bare date are what a user will write; YAML turns them into bool and date.
    assert extra.agents == (_agent("ExampleBot"),)
    assert extra.dropped == ()
    assert registry.merged(extra.agents).get("ExampleBot") is not None


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (("token: ExampleBot", "token: Bad Bot"), "Bad Bot"),
        (("token: ExampleBot", "token: Example2Bot"), "Example2Bot"),
        (("category: train", "category: training"), "training"),
        (("honours_robots: yes", "honours_robots: sometimes"), "sometimes"),
        (("operator: Example Corp", "operator: ''"), "operator"),
        (("    source: https://example.com/bot\n", ""), "source"),
        (("verified: 2026-01-01", "verified: last week"), "verified"),
        (("purpose: Example crawler.", "purpose: x\n    colour: blue"), "colour"),
    ],
)
def test_broken_record_names_file_line_and_token(
    tmp_path: Path, change: tuple[str, str], needle: str
) -> None:
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(RegistryError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}:3:")  # the record starts on line 3
    assert needle in message
    assert info.value.path == str(path) and info.value.line == 3


def test_case_insensitive_duplicate_is_rejected(tmp_path: Path) -> None:
    second = GOOD.split("agents:\n")[1].replace("ExampleBot", "examplebot")
    path = _write(tmp_path, GOOD + second)
    with pytest.raises(RegistryError, match=r":10: examplebot: .*ExampleBot.*line 3"):
        load(path)


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + "  - token: [unclosed\n")
    with pytest.raises(RegistryError, match=rf"^{re.escape(str(path))}:\d+: invalid YAML"):
        load(path)


def test_missing_file_is_a_registry_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="cannot read"):
        load(tmp_path / "absent.yaml")
