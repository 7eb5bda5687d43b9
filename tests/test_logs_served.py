"""`optout-site logs` against the real world it reads: a real nginx's own access log and
the HTML report in Chromium (the refresh of the IP ranges from a loopback server is in
test_logs_ranges.py)."""

from __future__ import annotations

import json
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
