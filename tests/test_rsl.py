"""RSL license.xml, its robots.txt line and its <link>: parsed back and checked per rule."""

from __future__ import annotations

import pytest
from lxml import etree
from support import HASH_SEEDS, load_site, outputs_across_processes

from optout_site import dialects
from optout_site.policy import Use
from optout_site.signals import rsl

NS = {"r": "https://rslstandard.org/rsl"}

CONFIG = """
sites:
  - name: s
    url: https://photo.example
    input: public
    reserve: [tdm, train, ai-input]
    allow: [search]
    rsl: {enabled: true}
    rightsholder: {name: "Jo <&> Photo"}
    rules:
      - {path: /press/, allow: [tdm, train, ai-input]}
      - {path: /press/embargo/, reserve: [tdm, train, ai-input, search]}
      - {path: /shop/*.pdf$, reserve: [search]}
      - {path: "/q&a/<x>/", allow: [ai-input]}
      - {path: /gen/, allow: [tdm, train], reserve: [genai-train]}
"""


def load(tmp_path, text=CONFIG):
    return load_site(tmp_path, text)


def tokens(element, kind: str) -> tuple[str, ...]:
    found = element.findall(f"r:license/r:{kind}", NS)
    assert len(found) <= 1
    if not found:
        return ()
    assert found[0].get("type") == "usage"
    return tuple(found[0].text.split())


def test_license_xml_has_one_content_per_rule_specific_first(tmp_path):
    site = load(tmp_path)
    data = rsl.render(site)
    assert data.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<rsl xmlns="https://rslstandard.org/rsl">'
    )
    root = etree.fromstring(data)
    assert root.tag == "{https://rslstandard.org/rsl}rsl"
    contents = root.findall("r:content", NS)
    assert [c.get("url") for c in contents] == [p for p, _ in site.policy.ordered_decisions]
    assert contents[-1].get("url") == "/"
    # "<" and ">" cannot stand in a URL path: the rule is normalised; "&" is XML-escaped
    assert "/q&a/%3Cx%3E/" in [c.get("url") for c in contents]


def test_tokens_per_rule_follow_the_policy(tmp_path):
    site = load(tmp_path)
    root = etree.fromstring(rsl.render(site))
    for content, (pattern, decision) in zip(
        root.findall("r:content", NS), site.policy.ordered_decisions, strict=True
    ):
        permits, prohibits = tokens(content, "permits"), tokens(content, "prohibits")
        assert (permits, prohibits) == dialects.rsl_usage(decision), pattern
        assert set(permits).isdisjoint(prohibits)
        assert set(permits) | set(prohibits) <= {
            "all",
            "ai-all",
            "ai-train",
            "ai-input",
            "ai-index",
            "search",
        }
        assert "train-ai" not in permits + prohibits  # the AIPREF spelling is a known trap
        # Never grant a reserved use; ai-train is unsayable when only generative training
        # is reserved (RSL's ai-train is all training), so it is in neither list then.
        assert ("ai-train" in prohibits) == decision.reserves(Use.TRAIN)
        assert ("ai-train" in permits) == (not decision.reserves(Use.GENAI_TRAIN))
        assert ("search" in prohibits) == decision.reserves(Use.SEARCH)
        assert ("ai-index" in prohibits) == ("ai-input" in prohibits)
        assert ("all" in permits) == (not decision.any_reserved)


def test_expected_tokens_for_the_usual_rules(tmp_path):
    site = load(tmp_path)
    root = etree.fromstring(rsl.render(site))
    by_url = {c.get("url"): c for c in root.findall("r:content", NS)}
    assert tokens(by_url["/"], "permits") == ("search",)
    assert tokens(by_url["/"], "prohibits") == ("ai-all", "ai-train", "ai-input", "ai-index")
    assert tokens(by_url["/press/"], "permits") == (
        "all",
        "ai-all",
        "ai-train",
        "ai-input",
        "ai-index",
        "search",
    )
    assert tokens(by_url["/press/"], "prohibits") == ()
    assert tokens(by_url["/press/embargo/"], "permits") == ()
    # genai-train only: RSL's ai-train is all training, so it is neither permitted (that
    # would grant the reserved use) nor prohibited (that would forbid allowed training).
    assert tokens(by_url["/gen/"], "prohibits") == ()
    assert "ai-train" not in tokens(by_url["/gen/"], "permits")


def test_robots_line_and_link(tmp_path):
    site = load(tmp_path)
    assert rsl.robots_line(site) == "License: https://photo.example/license.xml"
    assert rsl.link(site) == ("license", "application/rsl+xml", "https://photo.example/license.xml")


def test_nothing_when_rsl_is_off(tmp_path):
    site = load(tmp_path, CONFIG.replace("rsl: {enabled: true}", "rsl: {enabled: false}"))
    assert rsl.robots_line(site) is None
    assert rsl.link(site) == ("license", "application/rsl+xml", None)


def test_custom_path_is_absolute_in_robots_and_link(tmp_path):
    site = load(tmp_path, CONFIG.replace("{enabled: true}", "{enabled: true, path: /rsl/lic.xml}"))
    assert rsl.robots_line(site) == "License: https://photo.example/rsl/lic.xml"
    assert rsl.link(site)[2] == "https://photo.example/rsl/lic.xml"


def test_output_is_utf8(tmp_path):
    rsl.render(load(tmp_path)).decode("utf-8")


@pytest.mark.slow  # three fresh interpreters
def test_output_is_the_same_in_every_process(tmp_path):
    site = load(tmp_path)
    code = (
        "import sys; from optout_site import config; from optout_site.signals import rsl;"
        f"sys.stdout.buffer.write(rsl.render(config.load({str(tmp_path / 'sites.yaml')!r}).sites[0]))"
    )
    assert outputs_across_processes(code) == [rsl.render(site)] * len(HASH_SEEDS)
