"""Benchmark: stamping images, one format at a time, vs ``cp -r`` and ExifTool 13.x (not a test).

    python benchmarks/images.py [--formats jpeg-web,png,...] [--scale S] [--repeat R]
        [--impl NAME=PYTHONPATH ...] [--exiftool-cache DIR] [--ci-durability] [--c2pa] [--keep]

ExifTool 13.x (Debian's 12.57 cannot write ``plus:DataMining``) comes from npm, into a
cache folder of your choice (the default is the one below)::

    npm install --prefix ~/.cache/optout-site-bench/exiftool exiftool-vendored.pl

The script looks for ``node_modules/exiftool-vendored.pl/bin/exiftool`` there, then for an
``exiftool`` on PATH of version 13 or later; without one the ExifTool rows say "n/a".

For each format of :mod:`imageformats` (JPEG camera-size and web-size, PNG, WebP, TIFF,
GIF, AVIF; never a mixed corpus) it builds a corpus of N files and one of a single file,
then times, ``--repeat`` times each with warm caches, whole processes as a user runs them:

* ``cp -r`` of the corpus into a new folder (the floor: every byte moves once, no fsync);
* ``optout-site build`` of a site holding only those images, into a new folder and in
  place (a fresh state folder each run, so every image is stamped; in place, each
  replaced file is fsynced, ``OPTOUT_SITE_DURABILITY`` unset; ``--ci-durability`` adds a
  row with it set to ``ci``), with bytecode caches on as after a pip install;
* ExifTool, one process in batch mode, ``-o NEWDIR/`` and ``-overwrite_original``,
  writing the very fields and values our build wrote (read back from our output of the
  single-file corpus), ``optout:Owned`` excepted (a namespace ExifTool does not know);
* with ``--c2pa``: our stamping and signing through the Python API into a new folder.

The marginal cost per image is ``(T(N) - T(1)) / (N - 1)`` for cp, our build and ExifTool
into a new folder; the fixed cost is what one file costs beyond it. Each run's CPU time
(user + system of the child processes) is reported next to its wall time: on a shared
machine it is the figure other people's load disturbs least. ``--impl`` runs our
rows once per named source tree (``before=/tmp/old-checkout``), in the same run, so a
before/after comparison shares the machine's load. Prints markdown tables of medians.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import imageformats  # noqa: E402

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
CACHE = Path.home() / ".cache" / "optout-site-bench" / "exiftool"


def build_corpus(folder: Path, count: int, megapixels: float) -> int:
    """A mixed photo folder for benchmarks/site.py: ``count`` camera JPEGs (a quarter with
    XMP) plus ``count // 10`` PNGs and WebPs of a tenth of the size."""
    folder.mkdir(parents=True)
    camera = imageformats.BY_NAME["jpeg-camera"]
    bases = [camera.encode(imageformats.photo(megapixels, seed), seed) for seed in range(4)]
    small = imageformats.photo(max(megapixels / 10, 0.1), 9)
    png = imageformats.encode(small, "PNG", compress_level=6)
    webp = imageformats.encode(small, "WEBP", quality=85)
    files = [(f"img{i:05d}.jpg", imageformats.vary_jpeg(bases[i % 4], i)) for i in range(count)]
    for i in range(count // 10):
        files.append((f"small{i:05d}.png", imageformats.vary_png(png, i)))
        files.append((f"small{i:05d}.webp", imageformats.vary_webp(webp, i)))
    for name, data in files:
        (folder / name).write_bytes(data)
    return sum(len(data) for _, data in files)


def _stamp_one(pair: tuple[str, str]) -> str:
    return stamp(Path(pair[0]), Path(pair[1]), RIGHTS).status


def _sign_one(signing: Signing, pair: tuple[str, str]) -> str:
    from optout_site.build import signed
    from optout_site.build.plan import Task

    src, dst = Path(pair[0]), Path(pair[1])
    task = Task(dst.name, src, dst, "image", False, image=RIGHTS, signing=signing)
    return signed.process(task, untouched=False).action


def ours(src: Path, dst: Path, signing: Signing | None = None) -> None:
    """Stamp every file of ``src`` into ``dst`` through the Python API, a process pool."""
    dst.mkdir(exist_ok=True)
    pairs = [(str(p), str(dst / p.name)) for p in sorted(src.iterdir())]
    one = _stamp_one if signing is None else functools.partial(_sign_one, signing)
    with concurrent.futures.ProcessPoolExecutor(os.cpu_count()) as pool:
        statuses = list(pool.map(one, pairs, chunksize=8))
    assert all(s == "changed" for s in statuses), set(statuses)


def c2pa_signing(folder: Path) -> Signing:
    """A Signing with a test certificate and the photographer's reservation."""
    from optout_site.c2pa import certs, statement
    from optout_site.config import C2paConfig
    from optout_site.policy import ALL_USES, Decision

    made = certs.make(folder, "Benchmark")
    said = statement.assertions(Decision(ALL_USES), "https://jane.example/ai-reservation/")
    config = C2paConfig(enabled=True, cert=made.chain, key=made.key)
    return Signing(json.dumps(said, sort_keys=True), config)


def exiftool_args() -> tuple[list[str], str]:
    """ExifTool arguments writing :data:`RIGHTS` (for benchmarks/site.py's API comparison)."""
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
    return [wall for wall, _cpu in timed_cpu(fn, prepare, repeat)]


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed_cpu(
    fn: Callable[[], object], prepare: Callable[[], object], repeat: int
) -> list[tuple[float, float]]:
    """(wall s, CPU s of the child processes) per run. On a shared machine the CPU time
    is the figure other people's load disturbs least; the wall time is what a user waits."""
    runs = []
    for _ in range(repeat):
        prepare()
        subprocess.run(["sync"], check=True)
        cpu = _children_cpu()
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start, _children_cpu() - cpu))
    return runs


