"""`optout-site logs` against the real world it reads: a real nginx's own access log, a
refresh of the IP ranges from a (loopback) server, and the HTML report in Chromium."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
import urllib.request

import html5lib
import pytest
from logtraffic import FIREFOX, GOOGLEBOT, GPTBOT, RANGES, REQUESTS, TRAFFIC, combined
from support import CHROMIUM, chromium_screenshot, make_example, nginx_server, run_cli

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(port: int, path: str, ua: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"User-Agent": ua})
    try:
        with _OPENER.open(request, timeout=5) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_audit_of_a_real_nginx_access_log(tmp_path, capsys):
    cfg, site = make_example(tmp_path / "example")
    log = tmp_path / "access.log"
    visits = [
        (GPTBOT, "/robots.txt"),
        (GPTBOT, "/"),  # page, disallowed (the example reserves training)
        (GPTBOT, "/images/mountains.jpg"),  # image, disallowed
        (GPTBOT, "/press/"),  # /press/ allows AI use
        (GPTBOT, "/press/portrait.jpg"),
        (GOOGLEBOT, "/robots.txt"),
        (GOOGLEBOT, "/gallery/"),  # search is allowed
        (REQUESTS, "/"),
        (REQUESTS, "/images/coast.png"),
        (FIREFOX, "/about/"),
    ]
    with nginx_server(site, site.output_dir, tmp_path, access_log=log) as port:
        statuses = [get(port, path, ua) for ua, path in visits]
    assert all(s in (200, 304) for s in statuses), statuses
    assert len(log.read_text().splitlines()) == len(visits)
    # Loopback stands in for OpenAI's and Google's published ranges.
    ranges = json.loads(json.dumps(RANGES))
    for operator in ranges["operators"]:
        for source in operator["sources"]:
            source["prefixes"].append("127.0.0.0/8")
    (tmp_path / "ranges.json").write_text(json.dumps(ranges))
    capsys.readouterr()
    code = run_cli(
        ["logs", str(log), "-c", str(cfg), "--ranges", str(tmp_path / "ranges.json"), "--json"]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert (data["lines"], data["requests"], data["malformed"]["count"]) == (10, 10, 0)
    agents = {a["token"]: a for a in data["agents"]}
    gpt, google = agents["GPTBot"], agents["Googlebot"]
    assert (gpt["hits"], gpt["verified"], gpt["spoofed"], gpt["robots_fetched"]) == (5, 5, 0, True)
    assert gpt["violations_by_kind"] == {"page": 1, "image": 1, "other": 0}
    size = (site.output_dir / "images" / "mountains.jpg").stat().st_size
    image = next(v for v in data["violations"] if v["kind"] == "image")
    assert (image["path"], image["bytes"], image["ip"]) == (
        "/images/mountains.jpg",
        size,
        "127.0.0.1",
    )
    assert (google["hits"], google["verified"], google["violations"]) == (2, 2, 0)
    clients = {c["user_agent"]: c["hits"] for c in data["unknown_clients"]}
    assert clients == {REQUESTS: 2}
    # The closing note of issue 16 shows this audit.
    capsys.readouterr()
    run_cli(["logs", str(log), "-c", str(cfg), "--ranges", str(tmp_path / "ranges.json")])
    print(capsys.readouterr().out)


class _RangesHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/gptbot.json":
            body = json.dumps(
                {
                    "creationTime": "2026-11-30T00:00:00",
                    "prefixes": [
                        {"ipv4Prefix": "20.171.206.0/24"},
                        {"ipv6Prefix": "2a01:111::/32"},
                    ],
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_ranges_update_from_a_loopback_server(tmp_path, capsys):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RangesHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        data = {
            "date": "2026-01-01",
            "operators": [
                {
                    "operator": "OpenAI",
                    "sources": [
                        {"url": f"{base}/gptbot.json", "tokens": ["GPTBot"], "prefixes": []},
                        {
                            "url": f"{base}/missing.json",
                            "tokens": ["OAI-SearchBot"],
                            "prefixes": ["1.2.3.0/24"],
                        },
                    ],
                }
            ],
        }
        (tmp_path / "sources.json").write_text(json.dumps(data))
        out = tmp_path / "updated.json"
        code = run_cli(
            [
                "agents",
                "ranges",
                "--update",
                "--ranges",
                str(tmp_path / "sources.json"),
                "--to",
                str(out),
            ]
        )
    finally:
        server.shutdown()
        server.server_close()
    assert code == 0
    text = capsys.readouterr().out
    assert "gptbot.json: 2 prefixes" in text and "missing.json: kept the previous data" in text
    written = json.loads(out.read_text())
    gpt, search = written["operators"][0]["sources"]
    assert gpt["prefixes"] == ["20.171.206.0/24", "2a01:111::/32"] and gpt["complete"] is True
    assert gpt["fetched"] == written["date"]
    assert search["prefixes"] == ["1.2.3.0/24"] and search["complete"] is False
    # An audit with the updated file can now call an outside address spoofed.
    log = tmp_path / "a.log"
    log.write_text(
        "\n".join(combined(r) for r in TRAFFIC if r.ua == GPTBOT) + "\n", encoding="utf-8"
    )
    capsys.readouterr()
    run_cli(["logs", str(log), "--ranges", str(out), "--json"])
    (agent,) = json.loads(capsys.readouterr().out)["agents"]
    assert (agent["verified"], agent["spoofed"]) == (6, 2)


@pytest.mark.slow
def test_html_report_is_self_contained_and_renders(tmp_path, capsys):
    (tmp_path / "public").mkdir()
    from support import JANE_SITE

    (tmp_path / "sites.yaml").write_text(JANE_SITE)
    (tmp_path / "ranges.json").write_text(json.dumps(RANGES))
    lines = [combined(r) for r in TRAFFIC]
    lines.append(
        '1.2.3.4 - - [28/Nov/2026:10:00:00 +0000] "GET /<script>alert(1)</script> HTTP/1.1" 200 1 "-" "Evil\x1b[2JBot <b>x</b>"'
    )
    (tmp_path / "a.log").write_text("\n".join(lines) + "\n")
    report = tmp_path / "report.html"
    run_cli(
        [
            "logs",
            str(tmp_path / "a.log"),
            "-c",
            str(tmp_path / "sites.yaml"),
            "--ranges",
            str(tmp_path / "ranges.json"),
            "--html",
            str(report),
        ]
    )
    html = report.read_text(encoding="utf-8")
    document = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    # Self-contained: no script, no external resource; three charts, inline SVG.
    assert document.findall(".//script") == []
    for element in document.iter():
        for attribute in ("src", "href"):
            value = element.get(attribute)
            assert value is None or value.startswith("#"), (element.tag, value)
    assert len(document.findall(".//figure")) == 3
    svgs = [f.find("{http://www.w3.org/2000/svg}svg") for f in document.findall(".//figure")]
    assert all(svg is not None and len(list(svg.iter())) > 50 for svg in svgs)
    # Hostile strings are text, escaped, and their control characters visible.
    assert "<b>x</b>" not in html and "\x1b" not in html and "Evil\\x1b[2JBot" in html
    tables = document.findall(".//table")
    assert "GPTBot" in "".join(tables[0].itertext())
    png = tmp_path / "report.png"
    chromium_screenshot(report, png, tmp_path / "profile", 1200, 2400)
    assert png.stat().st_size > 20_000
    from PIL import Image

    with Image.open(png) as image:
        # Charts drew something besides the background: many distinct colours.
        assert len(image.convert("RGB").getcolors(1 << 20) or []) > 50
    assert CHROMIUM.exists()
