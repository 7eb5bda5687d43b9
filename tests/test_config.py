"""sites.yaml validation: every error names file, line and column, with a hint for typos."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import REPO

from optout_site import config
from optout_site.config.yamlnodes import ConfigError
from optout_site.policy import Use

GOOD = """
defaults:
  reserve: [tdm, train, ai-input]
  allow: [search]
  rightsholder:
    name: Jane Doe
    email: jane@example.com
sites:
  - name: jane
    url: https://jane.example/
    input: public
    output: out
    rules:
      - path: /press/
        allow: [tdm]
"""


@pytest.fixture
def public(tmp_path: Path) -> Path:
    (tmp_path / "public").mkdir()
    return tmp_path / "public"


def test_good_config_loads_with_paths_relative_to_the_file(write_config, public, tmp_path):
    cfg = config.load(write_config(GOOD))
    (site,) = cfg.sites
    assert site.url == "https://jane.example"
    assert site.input == public.resolve()
    assert site.output == (tmp_path / "out").resolve()
    assert site.rightsholder.name == "Jane Doe"
    assert site.policy.resolve("/x").reserved == {Use.TDM, Use.TRAIN, Use.GENAI_TRAIN, Use.AI_INPUT}
    assert site.policy.resolve("/press/a.jpg").reserved == frozenset()
    assert site.tdm_policy_url == "https://jane.example/policies/tdm-policy.json"


def test_bundled_sites_yaml_loads():
    cfg = config.load(REPO / "sites.yaml")
    assert [s.name for s in cfg.sites] == ["lea-moreau"]


SITE = """
sites:
  - name: jane
    url: https://jane.example
    input: public
    rightsholder: {name: Jane}
