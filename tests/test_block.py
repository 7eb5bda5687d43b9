"""``block:``: who is refused, what stays readable, and the config that asks for it.

The servers themselves are in test_block_servers.py; here the decisions and the files.
"""

from __future__ import annotations

import re

import pytest
from support import load_site

from optout_site.config import BlockConfig, ConfigError
from optout_site.errors import SignalError
from optout_site.hosts import apache, block, blockfiles, caddy, nginx, render_all
from optout_site.signals.robots import uamatch

BASE = """
sites:
  - name: lea
    url: https://lea.example
    input: public
    hosts: [nginx, apache, caddy, netlify, vercel, cloudflare, haproxy, lighttpd]
    rightsholder: {name: Lea}
"""


def _site(tmp_path, extra: str):
    return load_site(tmp_path, BASE + extra)


def test_categories_expand_to_registry_tokens_and_names_pass_through(tmp_path):
    site = _site(tmp_path, "    block: {agents: [dataset, img2dataset]}\n")
    plan = block.plan(site)
    assert "CCBot" in plan.tokens and "img2dataset" in plan.tokens
    assert "GPTBot" not in plan.tokens  # train was not asked for
    assert plan.status == 403


def test_exempt_paths_are_what_explains_the_refusal(tmp_path):
    site = _site(tmp_path, "    language: [en, fr]\n    block: {agents: [GPTBot]}\n")
    assert block.plan(site).exempt == (
        "/robots.txt",
        "/.well-known/tdmrep.json",
        "/policies/tdm-policy.json",
        "/ai-reservation/",
        "/ai-reservation/index.html",
        "/ai-reservation",
        "/ai-reservation/fr/",
        "/ai-reservation/fr/index.html",
        "/ai-reservation/fr",
    )
    assert block.plan(site).link == "https://lea.example/ai-reservation/"


@pytest.mark.parametrize("category", ["search-engine", "preview"])
def test_search_engines_and_previews_are_never_a_category_to_refuse(tmp_path, category):
    site = _site(tmp_path, f"    block: {{agents: [{category}]}}\n")
    with pytest.raises(SignalError, match="never refused"):
        block.plan(site)


def test_a_named_search_engine_the_policy_allows_is_refused_with_a_reason(tmp_path):
    site = _site(tmp_path, "    block: {agents: [GPTBot, Googlebot]}\n")
    with pytest.raises(SignalError, match="Googlebot is a search-engine agent"):
        block.plan(site)
    # Shut out in robots.txt already: then the server may refuse it too.
    site = _site(tmp_path, "    agents: {block: [Googlebot]}\n    block: {agents: [Googlebot]}\n")
    assert block.plan(site).tokens == ("Googlebot",)


def test_a_generic_token_that_would_hit_a_search_engine_is_left_out(tmp_path):
    site = _site(tmp_path, "    block: {agents: [train]}\n")
    plan = block.plan(site)
    assert "Spider" not in plan.tokens  # "Sogou web spider", Baidu's ".../spider.html"
    assert any(note.startswith("Spider ") for note in plan.left_out)
    with pytest.raises(SignalError, match="would also refuse"):
        block.plan(_site(tmp_path, "    block: {agents: [Spider]}\n"))


def test_no_refused_token_matches_a_spared_user_agent(tmp_path):
    site = _site(tmp_path, "    block: {agents: [train, dataset, ai-search, user-fetch, agent]}\n")
    regex = re.compile(block.plan(site).user_agents, re.IGNORECASE)
    for user_agent in block.SPARED:
        assert not regex.search(user_agent), user_agent


def test_agents_allow_keeps_a_token_out_of_a_category(tmp_path):
    site = _site(tmp_path, "    agents: {allow: [CCBot]}\n    block: {agents: [dataset]}\n")
    assert "CCBot" not in block.plan(site).tokens


def test_the_refusal_body_links_the_page_and_needs_no_escaping(tmp_path):
    site = _site(
        tmp_path, "    reservation_page: {path: /r%C3%A9serve/}\n    block: {agents: [GPTBot]}\n"
    )
    body = block.plan(site).body
    assert "<a href=https://lea.example/r&#37;C3&#37;A9serve/>" in body
    assert not set(body) & set("\"$%{}\\`'\n")


def test_without_block_the_header_configs_are_unchanged(tmp_path):
    plain = load_site(tmp_path, BASE.replace(", haproxy, lighttpd", ""))
    for module in (nginx, apache, caddy):
        text = module.render(plain, None).decode()
        assert "optout_refuse" not in text and "Redirect" not in text and "refused" not in text
    assert set(render_all(plain, lambda name: None)) == {
        "optout-site.nginx.conf",
        ".htaccess",
        "optout-site.Caddyfile",
        "_headers",
        "vercel.json",
    }


def test_with_block_every_host_gets_its_refusal_and_rebuilds_change_nothing(tmp_path):
    site = _site(tmp_path, "    block: {agents: [GPTBot], status: 451}\n")
    first = render_all(site, lambda name: None)
    assert set(first) >= set(blockfiles.FILES.values())
    again = render_all(site, lambda name: first[name])
    assert again == first
    for name, content in first.items():
        assert isinstance(content, bytes), (name, content)
        if name != "_headers" and name != "vercel.json":
            assert b"GPTBot" in content and b"451" in content, name


def test_the_users_own_lines_are_kept(tmp_path):
    site = _site(tmp_path, "    block: {agents: [GPTBot]}\n")
    mine = b"acl mine path /x\nhttp-request deny if mine\n"
    out = blockfiles.haproxy(site, mine)
    assert out.endswith(mine) and b"optout_refused_agent" in out
    with pytest.raises(SignalError, match="not ours"):
        blockfiles.vercel(site, b"export default function m() {}\n")


def test_cloudflare_expression_matches_like_uamatch(tmp_path):
    site = _site(tmp_path, "    block: {agents: [train, dataset, img2dataset]}\n")
    plan = block.plan(site)
    expression = blockfiles.cloudflare_expression(plan)
    assert len(expression) <= blockfiles.CLOUDFLARE_MAX_EXPRESSION
    regex = re.search(r'matches r"\(\?i\)(.*?)" and', expression).group(1)
    assert regex == uamatch.pattern(plan.tokens)
    assert 'not http.request.uri.path in {"/robots.txt" "/.well-known/tdmrep.json"' in expression


def test_block_config_is_checked_where_it_is_written(tmp_path):
    with pytest.raises(ConfigError, match=r"sites.yaml:\d+:\d+: .*expected one of 403, 402, 451"):
        _site(tmp_path, "    block: {agents: [GPTBot], status: 404}\n")
    with pytest.raises(ConfigError, match="neither a category"):
        _site(tmp_path, "    block: {agents: [GPT Bot]}\n")
    with pytest.raises(ConfigError, match="need `block:`"):
        _site(tmp_path, "")


def test_block_in_defaults_is_merged_into_each_site(tmp_path):
    site = load_site(
        tmp_path,
        """
defaults:
  block: {agents: [GPTBot, CCBot]}
sites:
  - name: lea
    url: https://lea.example
    input: public
    hosts: [nginx]
    rightsholder: {name: Lea}
    block: {status: 451}
""",
    )
    assert site.block == BlockConfig(("GPTBot", "CCBot"), 451)


def test_block_without_agents_is_refused_where_it_is_written(tmp_path):
    with pytest.raises(ConfigError, match=r"sites.yaml:\d+:\d+: block needs `agents`"):
        _site(tmp_path, "    block: {status: 451}\n")
