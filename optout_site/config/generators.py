"""What a static site generator's own config says: the site's URL, title, author and the
folder it builds into, so ``optout-site init`` can fill ``sites.yaml`` from it.

Every reader is total: a config that is missing, unreadable, malformed or written in a
way we do not follow yields ``None`` fields, never an exception. ``pelicanconf.py`` and
the JavaScript configs of Eleventy and Astro are read as text, only where a value is a
literal; nothing is imported or run.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml


@dataclass(frozen=True)
class Generator:
    """What one generator's config told us; ``None`` where it said nothing usable."""

    name: str  # "Hugo", "MkDocs", ...
    config: Path  # the file read
    output: str  # the folder it builds into, relative to the config's folder
    url: str | None = None
    title: str | None = None
    author: str | None = None


# --- reading files and values, never raising ------------------------------------------------


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError):
        return None


class _Tolerant(yaml.SafeLoader):
    """A YAML loader that reads unknown tags (MkDocs' ``!ENV``, ``!!python/name:``) as
    nothing, so one plugin setting does not hide the site's URL."""


def _unknown_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_Tolerant.add_multi_constructor("!", _unknown_tag)
_Tolerant.add_multi_constructor("tag:yaml.org,2002:python/", _unknown_tag)


def _mapping(text: str, kind: str) -> dict[str, Any]:
    """The top-level mapping of a TOML, YAML or JSON document; empty when it is not one."""
    try:
        if kind == "toml":
            data: object = tomllib.loads(text)
        elif kind == "json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_Tolerant)  # noqa: S506  (a safe loader)
    except (ValueError, yaml.YAMLError, RecursionError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def _string(value: object) -> str | None:
    if isinstance(value, str) and value.strip() and "\x00" not in value:
        return value.strip()
    return None


def _author(value: object) -> str | None:
    """An author as generators spell it: a string, ``{name: ...}``, or a list of either
    (the first one)."""
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("name")
    return _string(value)


def _get(mapping: dict[str, Any], key: str) -> object:
    """Hugo's keys are case-insensitive (``baseURL``, ``baseurl``)."""
    for k, v in mapping.items():
        if isinstance(k, str) and k.lower() == key.lower():
            return v
    return None


# Hosts RFC 2606 reserves for examples: `hugo new site` writes https://example.org/, and
# a URL nobody owns must stay a placeholder that `build` refuses, not pass as found.
_EXAMPLE_HOSTS = re.compile(r"(^|\.)example\.(com|org|net)$|^localhost$|^127\.|^0\.0\.0\.0$")


def site_url(value: object) -> str | None:
    """An absolute http(s) URL of a host someone owns, without a trailing slash."""
    text = _string(value)
    if text is None:
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment:
        return None
    if _EXAMPLE_HOSTS.search(host) or any(c.isspace() for c in text):
        return None
    return text.rstrip("/")


def _folder(value: object, default: str) -> str:
    """An output folder relative to the project, as the config wrote it."""
    text = _string(value)
    if text is None:
        return default
    text = text.removeprefix("./").rstrip("/")
    return text or default


# --- one reader per generator -----------------------------------------------------------------


def _hugo(path: Path, text: str) -> Generator:
    data = _mapping(text, path.suffix.lstrip("."))
    params = _get(data, "params")
    params = params if isinstance(params, dict) else {}
    return Generator(
        "Hugo",
        path,
        _folder(_get(data, "publishDir"), "public"),
        site_url(_get(data, "baseURL")),
        _string(_get(data, "title")),
        _author(_get(data, "author")) or _author(_get(params, "author")),
    )


# Keys only a Hugo config has at its top: `config.toml` and `config.yaml` are names many
# tools use, so they count as Hugo's only with one of these in them.
_HUGO_KEYS = {
    "baseurl",
    "languagecode",
    "publishdir",
    "theme",
    "contentdir",
    "defaultcontentlanguage",
}


def _hugo_by_generic_name(path: Path, text: str) -> Generator | None:
    data = _mapping(text, path.suffix.lstrip("."))
    if not any(isinstance(k, str) and k.lower() in _HUGO_KEYS for k in data):
        return None
    return _hugo(path, text)


def _mkdocs(path: Path, text: str) -> Generator:
    data = _mapping(text, "yaml")
    return Generator(
        "MkDocs",
        path,
        _folder(data.get("site_dir"), "site"),
        site_url(data.get("site_url")),
        _string(data.get("site_name")),
        _author(data.get("site_author")),
    )


def _jekyll(path: Path, text: str) -> Generator:
    data = _mapping(text, "yaml")
    url = _string(data.get("url"))
    base = _string(data.get("baseurl"))
    if url and base:
        url = url.rstrip("/") + "/" + base.strip("/")
    return Generator(
        "Jekyll",
        path,
        _folder(data.get("destination"), "_site"),
        site_url(url),
        _string(data.get("title")),
        _author(data.get("author")),
    )


# NAME = "literal" on a line of its own (a trailing comment allowed): what pelicanconf.py
# and publishconf.py are made of. Anything computed is not read.
_PY_ASSIGN = re.compile(
    r"""^(?P<name>[A-Z_]+)[ \t]*=[ \t]*[rRuU]?(?:"(?P<dq>[^"\\\n]*)"|'(?P<sq>[^'\\\n]*)')"""
    r"""[ \t]*(?:\#.*)?$""",
    re.MULTILINE,
)


def _python_literals(text: str) -> dict[str, str]:
    return {
        m["name"]: m["dq"] if m["dq"] is not None else m["sq"] for m in _PY_ASSIGN.finditer(text)
    }


def _pelican(path: Path, text: str) -> Generator:
    values = _python_literals(text)
    # publishconf.py (`from pelicanconf import *`) holds the production SITEURL.
    publish = _text(path.with_name("publishconf.py"))
    if publish is not None:
        values.update(_python_literals(publish))
    return Generator(
        "Pelican",
        path,
        _folder(values.get("OUTPUT_PATH"), "output"),
        site_url(values.get("SITEURL")),
        _string(values.get("SITENAME")),
        _string(values.get("AUTHOR")),
    )


def _js_literal(text: str, key: str) -> str | None:
    """``key: "literal"`` in a JavaScript config, when it is written exactly once."""
    found = re.findall(rf"""(?<![\w$.]){key}\s*:\s*(["'`])([^"'`\\\n$]*)\1""", text)
    values = {value for _, value in found}
    return values.pop() if len(values) == 1 else None


def _eleventy(path: Path, text: str) -> Generator:
    return Generator("Eleventy", path, _folder(_js_literal(text, "output"), "_site"))


def _astro(path: Path, text: str) -> Generator:
    return Generator(
        "Astro",
        path,
        _folder(_js_literal(text, "outDir"), "dist"),
        site_url(_js_literal(text, "site")),
    )


# In the order they are tried: the first config file found in the project decides.
# Hugo's config.{toml,yaml,json} comes after the others' names, which are their own.
READERS: tuple[tuple[str, Callable[[Path, str], Generator | None]], ...] = (
    ("hugo.toml", _hugo),
    ("hugo.yaml", _hugo),
    ("hugo.json", _hugo),
    ("mkdocs.yml", _mkdocs),
    ("mkdocs.yaml", _mkdocs),
    ("_config.yml", _jekyll),
    ("_config.yaml", _jekyll),
    ("pelicanconf.py", _pelican),
    ("eleventy.config.js", _eleventy),
    ("eleventy.config.mjs", _eleventy),
    ("eleventy.config.cjs", _eleventy),
    (".eleventy.js", _eleventy),
    ("astro.config.mjs", _astro),
    ("astro.config.js", _astro),
    ("astro.config.ts", _astro),
    ("astro.config.mts", _astro),
    ("config.toml", _hugo_by_generic_name),
    ("config.yaml", _hugo_by_generic_name),
    ("config.json", _hugo_by_generic_name),
)


def read(name: str, path: Path, text: str) -> Generator | None:
    """Read ``text`` as the config file ``name`` (one of :data:`READERS`); ``None`` for a
    generic name whose content is not the generator's."""
    reader = dict(READERS)[name]
    return reader(path, text)


def _candidates(project: Path) -> Iterator[Generator]:
    for name, reader in READERS:
        path = project / name
        text = _text(path)  # None when absent, a folder or unreadable
        found = reader(path, text) if text is not None else None
        if found is not None:
            yield found


def detect(project: Path) -> Generator | None:
    """The generator whose config is in ``project``, or ``None`` when there is none."""
    return next(_candidates(project), None)
