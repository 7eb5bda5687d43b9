"""tdmrep.json, the TDM policy and ai.txt for the same policy, read as their consumers do."""

from __future__ import annotations

import dataclasses
import json
import re
import urllib.robotparser
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from protego import Protego
from support import examples

from optout_site import config, dialects
from optout_site.build import build
from optout_site.check import check_folder
from optout_site.errors import PolicyError
from optout_site.policy import Policy, Rule, Use
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


# Paths built from the rules' own pieces, so that every rule (and its near misses such as
# /pressroom or a.pdf.html) is hit, plus arbitrary text from the same letters.
_SEGMENTS = st.sampled_from(["press", "pressroom", "e", "embargo", "p", "a.pdf", "a.pdf.html", "x"])
_PATHS = st.one_of(
    st.builds(
        lambda parts, slash: "/".join(parts) + slash,
        st.lists(_SEGMENTS, max_size=4),
        st.sampled_from(["", "/"]),
    ),
    st.text(alphabet="/pressembargoshcatblg.pdfx$*", max_size=20),
)


@settings(max_examples=examples(200), deadline=None)
@given(_PATHS)
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
    # The file we publish, read the way a TDMRep client does, against the policy's answer.
    rules = json.loads(tdmrep.render(dataclasses.replace(_BASE_SITE, policy=policy)))
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
    # The licence offer comes first; the permissions after it (the TDM uses that stay
    # permitted under some rules of this config) have no duty: see the tests below.
    offer, *permitted = doc["permission"]
    assert offer == {
        "target": "https://photo.example/",
        "action": "tdm:mine",
        "duty": [{"action": "obtainConsent"}],
    }
    assert all(p["action"] == "tdm:mine" and "duty" not in p for p in permitted)
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


# --- the TDM policy lists what stays permitted ------------------------------------------

# The photographer of CONFIG (mining, training and AI input reserved) with other rules.
PERMITTED_CONFIG = (
    CONFIG[: CONFIG.index("    rules:")]
    + """    rules:
      - {path: /genai/, allow: [tdm], reserve: [genai-train]}
      - {path: /genai/private/, reserve: [tdm]}
      - {path: /input/, allow: [tdm], reserve: [ai-input]}
      - {path: /search/, allow: [tdm], reserve: [search]}
      - {path: /open/, allow: [tdm]}
"""
)
POLICY = "https://photo.example/policies/tdm-policy.json"

# Written from the policy model, not from our code: per tdmrep.json location, the TDM
# purposes that stay permitted without consent. A purpose names mining no narrower use
# contains: other-tdm (neither training nor AI input), non-genai-train, genai-train,
# ai-input. "/open/" reserves nothing, says tdm-reservation 0 and is not in the policy.
PERMITTED = {
    "/genai/private/": set(),  # everything but search reserved: only the licence offer
    "/genai/": {"other-tdm", "non-genai-train", "ai-input"},  # genai-train only
    "/search/": {"other-tdm", "non-genai-train", "genai-train", "ai-input"},
    "/input/": {"other-tdm", "non-genai-train", "genai-train"},  # ai-input only
    "/": set(),  # the photographer: mining, training and AI input reserved
}


def read_permitted(policy: bytes) -> dict[str, set[str]]:
    """The policy read with json: location -> purposes of the permissions without a duty."""
    doc = json.loads(policy)
    assert doc["@context"] == [
        "http://www.w3.org/ns/odrl.jsonld",
        "http://www.w3.org/ns/tdmrep.jsonld",
    ]
    assert doc["@type"] == "Offer" and doc["profile"] == "http://www.w3.org/ns/tdmrep"
    assert doc["uid"] == POLICY and isinstance(doc["assigner"], dict)
    out: dict[str, set[str]] = {}
    for permission in doc["permission"]:
        assert permission["action"] == "tdm:mine"
        if "duty" in permission:
            continue
        assert set(permission) == {"target", "action", "constraint"}
        (constraint,) = permission["constraint"]
        assert constraint["leftOperand"] == "purpose" and constraint["operator"] == "eq"
        assert permission["target"].startswith(POLICY + "#/")
        assert constraint["rightOperand"].startswith(POLICY + "#")
        location = permission["target"].removeprefix(POLICY + "#")
        out.setdefault(location, set()).add(constraint["rightOperand"].removeprefix(POLICY + "#"))
    return out


@pytest.fixture
def permitted_site(write_config, tmp_path):
    (tmp_path / "public").mkdir()
    return config.load(write_config(PERMITTED_CONFIG)).sites[0]


def test_policy_lists_the_tdm_uses_each_rule_leaves_permitted(permitted_site):
    found = read_permitted(tdmrep.render_policy(permitted_site))
    assert found == {loc: uses for loc, uses in PERMITTED.items() if uses}
    rules = json.loads(tdmrep.render(permitted_site))
    said = {rule["location"]: rule["tdm-reservation"] for rule in rules}
    assert said == {**{loc: 1 for loc in PERMITTED}, "/open/": 0}
    # Every rule that lists something says 1 and points at this very policy.
    assert all(r["tdm-policy"] == POLICY for r in rules if r["location"] in found)


