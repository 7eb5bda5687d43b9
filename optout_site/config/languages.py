"""language: the site's language tags, each one we have reservation page texts for
(shipped in templates/reservation_texts.yaml, or added by the theme's own file)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, cast

import yaml

from optout_site.config import yamlnodes
from optout_site.config.yamlnodes import Context, Invalid, Located

_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

TEXTS_FILE = "reservation_texts.yaml"
_SHIPPED_TEXTS = Path(__file__).resolve().parent.parent / "templates" / TEXTS_FILE


@functools.cache
def shipped_texts() -> dict[str, dict[str, Any]]:
    """Our reservation page texts (language -> key -> text), read on first use; the
    theme (``signals/theme.py``) lays a site's own over them."""
    texts = yamlnodes.safe_load(_SHIPPED_TEXTS.read_text(encoding="utf-8"))
    return cast(dict[str, dict[str, Any]], texts)


@functools.cache
def shipped_languages() -> tuple[str, ...]:
    """The languages we ship reservation page texts for: the file's top-level keys, each
    a line of its own (``en:``). Read from those lines, not parsed: every command that
    loads a config asks, and parsing all the texts costs ~20 ms of a 0.1 s start-up
    (``tests/test_noop.py`` holds the lines to the parse)."""
    text = _SHIPPED_TEXTS.read_text(encoding="utf-8")
    return tuple(sorted(_TOP_KEY.findall(text)))


_TOP_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):[ \t]*$", re.M)


def text_key(tag: str, available: Any) -> str | None:
    """The key of ``available`` (texts per language) a language tag uses: ``fr-FR`` → ``fr``."""
    for key in (tag, tag.lower(), tag.split("-")[0].lower()):
        if key in available:
            return key
    return None


def parse(node: yaml.Node, ctx: Context) -> Located:
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
        texts = yamlnodes.safe_load(path.read_text(encoding="utf-8"))
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
