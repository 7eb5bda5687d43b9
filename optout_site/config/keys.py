"""The sites.yaml schema: what each key accepts, as converters over YAML nodes.

Kept apart from :mod:`optout_site.config` (the typed result and how sites are assembled)
so each reads on its own; :data:`TOP` is the whole file's shape.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import yaml

from optout_site import paths
from optout_site.config import urls, yamlnodes
from optout_site.config.yamlnodes import Context, Invalid, Key
from optout_site.policy import Use
from optout_site.spec import CATEGORIES, HONOURS, TOKEN_RE

MEDIA_TYPES = ("images", "audio", "video", "text", "code")
TDM_DUTIES = ("obtainConsent", "compensate")
STANCES = ("policy", "block", "allow")
HOSTS = ("netlify", "cloudflare", "vercel", "apache", "nginx", "caddy", "haproxy", "lighttpd")
# Hosts that read their config from somewhere other than the published folder (an nginx or
# Caddy include, Vercel's vercel.json in the project root): `hosts_dir` takes theirs there.
HOSTS_DIR_HOSTS = ("vercel", "nginx", "caddy")
# Hosts whose file holds only the refusal of agents (`block:`), no headers.
BLOCK_ONLY_HOSTS = ("haproxy", "lighttpd")
# What a blocked agent gets: refused, payment required, unavailable for legal reasons.
BLOCK_STATUSES = ("403", "402", "451")


# no-reservation: the site reserves no use anywhere, and every signal says so (a blanket
# permission); without it such a config is refused, since it is an easy slip.
# The others name `check` findings that are intended, so CI is not red or noisy forever:
# noindex (pages kept out of search on purpose), no-headers (a host that cannot send
# headers, such as GitHub Pages). Those findings are still listed, marked, not failing.
ACKNOWLEDGEMENTS = ("no-reservation", "noindex", "no-headers")
# A site entry without `reserve` reserves the AI uses (the photographer's default); an
# opt-out tool must never publish a blanket permission unless asked in so many words.
DEFAULT_RESERVE = ("tdm", "train", "ai-input")

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
    return urls.to_ascii(value)  # signals and server configs take ASCII URLs only


def _base_url(node: yaml.Node, ctx: Context) -> str:
    return _url(node, ctx).rstrip("/")


def _email(node: yaml.Node, ctx: Context) -> str:
    value = yamlnodes.string(node, ctx).removeprefix("mailto:")
    if not _EMAIL_RE.match(value):
        raise Invalid(f"expected an e-mail address such as rights@example.com, got {value!r}")
    return value


@dataclass(frozen=True)
class Located:
    """A value with the YAML node it was read from, for the checks that can only run once
    ``defaults`` are merged into the site (a phone number and the address country, the
    languages and the theme's texts may come from either), so their errors keep their line."""

    value: str
    node: yaml.Node


# --- rightsholder.phone: an RFC 3966 tel: URI -------------------------------------------

# Digits, an optional leading '+', and the visual separators RFC 3966 allows (- . ( )) plus
# spaces, which the URI drops. "/" (German 089/123456) and extensions are not phone digits.
_PHONE_RE = re.compile(r"\+?[0-9\s().-]*[0-9][0-9\s().-]*")
# "+44 (0)20 ...": the national trunk prefix in parentheses, never dialled from abroad
# (ITU-T E.123), so it is dropped from the URI and from the displayed number.
_TRUNK_IN_PARENS = re.compile(r"\(\s*0\s*\)")

# ISO 3166 alpha-2 → (country calling code, national trunk prefixes), for numbers written
# in national form. Deliberately small: the EU and EEA, CH, GB, US, CA, AU, NZ and JP.
# Anyone else writes the number in international form (+CC ...).
CALLING_CODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "AT": ("43", ("0",)),
    "BE": ("32", ("0",)),
    "BG": ("359", ("0",)),
    "HR": ("385", ("0",)),
    "CY": ("357", ()),
    "CZ": ("420", ()),
    "DK": ("45", ()),
    "EE": ("372", ()),
    "FI": ("358", ("0",)),
    "FR": ("33", ("0",)),
    "DE": ("49", ("0",)),
    "GR": ("30", ()),
    "HU": ("36", ("06",)),
    "IE": ("353", ("0",)),
    "IT": ("39", ()),  # the leading 0 of Italian numbers is dialled from abroad too
    "LV": ("371", ()),
    "LT": ("370", ("0", "8")),  # 8 until 2025, 0 since
    "LU": ("352", ()),
    "MT": ("356", ()),
    "NL": ("31", ("0",)),
    "PL": ("48", ()),
    "PT": ("351", ()),
    "RO": ("40", ("0",)),
    "SK": ("421", ("0",)),
    "SI": ("386", ("0",)),
    "ES": ("34", ()),
    "SE": ("46", ("0",)),
    "IS": ("354", ()),
    "LI": ("423", ()),
    "NO": ("47", ()),
    "CH": ("41", ("0",)),
    "GB": ("44", ("0",)),
    "US": ("1", ("1",)),
    "CA": ("1", ("1",)),
    "AU": ("61", ("0",)),
    "NZ": ("64", ("0",)),
    "JP": ("81", ("0",)),
}


