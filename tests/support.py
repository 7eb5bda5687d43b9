"""Helpers shared by several test modules: import them with ``from support import …``.

Pytest fixtures live in ``conftest.py``; this module holds plain constants and functions
(the repository's paths, the bundled example, site configs used by more than one module,
the ``check`` helpers, headless Chromium and the real web servers the host tests start).
Image factories are in ``imagefactory.py``.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import settings
from imagefactory import DMI

from optout_site import cli, config
from optout_site.build import pipeline
from optout_site.hosts import apache, caddy, nginx
from optout_site.images import Contact, ImageRights

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "portfolio" / "public"
CHROMIUM = Path("/usr/bin/chromium")

# --- Hypothesis -----------------------------------------------------------------------------

FAST_EXAMPLES = 25  # per property in the fast loop's profile (conftest.py); Hypothesis: 100


def examples(n: int) -> int:
    """``n`` examples, for a property that asks for other than Hypothesis's 100: the count
    of the loaded profile scaled alike, so the fast loop runs a quarter of them (at least
    10) while CI and the whole suite run ``n`` (their profiles keep the default of 100)."""
    return max(min(n, 10), n * settings.default.max_examples // 100)


# --- site configs -------------------------------------------------------------------------


def load_site(folder: Path, text: str) -> config.Site:
    """The first site of ``text`` written as ``folder/sites.yaml``, with ``folder/public``."""
    (folder / "public").mkdir(parents=True, exist_ok=True)
    path = folder / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    return config.load(path).sites[0]


# Jane's site: the policy the robots.txt and agent tests reason about.
JANE_SITE = """
sites:
  - name: jane
    url: https://jane.example
    input: public
    rightsholder: {name: Jane Doe}
    reserve: [tdm, train, ai-input]
    allow: [search]
    rules:
      - path: /press/
        allow: [tdm, train, ai-input]
      - path: /blog/
        reserve: [search]
