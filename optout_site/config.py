"""sites.yaml → typed, validated site configs (one per creator site).

Every error names the file, line and column (see :mod:`optout_site.schema`). Paths are
resolved relative to the YAML file, so a config works from any working directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from optout_site import schema, sites_schema
from optout_site.policy import Policy, PolicyError, Rule, Use
from optout_site.schema import ConfigError, Context
from optout_site.sites_schema import HOSTS, MEDIA_TYPES, STANCES, TDM_DUTIES  # noqa: F401

DEFAULT_CONFIG = Path("sites.yaml")


@dataclass(frozen=True)
class Address:
    street: str | None = None
    postal_code: str | None = None
    locality: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Rightsholder:
    name: str
    email: str | None = None
    url: str | None = None
    address: Address | None = None
    phone: str | None = None


@dataclass(frozen=True)
class TdmPolicyConfig:
    path: str = "/policies/tdm-policy.json"
    duty: str = "obtainConsent"


@dataclass(frozen=True)
class AiTxtConfig:
    # Empty: the short form (Disallow: /). Listed types get Spawning's per-extension lines.
    media_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImagesConfig:
    enabled: bool = True
    overwrite: bool = False
    legacy: bool = False
    copyright: str | None = None
    usage_terms: str | None = None


@dataclass(frozen=True)
class ReservationPageConfig:
    """The human-readable reservation page (the legal notice a court can read)."""

    enabled: bool = True
    path: str = "/ai-reservation/"
    footer_link: bool = False  # also splice a link to it into every page
    templates: Path | None = None  # a folder whose templates override the packaged ones


@dataclass(frozen=True)
class RslConfig:
    enabled: bool = False
    path: str = "/license.xml"


@dataclass(frozen=True)
class AgentsConfig:
    """How robots.txt treats agents beyond what the policy implies.

    ``categories`` maps a registry category to a stance: ``policy`` (the default: blocked
    when the policy reserves that category's use), ``block`` (always) or ``allow`` (never).
    ``block``/``allow`` name single tokens and beat any category stance.
    """

    registry: Path | None = None  # an extra registry file, same format as the packaged one
    # Inline agent records, each as sorted (field, value) pairs so the config stays hashable.
    add: tuple[tuple[tuple[str, str], ...], ...] = ()
    block: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    categories: tuple[tuple[str, str], ...] = ()

    def stance(self, category: str) -> str:
        return dict(self.categories).get(category, "policy")


@dataclass(frozen=True)
class Site:
    name: str
    url: str
    input: Path
    output: Path | None
    rightsholder: Rightsholder
    policy: Policy
    languages: tuple[str, ...] = ("en",)
    tdm_policy: TdmPolicyConfig = field(default_factory=TdmPolicyConfig)
    ai_txt: AiTxtConfig = field(default_factory=AiTxtConfig)
    images: ImagesConfig = field(default_factory=ImagesConfig)
    agents: AgentsConfig = field(default_factory=AgentsConfig)
    hosts: tuple[str, ...] = ()
    reservation_page: ReservationPageConfig = field(default_factory=ReservationPageConfig)
    rsl: RslConfig = field(default_factory=RslConfig)

    @property
    def output_dir(self) -> Path:
        """Where the stamped site goes; the input itself when stamping in place."""
        return self.output if self.output is not None else self.input

    def absolute(self, path: str) -> str:
        """The absolute URL of a site path (``/a/b`` → ``https://site/a/b``)."""
        return self.url + path

    @property
    def tdm_policy_url(self) -> str:
        return self.absolute(self.tdm_policy.path)

    @property
    def reservation_page_url(self) -> str | None:
        page = self.reservation_page
        return self.absolute(page.path) if page.enabled else None

    @property
    def rsl_url(self) -> str | None:
        return self.absolute(self.rsl.path) if self.rsl.enabled else None


@dataclass(frozen=True)
class Config:
    file: Path
    sites: tuple[Site, ...]

    def select(self, names: list[str] | None) -> tuple[Site, ...]:
        if not names:
            return self.sites
        known = {site.name: site for site in self.sites}
        missing = [n for n in names if n not in known]
        if missing:
            raise ConfigError(
                [
                    schema.Problem(
                        self.file, 1, 1, f"no site named {n!r}; sites: {', '.join(known)}"
                    )
                    for n in missing
                ]
            )
        return tuple(known[n] for n in names)


# --- assembling sites ---------------------------------------------------------------


def _merge(defaults: dict[str, Any], site: dict[str, Any]) -> dict[str, Any]:
    """Site keys win; mappings are merged one level deep so a site can override one field."""
    merged = dict(defaults)
    for key, value in site.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _plain(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k != "__node__"}


def _build_site(raw: dict[str, Any], ctx: Context) -> Site | None:
    node = raw["__node__"]
    holder_raw = raw.get("rightsholder")
    if not holder_raw or "name" not in holder_raw:
        ctx.error(node, "missing rightsholder.name (set it on the site or in defaults)")
        return None
    address = holder_raw.get("address")
    holder = Rightsholder(
        name=holder_raw["name"],
        email=holder_raw.get("email"),
        url=holder_raw.get("url"),
        address=Address(**_plain(address)) if address else None,
        phone=holder_raw.get("phone"),
    )
    raw_rules = [r for r in raw.get("rules", []) if "path" in r]  # the rest were reported
    try:
        reserve = frozenset(Use(u) for u in raw.get("reserve", []))
        allow = frozenset(Use(u) for u in raw.get("allow", []))
        rules = tuple(
            Rule(
                r["path"],
                frozenset(Use(u) for u in r.get("reserve", [])),
                frozenset(Use(u) for u in r.get("allow", [])),
            )
            for r in raw_rules
        )
        policy = Policy(reserve, allow, rules)
    except PolicyError as exc:
        ctx.error(node, f"inconsistent policy: {exc}")
        return None
    if not _check_rules(raw_rules, ctx):
        return None
    return Site(
        name=raw["name"],
        url=raw["url"],
        input=raw["input"],
        output=raw.get("output"),
        rightsholder=holder,
        policy=policy,
        languages=tuple(raw.get("language", ["en"])),
        tdm_policy=TdmPolicyConfig(**_plain(raw.get("tdm_policy", {}))),
        ai_txt=AiTxtConfig(tuple(raw.get("ai_txt", {}).get("media_types", ()))),
        images=ImagesConfig(**_plain(raw.get("images", {}))),
        agents=_agents(raw.get("agents", {}), ctx),
        hosts=tuple(dict.fromkeys(raw.get("hosts", []))),
        reservation_page=ReservationPageConfig(**_plain(raw.get("reservation_page", {}))),
        rsl=RslConfig(**_plain(raw.get("rsl", {}))),
    )


def _agents(raw: dict[str, Any], ctx: Context) -> AgentsConfig:
    block, allow = raw.get("block", []), raw.get("allow", [])
    both = {t.lower() for t in block} & {t.lower() for t in allow}
    if both:
        ctx.error(
            raw.get("__node__"), f"agents both blocked and allowed: {', '.join(sorted(both))}"
        )
    if raw.get("registry") is not None and not raw["registry"].is_file():
        ctx.error(raw.get("__node__"), f"agents.registry file {raw['registry']} does not exist")
    return AgentsConfig(
        registry=raw.get("registry"),
        add=tuple(tuple(sorted(_plain(a).items())) for a in raw.get("add", [])),
        block=tuple(block),
        allow=tuple(allow),
        categories=tuple(sorted(_plain(raw.get("categories", {})).items())),
    )


def _check_rules(rules: list[dict[str, Any]], ctx: Context) -> bool:
    ok = True
    seen: dict[str, yaml.Node] = {}
    for rule in rules:
        node = rule["__node__"]
        if rule["path"] == "/":
            ctx.error(node, "a rule for '/' is the site default: use the site's reserve/allow")
            ok = False
        elif rule["path"] in seen:
            first = seen[rule["path"]].start_mark.line + 1
            ctx.error(node, f"duplicate rule for {rule['path']!r} (first at line {first})")
            ok = False
        seen[rule["path"]] = node
    return ok


def _check_paths(raw: dict[str, Any], ctx: Context) -> None:
    node = raw["__node__"]
    source, target = raw["input"], raw.get("output")
    try:
        if not source.exists():
            ctx.error(node, f"input folder {source} does not exist")
        elif not source.is_dir():
            ctx.error(node, f"input {source} is not a folder")
    except OSError as exc:
        ctx.error(node, f"input {source} cannot be read: {exc.strerror}")
        return
    if target is None:
        return
    if target == source:
        ctx.error(node, "output is the same folder as input; leave output out to stamp in place")
    elif target.is_relative_to(source):
        ctx.error(node, f"output {target} is inside input {source}; the next build would stamp it")
    elif source.is_relative_to(target):
        ctx.error(node, f"input {source} is inside output {target}")


def load(path: Path = DEFAULT_CONFIG) -> Config:
    """Read and validate a sites.yaml; raises ConfigError listing every problem."""
    path = Path(path).resolve()
    root = schema.compose(path)
    ctx = Context(path)
    if root is None:
        raise ConfigError([schema.Problem(path, 1, 1, "the config is empty; expected 'sites:'")])
    top = schema.walk(root, sites_schema.TOP, ctx)
    sites: list[Site] = []
    if isinstance(top, dict):
        defaults = _plain(top.get("defaults", {}))
        outputs: dict[Path, str] = {}
        names: set[str] = set()
        site_list = top.get("sites", [])
        if "sites" in top and not site_list:
            ctx.error(root, "'sites' is empty; add at least one site")
        for raw_site in site_list:
            if not {"name", "url", "input"} <= raw_site.keys():
                continue  # missing keys were reported by the schema
            node = raw_site["__node__"]
            raw = {**_merge(defaults, _plain(raw_site)), "__node__": node}
            if raw["name"] in names:
                ctx.error(node, f"duplicate site name {raw['name']!r}")
            names.add(raw["name"])
            _check_paths(raw, ctx)
            target = raw.get("output", raw["input"])
            if target in outputs:
                ctx.error(
                    node, f"site {raw['name']!r} writes to the same folder as {outputs[target]!r}"
                )
            outputs[target] = raw["name"]
            site = _build_site(raw, ctx)
            if site is not None:
                sites.append(site)
    if ctx.problems:
        raise ConfigError(ctx.problems)
    return Config(path, tuple(sites))
