"""HEIF/AVIF test files: real ones (Pillow, pillow-heif) and hand-built box trees, plus an
independent ISO BMFF item reader for the assertions.

The reader is written apart from ``optout_site.images.bmff`` on purpose, so a bug in the
writer's parser cannot hide itself in the assertions.
"""

from __future__ import annotations

import io
import struct

import imagefactory as f
import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()  # Pillow reads AVIF itself; HEIC/HEIF need the plugin

C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877c3ec7")
LIBHEIF_XMP = f.FOREIGN_XMP


def heif(im: Image.Image, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "HEIF", **params)
    return buf.getvalue()


def real_files() -> dict[str, bytes]:
    """Files as Pillow (AVIF) and libheif through pillow-heif (HEIC/HEIF) write them."""
    return {
        "rgb.avif": f.save(f.noise("RGB", (24, 16)), "AVIF"),
        # RGBA: an alpha item with an auxl reference, so iref already exists.
        "rgba.avif": f.save(f.noise("RGBA", (24, 16), 1), "AVIF"),
        "exif.avif": f.save(f.noise("RGB", (20, 12), 2), "AVIF", exif=f.exif_bytes()),
        "rgb.heic": heif(f.noise("RGB", (24, 16), 3)),
        "rgba.heif": heif(f.noise("RGBA", (24, 16), 4)),
        "libheif_xmp.heic": heif(f.noise("RGB", (16, 16), 5), xmp=LIBHEIF_XMP),
    }


# --- building boxes ------------------------------------------------------------------------


def box(kind: bytes, payload: bytes, form: str = "plain") -> bytes:
    """A box; ``form`` "large" uses a 64-bit size, "to_end" size 0 (to the end of file)."""
    if form == "large":
        return struct.pack(">I4sQ", 1, kind, 16 + len(payload)) + payload
    if form == "to_end":
        return struct.pack(">I4s", 0, kind) + payload
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full(kind: bytes, version: int, payload: bytes, flags: int = 0) -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


def uint(value: int, size: int) -> bytes:
    return value.to_bytes(size, "big")


FTYP = box(b"ftyp", b"mif1" + bytes(4) + b"mif1heic")
HDLR = full(b"hdlr", 0, bytes(4) + b"pict" + bytes(12) + b"\x00")
MDAT_BODY = b"A" * 10 + b"gap" + b"B" * 7 + b"C" * 9
IDAT_BODY = b"--idat item--"


def handmade_items(version: int, offset_size: int) -> dict[int, bytes]:
    """What each item of :func:`handmade` holds."""
    first = b"A" * 10 + (b"B" * 7 if offset_size else b"")
    return {1: first, **({2: IDAT_BODY[2:6]} if version else {}), 3: b"C" * 9}


def handmade(
    version: int = 1,
    offset_size: int = 4,
    length_size: int = 4,
    base_size: int = 4,
    index_size: int = 0,
    mdat: str = "plain",
    before_mdat: bytes = b"",
    hole: int = 0,
    iinf_version: int = 0,
) -> bytes:
    """ftyp, meta (iloc with the given field widths), ``before_mdat``, mdat (``mdat`` form).

    Item 1 has two extents in mdat with a gap between them (relative to a base_offset when
    the iloc has one; only the first when there are no extent offsets), item 2 lives in idat (iloc version 1 and 2 only), item 3 is one
    extent located by its base_offset alone when the iloc has one. ``hole``: bytes the
    caller will leave (sparse) between ``before_mdat`` and mdat, counted in the offsets.
    """

    def meta(at: int) -> bytes:
        wide = 4 if version == 2 else 2
        idx = index_size if version else 0

        def entry(item: int, method: int, base: int, extents: list[tuple[int, int]]) -> bytes:
            out = uint(item, wide) + (uint(method, 2) if version else b"")
            out += uint(0, 2) + uint(base, base_size) + uint(len(extents), 2)
            for off, length in extents:
                out += uint(0, idx) + uint(off, offset_size) + uint(length, length_size)
            return out

        entries = []
        if not offset_size:  # no extent offsets: one extent, where base_offset says
            entries.append(entry(1, 0, at, [(0, 10)]))
        elif base_size:
            entries.append(entry(1, 0, at, [(0, 10), (13, 7)]))
        else:
            entries.append(entry(1, 0, 0, [(at, 10), (at + 13, 7)]))
        if version:
            entries.append(entry(2, 1, 0, [(2, 4)]) if offset_size else entry(2, 1, 2, [(0, 4)]))
        if base_size:
            entries.append(entry(3, 0, at + 20, [(0, 9)]))
        else:
            entries.append(entry(3, 0, 0, [(at + 20, 9)]))
        sizes = bytes([offset_size << 4 | length_size, base_size << 4 | idx])
        iloc = full(b"iloc", version, sizes + uint(len(entries), wide) + b"".join(entries))
        infes = [
            full(b"infe", 2, uint(i, 2) + b"\x00\x00mime\x00text/plain\x00") for i in (1, 2, 3)
        ]
        count = uint(3, 2 if iinf_version == 0 else 4)  # ISO 14496-12: 32 bits past version 0
        iinf = full(b"iinf", iinf_version, count + b"".join(infes))
        pitm = full(b"pitm", 0, uint(1, 2))
        idat = box(b"idat", IDAT_BODY) if version else b""
        return full(b"meta", 0, HDLR + pitm + iloc + iinf + idat)

    header = {"plain": 8, "large": 16, "to_end": 8}[mdat]
    at = len(FTYP) + len(meta(0)) + len(before_mdat) + hole + header
    return FTYP + meta(at) + before_mdat + box(b"mdat", MDAT_BODY, mdat)


