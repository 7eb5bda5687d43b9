"""A check report for people (text, HTML) and for CI (GitHub annotations)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

import jinja2

from optout_site.build.report import printable
from optout_site.check.model import SIGNALS, CheckReport, Coverage, Finding

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE = "check_report.html.j2"

# Plain words for a creator, not a crawler engineer.
USE_WORDS = {
    "tdm": "text and data mining of your work",
    "train": "training AI models on your work",
    "genai-train": "training generative AI (image and text generators)",
    "ai-input": "feeding your work to AI answers, assistants and AI search",
    "search": "search engines listing and linking to your pages",
}
PURPOSES = {
    "robots.txt": "tells each crawler what it may fetch",
    "tdmrep.json": "the W3C text-and-data-mining reservation for the whole site",
    "TDM policy": "how to ask you for a licence",
    "ai.txt": "Spawning's opt-out, read by dataset builders",
    "license.xml": "RSL licence terms",
    "page meta": "the reservation inside each page",
    "image XMP": "the reservation inside each image file, which travels with it",
    "image C2PA": "the signed Content Credentials in each image (datadiligence reads them)",
    "HTTP headers": "what the server says with every file",
    "host config": "the header rules for your host",
    "reservation page": "the human-readable legal notice",
}


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = ["  " + "  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    out.append("  " + "  ".join("-" * w for w in widths))
    out += [
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    return out


def _where(f: Finding) -> str:
    return f.path + (f" (line {f.line})" if f.line and f.file is None else "")


def text(report: CheckReport) -> str:
    c = report.coverage
    lines = [
        f"optout-site check: {report.target} ({report.mode})",
        f"Policy {report.policy_source}:",
    ]
    width = max((len(p.path) for p in report.policy), default=1)
    lines += [f"  {p.path.ljust(width)}  {p.text}" for p in report.policy]
    lines.append("")
    summary = report.signal_summary()
    rows = []
    for name, counts in summary.items():
        state = "FAIL" if counts["errors"] else ("warn" if counts["warnings"] else "ok")
        rows.append(
            (name, str(counts["checked"]), str(counts["errors"]), str(counts["warnings"]), state)
        )
    lines += _table(("signal", "checked", "errors", "warnings", "status"), rows)
    lines.append("")
    lines.append(
        f"Coverage: pages {c.pages_reserved}/{c.pages} "
        f"({Coverage.percent(c.pages_reserved, c.pages):g}%) carry the policy's "
        f"reservation; images {c.images_reserved}/{c.images} "
        f"({Coverage.percent(c.images_reserved, c.images):g}%)"
    )
    for name in SIGNALS:
        found = [f for f in report.findings if f.signal == name]
        if not found:
            continue
        lines += ["", f"{name}:"]
        for f in found:
            lines.append(f"  {f.severity:<7}  {_where(f)}: {f.message}")
            lines.append(f"           fix: {f.fix}")
    errors, warnings = len(report.errors), len(report.warnings)
    lines.append("")
    if report.ok:
        lines.append(f"Result: OK, every signal agrees with the policy ({warnings} warning(s)).")
    else:
        lines.append(f"Result: {errors} problem(s) and {warnings} warning(s); see above.")
    return "\n".join(map(printable, lines))


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(report: CheckReport, *, errors_only: bool = False) -> str:
    """GitHub Actions workflow commands: one ``::error``/``::warning`` line per finding,
    then a summary line; ``errors_only``: the ``::error`` lines alone."""
    out = []
    for f in report.errors if errors_only else report.findings:
        props = []
        if report.root is not None:
            # The finding names a URL path; the annotation the file it is served from.
            rel = unquote(f.target_file.lstrip("/"), errors="surrogateescape")
            file = Path(report.root) / rel
            if file.is_dir():
                file = file / "index.html"
            props.append(f"file={_escape_property(os.path.relpath(file))}")
            if f.line:
                props.append(f"line={f.line}")
        props.append(f"title={_escape_property(f'{f.signal}: {f.path}')}")
        message = f"{f.message} Fix: {f.fix}"
        out.append(f"::{f.severity} {','.join(props)}::{_escape_data(message)}")
    if errors_only:
        return "\n".join(out)
    verdict = "consistent" if report.ok else f"{len(report.errors)} problem(s)"
    out.append(
        printable(
            f"optout-site check: {report.target}: {verdict}, {len(report.warnings)} warning(s)"
        )
    )
    return "\n".join(out)


def environment() -> jinja2.Environment:
    """The packaged report templates (check report, evidence record), strictly rendered."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def html(report: CheckReport) -> str:
    env = environment()
    columns = [s for s in SIGNALS if any(s in r.cells for r in report.rows)]
    fixes: dict[str, list[Finding]] = {}
    for f in report.errors + report.warnings:
        fixes.setdefault(f.fix, []).append(f)
    return env.get_template(TEMPLATE).render(
        report=report,
        columns=columns,
        fixes=fixes,
        coverage=report.coverage,
        percent=Coverage.percent,
        summary=report.signal_summary(),
        words=USE_WORDS,
        purposes=PURPOSES,
    )
