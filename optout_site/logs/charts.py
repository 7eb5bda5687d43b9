"""The HTML report of ``optout-site logs --html``: one self-contained file.

Charts are drawn by matplotlib (the ``logs`` extra) as SVG and inlined, glyphs as paths,
so the file needs no script, font or network to display. Every string from the log is
escaped by the template (autoescape) after control characters are made visible.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import jinja2
import markupsafe

from optout_site.build import atomic
from optout_site.build.report import printable
from optout_site.errors import UsageError

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE = "logs_report.html.j2"
TOP = 15  # agents in the "top agents" chart
ROWS = 500  # violations listed in the page (the JSON has them all)

if TYPE_CHECKING:  # matplotlib is optional at run time
    from matplotlib.figure import Figure


def _figure(width: float = 9.0, height: float = 3.4) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError(
            "--html draws its charts with matplotlib: install optout-site[logs]"
        ) from None
    return Figure(figsize=(width, height), layout="constrained")


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    # No date in the metadata: the same audit gives the same file.
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _date_axis(ax: Any, days: list[dt.date]) -> None:
    # matplotlib.dates has no type annotations.
    dates: Any = importlib.import_module("matplotlib.dates")
    # Whole days only: an hour tick on a per-day chart reads as a time of day.
    if days and (days[-1] - days[0]).days <= 14:
        ax.xaxis.set_major_locator(dates.DayLocator())
    ax.xaxis.set_major_formatter(dates.DateFormatter("%Y-%m-%d"))
    if days:
        ax.set_xlim(days[0] - dt.timedelta(days=1), days[-1] + dt.timedelta(days=1))


def _stacked_per_day(
    rows: list[dict[str, Any]], series: str, value: str, order: list[str], title: str
) -> str:
    """Bars per day, one stacked series per value of ``series`` (in ``order``)."""
    counts: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for row in rows:
        counts[row[series]][_day(row["day"])] = row[value]
    fig = _figure()
    ax = fig.subplots()
    days = sorted({d for per_day in counts.values() for d in per_day})
    bottom = [0] * len(days)
    for name in order:
        values = [counts[name].get(d, 0) for d in days]
        # cast: matplotlib plots dates, but its stubs do not say so.
        ax.bar(cast(Any, days), values, bottom=bottom, label=name, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    _date_axis(ax, days)
    ax.set_ylabel("requests")
    ax.set_title(title)
    if days:
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.autofmt_xdate()
    return _svg(fig)


def per_day_chart(report: dict[str, Any]) -> str:
    categories = sorted({row["category"] for row in report["per_day"]})
    return _stacked_per_day(
        report["per_day"], "category", "requests", categories, "Requests per day, by category"
    )


def violations_chart(report: dict[str, Any]) -> str:
    return _stacked_per_day(
        report["violations_per_day"],
        "kind",
        "violations",
        ["page", "image", "other"],
        "Requests the policy disallowed, per day (UTC), by kind",
    )


def top_agents_chart(report: dict[str, Any]) -> str:
    agents = report["agents"][:TOP][::-1]
    fig = _figure(9.0, max(2.0, 0.35 * len(agents) + 1))
    ax = fig.subplots()
    names = [a["token"] for a in agents]
    ax.barh(names, [a["hits"] for a in agents], label="requests")
    ax.barh(names, [a["violations"] for a in agents], label="disallowed requests", color="#b3261e")
    ax.set_xlabel("requests")
    ax.set_title(f"Top {len(agents)} agents")
    if agents:
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _svg(fig)


def html(report: dict[str, Any]) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["printable"] = printable
    return env.get_template(TEMPLATE).render(
        report=report,
        charts=[
            markupsafe.Markup(chart(report))
            for chart in (per_day_chart, top_agents_chart, violations_chart)
        ],
        rows=ROWS,
    )


def write(report: dict[str, Any], target: Path) -> None:
    atomic.write_bytes(target, html(report).encode("utf-8"))
