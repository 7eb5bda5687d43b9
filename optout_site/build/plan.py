"""Plan: one task per file of the built site, from the decision for its URL path.

A page gets the tags to splice, an image the rights to write, anything else is copied
(in output mode) or left alone. Tasks are plain data, so they cross into worker processes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from optout_site import html, images
from optout_site.build.scan import Entry
from optout_site.c2pa import statement
from optout_site.c2pa.signing import Signing
from optout_site.config import Site
from optout_site.html.splice import Wanted
from optout_site.policy import Decision
from optout_site.signals import image_rights, page_tags


@dataclass(frozen=True)
class Task:
    rel: str
    src: Path
    dst: Path
    kind: str  # "page", "image", "file"
    dry_run: bool
    page: Wanted | None = None
    image: images.ImageRights | None = None
    unreadable_is_error: bool = False  # images.on_unreadable: error
    signing: Signing | None = None  # c2pa: sign a manifest over the stamped image


# Files that must stay byte for byte: search engines' site-verification files (their whole
# content is checked) and, by default, the theme's icons (often third-party work under
# its own licence, e.g. MIT: stamping "© <the photographer>" into them would be wrong).
VERIFICATION = (
    "google*.html",
    "BingSiteAuth.xml",
    "yandex_*.html",
    "pinterest-*.html",
    "baidu_verify_*.html",
    "naver*.html",
)
ICONS = (
    "favicon.ico",
    "favicon*.png",
    "favicon*.svg",
    "apple-touch-icon*.png",
    "android-chrome-*.png",
    "mstile-*.png",
    "safari-pinned-tab.svg",
    "icon-*.png",
)


def is_excluded(site: Site, rel: PurePosixPath) -> bool:
    """Left exactly as it is: a glob without "/" matches the file name at any depth, one
    with "/" the whole site-relative path ("*" then crosses folders)."""
    globs = VERIFICATION + (ICONS if site.exclude_icons else ()) + site.exclude
    text = rel.as_posix()
    return any(fnmatchcase(text if "/" in g else rel.name, g.lstrip("/")) for g in globs)


def kind_of(url_path: str) -> str | None:
    """``page`` (a folder or an HTML file), ``image``, or None, from a URL path (with or
    without its query), by the suffixes the build stamps: ``check`` and the log audit
    count what was served the way the build decides what to stamp."""
    suffix = PurePosixPath(unquote(url_path.split("?")[0])).suffix.lower()
    if url_path.endswith("/") or suffix in html.SUFFIXES:
        return "page"
    if suffix in images.suffixes():
        return "image"
    return None


def plan(site: Site, entry: Entry, dry_run: bool) -> Task:
    """The work one file of the site needs, decided by the policy for its URL path."""
    dst = site.output_dir / entry.rel
    decision = site.policy.resolve(entry.url_path)
    rel = str(entry.rel)
    if is_excluded(site, entry.rel):
        return Task(rel, entry.path, dst, "file", dry_run)
    if entry.rel.suffix.lower() in html.SUFFIXES:
        return Task(rel, entry.path, dst, "page", dry_run, page=_wanted(site, decision))
    if site.images.enabled and images.is_image(entry.path):
        return Task(
            rel,
            entry.path,
            dst,
            "image",
            dry_run,
            image=image_rights.for_decision(site, decision),
            unreadable_is_error=site.images.on_unreadable == "error",
            signing=_signing(site, decision),
        )
    return Task(rel, entry.path, dst, "file", dry_run)


def _signing(site: Site, decision: Decision) -> Signing | None:
    if not site.c2pa.enabled:
        return None
    return Signing(statement.for_decision(site, decision), site.c2pa)


# A site has a handful of decisions and thousands of files: what each decision asks of a
# page or an image is worked out once (Site and Decision are frozen, hence hashable).
@functools.lru_cache(maxsize=256)
def _wanted(site: Site, decision: Decision) -> Wanted:
    return page_tags.wanted(site, decision)
