"""Our header configs served by real servers: nginx, Apache httpd (and Caddy if present).

Debian packages these tests need (for .ci/run): nginx-light apache2
Optional: caddy (the Caddy test is skipped, with the reason shown, when it is absent).

Apache gets only ``AllowOverride FileInfo``, the minimum docs/hosting.md asks for.
Each server runs in the foreground from a config written to a temporary folder, on a
free loopback port, started and stopped by a fixture with timeouts. The site folder is
built from a small fixture: a page, a gallery image, files under an exempt /press/ path
(and a reserved /press/embargo/ under it), the TDMRep file, the TDM policy and license.xml.
The reference for every response is ``signals.headers.effective``: the policy's decision.
"""

from __future__ import annotations

import contextlib
import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from optout_site import config
from optout_site.hosts import apache, caddy, nginx
from optout_site.signals import headers, rsl, tdmrep

SITE_CONFIG = """
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
"""

# Paths asked of every server and every file-format matcher.
PATHS = [
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
    "/.well-known/tdmrep.json",
    "/policies/tdm-policy.json",
    "/license.xml",
    "/missing.html",
]
EXEMPT = ["/press/", "/press/kit.jpg", "/my%20docs/a.jpg"]
OURS = (*headers.NAMES, "Content-Type")


def load_site(folder: Path):
    (folder / "public").mkdir(parents=True, exist_ok=True)
    path = folder / "sites.yaml"
    path.write_text(SITE_CONFIG, encoding="utf-8")
    return config.load(path).sites[0]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 80, 20)).save(out, "JPEG")
    return out.getvalue()


def build_docroot(site, root: Path) -> None:
    """The served site: pages, images and the signal files, readable by any user."""
    page = b"<!DOCTYPE html><html lang=en><meta charset=utf-8><title>t</title></html>\n"
    files = {
        "index.html": page,
        "gallery/photo.jpg": _jpeg(),
        "press/index.html": page,
        "press/kit.jpg": _jpeg(),
        "press/embargo/teaser.jpg": _jpeg(),
        "pressroom/a.jpg": _jpeg(),
        "blog/post.html": page,
        "docs/brochure.pdf": b"%PDF-1.4\n%%EOF\n",
        "my docs/a.jpg": _jpeg(),  # a rule on an encoded path: servers match decoded paths
        ".well-known/tdmrep.json": tdmrep.render(site),
        "policies/tdm-policy.json": tdmrep.render_policy(site),
        "license.xml": rsl.render(site),
    }
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for folder, _dirs, names in os.walk(root):
        os.chmod(folder, 0o755)
        for name in names:
            os.chmod(Path(folder) / name, 0o644)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only


def fetch(port: int, path: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    try:
        with _OPENER.open(request, timeout=5) as response:
            response.read()
            status, message = response.status, response.headers
    except urllib.error.HTTPError as exc:
        status, message = exc.code, exc.headers
    out: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return status, out


def assert_serves_policy(site, port: int) -> None:
    for path in PATHS:
        status, got = fetch(port, path)
        assert status == (404 if path == "/missing.html" else 200), path
        want = {k.lower(): v for k, v in headers.effective(site, path).items()}
        for name in OURS:
            key = name.lower()
            if key == "content-type":
                if key in want:
                    assert got.get(key, "").split(";")[0] == want[key], path
                continue
            assert got.get(key) == want.get(key), f"{path}: {name}"
    for path in EXEMPT:
        _, got = fetch(port, path)
        assert got["tdm-reservation"] == "0"
        assert "x-robots-tag" not in got and "tdm-policy" not in got
    for path in ("/gallery/photo.jpg", "/"):
        _, got = fetch(port, path)
        assert got["tdm-reservation"] == "1"
        assert got["x-robots-tag"] == "noai, noimageai"  # and never noindex
    _, got = fetch(port, "/gallery/photo.jpg")
    assert got["content-type"] == "image/jpeg"


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    # Apache's children run as an unprivileged user: the folder must be world-readable,
    # which pytest's own tmp folders are not.
    path = Path(tempfile.mkdtemp(prefix="optout-hosts-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def site(workdir: Path):
    return load_site(workdir / "config")


@pytest.fixture(scope="module")
def docroot(site, workdir: Path) -> Path:
    root = workdir / "www"
    build_docroot(site, root)
    return root


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


@pytest.fixture(scope="module")
def nginx_port(site, docroot: Path, workdir: Path) -> Iterator[int]:
    binary = _binary("/usr/sbin/nginx", "nginx")
    conf_dir = workdir / "nginx"
    conf_dir.mkdir()
    (conf_dir / nginx.FILE_NAME).write_bytes(nginx.render(site, None))
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
  access_log off;
  {temp}
  types {{ {types} }}
  default_type application/octet-stream;
  server {{
    listen 127.0.0.1:{port};
    root {docroot};
    include {conf_dir / nginx.FILE_NAME};
  }}
}}
"""
    )
    log = conf_dir / "stderr.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [binary, "-p", str(conf_dir), "-c", str(conf_dir / "nginx.conf")],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
        )
    wait_listening(proc, port, [log, conf_dir / "error.log"])
    yield port
    stop(proc)


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


@pytest.fixture(scope="module")
def apache_port(site, docroot: Path, workdir: Path) -> Iterator[int]:
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
        for name in ("mpm_prefork", "authz_core", "mime", "headers", "dir")
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
  AllowOverride FileInfo
  Require all granted
</Directory>
<Files ".ht*">
  Require all denied
</Files>
"""
    )
    log = conf_dir / "stderr.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [binary, "-X", "-f", str(conf_dir / "httpd.conf")],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
        )
    wait_listening(proc, port, [log, conf_dir / "error.log"])
    yield port
    stop(proc)


@pytest.fixture(scope="module")
def caddy_port(site, docroot: Path, workdir: Path) -> Iterator[int]:
    binary = _binary("/usr/bin/caddy", "caddy")
    conf_dir = workdir / "caddy"
    conf_dir.mkdir()
    (conf_dir / caddy.FILE_NAME).write_bytes(caddy.render(site, None))
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
\timport {conf_dir / caddy.FILE_NAME}
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
    log = conf_dir / "stderr.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [binary, "run", "--config", str(conf_dir / "Caddyfile"), "--adapter", "caddyfile"],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
            env=env,
        )
    wait_listening(proc, port, [log])
    yield port
    stop(proc)


def test_nginx_serves_each_paths_decision(site, nginx_port):
    assert_serves_policy(site, nginx_port)


def test_apache_htaccess_serves_each_paths_decision(site, apache_port):
    assert_serves_policy(site, apache_port)


def test_apache_keeps_the_sites_own_htaccess_rules(docroot, apache_port):
    text = (docroot / apache.FILE_NAME).read_bytes()
    assert text.endswith(b"\n# the site's own rules stay\nAddDefaultCharset UTF-8\n")
    _, got = fetch(apache_port, "/index.html")
    assert got["content-type"] == "text/html; charset=UTF-8"  # the user's rule still works


def test_caddy_serves_each_paths_decision(site, caddy_port):
    assert_serves_policy(site, caddy_port)


@pytest.mark.parametrize("server", ["nginx", "caddy"])
def test_snippet_left_in_the_web_root_is_not_served(request, site, docroot, server):
    module = {"nginx": nginx, "caddy": caddy}[server]
    port = request.getfixturevalue(f"{server}_port")
    (docroot / module.FILE_NAME).write_bytes(module.render(site, None))
    try:
        status, _ = fetch(port, "/" + module.FILE_NAME)
    finally:
        (docroot / module.FILE_NAME).unlink()
    assert status == 404
