"""Property tests: generated images and rights text survive stamping exactly."""

from __future__ import annotations

import tempfile
from pathlib import Path

import imagefactory as f
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import examples

from optout_site.build.work import stamp_image as stamp
from optout_site.images import Contact, ImageRights, read_xmp, xmp

SETTINGS = settings(
    max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Any text XML 1.0 can carry (controls excluded), with markup characters made likely.
TEXT = st.text(
    st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")),
        st.sampled_from("<>&\"' \u00a9\u00e9\u4e2d\U0001f600"),
    ),
    min_size=1,
    max_size=40,
)
SIZES = st.tuples(st.integers(1, 40), st.integers(1, 40))
SEEDS = st.integers(0, 2**16)
RIGHTS = ImageRights(
    data_mining=f.DMI,
    other_constraints=None,
    web_statement=None,
    usage_terms=None,
    copyright="(c) P",
    creator="P",
    contact=None,
)


def _roundtrip(fmt: str, data: bytes, rights: ImageRights = RIGHTS) -> dict[str, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / f"in.{fmt}", Path(tmp) / f"out.{fmt}"
        src.write_bytes(data)
        assert stamp(src, dst, rights).status == "changed"
        assert f.frames(src) == f.frames(dst)
        out = dst.read_bytes()
        assert stamp(dst, dst, rights).status == "unchanged" and dst.read_bytes() == out
        packet = read_xmp(dst)
        assert packet is not None
        return xmp.summary(packet)


@SETTINGS
@given(
    size=SIZES,
    seed=SEEDS,
    mode=st.sampled_from(["L", "RGB", "CMYK"]),
    progressive=st.booleans(),
    exif=st.booleans(),
    icc=st.booleans(),
)
def test_jpeg(
    size: tuple[int, int], seed: int, mode: str, progressive: bool, exif: bool, icc: bool
) -> None:
    params: dict = {"progressive": progressive, "quality": 50 + seed % 50}
    if exif:
        params["exif"] = f.exif_bytes(1 + seed % 8)
    if icc and mode == "RGB":
        params["icc_profile"] = f.icc_profile()
    data = f.save(f.noise(mode, size, seed), "JPEG", **params)
    assert _roundtrip("jpg", data)["data_mining"] == [f.DMI]


@SETTINGS
@given(
    size=SIZES,
    seed=SEEDS,
    mode=st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA", "I;16"]),
    level=st.integers(0, 9),
)
def test_png(size: tuple[int, int], seed: int, mode: str, level: int) -> None:
    data = f.save(f.noise(mode, size, seed), "PNG", compress_level=level)
    assert _roundtrip("png", data)["data_mining"] == [f.DMI]


@SETTINGS
@given(
    size=SIZES,
    seed=SEEDS,
    mode=st.sampled_from(["RGB", "RGBA"]),
    lossless=st.booleans(),
    frames=st.integers(1, 3),
    exif=st.booleans(),
)
def test_webp(
    size: tuple[int, int], seed: int, mode: str, lossless: bool, frames: int, exif: bool
) -> None:
    images = [f.noise(mode, size, seed + i) for i in range(frames)]
    params: dict = {"lossless": lossless, "quality": 60}
    if frames > 1:
        params.update(save_all=True, append_images=images[1:], duration=50)
    if exif:
        params["exif"] = f.exif_bytes(3)
    data = f.save(images[0], "WEBP", **params)
    assert _roundtrip("webp", data)["data_mining"] == [f.DMI]


@SETTINGS
@given(
    size=SIZES,
    seed=SEEDS,
    mode=st.sampled_from(["1", "L", "RGB", "RGBA", "CMYK", "I;16"]),
    compression=st.sampled_from(["raw", "tiff_lzw", "tiff_adobe_deflate", "packbits"]),
    big_endian=st.booleans(),
)
def test_tiff(
    size: tuple[int, int], seed: int, mode: str, compression: str, big_endian: bool
) -> None:
    if big_endian:
        data = f.tiff_mm(f.noise("RGB", size, seed), rows_per_strip=1 + seed % 5)
    else:
        data = f.save(f.noise(mode, size, seed), "TIFF", compression=compression)
    assert _roundtrip("tif", data)["data_mining"] == [f.DMI]


@SETTINGS
@given(size=SIZES, seed=SEEDS, frames=st.integers(1, 3), loop=st.booleans(), comment=st.booleans())
def test_gif(size: tuple[int, int], seed: int, frames: int, loop: bool, comment: bool) -> None:
    images = [f.noise("P", size, seed + i) for i in range(frames)]
    params: dict = {}
    if frames > 1:
        params.update(save_all=True, append_images=images[1:], duration=40)
        if loop:
            params["loop"] = 0
    if comment:
        params["comment"] = b"c"
    data = f.save(images[0], "GIF", **params)
    assert _roundtrip("gif", data)["data_mining"] == [f.DMI]


FIXED = {
    "jpg": f.save(f.photo((8, 8)), "JPEG"),
    "png": f.save(f.noise("RGB", (8, 8)), "PNG"),
    "webp": f.save(f.noise("RGB", (8, 8)), "WEBP"),
    "tif": f.tiff_mm(f.noise("RGB", (4, 4))),
    "gif": f.save(f.noise("P", (8, 8)), "GIF"),
}


@SETTINGS
@given(
    fmt=st.sampled_from(sorted(FIXED)),
    copyright=TEXT,
    creator=TEXT,
    terms=TEXT,
    constraint=TEXT,
    name=TEXT,
    url=TEXT,
)
def test_rights_text_roundtrips(
    fmt: str, copyright: str, creator: str, terms: str, constraint: str, name: str, url: str
) -> None:
    rights = ImageRights(
        data_mining=f.DMI,
        other_constraints=constraint,
        web_statement=url,
        usage_terms=terms,
        copyright=copyright,
        creator=creator,
        contact=Contact(name=name, url=url),
    )
    values = _roundtrip(fmt, FIXED[fmt], rights)
    assert values["copyright"] == [copyright] and values["creator"] == [creator]
    assert values["usage_terms"] == [terms] and values["other_constraints"] == [constraint]
    assert values["web_statement"] == [url] and values["data_mining"] == [f.DMI]
