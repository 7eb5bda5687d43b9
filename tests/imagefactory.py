"""Fixture images for the image tests, made with Pillow (plus a few hand-built bytes),
and independent container walkers the tests use to compare bytes we must not touch.

The walkers are deliberately written separately from ``optout_site.images`` so a bug
in the writer's parser cannot hide itself in the assertions.
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageCms, PngImagePlugin

DMI = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"
XMP_SIG = b"http://ns.adobe.com/xap/1.0/\x00"
EXT_SIG = b"http://ns.adobe.com/xmp/extension/\x00"
GIF_MAGIC = bytes([1, *range(255, -1, -1), 0])

FOREIGN_XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000 79.1357c9e">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
  xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"
  xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmp:CreatorTool="Adobe Lightroom Classic 13.0" xmpRights:Marked="False"
  photoshop:Credit="Foreign Credit">
<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">(c) Foreign Owner</rdf:li></rdf:Alt></dc:rights>
<dc:creator><rdf:Seq><rdf:li>Foreign Creator</rdf:li></rdf:Seq></dc:creator>
<dc:subject><rdf:Bag><rdf:li>harbour</rdf:li><rdf:li>boats</rdf:li></rdf:Bag></dc:subject>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
  crs:Exposure2012="+0.35" crs:Version="16.0"/>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def noise(mode: str, size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Random pixels: every codec has to carry real data, and equality means something."""
    probe = Image.new(mode, (1, 1))
    bpp = len(probe.tobytes())
    data = random.Random(seed).randbytes(size[0] * size[1] * bpp) if mode != "1" else None
    if mode == "1":
        return noise("L", size, seed).convert("1")
    if mode == "P":
        im = Image.frombytes("L", size, random.Random(seed).randbytes(size[0] * size[1]))
        return im.convert("RGB").quantize(64)
    return Image.frombytes(mode, size, data)


