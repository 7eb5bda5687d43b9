"""Shared fixtures: a minimal site folder, a helper that writes a sites.yaml for it, and the
real web servers the host tests start. Plain helpers are in ``support.py``."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import Phase, settings
from support import (
    EXAMPLE,
    FAST_EXAMPLES,
    apache_server,
    caddy_server,
    nginx_server,
    world_readable_dir,
)

from optout_site import paths

# CI runs a fixed, derandomised set of examples, so a red run is the code's fault and
# repeats; locally each run explores new examples (HYPOTHESIS_PROFILE=ci to reproduce CI).
# The fast loop (-m "not slow") explores a quarter as many ("fast"): it is run after every
# edit, each run draws new examples, and the whole suite (and CI) keeps the full count.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.register_profile("fast", max_examples=FAST_EXAMPLES, print_blob=True)
# tests/mutation.py runs each property once per mutant on a shared machine: few examples, the
# same ones every time (a verdict must not depend on the draw), no deadline (the load varies),
# and no shrinking: the first failing example kills the mutant, a minimal one is not needed.
MUTATION_EXAMPLES = 10
settings.register_profile(
    "mutation",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=MUTATION_EXAMPLES,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
PROFILE = "dev"  # the one pytest_configure loads


def pytest_configure(config: pytest.Config) -> None:
    # Here rather than at import: the profile depends on -m, and the test modules, whose
    # @settings inherit from the loaded profile, are imported after this runs.
    fast = config.getoption("markexpr", "").strip() == "not slow"
    default = "ci" if os.environ.get("CI") else ("fast" if fast else "dev")
    global PROFILE
    PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or default
    settings.load_profile(PROFILE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under the mutation profile, cap the examples of properties that ask for more.

    A test's own ``@settings(max_examples=...)`` outranks any profile, so the cap is put on
    the settings each ``@given`` test reads when it is called."""
    if PROFILE != "mutation":
        return
    for item in items:
        function = getattr(item, "obj", None)
        test = getattr(function, "__func__", function)  # a method's settings sit on its function
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is not None and own.max_examples > MUTATION_EXAMPLES:
            test._hypothesis_internal_use_settings = settings(own, max_examples=MUTATION_EXAMPLES)


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    """A copy of the bundled example site, safe to stamp in place."""
    target = tmp_path / "public"
    shutil.copytree(EXAMPLE, target, symlinks=True)
    return target


@pytest.fixture
def write_config(tmp_path: Path):
    def write(text: str, name: str = "sites.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def _fresh_path_matchers() -> None:
    # paths.matcher keeps compiled patterns for the whole process: cleared so that each
    # test compiles its own and its result never depends on which test ran before (a
    # mutant in normalise or pieces would otherwise hide behind a matcher cached earlier).
    paths.matcher.cache_clear()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Incremental state goes to a per-test cache, never the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


# --- real servers on loopback --------------------------------------------------------------
# The ``*_port`` fixtures serve the requesting module's ``docroot`` fixture with the host
# config of its ``site`` fixture (both module-scoped, defined by that module), from
# config files written under ``workdir``; each skips when its server is not installed.


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with world_readable_dir() as path:
        yield path


@pytest.fixture(scope="module")
def nginx_port(site, docroot: Path, workdir: Path) -> Iterator[int]:
    with nginx_server(site, docroot, workdir) as port:
        yield port


@pytest.fixture(scope="module")
def apache_port(site, docroot: Path, workdir: Path) -> Iterator[int]:
    with apache_server(site, docroot, workdir) as port:
        yield port


@pytest.fixture(scope="module")
def caddy_port(site, docroot: Path, workdir: Path) -> Iterator[int]:
    with caddy_server(site, docroot, workdir) as port:
        yield port
