"""``optout-site check URL``: the built example served on loopback by a throwaway HTTP
server whose handler can add (or withhold, or spoil) headers per path."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import html5lib
import pytest
from support import errors, make_example, run_cli

from optout_site.check import check_url, render
from optout_site.signals import headers as headers_signal

pytestmark = pytest.mark.slow  # an HTTP server on loopback per test

HeadersFor = Callable[[str], dict[str, str]]


class _Handler(http.server.SimpleHTTPRequestHandler):
    headers_for: HeadersFor = staticmethod(lambda path: {})  # type: ignore[assignment]
    status_for: Callable[[str], int | None] = staticmethod(lambda path: None)  # type: ignore[assignment]

    def end_headers(self) -> None:
        path = self.path.split("?")[0]
        for name, value in self.headers_for(path).items():
            self.send_header(name, value)
        super().end_headers()

    def send_head(self):  # noqa: ANN201 - signature of the base class
        status = self.status_for(self.path.split("?")[0])
        if status is not None:
            self.send_error(status)
            return None
        return super().send_head()

    def list_directory(self, path):  # noqa: ANN001, ANN201 - static hosts list no folders
        self.send_error(404)
        return None

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


@contextlib.contextmanager
def serve(
    root: Path,
    headers_for: HeadersFor | None = None,
    status_for: Callable[[str], int | None] | None = None,
) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) for the duration of the block."""
    attrs = {
        "headers_for": staticmethod(headers_for or (lambda path: {})),
        "status_for": staticmethod(status_for or (lambda path: None)),
    }
    handler = type("Handler", (_Handler,), attrs)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    server.timeout = 5
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    # No host configs: whether headers are expected then depends on what the server sends.
    return make_example(tmp_path_factory.mktemp("url"), hosts=[])


def good_headers(site) -> HeadersFor:
    """What a correctly configured host sends: the header signal's own reference."""

    def headers_for(path: str) -> dict[str, str]:
        return dict(headers_signal.for_decision(site, site.policy.resolve(path)))

    return headers_for


def check_json(base: str, cfg: Path | None, capsys) -> tuple[int, dict]:
    argv = ["check", base, "--json", "--timeout", "5"] + (["-c", str(cfg)] if cfg else [])
    code = run_cli(argv)
    return code, json.loads(capsys.readouterr().out)


def test_served_example_with_headers_is_consistent(example, capsys):
    cfg, site = example
    with serve(site.output_dir, good_headers(site)) as base:
        code, data = check_json(base, cfg, capsys)
    assert code == 0, json.dumps(data["findings"], indent=1)
    assert data["mode"] == "url"
    assert data["signals"]["HTTP headers"]["checked"] >= 8
    grid = {row["path"]: row["cells"] for row in data["grid"]}
    assert grid["/images/coast.png"]["HTTP headers"]["state"] == "ok"
    assert grid["/press/portrait.jpg"]["image XMP"]["note"] == "DMI-ALLOWED"


def test_served_without_headers_only_warns(example, capsys):
    cfg, site = example
    with serve(site.output_dir) as base:
        code, data = check_json(base, cfg, capsys)
    assert code == 0, json.dumps(data["findings"], indent=1)
    assert any(
        f["signal"] == "HTTP headers" and f["severity"] == "warning" for f in data["findings"]
    )


def test_hosts_configured_but_no_headers_sent(example, capsys):
    _, site = example
    with serve(site.output_dir) as base:
        report = check_url(base, dataclasses.replace(site, hosts=("netlify",)), timeout=5)
    assert not report.ok
    [finding] = [f for f in report.errors if f.signal == "HTTP headers"]
    assert "'netlify'" in finding.message and finding.path == "/"


def test_served_without_config_infers_the_policy(example):
    _, site = example
    with serve(site.output_dir, good_headers(site)) as base:
        report = check_url(base, None, sample=10, timeout=5)
    assert report.ok, render.text(report)
    assert report.policy_source.startswith("inferred from tdmrep.json")
    assert {p.path for p in report.policy} == {"/", "/press/"}


def test_header_missing_on_a_served_image(example, capsys):
    cfg, site = example
    good = good_headers(site)
    with serve(
        site.output_dir, lambda path: {} if path == "/images/coast.png" else good(path)
    ) as base:
        code, data = check_json(base, cfg, capsys)
    assert code == 1
    [finding] = errors(data, "HTTP headers", "/images/coast.png", "no opt-out headers at all")
    assert "tdm-reservation 1" in finding["message"]
    assert not errors(data, "HTTP headers", "/images/mountains.jpg")


def test_noindex_in_x_robots_tag_is_over_blocking(example, capsys):
    cfg, site = example
    good = good_headers(site)

    def spoiled(path: str) -> dict[str, str]:
        out = good(path)
        if path == "/gallery/":
            out["X-Robots-Tag"] = "noindex, noai, noimageai"
        return out

    with serve(site.output_dir, spoiled) as base:
        code, data = check_json(base, cfg, capsys)
    assert code == 1
    [finding] = errors(data, "HTTP headers", "/gallery/", "over-blocking")
    assert "noindex" in finding["message"]


def test_header_disagreeing_with_the_meta(example, capsys):
    cfg, site = example
    good = good_headers(site)

    def spoiled(path: str) -> dict[str, str]:
        out = good(path)
        if path == "/about/":
            out["tdm-reservation"] = "0"
        return out

    with serve(site.output_dir, spoiled) as base:
        code, data = check_json(base, cfg, capsys)
    assert code == 1
    [finding] = errors(data, "HTTP headers", "/about/", "header says 0")
    assert "the page's meta says 1" in finding["message"]


def test_content_usage_header_contradicting_the_policy(example, capsys):
    cfg, site = example
    good = good_headers(site)

    def spoiled(path: str) -> dict[str, str]:
        out = good(path)
        if path == "/images/mountains.jpg":
            out["Content-Usage"] = "train-ai=y, search=y"
        return out

    with serve(site.output_dir, spoiled) as base:
        code, data = check_json(base, cfg, capsys)
    assert code == 1
    assert errors(data, "HTTP headers", "/images/mountains.jpg", "Content-Usage header")


def test_robots_txt_server_error_means_complete_disallow(example, capsys):
    cfg, site = example
    with serve(
        site.output_dir, good_headers(site), lambda path: 503 if path == "/robots.txt" else None
    ) as base:
        code, data = check_json(base, cfg, capsys)
    assert code == 1
    [finding] = errors(data, "robots.txt", "/robots.txt", "unreachable")
    assert "whole site is disallowed" in finding["message"]


def test_unreachable_server_reports_instead_of_hanging(capsys):
    with serve(Path(".")) as base:
        pass  # the server is gone: the port now refuses connections
    code, data = check_json(base, None, capsys)
    assert code == 1
    assert errors(data, "robots.txt", "/robots.txt", "unreachable")


def test_html_report_from_url_mode(example, tmp_path):
    _, site = example
    with serve(site.output_dir, good_headers(site)) as base:
        report = check_url(base, site, sample=5, timeout=5)
    text = render.html(report)
    assert "HTTP headers" in text and "http://127.0.0.1" in text
    assert 'href="http' not in text and 'src="http' not in text
    html5lib.HTMLParser(strict=True).parse(text)
