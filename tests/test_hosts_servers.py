"""Our header configs served by real servers: nginx, Apache httpd (and Caddy if present).

Debian packages these tests need (for .ci/run): nginx-light apache2
Optional: caddy (the Caddy test is skipped, with the reason shown, when it is absent).

Apache gets only ``AllowOverride FileInfo``, the minimum docs/hosting.md asks for.
Each server runs in the foreground from a config written to a temporary folder, on a
free loopback port, started and stopped by a fixture with timeouts (``nginx_port``,
``apache_port``, ``caddy_port`` in conftest.py, starting the servers of support.py).
The site folder is built from a small fixture: a page, a gallery image, files under an
exempt /press/ path (and a reserved /press/embargo/ under it), the TDMRep file, the TDM
policy and license.xml.
The reference for every response is ``support.HOSTS_EXPECTED``: the policy's decision for
each path, written by hand from the policy text (not computed by the code under test).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image
from support import HOSTS_EXPECTED, HOSTS_PATHS, fetch, load_hosts_site

from optout_site.hosts import apache, caddy, nginx
from optout_site.signals import rsl, tdmrep

pytestmark = pytest.mark.slow  # starts real web servers

# Written from HOSTS_SITE by hand, not from the code: where the rules exempt everything.
EXEMPT = [
    "/press/",
    "/press/kit.jpg",
    "/my%20docs/a.jpg",
    "/caf%C3%A9/a.jpg",  # rule /café/
    "/~jane/a.jpg",  # rule /%7Ejane/
    "/%7Ejane/a.jpg",
]
OURS = ("tdm-reservation", "tdm-policy", "X-Robots-Tag", "Content-Usage", "Link", "Content-Type")


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
        "café/a.jpg": _jpeg(),
        "cafe/a.jpg": _jpeg(),
        "~jane/a.jpg": _jpeg(),
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


def assert_serves_policy(site, port: int) -> None:
    for path in HOSTS_PATHS:
        status, got = fetch(port, path)
        assert status == (404 if path == "/missing.html" else 200), path
        want = {k.lower(): v for k, v in HOSTS_EXPECTED[path].items()}
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
    for path in ("/gallery/photo.jpg", "/", "/cafe/a.jpg"):
        _, got = fetch(port, path)
        assert got["tdm-reservation"] == "1"
        assert got["x-robots-tag"] == "noai, noimageai"  # and never noindex
    _, got = fetch(port, "/gallery/photo.jpg")
    assert got["content-type"] == "image/jpeg"


@pytest.fixture(scope="module")
def site(workdir: Path):
    return load_hosts_site(workdir / "config")


@pytest.fixture(scope="module")
def docroot(site, workdir: Path) -> Path:
    root = workdir / "www"
    build_docroot(site, root)
    return root


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
