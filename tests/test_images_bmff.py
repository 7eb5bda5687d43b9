"""AVIF, HEIC and HEIF: the XMP item is written, every file offset still points at the
same bytes, the pixels decode identically (Pillow, pillow-heif, libheif's heif-convert)
and exiftool reads every field back without a new warning."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import bmfffactory as b
import imagefactory as f
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from support import FULL, examples, run_cli, write_example_config

from optout_site import config
from optout_site.build import pipeline
from optout_site.build.work import stamp_image as stamp
from optout_site.errors import ImageError, Unsupported
from optout_site.images import bmff, inspect, read_xmp, xmp
from optout_site.images.container import Source

EXIFTOOL = shutil.which("exiftool")
HEIF_INFO, HEIF_CONVERT = shutil.which("heif-info"), shutil.which("heif-convert")
RIGHTS = FULL


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """name -> (input, stamped output), the exiftool-tagged files included when it runs."""
    root = tmp_path_factory.mktemp("bmff")
    inputs = {}
    for name, data in b.real_files().items():
        inputs[name] = root / name
        inputs[name].write_bytes(data)
    if EXIFTOOL:
        for name in ("rgb.avif", "rgb.heic"):
            tagged = root / f"exiftool_{name}"
            shutil.copyfile(inputs[name], tagged)
            subprocess.run(
                [EXIFTOOL, "-q", "-overwrite_original", "-XMP-dc:Title=x", str(tagged)], check=True
            )
            inputs[tagged.name] = tagged
    out = {}
    for name, path in inputs.items():
        target = root / f"out_{name}"
        assert stamp(path, target, RIGHTS).status == "changed", name
        out[name] = (path, target)
    return out


NAMES = sorted(b.real_files()) + (["exiftool_rgb.avif", "exiftool_rgb.heic"] if EXIFTOOL else [])


@pytest.mark.parametrize("name", NAMES)
def test_pixels_items_and_second_stamp(corpus: dict, name: str) -> None:
    src, dst = corpus[name]
    assert f.frames(src) == f.frames(dst)
    before, after = src.read_bytes(), dst.read_bytes()
    old_xmp = set(b.xmp_items(before))
    (xmp_id,) = b.xmp_items(after)  # replaced, never duplicated
    assert old_xmp <= {xmp_id}
    # Every other item's data is byte-identical where the new offsets point.
    kept = {k: v for k, v in b.items(before).items() if k not in old_xmp}
    assert {k: v for k, v in b.items(after).items() if k != xmp_id} == kept
    assert b.items(after)[xmp_id] == read_xmp(dst)
    primary = struct.unpack(">H", after[b.meta_children(after)[b"pitm"][0] + 4 :][:2])[0]
    assert (b"cdsc", xmp_id, [primary]) in b.references(after)
    # Boxes other than meta and our XMP data box are copied unchanged, in order.
    top = lambda d: [d[s:e] for k, s, _, e in b.walk(d, 0, len(d)) if k != b"meta"]  # noqa: E731
    assert [x for x in top(after) if read_xmp(dst) not in x] == [
        x for x in top(before) if not (old_xmp and b.items(before)[min(old_xmp)] == x[8:])
    ]
    assert stamp(dst, dst, RIGHTS).status == "unchanged" and dst.read_bytes() == after


def test_existing_xmp_is_merged_not_duplicated(corpus: dict) -> None:
    for name in ("libheif_xmp.heic", *(["exiftool_rgb.avif"] if EXIFTOOL else [])):
        summary = xmp.summary(read_xmp(corpus[name][1]) or b"")
        assert summary["data_mining"] == [f.DMI], name
    packet = read_xmp(corpus["libheif_xmp.heic"][1]) or b""
    assert b"Foreign Credit" in packet and b"harbour" in packet  # the file's own fields kept
    assert packet.count(b"<x:xmpmeta") == 1


def test_restamp_with_new_rights_drops_our_old_data_box(tmp_path: Path) -> None:
    original, src = tmp_path / "original.avif", tmp_path / "a.avif"
    original.write_bytes(_REAL["rgb.avif"])
    stamp(original, src, RIGHTS)
    first = src.read_bytes()
    stamp(src, src, dataclasses.replace(RIGHTS, creator="Someone Else", overwrite=True))
    second = src.read_bytes()
    assert b"Someone Else" in second and b"Someone Else" not in first
    assert first.count(b"<x:xmpmeta") == second.count(b"<x:xmpmeta") == 1
    assert len(second) - len(first) == len(read_xmp(src) or b"") - len(
        b.items(first)[max(b.xmp_items(first))]
    )
    assert f.frames(src) == f.frames(original)


@pytest.mark.slow  # exiftool over the corpus
@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
def test_exiftool_reads_every_field_and_warns_of_nothing_new(corpus: dict) -> None:
    outs = [str(corpus[n][1]) for n in NAMES]
    got = subprocess.run(
        [EXIFTOOL, "-j", "-n", "-struct", "-XMP:all", *outs], capture_output=True, check=True
    )
    for name, record in zip(NAMES, json.loads(got.stdout), strict=True):
        assert record["DataMining"] == f.DMI, name
        assert record["OtherConstraints"] == RIGHTS.other_constraints, name
        if name == "libheif_xmp.heic":
            # The file names another author: theirs is kept, only the reservation is ours.
            assert record["Rights"] == "(c) Foreign Owner", name
            assert record["Creator"] in (["Foreign Creator"], "Foreign Creator"), name
            for ours in ("WebStatement", "UsageTerms", "CreatorContactInfo", "Licensor"):
                assert ours not in record, (name, ours)
            continue
        assert record["WebStatement"] == RIGHTS.web_statement, name
        assert record["UsageTerms"] == RIGHTS.usage_terms, name
        assert record["Rights"] == RIGHTS.copyright, name
        assert record["Creator"] in (["Jane Doe"], "Jane Doe"), name
        assert record["CreatorContactInfo"]["CiEmailWork"] == "jane@jane.example", name
        licensor = record["Licensor"]
        assert (licensor[0] if isinstance(licensor, list) else licensor)[
            "LicensorName"
        ] == "Jane Doe"
        if name.startswith("exiftool_"):
            assert record["Title"] == "x", name
    files = [str(p) for n in NAMES for p in corpus[n]]
    got = subprocess.run(
        [EXIFTOOL, "-j", "-a", "-validate", "-warning", *files], capture_output=True, check=True
    )
    records = json.loads(got.stdout)
    for name, before, after in zip(NAMES, records[::2], records[1::2], strict=True):
        before.pop("SourceFile"), after.pop("SourceFile")
        assert after in (before, {"Validate": "OK"}), name


@pytest.mark.skipif(
    HEIF_INFO is None or HEIF_CONVERT is None, reason="libheif-examples is not installed"
)
def test_libheif_reads_xmp_and_decodes_same_pixels(corpus: dict, tmp_path: Path) -> None:
    for name in NAMES:
        src, dst = corpus[name]
        info = subprocess.run(
            [HEIF_INFO, str(dst)], capture_output=True, text=True, check=True
        ).stdout
        assert info.count("XMP:") == 1, name
        decoded = []
        for i, path in enumerate((src, dst)):
            png = tmp_path / f"{i}.png"
            subprocess.run([HEIF_CONVERT, str(path), str(png)], capture_output=True, check=True)
            with Image.open(png) as im:
                decoded.append((im.mode, im.size, im.tobytes()))
        assert decoded[0] == decoded[1], name


@pytest.mark.slow  # a whole build and check of the example site
def test_build_stamps_and_check_reads_avif_and_heic(tmp_path: Path, capsys) -> None:
    cfg = write_example_config(tmp_path)
    for name in ("rgb.avif", "rgb.heic"):
        (tmp_path / "public" / name).write_bytes(_REAL[name])
    report = pipeline.build(cfg, jobs=1, state_dir=tmp_path / "state")
    assert report.ok, report.render()
    site = config.load(cfg).sites[0]
    assert run_cli(["check", str(site.output_dir), "--json", "--config", str(cfg)]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert not [x for x in findings if x["path"] in ("/rgb.avif", "/rgb.heic")], findings
    for name in ("rgb.avif", "rgb.heic"):
        assert xmp.summary(read_xmp(site.output_dir / name) or b"")["data_mining"]


# --- hand-built files: every iloc layout, offsets checked field by field --------------------

LAYOUTS = [
    (version, off, length, base, idx, mdat)
    for version in (0, 1, 2)
    for off in (0, 4, 8)
    for length in (4, 8)
    for base in (0, 4, 8)
    for idx in ((0, 4, 8) if version else (0,))
    for mdat in ("plain", "large", "to_end")
    if off or base
    if (off, base) == (4, 4) or (length, mdat) == (4, "plain")  # every width, every box form
]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda x: "-".join(map(str, x)))
def test_handmade_offsets_are_patched(layout: tuple, tmp_path: Path) -> None:
    version, off, length, base, idx, mdat = layout
    data = b.handmade(version, off, length, base, idx, mdat)
    expected = b.handmade_items(version, off)
    assert b.items(data) == expected  # the fixture says what it means to
    src, dst = tmp_path / "in.heif", tmp_path / "out.heif"
    src.write_bytes(data)
    assert stamp(src, dst, RIGHTS).status == "changed"
    out = dst.read_bytes()
    (xmp_id,) = b.xmp_items(out)
    assert {k: v for k, v in b.items(out).items() if k != xmp_id} == expected
    assert b.items(out)[xmp_id] == read_xmp(dst)
    # Data moved by exactly the growth of meta plus our data box; base_offset carries it
    # when the item has one, the extent offsets otherwise; idat offsets never move.
    delta = out.index(b.MDAT_BODY) - data.index(b.MDAT_BODY)
    old, new = b.iloc(data), b.iloc(out)
    for item, (method, base_offset, extents) in old.items():
        if method == 1:
            assert new[item] == old[item]
        elif base_offset:
            assert new[item] == (0, base_offset + delta, extents)
        else:
            assert new[item] == (0, 0, [(o + delta, n) for o, n in extents])
    assert stamp(dst, dst, RIGHTS).status == "unchanged"


def test_multiple_extents_share_one_shift_from_base(tmp_path: Path) -> None:
    data = b.handmade(1, 4, 4, 8, 4)
    src = tmp_path / "in.heif"
    src.write_bytes(data)
    stamp(src, src, RIGHTS)
    method, base, extents = b.iloc(src.read_bytes())[1]
    assert extents == [(0, 10), (13, 7)] and base == src.read_bytes().index(b"A" * 10)


def _skipped(tmp_path: Path, data: bytes, reason: str) -> None:
    src, dst = tmp_path / "in.heic", tmp_path / "out.heic"
    src.write_bytes(data)
    result = stamp(src, dst, RIGHTS)
    assert result.status == "skipped" and reason in result.reason, result
    assert src.read_bytes() == data and not dst.exists()


def test_offset_overflow_of_a_four_byte_field_is_skipped(tmp_path: Path) -> None:
    # A sparse 4 GiB free box puts mdat near the 4-byte limit; growing meta overflows it.
    gap = (1 << 32) - 400
    free = struct.pack(">I4sQ", 1, b"free", gap)
    data = b.handmade(1, 4, 4, 0, 0, before_mdat=free, hole=gap - len(free))
    head, mdat = data[: -len(b.MDAT_BODY) - 8], data[-len(b.MDAT_BODY) - 8 :]
    src = tmp_path / "big.heic"
    with src.open("wb") as out:
        out.write(head)
        out.seek(gap - len(free), 1)
        out.write(mdat)
    result = inspect(src, RIGHTS)
    assert result.status == "skipped" and "4-byte field" in result.reason


def test_offset_into_rewritten_meta_is_skipped(tmp_path: Path) -> None:
    data = bytearray(b.handmade(1, 4, 4, 0, 0))
    # Point item 3 at the iloc box itself (inside meta, which is rewritten).
    at = data.index(struct.pack(">I", data.index(b"C" * 9)))
    data[at : at + 4] = struct.pack(">I", data.index(b"iloc"))
    _skipped(tmp_path, bytes(data), "rewrites")


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (b.movie([40], extra=b.full(b"saio", 0, bytes(8))), "auxiliary information offsets"),
        (b.movie([40]), "lies outside any mdat box"),
        (b.box(b"zzzz", b"x"), "unknown box"),
    ],
)
def test_boxes_that_may_hold_offsets_are_skipped(tmp_path: Path, extra: bytes, reason: str) -> None:
    _skipped(tmp_path, b.handmade(before_mdat=extra), reason)


def test_brand_box_is_copied_and_a_bare_sequence_skipped(tmp_path: Path) -> None:
    etyp = b.box(b"etyp", b.box(b"tyco", b"mif1avif"))
    src = tmp_path / "etyp.heif"
    src.write_bytes(b.handmade(before_mdat=etyp))
    assert stamp(src, src, RIGHTS).status == "changed"
    assert etyp in src.read_bytes()
    _skipped(tmp_path, b.FTYP + b.box(b"moov", b"") + b.box(b"mdat", b""), "no meta box")


def test_mdat_inside_meta_is_skipped(tmp_path: Path) -> None:
    data = b.handmade()
    meta = data.index(b"meta") - 4
    size = struct.unpack(">I", data[meta : meta + 4])[0]
    inner = b.box(b"mdat", b"inner")
    data = (
        data[:meta]
        + struct.pack(">I", size + len(inner))
        + data[meta + 4 : meta + size]
        + inner
        + data[meta + size :]
    )
    _skipped(tmp_path, data, "inside the meta box")


def test_animated_avif_frames_and_chunk_offsets(tmp_path: Path) -> None:
    frames = [f.noise("RGB", (16, 16), seed) for seed in range(3)]
    src, dst = tmp_path / "anim.avif", tmp_path / "out.avif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100)
    assert stamp(src, dst, RIGHTS).status == "changed"
    before, after = src.read_bytes(), dst.read_bytes()
    assert len(f.frames(src)) == 3 and f.frames(dst) == f.frames(src)
    moved = b.chunk_offsets(after)
    assert moved and moved != b.chunk_offsets(before)
    assert [after[o : o + 64] for o in moved] == [
        before[o : o + 64] for o in b.chunk_offsets(before)
    ]
    assert stamp(dst, dst, RIGHTS).status == "unchanged"


@pytest.mark.parametrize(("table", "pad"), [(b"stco", b""), (b"co64", b""), (b"stco", b"pad!")])
def test_chunk_offset_tables_are_patched(tmp_path: Path, table: bytes, pad: bytes) -> None:
    src = tmp_path / "seq.heif"
    src.write_bytes(b.with_movie(table, pad=pad))
    assert stamp(src, src, RIGHTS).status == "changed"
    data = src.read_bytes()
    assert b.movie(b.chunk_offsets(data), table, pad=pad) in data  # the table box kept its bytes
    at = data.index(b.MDAT_BODY)
    assert b.chunk_offsets(data) == [at, at + 13, at + 20]
    assert {k: v for k, v in b.items(data).items() if k not in b.xmp_items(data)} == (
        b.handmade_items(1, 4)
    )


def test_a_chunk_moves_with_the_rest_of_its_mdat(tmp_path: Path) -> None:
    # A chunk starting on the last byte of a box it does not belong to: the offset table
    # cannot say how long it is, so it is not moved as if it were one byte long.
    data = bytearray(b.with_movie())
    at = data.index(b"stco") + 12
    data[at : at + 4] = struct.pack(">I", data.index(b"moov") - 5)  # last byte of meta
    _skipped(tmp_path, bytes(data), "lies outside any mdat box")


def test_our_old_data_box_is_kept_when_a_chunk_points_into_it(tmp_path: Path) -> None:
    src = tmp_path / "seq.heif"
    src.write_bytes(b.with_movie())
    stamp(src, src, RIGHTS)
    data = bytearray(src.read_bytes())
    first = data.index(b.MDAT_BODY)
    ours = data.index(b"<?xpacket begin")
    at = data.index(b"stco") + 12  # type, version and flags, entry count
    assert data[at : at + 4] == struct.pack(">I", first)
    data[at : at + 4] = struct.pack(">I", ours)
    src.write_bytes(data)
    changed = dataclasses.replace(RIGHTS, creator="Someone Else", overwrite=True)
    assert stamp(src, src, changed).status == "changed"
    out = src.read_bytes()
    assert out[b.chunk_offsets(out)[0] :].startswith(bytes(data[ours : ours + 40]))


def test_c2pa_uuid_box_marks_the_file(tmp_path: Path) -> None:
    uuid = b.box(b"uuid", b.C2PA_UUID + b"manifest store")
    src = tmp_path / "signed.avif"
    src.write_bytes(b.handmade(before_mdat=uuid))
    with src.open("rb") as handle:
        assert bmff.parse(Source(handle.fileno())).c2pa
    _skipped(tmp_path, b.handmade(before_mdat=uuid), "C2PA")


def test_truncated_anywhere_is_refused(tmp_path: Path) -> None:
    for name, data in [
        ("hand.heif", b.handmade(2, 8, 8, 8, 4)),
        ("rgb.avif", b.real_files()["rgb.avif"]),
    ]:
        for cut in sorted({0, 1, 7, 12, 40, len(data) // 2, len(data) - 9, len(data) - 1}):
            src = tmp_path / f"{cut}_{name}"
            src.write_bytes(data[:cut])
            with pytest.raises(ImageError):
                stamp(src, tmp_path / f"out_{cut}_{name}", RIGHTS)
            assert not (tmp_path / f"out_{cut}_{name}").exists()


def test_extent_one_byte_past_the_end_is_corrupt(tmp_path: Path) -> None:
    data = bytearray(b.handmade(1, 4, 4, 0, 0, mdat="to_end"))
    src = tmp_path / "in.heif"
    src.write_bytes(data)
    assert stamp(src, tmp_path / "ok.heif", RIGHTS).status == "changed"  # item 3 ends at EOF
    at = data.index(struct.pack(">II", data.index(b"C" * 9), 9))
    data[at + 4 : at + 8] = struct.pack(">I", 10)
    src.write_bytes(data)
    with pytest.raises(ImageError) as info:
        stamp(src, tmp_path / "out.heif", RIGHTS)
    assert "runs past the end of the file" in info.value.detail  # the technical account


def test_item_box_cut_short_is_corrupt(tmp_path: Path) -> None:
    data = b.handmade(1, 4, 4, 0, 0)
    start = data.index(b"iloc") - 4
    (length,) = struct.unpack(">I", data[start : start + 4])
    cut = 6  # the last extent's length field loses its bytes; the box says so
    meta = data.index(b"meta") - 4
    (meta_size,) = struct.unpack(">I", data[meta : meta + 4])
    shorter = (
        data[:meta]
        + struct.pack(">I", meta_size - cut)
        + data[meta + 4 : start]
        + struct.pack(">I", length - cut)
        + data[start + 4 : start + length - cut]
        + data[start + length :]
    )
    src = tmp_path / "in.heif"
    src.write_bytes(shorter)
    with pytest.raises(ImageError) as info:
        stamp(src, tmp_path / "out.heif", RIGHTS)
    assert str(info.value) == "non-standard AVIF/HEIC we do not modify; browsers may still show it"
    assert re.search("iloc box at byte offset .* is cut short", info.value.detail)


# --- properties ----------------------------------------------------------------------------

SETTINGS = settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _parse(data: bytes) -> None:
    with tempfile.TemporaryFile() as handle:
        handle.write(data)
        handle.flush()
        try:
            container = bmff.parse(Source(handle.fileno()))
            container.plan(b"<x/>", RIGHTS)
        except (ImageError, Unsupported):
            pass


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_image_errors(tail: bytes) -> None:
    _parse(b.FTYP + tail)


@pytest.mark.slow  # decodes each surviving mutant twice
@SETTINGS
@given(st.data())
def test_mutated_files_fail_cleanly_or_keep_pixels(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["rgb.avif", "rgb.heic", "hand", "seq"]))
    made = {"hand": b.handmade(2, 4, 8, 4, 4), "seq": b.with_movie(b"co64")}
    original = made.get(name) or _REAL[name]
    raw = bytearray(original)
    end = raw.index(b"mdat") + 4  # the header and meta: where every offset lives
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, end - 1))] = data.draw(st.integers(0, 255))
    _parse(bytes(raw))
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / f"in.{name}", Path(tmp) / f"out.{name}"
        src.write_bytes(bytes(raw))
        try:
            result = stamp(src, dst, RIGHTS)
        except ImageError:
            return
        if result.status != "changed":
            return
        if name in made:
            out, before_chunks = dst.read_bytes(), b.chunk_offsets(bytes(raw))
            assert [out[o : o + 4] for o in b.chunk_offsets(out)] == [
                raw[o : o + 4] for o in before_chunks
            ]
            assert {
                k: v
                for k, v in b.items(dst.read_bytes()).items()
                if k not in b.xmp_items(dst.read_bytes())
            } == {k: v for k, v in b.items(bytes(raw)).items()}
            return
        try:
            before = f.frames(src)
        except Exception:  # the mutation broke the image itself: nothing to compare
            return
        assert f.frames(dst) == before


_REAL = b.real_files()


@pytest.mark.parametrize("version", [0, 1, 2])
def test_iinf_versions_with_a_32_bit_count_are_read(tmp_path: Path, version: int) -> None:
    """Version 2 occurs in real HEIC files (exiftool's and exiv2's test images); every
    version past 0 counts entries in 32 bits."""
    data = b.handmade(iinf_version=version)
    src = tmp_path / "in.heif"
    src.write_bytes(data)
    out = tmp_path / "out.heif"
    assert stamp(src, out, RIGHTS).status == "changed"
    assert b"DataMining" in (read_xmp(out) or b"")
    assert stamp(out, tmp_path / "again.heif", RIGHTS).status == "unchanged"


def test_an_unknown_iinf_version_is_skipped(tmp_path: Path) -> None:
    src = tmp_path / "in.heif"
    src.write_bytes(b.handmade(iinf_version=3))
    result = stamp(src, tmp_path / "out.heif", RIGHTS)
    assert result.status == "skipped" and "iinf box version 3" in result.reason