def photo(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Smooth gradient plus mild noise: photo-like, so JPEG sizes are realistic."""
    w, h = size
    base = Image.linear_gradient("L").resize((w, h))
    rgb = Image.merge("RGB", (base, base.rotate(90).resize((w, h)), base.transpose(1)))
    return Image.blend(rgb, noise("RGB", size, seed), 0.15)


def icc_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def exif_bytes(orientation: int = 6, **extra: str) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x0110] = "Model 1"
    exif[0x0112] = orientation
    for tag, value in {0x013B: extra.get("artist"), 0x8298: extra.get("copyright")}.items():
        if value:
            exif[tag] = value
    exif.get_ifd(0x8769)[0x9003] = "2024:05:01 10:00:00"
    return exif.tobytes()


def save(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


# --- JPEG ---------------------------------------------------------------------------


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def insert_segments(data: bytes, after: int, *segments: bytes) -> bytes:
    """Insert after the ``after``-th marker segment (0 = right after SOI)."""
    segs, tail = jpeg_segments(data)
    raw = [jpeg_segment(m, p) for m, p in segs]
    return b"\xff\xd8" + b"".join(raw[:after]) + b"".join(segments) + b"".join(raw[after:]) + tail


def photoshop_irb(copyright_notice: str | None = "(c) Old IIM", digest: bool = True) -> bytes:
    iim = b"\x1c\x02\x00\x00\x02\x00\x04" + b"\x1c\x02\x05" + struct.pack(">H", 5) + b"Title"
    if copyright_notice:
        value = copyright_notice.encode()
        iim += b"\x1c\x02\x74" + struct.pack(">H", len(value)) + value

    def resource(rid: int, data: bytes) -> bytes:
        return (
            b"8BIM"
            + struct.pack(">H", rid)
            + b"\x00\x00"
            + struct.pack(">I", len(data))
            + data
            + b"\x00" * (len(data) & 1)
        )

    irb = resource(0x03ED, bytes(range(16))) + resource(0x0404, iim)
    if digest:
        irb += resource(0x0425, hashlib.md5(iim).digest())
    return b"Photoshop 3.0\x00" + irb


def extended_xmp() -> tuple[bytes, bytes]:
    """(standard packet pointing at an extension, the extension APP1 segment)."""
    ext = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
        b'02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/'
        b'xap/1.0/" xmp:Label="' + b"L" * 300 + b'"/></rdf:RDF></x:xmpmeta>'
    )
    guid = hashlib.md5(ext).hexdigest().upper().encode()
    std = FOREIGN_XMP.replace(
        b'photoshop:Credit="Foreign Credit"',
        b'photoshop:Credit="Foreign Credit" xmlns:xmpNote="http://ns.adobe.com/xmp/note/" '
        b'xmpNote:HasExtendedXMP="' + guid + b'"',
    )
    segment = jpeg_segment(0xE1, EXT_SIG + guid + struct.pack(">II", len(ext), 0) + ext)
    return std, segment


def jpeg_segments(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """Marker segments before SOS as (marker, payload), and everything from SOS on."""
    assert data[:2] == b"\xff\xd8"
    pos, out = 2, []
    while True:
        assert data[pos] == 0xFF, pos
        while data[pos] == 0xFF:
            pos += 1
        marker = data[pos]
        length = struct.unpack(">H", data[pos + 1 : pos + 3])[0]
        if marker == 0xDA:
            return out, data[pos - 1 :]
        out.append((marker, data[pos + 3 : pos + 1 + length]))
        pos += 1 + length


def mpo(
    images: list[bytes], before_mpf: tuple[bytes, ...] = (), after_mpf: tuple[bytes, ...] = ()
) -> bytes:
    """A Multi-Picture Object built by hand (CIPA DC-007): the first JPEG gets
    ``before_mpf`` segments, an APP2 MPF segment whose MP Index IFD lists every image
    (size, offset from the MPF header), then ``after_mpf``; the others follow its EOI."""
    count = len(images)
    ifd_len = 2 + 3 * 12 + 4

    def mpf_payload(sizes: list[int], offsets: list[int]) -> bytes:
        table = b"".join(
            struct.pack("<IIIHH", 0x20030000 if i == 0 else 0x00020002, sizes[i], offsets[i], 0, 0)
            for i in range(count)
        )
        ifd = struct.pack("<H", 3)
        ifd += struct.pack("<HHI4s", 0xB000, 7, 4, b"0100")
        ifd += struct.pack("<HHII", 0xB001, 4, 1, count)
        ifd += struct.pack("<HHII", 0xB002, 7, 16 * count, 8 + ifd_len)
        return b"MPF\x00II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + table

    first = images[0]
    assert first[:2] == b"\xff\xd8"

    def assemble(payload: bytes) -> bytes:
        return (
            b"\xff\xd8"
            + b"".join(before_mpf)
            + jpeg_segment(0xE2, payload)
            + b"".join(after_mpf)
            + first[2:]
        )

    draft = assemble(mpf_payload([0] * count, [0] * count))
    header = len(b"\xff\xd8" + b"".join(before_mpf)) + 4 + 4  # "II" after FFE2, length, MPF\0
    sizes = [len(draft)] + [len(im) for im in images[1:]]
    offsets, at = [0], len(draft)
    for im in images[1:]:
        offsets.append(at - header)
        at += len(im)
    return assemble(mpf_payload(sizes, offsets)) + b"".join(images[1:])


# --- PNG ----------------------------------------------------------------------------


def png_chunks(data: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """(type, data) for every chunk, CRC-checked, and the bytes after IEND."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, out = 8, []
    while True:
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0]
        assert zlib.crc32(kind + body) == crc, (kind, pos)
        out.append((kind, body))
        pos += 12 + length
        if kind == b"IEND":
            return out, data[pos:]


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_from_chunks(chunks: list[tuple[bytes, bytes]], trailer: bytes = b"") -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(png_chunk(k, b) for k, b in chunks) + trailer


def is_png_xmp(kind: bytes, body: bytes) -> bool:
    return kind == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00")


# --- WebP ---------------------------------------------------------------------------


def webp_chunks(data: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    end = 8 + struct.unpack("<I", data[4:8])[0]
    pos, out = 12, []
    while pos < end:
        fourcc, length = struct.unpack("<4sI", data[pos : pos + 8])
        out.append((fourcc, data[pos + 8 : pos + 8 + length]))
        pos += 8 + length + (length & 1)
    assert pos == end
    return out, data[end:]


# --- TIFF ---------------------------------------------------------------------------

TIFF_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}


def tiff_ifd0(data: bytes) -> tuple[str, dict[int, tuple[int, int, bytes]]]:
    """Byte order and IFD0 as tag -> (type, count, value bytes), values resolved."""
    bo = "<" if data[:2] == b"II" else ">"
    (offset,) = struct.unpack(bo + "I", data[4:8])
    (count,) = struct.unpack(bo + "H", data[offset : offset + 2])
    out = {}
    for i in range(count):
        raw = data[offset + 2 + 12 * i : offset + 14 + 12 * i]
        tag, typ, n = struct.unpack(bo + "HHI", raw[:8])
        size = TIFF_SIZES.get(typ, 1) * n
        if size <= 4:
            value = raw[8 : 8 + size]
        else:
            (at,) = struct.unpack(bo + "I", raw[8:12])
            value = data[at : at + size]
        out[tag] = (typ, n, value)
    return bo, out


