"""``hosts_dir``: the server configs a host does not read from the web root (nginx and
Caddy includes, Vercel's project-root vercel.json) are written there, not published with
the site; ``_headers`` and ``.htaccess`` stay in the published folder, where their host
reads them. Config mistakes are refused with their line; earlier web-root copies are
withdrawn; ``check`` reads the configs where they now are; real servers serve them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support import (
    HOSTS_SITE,
    caddy_server,
    errors,
    load_hosts_site,
    nginx_server,
    world_readable_dir,
)
from test_hosts_servers import assert_serves_policy, build_docroot

from optout_site import config
from optout_site.build import build
from optout_site.build.report import REMOVED
from optout_site.cli import main
from optout_site.hosts import apache, caddy, netlify, nginx, vercel

ALL_HOSTS = "[netlify, cloudflare, vercel, apache, nginx, caddy]"
SITE = """
defaults:
  rightsholder: {name: Léa Moreau}
  hosts: %s
sites:
  - name: lea
    url: https://lea.example
    input: public
%s"""
AWAY = (nginx.FILE_NAME, caddy.FILE_NAME, vercel.FILE_NAME)
IN_ROOT = (netlify.FILE_NAME, apache.FILE_NAME)


def _site(tmp_path: Path, extra: str = "", hosts: str = ALL_HOSTS) -> Path:
    public = tmp_path / "public"
    public.mkdir(exist_ok=True)
    (public / "index.html").write_text("<!doctype html><title>t</title>\n", encoding="utf-8")
    path = tmp_path / "sites.yaml"
    path.write_text(SITE % (hosts, extra), encoding="utf-8")
    return path


def _files(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_in_place_build_keeps_server_configs_out_of_the_web_root(tmp_path):
    cfg = _site(tmp_path, "    hosts_dir: deploy\n")  # relative: to the config's folder
    dry = build(cfg, jobs=1, dry_run=True)
    assert not (tmp_path / "deploy").exists()
    assert str(tmp_path / "deploy" / nginx.FILE_NAME) in {f.path for f in dry.sites[0].files}
    report = build(cfg, jobs=1)
    assert report.ok, report.render()
    public, deploy = tmp_path / "public", tmp_path / "deploy"
    assert sorted(p.name for p in deploy.iterdir()) == sorted(AWAY)
    for name in AWAY:
        assert not (public / name).exists(), name
        assert b"tdm-reservation" in (deploy / name).read_bytes()
    for name in IN_ROOT:  # read from the published folder by Netlify/Cloudflare and Apache
        assert b"tdm-reservation" in (public / name).read_bytes(), name
    rows = {f.path: f.action for f in report.sites[0].files}
    assert rows[str(deploy / nginx.FILE_NAME)] == "changed"
    # A second run changes no byte and no mtime, in the site or in hosts_dir.
    before = _files(tmp_path / "public"), _files(deploy)
    again = build(cfg, jobs=1)
    assert again.sites[0].changed == 0, again.render()
    assert (_files(tmp_path / "public"), _files(deploy)) == before


def test_output_build_merges_vercel_json_with_the_one_in_hosts_dir(tmp_path):
    cfg = _site(tmp_path, "    output: build\n    hosts_dir: .\n")
    own = {
        "cleanUrls": True,
        "headers": [{"source": "/x", "headers": [{"key": "A", "value": "b"}]}],
    }
    (tmp_path / vercel.FILE_NAME).write_text(json.dumps(own), encoding="utf-8")
    assert build(cfg, jobs=1).ok
    data = json.loads((tmp_path / vercel.FILE_NAME).read_bytes())
    assert data["cleanUrls"] is True and own["headers"][0] in data["headers"]
    assert any(vercel.is_ours(e) for e in data["headers"])
    assert not (tmp_path / "build" / vercel.FILE_NAME).exists()
    assert (tmp_path / "build" / netlify.FILE_NAME).is_file()


def test_configs_an_earlier_build_left_in_the_web_root_are_withdrawn(tmp_path):
    cfg = _site(tmp_path)
    assert build(cfg, jobs=1).ok
    public = tmp_path / "public"
    assert all((public / name).is_file() for name in AWAY)
    (public / caddy.FILE_NAME).write_bytes(b"# edited by hand\n")  # no longer as we left it
    cfg.write_text(cfg.read_text(encoding="utf-8") + "    hosts_dir: deploy\n", encoding="utf-8")
    report = build(cfg, jobs=1)
    assert report.ok, report.render()
    removed = {f.path for f in report.sites[0].files if f.action == REMOVED}
    assert removed == {nginx.FILE_NAME, vercel.FILE_NAME}
    assert not (public / nginx.FILE_NAME).exists() and not (public / vercel.FILE_NAME).exists()
    assert (public / caddy.FILE_NAME).read_bytes() == b"# edited by hand\n"  # the user's now
    assert caddy.FILE_NAME in {f.path for f in report.sites[0].files}  # a file of the site
    assert all((tmp_path / "deploy" / name).is_file() for name in AWAY)
    assert all((public / name).is_file() for name in IN_ROOT)


@pytest.mark.parametrize(
    ("extra", "where", "message"),
    [
        ("    hosts_dir: public/conf\n", "9:16", "inside the site's own published folder"),
        (
            "    output: out\n    hosts_dir: out\n",
            "10:16",
            "inside the site's own published folder",
        ),
        ("    output: out\n    hosts_dir: public/x\n", "10:16", "inside the site's own input"),
        (
            "  - {name: b, url: 'https://b.example', input: other, hosts_dir: public}\n",
            "9:66",
            "inside the published folder of site 'lea'",
        ),
    ],
)
def test_hosts_dir_inside_a_published_or_input_folder_is_refused(tmp_path, extra, where, message):
    (tmp_path / "other").mkdir()
    cfg = _site(tmp_path, extra)
    with pytest.raises(config.ConfigError, match=rf"sites.yaml:{where}: .*{message}"):
        config.load(cfg)
    assert main(["build", "--config", str(cfg)]) == 2


def test_a_hosts_dir_in_defaults_is_located_there_and_shared_sites_collide(tmp_path):
    (tmp_path / "other").mkdir()
    cfg = _site(tmp_path, "  - {name: b, url: 'https://b.example', input: other}\n")
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace("defaults:\n", "defaults:\n  hosts_dir: d\n"),
        encoding="utf-8",
    )
    with pytest.raises(config.ConfigError) as info:
        config.load(cfg)
    text = str(info.value)
    for host in ("vercel", "nginx", "caddy"):
        assert f"sites.yaml:3:14: sites 'lea' and 'b' would both write their {host} config" in text
    # Netlify's and Apache's files stay in each site's own folder: no collision there.
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace(ALL_HOSTS, "[netlify, apache]"), encoding="utf-8"
    )
    sites = config.load(cfg).sites
    assert {s.hosts_dir for s in sites} == {tmp_path / "d"}


def test_check_reads_the_configs_in_hosts_dir(tmp_path, capsys):
    cfg = _site(tmp_path, "    hosts_dir: deploy\n")
    assert build(cfg, jobs=1).ok
    public = tmp_path / "public"
    args = ["check", str(public), "--config", str(cfg), "--json"]
    assert main(args) == 0, capsys.readouterr().out
    data = json.loads(capsys.readouterr().out)
    assert data["signals"]["host config"]["checked"] == 6
    (tmp_path / "deploy" / nginx.FILE_NAME).unlink()
    assert main(args) == 1
    data = json.loads(capsys.readouterr().out)
    assert errors(data, "host config", str(tmp_path / "deploy" / nginx.FILE_NAME), "'nginx'")


@pytest.mark.slow  # starts real web servers
@pytest.mark.parametrize("server", ["nginx", "caddy"])
def test_real_servers_serve_the_configs_a_build_wrote_into_hosts_dir(server):
    module = {"nginx": nginx, "caddy": caddy}[server]
    run = {"nginx": nginx_server, "caddy": caddy_server}[server]
    with world_readable_dir() as folder:  # the servers' workers read it
        site = load_hosts_site(folder)  # folder/sites.yaml, folder/public
        cfg = folder / "sites.yaml"
        cfg.write_text(HOSTS_SITE + "    hosts_dir: deploy\n", encoding="utf-8")
        build_docroot(site, folder / "public")
        assert build(cfg, jobs=1).ok
        built = config.load(cfg).sites[0]
        assert not (folder / "public" / module.FILE_NAME).exists()
        include = folder / "deploy" / module.FILE_NAME
        for path in (folder / "deploy", include, *(folder / "public").rglob("*")):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        with run(built, folder / "public", folder, include=include) as port:
            assert_serves_policy(built, port)
