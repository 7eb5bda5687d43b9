"""A site URL with a non-ASCII host (``https://bücher.example/``) reaches every signal and
server config in its ASCII form: the host in punycode (IDNA 2008), the path percent-encoded."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from support import load_site

from optout_site import config, hosts
from optout_site.build.sitefiles import site_files
from optout_site.config import urls
from optout_site.config.yamlnodes import Invalid
from optout_site.signals import headers, image_rights, page_tags

SITE = """
sites:
  - name: buecher
    url: %s
    input: public
    hosts: [netlify, vercel, apache, nginx, caddy]
    rsl: {enabled: true}
    rightsholder: {name: Jörg, url: "https://jörg.example/über/"}
    rules:
      - {path: /press/, allow: [tdm, train, ai-input]}
"""


def test_idn_host_is_written_in_punycode_in_every_signal_and_config(tmp_path):
    site = load_site(tmp_path, SITE % "https://Bücher.example/~jane/café/")
    assert site.url == "https://xn--bcher-kva.example/~jane/caf%C3%A9"
    assert site.rightsholder.url == "https://xn--jrg-sna.example/%C3%BCber/"
    files, _, _ = site_files(site, site.input)
    rendered = {str(rel): data for rel, data in files.items()}
    rendered |= {n: d for n, d in hosts.render_all(site, lambda _: None).items()}
    decision = site.policy.resolve("/")
    rendered["headers"] = repr(headers.rules(site)).encode()
    rendered["page"] = repr(page_tags.wanted(site, decision)).encode()
    rendered["image"] = repr(image_rights.for_decision(site, decision)).encode()
    for name in ("_headers", "vercel.json", ".htaccess", "optout-site.nginx.conf", "headers"):
        assert b"xn--bcher-kva.example" in rendered[name], name
    for name, data in rendered.items():
        assert isinstance(data, bytes), (name, data)
        text = data.decode("utf-8")
        for raw in ("bücher", "Bücher", "jörg", "café", "über"):
            assert raw not in text, (name, raw)


def test_idna_2008_not_2003(tmp_path):
    # IDNA 2003 (Python's "idna" codec) maps ß to ss: another domain, not the site's.
    site = load_site(tmp_path, SITE % "https://faß.de")
    assert site.url == "https://xn--fa-hia.de"


def test_ascii_url_is_kept_as_written(tmp_path):
    site = load_site(tmp_path, SITE % "https://WWW.Example.com:8443/a%20b")
    assert site.url == "https://WWW.Example.com:8443/a%20b"


@pytest.mark.parametrize("url", ["https://☃.example", "https://xn--a.example.ü"])
def test_a_host_idna_refuses_is_a_located_config_error(tmp_path, url):
    with pytest.raises(
        config.ConfigError, match=r"sites.yaml:4:10: .*not a valid internationalised"
    ):
        load_site(tmp_path, SITE % url)


@given(st.text(st.characters(categories=["Ll", "Lu", "Lo"], max_codepoint=0x2FFF), max_size=12))
def test_to_ascii_gives_ascii_and_is_idempotent(label):
    url = f"https://{label}.example/{label}/"
    try:
        out = urls.to_ascii(url)
    except Invalid:
        assume(False)
    assert out.isascii()
    assert urls.to_ascii(out) == out
