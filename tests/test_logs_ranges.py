"""The crawler IP ranges: the packaged dated snapshot, the verdicts it gives, and
`agents ranges --update` against operators' files served on loopback."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from logtraffic import GPTBOT, _t, combined
from logtraffic import Req as R
from support import examples, run_cli, serve_files

from optout_site.logs import ranges
from optout_site.logs.ranges import SPOOFED, UNVERIFIABLE, VERIFIED, Ranges, Source
from optout_site.signals.robots import agents

BYTESPIDER = "Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def test_packaged_snapshot_verifies_and_accuses():
    snapshot = ranges.load()
    assert snapshot.origin == "packaged snapshot"
    # 20.171.206.0/24 is in OpenAI's gptbot.json; 45.9.9.9 is in none of its files.
    assert snapshot.verify("GPTBot", "20.171.206.9") == VERIFIED
    assert snapshot.verify("GPTBot", "::ffff:20.171.206.9") == VERIFIED  # v4-mapped v6
    assert snapshot.verify("GPTBot", "45.9.9.9") == SPOOFED
    assert snapshot.verify("OAI-SearchBot", "20.171.206.9") == SPOOFED  # another file
    # IPv6: Google publishes 2001:4860:4801:10::/64 for its common crawlers.
    assert snapshot.verify("Googlebot", "2001:4860:4801:10::1") == VERIFIED
    assert snapshot.verify("Googlebot", "2001:db8::1") == SPOOFED
    assert snapshot.verify("Googlebot", "66.249.66.1") == VERIFIED
    # No published ranges (Bytespider), no copy of them (CCBot), or a partial one
    # (Applebot: Apple's /8 only): never spoofed.
    assert snapshot.verify("Bytespider", "45.9.9.9") == UNVERIFIABLE
    assert snapshot.verify("CCBot", "45.9.9.9") == UNVERIFIABLE
    assert snapshot.verify("Applebot", "17.58.0.1") == VERIFIED
    assert snapshot.verify("Applebot", "45.9.9.9") == UNVERIFIABLE
    # One of Google's two user-triggered files is missing: those fetchers are never accused.
    assert snapshot.coverage("Google-Read-Aloud") == "partial"
    assert snapshot.verify("Google-Read-Aloud", "45.9.9.9") == UNVERIFIABLE
    assert snapshot.verify("GPTBot", "not an address") == UNVERIFIABLE


def test_packaged_snapshot_is_dated_and_sourced():
    snapshot = ranges.load()
    registry = agents.registry_for(None)
    complete = [s for s in snapshot.sources if s.complete]
    assert {s.url for s in complete} >= {
        "https://openai.com/gptbot.json",
        "https://openai.com/searchbot.json",
        "https://openai.com/chatgpt-user.json",
        "https://developers.google.com/static/crawling/ipranges/common-crawlers.json",
    }
    for s in complete:
        # A complete copy says when it was taken, what the operator dated it, and where
        # it came from (a mirror repository and its commit).
        assert s.prefixes and s.via and " at commit " in s.via
        dt.date.fromisoformat(s.fetched or "")
        dt.datetime.fromisoformat(s.created or "")
    for s in snapshot.sources:
        # A token the registry does not know would never match a request: a typo here
        # would silently leave a crawler unverified.
        unknown = [t for t in s.tokens if registry.get(t) is None]
        assert not unknown, (s.url, unknown)
        for prefix in s.prefixes:
            ipaddress.ip_network(prefix)  # strict: no host bits set in the shipped data


def test_audit_with_the_packaged_snapshot(tmp_path, capsys):
    log = tmp_path / "access.log"
    traffic = [
        R("20.171.206.9", _t(28, 10), "/", 200, 10, GPTBOT),
        R("45.9.9.9", _t(28, 11), "/", 200, 10, GPTBOT),
        R("2001:4860:4801:10::1", _t(28, 12), "/", 200, 10, GOOGLEBOT),
        R("45.9.9.8", _t(28, 13), "/", 200, 10, BYTESPIDER),
    ]
    log.write_text("".join(combined(r) + "\n" for r in traffic), encoding="utf-8")
    capsys.readouterr()
    assert run_cli(["logs", str(log), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    seen = {a["token"]: a for a in data["agents"]}
    assert (seen["GPTBot"]["verified"], seen["GPTBot"]["spoofed"]) == (1, 1)
    assert seen["GPTBot"]["ranges"] == "complete"
    assert seen["Googlebot"]["verified"] == 1
    assert (seen["Bytespider"]["unverifiable"], seen["Bytespider"]["ranges"]) == (1, "none")
    capsys.readouterr()
    run_cli(["logs", str(log)])
    text = capsys.readouterr().out
    assert "no complete published ranges for Bytespider," in text


def _reference(prefixes: list[str], address: str, mapped: bool = False) -> bool:
    ip = ipaddress.ip_address(address)
    if mapped and isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # a v4 client seen through a v6 socket is that v4 client
    return any(ip in ipaddress.ip_network(p, strict=False) for p in prefixes)


_v4_net = st.builds(
    lambda a, n: f"{ipaddress.IPv4Address(a)}/{n}",
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)
_v6_net = st.builds(
    lambda a, n: f"{ipaddress.IPv6Address(a)}/{n}",
    st.integers(0, 2**128 - 1),
    st.integers(0, 128),
)
_v4 = st.integers(0, 2**32 - 1).map(lambda a: str(ipaddress.IPv4Address(a)))
_v6 = st.integers(0, 2**128 - 1).map(lambda a: str(ipaddress.IPv6Address(a)))


@settings(max_examples=examples(300), deadline=None)
@given(
    prefixes=st.lists(st.one_of(_v4_net, _v6_net), max_size=12),
    probes=st.lists(st.one_of(_v4, _v6), min_size=1, max_size=8),
    data=st.data(),
)
def test_prefix_table_agrees_with_ipaddress(prefixes, probes, data):
    # Probe the edges too: each network's first and last address, and one past them.
    for p in prefixes:
        net = ipaddress.ip_network(p, strict=False)
        top = 2**net.max_prefixlen - 1
        for value in (int(net.network_address), int(net.broadcast_address)):
            for edge in (value - 1, value, value + 1):
                if 0 <= edge <= top:
                    kind = ipaddress.IPv4Address if net.version == 4 else ipaddress.IPv6Address
                    probes.append(str(kind(edge)))
    source = Source("Op", "https://op.example/bot.json", ("GPTBot",), tuple(prefixes), True)
    table = Ranges("2026-12-02", (source,), "test")
    for address in probes:
        assert source.contains(ipaddress.ip_address(address)) is _reference(prefixes, address)
        inside = _reference(prefixes, address, mapped=True)
        assert table.verify("GPTBot", address) == (VERIFIED if inside else SPOOFED)
    complete = data.draw(st.booleans())
    partial = Source("Op", "https://op.example/b.json", ("GPTBot",), (), complete)
    both = Ranges("2026-12-02", (source, partial), "test")
    for address in probes:
        inside = _reference(prefixes, address, mapped=True)
        expected = VERIFIED if inside else SPOOFED if complete else UNVERIFIABLE
        assert both.verify("GPTBot", address) == expected
        assert both.verify("Bytespider", address) == UNVERIFIABLE


# --- agents ranges --update, against the operators' formats served on loopback --------

GPTBOT_JSON = {
    "creationTime": "2026-11-30T11:00:00.000000",
    "prefixes": [{"ipv4Prefix": "192.0.2.0/25"}, {"ipv6Prefix": "2001:db8:1::/48"}],
}
# Google's files carry both families, and entries with both keys do not occur; Bing's
# have no IPv6. The same reader takes all of them.
GOOGLE_JSON = {
    "creationTime": "2026-11-29T14:45:42.000000",
    "prefixes": [{"ipv6Prefix": "2001:db8:66::/64"}, {"ipv4Prefix": "198.51.100.0/27"}],
}


def _sources(base: str) -> dict:
    return {
        "date": "2026-01-01",
        "operators": [
            {
                "operator": "OpenAI",
                "sources": [
                    {"url": f"{base}/gptbot.json", "tokens": ["GPTBot"], "prefixes": []},
                ],
            },
            {
                "operator": "Google",
                "sources": [
                    {
                        "url": f"{base}/common-crawlers.json",
                        "tokens": ["Googlebot"],
                        "reverse_dns": ["googlebot.com"],
                    },
                ],
            },
            {
                "operator": "Common Crawl",
                "sources": [
                    # Gone (404): keeps what it had, partial as it was.
                    {"url": f"{base}/ccbot.json", "tokens": ["CCBot"], "prefixes": ["3.0.0.0/8"]},
                    # Not the layout: kept too.
                    {"url": f"{base}/html", "tokens": ["CCBot"], "prefixes": []},
                ],
            },
        ],
    }


def test_update_fetches_every_source_and_audits_with_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    files = {
        "/gptbot.json": json.dumps(GPTBOT_JSON).encode(),
        "/common-crawlers.json": json.dumps(GOOGLE_JSON, indent=2).encode(),
        "/html": b"<!doctype html><p>moved</p>",
    }
    with serve_files(files) as base:
        listing = tmp_path / "sources.json"
        listing.write_text(json.dumps(_sources(base)), encoding="utf-8")
        capsys.readouterr()
        assert run_cli(["agents", "ranges", "--update", "--ranges", str(listing)]) == 0
        out = capsys.readouterr().out
        elsewhere = tmp_path / "elsewhere.json"
        argv = ["agents", "ranges", "--update", "--ranges", str(listing), "--to", str(elsewhere)]
        assert run_cli(argv) == 0
    assert ranges.load(elsewhere).sources == ranges.load().sources
    assert f"{base}/gptbot.json: 2 prefixes" in out
    assert f"{base}/ccbot.json: kept the previous data (HTTP Error 404" in out
    assert f"{base}/html: kept the previous data" in out
    written = ranges.updated_path()
    assert written == tmp_path / "cache" / "optout-site" / "ipranges.json"
    fresh = ranges.load()  # the update is what later audits read
    assert fresh.origin == str(written)
    today = dt.date.today().isoformat()
    gpt, google, cc, html = fresh.sources
    assert (gpt.complete, gpt.fetched, gpt.created) == (True, today, GPTBOT_JSON["creationTime"])
    assert gpt.prefixes == ("192.0.2.0/25", "2001:db8:1::/48")
    assert gpt.via == f"fetched from {base}/gptbot.json"
    assert google.prefixes == ("2001:db8:66::/64", "198.51.100.0/27")
    assert google.reverse_dns == ("googlebot.com",)
    assert (cc.complete, cc.prefixes, cc.fetched) == (False, ("3.0.0.0/8",), None)
    assert (html.complete, html.prefixes) == (False, ())
    assert fresh.verify("GPTBot", "2001:db8:1::9") == VERIFIED
    assert fresh.verify("GPTBot", "20.171.206.9") == SPOOFED  # not in *this* copy

    log = tmp_path / "access.log"
    log.write_text(
        combined(R("192.0.2.9", _t(28, 10), "/", 200, 10, GPTBOT))
        + "\n"
        + combined(R("20.171.206.9", _t(28, 11), "/", 200, 10, GPTBOT))
        + "\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    run_cli(["logs", str(log), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["ranges"]["origin"] == str(written)
    (gptbot,) = data["agents"]
    assert (gptbot["verified"], gptbot["spoofed"]) == (1, 1)
