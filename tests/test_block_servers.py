"""``block:`` served by real servers: nginx, Apache httpd and Caddy on loopback.

The expected statuses are written out by hand (agent × path), not computed from the
code: the refused agents get the chosen status on pages and images and 200 on what
explains the refusal; search engines, link previews and browsers get 200 everywhere.
HAProxy and lighttpd run the refusal files with their real binaries; the Netlify Edge
Function and the Vercel Middleware run under node with the same table.
Debian packages (for .ci/run): nginx-light apache2 caddy haproxy lighttpd nodejs.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from support import (
    MIME_TYPES,
    _binary,
    _running,
    apache_server,
    caddy_server,
    fetch,
    free_port,
    load_site,
    nginx_server,
    world_readable_dir,
)

from optout_site.hosts import apache, blockfiles

pytestmark = pytest.mark.slow  # starts real web servers

SITE = """
sites:
  - name: lea
    url: https://lea.example
    input: public
    reserve: [tdm, train, ai-input]
    allow: [search]
    hosts: [apache, nginx, caddy]
    rightsholder: {name: Léa Moreau, email: studio@lea.example}
    block:
      agents: [train, dataset, img2dataset]
      status: STATUS
"""

AGENTS = {
    "GPTBot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "CCBot": "CCBot/2.0 (https://commoncrawl.org/faq/)",
    "Bytespider": "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
    "img2dataset": "Mozilla/5.0 (compatible; img2dataset; +https://github.com/rom1504/img2dataset)",
    "gptbot (lower case)": "gptbot/1.0",
    "MyGPTBotX (not a whole word)": "MyGPTBotX/1.0",
    "Googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "facebookexternalhit": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "browser": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
}
PATHS = [
    "/",
    "/index.html",
    "/gallery/photo.jpg",
    "/robots.txt",
    "/.well-known/tdmrep.json",
    "/policies/tdm-policy.json",
    "/ai-reservation/",
    "/ai-reservation/index.html",
]
R = "refused"  # the configured status
# agent → the status of each path in PATHS, in order.
TABLE = {
    "GPTBot": [R, R, R, 200, 200, 200, 200, 200],
    "CCBot": [R, R, R, 200, 200, 200, 200, 200],
    "Bytespider": [R, R, R, 200, 200, 200, 200, 200],
    "img2dataset": [R, R, R, 200, 200, 200, 200, 200],
    "gptbot (lower case)": [R, R, R, 200, 200, 200, 200, 200],
    "MyGPTBotX (not a whole word)": [200] * 8,
    "Googlebot": [200] * 8,
    "Bingbot": [200] * 8,
    "facebookexternalhit": [200] * 8,
    "browser": [200] * 8,
}
SERVERS = {"nginx": nginx_server, "apache": apache_server, "caddy": caddy_server}


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 80, 20)).save(out, "JPEG")
    return out.getvalue()


def _docroot(root: Path) -> Path:
    page = b"<!DOCTYPE html><html lang=en><meta charset=utf-8><title>t</title></html>\n"
    files = {
        "index.html": page,
        "gallery/photo.jpg": _jpeg(),
        "robots.txt": b"User-agent: GPTBot\nDisallow: /\n",
        ".well-known/tdmrep.json": b"[]\n",
        "policies/tdm-policy.json": b"{}\n",
        "ai-reservation/index.html": page,
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for folder, _, names in os.walk(root):
        os.chmod(folder, 0o755)
        for name in names:
            os.chmod(Path(folder) / name, 0o644)
    return root


def _table(port: int, status: int) -> dict[str, list[int | str]]:
    got: dict[str, list[int | str]] = {}
    for agent, user_agent in AGENTS.items():
        codes = [fetch(port, path, user_agent)[0] for path in PATHS]
        got[agent] = [R if code == status and code != 200 else code for code in codes]
    return got


@pytest.mark.parametrize("server", list(SERVERS))
@pytest.mark.parametrize("status", [403, 451])
def test_refused_agents_get_the_status_and_the_rest_is_served(server, status, tmp_path):
    site = load_site(tmp_path, SITE.replace("STATUS", str(status)))
    with world_readable_dir() as workdir:
        docroot = _docroot(workdir / "www")
        with SERVERS[server](site, docroot, workdir) as port:
            assert _table(port, status) == TABLE
            body: list[bytes] = []
            code, headers = fetch(port, "/gallery/photo.jpg", AGENTS["CCBot"], body)
    assert code == status
    assert headers["content-type"].startswith("text/html")
    # The refusal explains itself: a link to the reservation page.
    assert re.search(rb"<a href=https://lea\.example/ai-reservation/>", body[0]), body[0]


def test_apache_server_include_refuses_without_htaccess(tmp_path):
    site = load_site(tmp_path, SITE.replace("STATUS", "402"))
    include = blockfiles.RENDERERS[apache.SERVER_FILE](site, None)
    with world_readable_dir() as workdir:
        docroot = _docroot(workdir / "www")
        with apache_server(site, docroot, workdir, server_include=include) as port:
            assert _table(port, 402) == TABLE
            body: list[bytes] = []
            code, _ = fetch(port, "/gallery/photo.jpg", AGENTS["Bytespider"], body)
    assert code == 402
    assert b"<a href=https://lea.example/ai-reservation/>" in body[0]


# --- HAProxy and lighttpd: the refusal files, run by the real binaries ---------------------


def _haproxy(site, docroot: Path, workdir: Path):
    """HAProxy with our lines in its frontend; what it lets through it answers itself
    (200, "served"), since only the refusal is ours to test."""
    binary = _binary("/usr/sbin/haproxy", "haproxy")
    port = free_port()
    ours = blockfiles.haproxy(site, None).decode()
    conf = workdir / "haproxy.cfg"
    conf.write_text(
        f"""global
  pidfile {workdir / "haproxy.pid"}
