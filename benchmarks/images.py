"""Benchmark: stamping a photo corpus vs ``cp -r`` vs exiftool (not a test).

    python benchmarks/images.py [--count N] [--megapixels M] [--repeat R] [--keep] [--c2pa]

Builds a corpus in a temp dir (``--count`` JPEGs of ``--megapixels`` MP with EXIF, a
quarter of them with an existing XMP packet, plus ``count // 10`` PNGs and WebPs of a
tenth of that size), then times, ``--repeat`` times each, with warm caches:

* ``cp -r`` of the corpus into a new folder (the floor: bytes must move at least once);
* our stamping into a new folder (ProcessPoolExecutor, os.cpu_count() workers);
* exiftool, one process in batch mode, ``-o NEWDIR/``;
* in place: ours (temp file + fsync + rename per file) vs ``exiftool -overwrite_original``;
* with ``--c2pa`` (needs ``optout-site[c2pa]``): ours stamping *and* signing Content
  Credentials into a new folder, with a test certificate made in the temp dir.

Only a few base images are encoded with Pillow; the rest are byte copies varied by a
COM segment / text chunk carrying their index, so generation stays fast while every
file is distinct. Prints a markdown table of medians, MB/s and ratios.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import io
import os
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402

from optout_site.build.work import stamp_image as stamp  # noqa: E402
from optout_site.c2pa.signing import Signing  # noqa: E402  (imports c2pa only when signing)
from optout_site.images import Contact, ImageRights  # noqa: E402

DMI = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"
RIGHTS = ImageRights(
    data_mining=DMI,
    other_constraints=None,
    web_statement="https://jane.example/licensing",
    usage_terms="No use for AI/ML training or text and data mining.",
    copyright="(c) 2025 Jane Doe. All rights reserved.",
    creator="Jane Doe",
    contact=Contact(name="Jane Doe", email="licensing@jane.example", url="https://jane.example"),
)
SMALL_XMP = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta '
    b'xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
    b' xmp:Rating="4" xmp:CreatorTool="Camera FW 1.2"/></rdf:RDF></x:xmpmeta>'
    b'<?xpacket end="w"?>'
)


def _photo(megapixels: float, seed: int) -> Image.Image:
    """Gradient + noise: compresses like a photo (a few MB per 12 MP at q90)."""
    w = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    h = int(w * 3 / 4)
    small = Image.frombytes(
        "RGB", (w // 8, h // 8), random.Random(seed).randbytes((w // 8) * (h // 8) * 3)
    )
    base = small.resize((w, h), Image.Resampling.BICUBIC)
    grain = Image.frombytes("RGB", (w, h), random.Random(seed + 1).randbytes(w * h * 3))
    return Image.blend(base, grain, 0.12)


def _exif(seed: int) -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "BenchCam", f"Model {seed}", 1
    exif.get_ifd(0x8769)[0x9003] = "2024:05:01 10:00:00"
    return exif.tobytes()


def _encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def _vary_jpeg(data: bytes, index: int) -> bytes:
    com = f"corpus file {index}".encode()
    return data[:2] + b"\xff\xfe" + struct.pack(">H", len(com) + 2) + com + data[2:]


def _vary_png(data: bytes, index: int) -> bytes:
    body = b"Comment\x00" + f"corpus file {index}".encode()
    chunk = (
        struct.pack(">I", len(body))
        + b"tEXt"
        + body
        + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    )
    return data[:33] + chunk + data[33:]  # right after IHDR


def build_corpus(folder: Path, count: int, megapixels: float) -> int:
    folder.mkdir(parents=True)
    bases = []
    for seed in range(4):
        im = _photo(megapixels, seed)
        params: dict[str, object] = {"quality": 90, "exif": _exif(seed)}
        if seed == 3:
            params["xmp"] = SMALL_XMP
        bases.append(_encode(im, "JPEG", **params))
    small = _photo(max(megapixels / 10, 0.1), 9)
    png = _encode(small, "PNG", compress_level=6)
    webp = _encode(small, "WEBP", quality=85)
    total = 0
    for i in range(count):
        data = _vary_jpeg(bases[i % 4], i)
        (folder / f"img{i:05d}.jpg").write_bytes(data)
        total += len(data)
    for i in range(count // 10):
        for ext, data in (("png", _vary_png(png, i)), ("webp", webp)):
            if ext == "webp":  # RIFF: append a distinct unknown chunk, fix the size
                extra = b"JUNK" + struct.pack("<I", 4) + struct.pack("<I", i)
                data = data[:4] + struct.pack("<I", len(data) - 8 + len(extra)) + data[8:] + extra
            (folder / f"small{i:05d}.{ext}").write_bytes(data)
            total += len(data)
    return total


def _stamp_one(pair: tuple[str, str]) -> str:
    return stamp(Path(pair[0]), Path(pair[1]), RIGHTS).status


def _sign_one(signing: Signing, pair: tuple[str, str]) -> str:
    from optout_site.build import signed
    from optout_site.build.plan import Task

    src, dst = Path(pair[0]), Path(pair[1])
    task = Task(dst.name, src, dst, "image", False, image=RIGHTS, signing=signing)
    return signed.process(task, untouched=False).action


def ours(src: Path, dst: Path, signing: Signing | None = None) -> None:
    dst.mkdir(exist_ok=True)
    pairs = [(str(p), str(dst / p.name)) for p in sorted(src.iterdir())]
    one = _stamp_one if signing is None else functools.partial(_sign_one, signing)
    with concurrent.futures.ProcessPoolExecutor(os.cpu_count()) as pool:
        statuses = list(pool.map(one, pairs, chunksize=8))
    assert all(s == "changed" for s in statuses), set(statuses)


def c2pa_signing(folder: Path) -> Signing:
    """A Signing with a test certificate and the photographer's reservation."""
    import json

    from optout_site.c2pa import certs, statement
    from optout_site.config import C2paConfig
    from optout_site.policy import ALL_USES, Decision

    made = certs.make(folder, "Benchmark")
    said = statement.assertions(Decision(ALL_USES), "https://jane.example/ai-reservation/")
    config = C2paConfig(enabled=True, cert=made.chain, key=made.key)
    return Signing(json.dumps(said, sort_keys=True), config)


