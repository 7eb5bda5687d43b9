"""An nginx include for the ``server {}`` block: the decision picked per path, then sent.

``add_header`` in a ``location`` hides every ``add_header`` inherited from the server
level, so ours stay at server level and carry variables. Server-level ``set``/``if``
(the rewrite module, run for every request before a location is chosen) fill the
variables from the site default and then from each policy rule, least specific first,
so the most specific matching rule has the last word, as in ``Policy.resolve``. nginx
skips an ``add_header`` whose value is empty, which is how an exempt path loses
``X-Robots-Tag`` and ``tdm-policy``. ``always`` sends the headers on every status.

If one of your own ``location`` blocks has an ``add_header``, that location loses ours:
copy our ``add_header`` lines into it (the variables are already set at server level).

Signal files get their media type from exact-match locations (``types {}`` emptied so
``default_type`` applies); they have no ``add_header`` of their own, so they inherit ours.
``$uri`` is the decoded, normalised path, so patterns are decoded before matching.
"""

from __future__ import annotations

from urllib.parse import unquote

from optout_site.config import Site
from optout_site.hosts import block, common
from optout_site.signals import headers

FILE_NAME = "optout-site.nginx.conf"


def variable(name: str) -> str:
    return "$optout_" + name.lower().replace("-", "_")


def _quote(value: str) -> str:
    # nginx has no escape for "$" in a value; in our values it can only come from a URL,
    # where %24 means the same.
    value = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "%24")
    return f'"{value}"'


def _sets(values: dict[str, str], indent: str) -> list[str]:
    return [
        f"{indent}set {variable(name)} {_quote(values.get(name, ''))};" for name in headers.VARYING
    ]


def _block(site: Site, *, locations: bool) -> str:
    lines = common.header_comment(site, "AI/TDM reservation headers (nginx, inside server {})")
    rules = headers.rules(site)
    lines += _sets(dict(rules[-1].headers), "")
    for rule in reversed(rules[:-1]):
        regex = common.pcre(rule.pattern)
        lines.append(f'if ($uri ~ "{regex}") {{  # policy rule {rule.pattern}')
        lines += _sets(dict(rule.headers), "    ")
        lines.append("}")
    for name in headers.VARYING:
        lines.append(f"add_header {name} {variable(name)} always;")
    link = headers.rsl_link(site)
    if link is not None:
        lines.append(f"add_header {headers.LINK} {_quote(link)} always;")
    if locations:
        lines += _refusal(site)
        for path, media_type in headers.content_types(site):
            where = unquote(path).replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'location = "{where}" {{ types {{ }} default_type {media_type}; }}')
        lines.append(f"location = /{FILE_NAME} {{ return 404; }}  # if left in the web root")
    lines.append(common.END)
    return "\n".join(lines) + "\n"


REFUSED = "/.optout-site-refused"


def _refusal(site: Site) -> list[str]:
    # Server-level rewrite directives run again after every internal redirect (index
    # files), so /ai-reservation/index.html needs its own exemption: it has one. The
    # refusal is answered from a location of its own, so that it is sent as text/html
    # whatever type the requested path has.
    plan = block.plan(site)
    if plan is None:
        return []
    return [
        *block.comment(plan),
        'set $optout_refuse "";',
        f'if ($http_user_agent ~* "{plan.user_agents}") {{ set $optout_refuse 1; }}',
        f'if ($uri ~ "{common.exact_pcre(plan.exempt)}") {{ set $optout_refuse ""; }}',
        f"if ($optout_refuse) {{ rewrite ^ {REFUSED} last; }}",
        f"location = {REFUSED} {{",
        "    internal;",
        '    types { } default_type "text/html; charset=utf-8";',
        f'    return {plan.status} "{plan.body}";',
        "}",
    ]


def render(site: Site, existing: bytes | None) -> bytes:
    """The include file: ``existing`` with our marked block (re)placed."""
    return common.splice(existing, _block(site, locations=True), name=FILE_NAME)
