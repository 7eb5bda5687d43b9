"""Signals: each module renders one dialect from the resolved policy, and nothing else.

No signal reads sites.yaml or another signal's output; that is what keeps them agreeing.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from optout_site.config import Site
from optout_site.signals import aitxt, tdmrep


def site_files(site: Site, source: Path) -> dict[PurePosixPath, bytes]:
    """Every site-level signal file, keyed by its path inside the site.

    ``source`` is the input folder, for signals that merge with the site's own file.
    """
    files = {
        PurePosixPath(tdmrep.WELL_KNOWN_PATH.lstrip("/")): tdmrep.render(site),
        PurePosixPath(site.tdm_policy.path.lstrip("/")): tdmrep.render_policy(site),
        PurePosixPath(aitxt.PATH.lstrip("/")): aitxt.render(site),
    }
    return files
