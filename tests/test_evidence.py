"""Evidence records: made by the real build, verified and tampered with from outside.

The time-stamping authority is OpenSSL's own (``openssl ts -reply``) behind a loopback
HTTP server, with a CA made in the test; its tokens are also checked with
``openssl ts -verify``, so our reading of them is not the only one.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import nginx_server, run_cli, write_example_config

from optout_site import config
from optout_site.evidence import ledger, record, verify

OPENSSL = shutil.which("openssl")


def build(cfg: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = run_cli(["build", "-c", str(cfg), "--state-dir", str(cfg.parent / "state")])
    out = capsys.readouterr()
    assert code == 0, out
    return out.out + out.err


def chain(root: Path) -> list[Path]:
    return ledger.records(root / "evidence" / "lea-moreau")


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return write_example_config(tmp_path, evidence={"dir": "evidence"})


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One build with its record, for the tests that read it or change their own copy.
    cfg = write_example_config(tmp_path_factory.mktemp("built"), evidence={"dir": "evidence"})
    assert run_cli(["build", "-c", str(cfg), "--state-dir", str(cfg.parent / "state")]) == 0
    return cfg


@pytest.fixture
def built(built_once: Path, tmp_path: Path) -> Path:
    """A private copy of that build (config, source, output, evidence, state): its
    sites.yaml names its folders relative to itself."""
    shutil.copytree(built_once.parent, tmp_path / "copy", symlinks=True)
    return tmp_path / "copy" / "sites.yaml"


# --- the record ------------------------------------------------------------------------


def test_a_build_records_every_signal_page_and_image_with_what_it_carries(example, capsys):
    build(example, capsys)
    (path,) = chain(example.parent)
    value, data = ledger.load(path)
    # The file's bytes are the canonical record: its sha256 is the hash the chain uses.
    assert data == record.canonical(value)
    assert value["previous"] is None
    by_path = {f["path"]: f for f in value["files"]}
    out = example.parent / "build"
    for rel in ("robots.txt", ".well-known/tdmrep.json", "ai.txt", "index.html"):
        f = by_path["/" + rel]
        assert f["sha256"] == hashlib.sha256((out / rel).read_bytes()).hexdigest(), rel
    assert by_path["/index.html"]["reservation"]["tdm-reservation"] == "1"
    assert by_path["/index.html"]["reservation"]["robots"] == "noai, noimageai"
    assert by_path["/press/index.html"]["reservation"]["tdm-reservation"] == "0"
    mining = by_path["/images/mountains.jpg"]["reservation"]["plus:DataMining"]
    assert mining.endswith("DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING")
    assert by_path["/press/portrait.jpg"]["reservation"]["plus:DataMining"].endswith("DMI-ALLOWED")
    assert {f["kind"] for f in value["files"]} == {"signal", "host-config", "page", "image"}
    assert by_path["/optout-site.nginx.conf"]["kind"] == "host-config"
    # Every page and image of the build, none left out.
    pages = {p for p in by_path if by_path[p]["kind"] == "page"}
    assert pages == {
        "/" + str(p.relative_to(out))
        for p in out.rglob("*.*htm*")
        if "ai-reservation" not in str(p)
    }


def test_a_rebuild_that_changes_nothing_adds_nothing_and_a_change_is_chained(example, capsys):
    build(example, capsys)
    assert "evidence unchanged" in build(example, capsys)
    assert len(chain(example.parent)) == 1
    page = example.parent / "public" / "about" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"</main>", b"<p>New.</p></main>"))
    build(example, capsys)
    page.write_bytes(page.read_bytes().replace(b"New.", b"Newer."))
    build(example, capsys)
    records = chain(example.parent)
    assert len(records) == 3
    for earlier, later in zip(records, records[1:], strict=False):
        assert ledger.load(later)[0]["previous"] == hashlib.sha256(earlier.read_bytes()).hexdigest()
    result = verify.verify(records[-1], str(example.parent / "build"))
    assert result.ok, result.render()
    assert "3 record(s)" in result.render()


def test_records_of_identical_builds_differ_only_in_time(tmp_path, capsys):
    made = []
    for name in ("a", "b"):
        cfg = write_example_config(tmp_path / name, evidence={"dir": "evidence"})
        build(cfg, capsys)
        (path,) = chain(cfg.parent)
        made.append(ledger.load(path)[0])
    assert record.content(made[0]) == record.content(made[1])
    assert {k for k in made[0] if made[0][k] != made[1][k]} <= {"created"}


# --- verification and tampering -------------------------------------------------------------


@pytest.mark.parametrize(
    "rel", ["robots.txt", "about/index.html", "images/mountains.jpg", ".well-known/tdmrep.json"]
)
def test_verify_names_the_path_after_a_single_byte_change(built, capsys, rel):
    target = built.parent / "build" / rel
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    code = run_cli(
        [
            "evidence",
            "verify",
            str(built.parent / "evidence" / "lea-moreau"),
            str(target.parents[len(Path(rel).parts) - 1]),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    failed = [line for line in out.splitlines() if "FAIL" in line]
    assert failed == [f"  FAIL  /{rel}: served bytes differ from the recorded hash"], out


def test_verify_catches_an_altered_record_and_a_broken_chain(example, capsys):
    build(example, capsys)
    page = example.parent / "public" / "about" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"</main>", b"<p>x</p></main>"))
    build(example, capsys)
    first, second = chain(example.parent)
    # A file's hash changed inside the record: the Merkle root no longer matches.
    value, _ = ledger.load(second)
    value["files"][0]["sha256"] = "0" * 64
    second.write_bytes(record.canonical(value))
    result = verify.verify(second)
    assert [f.what for f in result.findings if not f.ok] == ["merkle root"]
    # The earlier record rewritten: the later one no longer names it.
    value, _ = ledger.load(first)
    value["created"] = "2020-01-01T00:00:00Z"
    first.write_bytes(record.canonical(value))
    result = verify.verify(second)
    assert "chain" in [f.what for f in result.findings if not f.ok]


def test_a_missing_file_is_named(built):
    (built.parent / "build" / "ai.txt").unlink()
    result = verify.verify(built.parent / "evidence" / "lea-moreau", str(built.parent / "build"))
    assert [(f.what, f.ok) for f in result.findings if not f.ok] == [("/ai.txt", False)]


def test_show_summarises_and_renders_a_printable_page(built, capsys, tmp_path):
    ledger_dir = str(built.parent / "evidence" / "lea-moreau")
    assert run_cli(["evidence", "show", ledger_dir]) == 0
    out = capsys.readouterr().out
    assert "Léa Moreau" in out and "/press/: nothing reserved" in out
    page = tmp_path / "record.html"
    assert run_cli(["evidence", "show", ledger_dir, "--html", str(page)]) == 0
    import html5lib

    doc = html5lib.parse(page.read_text(encoding="utf-8"), namespaceHTMLElements=False)
    text = "".join(doc.itertext())
    assert "https://lea-moreau.example" in text and "verified" in text
    assert len(doc.findall(".//tbody")[1].findall("tr")) == len(
        ledger.load(chain(built.parent)[0])[0]["files"]
    )


def test_archive_lists_signal_files_and_a_sample(built, capsys):
    assert (
        run_cli(
            [
                "evidence",
                "archive",
                str(built.parent / "evidence" / "lea-moreau"),
                "--sample",
                "2",
            ]
        )
        == 0
    )
    urls = capsys.readouterr().out.split()
    assert "https://lea-moreau.example/robots.txt" in urls
    assert sum(u.endswith(".html") and "ai-reservation" not in u for u in urls) == 2


# --- the Merkle root, as RFC 6962 §2.1 defines it ---------------------------------------


def _leaf(entry: record.Entry) -> bytes:
    return hashlib.sha256(b"\x00" + record.canonical(entry.to_dict())).digest()


entries = st.lists(
    st.builds(
        record.Entry,
        path=st.integers(0, 99).map(lambda n: f"/{n}"),
        kind=st.sampled_from(["signal", "page", "image"]),
        sha256=st.binary(min_size=32, max_size=32).map(bytes.hex),
        bytes=st.integers(0, 10**9),
    ),
    min_size=1,
    max_size=9,
)


def test_merkle_root_of_three_leaves_by_hand():
    a, b, c = (record.Entry(f"/{n}", "signal", "0" * 64, n) for n in range(3))
    node = lambda left, right: hashlib.sha256(b"\x01" + left + right).digest()  # noqa: E731
    want = node(node(_leaf(a), _leaf(b)), _leaf(c))  # split at the largest power of 2 < 3
    assert record.merkle_root([a, b, c]) == want.hex()
    assert record.merkle_root([]) == hashlib.sha256(b"").hexdigest()
    assert record.merkle_root([a]) == _leaf(a).hex()


@given(entries, st.data())
def test_changing_any_entry_changes_the_root(items, data):
    index = data.draw(st.integers(0, len(items) - 1))
    changed = list(items)
    old = changed[index]
    changed[index] = record.Entry(old.path, old.kind, old.sha256, old.bytes + 1)
    assert record.merkle_root(changed) != record.merkle_root(items)


# --- a real time-stamping authority on loopback -----------------------------------------


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run([OPENSSL or "openssl", *args], cwd=cwd, check=True, capture_output=True)


@contextlib.contextmanager
def tsa_server(root: Path) -> Iterator[str]:
    """OpenSSL's TSA (``openssl ts -reply``) behind an HTTP server; yields its URL."""
    root.mkdir()
    (root / "ext.cnf").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=critical,timeStamping\n"
    )
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
             "ca.pem", "-days", "30", "-subj", "/CN=Test Root CA", "-addext",
             "basicConstraints=critical,CA:TRUE", "-addext",
             "keyUsage=critical,keyCertSign,cRLSign", cwd=root)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
             "-subj", "/CN=Test TSA", cwd=root)  # fmt: skip
    _openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "tsa.pem", "-days", "30", "-extfile", "ext.cnf",
             cwd=root)  # fmt: skip
    (root / "serial").write_text("01\n")
    (root / "ts.cnf").write_text(
        f"""[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = {root}/serial
crypto_device = builtin
signer_cert = {root}/tsa.pem
signer_key = {root}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""
    )
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                (root / "q.tsq").write_bytes(query)
                _openssl("ts", "-reply", "-config", "ts.cnf", "-queryfile", "q.tsq", "-out",
                         "r.tsr", cwd=root)  # fmt: skip
                reply = (root / "r.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_a_real_tsa_token_verifies_and_tampering_is_caught(tmp_path, capsys):
    with tsa_server(tmp_path / "tsa") as url:
        cfg = write_example_config(tmp_path / "site", evidence={"dir": "evidence", "tsa": url})
        build(cfg, capsys)
    (path,) = chain(cfg.parent)
    token = ledger.token_path(path)
    ca = tmp_path / "tsa" / "ca.pem"
    # OpenSSL, independently: the token covers the record file's bytes.
    check = subprocess.run(
        [OPENSSL or "openssl", "ts", "-verify", "-in", str(token), "-data", str(path),
         "-CAfile", str(ca)], capture_output=True, text=True,
    )  # fmt: skip
    assert "Verification: OK" in check.stdout, check.stderr
    result = verify.verify(path, ca_bundle=ca)
    assert result.ok, result.render()
    assert "CN=Test TSA" in result.render() and "chain verified" in result.render()
    # The record changed by one byte: the token no longer covers it.
    saved = path.read_bytes()
    path.write_bytes(saved.replace(b'"created":"2', b'"created":"1'))
    bad = verify.verify(path, ca_bundle=ca)
    assert [f.what for f in bad.findings if not f.ok] == ["timestamp"]
    path.write_bytes(saved)
    # The token changed: its signature no longer verifies (or it no longer parses).
    good = token.read_bytes()
    token.write_bytes(good[:-20] + bytes(b ^ 0xFF for b in good[-20:]))
    assert [f.what for f in verify.verify(path, ca_bundle=ca).findings if not f.ok] == ["timestamp"]
    # Another CA's roots: the chain does not lead there.
    token.write_bytes(good)
    other = tmp_path / "other"
    other.mkdir()
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k", "-out", "o.pem",
             "-days", "1", "-subj", "/CN=Other", cwd=other)  # fmt: skip
    assert not verify.verify(path, ca_bundle=other / "o.pem").ok


def test_an_unreachable_tsa_warns_and_keeps_the_record(tmp_path, capsys):
    cfg = write_example_config(
        tmp_path, evidence={"dir": "evidence", "tsa": "http://127.0.0.1:9/tsa"}
    )
    out = build(cfg, capsys)
    (path,) = chain(tmp_path)
    assert not ledger.token_path(path).exists()
    assert "did not answer" in out and "kept without a timestamp" in out


@pytest.mark.slow
def test_verify_against_the_site_served_by_nginx(tmp_path, capsys):
    cfg = write_example_config(tmp_path, output="www", evidence={"dir": "evidence"})
    build(cfg, capsys)
    (site,) = config.load(cfg).sites
    docroot = tmp_path / "www"
    for p in [docroot, *docroot.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    tmp_path.chmod(0o755)
    work = tmp_path / "nginx-work"
    work.mkdir()
    with nginx_server(site, docroot, work) as port:
        url = f"http://127.0.0.1:{port}"
        result = verify.verify(tmp_path / "evidence" / "lea-moreau", url)
        assert result.ok, result.render()
        (docroot / "images" / "coast.png").write_bytes(b"\x89PNG changed")
        (docroot / "images" / "coast.png").chmod(0o644)
        result = verify.verify(tmp_path / "evidence" / "lea-moreau", url)
    assert [f.what for f in result.findings if not f.ok] == ["/images/coast.png"]


def test_publish_puts_the_latest_record_under_well_known(tmp_path, capsys):
    cfg = write_example_config(tmp_path, evidence={"dir": "evidence", "publish": True})
    build(cfg, capsys)
    (path,) = chain(tmp_path)
    published = tmp_path / "build" / ".well-known" / "optout-site-evidence.json"
    assert published.read_bytes() == path.read_bytes()
    assert json.loads(published.read_bytes())["site"] == "lea-moreau"


def test_host_configs_kept_outside_the_site_are_not_recorded_as_published(tmp_path, capsys):
    cfg = write_example_config(tmp_path, hosts_dir="hostconf", evidence={"dir": "evidence"})
    build(cfg, capsys)
    (path,) = chain(tmp_path)
    recorded = {f["path"] for f in ledger.load(path)[0]["files"]}
    assert (tmp_path / "hostconf" / "optout-site.nginx.conf").is_file()
    assert "/optout-site.nginx.conf" not in recorded and "/.htaccess" in recorded
    assert all(p.startswith("/") and "hostconf" not in p for p in recorded)
    assert verify.verify(path, str(tmp_path / "build")).ok
