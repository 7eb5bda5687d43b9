"""Reading a site the way a crawler would: from a built folder, or over HTTP.

Folder mode never touches the network: a URL on the site's own origin is mapped to the
file a static host would serve for it, and anything else is reported as not checked.
URL mode uses urllib with a bounded timeout and a bounded body size, so a slow or huge
response costs seconds, never a hung CI job.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from optout_site import paths
from optout_site.build.plan import kind_of
from optout_site.build.scan import scan

TIMEOUT = 10.0  # seconds for one whole response (connect, headers, body, redirects)
DEADLINE = 120.0  # seconds for a whole URL-mode check
MAX_REQUESTS = 300  # requests for a whole URL-mode check, redirects included
TIMED_OUT = "no complete response within"  # the error of a response cut by --timeout
MAX_BODY = 32 * 1024 * 1024  # any other file (images: the XMP reader needs the whole file)
PAGE_BYTES = 512 * 1024  # HTML: the first 512 KiB, the head and the links near the top
ROBOTS_BYTES = 500 * 1024  # robots.txt: RFC 9309 §2.5 asks crawlers to read 500 KiB
ROBOTS_PATH = "/robots.txt"
CHUNK = 64 * 1024
USER_AGENT = "optout-site-check/1 (+https://github.com/optout-site)"


@dataclass
class Fetched:
    path: str
    status: int  # HTTP status; 200 for a file found on disk; 0 when unreachable
    body: bytes = b""
    headers: Message = field(default_factory=Message)
    error: str = ""
    truncated: bool = False  # only the first bytes were read (pages, robots.txt)
    size: int | None = None  # the full size when known (Content-Length, or the bytes read)
    skipped: bool = False  # not fetched: the check's deadline or request budget ran out
    connected: bool = True  # False when the host could not even be connected to

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def header_values(self, name: str) -> list[str]:
        return [str(v) for v in self.headers.get_all(name) or []]


class FolderSource:
    mode = "folder"

    def __init__(self, root: Path, origins: tuple[str, ...] = ()) -> None:
        self.root = Path(root).resolve()
        self.label = str(root)
        self.origins = tuple(o.rstrip("/") for o in origins if o)
        entries, skipped = scan(self.root)
        self._files = {e.url_path: e.path for e in entries}
        # Folders that could not be listed: what they hold is not checked.
        self.unread = [(str(s.rel), s.reason) for s in skipped if s.unread]
        self.skipped: list[str] = []  # never: a folder has no deadline
        self.malformed: list[str] = []  # URLs that cannot be parsed, skipped
        self.exhausted = ""

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
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a malformed port
        except ValueError:
            self.malformed.append(url)
            return None
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


class _Guard:
    """The deadline of the request under way: a timer shuts its socket down when the whole
    response (connect, headers, body, redirects) has taken longer than allowed, so a server
    dripping one byte at a time cannot stretch a request past its timeout."""

    def __init__(self) -> None:
        self.at = 0.0
        self.connected = False
        self._timers: list[threading.Timer] = []

    def start(self, at: float) -> None:
        self.at, self.connected = at, False

    def remaining(self) -> float:
        return max(0.01, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def arm(self, sock: socket.socket) -> None:
        self.connected = True

        def stop() -> None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

        timer = threading.Timer(self.remaining(), stop)
        timer.daemon = True
        timer.start()
        self._timers.append(timer)

    def disarm(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()


class _GuardedHttp(http.client.HTTPConnection):
    guard: _Guard

    def connect(self) -> None:
        super().connect()
        self.guard.arm(self.sock)


class _GuardedHttps(http.client.HTTPSConnection):
    guard: _Guard

    def connect(self) -> None:
        super().connect()
        self.guard.arm(self.sock)


class _HttpHandler(urllib.request.HTTPHandler):
    def __init__(self, guard: _Guard) -> None:
        super().__init__()
        self.guard = guard

    def _connection(self, host: str, **kwargs: Any) -> _GuardedHttp:
        conn = _GuardedHttp(host, **kwargs)
        conn.guard = self.guard
        return conn

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection, req)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, guard: _Guard) -> None:
        super().__init__()
        self.guard = guard

    def _connection(self, host: str, **kwargs: Any) -> _GuardedHttps:
        conn = _GuardedHttps(host, **kwargs)
        conn.guard = self.guard
        return conn

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection, req, context=self._context)  # type: ignore[attr-defined]


class _BadRedirect(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Redirects are followed to http(s) URLs only, and each one counts as a request."""

    def __init__(self, source: HttpSource) -> None:
        super().__init__()
        self.source = source

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        try:
            scheme = urlsplit(newurl).scheme.lower()
        except ValueError:
            scheme = ""
        if scheme not in ("http", "https"):
            raise _BadRedirect(newurl)
        self.source.spend()
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class HttpSource:
    """URL mode. Every request is bounded: its whole response by ``timeout`` seconds and
    its body by a size cap (pages: their first :data:`PAGE_BYTES`; robots.txt: the first
    500 KiB RFC 9309 asks crawlers to read). The run as a whole is bounded by ``deadline``
    seconds and ``max_requests`` requests; what could not be fetched within them is listed
    in :attr:`skipped`, never waited for."""

    mode = "url"

    def __init__(
        self,
        base: str,
        origins: tuple[str, ...] = (),
        timeout: float = TIMEOUT,
        *,
        deadline: float = DEADLINE,
        max_requests: int = MAX_REQUESTS,
        whole: bool = False,
    ) -> None:
        parts = urlsplit(base)
        self.whole = whole  # read every body whole (up to MAX_BODY), pages too
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.host = parts.hostname or parts.netloc
        self.label = base
        self.timeout = timeout
        self.deadline = deadline
        self.max_requests = max_requests
        self.requests = 0
        self.skipped: list[str] = []  # paths not fetched: the deadline or the budget ran out
        self.unread: list[tuple[str, str]] = []  # never: folders are FolderSource's
        self.malformed: list[str] = []  # URLs that cannot be parsed, skipped
        self.origins = (self.origin, *(o.rstrip("/") for o in _parsable(origins) if o))
        self._cache: dict[str, Fetched] = {}
        self._started = time.monotonic()
        self._guard = _Guard()
        self._opener = urllib.request.build_opener(
            _HttpHandler(self._guard), _HttpsHandler(self._guard), _RedirectHandler(self)
        )

    def local(self, path: str) -> Path | None:
        return None

    def file_of(self, path: str) -> str | None:
        return None

    @property
    def ends_at(self) -> float:
        return self._started + self.deadline

    @property
    def exhausted(self) -> str:
        """Why no further request may be made ("" while there is time and budget left)."""
        if time.monotonic() >= self.ends_at:
            return f"the {self.deadline:g} s deadline of the check ran out"
        if self.requests >= self.max_requests:
            return f"the budget of {self.max_requests} requests was spent"
        return ""

    def spend(self) -> None:
        """Count one request (redirects included); raise when none may be made."""
        if self.exhausted:
            raise _OutOfBudget(self.exhausted)
        self.requests += 1

    def get(self, path: str) -> Fetched:
        if path not in self._cache:
            self._cache[path] = self._fetch(path)
        return self._cache[path]

    def get_as(self, path: str, user_agent: str) -> Fetched:
        """``path`` asked for by another client (a crawler's User-Agent); not cached."""
        return self._fetch(path, user_agent)

    def _fetch(self, path: str, user_agent: str = USER_AGENT) -> Fetched:
        why = self.exhausted
        if why:
            self.skipped.append(path)
            return Fetched(path, 0, error=f"not checked: {why}", skipped=True)
        url = self.origin + path
        try:
            urlsplit(url).port  # noqa: B018 - raises ValueError for a malformed URL
            request = urllib.request.Request(url, headers={"User-Agent": user_agent})
        except ValueError as exc:
            return Fetched(path, 0, error=f"malformed URL: {exc}")
        self._guard.start(min(time.monotonic() + self.timeout, self.ends_at))
        try:
            self.spend()
            with self._opener.open(request, timeout=self._guard.remaining()) as response:
                return self._read(path, response)
        except _OutOfBudget as exc:
            self.skipped.append(path)
            return Fetched(path, 0, error=f"not checked: {exc}", skipped=True)
        except _BadRedirect as exc:
            return Fetched(
                path, 0, error=f"redirects to {exc.url}, which is not http(s); not followed"
            )
        except urllib.error.HTTPError as exc:
            return Fetched(path, exc.code, b"", exc.headers or _NoHeaders(), str(exc))
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            if self._guard.expired():
                return Fetched(path, 0, error=self._timed_out(), connected=self._guard.connected)
            reason = getattr(exc, "reason", exc)
            return Fetched(path, 0, error=f"unreachable: {reason}", connected=self._guard.connected)
        finally:
            self._guard.disarm()

    def _timed_out(self) -> str:
        return f"unreachable: {TIMED_OUT} {self.timeout:g} s"

    def _read(self, path: str, response: http.client.HTTPResponse) -> Fetched:
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        prefix = not self.whole and (path == ROBOTS_PATH or "html" in content_type)
        limit = MAX_BODY if not prefix else ROBOTS_BYTES if path == ROBOTS_PATH else PAGE_BYTES
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = response.read1(min(CHUNK, limit + 1 - size))
            if self._guard.expired():
                return Fetched(path, 0, error=self._timed_out(), connected=True)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        body = b"".join(chunks)
        truncated = len(body) > limit
        if truncated and not prefix:
            return Fetched(path, 0, error=f"response larger than {limit} bytes", connected=True)
        length = response.headers.get("Content-Length") or ""
        total = int(length) if length.isdigit() else None
        if truncated and (total is None or total <= limit):
            total = None  # only known to be larger than the cap
        elif not truncated:
            total = len(body)
        return Fetched(
            path, response.status, body[:limit], response.headers, truncated=truncated, size=total
        )

    def site_path(self, url: str) -> str | None:
        try:
            absolute = urljoin(self.origin + "/", url)
            parts = urlsplit(absolute)
            parts.port  # noqa: B018 - raises ValueError for a malformed port
        except ValueError:
            self.malformed.append(url)
            return None
        if parts.scheme not in ("http", "https"):
            return None
        if f"{parts.scheme}://{parts.netloc}" in self.origins:
            return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return None


class _OutOfBudget(Exception):
    pass


def _parsable(urls: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for url in urls:
        try:
            urlsplit(url)
        except ValueError:
            continue
        out.append(url)
    return tuple(out)


Source = FolderSource | HttpSource


def file_url_path(root: Path, file: Path) -> str:
    return paths.file_url_path(PurePosixPath(file.relative_to(root).as_posix()))
