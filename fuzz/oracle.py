"""What must hold for any input bytes: the invariants behind every harness and mutation test.

Images (``check_image``): ``stamp`` either raises ``ImageError`` (source untouched, nothing
written, no temp file) or writes a file that our own parser reads back with our packet,
that a second stamp leaves alone (idempotent), and that Pillow decodes to exactly the
pixels it decodes from the input, whenever Pillow can decode the input at all.

HTML (``check_html``): ``splice`` either raises ``HtmlError`` or returns a page that a
second splice leaves alone, and which is the input plus only our tags wherever the input
carried none of them.

XMP (``check_xmp``): ``merge`` either raises ``ImageError`` or returns a packet that parses,
is a fixed point of merging, carries our DataMining value, and never contains the text
of an external entity (the canary file) or an expansion of an internal one.

Anything else (another exception type, an assertion here) is a finding.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from pathlib import Path

from PIL import Image

from optout_site.build.atomic import TEMP_PREFIX
from optout_site.build.work import stamp_image as stamp
from optout_site.html.splice import HtmlError, Wanted, detect_encoding, splice
from optout_site.images import (
    Contact,
    ImageError,
    ImageRights,
    read_xmp,
    xmp,
)

FORMATS = {"jpeg": "jpg", "png": "png", "webp": "webp", "tiff": "tif", "gif": "gif"}
DMI = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"
RIGHTS = ImageRights(
    data_mining=DMI,
    other_constraints=None,
    web_statement="https://fuzz.example/terms",
    usage_terms="No AI training",
    copyright="(c) Fuzz",
    creator="Fuzz",
    contact=Contact(name="Fuzz", email="f@fuzz.example"),
)
# Legacy mode walks the EXIF and IIM writers too; overwrite reaches the replace paths.
LEGACY = ImageRights(
    data_mining="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED",
    other_constraints="See terms",
    web_statement=None,
    usage_terms=None,
    copyright="\u00a9 Fuzz \u00e9t\u00e9",
    creator="Fuzz",
    contact=None,
    overwrite=True,
    legacy=True,
)

# Pillow guards: a mutated header may claim a huge canvas; that input just "does not decode".
MAX_PIXELS = 1 << 20
MAX_FRAMES = 16

CANARY = Path(tempfile.gettempdir()) / "optout-fuzz-canary.txt"
CANARY_TEXT = b"CANARY-9f1c2e-never-in-output"


class Finding(AssertionError):
    """An invariant does not hold: the fuzzer saves the input and stops."""


def rights_for(data: bytes) -> ImageRights:
    # Picked by a property of the input, so the fuzzer can reach both writers.
    return LEGACY if len(data) % 2 else RIGHTS


# --- images ---------------------------------------------------------------------------


def decode(path: Path) -> list[tuple[str, tuple[int, int], bytes, object]] | None:
    """Every frame as Pillow decodes it, or None when Pillow cannot decode the file."""
    limit = Image.MAX_IMAGE_PIXELS  # restored: the test suite shares this process
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's notes on odd metadata are noise here
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                out = []
                for i in range(min(getattr(im, "n_frames", 1), MAX_FRAMES)):
                    im.seek(i)
                    im.load()
                    out.append((im.mode, im.size, im.tobytes(), im.getpalette()))
                return out
    except Exception:  # noqa: BLE001 - Pillow reports broken files with many types
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def _temps(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.startswith(TEMP_PREFIX)]


def check_image(
    data: bytes, workdir: Path, ext: str = "img", rights: ImageRights | None = None
) -> str:
    """Stamp ``data`` as a file; returns the outcome, raises Finding on a violation."""
    rights = rights or rights_for(data)
    src, dst = workdir / f"in.{ext}", workdir / f"out.{ext}"
    src.write_bytes(data)
    if dst.exists():
        dst.unlink()
    try:
        result = stamp(src, dst, rights)
    except ImageError as exc:
        if not str(exc):
            raise Finding("ImageError without a message") from None
        if src.read_bytes() != data or dst.exists() or _temps(workdir):
            raise Finding("a refused input left something behind") from None
        return "refused"
    if src.read_bytes() != data:
        raise Finding("stamp modified its source")
    if _temps(workdir):
        raise Finding(f"temp files left behind: {_temps(workdir)}")
    if result.status != "changed":
        if dst.exists():
            raise Finding(f"status {result.status!r} but an output was written")
        return result.status
    out = dst.read_bytes()
    try:
        again = stamp(dst, dst, rights)
    except ImageError as exc:
        raise Finding(f"our own output is refused by the next build: {exc}") from None
    if again.status != "unchanged" or dst.read_bytes() != out:
        raise Finding(f"not idempotent: restamping our own output gave {again.status!r}")
    packet = read_xmp(dst)
    if packet is None or xmp.summary(packet).get("data_mining") != [rights.data_mining]:
        raise Finding("the output does not carry our DataMining value")
    before = decode(src)
    if before is not None:
        after = decode(dst)
        if after is None:
            raise Finding("Pillow decodes the input but not the output")
        if len(after) != len(before):
            raise Finding(f"frame count changed: {len(before)} -> {len(after)}")
        for i, (a, b) in enumerate(zip(before, after, strict=True)):
            if a != b:
                raise Finding(f"frame {i} differs after stamping (mode/size/pixels/palette)")
    return "changed"


# --- HTML -----------------------------------------------------------------------------

RESERVE = Wanted(
    metas=(("tdm-reservation", "1"), ("tdm-policy", "https://fuzz.example/tdm-policy.json")),
    robots_add=("noai", "noimageai"),
    links=(("license", "application/rsl+xml", "https://fuzz.example/license.xml"),),
    footer=("https://fuzz.example/ai-reservation/", "AI reservation \u00e9"),
)
RELEASE = Wanted(
    metas=(("tdm-reservation", "0"), ("tdm-policy", None)),
    links=(("license", "application/rsl+xml", None),),
    footer=None,
)
_HEAD_TAGS = (
    rb'(\r?\n[ \t]*)?<meta name="(?:tdm-reservation|tdm-policy|robots)" content="[^"]*"'
    rb'(?: data-optout-site="")?(?: /)?>'
    rb'|(\r?\n[ \t]*)?<link rel="license" type="application/rsl\+xml" href="[^"]*"'
    rb'(?: data-optout-site="")?(?: /)?>'
)
_FOOTER = rb'<a class="optout-site-reservation" href="[^"]*">[^<]*</a>'
# The footer link goes on a line of its own (newline and indent are ours) or, when
# </body> does not start a line, right before it (a newline before it is the page's).
_OURS = (
    re.compile(_HEAD_TAGS + rb"|(\r?\n[ \t]*)?" + _FOOTER),
    re.compile(_HEAD_TAGS + rb"|" + _FOOTER),
)
_THEIRS = (b"tdm-", b"robots", b"license", b"optout-site", b"noai")


def check_html(data: bytes) -> str:
    outcome = "refused"
    for wanted in (RESERVE, RELEASE):
        try:
            out = splice(data, wanted)
        except HtmlError as exc:
            if not str(exc):
                raise Finding("HtmlError without a message") from None
            continue
        outcome = "spliced"
        try:
            again = splice(out, wanted)
        except HtmlError as exc:
            raise Finding(f"our own output is refused by the next build: {exc}") from None
        if again != out:
            raise Finding("not idempotent: a second splice changed the page")
        lowered = data.lower()
        ascii_page = detect_encoding(data)[0] not in (
            "utf-16-le",
            "utf-16-be",
            "utf-32-le",
            "utf-32-be",
        )
        untagged = not any(word in lowered for word in _THEIRS)
        if ascii_page and untagged and all(ours.sub(b"", out) != data for ours in _OURS):
            raise Finding("bytes outside our tags changed")
    return outcome


# --- XMP ------------------------------------------------------------------------------


def ensure_canary() -> None:
    if not CANARY.exists():
        CANARY.write_bytes(CANARY_TEXT)


def check_xmp(data: bytes) -> str:
    limit = 65504 if len(data) % 2 else None  # JPEG's one-segment limit, or none
    rights = rights_for(data)
    try:
        packet = xmp.merge(data, rights, 512, limit)
    except ImageError as exc:
        if not str(exc):
            raise Finding("ImageError without a message") from None
        return "refused"
    if CANARY_TEXT in packet:
        raise Finding("an external entity was read into the packet")
    if b"<!DOCTYPE" in packet.upper() or b"<!ENTITY" in packet.upper():
        raise Finding("a DTD survived into our packet")
    if limit is not None and len(packet) > limit:
        raise Finding(f"packet of {len(packet)} bytes exceeds the limit {limit}")
    try:
        again = xmp.merge(packet, rights, 512, limit)
    except ImageError as exc:
        raise Finding(f"our own packet is refused by the next merge: {exc}") from None
    if again != packet:
        raise Finding("merging our own packet again changed it")
    if xmp.summary(packet).get("data_mining") != [rights.data_mining]:
        raise Finding("the merged packet does not carry our DataMining value")
    return "merged"
