"""A file's C2PA manifest store as ``check`` and the build need it, read by ``c2pa-python``.

The library validates while reading: the hard binding (every byte outside the store), the
claim signature and the certificate profile. A test or organisation CA is not on the C2PA
trust list, so ``signingCredential.untrusted`` is expected and is not a failure here; any
other failure code is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optout_site.c2pa.statement import CLAIM_GENERATOR, entries_by_label
from optout_site.errors import ImageError

UNTRUSTED = "signingCredential.untrusted"


@dataclass(frozen=True)
class Reading:
    """The active manifest of a file, or ``present=False`` when it has none."""

    present: bool
    state: str = ""  # the library's validation_state: Trusted, Valid or Invalid
    failures: tuple[str, ...] = ()  # failure codes besides an untrusted certificate
    ours: bool = False  # signed by optout-site
    cert_serial: str = ""
    training_mining: dict[str, Any] = field(default_factory=dict)  # label → data

    @property
    def validates(self) -> bool:
        return self.present and not self.failures


def context() -> Any:
    """A c2pa Context without thumbnails: ours would add kilobytes to every image."""
    import c2pa

    settings = c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    return c2pa.Context(settings)


# The ingredient's recorded format is this value, and C2PA wants a media type there.
_MEDIA_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "gif": "image/gif",
    "avif": "image/avif",
    "heic": "image/heic",
    "heif": "image/heif",
}


def media_type(path: Path) -> str:
    """The format c2pa-python reads and signs ``path`` as, by its extension."""
    ext = path.suffix.lower().lstrip(".")
    return _MEDIA_TYPES.get(ext, ext)


def read(path: Path) -> Reading:
    """Read and validate ``path``'s manifest store; ImageError if the library cannot."""
    import c2pa

    try:
        with path.open("rb") as stream:
            reader = c2pa.Reader.try_create(media_type(path), stream, context=context())
            if reader is None:
                return Reading(present=False)
            with reader:
                store = json.loads(reader.json())
    except c2pa.C2paError as exc:
        raise ImageError(f"{path}: its C2PA manifest cannot be read: {exc}") from None
    return _reading(store)


def _reading(store: dict[str, Any]) -> Reading:
    active = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    results = store.get("validation_results", {}).get("activeManifest", {})
    codes = [str(item.get("code")) for item in results.get("failure", [])]
    generators = active.get("claim_generator_info") or [{}]
    return Reading(
        present=True,
        state=str(store.get("validation_state", "")),
        failures=tuple(code for code in codes if code != UNTRUSTED),
        ours=generators[0].get("name") == CLAIM_GENERATOR,
        cert_serial=str(active.get("signature_info", {}).get("cert_serial_number", "")),
        training_mining=entries_by_label(active.get("assertions", [])),
    )
