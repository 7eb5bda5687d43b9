"""Per-image fixed costs taken out of the writers, each held to the code it replaced.

* The XMP packet is rendered once per distinct input (``xmp._stamp_cached``): the cached
  answer must be the uncached one, whatever came before it in the cache, and a gallery
  without XMP renders one packet.
* GIF sub-blocks inside the read window are hopped over in a loop of their own
  (``gif._Stream.sub_blocks``): same end position, same error, as walking them one
  ``take`` at a time, across every window boundary.
"""

from __future__ import annotations

import dataclasses
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import imagefactory as f
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support import BASE, FULL, examples

from optout_site.build.work import stamp_image
from optout_site.errors import ImageError
from optout_site.images import ImageRights, gif, xmp
from optout_site.images.container import Source

UNCACHED = xmp._stamp_cached.__wrapped__

# --- the packet cache -----------------------------------------------------------------------

OURS = xmp.merge(None, FULL, 0, None)
PACKETS = st.sampled_from(
    [(), (f.FOREIGN_XMP,), (OURS,), (f.FOREIGN_XMP, OURS), (OURS.replace(b"Jane", b"Ross"),)]
)
RIGHTS = st.sampled_from(
    [
        BASE,
        FULL,
        dataclasses.replace(FULL, overwrite=True),
        dataclasses.replace(FULL, marked=False),
        dataclasses.replace(BASE, reservation_only=True),
        dataclasses.replace(BASE, creator="Ross"),
    ]
)
AUTHORS = st.sampled_from([(), ("Ross",), ("Jane Doe",), ("Copyright 2024",)])
CALL = st.tuples(
    PACKETS, RIGHTS, AUTHORS, st.sampled_from([0, 64, 2048]), st.sampled_from([None, 900, 65502])
)


def _outcome(fn: Callable[..., tuple[bytes, str, bool]], *args: object) -> object:
    try:
        return fn(*args)
    except ImageError as exc:
        return ("error", str(exc), exc.detail)


@pytest.mark.slow  # ~3 s of CPU
@settings(max_examples=examples(150), deadline=None)
@given(st.lists(CALL, min_size=1, max_size=8))
def test_cached_packet_is_the_uncached_one(calls: list[tuple[object, ...]]) -> None:
    # A sequence of calls sharing most of their arguments: a key that left one out would
    # answer one call with an earlier call's packet.
    xmp._stamp_cached.cache_clear()
    for packets, rights, authors, padding, limit in calls:
        assert isinstance(packets, tuple) and isinstance(authors, tuple)
        got = _outcome(xmp.stamp_packet, list(packets), rights, list(authors), padding, limit)
        assert got == _outcome(UNCACHED, packets, rights, authors, padding, limit)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    count = [0]
    real = xmp.serialize

    def counting(*args: object, **kwargs: object) -> bytes:
        count[0] += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(xmp, "serialize", counting)
    xmp._stamp_cached.cache_clear()
    yield count
    xmp._stamp_cached.cache_clear()


def test_a_gallery_without_xmp_renders_one_packet(tmp_path: Path, renders: list[int]) -> None:
    data = f.save(f.photo((64, 48), 1), "JPEG", exif=f.exif_bytes(1))
    for i in range(12):
        (tmp_path / f"{i}.jpg").write_bytes(data)
        stamp_image(tmp_path / f"{i}.jpg", tmp_path / f"{i}.out.jpg", FULL)
    assert renders == [1]
    assert len({(tmp_path / f"{i}.out.jpg").read_bytes() for i in range(12)}) == 1


def _stamp_all(folder: Path, out: Path, rights: ImageRights, order: list[str]) -> dict[str, bytes]:
    out.mkdir(exist_ok=True)
    result = {}
    for name in order:
        try:
            status = stamp_image(folder / name, out / name, rights).status
        except ImageError as exc:
            status = f"error {exc} {exc.detail}"
        written = (out / name).read_bytes() if (out / name).exists() else b""
        result[name] = status.encode() + b"\n" + written
    return result


