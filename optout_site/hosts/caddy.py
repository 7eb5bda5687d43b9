"""A Caddyfile fragment: ``header`` directives behind named matchers, one per rule.

Caddy sorts ``header`` directives by their matchers, not by where they are written, so
overriding a site-wide rule for a sub-path would depend on that sort. Instead every
policy rule gets a matcher of its own that excludes the more specific rules
(``not path_regexp``; Go's regexp has no lookahead), so exactly one of them matches a
path. Exempt paths simply get fewer headers. Matching is on the decoded path.

Use it inside a site block: ``import /etc/caddy/optout-site.Caddyfile``. Caddy's
file server keeps a ``Content-Type`` that a ``header`` directive has already set, which
is how the signal files get theirs.
"""

from __future__ import annotations

from optout_site.config import Site
from optout_site.hosts import block, common
from optout_site.signals import headers

FILE_NAME = "optout-site.Caddyfile"


def _quote(value: str) -> str:
    # Backticks quote raw text in a Caddyfile; our values never contain one, but fall
    # back to double quotes if some URL did.
    if "`" not in value:
        return f"`{value}`"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _block(site: Site) -> str:
    lines = common.header_comment(site, "AI/TDM reservation headers (Caddy, inside a site block)")
    rules = headers.rules(site)
    for i, rule in enumerate(rules):
        name = "@optout_default" if rule.is_default else f"@optout_rule_{i}"
        earlier = [common.re2(r.pattern) for r in rules[:i]]
        matcher = []
        if not rule.is_default:
            matcher.append(f"\tpath_regexp {_quote(common.re2(rule.pattern))}")
        if earlier:
            matcher.append(f"\tnot path_regexp {_quote('|'.join(f'(?:{e})' for e in earlier))}")
        label = "site default" if rule.is_default else f"policy rule {rule.pattern}"
        lines.append(f"# {label}")
        if matcher:
            lines += [f"{name} {{", *matcher, "}", f"header {name} {{"]
        else:
            lines.append("header {")
        lines += [f"\t{field} {_quote(value)}" for field, value in rule.headers]
        lines.append("}")
    for path, media_type in headers.content_types(site):
        lines.append(f"header {_quote(path)} Content-Type {_quote(media_type)}")
    lines += _refusal(site)
    lines.append(f"respond /{FILE_NAME} 404  # if left in the web root")
    lines.append(common.END)
    return "\n".join(lines) + "\n"


def _refusal(site: Site) -> list[str]:
    # `route` keeps its directives in the order written and runs before file_server.
    plan = block.plan(site)
    if plan is None:
        return []
    return [
        *block.comment(plan),
        "@optout_refused {",
        f"\theader_regexp User-Agent {_quote('(?i)' + plan.user_agents)}",
        f"\tnot path_regexp {_quote(common.exact_re2(plan.exempt))}",
        "}",
        "route @optout_refused {",
        '\theader Content-Type "text/html; charset=utf-8"',
        f'\trespond "{plan.body}" {plan.status}',
        "}",
    ]


def render(site: Site, existing: bytes | None) -> bytes:
    """The snippet file: ``existing`` with our marked block (re)placed."""
    return common.splice(existing, _block(site), name=FILE_NAME)
