"""The composite GitHub Action and the pre-commit hook: valid at the schema level, and they
run exactly the commands the README documents."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml
from support import REPO

from optout_site import cli

ACTION = REPO / "action.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
README = REPO / "README.md"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(k) + _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def test_action_top_level_schema(action):
    assert {"name", "description", "runs"} <= set(action)
    assert set(action) <= {"name", "description", "author", "inputs", "outputs", "runs", "branding"}
    assert isinstance(action["name"], str) and isinstance(action["description"], str)
    assert action["runs"]["using"] == "composite"
    assert isinstance(action["runs"]["steps"], list) and action["runs"]["steps"]


def test_action_inputs_are_well_formed(action):
    inputs = action["inputs"]
    assert set(inputs) == {"config", "site", "deploy", "python-version"}
    for name, spec in inputs.items():
        assert isinstance(spec.get("description"), str) and spec["description"], name
        assert set(spec) <= {"description", "required", "default", "deprecationMessage"}
        assert isinstance(spec.get("default", ""), str), f"{name}: defaults are strings"


def test_every_run_step_has_a_shell_and_known_keys(action):
    allowed = {
        "name",
        "id",
        "if",
        "run",
        "shell",
        "uses",
        "with",
        "env",
        "working-directory",
        "continue-on-error",
    }
    for step in action["runs"]["steps"]:
        assert set(step) <= allowed, step
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") in ("bash", "sh", "pwsh", "python"), step


def test_every_referenced_input_exists(action):
    inputs = set(action["inputs"])
    referenced = set()
    for text in _strings(action["runs"]):
        for expr in EXPRESSION.findall(text):
            for name in re.findall(r"\binputs\.([A-Za-z0-9_-]+)", expr):
                referenced.add(name)
            assert not re.search(r"\bsecrets\.", expr), "the action needs no secrets"
    assert referenced == inputs, referenced ^ inputs
    # Inputs reach scripts through env only, never pasted into the script text.
    for step in action["runs"]["steps"]:
        assert not EXPRESSION.search(step.get("run", "")), step["run"]


def test_run_steps_are_the_readmes_commands(action):
    readme = README.read_text(encoding="utf-8")
    assert "python -m pip install . && optout-site build" in readme
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert steps[0]["with"]["python-version"] == "${{ inputs.python-version }}"
    install = steps[1]
    assert install["run"].strip() == "python -m pip install ."
    assert install["working-directory"] == "${{ github.action_path }}"
    build = steps[2]["run"]
    assert "optout-site" in build and 'build -c "$OPTOUT_CONFIG" --check' in build
    assert steps[2]["env"]["OPTOUT_CONFIG"] == "${{ inputs.config }}"
    assert "continue-on-error" not in steps[2], "problems must fail the job"


def test_pre_commit_hook():
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    [hook] = hooks
    assert hook["id"] == "optout-site"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert shlex.split(hook["entry"]) == ["optout-site", "build", "--check", "--if-built"]


def test_build_check_option_is_registered():
    args = cli._parser().parse_args(["build", "--check"])
    assert args.check is True


# --- the deploy guard: a stamped site goes out, never the folder next to it -------------------

SITE = """\
sites:
  - name: jo
    url: https://jo.photo
    input: public
    {output}
    rightsholder: {{name: Jo Photo, email: jo@jo.photo}}
"""


def _guard(action) -> dict:
    [step] = [s for s in action["runs"]["steps"] if "OPTOUT_DEPLOY" in s.get("env", {})]
    return step


def _run_guard(action, project, deploy: str, site: str = "") -> subprocess.CompletedProcess:
    """The guard step's script, run as the runner runs a `shell: python` step: its env
    from the inputs, in the repository's folder, with optout-site on PATH."""
    step = _guard(action)
    assert step["shell"] == "python" and step["if"] == "inputs.deploy != ''"
    env = {
        **os.environ,
        "OPTOUT_CONFIG": "sites.yaml",
        "OPTOUT_SITE": site,
        "OPTOUT_DEPLOY": deploy,
        "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}",
    }
    script = project / "guard.py"
    script.write_text(step["run"], encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script)], cwd=project, env=env, capture_output=True, text=True
    )


@pytest.mark.slow  # each runs the step's script and `optout-site sites` as processes
@pytest.mark.parametrize(
    ("output", "deploy", "ok"),
    [
        ("", "public", True),  # stamped in place, the generator's folder deployed
        ("", "./public/", True),
        ("output: build", "build", True),  # a stamped copy, and that copy deployed
        ("output: build", "public", False),  # the unstamped source deployed
        ("", "dist", False),  # some other folder
    ],
)
def test_the_action_refuses_to_deploy_a_folder_it_did_not_stamp(
    action, tmp_path, output, deploy, ok
):
    (tmp_path / "public").mkdir()
    (tmp_path / "sites.yaml").write_text(SITE.format(output=output), encoding="utf-8")
    assert cli.main(["build", "-q", "-c", str(tmp_path / "sites.yaml")]) == 0
    result = _run_guard(action, tmp_path, deploy)
    assert (result.returncode == 0) is ok, result.stdout + result.stderr
    if not ok:
        assert f"::error::deploy folder {deploy} was not stamped" in result.stdout
        assert "build" in result.stdout if output else "public" in result.stdout


@pytest.mark.slow
def test_the_deploy_guard_counts_only_the_site_built(action, tmp_path):
    (tmp_path / "public").mkdir()
    (tmp_path / "docs").mkdir()
    text = SITE.format(output="") + SITE.format(output="").split("sites:\n")[1].replace(
        "name: jo", "name: docs"
    ).replace("input: public", "input: docs")
    (tmp_path / "sites.yaml").write_text(text, encoding="utf-8")
    assert _run_guard(action, tmp_path, "docs", site="docs").returncode == 0
    assert _run_guard(action, tmp_path, "public", site="docs").returncode == 1
    assert _run_guard(action, tmp_path, "public").returncode == 0


def test_build_says_where_it_stamped(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "public").mkdir()
    (tmp_path / "sites.yaml").write_text(SITE.format(output=""), encoding="utf-8")
    assert cli.main(["build"]) == 0
    assert "site jo: stamped in place: public/\n" in capsys.readouterr().out
    (tmp_path / "sites.yaml").write_text(SITE.format(output="output: out/www"), encoding="utf-8")
    assert cli.main(["build", "--dry-run"]) == 0
    assert "site jo: would write out/www/ from public/\n" in capsys.readouterr().out
    assert cli.main(["build"]) == 0
    assert "site jo: wrote out/www/ from public/\n" in capsys.readouterr().out


def test_the_hook_skips_a_site_not_built_yet(tmp_path, monkeypatch, capsys):
    """pre-commit runs before the generator has built anything: say so, pass, write nothing."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sites.yaml").write_text(SITE.format(output=""), encoding="utf-8")
    hook = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))[0]
    argv = shlex.split(hook["entry"])[1:]
    assert cli.main(argv) == 0
    assert "is not built yet; skipped (run your generator first)" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sites.yaml"]
    # Without the hook's flag a missing folder is still a config error, and once built
    # the hook stamps and checks it.
    assert cli.main(["build", "--check"]) == 2
    (tmp_path / "public").mkdir()
    assert cli.main(argv) == 0
    assert (tmp_path / "public" / "robots.txt").is_file()
