"""``.htaccess`` for Apache httpd 2.4: ``Header`` rules chosen per path with ``<If>``.

``<Location>`` is not allowed in .htaccess, so each policy rule is an ``<If>`` /
``<ElseIf>`` on ``%{REQUEST_URI}`` (the decoded path), most specific first and the site
default in ``<Else>``: exactly one branch applies, so exempt paths never see the
reserving headers and nothing has to be unset. ``Header always set`` puts them on every
response, error pages included.

Everything sits inside ``<IfModule>`` so a server without mod_headers or mod_mime
serves the site instead of a 500 error. The directory needs ``AllowOverride FileInfo``
(``Header``, ``ForceType``) or ``All``; ``<If>`` needs Apache 2.4.
mod_headers expands ``%`` in values, so a literal ``%`` is written ``%%``.
"""

from __future__ import annotations

from optout_site.config import Site
from optout_site.hosts import block, common
from optout_site.signals import headers

FILE_NAME = ".htaccess"
SERVER_FILE = "optout-site.apache.conf"
_DELIMITERS = "#|!,;"


def _quote(value: str) -> str:
    value = value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{value}"'


def _expr(pattern: str) -> str:
    regex = common.pcre(pattern)
    sep = next(ch for ch in _DELIMITERS if ch not in regex)  # escaping leaves none of them
    return f'"%{{REQUEST_URI}} =~ m{sep}{regex}{sep}"'


def _block(site: Site) -> str:
    lines = common.header_comment(site, "AI/TDM reservation headers (Apache .htaccess)")
    lines.append("<IfModule mod_mime.c>")
    for path, media_type in headers.content_types(site):
        lines += [
            f"  <If {_expr(path + '$')}>",
            f"    ForceType {media_type}",
            "  </If>",
        ]
    lines += ["</IfModule>", "<IfModule mod_headers.c>"]
    rules = headers.rules(site)
    for i, rule in enumerate(rules):
        sets = [f"Header always set {name} {_quote(value)}" for name, value in rule.headers]
        if len(rules) == 1:  # no path rules: one set of headers for everything
            lines += [f"  {line}" for line in sets]
            break
        if rule.is_default:
            opening, closing = "<Else>", "</Else>"
        else:
            tag = "If" if i == 0 else "ElseIf"
            opening, closing = f"<{tag} {_expr(rule.pattern)}>", f"</{tag}>"
            sets.insert(0, f"# policy rule {rule.pattern}")
        lines += [f"  {opening}", *(f"    {line}" for line in sets), f"  {closing}"]
    lines += ["</IfModule>", *_refusal(site), common.END]
    return "\n".join(lines) + "\n"


def _refusal(site: Site) -> list[str]:
    # mod_alias's status-only Redirect runs after <If> sections are merged, so the
    # ErrorDocument of the same section is the body the refusal is sent with. Valid in
    # .htaccess (FileInfo) and in a virtual host alike.
    plan = block.plan(site)
    if plan is None:
        return []
    agents = plan.user_agents
    exempt = common.exact_pcre(plan.exempt)
    sep = next(ch for ch in _DELIMITERS if ch not in agents + exempt)
    return [
        *block.comment(plan),
        "<IfModule mod_alias.c>",
        f'  <If "%{{HTTP_USER_AGENT}} =~ m{sep}{agents}{sep}i && '
        f'!(%{{REQUEST_URI}} =~ m{sep}{exempt}{sep})">',
        f"    Redirect {plan.status}",
        f'    ErrorDocument {plan.status} "{plan.body}"',
        "  </If>",
        "</IfModule>",
    ]


def render_server(site: Site, existing: bytes | None) -> bytes:
    """``optout-site.apache.conf``: the refusal of agents (``block:``) for a
    ``<VirtualHost>`` (``Include`` it there), where .htaccess files are not read."""
    lines = common.header_comment(site, "Refused AI agents (Apache, Include in <VirtualHost>)")
    lines += [*_refusal(site), common.END]
    return common.splice(existing, "\n".join(lines) + "\n", name=SERVER_FILE)


def render(site: Site, existing: bytes | None) -> bytes:
    """The ``.htaccess``: ``existing`` with our marked block (re)placed."""
    return common.splice(existing, _block(site), name=FILE_NAME)
