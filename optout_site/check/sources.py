"""Reading a site the way a crawler would: from a built folder, or over HTTP.

Folder mode never touches the network: a URL on the site's own origin is mapped to the
file a static host would serve for it, and anything else is reported as not checked.
URL mode uses urllib with a bounded timeout and a bounded body size, so a slow or huge
response costs seconds, never a hung CI job.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from optout_site import paths
from optout_site.build.scan import scan

TIMEOUT = 10.0
MAX_BODY = 32 * 1024 * 1024
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
IMAGE_SUFFIXES = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".png",
        ".apng",
        ".webp",
        ".tif",
        ".tiff",
        ".gif",
        ".avif",
        ".heic",
        ".heif",
    }
)
USER_AGENT = "optout-site-check/1 (+https://github.com/optout-site)"


@dataclass
class Fetched:
    path: str
    status: int  # HTTP status; 200 for a file found on disk; 0 when unreachable
    body: bytes = b""
    headers: Message = field(default_factory=Message)
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def header_values(self, name: str) -> list[str]:
        return [str(v) for v in self.headers.get_all(name) or []]


def kind_of(path: str) -> str | None:
    suffix = PurePosixPath(unquote(path.split("?")[0])).suffix.lower()
    if path.endswith("/") or suffix in HTML_SUFFIXES:
        return "page"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    return None


class FolderSource:
    mode = "folder"

    def __init__(self, root: Path, origins: tuple[str, ...] = ()) -> None:
        self.root = Path(root).resolve()
        self.label = str(root)
        self.origins = tuple(o.rstrip("/") for o in origins if o)
        entries, _ = scan(self.root)
        self._files = {e.url_path: e.path for e in entries}

    def local(self, path: str) -> Path | None:
        """The file a static host serves for ``path`` (``/a/`` → ``a/index.html``)."""
        if path in self._files:
            return self._files[path]
        for candidate in (path.rstrip("/") + "/index.html", path + ".html"):
            if candidate in self._files:
                return self._files[candidate]
        return None

    def get(self, path: str) -> Fetched:
        file = self.local(path)
        if file is None:
            return Fetched(path, 404, error="no such file in the folder")
        try:
            return Fetched(path, 200, file.read_bytes())
        except OSError as exc:
            return Fetched(path, 0, error=str(exc))

    def site_path(self, url: str) -> str | None:
        """The path of ``url`` when it is on this site (folder mode is offline)."""
        if url.startswith("/"):
            return url
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if not self.origins or origin in self.origins:
            return parts.path or "/"
        return None

    def pages(self) -> list[str]:
        return sorted(p for p in self._files if kind_of(p) == "page")

    def images(self) -> list[str]:
        return sorted(p for p in self._files if kind_of(p) == "image")

    def file_of(self, path: str) -> str | None:
        """The file on disk as a path the user can open (for annotations)."""
        file = self.local(path)
        return os.path.relpath(file) if file is not None else None


class _NoHeaders(Message):
    pass


class HttpSource:
    mode = "url"

    def __init__(self, base: str, origins: tuple[str, ...] = (), timeout: float = TIMEOUT) -> None:
        parts = urlsplit(base)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.label = base
        self.timeout = timeout
        self.origins = (self.origin, *(o.rstrip("/") for o in origins if o))
        self._cache: dict[str, Fetched] = {}

    def local(self, path: str) -> Path | None:
        return None

    def file_of(self, path: str) -> str | None:
        return None

    def get(self, path: str) -> Fetched:
        if path not in self._cache:
            self._cache[path] = self._fetch(path)
        return self._cache[path]

    def _fetch(self, path: str) -> Fetched:
        request = urllib.request.Request(self.origin + path, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(MAX_BODY + 1)
                if len(body) > MAX_BODY:
                    return Fetched(path, 0, error=f"response larger than {MAX_BODY} bytes")
                return Fetched(path, response.status, body, response.headers)
        except urllib.error.HTTPError as exc:
            return Fetched(path, exc.code, b"", exc.headers or _NoHeaders(), str(exc))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return Fetched(path, 0, error=f"unreachable: {reason}")

    def site_path(self, url: str) -> str | None:
        absolute = urljoin(self.origin + "/", url)
        parts = urlsplit(absolute)
        if f"{parts.scheme}://{parts.netloc}" in self.origins:
            return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return None


Source = FolderSource | HttpSource


def file_url_path(root: Path, file: Path) -> str:
    return paths.file_url_path(PurePosixPath(file.relative_to(root).as_posix()))
