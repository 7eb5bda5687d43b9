"""A small validator over YAML nodes, so every config error can name its line and column.

PyYAML's ``compose`` keeps each node's position; ``safe_load`` throws it away. We walk the
composed tree against a declarative schema and collect every problem before failing, so
a user fixes a broken sites.yaml in one pass, not one error per run.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from optout_site.errors import ConfigError, Problem


@dataclass
class Context:
    file: Path
    problems: list[Problem] = field(default_factory=list)
    visited: int = 0

    def error(self, node: yaml.Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        column = node.start_mark.column + 1 if node is not None else 1
        problem = Problem(self.file, line, column, message)
        if problem not in self.problems:  # a mapping merged (<<) twice has its faults once
            self.problems.append(problem)


def value_node(node: yaml.Node, key: str) -> yaml.Node:
    """The value node of ``key`` in a mapping node, to point an error at it (else ``node``)."""
    if isinstance(node, yaml.MappingNode):
        try:
            pairs = merged(node)
        except Invalid:
            pairs = node.value
        for key_node, value in pairs:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                found: yaml.Node = value
                return found
    return node


class Invalid(Exception):
    """Raised inside a converter; the walker records it against the node (or ``at``)."""

    def __init__(self, message: str, at: yaml.Node | None = None) -> None:
        super().__init__(message)
        self.at = at


MERGE_TAG = "tag:yaml.org,2002:merge"
Pairs = list[tuple[yaml.Node, yaml.Node]]


def merged(node: yaml.MappingNode, _done: dict[int, Pairs] | None = None) -> Pairs:
    """A mapping's key/value nodes with YAML 1.1 merge keys (``<<: *base``,
    ``<<: [*a, *b]``) expanded, as https://yaml.org/type/merge.html says: the mapping's
    own keys first, then each merged key it does not set itself, an earlier mapping of a
    list winning over a later one. Merged nodes keep their own line and column, so an
    error in them points at where they are written; the mapping's own keys are kept as
    they are, duplicates included, for the schema to report.
    """
    done = {} if _done is None else _done  # each mapping expanded once (aliases share)
    if id(node) in done:
        return done[id(node)]
    done[id(node)] = []  # a mapping that merges itself (through an alias) adds nothing
    own: Pairs = []
    inherited: Pairs = []
    for key_node, value in node.value:
        if key_node.tag != MERGE_TAG:
            own.append((key_node, value))
            continue
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise Invalid(
                    f"'<<' merges a mapping or a list of mappings (such as *defaults), "
                    f"got {_kind(source)}",
                    at=source,
                )
            inherited += merged(source, done)
    seen = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
    out = list(own)
    for key_node, value in inherited:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key is None or key not in seen:
            out.append((key_node, value))
            seen.add(key)
    done[id(node)] = out
    return out


Converter = Callable[[yaml.Node, Context], Any]


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag.endswith(":null"):
        return "nothing (null)"
    return f"{node.tag.rsplit(':', 1)[-1]} {node.value!r}"


def scalar(node: yaml.Node, ctx: Context, *, tag: str, what: str) -> Any:
    if not isinstance(node, yaml.ScalarNode) or not node.tag.endswith(":" + tag):
        raise Invalid(f"expected {what}, got {_kind(node)}")
    try:
        return yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    except (yaml.YAMLError, KeyError, ValueError, TypeError):
        # An explicit tag with a value it cannot take (`!!bool maybe`, `!!int x`).
        tag = node.tag.rsplit(":", 1)[-1]
        raise Invalid(f"expected {what}, got {tag} {node.value!r}") from None


# Not allowed in XML 1.0 (image metadata) or HTML: C0 controls, DEL, lone surrogates and
# the noncharacters U+FFFE/U+FFFF.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def string(node: yaml.Node, ctx: Context) -> str:
    value: str = scalar(node, ctx, tag="str", what="a string")  # a !!str constructs a str
    if not value.strip():
        raise Invalid("expected a non-empty string")
    bad = _CONTROL.search(value)
    if bad:
        # These end up in XML (image metadata) and HTML, where they are not allowed.
        raise Invalid(f"character U+{ord(bad.group(0)):04X} is not allowed in {value!r}")
    return value


def boolean(node: yaml.Node, ctx: Context) -> bool:
    value: bool = scalar(node, ctx, tag="bool", what="true or false")  # a !!bool, a bool
    return value


def choice(*options: str) -> Converter:
    def convert(node: yaml.Node, ctx: Context) -> str:
        value = string(node, ctx)
        if value not in options:
            raise Invalid(
                f"expected one of {', '.join(options)}, got {value!r}" + _hint(value, options)
            )
        return value

    return convert


def list_of(item: Converter, *, allow_single: bool = False) -> Converter:
    """A YAML list; with ``allow_single`` a lone scalar means a one-item list."""

    def convert(node: yaml.Node, ctx: Context) -> list[Any]:
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif allow_single and isinstance(node, yaml.ScalarNode):
            children = [node]
        else:
            raise Invalid(f"expected a list, got {_kind(node)}")
        out = []
        for child in children:
            value = walk(child, item, ctx)
            if value is not _BAD:
                out.append(value)
        return out

    return convert


@dataclass(frozen=True)
class Key:
    convert: Converter
    required: bool = False


def mapping(keys: dict[str, Key], *, what: str = "a mapping") -> Converter:
    """A YAML mapping with a closed set of keys; unknown keys get a did-you-mean hint."""

    def convert(node: yaml.Node, ctx: Context) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise Invalid(f"expected {what}, got {_kind(node)}")
        out: dict[str, Any] = {}
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in merged(node):
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or key not in keys:
                shown = key if key is not None else _kind(key_node)
                ctx.error(
                    key_node, f"unknown key {shown!r}" + _hint(str(shown), keys) + _known(keys)
                )
                continue
            if key in seen:
                ctx.error(
                    key_node,
                    f"duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})",
                )
                continue
            seen[key] = key_node
            value = walk(value_node, keys[key].convert, ctx)
            if value is not _BAD:
                out[key] = value
        for key, spec in keys.items():
            if spec.required and key not in seen:
                ctx.error(node, f"missing required key {key!r} in {what}")
        out["__node__"] = node
        return out

    return convert


_BAD = object()


# YAML aliases let a small file name the same node exponentially often ("billion
# laughs"); a real sites.yaml has a few thousand nodes at most.
MAX_NODES = 100_000


def walk(node: yaml.Node, convert: Converter, ctx: Context) -> Any:
    ctx.visited += 1
    if ctx.visited > MAX_NODES:
        mark = node.start_mark
        raise ConfigError(
            [
                Problem(
                    ctx.file,
                    mark.line + 1,
                    mark.column + 1,
                    f"more than {MAX_NODES:,} values (aliases repeated too often?); refused",
                )
            ]
        )
    try:
        return convert(node, ctx)
    except Invalid as exc:
        ctx.error(exc.at or node, str(exc))
        return _BAD


def _hint(value: str, options: Sequence[str] | dict[str, Any]) -> str:
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _known(keys: dict[str, Any]) -> str:
    return "; expected one of: " + ", ".join(keys)


# libyaml's parser when PyYAML has it: ten times the pure-Python one, with the same nodes
# and marks (our shipped texts and registry are read on every build).
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` through :data:`LOADER`."""
    return yaml.load(text, Loader=LOADER)  # noqa: S506  (a safe loader)


def compose(path: Path) -> yaml.Node | None:
    """Parse YAML text into nodes with positions; syntax errors become a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        # Line 0: the file has no line to point at.
        message = (
            "config file not found; run `optout-site init` to write one here, "
            "or pass the path of yours with --config"
        )
        raise ConfigError([Problem(path, 0, 0, message)]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(path, 1, 1, f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise ConfigError([Problem(path, 1, 1, f"cannot read: {exc.strerror}")]) from None
    try:
        return yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"YAML syntax error: {exc.problem or exc.context}"
        raise ConfigError([Problem(path, line, column, message)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(path, 1, 1, f"YAML error: {exc}")]) from None


@dataclass(frozen=True)
class Located:
    """A value with the YAML node it was read from, for the checks that can only run once
    ``defaults`` are merged into the site (a phone number and the address country, the
    languages and the theme's texts may come from either), so their errors keep their line."""

    value: str
    node: yaml.Node