defaults
  mode http
  timeout connect 5s
  timeout client 5s
  timeout server 5s
frontend web
  bind 127.0.0.1:{port}
{ours}
  http-request return status 200 content-type text/plain string served
"""
    )
    check = subprocess.run([binary, "-c", "-f", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    return _running([binary, "-db", "-f", str(conf)], port, workdir / "haproxy.log", [])


def _lighttpd(site, docroot: Path, workdir: Path):
    binary = _binary("/usr/sbin/lighttpd", "lighttpd")
    port = free_port()
    (workdir / blockfiles.LIGHTTPD).write_bytes(blockfiles.lighttpd(site, None))
    conf = workdir / "lighttpd.conf"
    types = ", ".join(
        f'".{ext}" => "{t}"' for ext, t in {**MIME_TYPES, "txt": "text/plain"}.items()
    )
    conf.write_text(
        f"""server.document-root = "{docroot}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{workdir / "lighttpd-error.log"}"
server.modules += ( "mod_access" )
mimetype.assign = ( {types} )
index-file.names = ( "index.html" )
include "{workdir / blockfiles.LIGHTTPD}"
"""
    )
    check = subprocess.run([binary, "-tt", "-f", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    return _running(
        [binary, "-D", "-f", str(conf)],
        port,
        workdir / "lighttpd.log",
        [workdir / "lighttpd-error.log"],
    )


@pytest.mark.parametrize("server", ["haproxy", "lighttpd"])
@pytest.mark.parametrize("status", [403, 451])
def test_haproxy_and_lighttpd_refuse_the_same_agents(server, status, tmp_path):
    site = load_site(tmp_path, SITE.replace("STATUS", str(status)))
    start = _haproxy if server == "haproxy" else _lighttpd
    # lighttpd's url.access-deny has one status: 403, whatever is configured.
    expected_status = 403 if server == "lighttpd" else status
    with world_readable_dir() as workdir:
        docroot = _docroot(workdir / "www")
        with start(site, docroot, workdir) as port:
            assert _table(port, expected_status) == TABLE
            body: list[bytes] = []
            code, headers = fetch(port, "/gallery/photo.jpg", AGENTS["CCBot"], body)
        page = (docroot / "ai-reservation/index.html").read_bytes()
    assert code == expected_status
    assert headers["content-type"].startswith("text/html")
    if server == "haproxy":
        assert b"<a href=https://lea.example/ai-reservation/>" in body[0], body[0]
    else:  # the reservation page itself is the refusal's body
        assert body[0] == page


# --- Netlify Edge Function and Vercel Middleware, run by node -------------------------------

_NODE_TABLE = """
const mod = await import(process.argv[2]);
const agents = JSON.parse(process.argv[3]);
const paths = JSON.parse(process.argv[4]);
const out = {};
for (const [name, ua] of Object.entries(agents)) {
  out[name] = [];
  for (const path of paths) {
    const request = new Request("https://lea.example" + path, { headers: { "user-agent": ua } });
    const response = await mod.default(request, {});
    out[name].push(response === undefined ? 200 : response.status);
  }
}
console.log(JSON.stringify(out));
"""


@pytest.mark.parametrize("name", [blockfiles.NETLIFY, blockfiles.VERCEL])
def test_edge_functions_refuse_the_same_agents(name, tmp_path):
    node = _binary("/usr/bin/node", "node")
    site = load_site(
        tmp_path,
        SITE.replace("STATUS", "451").replace("[apache, nginx, caddy]", "[netlify, vercel]"),
    )
    module = tmp_path / "fn.mjs"
    module.write_bytes(blockfiles.RENDERERS[name](site, None))
    script = tmp_path / "table.mjs"
    script.write_text(_NODE_TABLE)
    run = subprocess.run(
        [node, str(script), module.as_uri(), json.dumps(AGENTS), json.dumps(PATHS)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 0, run.stderr
    got = {a: [R if c == 451 else c for c in codes] for a, codes in json.loads(run.stdout).items()}
    assert got == TABLE


# --- check URL: is the blocking in force? -------------------------------------------------


def test_check_url_reports_whether_blocking_is_in_force(tmp_path):
    import dataclasses

    from optout_site.check import check_url
    from optout_site.check.model import BLOCKING

    site = load_site(tmp_path, SITE.replace("STATUS", "403"))
    with world_readable_dir() as workdir:
        docroot = _docroot(workdir / "www")
        with nginx_server(site, docroot, workdir) as port:
            report = check_url(f"http://127.0.0.1:{port}/", site, sample=2, timeout=5)
        # The same site served without the refusal: the check must say so.
        (workdir / "nginx").rename(workdir / "nginx-blocking")
        unblocked = dataclasses.replace(site, block=None)
        with nginx_server(unblocked, docroot, workdir) as port:
            missing = check_url(f"http://127.0.0.1:{port}/", site, sample=2, timeout=5)
    assert report.checked[BLOCKING] == 3
    assert [f for f in report.findings if f.signal == BLOCKING] == []
    errors = [f.message for f in missing.findings if f.signal == BLOCKING]
    assert len(errors) == 1 and errors[0].startswith("blocking is not in force: asked as GPTBot")


def test_check_url_reports_a_refusal_that_hides_robots_txt_or_hits_search_engines(tmp_path):
    """A server that refuses by substring ("bot") everywhere: robots.txt is refused too,
    and so is Googlebot; check says both."""
    import http.server
    import threading

    from optout_site.check import check_url
    from optout_site.check.model import BLOCKING

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            refused = "bot" in self.headers.get("User-Agent", "").lower()
            self.send_response(403 if refused else 200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<!DOCTYPE html><title>t</title>")

        def log_message(self, *args):
            pass

    site = load_site(tmp_path, SITE.replace("STATUS", "403"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        report = check_url(f"http://127.0.0.1:{server.server_port}/", site, sample=1, timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    found = sorted(
        (f.path, f.message.split(",")[0]) for f in report.findings if f.signal == BLOCKING
    )
    assert found == [
        (
            "/",
            "Googlebot is refused (403) where a browser is served: the blocking rule matches search engines",
        ),
        ("/robots.txt", "GPTBot is refused robots.txt too"),
    ]
