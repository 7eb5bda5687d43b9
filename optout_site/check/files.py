"""Every file of the site is published: in output mode, the built folder holds every input.

A build that drops a photo it cannot stamp leaves a hole the visitor sees as a 404; the
policy's other signals cannot make up for a missing file. Folder mode only, and only when
the config says which folder the site was built from.
"""

from __future__ import annotations

from pathlib import Path

from optout_site.build.scan import scan
from optout_site.check.context import Context, short_list
from optout_site.check.model import FILES
from optout_site.check.sources import FolderSource


def check(ctx: Context) -> None:
    site = None if ctx.exp.inferred else ctx.exp.site
    source = ctx.source
    if site is None or site.output is None or not isinstance(source, FolderSource):
        return
    if source.root != Path(site.output).resolve() or not site.input.is_dir():
        return
    ctx.count(FILES)
    entries, _ = scan(site.input)
    missing = [e.url_path for e in entries if source.local(e.url_path) is None]
    if missing:
        ctx.add(
            "error",
            FILES,
            missing[0],
            f"{len(missing)} file(s) of {site.input} are missing from the built folder: "
            f"{short_list(missing)}; visitors get 404 where the site links them",
            "Rebuild with `optout-site build`: every input file is published, stamped or "
            "copied as it is.",
        )
