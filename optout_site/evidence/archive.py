"""``evidence archive``: have a third party keep a dated copy (Internet Archive).

A record made by the creator's own tool is the creator's own evidence; a capture by the
Internet Archive's Save Page Now is a third party's, dated by them. Never run by ``build``:
it is network traffic the user asks for explicitly (``--submit``).
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from optout_site.evidence import ledger

SAVE = "https://web.archive.org/save/"
PAUSE = 5.0  # seconds between submissions: Save Page Now limits anonymous clients


def urls(path: Path, sample: int) -> list[str]:
    """Every signal file, and up to ``sample`` pages and ``sample`` images, as site URLs."""
    value, _ = ledger.load(path)
    base = str(value["url"]).rstrip("/")
    files = value.get("files", [])
    chosen = [f["path"] for f in files if f["kind"] == "signal"]
    for kind in ("page", "image"):
        chosen += [f["path"] for f in files if f["kind"] == kind][:sample]
    return [base + p for p in chosen]


def submit(targets: list[str], pause: float = PAUSE) -> list[str]:
    """Ask Save Page Now to capture each URL; returns the ones that failed."""
    failed = []
    for index, url in enumerate(targets):
        if index:
            time.sleep(pause)
        request = urllib.request.Request(SAVE + url, headers={"User-Agent": "optout-site"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                print(f"saved {url} ({response.status})")
        except (urllib.error.URLError, OSError) as exc:
            print(f"not saved {url}: {getattr(exc, 'reason', exc)}", file=sys.stderr)
            failed.append(url)
    return failed
