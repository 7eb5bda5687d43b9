"""``vercel.json``: our entries merged into the ``headers`` array.

Vercel applies every ``headers`` entry whose ``source`` matches, and for a header set by
several entries the later one wins. Rather than lean on that, each of our entries is
made to match exactly the paths its policy rule decides: the ``source`` is one regex
group, ``/(<not a more specific rule><this rule>)``, using a negative lookahead. So
an exempt path gets no ``X-Robots-Tag`` and no ``tdm-policy`` at all, whatever the
entry order. Sources are compiled by path-to-regexp 6.1 (vendored in Vercel's
routing-utils) with ``strict`` and ``sensitive`` on; only non-capturing groups may nest
inside our group, and being unnamed it keeps header values (our URLs contain ``:``)
from being read as parameter templates.

vercel.json allows no extra keys, so our entries are recognised by carrying a
``tdm-reservation`` header: every entry we write has one, and a rebuild replaces every
entry that has one. The signal files' ``Content-Type`` rides in entries of their own
exact paths, which therefore carry their decision's headers too.

The rest of the file (other keys, the user's own header entries, their order) is kept;
the JSON is re-serialised with two-space indents. New entries go first, so the user's
own entries still override ours for the paths they name.
"""

from __future__ import annotations

import json
from typing import Any

from optout_site.config import Site
from optout_site.errors import SignalError
from optout_site.hosts import common
from optout_site.signals import headers

FILE_NAME = "vercel.json"
MARKER = headers.TDM_RESERVATION


def _source(pattern: str, more_specific: list[str]) -> str:
    exclude = "".join(f"(?!{common.js_rest(p)})" for p in more_specific)
    this = common.js_rest(pattern)
    if not pattern.endswith("$"):
        this += ".*"
    return f"/({exclude}{this})"


def entries(site: Site) -> list[dict[str, Any]]:
    """Our header entries, one per policy rule plus one per typed signal file."""
    typed = headers.content_types(site)
    specific: list[tuple[str, list[tuple[str, str]]]] = []
    for path, media_type in typed:
        decided = headers.for_decision(site, site.policy.resolve(path))
        specific.append((path + "$", [*decided, ("Content-Type", media_type)]))
    for rule in headers.rules(site):
        specific.append((rule.pattern, list(rule.headers)))
    out = []
    for i, (pattern, pairs) in enumerate(specific):
        earlier = [p for p, _ in specific[:i]]
        out.append(
            {
                "source": _source(pattern, earlier),
                "headers": [{"key": name, "value": value} for name, value in pairs],
            }
        )
    return out


def is_ours(entry: Any) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("headers"), list):
        return False
    return any(
        isinstance(h, dict) and str(h.get("key", "")).lower() == MARKER for h in entry["headers"]
    )


def render(site: Site, existing: bytes | None) -> bytes:
    """vercel.json with our entries (re)placed; raises SignalError on invalid JSON."""
    data: dict[str, Any] = {}
    if existing and existing.strip():
        try:
            data = json.loads(existing.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SignalError(f"{FILE_NAME} is not valid JSON ({exc}); fix it first") from exc
        if not isinstance(data, dict):
            raise SignalError(f"{FILE_NAME} must hold a JSON object, not {type(data).__name__}")
    current = data.get("headers", [])
    if not isinstance(current, list):
        raise SignalError(f"{FILE_NAME}: 'headers' must be an array")
    ours = entries(site)
    first = next((i for i, entry in enumerate(current) if is_ours(entry)), 0)
    theirs = [entry for entry in current if not is_ours(entry)]
    # Keep our entries where they were: count the user's entries that came before them.
    at = sum(1 for entry in current[:first] if not is_ours(entry))
    data["headers"] = theirs[:at] + ours + theirs[at:]
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
