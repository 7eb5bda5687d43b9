"""HTTP response headers (URL mode): ``tdm-reservation``, ``tdm-policy``, ``X-Robots-Tag``,
``Content-Usage`` and the RSL ``Link``. These are the only channel the known dataset tools
(datadiligence, img2dataset) read for images, and a TDM agent lets a header override
tdmrep.json. Folder mode checks that the configured host files exist instead.
"""

from __future__ import annotations

from optout_site import dialects
from optout_site.check.context import Context
from optout_site.check.model import BAD, HEADERS, HOSTS, OK, WARN
from optout_site.check.sources import Fetched
from optout_site.check.usage import parse_usage
from optout_site.hosts import FILES
from optout_site.policy import Use

NAMES = ("tdm-reservation", "tdm-policy", "X-Robots-Tag", "Content-Usage")
OVERBLOCK = frozenset({"noindex", "none", "noimageindex"})
_FIX = (
    "Configure the host's headers (optout-site writes them for the hosts named in "
    "sites.yaml `hosts:`), then redeploy."
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
            )
        else:
            ctx.add(
                "warning",
                HEADERS,
                "/",
                "the host sends no opt-out headers; images are "
                "then covered only by tdmrep.json and their XMP, and the dataset tools that "
                "read only X-Robots-Tag see no reservation",
                _FIX,
            )
        for path, _ in responses:
            ctx.cell(path, HEADERS, BAD if hosts else WARN, "no opt-out headers")
        ctx.count(HEADERS, len(responses))
        return
    # The host sends headers somewhere, so every page and image must carry them.
    for path, response in responses:
        ctx.count(HEADERS)
        _one(ctx, path, response)


def _one(ctx: Context, path: str, response: Fetched) -> None:
    decision = ctx.decision(path)
    want = str(dialects.tdm_reservation(decision))
    problems: list[str] = []

    def bad(severity: str, message: str) -> None:
        ctx.add(severity, HEADERS, path, message, _FIX)  # type: ignore[arg-type]
        if severity == "error":
            problems.append(message.split(";")[0])

    if not any(response.header_values(n) for n in NAMES):
        ctx.add(
            "error",
            HEADERS,
            path,
            f"no opt-out headers at all on {path}, while other "
            f"responses carry them (missing: tdm-reservation {want}, X-Robots-Tag, "
            "Content-Usage); a path rule of the host config does not cover it",
            _FIX,
        )
        ctx.cell(path, HEADERS, BAD, "no opt-out headers")
        return
    values = [v.strip() for v in response.header_values("tdm-reservation")]
    meta = ctx.page_meta.get(path)
    if not values:
        bad(
            "error",
            f"no tdm-reservation header on {path} (policy: {want}); other responses carry it",
        )
    elif len(set(values)) > 1 or values[0] not in ("0", "1"):
        bad(
            "error",
            f"tdm-reservation header {', '.join(values)!r} is invalid: TDM agents read it as unset",
        )
    elif values[0] != want:
        also = f"; the page's meta says {meta}" if meta is not None else ""
        bad(
            "error",
            f"tdm-reservation header says {values[0]} but the policy says {want}{also}"
            f"; {ctx.tdm_says(path)}",
        )
    elif meta is not None and meta in ("0", "1") and meta != values[0]:
        bad("error", f"tdm-reservation header says {values[0]} but the page's meta says {meta}")
    if want == "1" and not response.header_values("tdm-policy"):
        ctx.add("warning", HEADERS, path, "no tdm-policy header next to tdm-reservation: 1", _FIX)

    tags = _directives(response.header_values("X-Robots-Tag"))
    blocked = tags & OVERBLOCK
    if blocked and not decision.reserves(Use.SEARCH):
        bad(
            "error",
            f"over-blocking: X-Robots-Tag says {', '.join(sorted(blocked))} on {path}; "
            "search engines drop it and img2dataset skips it, although the policy allows search",
        )
    want_tags = set(
        dialects.robots_directives(decision, noarchive=ctx.exp.site.robots_meta.bing_noarchive)
    )
    if want_tags - tags:
        bad(
            "error",
            f"X-Robots-Tag lacks {', '.join(sorted(want_tags - tags))} although the "
            "policy reserves AI use here",
        )
    if {"noai", "noimageai"} & tags - want_tags:
        bad("error", "X-Robots-Tag says noai but the policy allows AI use here")

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
                )
                break
    else:
        bad("error", f"no Content-Usage header on {path}")

    rsl_url = ctx.exp.rsl_url
    if rsl_url and not any(rsl_url in v and "license" in v for v in response.header_values("Link")):
        bad("error", f'no `Link: <{rsl_url}>; rel="license"` header')
    ctx.cell(
        path, HEADERS, BAD if problems else OK, "; ".join(problems) if problems else "headers agree"
    )


def _host_files(ctx: Context) -> None:
    for host in ctx.exp.site.hosts:
        if host not in FILES:  # haproxy, lighttpd: server config, nothing published
            continue
        name = FILES[host]
        ctx.count(HOSTS)
        got = ctx.get("/" + name)
        if not got.ok:
            ctx.add(
                "error",
                HOSTS,
                "/" + name,
                f"sites.yaml names host {host!r} but {name} is "
                "missing, so the host sends no opt-out headers",
                _FIX,
            )
        elif b"tdm-reservation" not in got.body.lower():
            ctx.add("error", HOSTS, "/" + name, f"{name} sets no tdm-reservation header", _FIX)
