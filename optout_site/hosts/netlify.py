"""``_headers`` for Netlify and Cloudflare Pages: one file, read by both.

How the two hosts read it (and why the file looks the way it does):

* Cloudflare Pages (developers.cloudflare.com/pages/configuration/headers): every rule
  whose URL pattern matches applies; a header set by several rules is joined with
  commas; ``! Name`` detaches what *earlier* rules set (rules apply in file order).
  ``*`` is a greedy splat (one per rule), ``:name`` a placeholder for one segment, and
  the match is anchored and case-sensitive. At most 100 rules.
* Netlify (netlify/build ``headers-parser``, ``netlify dev``'s ``headersForPath``): the
  path is matched segment by segment, case-insensitively, with an optional trailing
  slash; a standalone ``*`` segment also makes the slash before it optional; a
  ``:placeholder`` segment matches one segment. Of the rules that match, the last one in
  the file sets a header's value. Lines without a colon (our ``! Name``) are ignored.
  Netlify's docs do not say how same-named headers of several matching rules combine;
  we rely on its own dev server's behaviour.

So the site-wide values go under ``/*`` first, then each policy rule from least to most
specific, each detaching our headers and setting its own. On Cloudflare the result is
exactly the policy's decision. On Netlify a header cannot be removed, only given a new
value: an exempt path gets ``X-Robots-Tag: all`` (no restriction) in place of
``noai, noimageai``, and keeps the site-wide ``tdm-policy`` pointer next to
``tdm-reservation: 0`` (which reserves nothing).

Patterns: a robots.txt prefix pattern becomes a trailing splat. A directory prefix
(``/press/``) is written as three rules (``/press/``, ``/press/:optout``,
``/press/:optout/*``) so that Netlify's optional slash does not make ``/pressroom``
match. A pattern that would need two splats loses its trailing one (``/press/*.jpg``
then means "ending in .jpg"), and one with two inner ``*`` or a ``:name`` cannot be
written: it is left out with a comment, and the other signals still carry it.
"""

from __future__ import annotations

import re

from optout_site import paths
from optout_site.config import Site
from optout_site.hosts import common
from optout_site.signals import headers

FILE_NAME = "_headers"
CLOUDFLARE_MAX_RULES = 100
PLACEHOLDER = ":optout"
_PLACEHOLDER_RE = re.compile(r":\w")


def globs(pattern: str) -> tuple[list[str], str | None]:
    """The ``_headers`` paths for a policy pattern, and a note when not exact."""
    parts, anchored = paths.pieces(pattern)
    if any(_PLACEHOLDER_RE.search(part) for part in parts):
        return [], f"{pattern}: ':' followed by a name reads as a placeholder; left out"
    body = "*".join(parts)
    note = None
    glob = body if anchored or body.endswith("*") else body + "*"
    if glob.count("*") > 1:
        if body.count("*") != 1 or anchored:
            return [], f"{pattern}: needs more than one '*', which Cloudflare refuses; left out"
        glob = body
        note = f"{pattern}: written as {glob} (one '*' per rule): only paths ending there match"
    if glob.endswith("/*") and glob.count("*") == 1:
        base = glob[:-1]
        return [base, base + PLACEHOLDER, base + PLACEHOLDER + "/*"], note
    return [glob], note


def _rule(path: str, lines: list[str]) -> list[str]:
    return [path, *("  " + line for line in lines), ""]


def _block(site: Site) -> tuple[str, list[str]]:
    rules = headers.rules(site)
    default = rules[-1]
    notes: list[str] = []
    body: list[str] = []
    body += _rule("/*", [f"{name}: {value}" for name, value in default.headers])
    count = 1
    # A header some broader rule may have set cannot be dropped on Netlify, only replaced.
    set_somewhere = {name for rule in rules for name, _ in rule.headers}
    for rule in reversed(rules[:-1]):
        paths, note = globs(rule.pattern)
        if note:
            notes.append(note)
        if not paths:
            continue
        values = dict(rule.headers)
        lines = [f"! {name}" for name in headers.VARYING]
        for name in headers.VARYING:
            if name in values:
                lines.append(f"{name}: {values[name]}")
            elif name == headers.X_ROBOTS_TAG and name in set_somewhere:
                lines.append(f"{name}: all")  # Netlify cannot drop it; "all" = no limits
        body.append(f"# policy rule {rule.pattern}")
        for path in paths:
            body += _rule(path, lines)
            count += 1
    for path, media_type in headers.content_types(site):
        body += _rule(path, [f"Content-Type: {media_type}"])
        count += 1
    if count > CLOUDFLARE_MAX_RULES:
        notes.append(f"{count} rules: Cloudflare Pages reads only the first {CLOUDFLARE_MAX_RULES}")
    head = common.header_comment(site, "AI/TDM reservation headers (Netlify, Cloudflare Pages)")
    head += [f"# note: {note}" for note in notes]
    head.append("")
    if body and body[-1] == "":
        body.pop()
    return "\n".join([*head, *body, common.END]) + "\n", notes


def notes(site: Site) -> list[str]:
    """Policy rules the file could only approximate or had to leave out."""
    return _block(site)[1]


def render(site: Site, existing: bytes | None) -> bytes:
    """The ``_headers`` file: ``existing`` with our marked block (re)placed."""
    return common.splice(existing, _block(site)[0], name=FILE_NAME)
