"""``optout-site check``: read a built site, or a served one, the way outside readers do,
and prove that every signal says what the policy says.

Every verdict comes from a reader that is not ours: Protego and urllib.robotparser for
robots.txt and ai.txt, ``json`` for tdmrep.json and the TDM policy, html5lib for pages,
lxml for license.xml and sitemaps, and the image XMP reader. The expected values come
from :mod:`optout_site.dialects` applied to ``site.policy.resolve(path)``; without a
sites.yaml the policy is inferred from what the site declares (see :mod:`.expect`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from optout_site.check import (
    aitxt,
    blocking,
    credentials,
    expect,
    files,
    headers,
    images,
    pages,
    robots,
    rsl,
    sources,
    tdm,
)
from optout_site.check.context import Context, short_list
from optout_site.check.model import (
    AUDIT,
    LEGAL,
    MAX_FINDINGS,
    CheckReport,
    Coverage,
    Finding,
    PolicyLine,
    Row,
)
from optout_site.check.sources import (
    DEADLINE,
    MAX_REQUESTS,
    FolderSource,
    HttpSource,
    Source,
)
from optout_site.config import Site
from optout_site.errors import UsageError

__all__ = [
    "CheckReport",
    "Coverage",
    "Finding",
    "PolicyLine",
    "Row",
    "check_built_site",
    "check_folder",
    "check_url",
]


def _run(source: Source, site: Site | None, sample: int | None) -> CheckReport:
    report = CheckReport(
        target=source.label, mode=source.mode, site=site.name if site else None, policy_source=""
    )
    if isinstance(source, FolderSource):
        report.root = str(source.root)
    ctx = Context(source, report)
    if isinstance(source, HttpSource):
        _reachable(source, ctx)
    ctx.robots = robots.read(ctx)
    ctx.tdm_rules = tdm.parse(ctx)
    origin = None if isinstance(source, FolderSource) else source.origin
    ctx.expect = expect.from_site(site) if site is not None else expect.infer(ctx, origin)
    report.policy_source = ctx.exp.source_note
    report.policy = expect.describe(ctx.exp)
    if isinstance(source, FolderSource):
        ctx.pages, ctx.images = source.pages(), source.images()
        if sample is not None:
            ctx.pages, ctx.images = ctx.pages[:sample], ctx.images[:sample]
    else:
        pages.discover(ctx, sample or 20)
    if not ctx.exp.images:
        ctx.images = []
    ctx.add_rows()
    for module in (robots, tdm, aitxt, rsl, pages, images, credentials, headers, blocking, files):
        try:
            module.check(ctx)
        except ValueError as exc:  # a URL urllib cannot parse, deep in a module's reading
            name = module.__name__.rsplit(".", 1)[-1]
            ctx.add(
                "warning",
                AUDIT,
                "/",
                f"the {name} checks stopped at a malformed value: {exc}",
                "Fix the malformed URL in the site's files.",
            )
    _reservation_page(ctx)
    _limits(ctx)
    order = {"error": 0, "warning": 1}
    report.findings.sort(key=lambda f: (order[f.severity], f.signal, f.path))
    return report


def _reachable(source: HttpSource, ctx: Context) -> None:
    """An audit of a host that cannot be reached at all is a usage error, not a report.

    Not even a TCP connection; or one, but no HTTP answer for robots.txt nor for the home
    page (https to a plain-http server, a port that is not a web server): a report of
    such a host would be empty, and "pages 0/0" reads like success.
    """
    got = ctx.get(robots.PATH)
    if got.status != 0 or got.skipped:
        return
    if got.connected:
        home = ctx.get("/")
        # A slow answer is an answer (the report says what timed out); none at all is not.
        if home.status != 0 or home.skipped or sources.TIMED_OUT in got.error + home.error:
            return
    reason = got.error.removeprefix("unreachable: ")
    raise UsageError(f"cannot connect to {source.host}: {reason}")


def _limits(ctx: Context) -> None:
    """What the check could not read: past the deadline or the request budget, malformed
    URLs, findings beyond the per-signal cap."""
    source = ctx.source
    if source.skipped:
        ctx.add(
            "error",
            AUDIT,
            source.skipped[0],
            f"not checked: {len(source.skipped)} path(s), {short_list(source.skipped)}, "
            f"because {source.exhausted or 'the deadline or the request budget ran out'}; "
            "the report is incomplete",
            "Run again with a longer --deadline or a larger --max-requests, or a smaller --sample.",
        )
    for folder, reason in source.unread:
        ctx.add(
            "error",
            AUDIT,
            folder,
            f"not checked: {reason}; the report is incomplete",
            "Make the folder readable (or its path shorter) and run again.",
        )
    for url in dict.fromkeys(source.malformed[:MAX_FINDINGS]):
        ctx.add(
            "warning",
            AUDIT,
            "/",
            f"skipped the malformed URL {url!r}",
            "Fix the link in the site's pages, sitemap or signal files.",
        )
    if len(source.malformed) > MAX_FINDINGS:
        ctx.add(
            "warning",
            AUDIT,
            "/",
            f"{len(source.malformed) - MAX_FINDINGS} more malformed URL(s) skipped",
            "Fix the links in the site's pages, sitemap or signal files.",
        )
    for signal, count in ctx.report.findings.dropped.items():
        ctx.report.findings.dropped = {}  # the note itself must not be capped away
        ctx.report.findings.append(
            Finding(
                "warning",
                AUDIT,
                "/",
                f"{count} more {signal} finding(s) not listed (at most {MAX_FINDINGS} each)",
                "Fix the listed ones first; run again to see the rest.",
            )
        )


def _reservation_page(ctx: Context) -> None:
    page = ctx.exp.site.reservation_page
    if ctx.exp.inferred or not page.enabled:
        return
    ctx.count(LEGAL)
    if not ctx.get(page.path).ok:
        ctx.add(
            "warning",
            LEGAL,
            page.path,
            "the human-readable reservation page is missing; "
            "a court or a licensee reads words, not robots.txt",
            "Rebuild with `optout-site build` (reservation_page in sites.yaml).",
        )


def check_folder(root: Path, site: Site | None = None, *, sample: int | None = None) -> CheckReport:
    """Check a built site folder; offline. ``site`` gives the intended policy."""
    origins = (site.url,) if site is not None else ()
    report = _run(FolderSource(Path(root), origins), site, sample)
    if site is not None and site.output is not None and Path(root).resolve() == site.output:
        report.source_root = str(site.input)
    return report


def check_url(
    base: str,
    site: Site | None = None,
    sample: int = 20,
    timeout: float = 10.0,
    *,
    deadline: float = DEADLINE,
    max_requests: int = MAX_REQUESTS,
) -> CheckReport:
    """Check a served site at ``base`` (http or https), sampling ``sample`` pages and images.

    Each response may take ``timeout`` seconds in all, the whole check ``deadline`` seconds
    and ``max_requests`` requests; what is left then is reported as not checked. Raises
    :class:`UsageError` when ``base`` is not an http(s) URL or its host cannot be reached.
    """
    try:
        parts = urlsplit(base)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise UsageError(f"not a valid URL: {base!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"not an http(s) URL: {base!r}")
    origins = (site.url,) if site is not None else ()
    source = HttpSource(
        base, origins, timeout=timeout, deadline=deadline, max_requests=max_requests
    )
    return _run(source, site, sample)


def check_built_site(site: Site) -> CheckReport:
    """For ``build --check``: the site's output folder against its own config."""
    return check_folder(site.output_dir, site)
