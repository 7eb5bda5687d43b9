"""Really Simple Licensing: ``license.xml`` read with lxml, one ``<content>`` per path pattern.

RSL says overlapping entries resolve to the most restrictive; the build writes the most
specific entry first so that an exempt sub-path is still described exactly. The checker
reads the most specific matching entry, which is what the policy states, and does not
flag the protective reading.
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit

from lxml import etree

from optout_site import dialects, paths
from optout_site.check.context import Context, short_list
from optout_site.check.model import BAD, OK, RSL

NAMESPACE = "https://rslstandard.org/rsl"
_EXPAND = {
    "all": {"ai-train", "ai-input", "ai-index", "search"},
    "ai-all": {"ai-train", "ai-input", "ai-index"},
}
_FIX = "Rebuild with `optout-site build`; license.xml is generated from sites.yaml."


def _tokens(text: str | None) -> set[str]:
    out: set[str] = set()
    for token in (text or "").split():
        out |= _EXPAND.get(token, {token})
    return out


def check(ctx: Context) -> None:
    url = ctx.exp.rsl_url
    if url is None:
        return
    ctx.count(RSL)
    path = ctx.source.site_path(url)
    if path is None:
        ctx.add("warning", RSL, url, *ctx.elsewhere(url, "license.xml"))
        return
    got = ctx.get(path)
    if not got.ok:
        ctx.add(
            "error",
            RSL,
            path,
            f"license.xml is missing ({got.error or f'HTTP {got.status}'})"
            "; RSL readers treat the content as unlicensed",
            _FIX,
        )
        return
    if ctx.source.mode == "url" and got.content_type != "application/rsl+xml":
        ctx.add(
            "warning",
            RSL,
            path,
            f"served as {got.content_type or 'no Content-Type'}, not application/rsl+xml",
            "Configure the host to serve it as application/rsl+xml.",
        )
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(got.body, parser)
    except etree.XMLSyntaxError as exc:
        ctx.add("error", RSL, path, f"license.xml is not well-formed XML: {exc}", _FIX)
        return
    if root.tag != f"{{{NAMESPACE}}}rsl":
        ctx.add(
            "error",
            RSL,
            path,
            f"the root element is {root.tag!r}, not <rsl> in the namespace {NAMESPACE}",
            _FIX,
        )
        return
    entries = []
    for content in root.iter(f"{{{NAMESPACE}}}content"):
        pattern = urlsplit(content.get("url", "")).path or "/"
        permits: set[str] = set()
        prohibits: set[str] = set()
        for lic in content.iter(f"{{{NAMESPACE}}}license"):
            for el in lic.iter(f"{{{NAMESPACE}}}permits"):
                if el.get("type", "usage") == "usage":
                    permits |= _tokens(el.text)
            for el in lic.iter(f"{{{NAMESPACE}}}prohibits"):
                if el.get("type", "usage") == "usage":
                    prohibits |= _tokens(el.text)
        entries.append((pattern, permits, prohibits))
    wrong: dict[tuple[str, str], list[str]] = defaultdict(list)
    for sample in ctx.sample_paths():
        found = [e for e in entries if paths.matches(e[0], sample)]
        if not found:
            wrong[("", "no <content> entry covers it")].append(sample)
            continue
        pattern, permits, prohibits = max(found, key=lambda e: paths.specificity(e[0]))
        # Compared as the base tokens the umbrella ones ("all", "ai-all") stand for.
        want_permits, want_prohibits = (
            sorted(_tokens(" ".join(tokens))) for tokens in dialects.rsl_usage(ctx.decision(sample))
        )
        problems = [
            f"{t} is not prohibited" for t in want_prohibits if t not in prohibits or t in permits
        ]
        problems += [f"{t} is prohibited" for t in want_permits if t in prohibits]
        if problems:
            wrong[(pattern, "; ".join(problems))].append(sample)
            ctx.cell(sample, RSL, BAD, "; ".join(problems))
        else:
            ctx.cell(sample, RSL, OK, f"<content url={pattern!r}>")
    for (pattern, problem), samples in wrong.items():
        where = f"<content url={pattern!r}>" if pattern else "license.xml"
        ctx.add(
            "error",
            RSL,
            samples[0],
            f"{where}: {problem} for {short_list(samples)}, "
            f"contradicting the policy there ({dialects.describe(ctx.decision(samples[0]))})",
            _FIX,
            file=path,
        )