def _phone(node: yaml.Node, ctx: Context) -> Located:
    """The syntax only; the country of a national number is known once defaults are merged
    (see :func:`telephone`)."""
    written = yamlnodes.string(node, ctx)
    value = written.strip().removeprefix("tel:").strip()
    if not _PHONE_RE.fullmatch(value):
        raise Invalid(
            "expected a phone number such as +33 1 23 45 67 89 (digits, a leading '+', "
            f"spaces and - . ( ) only), got {written!r}"
        )
    return Located(value, node)


def _drop_digits(text: str, count: int) -> str:
    """``text`` without its first ``count`` digits and the separators around them."""
    i = seen = 0
    opened = False
    while seen < count:
        seen += text[i].isdigit()
        opened |= text[i] == "("
        i += 1
    rest = text[i:].lstrip(" .-")
    return rest.removeprefix(")").lstrip(" .-") if opened else rest


def tel_uri(value: str, country: str | None) -> tuple[str, str]:
    """(the number to show, its RFC 3966 URI) for a number as written in the config.

    A global number (+CC ...) keeps its separators for display, ``(0)`` aside. A national
    number takes its calling code from ``country`` (an ISO 3166 alpha-2 code of
    :data:`CALLING_CODES`), loses its trunk prefix, and is shown in international form
    too: the page, the image metadata and the TDM policy are read abroad.
    """
    text = " ".join(_TRUNK_IN_PARENS.sub(" ", value).split())
    digits = "".join(ch for ch in text if ch in "0123456789")
    if text.startswith("+"):
        shown, number = text, digits
    elif digits.startswith("00"):
        raise Invalid(
            f"{value!r} starts with the international call prefix 00: "
            "write '+' instead of '00' (+33 1 23 45 67 89, say)"
        )
    else:
        code = (country or "").strip().upper()
        if code not in CALLING_CODES:
            where = (
                f"the address country {country!r} is not an ISO 3166 alpha-2 code we map to "
                "a calling code (EU/EEA, CH, GB, US, CA, AU, NZ, JP)"
                if country
                else "rightsholder.address.country is not set"
            )
            raise Invalid(
                f"{value!r} is a national number and {where}: write it in international "
                "form (+33 1 23 45 67 89, say: '+', the country code, the number without "
                "its leading trunk 0)"
            )
        calling, trunks = CALLING_CODES[code]
        for trunk in trunks:
            if digits.startswith(trunk):
                text, digits = _drop_digits(text, len(trunk)), digits[len(trunk) :]
                break
        shown, number = f"+{calling} {text}", calling + digits
    if not 7 <= len(number) <= 15:
        raise Invalid(
            f"{value!r} has {len(number)} digits with its country code; an international "
            "number has 7 to 15 digits (ITU-T E.164)"
        )
    return shown, "tel:+" + number


def telephone(
    phone: Located | None, country: str | None, ctx: Context
) -> tuple[str | None, str | None]:
    """The rightsholder's (phone to show, tel: URI); a problem is reported at the phone."""
    if phone is None:
        return None, None
    try:
        return tel_uri(phone.value, country)
    except Invalid as exc:
        ctx.error(phone.node, str(exc))
        return None, None


# --- language: one with reservation page texts ------------------------------------------

TEXTS_FILE = "reservation_texts.yaml"
_SHIPPED_TEXTS = Path(__file__).resolve().parent.parent / "templates" / TEXTS_FILE


