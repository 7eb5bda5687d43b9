"""YAML 1.1 merge keys in sites.yaml (``<<: *base``): merged as the YAML merge spec says,
then checked like any other keys (unknown keys, duplicates), every error at the line and
column where the offending text is written."""

from __future__ import annotations

import json
import textwrap

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from optout_site import config
from optout_site.config import yamlnodes

BASE = """
defaults:
  rightsholder: {name: Jane}
sites:
  - &base
    name: a
    url: https://a.example
    input: public
    reserve: [tdm, train]
    hosts: [netlify]
"""


def _load(tmp_path, text: str) -> config.Config:
    (tmp_path / "public").mkdir(exist_ok=True)
    path = tmp_path / "sites.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return config.load(path)


def _problems(tmp_path, text: str) -> list[str]:
    with pytest.raises(config.ConfigError) as info:
        _load(tmp_path, text)
    return [f"{p.line}:{p.column}: {p.message}" for p in info.value.problems]


def test_a_site_merges_another_and_overrides_what_it_sets(tmp_path):
    cfg = _load(tmp_path, BASE + "  - <<: *base\n    name: b\n    output: out\n")
    a, b = cfg.sites
    assert (b.name, b.url, b.hosts, b.output) == ("b", a.url, a.hosts, tmp_path / "out")
    assert b.policy == a.policy


def test_a_list_of_merges_the_earlier_wins(tmp_path):
    text = """
    defaults: {rightsholder: {name: Jane}}
    sites:
      - &one {name: one, url: "https://one.example", input: public, output: o1, hosts: [vercel]}
      - &two {name: two, url: "https://two.example", input: public, output: o2, hosts: [nginx]}
      - <<: [*one, *two]
        name: three
        output: o3
    """
    three = _load(tmp_path, text).sites[2]
    assert (three.url, three.hosts) == ("https://one.example", ("vercel",))


def test_merges_nest_and_a_merge_of_itself_ends(tmp_path):
    text = """
    defaults: &d
      <<: *d
      rightsholder: &holder {name: Jane}
    sites:
      - name: a
        url: https://a.example
        input: public
        rightsholder: {<<: *holder, email: jane@a.example}
    """
    holder = _load(tmp_path, text).sites[0].rightsholder
    assert (holder.name, holder.email) == ("Jane", "jane@a.example")


def test_unknown_keys_in_a_merged_mapping_are_reported_once_where_written(tmp_path):
    problems = _problems(
        tmp_path, BASE.replace("hosts:", "hostz:") + "  - {<<: *base, name: b, output: o}\n"
    )
    assert len(problems) == 1, problems
    assert problems[0].startswith("9:5: unknown key 'hostz' (did you mean 'hosts'?)")


def test_duplicate_keys_are_still_refused_after_a_merge(tmp_path):
    text = BASE + "  - <<: *base\n    name: b\n    output: out\n    name: c\n"
    problems = _problems(tmp_path, text)
    assert problems == ["13:5: duplicate key 'name' (first at line 11)"]


@pytest.mark.parametrize(
    ("merge", "where", "got"),
    [("3", "10:9", "int '3'"), ("[*base, x]", "10:17", "str 'x'"), ("[[]]", "10:10", "a list")],
)
def test_merging_something_else_than_a_mapping_is_refused_at_it(tmp_path, merge, where, got):
    problems = _problems(tmp_path, BASE + f"  - <<: {merge}\n    name: b\n")
    assert any(p.startswith(f"{where}: '<<' merges a mapping") and got in p for p in problems), (
        problems
    )


def test_a_quoted_double_angle_is_a_plain_key(tmp_path):
    problems = _problems(tmp_path, BASE + "  - {'<<': *base, name: b}\n")
    assert any(p.startswith("10:6: unknown key '<<'") for p in problems), problems


def test_merged_pairs_follow_the_yaml_merge_spec():
    # The examples of https://yaml.org/type/merge.html, checked against PyYAML's own merge.
    text = """
    - &CENTER {x: 1, y: 2}
    - &LEFT {x: 0, y: 2}
    - &BIG {r: 10}
    - &SMALL {r: 1}
    - x: 1
      y: 2
      r: 10
      label: center/big
    - <<: *CENTER
      r: 10
      label: center/big
    - <<: [*CENTER, *BIG]
      label: center/big
    - <<: [*BIG, *LEFT, *SMALL]
      x: 1
      label: center/big
    """
    text = textwrap.dedent(text)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    expected = yaml.safe_load(text)
    for node, want in zip(root.value, expected, strict=True):
        pairs = yamlnodes.merged(node)
        got = {k.value: yaml.safe_load(yaml.serialize(v)) for k, v in pairs}
        assert got == want
    assert all(want == expected[4] for want in expected[4:])


_KEYS = st.sampled_from("abcde")
_MAPS = st.dictionaries(_KEYS, st.integers(0, 9), max_size=4)


@given(bases=st.lists(_MAPS, min_size=1, max_size=4), own=_MAPS, data=st.data())
def test_merged_pairs_agree_with_pyyaml_on_generated_merges(bases, own, data):
    picks = data.draw(st.lists(st.integers(0, len(bases) - 1), min_size=1, max_size=4))
    lines = [f"- &m{i} {json.dumps(base)}" for i, base in enumerate(bases)]
    merge = "[" + ", ".join(f"*m{i}" for i in picks) + "]"
    lines.append(f"- {{<<: {merge}{''.join(f', {k}: {v}' for k, v in own.items())}}}")
    text = "\n".join(lines) + "\n"
    node = yaml.compose(text, Loader=yaml.SafeLoader).value[-1]
    got = {k.value: int(v.value) for k, v in yamlnodes.merged(node)}
    assert got == yaml.safe_load(text)[-1]
    assert len(got) == len(yamlnodes.merged(node))  # each key once