def find_exiftool(cache: Path) -> tuple[str, str] | None:
    """(path, version) of an ExifTool 13.x or later, or None."""
    vendored = cache / "node_modules" / "exiftool-vendored.pl" / "bin" / "exiftool"
    for exe in (str(vendored), shutil.which("exiftool")):
        if exe is None or not os.access(exe, os.X_OK):
            continue
        version = subprocess.run([exe, "-ver"], capture_output=True, text=True).stdout.strip()
        if version and int(version.split(".")[0]) >= 13:
            return exe, version
    return None


def same_fields(exe: str, stamped: Path) -> list[str]:
    """ExifTool arguments that write what our build wrote into ``stamped`` (raw values,
    ``#``: no print conversion; structures by ExifTool's flattened tag names), our own
    ``optout:Owned`` record excepted."""
    out = subprocess.run(
        [exe, "-j", "-n", "-G1", "-XMP:all", str(stamped)],
        capture_output=True,
        text=True,
        check=True,
    )
    args = []
    for tag, value in json.loads(out.stdout)[0].items():
        group = tag.split(":")[0]
        if not group.startswith("XMP-") or group in ("XMP-x", "XMP-optout"):
            continue
        for item in value if isinstance(value, list) else [value]:
            args.append(f"-{tag}#={item}")
    return args


def write_config(root: Path, name: str, site: Path, output: Path | None) -> Path:
    cfg = root / f"sites-{name}.yaml"
    out = f"    output: {output}\n" if output is not None else ""
    cfg.write_text(
        "sites:\n"
        f"  - name: bench\n    url: https://jane.example\n    input: {site}\n{out}"
        "    reserve: [tdm, train, ai-input]\n"
        "    rightsholder: {name: Jane Doe, email: licensing@jane.example,"
        " url: 'https://jane.example'}\n",
        encoding="utf-8",
    )
    return cfg


