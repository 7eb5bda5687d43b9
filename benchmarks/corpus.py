"""Real-world image corpus: what we stamp, what exiftool stamps, and why the rest is not.

    python benchmarks/corpus.py --fetch CACHE          # download the corpus (needs deb-src)
    python benchmarks/corpus.py CACHE [--table OUT.md] # stamp it, verify it, print the table

Not a test (tests read only what is in the repository). The corpus is the test images of
projects that collect odd real-world files, from package registries:

* Pillow's sdist ``Tests/images`` (``pip download --no-binary :all: pillow``);
* the Debian source packages of exiftool (``t/images``), exiv2 (``test/data``) and
  libheif (``apt-get source --download-only``; needs a ``deb-src`` line in apt's sources).

Every file our extensions call an image is copied twice into a scratch folder; ours are
stamped through the build's own atomic writer, exiftool's by one batch process writing
the same kind of XMP (``-XMP-dc:Rights``, ``-XMP-xmpRights:Marked``; Debian's 12.57
cannot write ``plus:DataMining``) **without** ``-m``, so both refuse what looks unsafe.
Each file we stamp is then verified from outside:

* Pillow decodes identical pixels, every frame (where Pillow opens the original);
* ``exiftool -validate`` reports no warning the original did not have;
* every tag exiftool reads outside the XMP and file-system groups is kept, same value.

A file we do not stamp must come out byte-identical (the build copies it through); the
table groups those by the reason we give.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.images import RIGHTS  # noqa: E402  (the same rights as the speed benchmark)
from optout_site.build.work import stamp_image  # noqa: E402
from optout_site.errors import ImageError  # noqa: E402
from optout_site.images import is_image  # noqa: E402

SOURCES = {
    "Pillow Tests/images": "pillow-*/Tests/images",
    "exiftool t/images": "Image-ExifTool-*/t/images",
    "exiv2 test/data": "exiv2-*/test/data",
    "libheif": "libheif-*",
}
# Groups whose tags a stamp is allowed to change: ours (XMP) and the file system's.
OWN_GROUPS = ("XMP", "File", "System", "ExifTool", "Composite")
# Tags a correct stamp must change, and why.
EXPECTED_CHANGES = {
    "GIF:GIFVersion": "an XMP application extension needs GIF89a",
    "RIFF:WebP_Flags": "the VP8X header flags that an XMP chunk is present",
    "MPImage1:MPImageLength": "the MP Index records the first image's new size",
}
# Absolute file offsets move when a segment grows before them; what they point at is
# compared instead (exiftool -b extracts it).
EMBEDDED = ("ThumbnailImage", "PreviewImage", "JpgFromRaw", "OtherImage", "MPImage2", "MPImage3")


def fetch(cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
    subprocess.run([*pip, "pillow==11.3.0", "-d", str(cache)], check=True)
    subprocess.run(
        ["apt-get", "source", "--download-only", "libimage-exiftool-perl", "exiv2", "libheif"],
        cwd=cache,
        check=True,
    )
    for archive in [*cache.glob("*.tar.gz"), *cache.glob("*.orig.tar.xz")]:
        with tarfile.open(archive) as tar:
            tar.extractall(cache, filter="data")


def _corpus(cache: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for name, pattern in SOURCES.items():
        roots = sorted(cache.glob(pattern))
        files = [p for root in roots for p in sorted(root.rglob("*")) if p.is_file()]
        found[name] = [p for p in files if is_image(p) and not p.is_symlink()]
    return found


def _exiftool_json(paths: list[Path], *args: str) -> dict[str, dict[str, Any]]:
    if not paths:
        return {}
    run = subprocess.run(
        ["exiftool", "-j", "-a", "-G1", "-n", *args, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    rows = json.loads(run.stdout or "[]")
    return {row["SourceFile"]: row for row in rows}


def _exiftool_write(folder: Path) -> set[str]:
    """Names exiftool writes without -m (one batch process); the rest it refuses."""
    run = subprocess.run(
        [
            "exiftool",
            "-overwrite_original",
            "-XMP-dc:Rights=(c) 2025 Jane Doe. All rights reserved.",
            "-XMP-xmpRights:Marked=True",
            str(folder),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    refused = {
        Path(line.rsplit(" - ", 1)[1]).name
        for line in run.stderr.splitlines()
        if line.startswith("Error") and " - " in line
    }
    return {p.name for p in folder.iterdir()} - refused


def _pixels(path: Path) -> list[bytes] | None:
    from PIL import Image

    try:
        with Image.open(path) as image:
            frames = []
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                frames.append(image.tobytes())
            return frames
    except Exception:
        return None


def _kept_tags(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    def theirs(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if ":" in k and not k.startswith(OWN_GROUPS)}

    old, new = theirs(before), theirs(after)
    changed = (k for k in old if new.get(k) != old[k] and k not in EXPECTED_CHANGES)
    return sorted(k for k in changed if not k.endswith(("Offset", "Offsets", "Start")))


def _embedded_moved(before: Path, after: Path) -> bool:
    """True when embedded images (thumbnail, preview, MPF frames) differ after a stamp."""
    tags = [f"-{tag}" for tag in EMBEDDED]
    old, new = (
        subprocess.run(["exiftool", "-b", *tags, str(p)], capture_output=True).stdout
        for p in (before, after)
    )
    return old != new


def _warnings(row: dict[str, Any]) -> set[str]:
    values = [v for k, v in row.items() if k.endswith(":Warning") or k == "Warning"]
    return {str(v) for v in values}


def run(cache: Path) -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, files in _corpus(cache).items():
            orig, ours, theirs = (Path(tmp, name, d) for d in ("orig", "ours", "exiftool"))
            for folder in (orig, ours, theirs):
                folder.mkdir(parents=True)
            for index, path in enumerate(files):
                flat = f"{index:04d}-{path.name}"
                for folder in (orig, ours, theirs):
                    shutil.copyfile(path, folder / flat)
            reasons: collections.Counter[str] = collections.Counter()
            stamped: list[Path] = []
            for path in sorted(ours.iterdir()):
                try:
                    result = stamp_image(path, path, RIGHTS)
                except ImageError as exc:
                    reasons[f"error: {str(exc).split(': ', 1)[-1][:70]}"] += 1
                    continue
                if result.status == "skipped":
                    reasons[result.reason[:80]] += 1
                else:
                    stamped.append(path)
            by_exiftool = _exiftool_write(theirs)
            # Verify from outside: pixels, validation warnings, every other tag.
            before = _exiftool_json([orig / p.name for p in stamped], "-validate", "-warning")
            after = _exiftool_json(stamped, "-validate", "-warning")
            for path in stamped:
                src, row = orig / path.name, after.get(str(path), {})
                old_px = _pixels(src)
                if old_px is not None and _pixels(path) != old_px:
                    failures.append(f"{name}: {path.name}: pixels differ")
                new_warnings = _warnings(row) - _warnings(before.get(str(src), {}))
                if new_warnings:
                    failures.append(f"{name}: {path.name}: new warning {sorted(new_warnings)}")
            tags_before = _exiftool_json([orig / p.name for p in stamped])
            tags_after = _exiftool_json(stamped)
            for path in stamped:
                lost = _kept_tags(
                    tags_before.get(str(orig / path.name), {}), tags_after.get(str(path), {})
                )
                if lost:
                    failures.append(f"{name}: {path.name}: changed {lost[:5]}")
                row = tags_before.get(str(orig / path.name), {})
                offsets = any(k.endswith(("Offset", "Offsets", "Start")) for k in row)
                if offsets and _embedded_moved(orig / path.name, path):
                    failures.append(f"{name}: {path.name}: embedded images differ")
            for path in sorted(ours.iterdir()):
                if path not in stamped and path.read_bytes() != (orig / path.name).read_bytes():
                    failures.append(f"{name}: {path.name}: not stamped but changed")
            ours_names = {p.name for p in stamped}
            rows.append(
                {
                    "source": name,
                    "files": len(files),
                    "ours": len(ours_names),
                    "exiftool": len(by_exiftool),
                    "exiftool_only": sorted(by_exiftool - ours_names),
                    "ours_only": len(ours_names - by_exiftool),
                    "reasons": reasons,
                }
            )
    return rows, failures


def table(rows: list[dict[str, Any]], failures: list[str]) -> str:
    lines = [
        "| corpus | image files | stamped by us | stamped by exiftool | exiftool only | we only |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['source']} | {row['files']} | {row['ours']} | {row['exiftool']} | "
            f"{len(row['exiftool_only'])} | {row['ours_only']} |"
        )
    lines += ["", "Copied through unchanged, by reason:", ""]
    for row in rows:
        for reason, count in row["reasons"].most_common():
            lines.append(f"- {row['source']}: {count} × {reason}")
    lines += ["", "Stamped by exiftool but not by us:", ""]
    for row in rows:
        for name in row["exiftool_only"]:
            lines.append(f"- {row['source']}: {name}")
    lines += ["", f"Verification failures: {len(failures)}", ""]
    lines += [f"- {f}" for f in failures]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cache", type=Path)
    parser.add_argument("--fetch", action="store_true", help="download the corpus first")
    parser.add_argument("--table", type=Path, help="also write the table here")
    args = parser.parse_args()
    if args.fetch:
        fetch(args.cache)
    rows, failures = run(args.cache)
    text = table(rows, failures)
    print(text)
    if args.table:
        args.table.write_text(text, encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
