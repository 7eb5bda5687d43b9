"""sites.yaml → typed, validated site configs (one per creator site).

Every error names the file, line and column (see :mod:`optout_site.config.yamlnodes`).
Paths are resolved relative to the YAML file, so a config works from any working directory.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import yaml

from optout_site.config import folders, keys, yamlnodes
from optout_site.config.languages import site_languages
from optout_site.config.model import (
    DEFAULT_CONFIG,
    Address,
    AgentsConfig,
    AiTxtConfig,
    BlockConfig,
    C2paConfig,
    Config,
    EvidenceConfig,
    ImagesConfig,
    ReservationPageConfig,
    Rightsholder,
    RobotsMetaConfig,
    RslConfig,
    Site,
    TdmPolicyConfig,
)
from optout_site.config.phone import telephone
from optout_site.config.yamlnodes import Context
from optout_site.errors import ConfigError, PolicyError, Problem
from optout_site.policy import Policy, Rule, Use, apply, expand

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


def _where(raw: dict[str, Any], key: str) -> yaml.Node:
    """The node ``key`` was written at: the site's own, else the ``defaults`` one it came
    from (so a conflict inside ``defaults`` is reported there), else the site entry."""
    site = raw["__node__"]
    found = yamlnodes.value_node(site, key)
    if found is site and raw.get("__defaults__") is not None:
        in_defaults = yamlnodes.value_node(raw["__defaults__"], key)
        if in_defaults is not raw["__defaults__"]:
            return in_defaults
    return found


def _uses(raw: dict[str, Any], key: str) -> frozenset[Use]:
    return frozenset(Use(u) for u in raw.get(key, []))


def _policy(raw: dict[str, Any], ctx: Context) -> Policy | None:
    """The site's policy; every conflict is reported where it is written (the site's
    reserve/allow, the ``defaults`` ones, or the rule, named), all in one run."""
    allow = _uses(raw, "allow")
    # Not written: the AI uses are reserved, except those `allow` names.
    reserve = (
        _uses(raw, "reserve")
        if "reserve" in raw
        else frozenset(Use(u) for u in keys.DEFAULT_RESERVE) - expand(allow)
    )
    ok = True
    try:
        base = apply(frozenset(), reserve, allow)
    except PolicyError as exc:
        where = _where(raw, "allow" if "allow" in raw else "reserve")
        ctx.error(where, f"inconsistent policy: {exc}")
        base, ok = expand(reserve), False  # the rules are still checked, all in one run
    raw_rules = [r for r in raw.get("rules", []) if "path" in r]  # the rest were reported
    ok = _check_rules(raw_rules, ctx) and ok
    rules = []
    for r in raw_rules:
        rule = Rule(r["path"], _uses(r, "reserve"), _uses(r, "allow"))
        try:
            apply(base, rule.reserve, rule.allow)
        except PolicyError as exc:
            ctx.error(r["__node__"], f"inconsistent rule for {r['path']!r}: {exc}")
            ok = False
        rules.append(rule)
    return Policy(reserve, allow, tuple(rules)) if ok else None


def _build_site(raw: dict[str, Any], ctx: Context) -> Site | None:
    node = raw["__node__"]
    # Checked once defaults are merged: the theme may add languages, the address the
    # country of a national phone number.
    languages = site_languages(raw, ctx)
    holder_raw = raw.get("rightsholder") or {}
    address = holder_raw.get("address")
    phone, tel = telephone(holder_raw.get("phone"), (address or {}).get("country"), ctx)
    if "name" not in holder_raw:
        ctx.error(node, "missing rightsholder.name (set it on the site or in defaults)")
    _check_placeholders(raw, ctx)
    policy = _policy(raw, ctx)
    if policy is None or "name" not in holder_raw:
        return None
    if not any(d.reserved for d in policy.decisions) and "no-reservation" not in raw.get(
        "acknowledge", ()
    ):
        ctx.error(
            _where(raw, "reserve"),
            f"site {raw['name']!r} reserves no use on any path, so every signal would publish "
            "a permission (tdm-reservation 0, DMI-ALLOWED in every image, ai-train=yes). "
            "To reserve AI uses, set `reserve: [tdm, train, ai-input]` (or leave `reserve` "
            "out); if a blanket permission is what you mean, add `acknowledge: [no-reservation]`",
        )
        return None
    holder = Rightsholder(
        name=holder_raw["name"],
        email=holder_raw.get("email"),
        url=holder_raw.get("url"),
        address=Address(**_plain(address)) if address else None,
        phone=phone,
        tel=tel,
    )
    refusing_only = [h for h in raw.get("hosts", []) if h in keys.BLOCK_ONLY_HOSTS]
    if refusing_only and "block" not in raw:
        ctx.error(
            _where(raw, "hosts"),
            f"hosts {', '.join(refusing_only)}: optout-site writes only the refusal of agents "
            "for them, so they need `block:` (docs/hosting.md)",
        )
    return Site(
        name=raw["name"],
        url=raw["url"],
        input=raw["input"],
        output=raw.get("output"),
        rightsholder=holder,
        policy=policy,
        languages=languages,
        tdm_policy=TdmPolicyConfig(**_plain(raw.get("tdm_policy", {}))),
        ai_txt=AiTxtConfig(tuple(raw.get("ai_txt", {}).get("media_types", ()))),
        images=ImagesConfig(**_plain(raw.get("images", {}))),
        agents=_agents(raw.get("agents", {}), ctx),
        hosts=tuple(dict.fromkeys(raw.get("hosts", []))),
        hosts_dir=raw.get("hosts_dir"),
        exclude=tuple(raw.get("exclude", ())),
        exclude_icons=raw.get("exclude_icons", True),
        reservation_page=_reservation_page(raw.get("reservation_page", {})),
        rsl=RslConfig(**_plain(raw.get("rsl", {}))),
        robots_meta=RobotsMetaConfig(**_plain(raw.get("robots_meta", {}))),
        acknowledge=tuple(dict.fromkeys(raw.get("acknowledge", ()))),
        evidence=_evidence(raw, ctx),
        block=_block(raw, ctx),
        c2pa=_c2pa(raw, ctx),
    )


def _evidence(raw: dict[str, Any], ctx: Context) -> EvidenceConfig:
    if "evidence" not in raw:
        return EvidenceConfig()
    given = _plain(raw["evidence"])
    return EvidenceConfig(
        enabled=given.get("enabled", True),
        dir=given.get("dir") or ctx.file.parent / "evidence",
        publish=given.get("publish", False),
        tsa=given.get("tsa"),
    )


def _reservation_page(raw: dict[str, Any]) -> ReservationPageConfig:
    fields = _plain(raw)
    footer = fields.pop("footer_link", False)
    if isinstance(footer, dict):  # `footer_link: {before: </main>, text: ...}` means on
        fields.update({f"footer_{k}": v for k, v in _plain(footer).items()})
    return ReservationPageConfig(**fields, footer_link=bool(footer))


def _block(raw: dict[str, Any], ctx: Context) -> BlockConfig | None:
    if "block" not in raw:
        return None
    given = raw["block"]
    if not given.get("agents"):
        ctx.error(
            given.get("__node__", raw["__node__"]),
            "block needs `agents`: categories or product names to refuse (here or in defaults)",
        )
        return None
    return BlockConfig(tuple(dict.fromkeys(given["agents"])), given.get("status", 403))


# The registry override beside sites.yaml, read when agents.registry names no other file.
OVERRIDE_FILE = "agents.yaml"


def _c2pa(raw: dict[str, Any], ctx: Context) -> C2paConfig:
    """The mapping's shape and the extra; whether the certificate and key can be read is
    checked when a build starts (:func:`optout_site.c2pa.signing.ready`), so ``check``
    and ``sites`` work where the signing secrets are not given (a CI job without them)."""
    given = _plain(raw.get("c2pa", {}))
    config = C2paConfig(**{"enabled": "c2pa" in raw, **given})
    if not config.enabled:
        return config
    node = raw["c2pa"].get("__node__")
    for what in ("cert", "key"):
        if (getattr(config, what) is None) == (getattr(config, f"{what}_env") is None):
            ctx.error(node, f"c2pa needs exactly one of {what}: PATH or {what}_env: VARIABLE")
    if importlib.util.find_spec("c2pa") is None:
        ctx.error(
            node,
            "c2pa: signs every image with Content Credentials, which needs the c2pa-python "
            "package: pip install 'optout-site[c2pa]' (or remove the c2pa: mapping)",
        )
    return config


def _agents(raw: dict[str, Any], ctx: Context) -> AgentsConfig:
    block, allow = raw.get("block", []), raw.get("allow", [])
    both = {t.lower() for t in block} & {t.lower() for t in allow}
    if both:
        ctx.error(
            raw.get("__node__"), f"agents both blocked and allowed: {', '.join(sorted(both))}"
        )
    if raw.get("registry") is not None and not raw["registry"].is_file():
        ctx.error(raw.get("__node__"), f"agents.registry file {raw['registry']} does not exist")
    registry = raw.get("registry")
    beside = ctx.file.parent / OVERRIDE_FILE  # what `agents update` writes
    if registry is None and beside.is_file():
        registry = beside
    return AgentsConfig(
        registry=registry,
        add=tuple(tuple(sorted(_plain(a).items())) for a in raw.get("add", [])),
        block=tuple(block),
        allow=tuple(allow),
        omit_generic=raw.get("omit_generic", False),
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


# Site-level files every build writes at fixed paths.
_FIXED = {
    "/robots.txt": "robots.txt",
    "/ai.txt": "ai.txt",
    "/.well-known/tdmrep.json": "tdmrep.json",
}


# What `optout-site init` writes for the user to replace: built as is, every image and
# page would credit "Your Name" and point at example.com.
PLACEHOLDERS = {
    ("url",): "https://www.example.com",
    ("rightsholder", "name"): "Your Name",
    ("rightsholder", "email"): "rights@example.com",
    ("rightsholder", "url"): "https://www.example.com/about/",
}


def _check_placeholders(raw: dict[str, Any], ctx: Context) -> None:
    for keys_path, placeholder in PLACEHOLDERS.items():
        section: Any = raw
        node = raw["__node__"]
        for key in keys_path[:-1]:
            section = section.get(key) or {}
            node = section.get("__node__", node) if isinstance(section, dict) else node
        value = section.get(keys_path[-1]) if isinstance(section, dict) else None
        if value == placeholder:
            ctx.error(
                yamlnodes.value_node(node, keys_path[-1]),
                f"{'.'.join(keys_path)} is still the placeholder {placeholder!r} that "
                "`optout-site init` wrote; put your own before building (every page and "
                "image would carry it)",
            )


def _check_generated_paths(raw: dict[str, Any], ctx: Context) -> None:
    """Two files of ours at one path would replace each other silently: refuse it here."""
    taken: dict[str, str] = dict(_FIXED)
    enabled = {
        "tdm_policy": True,
        "rsl": bool(raw.get("rsl", {}).get("enabled", False)),
        "reservation_page": bool(raw.get("reservation_page", {}).get("enabled", True)),
    }
    defaults = {
        "tdm_policy": TdmPolicyConfig.path,
        "rsl": RslConfig.path,
        "reservation_page": ReservationPageConfig.path,
    }
    for key, on in enabled.items():
        if not on:
            continue
        section = raw.get(key, {})
        path = str(section.get("path", defaults[key]))
        file = path + "index.html" if path.endswith("/") else path
        node = section.get("__node__")
        where = yamlnodes.value_node(node, "path") if node is not None else raw["__node__"]
        if file in taken:
            other = taken[file]
            ctx.error(
                where,
                f"{key}.path {path!r} is where optout-site writes {other}; "
                "the two would replace each other: choose another path",
            )
        taken[file] = f"the {key.replace('_', ' ')}"


def load(path: Path = DEFAULT_CONFIG, *, unbuilt_ok: bool = False) -> Config:
    """Read and validate a sites.yaml; raises ConfigError listing every problem.
    ``unbuilt_ok``: an input folder that does not exist yet (the generator has not run)
    is not an error; the caller skips that site."""
    path = Path(path).resolve()
    root = yamlnodes.compose(path)
    ctx = Context(path)
    if root is None:
        raise ConfigError([Problem(path, 1, 1, "the config is empty; expected 'sites:'")])
    top = yamlnodes.walk(root, keys.TOP, ctx)
    sites: list[Site] = []
    if isinstance(top, dict):
        defaults_node = top.get("defaults", {}).get("__node__")
        defaults = _plain(top.get("defaults", {}))
        hosts_dir_nodes: dict[str, yaml.Node] = {}
        outputs: dict[Path, str] = {}
        names: set[str] = set()
        site_list = top.get("sites", [])
        if "sites" in top and not site_list:
            ctx.error(root, "'sites' is empty; add at least one site")
        for raw_site in site_list:
            if not {"name", "url", "input"} <= raw_site.keys():
                continue  # missing keys were reported by the schema
            node = raw_site["__node__"]
            raw = {
                **_merge(defaults, _plain(raw_site)),
                "__node__": node,
                "__defaults__": defaults_node,
            }
            if raw["name"] in names:
                ctx.error(node, f"duplicate site name {raw['name']!r}")
            names.add(raw["name"])
            folders.check_paths(raw, ctx, unbuilt_ok)
            _check_generated_paths(raw, ctx)
            target = raw.get("output", raw["input"])
            if target in outputs:
                ctx.error(
                    node, f"site {raw['name']!r} writes to the same folder as {outputs[target]!r}"
                )
            outputs[target] = raw["name"]
            site = _build_site(raw, ctx)
            if site is not None:
                sites.append(site)
                # Point an error at the hosts_dir written, on the site or in defaults.
                written = node if "hosts_dir" in raw_site else defaults_node
                hosts_dir_nodes[site.name] = yamlnodes.value_node(written or node, "hosts_dir")
        folders.check_overlaps(
            sites, {s["name"]: s["__node__"] for s in site_list if "name" in s}, ctx
        )
        folders.check_hosts_dirs(sites, hosts_dir_nodes, ctx)
    if ctx.problems:
        raise ConfigError(sorted(ctx.problems, key=lambda p: (p.line, p.column)))
    return Config(path, tuple(sites))
