"""A configured URL in the ASCII form every signal writes: the host in punycode, the path
percent-encoded.

A URL is ASCII (RFC 3986); a server config, a header value or an XMP field given
``https://bücher.example/`` may be read as another host or refused. The host goes through
IDNA 2008 with UTS #46 mapping (the ``idna`` package, what browsers and ``requests`` use),
not Python's ``idna`` codec, which implements IDNA 2003: that one maps ``faß.de`` to
``fass.de``, a different domain, where IDNA 2008 keeps the ß (``xn--fa-hia.de``). The path
is normalised by :func:`optout_site.paths.normalise`, like every other path.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit, urlunsplit

from optout_site import paths
from optout_site.config.yamlnodes import Invalid


def to_ascii(url: str) -> str:
    """``url`` with a non-ASCII host in punycode and its path percent-encoded; an ASCII
    host is left as written. Raises Invalid for a host IDNA 2008 does not allow."""
    parts = urlsplit(url)
    netloc = parts.netloc
    host = parts.hostname or ""
    if not host.isascii():
        import idna  # only for a non-ASCII host: ~5 ms of every command's start-up

        try:
            ascii_host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise Invalid(f"{host!r} is not a valid internationalised host name ({exc})") from None
        userinfo = netloc.rpartition("@")[0]
        port = f":{parts.port}" if parts.port is not None else ""
        netloc = (userinfo + "@" if userinfo else "") + ascii_host + port
    path = paths.normalise(parts.path) if parts.path else ""
    return urlunsplit(SplitResult(parts.scheme, netloc, path, parts.query, parts.fragment))
