"""The log line parsers: round trips through the formats servers write, and no input that
makes them raise (a malformed line is None, counted by the caller)."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given
from hypothesis import strategies as st

from optout_site.logs import formats

_URL = st.text(st.sampled_from("abcxyzABC0123456789-._~/%?=&+:@!$'()*,;"), min_size=0, max_size=40)
# nginx writes printable ASCII as is and escapes '"', '\' and the rest as \xHH.
_UA = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters='"\\'))
_IP = st.one_of(st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str), st.just("-"))
_WHEN = st.datetimes(
    min_value=dt.datetime(1990, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [
            dt.UTC,
            dt.timezone(dt.timedelta(hours=-7)),
            dt.timezone(dt.timedelta(hours=5, minutes=30)),
        ]
    ),
).map(lambda d: d.replace(microsecond=0))


@given(_IP, _WHEN, _URL, st.integers(100, 599), st.integers(0, 10**12), _UA)
def test_combined_round_trip(ip, when, path, status, size, ua):
    stamp = when.strftime("%d/%b/%Y:%H:%M:%S %z")
    line = f'{ip} - - [{stamp}] "GET /{path} HTTP/1.1" {status} {size} "-" "{ua}"'
    hit = formats.combined(line)
    assert hit is not None
    assert (hit.ip, hit.path, hit.status, hit.bytes, hit.ua) == (ip, f"/{path}", status, size, ua)
    assert hit.day == when.date().isoformat()
    assert formats.moment(hit.time) == when


@given(_IP, _WHEN, _URL, st.integers(100, 599), st.integers(0, 10**12), _UA)
def test_cloudflare_and_caddy_round_trip(ip, when, path, status, size, ua):
    cf = formats.cloudflare(
        json.dumps(
            {
                "ClientIP": ip,
                "ClientRequestURI": f"/{path}",
                "EdgeResponseStatus": status,
                "EdgeResponseBytes": size,
                "ClientRequestUserAgent": ua,
                "EdgeStartTimestamp": int(when.timestamp() * 1e9),
            }
        )
    )
    caddy = formats.caddy(
        json.dumps(
            {
                "ts": when.timestamp(),
                "status": status,
                "size": size,
                "request": {
                    "client_ip": ip,
                    "uri": f"/{path}",
                    "method": "GET",
                    "headers": {"User-Agent": [ua]},
                },
            }
        )
    )
    for hit in (cf, caddy):
        assert hit is not None
        assert (hit.ip, hit.path, hit.status, hit.bytes, hit.ua) == (
            ip,
            f"/{path}",
            status,
            size,
            ua,
        )
        assert formats.moment(hit.time) == when
        assert hit.day == when.astimezone(dt.UTC).date().isoformat()


@given(st.text(max_size=300))
def test_no_line_makes_a_parser_raise(line):
    mapping = {"time": "t", "ip": "i", "path": "p", "status": "s"}
    for parse in (
        formats.combined,
        formats.caddy,
        formats.cloudflare,
        formats.mapped_json(mapping),
        formats.mapped_csv(mapping, ["t", "i", "p", "s"]),
    ):
        hit = parse(line)
        assert hit is None or hit.path.startswith("/")


def test_variants_of_the_text_formats():
    base = '[10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326'
    assert formats.combined(f"127.0.0.1 - frank {base}").ua == ""  # common
    assert formats.combined(f'127.0.0.1 - - {base} "-" "UA/1"').ua == "UA/1"  # combined
    assert formats.combined(f'127.0.0.1 - - {base} "UA/1"').ua == "UA/1"  # common + agent
    vhost = formats.combined(f'www.example:443 127.0.0.1 - - {base} "-" "UA/1" 0.004')
    assert (vhost.ip, vhost.ua) == ("127.0.0.1", "UA/1")  # vhost_combined, extra field
    proxy = formats.combined(
        '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET http://h.example/x?y HTTP/1.1" 200 1'
    )
    assert proxy.path == "/x?y"
    apache_escape = formats.combined(f'1.2.3.4 - - {base} "-" "say \\"hi\\""')
    assert apache_escape.ua == 'say \\"hi\\"'
    assert formats.combined(f'1.2.3.4 - - {base.replace("200", "-")} "-" "x"') is None
    assert (
        formats.combined('1.2.3.4 - - [10/Foo/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1') is None
    )
    assert (
        formats.combined('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "\\x16\\x03\\x01" 400 150')
        is None
    )


def test_field_mapping_is_checked():
    assert formats.parse_mapping("time=a, ip=b.c,path=d,status=e") == {
        "time": "a",
        "ip": "b.c",
        "path": "d",
        "status": "e",
    }
    for bad, word in [
        ("time=a", "needs"),
        ("colour=x,time=a,ip=b,path=c,status=d", "unknown"),
        ("time", "NAME=FIELD"),
    ]:
        try:
            formats.parse_mapping(bad)
        except ValueError as exc:
            assert word in str(exc)
        else:
            raise AssertionError(bad)


def test_sniff():
    assert (
        formats.sniff('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1')
        == "combined"
    )
    assert formats.sniff('{"request": {"uri": "/"}, "ts": 1}') == "caddy"
    assert formats.sniff('{"ClientIP": "1.2.3.4", "ClientRequestUserAgent": "x"}') == "cloudflare"
    assert formats.sniff('{"x": 1}') == "json"


def test_the_command_line_offers_every_format():
    # cli/logs.py repeats the tuple so that building the parser imports no stage.
    from optout_site.cli import logs as cli_logs

    assert cli_logs.FORMATS == formats.FORMATS
