"""HTTP response headers (URL mode): ``tdm-reservation``, ``tdm-policy``, ``X-Robots-Tag``,
``Content-Usage`` and the RSL ``Link``. These are the only channel the known dataset tools
(datadiligence, img2dataset) read for images, and a TDM agent lets a header override
tdmrep.json. Folder mode checks that the configured host files exist instead.
"""

from __future__ import annotations

from pathlib import Path

from optout_site import dialects
from optout_site.check.context import Context
from optout_site.check.model import BAD, HEADERS, HOSTS, OK, WARN
from optout_site.check.sources import Fetched
from optout_site.check.usage import parse_usage
from optout_site.hosts import FILES, common, outside
from optout_site.policy import Use
from optout_site.signals import headers as signal_headers

NAMES = ("tdm-reservation", "tdm-policy", "X-Robots-Tag", "Content-Usage")
OVERBLOCK = frozenset({"noindex", "none", "noimageindex"})
_FIX = (
    "Configure the host's headers (optout-site writes them for the hosts named in "
    "sites.yaml `hosts:`), then redeploy."
)


_NO_HEADERS = (
    " If the host cannot send headers (GitHub Pages, say), add `acknowledge: [no-headers]` "
    "to the site in sites.yaml."
)


def _directives(values: list[str]) -> set[str]:
    out = set()
    for value in values:
        for part in value.split(","):
            part = part.strip().lower()
            # "spawningbot: noai" scopes a directive to one agent; the directive still counts.
            out.add(part.split(":", 1)[1].strip() if ":" in part else part)
    return out - {""}


def check(ctx: Context) -> None:
    if ctx.source.mode != "url":
        _host_files(ctx)
        return
    responses = [(p, ctx.get(p)) for p in ctx.pages + ctx.images]
    responses = [(p, r) for p, r in responses if r.ok]
    sends_any = any(r.header_values(n) for _, r in responses for n in NAMES)
    hosts = ctx.exp.site.hosts
    if responses and not sends_any:
        # One finding, not one per file: the host config is missing or not deployed.
        where = ", ".join(repr(h) for h in hosts)
        if hosts:
            ctx.add(
                "error",
                HEADERS,
                "/",
                f"the server sends no opt-out headers at all, though "
                f"sites.yaml names host(s) {where} whose config sets them: the generated "
                "config is not deployed or not read",
                _FIX,
                code="no-headers",
            )
        else:
            ctx.add(
                "warning",
                HEADERS,
                "/",
                "the host sends no opt-out headers; images are "
                "then covered only by tdmrep.json and their XMP, and the dataset tools that "
                "read only X-Robots-Tag see no reservation",
                _FIX + _NO_HEADERS,
                code="no-headers",
            )
        for path, _ in responses:
            ctx.cell(path, HEADERS, BAD if hosts else WARN, "no opt-out headers")
        ctx.count(HEADERS, len(responses))
        return
    # The host sends headers somewhere, so every page and image must carry them.
    for path, response in responses:
        ctx.count(HEADERS)
        _one(ctx, path, response)


# nginx's own inheritance rule, the usual cause of headers missing on some paths only.
NGINX_PITFALL = (
    "On nginx: an add_header inside a location block hides every add_header inherited "
    "from the server block, ours included; copy optout-site's add_header lines into that "
    "location (the variables they use are set at server level), then reload nginx."
)


def _hidden_fix(ctx: Context, response: Fetched) -> str:
    servers = [v.strip().lower() for v in response.header_values("Server")]
    if "nginx" in ctx.exp.site.hosts or any(v.startswith("nginx") for v in servers):
        return f"{NGINX_PITFALL} {_FIX}"
    return _FIX


