"""Memory stays flat: big files are stamped by copying ranges, never read whole."""

from __future__ import annotations

import os
import shutil
import tracemalloc
from pathlib import Path

import imagefactory as f
import pytest
from PIL import Image
from support import BASE

import optout_site.images.gif
import optout_site.images.jpeg
import optout_site.images.png
import optout_site.images.tiff
import optout_site.images.webp
import optout_site.images.xmp  # noqa: F401  (imported up front: imports are not the write)
from optout_site.build.work import stamp_image as stamp

pytestmark = pytest.mark.slow  # writes and stamps files of ~17 MB

KINDS = ["png", "jpg", "tif", "webp", "gif"]
LIMIT = 1024 * 1024  # 256 KiB header window + GIF's 256 KiB read window + XMP work


def _big(kind: str, path: Path) -> None:
    if kind == "png":  # ~17 MB, stored uncompressed: hundreds of IDAT chunks
        f.noise("RGB", (2400, 2400), 1).save(path, "PNG", compress_level=0)
    elif kind == "jpg":
        f.noise("RGB", (2600, 2000), 2).save(
            path, "JPEG", quality=95, exif=f.exif_bytes(6), icc_profile=f.icc_profile()
        )
    elif kind == "tif":
        f.noise("RGB", (2000, 2000), 3).save(path, "TIFF")
    elif kind == "webp":
        # Lossless noise is slow to encode; a cheap big file is one simple-VP8L payload
        # padded with an unknown trailing chunk, which the container must carry along.
        f.noise("RGB", (64, 64), 4).save(path, "WEBP", lossless=True)
        data = path.read_bytes()
        junk = b"JUNK" + (12_000_000).to_bytes(4, "little") + os.urandom(12_000_000)
        data = data[:4] + (len(data) - 8 + len(junk)).to_bytes(4, "little") + data[8:] + junk
        path.write_bytes(data)
    elif kind == "gif":
        f.noise("P", (3000, 3000), 5).save(path, "GIF")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("big")
    paths = {kind: folder / f"big.{kind}" for kind in KINDS}
    for kind, path in paths.items():
        _big(kind, path)
    return paths


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("in_place", [False, True])
def test_peak_memory_is_independent_of_file_size(
    big: dict[str, Path], kind: str, in_place: bool, tmp_path: Path
) -> None:
    src = tmp_path / f"big.{kind}"
    shutil.copyfile(big[kind], src)
    size = src.stat().st_size
    assert size > 5_000_000
    dst = src if in_place else tmp_path / f"out.{kind}"
    # A small file of the kind first: what the first stamp of a process imports and caches
    # (lazy imports, compiled patterns) is not the write, and must not depend on test order.
    small = tmp_path / f"small.{kind}"
    Image.new("RGB", (8, 8)).convert("P" if kind == "gif" else "RGB").save(small)
    stamp(small, tmp_path / f"small-out.{kind}", BASE)
    tracemalloc.start()
    try:
        assert stamp(src, dst, BASE).status == "changed"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < LIMIT, f"peak {peak} bytes for a {size}-byte file"
    assert dst.stat().st_size > size
    if kind != "webp":
        with Image.open(dst) as im:
            assert im.size[0] >= 64
