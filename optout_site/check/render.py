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


def _share(part: int, whole: int, what: str, verb: str = "") -> str:
    if not whole:  # 0/0 is no evidence, never "100%"
        return f"no {what} checked"
    return f"{what} {part}/{whole} ({Coverage.percent(part, whole):g}%){verb}"


def _coverage(c: Coverage) -> str:
    pages = _share(c.pages_reserved, c.pages, "pages", " carry the policy's reservation")
    return f"{pages}; {_share(c.images_reserved, c.images, 'images')}"


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
            (
                name,
                report.counted_words(name),
                str(counts["errors"]),
                str(counts["warnings"]),
                state,
            )
        )
    lines += _table(("signal", "checked", "errors", "warnings", "status"), rows)
    lines.append("")
    lines.append(f"Coverage: {_coverage(c)}")
    for name in SIGNALS:
        found = [f for f in report.findings if f.signal == name]
        if not found:
            continue
        lines += ["", f"{name}:"]
        for f in found:
            label = "ack" if f.acknowledged else f.severity
            note = f" (acknowledged in sites.yaml: {f.code})" if f.acknowledged else ""
            lines.append(f"  {label:<7}  {_where(f)}: {f.message}{note}")
            lines.append(f"           fix: {f.fix}")
    errors, warnings = len(report.errors), len(report.warnings)
    acknowledged = len(report.acknowledged)
    also = f", {acknowledged} acknowledged" if acknowledged else ""
    lines.append("")
    if report.ok:
        lines.append(
            f"Result: OK, every signal agrees with the policy ({warnings} warning(s){also})."
        )
    else:
        lines.append(f"Result: {errors} problem(s) and {warnings} warning(s){also}; see above.")
    return "\n".join(map(printable, lines))


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _in(root: str, finding: Finding) -> Path:
    # The finding names a URL path; the annotation the file it is served from.
    rel = unquote(finding.target_file.lstrip("/"), errors="surrogateescape")
    file = Path(root) / rel
    return file / "index.html" if file.is_dir() else file


def _annotated(report: CheckReport, f: Finding) -> tuple[Path, int | None]:
    """Where an annotation goes: the built file, or better the source file it was built
    from (the built folder is seldom in the repository, so a pull request shows no
    annotation there). A line moves to the source only when its text is found there; a
    line optout-site wrote stays on the built file."""
    built = _in(report.root or ".", f)
    if report.source_root is None:
        return built, f.line
    source = _in(report.source_root, f)
    if not source.is_file():
        return built, f.line
    if not f.line:
        return source, None
    try:
        wanted = built.read_bytes().splitlines()[f.line - 1]
        found = source.read_bytes().splitlines().index(wanted) + 1
    except (OSError, IndexError, ValueError):
        return built, f.line
    return source, found


def github(report: CheckReport, *, errors_only: bool = False) -> str:
    """GitHub Actions workflow commands: one ``::error``/``::warning`` line per finding,
    then a summary line; ``errors_only``: the ``::error`` lines alone."""
    out = []
    for f in report.errors if errors_only else report.findings:
        props, moved = [], ""
        if report.root is not None:
            file, line = _annotated(report, f)
            props.append(f"file={_escape_property(os.path.relpath(file))}")
            if line:
                props.append(f"line={line}")
            if line != f.line:  # the message counts lines of the built file
                moved = f" (built file line {f.line}: line {line} of {os.path.relpath(file)})"
        props.append(f"title={_escape_property(f'{f.signal}: {f.path}')}")
        message = f"{f.message}{moved} Fix: {f.fix}"
        level: str = f.severity
        if f.acknowledged:  # listed where it is, but not a failure
            level, message = "notice", f"Acknowledged in sites.yaml ({f.code}): {message}"
        out.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
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
