"""Per-format image corpora for benchmarks/images.py (not a test).

Each corpus holds files of one container format only, so a format's cost is never hidden
in a mixed average. Only a few base images are encoded with Pillow (AVIF encoding is slow);
the rest are byte copies, varied where the container has a harmless place for it (a JPEG
COM segment, a PNG tEXt chunk, a trailing RIFF chunk in WebP, a trailing ISOBMFF ``free``
box in AVIF) so every file is distinct. TIFF and GIF copies are identical: neither tool
deduplicates, and a byte's cost does not depend on its value.
"""

from __future__ import annotations

import argparse
import io
import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

SMALL_XMP = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta '
    b'xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
    b' xmp:Rating="4" xmp:CreatorTool="Camera FW 1.2"/></rdf:RDF></x:xmpmeta>'
    b'<?xpacket end="w"?>'
)


def photo(megapixels: float, seed: int) -> Image.Image:
    """Gradient + noise: compresses like a photo (a few MB per 12 MP at q90)."""
    w = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    h = int(w * 3 / 4)
    small = Image.frombytes(
        "RGB", (w // 8, h // 8), random.Random(seed).randbytes((w // 8) * (h // 8) * 3)
    )
    base = small.resize((w, h), Image.Resampling.BICUBIC)
    grain = Image.frombytes("RGB", (w, h), random.Random(seed + 1).randbytes(w * h * 3))
    return Image.blend(base, grain, 0.12)


def exif(seed: int) -> bytes:
    tags = Image.Exif()
    tags[0x010F], tags[0x0110], tags[0x0112] = "BenchCam", f"Model {seed}", 1
    tags.get_ifd(0x8769)[0x9003] = "2024:05:01 10:00:00"
    return tags.tobytes()


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def vary_jpeg(data: bytes, index: int) -> bytes:
    com = f"corpus file {index}".encode()
    return data[:2] + b"\xff\xfe" + struct.pack(">H", len(com) + 2) + com + data[2:]


def vary_png(data: bytes, index: int) -> bytes:
    body = b"Comment\x00" + f"corpus file {index}".encode()
    crc = struct.pack(">I", zlib.crc32(b"tEXt" + body))
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + crc
    return data[:33] + chunk + data[33:]  # right after IHDR


def vary_webp(data: bytes, index: int) -> bytes:
    # An unknown chunk at the end, the RIFF size fixed (readers skip unknown chunks).
    extra = b"JUNK" + struct.pack("<I", 4) + struct.pack("<I", index)
    return data[:4] + struct.pack("<I", len(data) - 8 + len(extra)) + data[8:] + extra


def vary_avif(data: bytes, index: int) -> bytes:
    return data + struct.pack(">I", 12) + b"free" + struct.pack(">I", index)


def same(data: bytes, index: int) -> bytes:
    return data


@dataclass(frozen=True)
class Format:
    """One corpus: ``count`` files of ``megapixels`` each, made from ``bases`` encodings."""

    name: str
    ext: str
    count: int
    megapixels: float
    encode: Callable[[Image.Image, int], bytes]
    vary: Callable[[bytes, int], bytes]
    bases: int = 4


def _jpeg_camera(im: Image.Image, seed: int) -> bytes:
    params: dict[str, object] = {"quality": 90, "exif": exif(seed)}
    if seed == 3:  # a quarter of the files carry a camera's XMP packet to merge into
        params["xmp"] = SMALL_XMP
    return encode(im, "JPEG", **params)


def _jpeg_web(im: Image.Image, seed: int) -> bytes:
    return encode(im, "JPEG", quality=80, progressive=True, exif=exif(seed))


FORMATS = (
    Format("jpeg-camera", "jpg", 30, 12.0, _jpeg_camera, vary_jpeg),
    Format("jpeg-web", "jpg", 300, 0.5, _jpeg_web, vary_jpeg),
    Format("png", "png", 60, 0.5, lambda im, s: encode(im, "PNG", compress_level=6), vary_png),
    Format("webp", "webp", 200, 0.5, lambda im, s: encode(im, "WEBP", quality=80), vary_webp),
    Format("tiff", "tif", 20, 3.0, lambda im, s: encode(im, "TIFF", exif=exif(s)), same, 1),
    Format(
        "gif",
        "gif",
        100,
        0.3,
        lambda im, s: encode(im.quantize(256), "GIF"),
        same,
        1,
    ),
    Format("avif", "avif", 100, 0.5, lambda im, s: encode(im, "AVIF", speed=8), vary_avif, 2),
)
BY_NAME = {f.name: f for f in FORMATS}


def build(folder: Path, fmt: Format, count: int) -> int:
    """Write ``count`` files of ``fmt`` into ``folder`` (created); their total bytes."""
    folder.mkdir(parents=True)
    bases = [fmt.encode(photo(fmt.megapixels, seed), seed) for seed in range(fmt.bases)]
    total = 0
    for i in range(count):
        data = fmt.vary(bases[i % len(bases)], i)
        (folder / f"{fmt.name}-{i:05d}.{fmt.ext}").write_bytes(data)
        total += len(data)
    return total


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options both image benchmarks take: which corpora, which source trees."""
    names = ",".join(f.name for f in FORMATS)
    parser.add_argument("--formats", default=names, help=f"comma-separated, of {names}")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--impl", action="append", default=[], metavar="NAME=PYTHONPATH")


def impls(args: argparse.Namespace, checkout: Path) -> dict[str, str]:
    """Name -> source tree to put first on PYTHONPATH (default: ``checkout`` as "ours")."""
    return dict(item.split("=", 1) for item in args.impl) or {"ours": str(checkout)}
