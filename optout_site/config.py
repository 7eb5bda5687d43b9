"""sites.yaml → typed, validated site configs (one per creator site).

Every error names the file, line and column (see :mod:`optout_site.schema`). Paths are
resolved relative to the YAML file, so a config works from any working directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from optout_site import schema
from optout_site.policy import Policy, PolicyError, Rule, Use
from optout_site.registry import CATEGORIES, HONOURS, TOKEN_RE
from optout_site.schema import ConfigError, Context, Invalid, Key

DEFAULT_CONFIG = Path("sites.yaml")
MEDIA_TYPES = ("images", "audio", "video", "text", "code")
TDM_DUTIES = ("obtainConsent", "compensate")


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


STANCES = ("policy", "block", "allow")
HOSTS = ("netlify", "cloudflare", "vercel", "apache", "nginx", "caddy")


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


# --- field converters --------------------------------------------------------------

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _site_name(node: yaml.Node, ctx: Context) -> str:
    value = schema.string(node, ctx)
    if not _NAME_RE.match(value):
        raise Invalid(f"site name {value!r} must be letters, digits, '.', '_' or '-'")
    return value


def _url(node: yaml.Node, ctx: Context) -> str:
    value = schema.string(node, ctx)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError as exc:
        raise Invalid(f"not a valid URL ({exc}): {value!r}") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid(
            f"expected an absolute http(s) URL such as https://example.com, got {value!r}"
        )
    if parts.query or parts.fragment:
        raise Invalid(f"the site URL cannot carry a query or fragment: {value!r}")
    return value


def _base_url(node: yaml.Node, ctx: Context) -> str:
    return _url(node, ctx).rstrip("/")


def _email(node: yaml.Node, ctx: Context) -> str:
    value = schema.string(node, ctx).removeprefix("mailto:")
    if not _EMAIL_RE.match(value):
        raise Invalid(f"expected an e-mail address such as rights@example.com, got {value!r}")
    return value


def _phone(node: yaml.Node, ctx: Context) -> str:
    value = schema.string(node, ctx).removeprefix("tel:")
    if not re.fullmatch(r"\+?[0-9 ().-]{4,}", value):
        raise Invalid(f"expected a phone number such as +33 1 23 45 67 89, got {value!r}")
    return value


def _language(node: yaml.Node, ctx: Context) -> str:
    value = schema.string(node, ctx)
    if not _LANG_RE.match(value):
        raise Invalid(f"expected a language tag such as en or fr-FR, got {value!r}")
    return value


def _site_path(node: yaml.Node, ctx: Context) -> str:
    value = schema.string(node, ctx)
    if not value.startswith("/"):
        raise Invalid(f"expected a URL path starting with '/', got {value!r}")
    if any(ch.isspace() for ch in value) or "#" in value or "?" in value:
        raise Invalid(f"a path cannot contain spaces, '#' or '?': {value!r} (percent-encode them)")
    if "$" in value[:-1]:
        raise Invalid(f"'$' may only end a path pattern: {value!r}")
    return value


def _file_path(node: yaml.Node, ctx: Context) -> Path:
    value = schema.string(node, ctx)
    try:
        path = Path(value).expanduser()
        return (path if path.is_absolute() else ctx.file.parent / path).resolve()
    except RuntimeError:
        raise Invalid(f"cannot expand the home folder in {value!r}") from None
    except (OSError, ValueError) as exc:
        raise Invalid(f"not a usable path ({exc}): {value!r}") from None


_use = schema.choice(*[u.value for u in Use])
_uses = schema.list_of(_use, allow_single=True)

_ADDRESS = schema.mapping(
    {k: Key(schema.string) for k in ("street", "postal_code", "locality", "country")},
    what="an address mapping",
)
_RIGHTSHOLDER = schema.mapping(
    {
        "name": Key(schema.string),
        "email": Key(_email),
        "url": Key(_url),
        "address": Key(_ADDRESS),
        "phone": Key(_phone),
    },
    what="a rightsholder mapping",
)
_RULE = schema.mapping(
    {"path": Key(_site_path, required=True), "reserve": Key(_uses), "allow": Key(_uses)},
    what="a rule mapping (path, reserve, allow)",
)
_TDM_POLICY = schema.mapping(
    {"path": Key(_site_path), "duty": Key(schema.choice(*TDM_DUTIES))},
    what="a tdm_policy mapping",
)
_AI_TXT = schema.mapping(
    {"media_types": Key(schema.list_of(schema.choice(*MEDIA_TYPES)))},
    what="an ai_txt mapping",
)
_IMAGES = schema.mapping(
    {
        "enabled": Key(schema.boolean),
        "overwrite": Key(schema.boolean),
        "legacy": Key(schema.boolean),
        "copyright": Key(schema.string),
        "usage_terms": Key(schema.string),
    },
    what="an images mapping",
)



def _token(node: yaml.Node, ctx: Context) -> str:
    value = schema.string(node, ctx)
    if not TOKEN_RE.match(value):
        raise Invalid(
            f"{value!r} is not a robots.txt product token (RFC 9309: letters, '_' and '-' only)"
        )
    return value


_AGENT = schema.mapping(
    {
        "token": Key(_token, required=True),
        "operator": Key(schema.string, required=True),
        "category": Key(schema.choice(*CATEGORIES), required=True),
        "honours_robots": Key(schema.choice(*HONOURS)),
        "purpose": Key(schema.string),
        "source": Key(_url),
    },
    what="an agent mapping (token, operator, category, ...)",
)
_AGENTS = schema.mapping(
    {
        "registry": Key(_file_path),
        "add": Key(schema.list_of(_AGENT)),
        "block": Key(schema.list_of(_token)),
        "allow": Key(schema.list_of(_token)),
        "categories": Key(
            schema.mapping(
                {c: Key(schema.choice(*STANCES)) for c in CATEGORIES},
                what="a mapping of category to stance",
            )
        ),
    },
    what="an agents mapping",
)


def _folder(node: yaml.Node, ctx: Context) -> Path:
    path = _file_path(node, ctx)
    if not path.is_dir():
        raise Invalid(f"folder {path} does not exist")
    return path


def _page_path(node: yaml.Node, ctx: Context) -> str:
    value = _site_path(node, ctx)
    if "*" in value or value.endswith("$"):
        raise Invalid(f"expected a plain path, not a pattern: {value!r}")
    return value


_RESERVATION_PAGE = schema.mapping(
    {
        "enabled": Key(schema.boolean),
        "path": Key(_page_path),
        "footer_link": Key(schema.boolean),
        "templates": Key(_folder),
    },
    what="a reservation_page mapping",
)
_RSL = schema.mapping(
    {"enabled": Key(schema.boolean), "path": Key(_page_path)}, what="an rsl mapping"
)

# Keys a site may set and `defaults:` may supply.
_SHARED_KEYS = {
    "rightsholder": Key(_RIGHTSHOLDER),
    "reserve": Key(_uses),
    "allow": Key(_uses),
    "rules": Key(schema.list_of(_RULE)),
    "language": Key(schema.list_of(_language, allow_single=True)),
    "tdm_policy": Key(_TDM_POLICY),
    "ai_txt": Key(_AI_TXT),
    "images": Key(_IMAGES),
    "agents": Key(_AGENTS),
    "hosts": Key(schema.list_of(schema.choice(*HOSTS), allow_single=True)),
    "reservation_page": Key(_RESERVATION_PAGE),
    "rsl": Key(_RSL),
}
_SITE = schema.mapping(
    {
        "name": Key(_site_name, required=True),
        "url": Key(_base_url, required=True),
        "input": Key(_file_path, required=True),
        "output": Key(_file_path),
        **_SHARED_KEYS,
    },
    what="a site mapping",
)
_DEFAULTS = schema.mapping(_SHARED_KEYS, what="a defaults mapping")
_TOP = schema.mapping(
    {"defaults": Key(_DEFAULTS), "sites": Key(schema.list_of(_SITE), required=True)},
    what="a mapping with 'defaults' and 'sites'",
)


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
    top = schema.walk(root, _TOP, ctx)
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
