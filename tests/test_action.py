"""The composite GitHub Action and the pre-commit hook: valid at the schema level, and they
run exactly the commands the README documents."""

from __future__ import annotations

import re
import shlex

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
    assert set(inputs) == {"config", "site", "python-version"}
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
    assert shlex.split(hook["entry"]) == ["optout-site", "build", "--check"]


def test_build_check_option_is_registered():
    args = cli._parser().parse_args(["build", "--check"])
    assert args.check is True