"""

# (yaml text, expected line, words in the message)
INVALID = [
    ("sites: [\n", 2, "YAML syntax error"),
    ("", 1, "empty"),
    ("defaults: {}\n", 1, "missing required key 'sites'"),
    ("sites: []\n", 1, "'sites' is empty"),
    ("sites: hello\n", 1, "expected a list"),
    ("site:\n  - name: x\n", 1, "did you mean 'sites'"),
    (SITE + "    reserv: [train]\n", 6, "did you mean 'reserve'"),
    (SITE + "    reserve: [trian]\n", 6, "did you mean 'train'"),
    (SITE + "    reserve: train-ai\n", 6, "expected one of"),
    (SITE + "    allow: [search]\n    reserve: [search]\n", 6, "both reserved and allowed"),
    (SITE + "    reserve: [train]\n    allow: [genai-train]\n", 7, "genai-train cannot be allowed"),
    (SITE.replace("https://jane.example", "jane.example"), 3, "absolute http(s) URL"),
    (SITE.replace("https://jane.example", "ftp://jane.example"), 3, "absolute http(s) URL"),
    (SITE.replace("input: public", "input: missing"), 4, "does not exist"),
    (SITE.replace("    input: public\n", ""), 2, "missing required key 'input'"),
    (SITE.replace("    url: https://jane.example\n", ""), 2, "missing required key 'url'"),
    (SITE.replace("name: jane", "name: 'my site!'"), 2, "must be letters"),
    (SITE.replace("{name: Jane}", "{name: Jane, email: nope}"), 5, "e-mail address"),
    (SITE.replace("{name: Jane}", "{email: j@x.org}"), 2, "rightsholder.name"),
    (SITE.replace("{name: Jane}", "{name: Jane, phne: '+33 1'}"), 5, "did you mean 'phone'"),
    (SITE + "    output: public/build\n", 6, "inside input"),
    (SITE + "    output: public\n", 6, "same folder"),
    (SITE + "    output: .\n", 6, "inside output"),
    (SITE + "    rules:\n      - path: press/\n", 7, "starting with '/'"),
    (SITE + "    rules:\n      - allow: [train]\n", 7, "missing required key 'path'"),
    (SITE + "    rules:\n      - path: /\n", 7, "site default"),
    (SITE + "    rules:\n      - {path: /a/}\n      - {path: /a/}\n", 8, "duplicate rule"),
    (SITE + "    rules:\n      - path: /a$b\n", 7, "'$' may only end"),
    (SITE + "    language: english\n", 6, "language tag"),
    (SITE + "    images: {overwrite: yes please}\n", 6, "true or false"),
    (SITE + "    tdm_policy: {duty: pay}\n", 6, "obtainConsent"),
    (SITE + "    ai_txt: {media_types: [pictures]}\n", 6, "expected one of"),
    (SITE + "    robots_meta: {bing_noarchiv: true}\n", 6, "did you mean 'bing_noarchive'"),
    (SITE + "    robots_meta: {bing_noarchive: noindex}\n", 6, "true or false"),
    (
        SITE + "  - name: jane\n    url: https://x.example\n    input: public\n"
        "    output: out\n    rightsholder: {name: X}\n",
        6,
        "duplicate site name",
    ),
    (SITE + "    name: again\n", 6, "duplicate key 'name'"),
    ("sites:\n  - 42\n", 2, "expected a site mapping"),
    ("sites:\n  - name: a\n    url: https://a.example\n    input: [x]\n", 4, "expected a string"),
]


@pytest.mark.parametrize(("text", "line", "words"), INVALID, ids=[w for *_, w in INVALID])
def test_invalid_config_names_file_and_line(write_config, public, text, line, words):
    path = write_config(text)
    with pytest.raises(ConfigError) as info:
        config.load(path)
    messages = [str(p) for p in info.value.problems]
    matching = [m for m in messages if words in m]
    assert matching, messages
    assert matching[0].startswith(f"{path}:{line}:"), messages


def test_every_problem_is_reported_at_once(write_config, public):
    text = SITE + "    reserv: [train]\n    language: 12\n"
    with pytest.raises(ConfigError) as info:
        config.load(write_config(text))
    assert len(info.value.problems) == 2


def test_missing_file_is_a_config_error_that_suggests_init(tmp_path):
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path / "nope.yaml")
    # No made-up line:column for a file that is not there.
    assert str(info.value) == (
        f"{tmp_path / 'nope.yaml'}: config file not found; run `optout-site init` to write "
        "one here, or pass the path of yours with --config"
    )


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config.load(path)
    return [str(p).removeprefix(f"{path}:") for p in info.value.problems]


def test_a_mistyped_input_is_reported_at_its_line_with_the_folder_meant(write_config, tmp_path):
    (tmp_path / "_site").mkdir()
    path = write_config(SITE.replace("input: public", "input: _sitee"))
    (problem,) = _problems(path)
    assert problem.startswith("4:12: input folder ")
    assert "(did you mean '_site'?)" in problem


def test_an_input_not_built_yet_says_to_run_the_generator(write_config, tmp_path):
    path = write_config(SITE.replace("input: public", "input: dist"))
    (problem,) = _problems(path)
    assert problem.startswith("4:12: ") and "run the generator first" in problem


def test_a_conflict_inside_defaults_is_reported_in_defaults(write_config, public):
    text = """
    defaults:
      reserve: [train]
      allow: [genai-train]
      rightsholder: {name: Jane}
    sites:
      - name: jane
        url: https://jane.example
        input: public
    """
    (problem,) = _problems(write_config(text))
    assert problem.startswith("3:10: inconsistent policy: genai-train cannot be allowed")


def test_a_conflicting_rule_is_named_at_its_line(write_config, public):
    text = (
        SITE + "    reserve: [train]\n    rules:\n      - {path: /press/, allow: [genai-train]}\n"
    )
    (problem,) = _problems(write_config(text))
    assert problem.startswith("8:9: inconsistent rule for '/press/': genai-train cannot")


def test_a_conflict_at_the_site_level_adds_no_made_up_rule_conflicts(write_config, public):
    text = (
        SITE
        + "    reserve: [train]\n    allow: [genai-train]\n"
        + "    rules:\n      - {path: /a/}\n      - {path: /b/, reserve: [tdm]}\n"
    )
    (problem,) = _problems(write_config(text))
    assert problem.startswith("7:12: inconsistent policy: genai-train cannot be allowed")


def test_policy_path_and_rule_errors_come_all_in_one_run(write_config, public):
    text = (
        SITE.replace("input: public", "input: nowhere").replace("{name: Jane}", "{url: x}")
        + "    allow: [search]\n    reserve: [search]\n"
        + "    rules:\n      - {path: /}\n      - {path: /a/, reserve: [tdm], allow: [tdm]}\n"
    )
    problems = _problems(write_config(text))
    assert [p.split(":")[0] for p in problems] == ["2", "4", "5", "6", "9", "10"], problems


def test_yaml_is_loaded_safely(write_config, public):
    text = SITE + "    language: !!python/object/apply:os.system ['echo pwned']\n"
    with pytest.raises(ConfigError, match="could not determine a constructor|language"):
        config.load(write_config(text))


def test_select_unknown_site(write_config, public):
    cfg = config.load(write_config(SITE))
    with pytest.raises(ConfigError, match="no site named 'bob'"):
        cfg.select(["bob"])


def test_alias_bomb_is_refused_quickly(write_config, public):
    # 60 sites x 60 rules x 60 uses, all aliases of one node each: 216,000 values to walk
    # from a file of a few KB. The walk stops at MAX_NODES with a located error.
    uses = ", ".join(["*u"] * 60)
    rules = ", ".join(["*rl"] * 60)
    text = (
        "x-anchors:\n"
        "  u: &u tdm\n"
        f"  rl: &rl {{path: /a/, reserve: [{uses}]}}\n"
        "  st: &st {name: s, url: 'https://a.example', input: public,"
        f" rightsholder: {{name: A}}, rules: [{rules}]}}\n"
        f"sites: [{', '.join(['*st'] * 60)}]\n"
    )
    path = write_config(text)
    with pytest.raises(ConfigError, match="aliases repeated too often") as info:
        config.load(path)
    assert str(info.value).startswith(f"{path}:")


def test_state_sweep_leaves_fresh_temp_files(tmp_path):
    import os
    import time

    from optout_site.build import atomic, state

    old, fresh = tmp_path / (atomic.TEMP_PREFIX + "old"), tmp_path / (atomic.TEMP_PREFIX + "new")
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    state.save(tmp_path / "s.json", state.State("f"))
    assert not old.exists() and fresh.exists()


# --- languages: only those with reservation page texts -------------------------------------


def test_shipped_languages_are_the_keys_of_reservation_texts():
    import yaml

    from optout_site.config import languages

    texts = REPO / "optout_site" / "templates" / "reservation_texts.yaml"
    assert set(languages.shipped_languages()) == set(yaml.safe_load(texts.read_text("utf-8")))
    assert set(languages.shipped_languages()) >= {"en", "fr", "de", "es", "it"}


@pytest.mark.parametrize("tags", ["[en, sv]", "sv", "[en, fr-FR, pt-BR]"])
def test_a_language_without_texts_is_a_located_error(write_config, public, tags):
    path = write_config(SITE + f"    language: {tags}\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    (problem,) = info.value.problems
    assert str(problem).startswith(f"{path}:6:")
    assert "no reservation page texts" in problem.message
    assert "de, en, es, fr, it" in problem.message


def test_language_in_defaults_is_checked_where_it_is_written(write_config, public):
    text = "defaults:\n  language: [fr, xx]\n" + SITE.lstrip("\n")
    path = write_config(text)
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert [str(p).split(": ", 1)[0] for p in info.value.problems] == [f"{path}:2:18"]


@pytest.mark.parametrize("tags", ["[en, fr-FR, de-CH, ES, it]", "fr"])
def test_shipped_languages_and_their_regional_variants_load(write_config, public, tags):
    (site,) = config.load(write_config(SITE + f"    language: {tags}\n")).sites
    assert site.languages == tuple(tags.strip("[]").split(", "))


def test_a_theme_may_add_a_language(write_config, public, tmp_path):
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "reservation_texts.yaml").write_text("sv:\n  title: Förbehåll\n", encoding="utf-8")
    text = SITE + f"    language: [sv, en]\n    reservation_page: {{templates: {theme}}}\n"
    (site,) = config.load(write_config(text)).sites
    assert site.languages == ("sv", "en")


# --- reservation_page.since -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["2024-05-01", "'2024-05-01'"])
def test_reserved_since_is_a_date(write_config, public, value):
    import datetime

    (site,) = config.load(write_config(SITE + f"    reservation_page: {{since: {value}}}\n")).sites
    assert site.reservation_page.since == datetime.date(2024, 5, 1)
    (plain,) = config.load(write_config(SITE)).sites
    assert plain.reservation_page.since is None


def _tomorrow() -> str:
    import datetime

    return (datetime.date.today() + datetime.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2024-13-01", "YYYY-MM-DD"),
        ("'1 May 2024'", "YYYY-MM-DD"),
        ("'20240501'", "YYYY-MM-DD"),
        ("2024-05-01 10:00:00", "a date without a time"),
        ("yes", "YYYY-MM-DD"),
        (None, "in the future"),
    ],
)
def test_reserved_since_must_be_a_past_date(write_config, public, value, words):
    value = value or _tomorrow()
    path = write_config(SITE + f"    reservation_page:\n      since: {value}\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    (problem,) = info.value.problems
    assert str(problem).startswith(f"{path}:7:14:"), problem
    assert words in problem.message


# --- rightsholder.phone: an RFC 3966 tel: URI ----------------------------------------------

PHONE_SITE = """
sites:
  - name: jane
    url: https://jane.example
    input: public
    rightsholder:
      name: Jane
      phone: {phone}
      address: {{locality: Lyon, country: {country}}}
