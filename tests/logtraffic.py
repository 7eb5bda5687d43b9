"""Known traffic for the log audit tests, written in every format `optout-site logs` reads.

Each request is a plain tuple; writers turn the same list into nginx ``combined``,
Apache ``common``+agent, Caddy JSON, Cloudflare Logpush JSON and a CSV export, so every
format must give the same audit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import NamedTuple

# Real user agents, as the operators document them.
GPTBOT = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CCBOT = "CCBot/2.0 (https://commoncrawl.org/faq/)"
CHATGPT_USER = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
REQUESTS = "python-requests/2.31.0"
IMG2DATASET = "img2dataset/1.45 (+https://github.com/rom1504/img2dataset)"
GO = "Go-http-client/1.1"

# The ranges the tests verify against (complete, as after `agents ranges --update`).
RANGES = {
    "date": "2026-11-30",
    "operators": [
        {
            "operator": "OpenAI",
            "sources": [
                {
                    "url": "https://openai.com/gptbot.json",
                    "tokens": ["GPTBot"],
                    "complete": True,
                    "fetched": "2026-11-30",
                    "prefixes": ["20.171.206.0/24", "2a01:111:f403::/48"],
                }
            ],
        },
        {
            "operator": "Google",
            "sources": [
                {
                    "url": "https://developers.google.com/static/search/apis/ipranges/googlebot.json",
                    "tokens": ["Googlebot"],
                    "complete": True,
                    "fetched": "2026-11-30",
                    "prefixes": ["66.249.64.0/19"],
                }
            ],
        },
        {
            "operator": "Common Crawl",
            "sources": [
                {
                    "url": "https://index.commoncrawl.org/ccbot.json",
                    "tokens": ["CCBot"],
                    "complete": False,
                    "fetched": None,
                    "prefixes": [],
                }
            ],
        },
    ],
}


class Req(NamedTuple):
    ip: str
    when: dt.datetime
    path: str
    status: int
    size: int
    ua: str


def _t(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC)


# The policy (tests' JANE_SITE): tdm, train and ai-input reserved, search allowed,
# /press/ allows everything.
TRAFFIC = [
    # GPTBot from OpenAI's range: reads robots.txt, then takes what it may and what it may not.
    Req("20.171.206.9", _t(28, 10), "/robots.txt", 200, 120, GPTBOT),
    Req("20.171.206.9", _t(28, 10, 1), "/", 200, 5000, GPTBOT),  # page, disallowed
    Req("20.171.206.9", _t(28, 10, 2), "/gallery/a.jpg", 200, 90000, GPTBOT),  # image, disallowed
    Req("20.171.206.9", _t(28, 10, 3), "/press/", 200, 3000, GPTBOT),  # allowed
    Req("20.171.206.9", _t(28, 10, 4), "/press/p.jpg", 200, 70000, GPTBOT),  # allowed
    Req("2a01:111:f403::7", _t(29, 9), "/gallery/b.webp", 304, 0, GPTBOT),  # image, disallowed
    # Someone borrowing GPTBot's name: spoofed, not counted against OpenAI.
    Req("45.9.9.9", _t(29, 11), "/gallery/c.jpg", 200, 80000, GPTBOT),
    Req("45.9.9.9", _t(29, 11, 1), "/robots.txt", 200, 120, GPTBOT),
    # Googlebot: robots.txt, then pages the policy allows to search.
    Req("66.249.66.1", _t(28, 8), "/robots.txt", 200, 120, GOOGLEBOT),
    Req("66.249.66.1", _t(28, 8, 5), "/gallery/", 200, 6000, GOOGLEBOT),
    # CCBot: no robots.txt, no published range (unverifiable), two disallowed images.
    Req("3.3.3.3", _t(29, 12), "/gallery/a.jpg", 200, 90000, CCBOT),
    Req("3.3.3.3", _t(29, 12, 1), "/gallery/d.png", 404, 150, CCBOT),
    # ChatGPT-User (ai-input): a disallowed page, no ranges for it in the test data.
    Req("23.98.142.1", _t(30, 7), "/about/", 200, 4000, CHATGPT_USER),
    # Unknown automated clients.
    Req("9.9.9.1", _t(30, 1), "/", 200, 5000, REQUESTS),
    Req("9.9.9.1", _t(30, 1, 1), "/gallery/", 200, 6000, REQUESTS),
    Req("9.9.9.1", _t(30, 1, 2), "/gallery/a.jpg", 200, 90000, REQUESTS),
    Req("9.9.9.2", _t(30, 2), "/gallery/a.jpg", 200, 90000, IMG2DATASET),
    Req("9.9.9.2", _t(30, 2, 1), "/gallery/b.webp", 200, 60000, IMG2DATASET),
    Req("9.9.9.3", _t(30, 3), "/robots.txt", 200, 120, GO),
    # People.
    Req("192.0.2.10", _t(28, 12), "/", 200, 5000, FIREFOX),
    Req("192.0.2.10", _t(28, 12, 1), "/gallery/", 200, 6000, FIREFOX),
    Req("192.0.2.11", _t(29, 12), "/about/", 200, 4000, FIREFOX),
    Req("192.0.2.12", _t(30, 12), "/", 200, 5000, FIREFOX),
]


def _clf_time(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone(dt.timedelta(hours=1))).strftime("%d/%b/%Y:%H:%M:%S %z")


def combined(r: Req) -> str:
    # nginx's default: body bytes ("0" for none), referer "-".
    return (
        f'{r.ip} - - [{_clf_time(r.when)}] "GET {r.path} HTTP/1.1" {r.status} {r.size} "-" "{r.ua}"'
    )


def common_agent(r: Req) -> str:
    # Apache: "-" for no body, and a user agent without a referer.
    size = str(r.size) if r.size else "-"
    return (
        f'{r.ip} - frank [{_clf_time(r.when)}] "GET {r.path} HTTP/1.0" {r.status} {size} "{r.ua}"'
    )


def caddy(r: Req) -> str:
    return json.dumps(
        {
            "level": "info",
            "ts": r.when.timestamp(),
            "logger": "http.log.access",
            "msg": "handled request",
            "request": {
                "remote_ip": r.ip,
                "remote_port": "41342",
                "client_ip": r.ip,
                "proto": "HTTP/1.1",
                "method": "GET",
                "host": "jane.example",
                "uri": r.path,
                "headers": {"User-Agent": [r.ua]},
            },
            "bytes_read": 0,
            "duration": 0.0009,
            "size": r.size,
            "status": r.status,
            "resp_headers": {},
        }
    )


def cloudflare(r: Req) -> str:
    return json.dumps(
        {
            "ClientIP": r.ip,
            "ClientRequestHost": "jane.example",
            "ClientRequestMethod": "GET",
            "ClientRequestURI": r.path,
            "ClientRequestUserAgent": r.ua,
            "EdgeEndTimestamp": r.when.isoformat().replace("+00:00", "Z"),
            "EdgeResponseBytes": r.size,
            "EdgeResponseStatus": r.status,
            "EdgeStartTimestamp": r.when.isoformat().replace("+00:00", "Z"),
            "RayID": "7d1f2c3a4b5c6d7e",
        }
    )


CSV_FIELDS = "time=when,ip=client,path=url,status=code,bytes=size,ua=agent"


def csv_export(traffic: list[Req]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["when", "client", "url", "code", "size", "agent"])
    for r in traffic:
        writer.writerow([r.when.isoformat(), r.ip, r.path, r.status, r.size, r.ua])
    return out.getvalue()


def crawl(count: int, seed: int) -> list[Req]:
    """``count`` requests, one per second in time order (so any cut of the log keeps its
    earliest disallowed requests first): GPTBot from OpenAI's range and from elsewhere,
    CCBot (unverifiable), and people, on disallowed and allowed paths; fewer than
    ``tally.MAX_IPS`` addresses per agent, whose cap would differ between pieces."""
    import random

    rng = random.Random(seed)
    start = _t(27, 0)
    agents = [("20.171.206.{}", GPTBOT), ("45.9.9.{}", GPTBOT), ("3.3.3.{}", CCBOT)]
    agents.append(("192.0.2.{}", FIREFOX))
    paths = ["/gallery/{}.jpg", "/about/{}", "/press/{}.jpg", "/blog/{}/"]
    out = []
    for i in range(count):
        ip, ua = rng.choice(agents)
        path = rng.choice(paths).format(rng.randrange(1000))
        status = rng.choice((200, 200, 200, 304, 404))
        size = rng.randrange(100_000) if status == 200 else 0
        out.append(
            Req(
                ip.format(rng.randrange(1, 60)),
                start + dt.timedelta(seconds=i),
                path,
                status,
                size,
                ua,
            )
        )
    return out
