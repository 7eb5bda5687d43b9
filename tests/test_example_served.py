"""The bundled example, built by the real pipeline, served by real nginx and Apache.

Issue 5's bar: for the example with hosts netlify, vercel, apache, nginx and caddy, the
servers send every header the policy asks for on pages and images, and none of the
reserving ones on a path the policy exempts (/press/).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import fetch, write_example_config

from optout_site import config
from optout_site.build import pipeline

PAGES = [
    "/",
    "/gallery/mountains/",
    "/about/",
    "/blog/2026/10/first-light/",
    "/fr/expositions.html",
]
IMAGES = ["/images/mountains.jpg", "/images/coast.png", "/images/forest.webp"]
EXEMPT = ["/press/", "/press/portrait.jpg"]

# Written by hand from sites.yaml (default: reserve tdm, train, ai-input; /press/ allows
# all; RSL on), not computed by the code under test. See support.HOSTS_EXPECTED for how
# each value follows from the policy.
LINK = '<https://lea-moreau.example/license.xml>; rel="license"; type="application/rsl+xml"'
RESERVED = {
    "tdm-reservation": "1",
    "tdm-policy": "https://lea-moreau.example/policies/tdm-policy.json",
    "x-robots-tag": "noai, noimageai",
    "content-usage": "train-ai=n, ai-use=n",
    "link": LINK,
}
FREE = {"tdm-reservation": "0", "content-usage": "train-ai=y, ai-use=y, search=y", "link": LINK}
NAMES = ("tdm-reservation", "tdm-policy", "x-robots-tag", "content-usage", "link")

pytestmark = pytest.mark.slow  # builds the example and starts real web servers


@pytest.fixture(scope="module")
def site(workdir: Path):
    path = write_example_config(workdir, output="www")
    (site,) = config.load(path).sites
    assert {"apache", "nginx"} <= set(site.hosts)
    return site


@pytest.fixture(scope="module")
def docroot(site, workdir: Path) -> Path:
    report = pipeline.build_site(site, jobs=1)
    assert not report.problems, report.render()
    for folder, _dirs, names in os.walk(site.output_dir):  # Apache's children are not root
        os.chmod(folder, 0o755)
        for name in names:
            os.chmod(Path(folder) / name, 0o644)
    return site.output_dir


def assert_example_headers(site, port: int) -> None:
    for path in PAGES + IMAGES + EXEMPT:
        status, got = fetch(port, path)
        assert status == 200, path
        want = FREE if path in EXEMPT else RESERVED
        for name in NAMES:
            assert got.get(name) == want.get(name), f"{path}: {name}"
    status, got = fetch(port, "/.well-known/tdmrep.json")
    assert status == 200 and got["content-type"].split(";")[0] == "application/json"


def test_nginx_serves_the_example_as_the_policy_says(site, nginx_port):
    assert_example_headers(site, nginx_port)


def test_apache_serves_the_example_as_the_policy_says(site, apache_port):
    assert_example_headers(site, apache_port)