def test_policy_permissions_follow_tdmrep_order_and_never_change(permitted_site):
    doc = json.loads(tdmrep.render_policy(permitted_site))
    targets = [p["target"] for p in doc["permission"][1:]]
    order = [r["location"] for r in json.loads(tdmrep.render(permitted_site))]
    assert [t.removeprefix(POLICY + "#") for t in dict.fromkeys(targets)] == [
        loc for loc in order if PERMITTED.get(loc)
    ]
    assert tdmrep.render_policy(permitted_site) == tdmrep.render_policy(permitted_site)


_BASE_SITE = config.Site(
    name="s",
    url="https://photo.example",
    input=Path("."),
    output=None,
    rightsholder=config.Rightsholder(name="Jo"),
    policy=Policy(),
)

# The purposes, and the use whose reservation covers each (the test's own table).
COVERED_BY = {
    "other-tdm": "tdm",
    "non-genai-train": "train",
    "genai-train": "genai-train",
    "ai-input": "ai-input",
}
USES = ["tdm", "train", "genai-train", "ai-input", "search"]


@settings(max_examples=examples(150), deadline=None)
@given(
    default=st.sets(st.sampled_from(USES)),
    rules=st.lists(
        st.tuples(
            st.sampled_from(["/a/", "/a/b/", "/c/", "/*.png$"]),
            st.sets(st.sampled_from(USES)),
            st.sets(st.sampled_from(USES)),
        ),
        max_size=3,
        unique_by=lambda r: r[0],
    ),
)
def test_property_no_permission_without_duty_covers_a_reserved_use(default, rules):
    try:
        policy = Policy(
            reserve=frozenset(Use(u) for u in default),
            rules=tuple(
                Rule(
                    path,
                    frozenset(Use(u) for u in reserve - allow),
                    frozenset(Use(u) for u in allow),
                )
                for path, reserve, allow in rules
            ),
        )
        decisions = dict(policy.ordered_decisions)
    except PolicyError:
        return  # a contradiction the config refuses
    site = dataclasses.replace(_BASE_SITE, policy=policy)
    found = read_permitted(tdmrep.render_policy(site))
    for location, decision in decisions.items():
        reserved = {u.value for u in decision.reserved}
        listed = found.get(location, set())
        assert not {COVERED_BY[p] for p in listed} & reserved, (location, reserved, listed)
        # ... and every purpose that is not reserved is listed, where tdm-reservation is 1.
        want = {p for p, use in COVERED_BY.items() if use not in reserved} if reserved else set()
        assert listed == want, (location, reserved, listed)


def test_check_reads_the_permitted_list_against_the_policy(permitted_site, tmp_path):
    (tmp_path / "public" / "index.html").write_text("<!DOCTYPE html><title>x</title><p>x")
    report = build(tmp_path / "sites.yaml")
    assert report.ok, report.render()
    site = config.load(tmp_path / "sites.yaml").sites[0]
    assert not [f for f in check_folder(site.output_dir, site).findings if f.signal == "TDM policy"]
    path = site.output_dir / "policies/tdm-policy.json"
    doc = json.loads(path.read_text())
    genai = next(
        p
        for p in doc["permission"]
        if p.get("target") == POLICY + "#/genai/"
        and p["constraint"][0]["rightOperand"] == POLICY + "#ai-input"
    )
    genai["constraint"][0]["rightOperand"] = POLICY + "#genai-train"  # reserved there
    doc["permission"] = [
        p for p in doc["permission"] if p.get("target") != POLICY + "#/input/" or p is genai
    ]
    path.write_text(json.dumps(doc))
    findings = [f for f in check_folder(site.output_dir, site).findings if f.signal == "TDM policy"]
    messages = {(f.severity, f.message) for f in findings}
    assert any(
        sev == "error" and "'/genai/' for genai-train" in msg and "reserves genai-train" in msg
        for sev, msg in messages
    ), messages
    assert any(sev == "warning" and "'/input/'" in msg for sev, msg in messages), messages
    assert any(
        sev == "warning" and "ai-input as permitted on '/genai/'" in msg for sev, msg in messages
    ), messages


def test_second_build_rewrites_no_policy_byte(permitted_site, tmp_path):
    (tmp_path / "public" / "index.html").write_text("<!DOCTYPE html><title>x</title><p>x")
    first = build(tmp_path / "sites.yaml")
    assert first.ok and first.changed > 0
    out = permitted_site.output_dir
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    second = build(tmp_path / "sites.yaml")
    assert second.ok and second.changed == 0, second.render()
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert read_permitted((out / "policies/tdm-policy.json").read_bytes())["/genai/"] == {
        "other-tdm",
        "non-genai-train",
        "ai-input",
    }