def tiff_mm(im: Image.Image, rows_per_strip: int = 3) -> bytes:
    """A big-endian baseline RGB TIFF built by hand (Pillow writes only II for RGB)."""
    im = im.convert("RGB")
    w, h = im.size
    raw = im.tobytes()
    strips = [
        raw[y * w * 3 : min(h, y + rows_per_strip) * w * 3] for y in range(0, h, rows_per_strip)
    ]
    entries = []
    data = bytearray(b"MM\x00\x2a\x00\x00\x00\x00")
    offsets = []
    for strip in strips:
        offsets.append(len(data))
        data += strip + b"\x00" * (len(strip) & 1)
    bps_at = len(data)
    data += struct.pack(">HHH", 8, 8, 8)
    soff_at = len(data)
    data += struct.pack(f">{len(strips)}I", *offsets)
    scnt_at = len(data)
    data += struct.pack(f">{len(strips)}I", *(len(s) for s in strips))
    desc = b"hand-built MM tiff\x00"
    desc_at = len(data)
    data += desc + b"\x00" * (len(desc) & 1)

    def entry(tag: int, typ: int, count: int, value: int, short: bool = False) -> bytes:
        if short:
            return struct.pack(">HHIHH", tag, typ, count, value, 0)
        return struct.pack(">HHII", tag, typ, count, value)

    entries = [
        entry(256, 4, 1, w),
        entry(257, 4, 1, h),
        entry(258, 3, 3, bps_at),
        entry(259, 3, 1, 1, True),
        entry(262, 3, 1, 2, True),
        entry(270, 2, len(desc), desc_at),
        entry(273, 4, len(strips), soff_at) if len(strips) > 1 else entry(273, 4, 1, offsets[0]),
        entry(277, 3, 1, 3, True),
        entry(278, 4, 1, rows_per_strip),
        entry(279, 4, len(strips), scnt_at)
        if len(strips) > 1
        else entry(279, 4, 1, len(strips[0])),
        entry(284, 3, 1, 1, True),
    ]
    ifd_at = len(data)
    data += struct.pack(">H", len(entries)) + b"".join(entries) + b"\x00\x00\x00\x00"
    data[4:8] = struct.pack(">I", ifd_at)
    return bytes(data)


# --- GIF ----------------------------------------------------------------------------


def gif_blocks(data: bytes) -> tuple[bytes, list[bytes], bytes]:
    """(header + screen descriptor + global table, raw blocks, trailer and after)."""
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    head, blocks = data[:pos], []

    def sub_blocks(p: int) -> int:
        while data[p]:
            p += data[p] + 1
        return p + 1

    while data[pos] != 0x3B:
        start = pos
        if data[pos] == 0x21:
            pos = sub_blocks(pos + 2)
        else:
            assert data[pos] == 0x2C, pos
            lflags = data[pos + 9]
            pos += 10 + (3 << ((lflags & 7) + 1) if lflags & 0x80 else 0) + 1
            pos = sub_blocks(pos)
        blocks.append(data[start:pos])
    return head, blocks, data[pos:]


def gif_xmp_block(packet: bytes) -> bytes:
    return b"\x21\xff\x0bXMP DataXMP" + packet + GIF_MAGIC


def is_gif_xmp(block: bytes) -> bool:
    return block.startswith(b"\x21\xff\x0bXMP DataXMP")


# --- the fixture catalogue ------------------------------------------------------------