def build_cmd(cfg: Path, state: Path, pythonpath: str, **env: str) -> Callable[[], object]:
    cmd = [sys.executable, "-m", "optout_site", "build", "-c", str(cfg), "--quiet"]
    cmd += ["--state-dir", str(state)]
    # Bytecode caches on, as a pip install leaves them (a sandbox's PYTHONDONTWRITEBYTECODE
    # would compile every module at each start and time the compiler).
    drop = ("OPTOUT_SITE_DURABILITY", "PYTHONDONTWRITEBYTECODE")
    environ = {k: v for k, v in os.environ.items() if k not in drop}
    environ.update(CI="true", PYTHONPATH=pythonpath, **env)
    # Started outside any checkout: `python -m` puts the working folder first on sys.path,
    # ahead of PYTHONPATH, and would run whatever tree the benchmark was started from.
    return functools.partial(subprocess.run, cmd, check=True, env=environ, cwd=cfg.parent)


def exiftool_cmd(exe: str, argv: list[str], out: Path | None) -> Callable[[], object]:
    def run() -> None:
        if out is not None:
            out.mkdir(exist_ok=True)
        subprocess.run([exe, "-q", "-q", *argv], check=True, stdout=subprocess.DEVNULL)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    imageformats.add_arguments(parser)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every corpus size")
    parser.add_argument("--exiftool-cache", type=Path, default=CACHE)
    parser.add_argument("--ci-durability", action="store_true")
    parser.add_argument("--c2pa", action="store_true", help="also stamp + sign (API)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    impls = imageformats.impls(args, HERE.parent)
    found = find_exiftool(args.exiftool_cache)
    root = Path(tempfile.mkdtemp(prefix="optout-bench-", dir=os.environ.get("BENCH_DIR")))
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; "
        f"ExifTool: {found[1] if found else 'n/a (none of version 13 or later)'}; "
        f"warm cache; median of {args.repeat}\n"
    )
    summary = []
    try:
        for name in args.formats.split(","):
            fmt = imageformats.BY_NAME[name]
            count = max(2, round(fmt.count * args.scale))
            summary += run_format(root / name, fmt, count, impls, found, args)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print("## Summary\n")
    print(
        "| format | impl | files | MB | cp s | ours new s (CPU) | ExifTool new s (CPU) | "
        "ExifTool/ours new | ours in place s | same, durability ci | ExifTool in place s | "
        "ExifTool/ours in place | marginal ms/image cp / ours / ExifTool | marginal CPU "
        "ms/image cp / ours / ExifTool | ours/cp marginal |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")
    print("\n".join(summary))


