"""tdmrep.json, the TDM policy and ai.txt for the same policy, read as their consumers do."""

from __future__ import annotations

import json
import re
import urllib.robotparser
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from protego import Protego

from optout_site import config, dialects
from optout_site.signals import aitxt, tdmrep

CONFIG = """
sites:
  - name: s
    url: https://photo.example
    input: public
    reserve: [tdm, train, ai-input]
    allow: [search]
    rightsholder:
      name: Jo Photo
      email: jo@photo.example
      url: https://photo.example/contact/
      phone: "+33 1 23 45 67 89"
      address: {street: 1 rue X, postal_code: "75001", locality: Paris, country: France}
    rules:
      - {path: /press/, allow: [tdm]}
      - {path: /press/embargo/, reserve: [tdm]}
      - {path: /shop/*.pdf$, reserve: [search]}
      - {path: /blog/, allow: [ai-input]}
      - {path: /p, allow: [tdm]}
"""


@pytest.fixture
def site(write_config, tmp_path):
    (tmp_path / "public").mkdir()
    return config.load(write_config(CONFIG)).sites[0]


def tdmrep_match(rules: list[dict], path: str) -> int | None:
    """TDMRep §"TDM File on the Origin Server", written from the spec text: the first rule
    in sequence whose location matches wins; '*' is any run, '$' ends; no match = unset."""
    path = unquote(path)
    for rule in rules:
        location = rule["location"]
        anchored = location.endswith("$")
        body = location[:-1] if anchored else location
        regex = ".*".join(re.escape(part) for part in body.split("*")) + ("$" if anchored else "")
        if re.match(regex, path, re.DOTALL):
            value = rule["tdm-reservation"]
            return value if value in (0, 1) and not isinstance(value, bool) else None
    return None


PATHS = [
    "/",
    "/index.html",
    "/press/",
    "/press/a.jpg",
    "/press",
    "/press/embargo/",
    "/press/embargo/x.jpg",
    "/shop/cat.pdf",
    "/shop/cat.pdf.html",
    "/blog/post/",
    "/p",
    "/pa",
    "/photos/x",
    "/%70ress/a.jpg",
]


def test_tdmrep_json_is_a_valid_array_specific_first_root_last(site):
    rules = json.loads(tdmrep.render(site))
    assert isinstance(rules, list)
    assert rules[-1]["location"] == "/"
    lengths = [len(r["location"]) for r in rules[:-1]]
    assert lengths == sorted(lengths, reverse=True)
    for rule in rules:
        assert type(rule["tdm-reservation"]) is int and rule["tdm-reservation"] in (0, 1)
        if rule["tdm-reservation"] == 1:
            assert rule["tdm-policy"] == "https://photo.example/policies/tdm-policy.json"
        else:
            assert "tdm-policy" not in rule


@pytest.mark.parametrize("path", PATHS)
def test_tdmrep_first_match_agrees_with_the_policy(site, path):
    rules = json.loads(tdmrep.render(site))
    expected = dialects.tdm_reservation(site.policy.resolve(unquote(path)))
    assert tdmrep_match(rules, path) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="/pressembargoshcatblg.pdfx$*", max_size=20))
def test_property_tdmrep_agrees_on_any_path(path):
    from optout_site.policy import Policy, Rule, Use

    policy = Policy(
        reserve=frozenset({Use.TDM}),
        rules=(
            Rule("/press/", allow=frozenset({Use.TDM})),
            Rule("/press/e", reserve=frozenset({Use.TDM})),
            Rule("/*.pdf$", allow=frozenset({Use.TDM})),
            Rule("/p", reserve=frozenset({Use.SEARCH})),
        ),
    )
    rules = [
        {"location": loc, "tdm-reservation": dialects.tdm_reservation(d)}
        for loc, d in policy.ordered_decisions
    ]
    path = "/" + path
    assert tdmrep_match(rules, path) == dialects.tdm_reservation(policy.resolve(path))