def _one(ctx: Context, path: str, response: Fetched) -> None:
    decision = ctx.decision(path)
    want = str(dialects.tdm_reservation(decision))
    problems: list[str] = []

    def bad(severity: str, message: str, note: str, code: str | None = None) -> None:
        # The grid cell gets a short note of its own: a message cut at its first ';' could
        # end inside a quoted header value (`Link: <...>; rel="license"`).
        ctx.add(severity, HEADERS, path, message, _FIX, code=code)  # type: ignore[arg-type]
        if severity == "error" and not (code and code in ctx.exp.site.acknowledge):
            problems.append(note)

    if not any(response.header_values(n) for n in NAMES):
        ctx.add(
            "error",
            HEADERS,
            path,
            f"no opt-out headers at all on {path}, while other "
            f"responses carry them (missing: tdm-reservation {want}, X-Robots-Tag, "
            "Content-Usage); a path rule of the host config does not cover it",
            _hidden_fix(ctx, response),
        )
        ctx.cell(path, HEADERS, BAD, "no opt-out headers")
        return
    values = [v.strip() for v in response.header_values("tdm-reservation")]
    meta = ctx.page_meta.get(path)
    if not values:
        bad(
            "error",
            f"no tdm-reservation header on {path} (policy: {want}); other responses carry it",
            "no tdm-reservation header",
        )
    elif len(set(values)) > 1 or values[0] not in ("0", "1"):
        bad(
            "error",
            f"tdm-reservation header {', '.join(values)!r} is invalid: TDM agents read it as unset",
            "invalid tdm-reservation header",
        )
    elif values[0] != want:
        also = f"; the page's meta says {meta}" if meta is not None else ""
        bad(
            "error",
            f"tdm-reservation header says {values[0]} but the policy says {want}{also}"
            f"; {ctx.tdm_says(path)}",
            f"tdm-reservation header says {values[0]}, the policy {want}",
        )
    elif meta is not None and meta in ("0", "1") and meta != values[0]:
        bad(
            "error",
            f"tdm-reservation header says {values[0]} but the page's meta says {meta}",
            f"tdm-reservation header says {values[0]}, the page's meta {meta}",
        )
    if want == "1" and not response.header_values("tdm-policy"):
        ctx.add("warning", HEADERS, path, "no tdm-policy header next to tdm-reservation: 1", _FIX)

    tags = _directives(response.header_values("X-Robots-Tag"))
    blocked = tags & OVERBLOCK
    if blocked and not decision.reserves(Use.SEARCH):
        bad(
            "error",
            f"over-blocking: X-Robots-Tag says {', '.join(sorted(blocked))} on {path}; "
            "search engines drop it and img2dataset skips it, although the policy allows search",
            f"over-blocking: X-Robots-Tag {', '.join(sorted(blocked))}",
            code="noindex",
        )
    want_tags = set(
        dialects.robots_directives(decision, noarchive=ctx.exp.site.robots_meta.bing_noarchive)
    )
    if want_tags - tags:
        bad(
            "error",
            f"X-Robots-Tag lacks {', '.join(sorted(want_tags - tags))} although the "
            "policy reserves AI use here",
            f"X-Robots-Tag lacks {', '.join(sorted(want_tags - tags))}",
        )
    if {"noai", "noimageai"} & tags - want_tags:
        message = "X-Robots-Tag says noai but the policy allows AI use here"
        bad("error", message, message)

    usage = response.header_values("Content-Usage")
    if usage:
        _, got, _ = parse_usage(usage[-1])
        want_usage = parse_usage(dialects.content_usage(decision))[1] or {}
        for label, value in want_usage.items():
            if (got or {}).get(label, "?") != value:
                bad(
                    "error",
                    f"Content-Usage header says {usage[-1]!r} but the policy says "
                    f"{label}={value} here",
                    f"Content-Usage header is not {label}={value}",
                )
                break
    else:
        bad("error", f"no Content-Usage header on {path}", "no Content-Usage header")

    rsl_url = ctx.exp.rsl_url
    if rsl_url and not any(rsl_url in v and "license" in v for v in response.header_values("Link")):
        bad(
            "error",
            f'no `Link: <{rsl_url}>; rel="license"` header',
            "no RSL Link header",
        )
    ctx.cell(
        path, HEADERS, BAD if problems else OK, "; ".join(problems) if problems else "headers agree"
    )


def _host_files(ctx: Context) -> None:
    away = outside(ctx.exp.site)  # the configs hosts_dir keeps out of the folder
    for host in ctx.exp.site.hosts:
        if host not in FILES:  # haproxy, lighttpd: server config, nothing published
            continue
        name = FILES[host]
        ctx.count(HOSTS)
        if name in away:
            where, body = str(away[name]), _read(away[name])
        else:
            where, got = "/" + name, ctx.get("/" + name)
            body = got.body if got.ok else None
        if body is None:
            ctx.add(
                "error",
                HOSTS,
                where,
                f"sites.yaml names host {host!r} but {name} is "
                "missing, so the host sends no opt-out headers",
                _FIX,
            )
        elif b"tdm-reservation" not in body.lower():
            ctx.add("error", HOSTS, where, f"{name} sets no tdm-reservation header", _FIX)
        elif host == "netlify":
            _netlify_overrides(ctx, body.decode("utf-8", "replace"))


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _netlify_overrides(ctx: Context, text: str) -> None:
    """The user's own ``_headers`` rules after our block that set one of our headers: of
    the rules matching a path, Netlify lets the last one set a header's value (see
    :mod:`optout_site.hosts.netlify`), so theirs replaces ours on every path it matches."""
    ours = {n.lower() for n in signal_headers.NAMES}
    after = False
    pattern = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() == common.END:
            after = True
        elif not after or not line.strip() or line.lstrip().startswith("#"):
            continue
        elif not line[0].isspace():
            pattern = line.strip()
        elif ":" in line and line.split(":", 1)[0].strip().lower() in ours:
            name = line.split(":", 1)[0].strip()
            ctx.add(
                "error",
                HOSTS,
                "/" + FILES["netlify"],
                f"your rule for {pattern} sets {name} after optout-site's block; on Netlify "
                "the last matching rule sets a header's value, so it replaces ours there",
                f"Move that rule above the `{common.BEGIN}` line (ours then win on the "
                f"paths both match), or take {name} out of it.",
                line=number,
            )
