"""Where a site reads and writes: the input, output and hosts_dir folders of sites.yaml.

Checked once every site is known, so one site's output inside another's input (which
never converges), an output that is a home or system folder, or a hosts_dir that would
be published is a located config error before anything is written.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from optout_site.config import keys, yamlnodes
from optout_site.config.model import Site
from optout_site.config.yamlnodes import Context


def missing_input(source: Path) -> str:
    """Why an input folder is missing, in the two ways it usually is: a typo of a folder
    that exists, or a generator (Hugo, Jekyll, Eleventy...) that has not run yet."""
    try:
        siblings = [p.name for p in source.parent.iterdir() if p.is_dir()]
    except OSError:
        siblings = []
    close = difflib.get_close_matches(source.name, siblings, n=1, cutoff=0.6)
    if close:
        return f"input folder {source} does not exist (did you mean {close[0]!r}?)"
    return (
        f"input folder {source} does not exist; if your site generator writes it "
        "(hugo, jekyll build, npm run build...), run the generator first"
    )


def check_paths(raw: dict[str, Any], ctx: Context, unbuilt_ok: bool = False) -> None:
    node = raw["__node__"]
    where = yamlnodes.value_node(node, "input")
    source, target = raw["input"], raw.get("output")
    try:
        if not source.exists():
            if not unbuilt_ok:
                ctx.error(where, missing_input(source))
        elif not source.is_dir():
            ctx.error(where, f"input {source} is not a folder")
    except OSError as exc:
        ctx.error(where, f"input {source} cannot be read: {exc.strerror}")
        return
    if target is None:
        return
    if is_system_folder(target):
        where = yamlnodes.value_node(node, "output")
        ctx.error(
            where,
            f"output {target} is a home or system folder; a build writes and removes files "
            "there: choose a folder of its own (e.g. build/)",
        )
        return
    at_output = yamlnodes.value_node(node, "output")
    if target == source:
        ctx.error(
            at_output, "output is the same folder as input; leave output out to stamp in place"
        )
    elif target.is_relative_to(source):
        ctx.error(
            at_output, f"output {target} is inside input {source}; the next build would stamp it"
        )
    elif source.is_relative_to(target):
        ctx.error(at_output, f"input {source} is inside output {target}")


def is_system_folder(folder: Path) -> bool:
    """A folder no build should write into: the filesystem root, a user's home, or one
    of the system's own top-level folders."""
    if folder == Path(folder.anchor) or folder == Path.home().resolve():
        return True
    if folder.parent == Path("/home") or folder.parent == Path("/Users"):
        return True
    system = {
        "bin",
        "boot",
        "dev",
        "etc",
        "lib",
        "lib64",
        "proc",
        "root",
        "sbin",
        "sys",
        "usr",
        "var",
        "opt",
        "srv",
        "tmp",
        "home",
        "Users",
        "System",
        "Library",
    }
    return folder.parent == Path(folder.anchor) and folder.name in system


def check_overlaps(sites: list[Site], nodes: dict[str, Any], ctx: Context) -> None:
    """One site's output inside another's input (or the reverse) never converges: each
    build stamps the other's files again."""
    for a in sites:
        if a.output is None:
            continue
        for b in sites:
            if b is a:
                continue
            if a.output.is_relative_to(b.input) or b.input.is_relative_to(a.output):
                ctx.error(
                    yamlnodes.value_node(nodes[a.name], "output"),
                    f"site {a.name!r} writes into {a.output}, which overlaps the input of "
                    f"site {b.name!r} ({b.input}); each build would stamp the other's files",
                )


def check_hosts_dirs(sites: list[Site], where: dict[str, yaml.Node], ctx: Context) -> None:
    """hosts_dir is there to keep server configs out of what is published: inside a
    published folder they would be served, inside an input stamped and copied by the next
    build. Two sites writing the same host's config into one folder would replace each
    other's."""
    claimed: dict[tuple[Path, str], str] = {}
    for site in sites:
        folder = site.hosts_dir
        if folder is None:
            continue
        node = where[site.name]
        clash = next(
            (
                (other, role, root)
                for other in sites
                for role, root in (("published folder", other.output_dir), ("input", other.input))
                if folder.is_relative_to(root)
            ),
            None,
        )
        if clash is not None:
            other, role, root = clash
            whose = (
                f"the site's own {role}" if other is site else f"the {role} of site {other.name!r}"
            )
            ctx.error(
                node,
                f"hosts_dir {folder} is inside {whose} ({root}); the server configs "
                "would be published with the site: choose a folder outside it (such as the "
                "folder of sites.yaml)",
            )
            continue
        for host in site.hosts:
            if host not in keys.HOSTS_DIR_HOSTS:
                continue
            first = claimed.setdefault((folder, host), site.name)
            if first != site.name:
                ctx.error(
                    node,
                    f"sites {first!r} and {site.name!r} would both write their {host} config "
                    f"into hosts_dir {folder}: give each site a hosts_dir of its own",
                )
