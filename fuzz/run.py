"""Run every fuzz harness in turn, each for N executions, and report the exec counts.

    python fuzz/run.py --runs 1000000                 # all seven targets, one after another
    python fuzz/run.py --runs 200000 --only jpeg,xmp  # a subset
    python fuzz/run.py --runs 1000000 --workdir /var/tmp/optout-fuzz

Each target runs as ``python fuzz/fuzz_<name>.py WORK/<name> fuzz/corpus/<name>
fuzz/regressions/<name> -atheris_runs=N -timeout=10 ...``: new interesting inputs go to
the work folder (the committed seeds and past findings are only read); a crash or a hang
over 10 s stops that target and leaves ``crash-*`` / ``timeout-*`` in WORK/findings/.
Exit status is 1 if any target found something. A summary (runs, seconds, exec/s,
outcome) is printed and written to WORK/summary.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = ("jpeg", "png", "webp", "tiff", "gif", "xmp", "html")
DICTS = {"html": "html.dict", "xmp": "xmp.dict"}
_DONE = re.compile(r"stat::number_of_executed_units: (\d+)|Done (\d+) (?:runs )?in \d+ second")
_STATUS = re.compile(r"^#(\d+)\s", re.M)


def run_target(
    name: str, runs: int, workdir: Path, timeout: int, max_len: int, extra: list[str]
) -> dict[str, object]:
    corpus = workdir / name
    findings = workdir / "findings"
    corpus.mkdir(parents=True, exist_ok=True)
    findings.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}.log"
    seeds = [str(d) for d in (HERE / "corpus" / name, HERE / "regressions" / name) if d.is_dir()]
    cmd = [
        sys.executable,
        str(HERE / f"fuzz_{name}.py"),
        str(corpus),
        *seeds,
        f"-atheris_runs={runs}",
        f"-timeout={timeout}",
        f"-max_len={max_len}",
        "-rss_limit_mb=2048",
        f"-artifact_prefix={findings}/{name}-",
        "-print_final_stats=1",
        *extra,
    ]
    if name in DICTS:
        cmd.append(f"-dict={HERE / 'dicts' / DICTS[name]}")
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    start = time.monotonic()
    with log.open("wb") as out:
        code = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    seconds = time.monotonic() - start
    text = log.read_text("utf-8", "replace")
    done = _DONE.search(text)
    statuses = _STATUS.findall(text)
    executed = int(done.group(1) or done.group(2)) if done else int(statuses[-1]) if statuses else 0
    artifacts = sorted(str(p) for p in findings.glob(f"{name}-*"))
    return {
        "target": name,
        "runs": executed,
        "seconds": round(seconds, 1),
        "exec_per_s": round(executed / seconds) if seconds else 0,
        "exit": code,
        "ok": code == 0 and not artifacts,
        "findings": artifacts,
        "log": str(log),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1_000_000, help="executions per target")
    parser.add_argument("--only", default=",".join(TARGETS), help="comma-separated targets")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "optout-fuzz",
        help="where grown corpora, logs and findings go",
    )
    parser.add_argument("--timeout", type=int, default=10, help="seconds before a hang")
    parser.add_argument("--max-len", type=int, default=16384, help="largest input in bytes")
    parser.add_argument("libfuzzer", nargs="*", help="extra libFuzzer flags (after --)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(names) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; choose from {', '.join(TARGETS)}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for name in names:
        print(f"fuzzing {name} for {args.runs} runs ...", flush=True)
        result = run_target(
            name, args.runs, args.workdir, args.timeout, args.max_len, args.libfuzzer
        )
        results.append(result)
        print(
            f"  {result['runs']} runs in {result['seconds']} s "
            f"({result['exec_per_s']}/s): {'ok' if result['ok'] else 'FINDINGS'}",
            flush=True,
        )
        for artifact in result["findings"]:
            print(f"  finding: {artifact}", flush=True)
    (args.workdir / "summary.json").write_text(json.dumps(results, indent=2))
    print(f"\n{'target':8}{'runs':>12}{'seconds':>10}{'exec/s':>9}  result")
    for r in results:
        print(
            f"{r['target']:8}{r['runs']:>12}{r['seconds']:>10}{r['exec_per_s']:>9}  "
            f"{'ok' if r['ok'] else 'FINDINGS'}"
        )
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
