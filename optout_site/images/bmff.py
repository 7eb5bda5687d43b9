"""HEIF/HEIC/AVIF (ISO BMFF): recognised, not yet written.

Adding an XMP item grows the ``meta`` box, which shifts ``mdat`` and means patching
every ``iloc`` offset (images.md §2.6); until that is implemented and tested against
real camera files these images are reported as skipped, never half-written.
"""

from __future__ import annotations

from optout_site.images import Source, Unsupported

PADDING = 0
MAX_PACKET = None


def parse(source: Source) -> None:
    raise Unsupported("AVIF/HEIC metadata writing is not supported yet")