@functools.cache
def shipped_texts() -> dict[str, dict[str, Any]]:
    """Our reservation page texts, ``templates/reservation_texts.yaml``: language -> key ->
    text, read once per process (the languages a config may name, and the pages)."""
    # Every build reads this file: libyaml's parser gives the same data in a tenth of the
    # pure-Python parser's time (~85 ms of start-up here), where PyYAML was built with it.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    texts = yaml.load(_SHIPPED_TEXTS.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    return cast(dict[str, dict[str, Any]], texts)


def shipped_languages() -> tuple[str, ...]:
    """The languages we ship reservation page texts for: the top-level keys of
    ``templates/reservation_texts.yaml``."""
    return tuple(sorted(shipped_texts()))


def text_key(tag: str, available: Any) -> str | None:
    """The key of ``available`` (texts per language) a language tag uses: ``fr-FR`` → ``fr``."""
    for key in (tag, tag.lower(), tag.split("-")[0].lower()):
        if key in available:
            return key
    return None


def _language(node: yaml.Node, ctx: Context) -> Located:
    value = yamlnodes.string(node, ctx)
    if not _LANG_RE.match(value):
        raise Invalid(f"expected a language tag such as en or fr-FR, got {value!r}")
    return Located(value, node)


def _theme_languages(folder: Path) -> tuple[set[str], str]:
    """Languages the theme's own texts add, and why none could be read (or "")."""
    path = folder / TEXTS_FILE
    if not path.is_file():
        return set(), ""
    try:
        texts = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return set(), f" ({path} could not be read: {exc.__class__.__name__})"
    return ({str(k) for k in texts} if isinstance(texts, dict) else set()), ""


def site_languages(raw: dict[str, Any], ctx: Context) -> tuple[str, ...]:
    """The site's languages (``defaults`` merged), each one we have page texts for: shipped,
    or added by the ``reservation_page.templates`` folder. Any other is an error at its tag,
    not a silent fallback to another language."""
    tags: list[Located] = raw.get("language", [])
    known: set[str] = set(shipped_languages())
    templates = raw.get("reservation_page", {}).get("templates")
    unreadable = ""
    if templates is not None and any(text_key(t.value, known) is None for t in tags):
        extra, unreadable = _theme_languages(templates)
        known |= extra
    for tag in tags:
        if text_key(tag.value, known) is None:
            ctx.error(
                tag.node,
                f"language {tag.value!r} has no reservation page texts; shipped languages: "
                f"{', '.join(shipped_languages())} (another language needs its texts in "
                f"reservation_texts.yaml of reservation_page.templates){unreadable}",
            )
    return tuple(t.value for t in tags) if "language" in raw else ("en",)


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
        "on_unreadable": Key(yamlnodes.choice("warn", "error")),
        "padding": Key(yamlnodes.boolean),
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
        "omit_generic": Key(yamlnodes.boolean),
        "categories": Key(
            yamlnodes.mapping(
                {c: Key(yamlnodes.choice(*STANCES)) for c in CATEGORIES},
                what="a mapping of category to stance",
            )
        ),
    },
    what="an agents mapping",
)


_PRODUCT_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def _block_agent(node: yaml.Node, ctx: Context) -> str:
    value = yamlnodes.string(node, ctx)
    if value in CATEGORIES or _PRODUCT_RE.match(value):
        return value
    raise Invalid(
        f"{value!r} is neither a category ({', '.join(CATEGORIES)}) nor a product name "
        "(letters, digits, '_' and '-', as in GPTBot or img2dataset)"
    )


def _block_status(node: yaml.Node, ctx: Context) -> int:
    if isinstance(node, yaml.ScalarNode) and node.value in BLOCK_STATUSES:
        return int(node.value)
    shown = repr(node.value) if isinstance(node, yaml.ScalarNode) else "a list or mapping"
    raise Invalid(f"expected one of {', '.join(BLOCK_STATUSES)}, got {shown}")