def run_format(
    root: Path,
    fmt: imageformats.Format,
    count: int,
    impls: dict[str, str],
    found: tuple[str, str] | None,
    args: argparse.Namespace,
) -> list[str]:
    t0 = time.perf_counter()
    corpus, one = root / "corpus", root / "one"
    size = imageformats.build(corpus, fmt, count)
    imageformats.build(one, fmt, 1)
    print(f"### {fmt.name}: {count} files, {size / 1e6:.1f} MB", end="")
    print(f" (built in {time.perf_counter() - t0:.1f} s)\n")
    out, work, state = root / "out", root / "work", root / "state"

    def fresh(*folders: Path, copy: Path | None = None) -> Callable[[], None]:
        def prepare() -> None:
            for folder in (*folders, state):
                shutil.rmtree(folder, ignore_errors=True)
            if copy is not None:
                shutil.copytree(copy, work)

        return prepare

    for impl, path in impls.items():  # warm-up: bytecode caches written, files in page cache
        build_cmd(write_config(root, f"warm-{impl}", one, out), state, path)()
        fresh(out)()
    cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {}
    for label, src in (("", corpus), (" ×1", one)):
        cp = functools.partial(subprocess.run, ["cp", "-r", str(src), str(out)], check=True)
        cases[f"cp -r{label}"] = (cp, fresh(out))
    for impl, path in impls.items():
        for label, src in (("", corpus), (" ×1", one)):
            cfg = write_config(root, f"{impl}{label.strip()}", src, out)
            cases[f"{impl} build, new folder{label}"] = (build_cmd(cfg, state, path), fresh(out))
        cfg = write_config(root, f"{impl}-in-place", work, None)
        run_ip = build_cmd(cfg, state, path)
        cases[f"{impl} build, in place"] = (run_ip, fresh(work, copy=corpus))
        if args.ci_durability:
            run_ci = build_cmd(cfg, state, path, OPTOUT_SITE_DURABILITY="ci")
            cases[f"{impl} build, in place, durability ci"] = (run_ci, fresh(work, copy=corpus))
    if found is not None:
        exe = found[0]
        first = next(iter(impls.values()))
        build_cmd(write_config(root, "probe", one, out), state, first)()
        fields = same_fields(exe, out / next(one.iterdir()).name)
        for label, src in (("", corpus), (" ×1", one)):
            run_ex = exiftool_cmd(exe, ["-o", f"{out}/", *fields, str(src)], out)
            cases[f"ExifTool -o{label}"] = (run_ex, fresh(out))
        run_ex = exiftool_cmd(exe, ["-overwrite_original", *fields, str(work)], None)
        cases["ExifTool -overwrite_original"] = (run_ex, fresh(work, copy=corpus))
    if args.c2pa:
        signing = c2pa_signing(root / "cert")
        cases["API stamp + C2PA sign, new folder"] = (
            lambda: ours(corpus, out, signing),
            fresh(out),
        )
    med: dict[str, float] = {}
    cpu: dict[str, float] = {}
    print("| operation | median s | CPU s | runs (s) |\n|---|---:|---:|---|")
    for name, (fn, prepare) in cases.items():
        runs = timed_cpu(fn, prepare, args.repeat)
        med[name] = statistics.median(wall for wall, _ in runs)
        cpu[name] = statistics.median(used for _, used in runs)
        shown_runs = ", ".join(f"{wall:.3f}" for wall, _ in runs)
        print(f"| {name} | {med[name]:.3f} | {cpu[name]:.3f} | {shown_runs} |")
    if found is not None:
        shown = ", ".join(a.split("#=")[0].lstrip("-") for a in fields)
        print(f"\nExifTool {found[1]} writes: {shown}")
    print()

    def marginal(table: dict[str, float], name: str) -> float | None:
        if name not in table:
            return None
        return (table[name] - table[f"{name} ×1"]) / (count - 1) * 1000

    def show(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    def ratio(a: float | None, b: float | None) -> str:
        return "n/a" if a is None or b is None or b <= 0 else f"{a / b:.2f}"

    rows = []
    ex_new, ex_ip = med.get("ExifTool -o"), med.get("ExifTool -overwrite_original")
    for impl in impls:
        new, ip = f"{impl} build, new folder", f"{impl} build, in place"
        ci = med.get(f"{ip}, durability ci")
        walls = [marginal(med, n) for n in ("cp -r", new, "ExifTool -o")]
        cpus = [marginal(cpu, n) for n in ("cp -r", new, "ExifTool -o")]
        rows.append(
            f"| {fmt.name} | {impl} | {count} | {size / 1e6:.1f} | {med['cp -r']:.2f} | "
            f"{med[new]:.2f} ({cpu[new]:.2f}) | {show(ex_new)} ({show(cpu.get('ExifTool -o'))}) | "
            f"{ratio(ex_new, med[new])} | {med[ip]:.2f} | {show(ci)} | {show(ex_ip)} | "
            f"{ratio(ex_ip, med[ip])} | {' / '.join(map(show, walls))} | "
            f"{' / '.join(map(show, cpus))} | {ratio(walls[1], walls[0])} |"
        )
    return rows


if __name__ == "__main__":
    main()