def exiftool_args() -> tuple[list[str], str]:
    version = subprocess.run(
        ["exiftool", "-ver"], capture_output=True, text=True, check=True
    ).stdout.strip()
    args = [
        f"-XMP-dc:Rights={RIGHTS.copyright}",
        f"-XMP-dc:Creator={RIGHTS.creator}",
        "-XMP-xmpRights:Marked=True",
        f"-XMP-xmpRights:WebStatement={RIGHTS.web_statement}",
        f"-XMP-xmpRights:UsageTerms={RIGHTS.usage_terms}",
    ]
    fields = "XMP-dc:Rights, Creator, xmpRights:Marked/WebStatement/UsageTerms"
    if tuple(int(x) for x in version.split(".")[:2]) >= (12, 67):
        args.append("-XMP-plus:DataMining=DMI-PROHIBITED-AIMLTRAINING")
        fields += ", XMP-plus:DataMining"
    else:
        fields += f" (exiftool {version} cannot write XMP-plus:DataMining; needs >= 12.67)"
    return args, fields


def timed(fn: Callable[[], object], prepare: Callable[[], object], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        prepare()
        subprocess.run(["sync"], check=True)
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument("--c2pa", action="store_true", help="also stamp + sign (C2PA)")
    args = parser.parse_args()
    if not shutil.which("exiftool"):
        sys.exit("exiftool is required for the comparison")
    root = Path(tempfile.mkdtemp(prefix="optout-bench-", dir=os.environ.get("BENCH_DIR")))
    try:
        run(root, args)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def run(root: Path, args: argparse.Namespace) -> None:
    corpus = root / "corpus"
    t0 = time.perf_counter()
    size = build_corpus(corpus, args.count, args.megapixels)
    files = len(list(corpus.iterdir()))
    print(
        f"corpus: {files} files, {size / 1e6:.1f} MB, built in {time.perf_counter() - t0:.1f} s"
        f" ({os.cpu_count()} CPUs)\n",
        file=sys.stderr,
    )
    out = root / "out"
    work = root / "work"

    def fresh_out() -> None:
        shutil.rmtree(out, ignore_errors=True)

    def fresh_work() -> None:
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(corpus, work)

    ex_args, fields = exiftool_args()
    cases = {
        "cp -r (new folder)": (
            lambda: subprocess.run(["cp", "-r", str(corpus), str(out)], check=True),
            fresh_out,
        ),
        "ours (new folder)": (lambda: ours(corpus, out), fresh_out),
        "exiftool -o (new folder)": (
            lambda: _exiftool(["-o", f"{out}/", *ex_args, str(corpus)], out),
            fresh_out,
        ),
        "ours (in place)": (lambda: ours(work, work), fresh_work),
        "exiftool -overwrite_original (in place)": (
            lambda: _exiftool(["-overwrite_original", *ex_args, str(work)], None),
            fresh_work,
        ),
    }
    if args.c2pa:
        signing = c2pa_signing(root / "cert")
        cases["ours + C2PA signing (new folder)"] = (
            lambda: ours(corpus, out, signing),
            fresh_out,
        )
    medians = {}
    rows = []
    for name, (fn, prepare) in cases.items():
        runs = timed(fn, prepare, args.repeat)
        medians[name] = statistics.median(runs)
        rows.append(
            f"| {name} | {medians[name]:.2f} | {size / 1e6 / medians[name]:,.0f} | "
            + ", ".join(f"{r:.2f}" for r in runs)
            + " |"
        )
    print(
        f"{files} files, {size / 1e6:.1f} MB ({args.count} JPEGs of {args.megapixels:g} MP "
        f"with EXIF + {args.count // 10} PNG + {args.count // 10} WebP); "
        f"{os.cpu_count()} workers; warm cache; median of {args.repeat}\n"
    )
    print("| operation | median s | MB/s | runs (s) |")
    print("|---|---:|---:|---|")
    print("\n".join(rows))
    cp, new, ex = (
        medians[k] for k in ("cp -r (new folder)", "ours (new folder)", "exiftool -o (new folder)")
    )
    ours_ip = medians["ours (in place)"]
    ex_ip = medians["exiftool -overwrite_original (in place)"]
    print(
        f"\n| ratio | value |\n|---|---:|\n| ours / cp (new folder) | {new / cp:.2f} |\n"
        f"| exiftool / ours (new folder) | {ex / new:.2f} |\n"
        f"| exiftool / ours (in place) | {ex_ip / ours_ip:.2f} |"
    )
    if args.c2pa:
        signed = medians["ours + C2PA signing (new folder)"]
        print(
            f"| ours + C2PA / cp (new folder) | {signed / cp:.2f} |\n"
            f"| ours + C2PA / ours (new folder) | {signed / new:.2f} |"
        )
    print(
        f"\nexiftool fields written: {fields}. Ours: plus:DataMining, plus:Licensor, dc:rights, "
        "dc:creator, xmpRights:Marked/WebStatement/UsageTerms, Iptc4xmpCore:CreatorContactInfo."
    )


def _exiftool(argv: list[str], out: Path | None) -> None:
    if out is not None:
        out.mkdir(exist_ok=True)
    subprocess.run(["exiftool", "-q", "-q", *argv], check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
