"""The reservation page's theme: our templates and texts, with a site's own folder
(``reservation_page.templates``) searched first.

A theme is code and wording the user wrote, read at build time; a mistake in it is a
:class:`ConfigError` at its file and line (exit 2, before anything is written), never a
traceback. Texts are checked against the shape of ours (a text is a string, ``uses`` and
``none`` are mappings, ``months`` a list) and their ``{placeholders}`` against the ones the
page fills in; template errors are located by jinja2 (syntax) or by the template frame of
the traceback (an undefined name called, a failing expression, a missing parent).
"""

from __future__ import annotations

import functools
import os
import string
import traceback
from pathlib import Path
from typing import Any

import jinja2
import yaml

from optout_site.config import yamlnodes
from optout_site.config.languages import TEXTS_FILE, shipped_texts
from optout_site.errors import ConfigError, Problem

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE = "reservation.html.j2"
# What reservation.context fills into a text with str.format.
PLACEHOLDERS = frozenset({"holder", "site", "path", "date", "day", "month", "year"})
# Mappings merged key by key, so a theme can change one word of them.
_MERGED = ("uses", "none")


def texts(folder: Path | None) -> dict[str, dict[str, Any]]:
    """Our texts, overlaid per language and key by the theme folder's own file."""
    merged = {lang: dict(values) for lang, values in shipped_texts().items()}
    path = folder / TEXTS_FILE if folder is not None else None
    if path is None or not path.is_file():
        return merged
    stat = path.stat()
    for lang, values in _theme_texts(path, stat.st_mtime_ns, stat.st_size).items():
        base = merged.setdefault(lang, dict(shipped_texts()["en"]))
        for key, value in values.items():
            if key in _MERGED and isinstance(value, dict):
                value = {**base.get(key, {}), **value}
            base[key] = value
    return merged


@functools.lru_cache(maxsize=8)
def _theme_texts(path: Path, mtime: int, size: int) -> dict[str, dict[str, Any]]:
    """A theme's texts file, checked; cached while the file is unchanged."""
    node = yamlnodes.compose(path)
    if node is None:
        return {}
    ctx = yamlnodes.Context(path)
    if not isinstance(node, yaml.MappingNode):
        ctx.error(node, "expected a mapping of languages (en:, fr:, …) to their texts")
    else:
        for lang, values in node.value:
            if _is_null(values):
                continue
            if not isinstance(values, yaml.MappingNode):
                ctx.error(values, f"{lang.value}: expected a mapping of keys to texts")
                continue
            for key, value in values.value:
                _check(f"{lang.value}.{key.value}", key.value, value, ctx)
    if ctx.problems:
        raise ConfigError(ctx.problems)
    loaded = yaml.SafeLoader("").construct_document(node)
    return {str(lang): values or {} for lang, values in loaded.items()}


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")


def _check(name: str, key: str, node: yaml.Node, ctx: yamlnodes.Context) -> None:
    """One text against the shape of ours (a key of our own texts keeps its kind; a key of
    the theme's own, for its own template, may hold anything)."""
    ours = shipped_texts()["en"].get(key)
    if isinstance(ours, (dict, list)):
        _check_collection(name, key, node, isinstance(ours, dict), ctx)
    elif isinstance(node, yaml.ScalarNode) and not (ours is not None and _is_null(node)):
        _placeholders(name, node, ctx)
    elif ours is not None:
        ctx.error(node, f"{name}: expected text")


def _check_collection(
    name: str, key: str, node: yaml.Node, mapping: bool, ctx: yamlnodes.Context
) -> None:
    kind = yaml.MappingNode if mapping else yaml.SequenceNode
    if not isinstance(node, kind):
        ctx.error(node, f"{name}: expected {'a mapping' if mapping else 'a list'}, as ours")
        return
    for item in [v for _, v in node.value] if mapping else node.value:
        if not isinstance(item, yaml.ScalarNode) or _is_null(item):
            ctx.error(item, f"{name}: expected text")
        elif key == "none":  # laid over the page's texts, formatted like them
            _placeholders(name, item, ctx)


def _placeholders(name: str, node: yaml.ScalarNode, ctx: yamlnodes.Context) -> None:
    """Texts go through str.format: a brace that starts no placeholder, or a placeholder
    the page does not fill, would fail (or leak) when the page is rendered."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(str(node.value)) if f is not None]
    except ValueError as exc:
        ctx.error(node, f"{name}: {exc} (write {{{{ and }}}} for a literal brace)")
        return
    for field in fields:
        base = field.split(".")[0].split("[")[0]
        if base not in PLACEHOLDERS:
            ctx.error(
                node,
                f"{name}: unknown placeholder {{{field}}}; a text may use "
                + ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS)),
            )


def environment(folder: Path | None) -> jinja2.Environment:
    """Our templates under the theme folder's. Kept between builds of one process (tests,
    the Python API): compiling the page's templates is a third of a small site's build.
    jinja2 recompiles a template whose file was edited; a file added to or removed from
    the theme folder can change which file a name loads, so the folder's file names are
    part of the key."""
    return _environment(folder, _names(folder))


def _names(folder: Path | None) -> tuple[str, ...]:
    if folder is None:
        return ()
    return tuple(sorted(os.path.join(top, n) for top, _, names in os.walk(folder) for n in names))


@functools.lru_cache(maxsize=8)
def _environment(folder: Path | None, names: tuple[str, ...]) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if folder is not None:
        loaders.append(jinja2.FileSystemLoader(str(folder)))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATES)))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.ChainableUndefined,  # a theme's texts may lack optional keys
    )


def template(folder: Path | None) -> jinja2.Template:
    """The page template, compiled; a syntax error is a ConfigError at its line."""
    try:
        return environment(folder).get_template(TEMPLATE)
    except jinja2.TemplateSyntaxError as exc:
        raise _error(exc.filename, exc.lineno, f"template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise _error(None, 1, f"template not found: {exc.name}") from None


def render(page: jinja2.Template, context: dict[str, Any]) -> str:
    """The page; an error raised by a template's own code is a ConfigError at its line."""
    try:
        return page.render(context)
    except jinja2.TemplateSyntaxError as exc:  # a parent or include compiled on first use
        raise _error(exc.filename, exc.lineno, f"template syntax error: {exc.message}") from None
    except Exception as exc:
        # jinja2 maps its frames onto the template's file and line: the innermost one is
        # where the template failed. An error outside any template frame is ours: raised.
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if _is_template(f.filename)]
        if not frames:
            raise
        words = str(exc) if isinstance(exc, jinja2.TemplateError) else f"{exc}"
        message = f"template error: {words or type(exc).__name__}"
        if isinstance(exc, jinja2.TemplateNotFound):
            message = f"template not found: {exc.name}"
        raise _error(frames[-1].filename, frames[-1].lineno or 1, message) from None


def _is_template(filename: str) -> bool:
    return filename.endswith(".j2") and os.path.isfile(filename)


def _error(filename: str | None, line: int, message: str) -> ConfigError:
    where = Path(filename) if filename else TEMPLATES / TEMPLATE
    return ConfigError([Problem(where, line, 1, message)])