def movie(
    offsets: list[int], table: bytes = b"stco", extra: bytes = b"", pad: bytes = b""
) -> bytes:
    """A moov box whose one track's chunk offset table (stco or co64) holds ``offsets``
    (followed by ``pad`` inside the table box), then the ``extra`` boxes."""
    wide = 4 if table == b"stco" else 8
    entries = uint(len(offsets), 4) + b"".join(uint(o, wide) for o in offsets)
    chunks = full(table, 0, entries + pad)
    stbl = box(b"stbl", box(b"stsz", bytes(12)) + chunks + extra)
    return box(b"moov", box(b"trak", box(b"mdia", box(b"minf", stbl))))


def with_movie(table: bytes = b"stco", extra: bytes = b"", pad: bytes = b"") -> bytes:
    """:func:`handmade` with a movie before mdat whose chunks start at A, B and C."""
    draft = handmade(before_mdat=movie([0, 0, 0], table, extra, pad))
    at = draft.index(MDAT_BODY)
    return handmade(before_mdat=movie([at, at + 13, at + 20], table, extra, pad))


# --- reading boxes (independently of the code under test) ---------------------------------


def walk(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int, int]]:
    """(type, start, payload start, end) of each box in ``data[start:end]``."""
    out = []
    while start < end:
        size, kind = struct.unpack(">I4s", data[start : start + 8])
        head = 8
        if size == 1:
            size, head = struct.unpack(">Q", data[start + 8 : start + 16])[0], 16
        elif size == 0:
            size = end - start
        out.append((kind, start, start + head, start + size))
        start += size
    return out


def meta_children(data: bytes) -> dict[bytes, tuple[int, int]]:
    (meta,) = [b for b in walk(data, 0, len(data)) if b[0] == b"meta"]
    return {k: (s, e) for k, _, s, e in walk(data, meta[2] + 4, meta[3])}


def iloc(data: bytes) -> dict[int, tuple[int, int, list[tuple[int, int]]]]:
    """item -> (construction method, base_offset, [(extent offset, length)])."""
    start, _ = meta_children(data)[b"iloc"]
    version = data[start]
    pos = start + 4

    def take(n: int) -> int:
        nonlocal pos
        pos += n
        return int.from_bytes(data[pos - n : pos], "big")

    a, b = take(1), take(1)
    off, length, base, idx = a >> 4, a & 15, b >> 4, (b & 15) if version else 0
    wide = 4 if version == 2 else 2
    out = {}
    for _ in range(take(wide)):
        item = take(wide)
        method = take(2) & 15 if version else 0
        take(2)
        base_offset = take(base)
        extents = []
        for _ in range(take(2)):
            take(idx)
            extents.append((take(off), take(length)))
        out[item] = (method, base_offset, extents)
    return out


def items(data: bytes) -> dict[int, bytes]:
    """Every item's data, as a HEIF reader assembles it (construction methods 0 and 1)."""
    idat, idat_end = meta_children(data).get(b"idat", (0, 0))
    out = {}
    for item, (method, base, extents) in iloc(data).items():
        if method == 2:
            continue  # built from other items: nothing of its own to compare
        # Length 0: the rest of the container, the idat box or the file.
        origin, end = (idat, idat_end) if method == 1 else (0, len(data))
        out[item] = b"".join(
            data[origin + base + o : (origin + base + o + n) if n else end] for o, n in extents
        )
    return out


def xmp_items(data: bytes) -> list[int]:
    start, end = meta_children(data)[b"iinf"]
    version = data[start]
    found = []
    for _kind, _s, body, e in walk(data, start + (6 if version == 0 else 8), end):
        if b"mime\x00application/rdf+xml\x00" in data[body:e]:
            wide = 4 if data[body] == 3 else 2  # infe version 3: 32-bit item ids
            found.append(int.from_bytes(data[body + 4 : body + 4 + wide], "big"))
    return found


def chunk_offsets(data: bytes) -> list[int]:
    """Every chunk offset of every stco/co64 table under moov/trak/mdia/minf/stbl."""
    out = []
    pending = [(0, len(data))]
    while pending:
        start, end = pending.pop()
        for kind, _s, body, e in walk(data, start, end):
            if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
                pending.append((body, e))
            elif kind in (b"stco", b"co64"):
                wide = 4 if kind == b"stco" else 8
                count = int.from_bytes(data[body + 4 : body + 8], "big")
                at = body + 8
                out += [
                    int.from_bytes(data[at + i * wide : at + (i + 1) * wide], "big")
                    for i in range(count)
                ]
    return out


def references(data: bytes) -> list[tuple[bytes, int, list[int]]]:
    got = meta_children(data).get(b"iref")
    if got is None:
        return []
    start, end = got
    out = []
    for kind, _s, body, _e in walk(data, start + 4, end):
        source, count = struct.unpack(">HH", data[body : body + 4])
        out.append(
            (kind, source, list(struct.unpack(f">{count}H", data[body + 4 : body + 4 + 2 * count])))
        )
    return out
