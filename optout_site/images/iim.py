"""IPTC-IIM Copyright Notice (2:116) and By-line (2:80) inside a Photoshop IRB.

Only used by the JPEG writer in legacy mode (images.md §1.2, §2.1.4). The IRB is a list
of "8BIM" resources; resource 0x0404 holds the IIM datasets and 0x0425 an MD5 digest
of them, which MWG-aware readers compare to decide whether to trust the XMP. So when
0x0404 changes, an existing digest is recomputed, never left stale. Every other
resource and dataset is kept byte for byte and in order.
"""

from __future__ import annotations

import hashlib
import struct

from optout_site.images.rights import ImageRights

PS_SIG = b"Photoshop 3.0\x00"
MAX_IRB_CHUNK = 0xFFFF - 2 - len(PS_SIG)  # IRB bytes per APP13 segment
IPTC_NAA, IPTC_DIGEST = 0x0404, 0x0425
UTF8 = b"\x1b%G"  # 1:90 CodedCharacterSet value for UTF-8 (ISO 2022 escape)
LIMITS = {(2, 80): 32, (2, 116): 128}  # IIM 4.2 maximum octets per dataset

Resource = tuple[bytes, int, bytes, bytes]  # signature, id, raw padded name, data
Dataset = tuple[int, int, bytes]


class LegacySkip(Exception):
    """A legacy field that cannot be written safely; the XMP is still written."""


def parse_irb(data: bytes) -> tuple[list[Resource], bytes]:
    """Resources and any trailing bytes that are not a resource (kept verbatim)."""
    out: list[Resource] = []
    pos = 0
    while pos + 12 <= len(data) and data[pos : pos + 4] in (
        b"8BIM",
        b"PHUT",
        b"AgHg",
        b"DCSR",
        b"MeSa",
    ):
        sig, rid = data[pos : pos + 4], struct.unpack(">H", data[pos + 4 : pos + 6])[0]
        name_len = data[pos + 6]
        name_end = pos + 6 + name_len + 1 + ((name_len + 1) & 1)
        if name_end + 4 > len(data):
            raise LegacySkip(f"IPTC not written: Photoshop resource at IRB offset {pos} is cut")
        (size,) = struct.unpack(">I", data[name_end : name_end + 4])
        end = name_end + 4 + size
        if end > len(data):
            raise LegacySkip(f"IPTC not written: Photoshop resource at IRB offset {pos} is cut")
        out.append((sig, rid, data[pos + 6 : name_end], data[name_end + 4 : end]))
        pos = end + (size & 1)
    return out, data[pos:]


def build_irb(resources: list[Resource], trailer: bytes) -> bytes:
    parts = []
    for sig, rid, name, payload in resources:
        parts += [
            sig,
            struct.pack(">H", rid),
            name,
            struct.pack(">I", len(payload)),
            payload,
            b"\x00" * (len(payload) & 1),
        ]
    return b"".join(parts) + trailer


def parse_iim(data: bytes) -> tuple[list[Dataset], bytes]:
    out: list[Dataset] = []
    pos = 0
    while pos < len(data) and data[pos] == 0x1C:
        if pos + 5 > len(data):
            raise LegacySkip(f"IPTC not written: IIM dataset at offset {pos} is cut")
        rec, num = data[pos + 1], data[pos + 2]
        (length,) = struct.unpack(">H", data[pos + 3 : pos + 5])
        pos += 5
        if length & 0x8000:  # extended dataset: the low bits give the size of the length
            n = length & 0x7FFF
            length = int.from_bytes(data[pos : pos + n], "big")
            pos += n
        if pos + length > len(data):
            raise LegacySkip(f"IPTC not written: IIM dataset {rec}:{num} is cut")
        out.append((rec, num, data[pos : pos + length]))
        pos += length
    if data[pos:].strip(b"\x00"):
        raise LegacySkip(f"IPTC not written: unparseable IIM data at offset {pos}")
    return out, data[pos:]


def build_iim(datasets: list[Dataset], trailer: bytes) -> bytes:
    parts = []
    for rec, num, value in datasets:
        if len(value) < 0x8000:
            parts.append(struct.pack(">BBBH", 0x1C, rec, num, len(value)))
        else:
            parts.append(struct.pack(">BBBHI", 0x1C, rec, num, 0x8004, len(value)))
        parts.append(value)
    return b"".join(parts) + trailer


def _truncate(text: str, limit: int) -> bytes:
    data = text.encode()[:limit]
    return data.decode("utf-8", "ignore").encode()  # never cut a character in half


def _insert_sorted(datasets: list[Dataset], item: Dataset) -> None:
    at = next((i for i, d in enumerate(datasets) if d[:2] > item[:2]), len(datasets))
    datasets.insert(at, item)


def update_iim(data: bytes, rights: ImageRights) -> bytes | None:
    datasets, trailer = parse_iim(data)
    wanted = []
    if rights.creator:
        wanted.append(((2, 80), _truncate(rights.creator, LIMITS[(2, 80)])))
    if rights.copyright:
        wanted.append(((2, 116), _truncate(rights.copyright, LIMITS[(2, 116)])))
    written = []
    for key, value in wanted:
        current = [d[2] for d in datasets if d[:2] == key]
        if current == [value] or (current and not rights.overwrite):
            continue
        datasets = [d for d in datasets if d[:2] != key]
        _insert_sorted(datasets, (*key, value))
        written.append(key)
    if not written:
        return None
    if any(not d[2].isascii() for d in datasets if d[:2] in written):
        charset = [d[2] for d in datasets if d[:2] == (1, 90)]
        if charset and charset != [UTF8]:
            raise LegacySkip("IPTC not written: existing IIM uses another character set")
        if not charset:
            if any(not d[2].isascii() for d in datasets if d[:2] not in written):
                raise LegacySkip(
                    "IPTC not written: existing IIM has text in an unknown "
                    "character set; declaring UTF-8 would change its meaning"
                )
            _insert_sorted(datasets, (1, 90, UTF8))
    if not any(d[0] == 2 and d[1] == 0 for d in datasets):
        _insert_sorted(datasets, (2, 0, b"\x00\x04"))  # ApplicationRecordVersion 4
    return build_iim(datasets, trailer)


def update_irb(data: bytes, rights: ImageRights) -> bytes | None:
    """The IRB with IIM updated, or None when it already says what we would write."""
    resources, trailer = parse_irb(data)
    index = next((i for i, r in enumerate(resources) if r[:2] == (b"8BIM", IPTC_NAA)), None)
    new_iim = update_iim(resources[index][3] if index is not None else b"", rights)
    if new_iim is None:
        return None
    if index is not None:
        resources[index] = (*resources[index][:3], new_iim)
    else:
        at = next(
            (i for i, r in enumerate(resources) if r[0] == b"8BIM" and r[1] > IPTC_NAA),
            len(resources),
        )
        resources.insert(at, (b"8BIM", IPTC_NAA, b"\x00\x00", new_iim))
    digest = hashlib.md5(new_iim, usedforsecurity=False).digest()
    resources = [(*r[:3], digest) if r[:2] == (b"8BIM", IPTC_DIGEST) else r for r in resources]
    return build_irb(resources, trailer)
