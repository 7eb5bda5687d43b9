"""What is written into an image: the rights reservation and who to contact.

Plain values, checked once for characters XML cannot carry; the XMP builder
(:mod:`optout_site.images.xmp`), the JPEG legacy writers and every container's
``plan`` read them. No import from the rest of the package, so any module may use them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def _check_xml_text(owner: DataclassInstance) -> None:
    # XML 1.0 cannot carry most C0 controls or lone surrogates; a config typo would
    # otherwise surface deep inside lxml as an unexplained ValueError per image.
    for f in fields(owner):
        value = getattr(owner, f.name)
        if not isinstance(value, str):
            continue
        for ch in value:
            code = ord(ch)
            if (
                (code < 0x20 and ch not in "\t\n\r")
                or 0xD800 <= code <= 0xDFFF
                or code
                in (
                    0xFFFE,
                    0xFFFF,
                )
            ):
                name = unicodedata.name(ch, f"U+{code:04X}")
                where = f"{type(owner).__name__}.{f.name}"
                raise ValueError(f"{where} contains {name}, not allowed in XML")


@dataclass(frozen=True)
class Contact:
    """Creator/licensor contact: Iptc4xmpCore:CreatorContactInfo and plus:Licensor."""

    name: str
    email: str | None = None
    url: str | None = None
    address: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        _check_xml_text(self)


@dataclass(frozen=True)
class ImageRights:
    data_mining: str
    other_constraints: str | None
    web_statement: str | None
    usage_terms: str | None
    copyright: str | None
    creator: str | None
    contact: Contact | None
    marked: bool = True
    overwrite: bool = False
    legacy: bool = False
    # Whitespace left in the packet for other tools to edit it in place. Files published
    # on the web are not edited in place, so by default none (a favicon grew 292 → 2787 B).
    padding: bool = False
    # The file names another author: write the reservation (DataMining, OtherConstraints)
    # and none of creator, rights line, contact, terms or the Marked flag.
    reservation_only: bool = False

    def __post_init__(self) -> None:
        if not self.data_mining:
            raise ValueError("ImageRights.data_mining must be a PLUS vocabulary URI")
        _check_xml_text(self)
