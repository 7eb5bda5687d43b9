"""What a file is, page, image or neither, decided once: the build stamps exactly the files
``check`` and the log audit count as pages and images (``build.plan.kind_of``, from
``html.SUFFIXES`` and the image plugins' ``EXTENSIONS``)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import JANE_SITE, load_site

from optout_site import images, paths
from optout_site.build.plan import kind_of, plan
from optout_site.build.scan import Entry
from optout_site.check.sources import FolderSource

# Written by hand from the formats the image plugins parse (JPEG and its JFIF/JPE
# spellings, PNG and animated PNG, WebP, TIFF, GIF, and the ISO-BMFF family).
IMAGES = (".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".apng", ".webp", ".tif", ".tiff", ".gif")
IMAGES += (".avif", ".heic", ".heif")
PAGES = (".html", ".htm", ".xhtml")
NEITHER = (".bmp", ".svg", ".jxl", ".css", ".js", ".txt", ".xml", ".json", ".pdf", "")


@pytest.mark.parametrize(
    ("suffix", "kind"),
    [(s, "image") for s in IMAGES] + [(s, "page") for s in PAGES] + [(s, None) for s in NEITHER],
)
def test_a_url_path_is_counted_by_the_suffixes_the_build_stamps(suffix, kind):
    for spelled in (suffix, suffix.upper()):
        assert kind_of(f"/a/b/file{spelled}") == kind
        assert kind_of(f"/a/b/file{spelled}?v=2") == kind
    assert images.is_image(Path(f"x{suffix}")) == (kind == "image")


def test_a_folder_url_is_a_page():
    assert kind_of("/") == kind_of("/gallery/") == kind_of("/gallery.jpg/") == "page"


def test_the_image_suffixes_are_the_plugins():
    assert images.suffixes() == frozenset(IMAGES)


_NAME = st.text(
    alphabet=st.sampled_from("aZ.?%#é "),
    max_size=6,
).map(lambda stem: "f" + stem)
_SUFFIX = st.sampled_from(IMAGES + PAGES + NEITHER + (".JPG", ".Html", ".jpg.txt"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    # Read only: one config for every test and every Hypothesis example.
    return load_site(tmp_path_factory.mktemp("kinds"), JANE_SITE)


def test_check_counts_a_built_folder_the_way_the_build_plans_it(site, tmp_path):
    names = [f"f{s}" for s in IMAGES + PAGES + NEITHER if s] + ["noext"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    source = FolderSource(tmp_path)
    planned = {
        paths.file_url_path(name): plan(site, _entry(site, name), dry_run=True).kind
        for name in names
    }
    assert set(source.images()) == {p for p, kind in planned.items() if kind == "image"}
    assert set(source.pages()) == {p for p, kind in planned.items() if kind == "page"}
    assert len(source.images()) == len(IMAGES) and len(source.pages()) == len(PAGES)


@given(stem=_NAME, suffix=_SUFFIX)
def test_plan_and_kind_of_agree_on_any_file_name(site, stem, suffix):
    name = stem + suffix
    planned = plan(site, _entry(site, name), dry_run=True).kind
    assert (kind_of(paths.file_url_path(name)) or "file") == planned


def _entry(site, name: str) -> Entry:
    return Entry(PurePosixPath(name), site.input / name)