"""


@pytest.mark.parametrize(
    ("phone", "country", "shown", "tel"),
    [
        ("'+33 1 23 45 67 89'", "France", "+33 1 23 45 67 89", "tel:+33123456789"),
        ("'tel:+33-1-23-45-67-89'", "France", "+33-1-23-45-67-89", "tel:+33123456789"),
        ("'+33 (0)1 23 45 67 89'", "France", "+33 1 23 45 67 89", "tel:+33123456789"),
        ("'+1 (555) 010-0199'", "US", "+1 (555) 010-0199", "tel:+15550100199"),
        ("'+49.89.1234567'", "DE", "+49.89.1234567", "tel:+49891234567"),
        ("'01 23 45 67 89'", "FR", "+33 1 23 45 67 89", "tel:+33123456789"),
        ("'01.23.45.67.89'", "fr", "+33 1.23.45.67.89", "tel:+33123456789"),
        ("'06 5555 0100'", "IT", "+39 06 5555 0100", "tel:+390655550100"),
        ("'(555) 010-0199'", "CA", "+1 (555) 010-0199", "tel:+15550100199"),
        ("'1-555-010-0199'", "US", "+1 555-010-0199", "tel:+15550100199"),
        ("'06 1 234 5678'", "HU", "+36 1 234 5678", "tel:+3612345678"),
        ("'020 7946 0000'", "GB", "+44 20 7946 0000", "tel:+442079460000"),
    ],
)
def test_phone_becomes_a_tel_uri(write_config, public, phone, country, shown, tel):
    (site,) = config.load(write_config(PHONE_SITE.format(phone=phone, country=country))).sites
    assert site.rightsholder.phone == shown
    assert site.rightsholder.tel == tel


def test_national_phone_takes_the_country_from_defaults(write_config, public):
    text = "defaults:\n  rightsholder: {name: Jane, address: {country: BE}}\n" + SITE.lstrip(
        "\n"
    ).replace("{name: Jane}", "{phone: '02 555 01 99'}")
    (site,) = config.load(write_config(text)).sites
    assert site.rightsholder.tel == "tel:+3225550199"
    assert site.rightsholder.phone == "+32 2 555 01 99"


@pytest.mark.parametrize(
    ("phone", "country", "words"),
    [
        ("'01 23 45 67 89'", "France", "international form (+33"),
        ("'01 23 45 67 89'", "BR", "international form"),
        ("'0033 1 23 45 67 89'", "FR", "'+' instead of '00'"),
        ("'089 / 123 456'", "DE", "expected a phone number"),
        ("'+33 1 23 45 67 89 ext. 2'", "FR", "expected a phone number"),
        ("'+33 1 23 +45'", "FR", "expected a phone number"),
        ("'+1234'", "FR", "7 to 15 digits"),
        ("'+33 1 23 45 67 89 12 34 56'", "FR", "7 to 15 digits"),
        ("'tel:'", "FR", "expected a phone number"),
    ],
)
def test_unusable_phone_is_a_located_error(write_config, public, phone, country, words):
    path = write_config(PHONE_SITE.format(phone=phone, country=country))
    with pytest.raises(ConfigError) as info:
        config.load(path)
    (problem,) = info.value.problems
    assert str(problem).startswith(f"{path}:7:14:"), problem
    assert words in problem.message, problem


# --- a site that reserves nothing by mistake --------------------------------------------

_BARE = """
sites:
  - name: s
    url: https://s.example
    input: public
    rightsholder: {name: S}