def catalogue() -> dict[str, bytes]:
    """name -> file bytes; the name's extension is the format."""
    icc = icc_profile()
    pic = photo((64, 48), 1)
    out: dict[str, bytes] = {}
    out["exif_icc.jpg"] = save(
        pic, "JPEG", quality=90, exif=exif_bytes(6), icc_profile=icc, comment=b"a comment segment"
    )
    out["progressive.jpg"] = save(
        pic, "JPEG", progressive=True, exif=exif_bytes(3), icc_profile=icc
    )
    out["gray.jpg"] = save(pic.convert("L"), "JPEG", quality=75)
    out["cmyk.jpg"] = save(pic.convert("CMYK"), "JPEG")
    out["foreign_xmp.jpg"] = save(pic, "JPEG", exif=exif_bytes(1), xmp=FOREIGN_XMP)
    std, ext_segment = extended_xmp()
    with_std = save(pic, "JPEG", exif=exif_bytes(1), xmp=std)
    out["extended_xmp.jpg"] = insert_segments(with_std, 3, ext_segment)
    out["iptc.jpg"] = insert_segments(
        save(pic, "JPEG", exif=exif_bytes(8)), 2, jpeg_segment(0xED, photoshop_irb())
    )
    out["mpo.jpg"] = save(pic, "MPO", save_all=True, append_images=[photo((64, 48), 2)])

    out["icc_text.png"] = save(pic, "PNG", icc_profile=icc, pnginfo=_pnginfo())
    out["rgba.png"] = save(noise("RGBA", (20, 17), 2), "PNG")
    out["palette.png"] = save(noise("P", (19, 23), 3), "PNG", transparency=0)
    out["gray16.png"] = save(noise("I;16", (13, 11), 4), "PNG")
    info = _pnginfo()
    info.add_itxt("XML:com.adobe.xmp", FOREIGN_XMP.decode())
    out["foreign_xmp.png"] = save(pic, "PNG", pnginfo=info)
    chunks, _ = png_chunks(out["foreign_xmp.png"])
    xmp_chunk = next(c for c in chunks if is_png_xmp(*c))
    moved = [c for c in chunks if c is not xmp_chunk]
    moved.insert(len(moved) - 1, xmp_chunk)  # after IDAT, just before IEND
    out["xmp_after_idat.png"] = png_from_chunks(moved, b"trailing junk after IEND")
    out["noise_rgb.png"] = save(noise("RGB", (21, 19), 5), "PNG", compress_level=1)

    out["lossy.webp"] = save(pic, "WEBP", quality=80)
    out["lossless.webp"] = save(noise("RGB", (33, 21), 6), "WEBP", lossless=True)
    out["alpha_lossless.webp"] = save(noise("RGBA", (17, 29), 7), "WEBP", lossless=True)
    out["alpha_lossy.webp"] = save(noise("RGBA", (17, 29), 8), "WEBP", quality=70)
    out["exif_icc.webp"] = save(pic, "WEBP", exif=exif_bytes(6), icc_profile=icc)
    frames = [noise("RGB", (24, 16), s) for s in range(3)]
    out["animated.webp"] = save(
        frames[0],
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=100,
        loop=0,
        lossless=True,
    )
    out["foreign_xmp.webp"] = save(pic, "WEBP", xmp=FOREIGN_XMP, exif=exif_bytes(1))

    out["ii_lzw.tif"] = save(pic, "TIFF", compression="tiff_lzw", icc_profile=icc)
    out["ii_raw.tif"] = save(noise("RGBA", (9, 7), 9), "TIFF")
    out["mm.tif"] = tiff_mm(noise("RGB", (11, 10), 10))
    out["mm16.tif"] = save(noise("I;16B", (7, 5), 11), "TIFF")
    pages = [noise("L", (8, 8), s) for s in range(2)]
    out["multipage.tif"] = save(pages[0], "TIFF", save_all=True, append_images=pages[1:])
    out["foreign_xmp.tif"] = save(pic, "TIFF", tiffinfo={700: FOREIGN_XMP})

    out["static87a.gif"] = save(noise("P", (30, 20), 12), "GIF")
    gframes = [noise("P", (24, 16), s) for s in range(3)]
    out["animated.gif"] = save(
        gframes[0],
        "GIF",
        save_all=True,
        append_images=gframes[1:],
        duration=80,
        loop=0,
        comment=b"gif comment",
    )
    plain = save(noise("P", (10, 12), 13), "GIF", comment=b"x")
    head, blocks, tail = gif_blocks(plain)
    out["foreign_xmp.gif"] = (
        b"GIF89a" + head[6:] + b"".join(blocks) + gif_xmp_block(FOREIGN_XMP) + tail
    )
    return out


def _pnginfo() -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", "plain tEXt")
    info.add_text("Comment", "compressed zTXt " * 8, zip=True)
    info.add_itxt("Description", "iTXt \u00e9t\u00e9", lang="fr", tkey="Beschreibung")
    return info


def write_catalogue(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in catalogue().items():
        path = folder / name
        path.write_bytes(data)
        paths[name] = path
    return paths


def frames(path: Path) -> list[tuple[str, tuple[int, int], bytes, object]]:
    """Every frame decoded: (mode, size, raw pixels, palette)."""
    with Image.open(path) as im:
        out = []
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            im.load()
            out.append((im.mode, im.size, im.tobytes(), im.getpalette()))
        return out