def test_tdm_policy_has_the_json_ld_shape_the_spec_requires(site):
    doc = json.loads(tdmrep.render_policy(site))
    assert doc["@context"] == [
        "http://www.w3.org/ns/odrl.jsonld",
        "http://www.w3.org/ns/tdmrep.jsonld",
    ]
    assert doc["@type"] == "Offer"
    assert doc["profile"] == "http://www.w3.org/ns/tdmrep"
    assert doc["uid"].startswith("https://")
    assigner = doc["assigner"]
    assert assigner["vcard:fn"] == "Jo Photo"
    assert assigner["vcard:hasEmail"] == "mailto:jo@photo.example"
    assert assigner["vcard:hasTelephone"] == "tel:+33123456789"
    assert assigner["vcard:hasURL"] == "https://photo.example/contact/"
    assert set(assigner["vcard:hasAddress"]) == {
        "vcard:street-address",
        "vcard:postal-code",
        "vcard:locality",
        "vcard:country-name",
    }
    (permission,) = doc["permission"]
    assert permission["action"] == "tdm:mine"
    assert permission["duty"] == [{"action": "obtainConsent"}]
    assert "obligation" not in doc and "prohibition" not in doc


def test_ai_txt_reads_like_the_policy_with_a_robots_parser(site):
    text = aitxt.render(site).decode()
    assert text.startswith("# Spawning AI\n")
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(text.splitlines())
    for path in ["/", "/gallery/a.jpg", "/press/a.jpg", "/press/embargo/b.jpg", "/blog/x"]:
        reserved = dialects.ai_txt_disallows(site.policy.resolve(path))
        assert parser.can_fetch("SpawningBot", "https://photo.example" + path) is not reserved, path


def test_ai_txt_media_types_list_extensions(write_config, tmp_path):
    (tmp_path / "public").mkdir()
    cfg = config.load(write_config(CONFIG + "    ai_txt: {media_types: [images, audio]}\n"))
    text = aitxt.render(cfg.sites[0]).decode()
    assert (
        "Disallow: *.jpg\n" in text
        and "Disallow: *.mp3\n" in text
        and "Disallow: *.pdf\n" not in text
    )
    assert text.rstrip().endswith("Disallow: /\nDisallow: *")


def test_nothing_reserved_allows_everything(write_config, tmp_path):
    (tmp_path / "public").mkdir()
    cfg = config.load(
        write_config(
            "sites:\n  - {name: s, url: 'https://a.example', input: public, rightsholder: {name: A},\n"
            "     reserve: [], acknowledge: [no-reservation]}\n"
        )
    )
    site = cfg.sites[0]
    assert json.loads(tdmrep.render(site)) == [{"location": "/", "tdm-reservation": 0}]
    assert "Allow: /\n" in aitxt.render(site).decode()


@pytest.mark.parametrize(
    ("default", "rule"),
    [
        # permissive site, reserved folder: the media lines must not reopen /blog/*.jpeg
        ("reserve: []", "{path: /blog/, reserve: [tdm]}"),
        # protective site, open folder: the media lines must not close /p/*.webp
        ("reserve: [tdm, train, ai-input]", "{path: /p/, allow: [tdm]}"),
        # a rule shorter than the bare glob "*.jpeg" (6 octets)
        ("reserve: []", "{path: /b, reserve: [genai-train]}"),
        ("reserve: []", "{path: /café/, reserve: [tdm]}"),
    ],
)
def test_ai_txt_media_lines_never_outrank_a_rule(write_config, tmp_path, default, rule):
    """Written from the policy: every path and every extension gets the rule's verdict,
    for a longest-match reader (Protego) and a first-match one (urllib)."""
    (tmp_path / "public").mkdir(exist_ok=True)
    text = (
        "sites:\n  - name: s\n    url: https://a.example\n    input: public\n"
        f"    rightsholder: {{name: A}}\n    {default}\n    allow: [search]\n"
        f"    ai_txt: {{media_types: [images, text]}}\n    rules:\n      - {rule}\n"
    )
    site = config.load(write_config(text)).sites[0]
    body = aitxt.render(site).decode()
    protego = Protego.parse(body)
    first_match = urllib.robotparser.RobotFileParser()
    first_match.parse(body.splitlines())
    for folder in ("/blog/", "/p/", "/b", "/bx/", "/caf%C3%A9/", "/other/"):
        for name in ("a.jpeg", "a.webp", "a.jpg", "a.html", "a.pdf", "a.bin", ""):
            path = folder + name
            reserved = dialects.ai_txt_disallows(site.policy.resolve(path))
            url = "https://a.example" + path
            assert protego.can_fetch(url, "SpawningBot") is not reserved, (path, body)
            assert first_match.can_fetch("SpawningBot", url) is not reserved, (path, body)
