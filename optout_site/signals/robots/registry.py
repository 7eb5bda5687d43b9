"""The AI agent registry: one record per robots.txt product token, with its purpose category.

The packaged file is ``optout_site/data/agents.yaml``; a user's extra registry file has the same
format and is layered on top with :meth:`Registry.merged`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from optout_site.config import yamlnodes
from optout_site.errors import RegistryError
from optout_site.spec import CATEGORIES, HONOURS, TOKEN_RE

_PACKAGE = "optout_site"
_RECORD_KEYS = {
    "token",
    "operator",
    "category",
    "honours_robots",
    "purpose",
    "source",
    "verified",
    "aliases",
    "generic",
}
_TOP_KEYS = {"version", "source", "agents", "dropped"}
_SOURCE_KEYS = {"name", "version", "date", "url"}


@dataclass(frozen=True)
class Agent:
    token: str
    operator: str
    category: str
    honours_robots: str
    purpose: str
    source: str
    verified: str
    aliases: tuple[str, ...] = ()
    # A common word or a few letters: a substring-matching parser applies its group to
    # other crawlers whose names contain it (see agents.confused_with).
    generic: bool = False

    def __post_init__(self) -> None:
        # Validated here, not only in load(), so agents built from sites.yaml get the same checks.
        if not isinstance(self.token, str) or not TOKEN_RE.match(self.token):
            raise ValueError(
                f"token {self.token!r} is not an RFC 9309 product token (letters, '_' and '-' only)"
            )
        if self.category not in CATEGORIES:
            raise ValueError(f"category {self.category!r} is not one of {', '.join(CATEGORIES)}")
        if self.honours_robots not in HONOURS:
            raise ValueError(
                f"honours_robots {self.honours_robots!r} is not one of {', '.join(HONOURS)}"
            )
        for name in ("operator", "purpose", "source"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} must be a non-empty string")
        try:
            dt.date.fromisoformat(self.verified)
        except (TypeError, ValueError):
            raise ValueError(f"verified {self.verified!r} is not a YYYY-MM-DD date") from None
        if not all(isinstance(a, str) and a.strip() for a in self.aliases):
            raise ValueError("aliases must be non-empty strings")
        if not isinstance(self.generic, bool):
            raise ValueError("generic must be true or false")


@dataclass(frozen=True)
class Source:
    """The list a registry file was last compared with: name, its version, the date."""

    name: str
    version: str
    date: str
    url: str = ""

    def describe(self) -> str:
        return f"{self.name} {self.version} ({self.date})" + (f", {self.url}" if self.url else "")


@dataclass(frozen=True)
class Registry:
    version: str
    agents: tuple[Agent, ...]
    dropped: tuple[tuple[str, str], ...] = ()
    source: Source | None = None
    _index: dict[str, Agent] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # RFC 9309 matches tokens case-insensitively, so two records differing only in case
        # would be one group to a crawler and two contradictory entries to us.
        index: dict[str, Agent] = {}
        for agent in self.agents:
            for name in (agent.token, *agent.aliases):
                other = index.setdefault(name.casefold(), agent)
                if other is not agent:
                    raise ValueError(
                        f"{name!r} of {agent.token!r} duplicates {other.token!r} "
                        "(tokens and aliases compare case-insensitively)"
                    )
        object.__setattr__(self, "_index", index)

    def left_out(self, name: str) -> str | None:
        """Why a name ai.robots.txt lists is deliberately not in the registry (or None)."""
        return next((why for n, why in self.dropped if n.casefold() == name.casefold()), None)

    def get(self, token: str) -> Agent | None:
        """The agent for ``token`` or one of its aliases, compared case-insensitively."""
        return self._index.get(token.casefold())

    def by_category(self, *categories: str) -> list[Agent]:
        unknown = set(categories) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown categories: {', '.join(sorted(unknown))}")
        return [a for a in self.agents if a.category in categories]

    def merged(self, extra: Iterable[Agent]) -> Registry:
        """A registry where ``extra`` replaces agents of the same token and adds the rest."""
        replacements = {a.token.casefold(): a for a in extra}
        agents = [replacements.pop(a.token.casefold(), a) for a in self.agents]
        return Registry(self.version, (*agents, *replacements.values()), self.dropped, self.source)

    def __iter__(self) -> Iterator[Agent]:
        return iter(self.agents)

    def __len__(self) -> int:
        return len(self.agents)


def load(path: Path | str | None = None) -> Registry:
    """Load and validate a registry file; by default the one shipped in the package."""
    if path is None:
        return _packaged()
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(name, f"cannot read registry: {exc}") from exc
    return _parse(text, name)


@functools.cache
def _packaged() -> Registry:
    # Read once per process: every build and every check needs it (a check twice), the
    # file ships with the package, and a Registry is immutable.
    resource = resources.files(_PACKAGE).joinpath("data", "agents.yaml")
    return _parse(resource.read_text(encoding="utf-8"), str(resource))


def _parse(text: str, name: str) -> Registry:
    # yaml.safe_load split in two, so that the node tree gives each record its line number.
    loader = yamlnodes.LOADER(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RegistryError(
            name, f"invalid YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None
        ) from exc
    finally:
        loader.dispose()

    if not isinstance(data, dict):
        raise RegistryError(name, "expected a mapping with 'version' and 'agents'", 1)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise RegistryError(name, f"unknown keys: {', '.join(sorted(map(str, unknown)))}")
    version = data.get("version", "")
    if not isinstance(version, str):
        raise RegistryError(name, "version must be a quoted string", _line_of(node, "version"))

    records = data.get("agents")
    if not isinstance(records, list):
        raise RegistryError(name, "'agents' must be a list of records", _line_of(node, "agents"))
    lines = _item_lines(node, "agents")
    agents: list[Agent] = []
    # Checked here as well as in Registry so that the error can point at both lines.
    first: dict[str, tuple[str, int | None]] = {}
    for i, record in enumerate(records):
        line = lines[i] if i < len(lines) else None
        agent = _agent(record, name, line)
        names = {n.casefold(): n for n in (agent.token, *agent.aliases)}
        for key, alias in names.items():
            if key in first:
                other, other_line = first[key]
                raise RegistryError(
                    name,
                    f"{agent.token}: {alias!r} duplicates {other!r} "
                    f"(line {other_line}); tokens compare case-insensitively",
                    line,
                )
        first.update((key, (agent.token, line)) for key in names)
        agents.append(agent)

    dropped_lines = _item_lines(node, "dropped")
    dropped: list[tuple[str, str]] = []
    for i, item in enumerate(data.get("dropped") or ()):
        line = dropped_lines[i] if i < len(dropped_lines) else None
        if not (
            isinstance(item, dict)
            and set(item) == {"name", "reason"}
            and all(isinstance(v, str) and v.strip() for v in item.values())
        ):
            raise RegistryError(
                name, "each dropped entry needs a non-empty 'name' and 'reason'", line
            )
        dropped.append((item["name"], item["reason"]))

    return Registry(version, tuple(agents), tuple(dropped), _source(data.get("source"), node, name))


def _source(value: Any, node: yaml.Node | None, name: str) -> Source | None:
    if value is None:
        return None
    if (
        not isinstance(value, dict)
        or not {"name", "version", "date"} <= set(value) <= _SOURCE_KEYS
        or not all(isinstance(v, str | dt.date) for v in value.values())
    ):
        raise RegistryError(
            name,
            "source must map name, version and date (YYYY-MM-DD) and optionally url to strings",
            _line_of(node, "source"),
        )
    fields = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in value.items()}
    return Source(**fields)


def _agent(record: Any, name: str, line: int | None) -> Agent:
    if not isinstance(record, dict):
        raise RegistryError(name, "each agent must be a mapping", line)
    token = record.get("token")
    label = token if isinstance(token, str) else repr(token)
    unknown = set(record) - _RECORD_KEYS
    if unknown:
        fields = ", ".join(sorted(map(str, unknown)))
        raise RegistryError(name, f"{label}: unknown fields: {fields}", line)
    missing = _RECORD_KEYS - {"aliases", "generic"} - set(record)
    if missing:
        raise RegistryError(name, f"{label}: missing fields: {', '.join(sorted(missing))}", line)
    values = dict(record)
    # YAML 1.1 reads bare yes/no as booleans and bare dates as dates; accept both spellings.
    if isinstance(values["honours_robots"], bool):
        values["honours_robots"] = "yes" if values["honours_robots"] else "no"
    if isinstance(values["verified"], dt.date):
        values["verified"] = values["verified"].isoformat()
    aliases = values.get("aliases") or ()
    if not isinstance(aliases, list | tuple):
        raise RegistryError(name, f"{label}: aliases must be a list", line)
    values["aliases"] = tuple(aliases)
    try:
        return Agent(**values)
    except ValueError as exc:
        raise RegistryError(name, f"{label}: {exc}", line) from None


def _value_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        pairs: list[tuple[yaml.Node, yaml.Node]] = node.value  # PyYAML types it Any
        for k, v in pairs:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _line_of(node: yaml.Node | None, key: str) -> int | None:
    value = _value_node(node, key)
    return value.start_mark.line + 1 if value is not None else None


def _item_lines(node: yaml.Node | None, key: str) -> list[int]:
    value = _value_node(node, key)
    if not isinstance(value, yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in value.value]