"""

# Léa's site: the policy every host config (files and real servers) must serve.
HOSTS_SITE = """
sites:
  - name: lea
    url: https://lea.example
    input: public
    reserve: [tdm, train, ai-input]
    allow: [search]
    hosts: [netlify, cloudflare, vercel, apache, nginx, caddy]
    rsl: {enabled: true}
    rightsholder:
      name: Léa Moreau
      email: studio@lea.example
    rules:
      - {path: /press/, allow: [tdm, train, ai-input]}
      - {path: /press/embargo/, reserve: [tdm, train, ai-input]}
      - {path: /blog/, allow: [ai-input]}
      - {path: /*.pdf$, reserve: [search]}
      - {path: /my%20docs/, allow: [tdm]}
      # Non-ASCII and percent-encoded spellings (normalised: /caf%C3%A9/ and /~jane/).
      - {path: /café/, allow: [tdm]}
      - {path: /%7Ejane/, allow: [tdm]}
"""

# Paths asked of every server and every file-format matcher. Real servers are also asked
# non-canonical spellings (test_hosts_servers.EXEMPT); the _headers and vercel.json
# matchers are emulations and are asked only what clients send (browsers send "~" as is).
HOSTS_PATHS = [
    "/",
    "/index.html",
    "/gallery/photo.jpg",
    "/press/",
    "/press/kit.jpg",
    "/press/embargo/teaser.jpg",
    "/pressroom/a.jpg",
    "/blog/post.html",
    "/docs/brochure.pdf",
    "/my%20docs/a.jpg",
    "/caf%C3%A9/a.jpg",
    "/~jane/a.jpg",
    "/cafe/a.jpg",
    "/.well-known/tdmrep.json",
    "/policies/tdm-policy.json",
    "/license.xml",
    "/missing.html",
]

# What every host must send for each of HOSTS_PATHS, written by hand from HOSTS_SITE's
# policy text and docs/signals.md, never computed by optout_site (a bug in the code that
# builds the headers must not also build the expectation). How each row follows:
# * default (reserve tdm, train, ai-input; allow search): TDMRep reserves; train and
#   ai-input are both reserved, so noai, noimageai; Content-Usage leaves search unsaid
#   because search=y would grant training for search (train is reserved).
# * /press/ (allows everything): nothing reserved, so no tdm-policy, no X-Robots-Tag, and
#   every label y.
# * /blog/ (allows ai-input): noai needs train *and* ai-input reserved, so no X-Robots-Tag.
# * /*.pdf$ (reserves search too): search=n.
# Link (RSL is on) is the same everywhere.
_LEA_POLICY = "https://lea.example/policies/tdm-policy.json"
_LEA_LINK = '<https://lea.example/license.xml>; rel="license"; type="application/rsl+xml"'
_RESERVED = {
    "tdm-reservation": "1",
    "tdm-policy": _LEA_POLICY,
    "X-Robots-Tag": "noai, noimageai",
    "Content-Usage": "train-ai=n, ai-use=n",
    "Link": _LEA_LINK,
}
_EXEMPT = {
    "tdm-reservation": "0",
    "Content-Usage": "train-ai=y, ai-use=y, search=y",
    "Link": _LEA_LINK,
}
HOSTS_EXPECTED: dict[str, dict[str, str]] = {
    "/": _RESERVED,
    "/index.html": _RESERVED,
    "/gallery/photo.jpg": _RESERVED,
    "/press/": _EXEMPT,
    "/press/kit.jpg": _EXEMPT,
    "/press/embargo/teaser.jpg": _RESERVED,
    "/pressroom/a.jpg": _RESERVED,  # /press/ is a folder: /pressroom/ is not under it
    "/blog/post.html": {
        "tdm-reservation": "1",
        "tdm-policy": _LEA_POLICY,
        "Content-Usage": "train-ai=n, ai-use=y",
        "Link": _LEA_LINK,
    },
    "/docs/brochure.pdf": {**_RESERVED, "Content-Usage": "train-ai=n, ai-use=n, search=n"},
    "/my%20docs/a.jpg": _EXEMPT,
    "/caf%C3%A9/a.jpg": _EXEMPT,  # rule /café/
    "/~jane/a.jpg": _EXEMPT,  # rule /%7Ejane/
    "/cafe/a.jpg": _RESERVED,
    "/.well-known/tdmrep.json": {**_RESERVED, "Content-Type": "application/json"},
    "/policies/tdm-policy.json": {**_RESERVED, "Content-Type": "application/ld+json"},
    "/license.xml": {**_RESERVED, "Content-Type": "application/rsl+xml"},
    "/missing.html": _RESERVED,
}


def load_hosts_site(folder: Path) -> config.Site:
    return load_site(folder, HOSTS_SITE)


# The rights every image test stamps (and varies with dataclasses.replace).
BASE = ImageRights(
    data_mining=DMI,
    other_constraints=None,
    web_statement="https://j.example/terms",
    usage_terms="No AI training",
    copyright="(c) Jane",
    creator="Jane",
    contact=Contact(name="Jane", email="jane@j.example"),
)

# Every field set: what the per-format tests read back with exiftool.
FULL = ImageRights(
    data_mining=DMI,
    other_constraints="No TDM under Art. 4(3) DSM Directive",
    web_statement="https://jane.example/licensing",
    usage_terms="All rights reserved; no AI training.",
    copyright="\u00a9 2025 Jane Doe",
    creator="Jane Doe",
    contact=Contact(
        name="Jane Doe",
        email="jane@jane.example",
        url="https://jane.example",
        city="Lisbon",
        country="Portugal",
    ),
)


# --- the bundled example ------------------------------------------------------------------


def write_example_config(root: Path, output: str = "build", **overrides: object) -> Path:
    """A copy of the example as ``root/public`` and the bundled sites.yaml pointed at it.

    The site builds into ``root/<output>``; ``overrides`` replace keys of the example site
    (say ``rsl={"enabled": True}``). Returns the path of the written ``root/sites.yaml``.
    """
    shutil.copytree(EXAMPLE, root / "public")
    text = (REPO / "sites.yaml").read_text(encoding="utf-8")
    text = text.replace("examples/portfolio/public", "public").replace(
        "examples/portfolio/build", output
    )
    if overrides:
        data = yaml.safe_load(text)
        data["sites"][0].update(overrides)
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path = root / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- `optout-site check` ------------------------------------------------------------------


def make_example(root: Path, **overrides: object) -> tuple[Path, config.Site]:
    """The bundled sites.yaml pointed at a copy of the example under ``root``, built.

    ``overrides`` replace keys of the example site (say ``rsl={"enabled": True}``).
    """
    cfg = write_example_config(root, **overrides)
    report = pipeline.build(cfg, jobs=1, state_dir=root / "state")
    assert report.ok, report.render()
    site = config.load(cfg).sites[0]
    # Every signal comes from the build itself: a missing robots.txt must fail a test.
    assert (site.output_dir / "robots.txt").is_file()
    return cfg, site


# Seeds that give str hashing (and so set order) different layouts in each interpreter.
HASH_SEEDS = ("0", "1", "2")


def outputs_across_processes(code: str) -> list[bytes]:
    """What ``code`` writes to ``sys.stdout.buffer``, run once per seed of HASH_SEEDS, each
    in a fresh interpreter with its own ``PYTHONHASHSEED``: determinism that two calls in
    one process cannot show (both would see the same hash order)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "tests"), env.get("PYTHONPATH", "")])
    out = []
    for seed in HASH_SEEDS:
        env["PYTHONHASHSEED"] = seed
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        out.append(done.stdout)
    return out


def run_cli(argv: list[str]) -> int:
    """The real command line, as a user runs it."""
    return cli.main(argv)


def errors(data: dict, signal: str, path: str | None = None, text: str = "") -> list[dict]:
    """The error findings of a ``check --json`` report for ``signal`` (and ``path``, ``text``)."""
    return [
        f
        for f in data["findings"]
        if f["severity"] == "error"
        and f["signal"] == signal
        and (path is None or f["path"] == path)
        and text in f["message"]
    ]


# --- headless Chromium --------------------------------------------------------------------


def chromium_screenshot(
    page: Path, png: Path, profile: Path, width: int, height: int, check: bool = True
) -> subprocess.CompletedProcess:
    """Render the file ``page`` to ``png`` with headless Chromium (no network, throwaway
    ``profile`` folder)."""
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--screenshot={png}",
            page.as_uri(),
        ],
        check=check,
        capture_output=True,
        timeout=60,
    )


# Run at the end of the page: what a reader sees (the rendered text) and every box that
# spills out of the viewport (unless a box that scrolls holds it) or out of its own width (a long URL in a table
# cell, a word too wide for a phone), as JSON in a script element --dump-dom keeps as is.
_LAYOUT_PROBE = """<script>(function () {
  var root = document.documentElement, vw = root.clientWidth, over = [];
  function scrolls(el) {  // inside a box that scrolls or clips: the page itself still fits
    for (var p = el.parentElement; p && p !== document.body; p = p.parentElement)
      if (getComputedStyle(p).overflowX !== "visible") return true;
    return false;
  }
  function name(el) { return el.tagName.toLowerCase() + (el.className ? "." + el.className : ""); }
  document.querySelectorAll("body *").forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (el.id === "optout-layout" || (r.width === 0 && r.height === 0)) return;
    if ((r.right > vw + 1 || r.left < -1) && !scrolls(el)) over.push(name(el) + " leaves the viewport");
    var style = getComputedStyle(el);
    if (style.overflowX === "visible" && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      over.push(name(el) + " content is wider than its box");
  });
  if (root.scrollWidth > vw + 1) over.push("the page scrolls sideways");
  var out = document.createElement("script");
  out.type = "application/json"; out.id = "optout-layout";
  out.textContent = JSON.stringify({text: document.body.innerText, width: vw, overflow: over})
    .replace(/</g, "\\u003c");
  document.body.appendChild(out);
})();</script>"""


def chromium_layout(html: bytes, folder: Path, width: int, height: int = 1200) -> dict:
    """``html`` laid out by headless Chromium in a ``width`` x ``height`` window: the
    rendered ``text`` (``innerText``), the viewport ``width`` and the ``overflow`` list
    (empty when every box fits). Needs /usr/bin/chromium (.ci/run installs it)."""
    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing (apt-get install chromium)"
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "layout.html"
    page.write_bytes(html + _LAYOUT_PROBE.encode())
    done = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={folder / 'profile'}",
            f"--window-size={width},{height}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    found = re.search(
        rb'<script type="application/json" id="optout-layout">(.*?)</script>', done.stdout, re.S
    )
    assert found, done.stderr.decode(errors="replace")[-2000:]
    return json.loads(found.group(1))


# --- real web servers on loopback (nginx, Apache httpd, Caddy) ------------------------------


@contextlib.contextmanager
def world_readable_dir() -> Iterator[Path]:
    """A temporary folder Apache's children (an unprivileged user) can read, which
    pytest's own tmp folders are not."""
    path = Path(tempfile.mkdtemp(prefix="optout-hosts-"))
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def wait_listening(proc: subprocess.Popen, port: int, logs: list[Path], timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    text = "\n".join(p.read_text(errors="replace") for p in logs if p.exists())
    stop(proc)
    pytest.fail(f"server did not start on port {port} (exit {proc.returncode}):\n{text}")


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only


def fetch(
    port: int, path: str, user_agent: str | None = None, body: list[bytes] | None = None
) -> tuple[int, dict[str, str]]:
    """GET ``path`` from 127.0.0.1:``port``: the status and the headers (lower-case names,
    repeated ones joined with ", "). ``body``, when given, receives the response body."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if user_agent is not None:
        request.add_header("User-Agent", user_agent)
    try:
        with _OPENER.open(request, timeout=5) as response:
            data = response.read()
            status, message = response.status, response.headers
    except urllib.error.HTTPError as exc:
        status, message, data = exc.code, exc.headers, exc.read()
    if body is not None:
        body.append(data)
    out: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return status, out


def _binary(path: str, name: str) -> str:
    found = path if os.access(path, os.X_OK) else shutil.which(name)
    if not found:
        pytest.skip(f"{name} not installed ({path} missing); install the Debian package")
    return found


MIME_TYPES = {
    "html": "text/html",
    "jpg": "image/jpeg",
    "json": "application/json",
    "xml": "application/xml",
    "pdf": "application/pdf",
}


@contextlib.contextmanager
def _running(
    argv: list[str], port: int, log: Path, logs: list[Path], env: dict[str, str] | None = None
) -> Iterator[int]:
    """Start ``argv`` (a server in the foreground), wait until ``port`` listens, stop it
    on exit; ``log`` gets its stdout and stderr, ``logs`` are shown if it never listens."""
    with log.open("wb") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=env)
    wait_listening(proc, port, [log, *logs])
    try:
        yield port
    finally:
        stop(proc)


@contextlib.contextmanager
def nginx_server(
    site: config.Site,
    docroot: Path,
    workdir: Path,
    include: Path | None = None,
    access_log: Path | None = None,
) -> Iterator[int]:
    """nginx serving ``docroot`` with the site's nginx snippet (rendered here, or the file
    ``include`` a build wrote); yields its port. With ``access_log``, nginx writes its
    default ``combined`` log there."""
    binary = _binary("/usr/sbin/nginx", "nginx")
    conf_dir = workdir / "nginx"
    conf_dir.mkdir()
    if include is None:
        include = conf_dir / nginx.FILE_NAME
        include.write_bytes(nginx.render(site, None))
    port = free_port()
    types = " ".join(f"{t} {ext};" for ext, t in MIME_TYPES.items())
    temp = " ".join(
        f"{kind}_temp_path {conf_dir / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (conf_dir / "nginx.conf").write_text(
        f"""daemon off;
master_process off;
pid {conf_dir / "nginx.pid"};
error_log {conf_dir / "error.log"} warn;
events {{ worker_connections 32; }}
http {{
  access_log {f"{access_log} combined" if access_log else "off"};
  {temp}
  types {{ {types} }}
  default_type application/octet-stream;
  server {{
    listen 127.0.0.1:{port};
    root {docroot};
    include {include};
  }}
}}
"""
    )
    with _running(
        [binary, "-p", str(conf_dir), "-c", str(conf_dir / "nginx.conf")],
        port,
        conf_dir / "stderr.log",
        [conf_dir / "error.log"],
    ):
        yield port


def _apache_modules() -> Path:
    for candidate in (
        "/usr/lib/apache2/modules",
        "/usr/lib64/httpd/modules",
        "/usr/lib/httpd/modules",
        "/usr/libexec/apache2",
    ):
        if (Path(candidate) / "mod_headers.so").exists():
            return Path(candidate)
    pytest.skip("Apache modules (mod_headers.so) not found; install the Debian package apache2")


def _apache_user() -> tuple[str, str]:
    if os.geteuid() != 0:  # User/Group only matter when started as root
        entry = pwd.getpwuid(os.geteuid())
        return entry.pw_name, "#" + str(entry.pw_gid)
    for name in ("www-data", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return name, "#" + str(entry.pw_gid)
    pytest.skip("no unprivileged user to run Apache's children as")


@contextlib.contextmanager
def apache_server(
    site: config.Site, docroot: Path, workdir: Path, *, server_include: bytes | None = None
) -> Iterator[int]:
    """Apache httpd serving ``docroot`` with the site's .htaccess (after the site's own
    rules); yields its port. With ``server_include``, .htaccess files are off
    (``AllowOverride None``) and that file is included in the server config instead."""
    binary = _binary("/usr/sbin/apache2", "apache2")
    modules = _apache_modules()
    conf_dir = workdir / "apache"
    conf_dir.mkdir()
    os.chmod(conf_dir, 0o755)
    existing = b"# the site's own rules stay\nAddDefaultCharset UTF-8\n"
    (docroot / apache.FILE_NAME).write_bytes(apache.render(site, existing))
    os.chmod(docroot / apache.FILE_NAME, 0o644)
    port = free_port()
    user, group = _apache_user()
    load = "\n".join(
        f"LoadModule {name}_module {modules / f'mod_{name}.so'}"
        for name in ("mpm_prefork", "authz_core", "mime", "headers", "dir", "alias")
    )
    types = "\n".join(f"AddType {t} .{ext}" for ext, t in MIME_TYPES.items())
    (conf_dir / "httpd.conf").write_text(
        f"""ServerRoot {conf_dir}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {conf_dir / "httpd.pid"}
ErrorLog {conf_dir / "error.log"}
LogLevel warn
Mutex file:{conf_dir} default
DefaultRuntimeDir {conf_dir}
{load}
User {user}
Group {group}
TypesConfig /dev/null
{types}
DirectoryIndex index.html
DocumentRoot {docroot}
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory {docroot}>
  AllowOverride {"None" if server_include is not None else "FileInfo"}
  Require all granted
</Directory>
<Files ".ht*">
  Require all denied
</Files>
"""
    )
    if server_include is not None:
        (conf_dir / "include.conf").write_bytes(server_include)
        with (conf_dir / "httpd.conf").open("a") as conf:
            conf.write(f"Include {conf_dir / 'include.conf'}\n")
    with _running(
        [binary, "-X", "-f", str(conf_dir / "httpd.conf")],
        port,
        conf_dir / "stderr.log",
        [conf_dir / "error.log"],
    ):
        yield port


@contextlib.contextmanager
def caddy_server(
    site: config.Site, docroot: Path, workdir: Path, include: Path | None = None
) -> Iterator[int]:
    """Caddy serving ``docroot`` with the site's Caddy snippet (rendered here, or the file
    ``include`` a build wrote); yields its port."""
    binary = _binary("/usr/bin/caddy", "caddy")
    conf_dir = workdir / "caddy"
    conf_dir.mkdir()
    if include is None:
        include = conf_dir / caddy.FILE_NAME
        include.write_bytes(caddy.render(site, None))
    port = free_port()
    (conf_dir / "Caddyfile").write_text(
        f"""{{
\tadmin off
\tauto_https off
\tstorage file_system {conf_dir / "data"}
}}
http://127.0.0.1:{port} {{
\tbind 127.0.0.1
\troot * {docroot}
\timport {include}
\tfile_server
}}
"""
    )
    env = {
        **os.environ,
        "HOME": str(conf_dir),
        "XDG_DATA_HOME": str(conf_dir),
        "XDG_CONFIG_HOME": str(conf_dir),
    }
    argv = [binary, "run", "--config", str(conf_dir / "Caddyfile"), "--adapter", "caddyfile"]
    with _running(argv, port, conf_dir / "stderr.log", [], env=env):
        yield port


@contextlib.contextmanager
def serve_files(files: dict[str, bytes]) -> Iterator[str]:
    """A loopback HTTP server answering GET ``path`` with ``files[path]`` (404 for any
    other path); yields its base URL, ``http://127.0.0.1:PORT``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
