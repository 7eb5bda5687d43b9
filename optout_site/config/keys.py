"""The sites.yaml schema: what each key accepts, as converters over YAML nodes.

Kept apart from :mod:`optout_site.config` (the typed result and how sites are assembled)
so each reads on its own; :data:`TOP` is the whole file's shape.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from optout_site import paths
from optout_site.config import yamlnodes
from optout_site.config.yamlnodes import Context, Invalid, Key
from optout_site.policy import Use
from optout_site.spec import CATEGORIES, HONOURS, TOKEN_RE

MEDIA_TYPES = ("images", "audio", "video", "text", "code")
TDM_DUTIES = ("obtainConsent", "compensate")
STANCES = ("policy", "block", "allow")
HOSTS = ("netlify", "cloudflare", "vercel", "apache", "nginx", "caddy")


_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _site_name(node: yaml.Node, ctx: Context) -> str:
    value = yamlnodes.string(node, ctx)
    if not _NAME_RE.match(value):
        raise Invalid(f"site name {value!r} must be letters, digits, '.', '_' or '-'")
    return value


def _url(node: yaml.Node, ctx: Context) -> str:
    value = yamlnodes.string(node, ctx)
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
    value = yamlnodes.string(node, ctx).removeprefix("mailto:")
    if not _EMAIL_RE.match(value):
        raise Invalid(f"expected an e-mail address such as rights@example.com, got {value!r}")
    return value


def _phone(node: yaml.Node, ctx: Context) -> str:
    value = yamlnodes.string(node, ctx).removeprefix("tel:")
    if not re.fullmatch(r"\+?[0-9 ().-]{4,}", value):
        raise Invalid(f"expected a phone number such as +33 1 23 45 67 89, got {value!r}")
    return value


def _language(node: yaml.Node, ctx: Context) -> str:
    value = yamlnodes.string(node, ctx)
    if not _LANG_RE.match(value):
        raise Invalid(f"expected a language tag such as en or fr-FR, got {value!r}")
    return value


def _site_path(node: yaml.Node, ctx: Context) -> str:
    value = yamlnodes.string(node, ctx)
    if not value.startswith("/"):
        raise Invalid(f"expected a URL path starting with '/', got {value!r}")
    if any(ch.isspace() for ch in value) or "#" in value or "?" in value:
        raise Invalid(f"a path cannot contain spaces, '#' or '?': {value!r} (percent-encode them)")
    if "$" in value[:-1]:
        raise Invalid(f"'$' may only end a path pattern: {value!r}")
    return value


def _rule_path(node: yaml.Node, ctx: Context) -> str:
    # Normalised once, here: "/café/" and "/caf%C3%A9/" are one rule (and a duplicate).
    return paths.normalise(_site_path(node, ctx))


def _file_path(node: yaml.Node, ctx: Context) -> Path:
    value = yamlnodes.string(node, ctx)
    try:
        path = Path(value).expanduser()
        return (path if path.is_absolute() else ctx.file.parent / path).resolve()
    except RuntimeError:
        raise Invalid(f"cannot expand the home folder in {value!r}") from None
    except (OSError, ValueError) as exc:
        raise Invalid(f"not a usable path ({exc}): {value!r}") from None


_use = yamlnodes.choice(*[u.value for u in Use])
_uses = yamlnodes.list_of(_use, allow_single=True)

_ADDRESS = yamlnodes.mapping(
    {k: Key(yamlnodes.string) for k in ("street", "postal_code", "locality", "country")},
    what="an address mapping",
)
_RIGHTSHOLDER = yamlnodes.mapping(
    {
        "name": Key(yamlnodes.string),
        "email": Key(_email),
        "url": Key(_url),
        "address": Key(_ADDRESS),
        "phone": Key(_phone),
    },
    what="a rightsholder mapping",
)
_RULE = yamlnodes.mapping(
    {"path": Key(_rule_path, required=True), "reserve": Key(_uses), "allow": Key(_uses)},
    what="a rule mapping (path, reserve, allow)",
)
_TDM_POLICY = yamlnodes.mapping(
    {"path": Key(_site_path), "duty": Key(yamlnodes.choice(*TDM_DUTIES))},
    what="a tdm_policy mapping",
)
_AI_TXT = yamlnodes.mapping(
    {"media_types": Key(yamlnodes.list_of(yamlnodes.choice(*MEDIA_TYPES)))},
    what="an ai_txt mapping",
)
_IMAGES = yamlnodes.mapping(
    {
        "enabled": Key(yamlnodes.boolean),
        "overwrite": Key(yamlnodes.boolean),
        "legacy": Key(yamlnodes.boolean),
        "copyright": Key(yamlnodes.string),
        "usage_terms": Key(yamlnodes.string),
    },
    what="an images mapping",
)


def _token(node: yaml.Node, ctx: Context) -> str:
    value = yamlnodes.string(node, ctx)
    if not TOKEN_RE.match(value):
        raise Invalid(
            f"{value!r} is not a robots.txt product token (RFC 9309: letters, '_' and '-' only)"
        )
    return value


_AGENT = yamlnodes.mapping(
    {
        "token": Key(_token, required=True),
        "operator": Key(yamlnodes.string, required=True),
        "category": Key(yamlnodes.choice(*CATEGORIES), required=True),
        "honours_robots": Key(yamlnodes.choice(*HONOURS)),
        "purpose": Key(yamlnodes.string),
        "source": Key(_url),
    },
    what="an agent mapping (token, operator, category, ...)",
)
_AGENTS = yamlnodes.mapping(
    {
        "registry": Key(_file_path),
        "add": Key(yamlnodes.list_of(_AGENT)),
        "block": Key(yamlnodes.list_of(_token)),
        "allow": Key(yamlnodes.list_of(_token)),
        "categories": Key(
            yamlnodes.mapping(
                {c: Key(yamlnodes.choice(*STANCES)) for c in CATEGORIES},
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


_RESERVATION_PAGE = yamlnodes.mapping(
    {
        "enabled": Key(yamlnodes.boolean),
        "path": Key(_page_path),
        "footer_link": Key(yamlnodes.boolean),
        "templates": Key(_folder),
    },
    what="a reservation_page mapping",
)
_RSL = yamlnodes.mapping(
    {"enabled": Key(yamlnodes.boolean), "path": Key(_page_path)}, what="an rsl mapping"
)

# Keys a site may set and `defaults:` may supply.
_SHARED_KEYS = {
    "rightsholder": Key(_RIGHTSHOLDER),
    "reserve": Key(_uses),
    "allow": Key(_uses),
    "rules": Key(yamlnodes.list_of(_RULE)),
    "language": Key(yamlnodes.list_of(_language, allow_single=True)),
    "tdm_policy": Key(_TDM_POLICY),
    "ai_txt": Key(_AI_TXT),
    "images": Key(_IMAGES),
    "agents": Key(_AGENTS),
    "hosts": Key(yamlnodes.list_of(yamlnodes.choice(*HOSTS), allow_single=True)),
    "reservation_page": Key(_RESERVATION_PAGE),
    "rsl": Key(_RSL),
}
_SITE = yamlnodes.mapping(
    {
        "name": Key(_site_name, required=True),
        "url": Key(_base_url, required=True),
        "input": Key(_file_path, required=True),
        "output": Key(_file_path),
        **_SHARED_KEYS,
    },
    what="a site mapping",
)
_DEFAULTS = yamlnodes.mapping(_SHARED_KEYS, what="a defaults mapping")
TOP = yamlnodes.mapping(
    {"defaults": Key(_DEFAULTS), "sites": Key(yamlnodes.list_of(_SITE), required=True)},
    what="a mapping with 'defaults' and 'sites'",
)