@pytest.mark.slow  # ~2 s: the catalogue six times
def test_catalogue_bytes_as_before_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every format of the fixture catalogue, several rights, stamped with the cache warm
    and in a shuffled order: the same bytes as the uncached merge gives."""
    paths = f.write_catalogue(tmp_path / "in")
    names = sorted(paths)
    variants = [FULL, BASE, dataclasses.replace(FULL, overwrite=True, padding=True)]
    xmp._stamp_cached.cache_clear()
    cached = {}
    for i, rights in enumerate(variants):
        order = random.Random(i).sample(names, len(names)) * 2
        cached[i] = _stamp_all(tmp_path / "in", tmp_path / f"c{i}", rights, order)
    monkeypatch.setattr(xmp, "_stamp_cached", UNCACHED)
    for i, rights in enumerate(variants):
        assert cached[i] == _stamp_all(tmp_path / "in", tmp_path / f"u{i}", rights, names)


# --- GIF sub-blocks --------------------------------------------------------------------------


def _reference_sub_blocks(stream: gif._Stream, what: str) -> None:
    """The walk before the fast path: one take() for each length byte and each block."""
    while True:
        n = stream.take(1, what)[0]
        if n == 0:
            return
        stream.take(n, what)


def _walk(
    path: Path, start: int, window: int, walk: Callable[[gif._Stream, str], None]
) -> tuple[object, ...]:
    fd = os.open(path, os.O_RDONLY)
    try:
        stream = gif._Stream(Source(fd), 0)
        stream.WINDOW = window
        try:
            if start:  # as in a file: the bytes before the chain were just taken
                stream.take(start, "lead")
            walk(stream, "data")
            after = stream.take(1, "after")[0] if stream.pos < stream.source.size else None
            return ("ok", stream.pos, after)
        except ImageError as exc:
            return ("error", type(exc).__name__, str(exc), exc.detail)
    finally:
        os.close(fd)


CHAIN = st.lists(st.integers(1, 12) | st.integers(1, 255), max_size=12).flatmap(
    lambda sizes: st.tuples(
        st.just(sizes),
        st.booleans(),
        st.integers(0, 3) | st.integers(0, 300),
        st.integers(0, 7),
        st.integers(1, 64),
    )
)


@pytest.mark.slow  # ~2 s of CPU
@settings(max_examples=examples(300), deadline=None)
@given(CHAIN)
@example(([3, 5], False, 1, 0, 64))  # the file ends one byte into a block the window holds
def test_gif_sub_block_walk_as_before(
    tmp_path_factory: pytest.TempPathFactory, chain: tuple[list[int], bool, int, int, int]
) -> None:
    sizes, terminated, cut, lead, window = chain
    body = b"".join(bytes([n]) + bytes([0xAA]) * n for n in sizes)
    data = bytes(lead) + body + (b"\x00\x3b" if terminated else b"")
    if not terminated:
        data = data[: max(lead, len(data) - cut)]  # the file ends early, anywhere
    path = tmp_path_factory.mktemp("gif") / "chain.bin"
    path.write_bytes(data)
    new = _walk(path, lead, window, gif._Stream.sub_blocks)
    assert new == _walk(path, lead, window, _reference_sub_blocks)


def test_animated_gif_parses_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frames = [f.noise("P", (300, 200), s) for s in range(4)]
    data = f.save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    (tmp_path / "a.gif").write_bytes(data)
    for window in (64, 300, 1 << 18):
        monkeypatch.setattr(gif._Stream, "WINDOW", window)
        new = stamp_image(tmp_path / "a.gif", tmp_path / "new.gif", FULL)
        with monkeypatch.context() as m:
            m.setattr(gif._Stream, "sub_blocks", _reference_sub_blocks)
            old = stamp_image(tmp_path / "a.gif", tmp_path / "old.gif", FULL)
        assert new == old
        assert (tmp_path / "new.gif").read_bytes() == (tmp_path / "old.gif").read_bytes()