_BLOCK = yamlnodes.mapping(
    {
        # Required once `defaults:` is merged in (load._block): a site may set only status.
        "agents": Key(yamlnodes.list_of(_block_agent, allow_single=True)),
        "status": Key(_block_status),
    },
    what="a block mapping (agents, status)",
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


_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _since(node: yaml.Node, ctx: Context) -> datetime.date:
    """A past date, YYYY-MM-DD: since when the reservation is published. Written by hand,
    never taken from the clock, so a rebuild writes the same page."""
    what = "a date written YYYY-MM-DD, such as 2024-05-01"
    value: datetime.date | None = None
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":timestamp"):
        value = yamlnodes.scalar(node, ctx, tag="timestamp", what=what)  # date or datetime
    elif isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str"):
        text = yamlnodes.string(node, ctx).strip()
        if _DATE_RE.fullmatch(text):
            with contextlib.suppress(ValueError):  # 2024-02-30: reported below
                value = datetime.date.fromisoformat(text)
    if value is None:
        shown = repr(node.value) if isinstance(node, yaml.ScalarNode) else "a list or mapping"
        raise Invalid(f"expected {what}, got {shown}")
    if isinstance(value, datetime.datetime):
        raise Invalid(f"expected a date without a time (YYYY-MM-DD), got {node.value!r}")
    if value > datetime.date.today():
        raise Invalid(
            f"{value.isoformat()} is in the future; give the date the reservation was first "
            "published"
        )
    return value


_END_TAG_RE = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")


def _end_tag(node: yaml.Node, ctx: Context) -> str:
    """``</footer>`` → ``footer``: the element whose end tag the footer link precedes."""
    value = yamlnodes.string(node, ctx).strip()
    match = _END_TAG_RE.fullmatch(value)
    if match is None:
        raise Invalid(f"expected an end tag such as </footer> or </main>, got {value!r}")
    return match.group(1).lower()


_FOOTER_OPTIONS = yamlnodes.mapping(
    {"before": Key(_end_tag), "text": Key(yamlnodes.string)},
    what="true, false, or a mapping with 'before' and 'text'",
)


def _footer_link(node: yaml.Node, ctx: Context) -> bool | dict[str, Any]:
    """``true``/``false``, or the link's place and text (a mapping means on)."""
    if isinstance(node, yaml.MappingNode):
        options: dict[str, Any] = _FOOTER_OPTIONS(node, ctx)
        return options
    return yamlnodes.boolean(node, ctx)


_RESERVATION_PAGE = yamlnodes.mapping(
    {
        "enabled": Key(yamlnodes.boolean),
        "path": Key(_page_path),
        "footer_link": Key(_footer_link),
        "templates": Key(_folder),
        "since": Key(_since),
    },
    what="a reservation_page mapping",
)
_RSL = yamlnodes.mapping(
    {"enabled": Key(yamlnodes.boolean), "path": Key(_page_path)}, what="an rsl mapping"
)
_ROBOTS_META = yamlnodes.mapping(
    {"bing_noarchive": Key(yamlnodes.boolean)}, what="a robots_meta mapping"
)

_EVIDENCE = yamlnodes.mapping(
    {
        "enabled": Key(yamlnodes.boolean),
        "dir": Key(_file_path),
        "publish": Key(yamlnodes.boolean),
        "tsa": Key(_url),
    },
    what="an evidence mapping (enabled, dir, publish, tsa)",
)

_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _env_name(node: yaml.Node, ctx: Context) -> str:
    value = yamlnodes.string(node, ctx)
    if not _ENV_NAME_RE.match(value):
        raise Invalid(f"expected an environment variable name such as C2PA_KEY, got {value!r}")
    return value


# Content Credentials: where the signing certificate chain and key are. The key itself is
# never in sites.yaml: a file path, or the name of an environment variable holding the PEM
# (a CI secret), read only when an image is signed.
_C2PA = yamlnodes.mapping(
    {
        "enabled": Key(yamlnodes.boolean),
        "cert": Key(_file_path),
        "key": Key(_file_path),
        "cert_env": Key(_env_name),
        "key_env": Key(_env_name),
        "tsa": Key(_url),
    },
    what="a c2pa mapping (cert or cert_env, key or key_env, tsa)",
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
    "hosts_dir": Key(_file_path),
    # What the user states on purpose, so the build does not refuse it.
    "acknowledge": Key(yamlnodes.list_of(yamlnodes.choice(*ACKNOWLEDGEMENTS), allow_single=True)),
    # Files left exactly as they are (globs on the site-relative path), besides the
    # built-in site-verification files and, unless exclude_icons is false, theme icons.
    "exclude": Key(yamlnodes.list_of(yamlnodes.string, allow_single=True)),
    "exclude_icons": Key(yamlnodes.boolean),
    "reservation_page": Key(_RESERVATION_PAGE),
    "rsl": Key(_RSL),
    "robots_meta": Key(_ROBOTS_META),
    "evidence": Key(_EVIDENCE),
    "block": Key(_BLOCK),
    "c2pa": Key(_C2PA),
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