"""


def test_a_site_without_reserve_reserves_the_ai_uses(tmp_path, write_config):
    """Forgetting the key must not publish a blanket permission."""
    (tmp_path / "public").mkdir()
    policy = config.load(write_config(_BARE)).sites[0].policy
    assert policy.default.reserved == {Use.TDM, Use.TRAIN, Use.GENAI_TRAIN, Use.AI_INPUT}
    assert not policy.default.reserves(Use.SEARCH)
    # An allow without a reserve narrows that default instead of contradicting it.
    allowed = config.load(write_config(_BARE + "    allow: [ai-input]\n")).sites[0].policy
    assert allowed.default.reserved == {Use.TDM, Use.TRAIN, Use.GENAI_TRAIN}


def test_reserving_nothing_anywhere_needs_an_acknowledgement(tmp_path, write_config):
    (tmp_path / "public").mkdir()
    with pytest.raises(config.ConfigError, match=r"sites.yaml:6:14: .*reserves no use") as err:
        config.load(write_config(_BARE + "    reserve: []\n"))
    assert "acknowledge: [no-reservation]" in str(err.value)
    # A permissive default with a reserved folder reserves something: no acknowledgement.
    rules = _BARE + "    reserve: []\n    rules:\n      - {path: /blog/, reserve: [tdm]}\n"
    assert config.load(write_config(rules)).sites[0].policy.resolve("/blog/x").reserves(Use.TDM)
    acknowledged = _BARE + "    reserve: []\n    acknowledge: [no-reservation]\n"
    assert not config.load(write_config(acknowledged)).sites[0].policy.default.reserved


def test_bing_noarchive_is_off_unless_set_and_merges_from_defaults(write_config, public):
    assert not config.load(write_config(SITE)).sites[0].robots_meta.bing_noarchive
    on = config.load(write_config(SITE + "    robots_meta: {bing_noarchive: true}\n"))
    assert on.sites[0].robots_meta.bing_noarchive
    merged = "defaults:\n  robots_meta: {bing_noarchive: true}\n" + SITE
    assert config.load(write_config(merged)).sites[0].robots_meta.bing_noarchive
    site_off = merged + "    robots_meta: {bing_noarchive: false}\n"
    assert not config.load(write_config(site_off)).sites[0].robots_meta.bing_noarchive


@pytest.mark.parametrize(
    ("extra", "where", "message"),
    [
        ("    tdm_policy: {path: /robots.txt}\n", "6:24", "writes robots.txt"),
        ("    rsl: {enabled: true, path: /ai.txt}\n", "6:32", "writes ai.txt"),
        (
            "    rsl: {enabled: true, path: /policies/tdm-policy.json}\n",
            "6:32",
            "writes the tdm policy",
        ),
        ("    reservation_page: {path: /.well-known/tdmrep.json}\n", "6:30", "tdmrep.json"),
    ],
)
def test_generated_files_may_not_share_a_path(tmp_path, write_config, extra, where, message):
    """tdm_policy.path: /robots.txt used to drop the policy silently."""
    (tmp_path / "public").mkdir()
    with pytest.raises(config.ConfigError, match=rf"sites.yaml:{where}: .*{message}"):
        config.load(write_config(_BARE.lstrip("\n") + extra))


@pytest.mark.parametrize("char", ["\ufffe", "\uffff", "\x01"])
def test_characters_xml_cannot_carry_are_refused_at_their_line(tmp_path, write_config, char):
    """U+FFFE passed validation, then crashed the build inside the XMP writer."""
    (tmp_path / "public").mkdir()
    text = _BARE.replace("{name: S}", '{name: "S' + f"\\u{ord(char):04x}" + '"}')
    with pytest.raises(config.ConfigError, match=rf"sites.yaml:5:\d+: .*U\+{ord(char):04X}"):
        config.load(write_config(text))


def test_an_output_in_another_sites_input_is_refused(tmp_path, write_config):
    """Site A's output inside site B's in-place input: the builds never converged."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    text = (
        "sites:\n"
        "  - {name: a, url: 'https://a.example', input: a, output: b/mirror,"
        " rightsholder: {name: A}}\n"
        "  - {name: b, url: 'https://b.example', input: b, rightsholder: {name: B}}\n"
    )
    with pytest.raises(
        config.ConfigError, match=r"sites.yaml:2:\d+: .*overlaps the input of site 'b'"
    ):
        config.load(write_config(text))


