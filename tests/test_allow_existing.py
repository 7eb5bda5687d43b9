"""A first build into an output folder that holds someone else's files is refused."""

from __future__ import annotations

from support import run_cli, write_example_config


def _build(cfg, state, *extra):
    return run_cli(["build", "-c", str(cfg), "--state-dir", str(state), *extra])


def test_a_first_build_into_a_folder_of_unrelated_files_writes_nothing(tmp_path, capsys):
    cfg = write_example_config(tmp_path, output="out")
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.pdf").write_bytes(b"someone's work")
    assert _build(cfg, tmp_path / "state") == 1
    err = capsys.readouterr()
    assert "already holds files this build does not make (thesis.pdf)" in err.out + err.err
    assert sorted(p.name for p in out.iterdir()) == ["thesis.pdf"]  # nothing written
    # Said on purpose: the build goes ahead and leaves the file alone.
    assert _build(cfg, tmp_path / "state", "--allow-existing") == 0
    assert (out / "thesis.pdf").read_bytes() == b"someone's work"
    assert (out / "robots.txt").is_file()


def test_an_output_of_our_own_earlier_build_is_not_unrelated(tmp_path, capsys):
    cfg = write_example_config(tmp_path, output="out")
    assert _build(cfg, tmp_path / "state") == 0
    # The incremental state is lost (a new machine, a cleared cache): every file in the
    # output is one the input or the build accounts for, so the build goes ahead.
    assert _build(cfg, tmp_path / "other-state") == 0
    # A file of ours left by an earlier build is ours; one the user added is not.
    (tmp_path / "out" / "notes.txt").write_text("mine")
    assert _build(cfg, tmp_path / "third-state") == 1
    capsys.readouterr()


def test_an_empty_or_missing_output_folder_is_fine(tmp_path):
    cfg = write_example_config(tmp_path, output="out")
    (tmp_path / "out").mkdir()
    assert _build(cfg, tmp_path / "state") == 0
