"""Mutation testing of one core module with mutmut (docs/testing.md has the figures).

    python tests/mutation.py paths            # or: policy, dialects, robots, atomic, html, xmp
    python tests/mutation.py paths --keep     # keep the copy, for `mutmut show <name>`
    python tests/mutation.py paths --resume /tmp/optout-mutation-paths-x   # after new tests
    python tests/mutation.py paths --resume /tmp/optout-mutation-paths-x --survivors

Each run works in a throwaway copy of the repository (mutmut writes a ``mutants/`` folder
next to ``pyproject.toml``), mutates only that module, collects which test reaches which
function from only that module's own test files, and runs one mutant at a time
(``--max-children 1``, or ``--children N``) under ``nice``: the machine is shared. ``--resume`` copies the
repository as it is now over a kept copy and runs again: mutmut keeps the verdicts of
functions that did not change, re-collects which tests reach what, and runs the mutants
not yet checked (those of changed functions anew) against the tests as they are now;
with ``--survivors``, it runs again every mutant that survived so far (and only those). Each mutant runs in one
process (``-n 0``), stops at its first failing test (mutmut's ``-x``), skips ``slow`` tests,
and runs Hypothesis properties under the ``mutation`` profile of tests/conftest.py (a few
derandomised examples). Needs ``pip install -e '.[mutation]'``.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# module key -> (files mutated, the test files that are about them)
MODULES: dict[str, tuple[list[str], list[str]]] = {
    "paths": (["optout_site/paths.py"], ["tests/test_paths.py"]),
    "policy": (["optout_site/policy.py"], ["tests/test_policy.py"]),
    "dialects": (
        ["optout_site/dialects.py"],
        ["tests/test_dialects.py", "tests/test_no_channel_grants.py"],
    ),
    "robots": (
        ["optout_site/signals/robots/document.py", "optout_site/signals/robots/__init__.py"],
        [
            "tests/test_robotstxt.py",
            "tests/test_robots.py",
            "tests/test_robots_own_rules.py",
            # Sogou ("Sogou web spider") placed before Spider: the only test of _Plan.inside's
            # aliases.
            "tests/test_robots_generic.py",
        ],
    ),
    "atomic": (["optout_site/build/atomic.py"], ["tests/test_atomic_access.py"]),
    # The page splice as rewritten on 2 December: the passes, the footer link, the windowed
    # path for large pages, and the two readers (tokens, the regex skips) they share.
    "html": (
        [
            "optout_site/html/splice.py",
            "optout_site/html/footer.py",
            "optout_site/html/stream.py",
            "optout_site/html/tokens.py",
            "optout_site/html/skip.py",
        ],
        [
            "tests/test_htmlsplice.py",
            "tests/test_footer.py",
            "tests/test_html_withdraw.py",
            "tests/test_splice_passes.py",
            "tests/test_htmlstream.py",
            "tests/test_htmlskip.py",
            "tests/test_headskip.py",
            "tests/test_tokens_tag.py",
            "tests/test_html_encodings.py",
            "tests/test_html_reading.py",
        ],
    ),
    # The merge's own tests; test_images_merge_props.py (slow) and the exiftool/exiv2 readers
    # (slow) stay out: each mutant would wait for them.
    "xmp": (
        ["optout_site/images/xmp.py", "optout_site/images/xmpfields.py"],
        ["tests/test_images_xmp.py", "tests/test_images_merge.py", "tests/test_images_props.py"],
    ),
}


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def config(module: str) -> str:
    """The ``[tool.mutmut]`` table for one module."""
    mutate, tests = MODULES[module]
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["optout_site"]\n'
        f"only_mutate = {_toml_list(mutate)}\n"
        'also_copy = ["examples/", "sites.yaml", "fuzz/"]\n'
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-m", "not slow", "-n", "0"]\n'
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
        # A mutant that loops forever waits for this (15x its tests' time by default:
        # minutes each on the html key); a niced run on a busy machine needs the margin.
        "timeout_multiplier = 5.0\n"
        "timeout_constant = 10.0\n"
    )


def _share_the_machine() -> None:
    # A mutant that turns a loop's step around appends forever: on a shared machine it
    # must die of MemoryError (a failed test: killed) long before it starves the others.
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    os.nice(NICENESS)


MEMORY_CAP = 3 << 30
NICENESS = 10


def copy_repository(into: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO / name.decode()
        if source.is_file():
            target = into / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _states(work: Path) -> list[tuple[str, str]]:
    """(mutant, verdict) for every mutant mutmut knows in the copy."""
    results = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return re.findall(r"^\s*(\S+): (\S.*)$", results, re.M)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", choices=sorted(MODULES))
    parser.add_argument("--keep", action="store_true", help="keep the copy and print it")
    parser.add_argument(
        "--resume", type=Path, metavar="COPY", help="run again in a kept copy, with the tests now"
    )
    parser.add_argument(
        "--survivors", action="store_true", help="with --resume: run the surviving mutants again"
    )
    parser.add_argument(
        "--children", type=int, default=1, help="mutants run at once (default 1: shared machine)"
    )
    args = parser.parse_args()
    if args.survivors and args.resume is None:
        parser.error("--survivors needs --resume")
    if args.resume is not None:
        args.keep = True
        work = args.resume
    else:
        work = Path(tempfile.mkdtemp(prefix=f"optout-mutation-{args.module}-"))
    try:
        copy_repository(work)
        with (work / "pyproject.toml").open("a", encoding="utf-8") as handle:
            handle.write(config(args.module))
        mutmut = [sys.executable, "-m", "mutmut"]
        names = (
            # not killed, and not timed out either: a hung mutant is detected
            [name for name, state in _states(work) if state not in ("killed", "timeout")]
            if args.survivors
            else []
        )
        if args.survivors and not names:
            print("no surviving mutants to run again")
        else:
            subprocess.run(
                [*mutmut, "run", "--max-children", str(args.children), *names],
                cwd=work,
                check=False,
                preexec_fn=_share_the_machine,
                env={**os.environ, "HYPOTHESIS_PROFILE": "mutation"},
            )
        states = _states(work)
        killed = sum(state == "killed" for _name, state in states)
        print(f"{args.module}: {killed}/{len(states)} killed", end="")
        print(f" ({100 * killed / len(states):.1f}%)" if states else "")
        for name, state in states:
            if state != "killed":
                print(f"  {state}: {name}")
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