@pytest.mark.parametrize("output", ["~", "/", "/etc", "/home/someone"])
def test_a_home_or_system_folder_is_never_an_output(tmp_path, write_config, output):
    (tmp_path / "public").mkdir()
    text = _BARE + f'    output: "{output}"\n'
    with pytest.raises(config.ConfigError, match=r"sites.yaml:6:\d+: .*home or system folder"):
        config.load(write_config(text))


def test_init_placeholders_are_refused_until_replaced(tmp_path, monkeypatch, capsys):
    """optout-site init && optout-site build --check went out saying '© Your Name'."""
    from optout_site.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "public").mkdir()
    assert main(["init"]) == 0
    assert main(["build"]) == 2
    err = capsys.readouterr().err
    for key in ("url", "rightsholder.name", "rightsholder.email", "rightsholder.url"):
        assert re.search(rf"sites.yaml:\d+:\d+: {re.escape(key)} is still the placeholder", err), (
            key
        )
    text = (tmp_path / "sites.yaml").read_text()
    for old, new in (
        ("https://www.example.com/about/", "https://jo.example/about/"),
        ("https://www.example.com", "https://jo.example"),
        ("Your Name", "Jo Photo"),
        ("rights@example.com", "jo@jo.example"),
    ):
        text = text.replace(old, new)
    (tmp_path / "sites.yaml").write_text(text)
    assert main(["build", "-q"]) == 0
