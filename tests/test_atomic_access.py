"""In-place stamping keeps who may read a file: owner, group, mode, ACLs and xattrs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from optout_site.build import atomic

NOBODY = 65534


def _xattrs_supported(path: Path) -> bool:
    try:
        os.setxattr(path, "user.probe", b"1")
    except OSError:
        return False
    os.removexattr(path, "user.probe")
    return True


def test_replace_in_place_keeps_mode_group_owner_and_xattrs(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(b"old")
    os.chmod(page, 0o640)
    if os.geteuid() == 0:
        os.chown(page, NOBODY, NOBODY)  # as a Docker CI image builds: files not root's
    xattrs = _xattrs_supported(page)
    if xattrs:
        os.setxattr(page, "user.origin", b"camera roll")
    before = os.stat(page)

    atomic.write_bytes(page, b"new", mode_from=page)

    after = os.stat(page)
    assert page.read_bytes() == b"new" and after.st_ino != before.st_ino
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
    assert after.st_mode == before.st_mode
    if xattrs:
        assert os.getxattr(page, "user.origin") == b"camera roll"


def test_an_old_handle_still_reads_the_old_bytes(tmp_path: Path) -> None:
    """Atomic by rename: a reader that opened the file before the write is undisturbed."""
    page = tmp_path / "page.html"
    page.write_bytes(b"old bytes")
    with page.open("rb") as reader:
        atomic.write_bytes(page, b"new bytes")
        assert reader.read() == b"old bytes"
    assert page.read_bytes() == b"new bytes"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create files of another owner")
def test_a_file_we_cannot_give_away_keeps_at_least_its_group() -> None:
    """As an unprivileged user the owner cannot be kept, the group can (if a member)."""
    import shutil
    import subprocess
    import sys
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="optout-access-"))  # pytest's tmp is root-only
    os.chmod(root, 0o755)
    folder = root / "shared"
    folder.mkdir()
    os.chmod(folder, 0o777)
    page = folder / "page.html"
    page.write_bytes(b"old")
    os.chown(page, NOBODY, NOBODY)
    os.chmod(page, 0o666)
    code = (
        "import sys; from pathlib import Path; from optout_site.build import atomic; "
        "atomic.write_bytes(Path(sys.argv[1]), b'new', mode_from=Path(sys.argv[1]))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    result = subprocess.run(
        [
            "setpriv",
            "--reuid=1000",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-c",
            code,
            str(page),
        ],
        env=env,
        capture_output=True,
        check=False,
    )
    try:
        assert result.returncode == 0, result.stderr.decode()
        after = os.stat(page)
        assert page.read_bytes() == b"new"
        assert after.st_gid == NOBODY and after.st_mode & 0o777 == 0o666
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("fresh", [True, False], ids=["new-file", "replace"])
def test_a_signal_as_the_temp_file_is_created_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh: bool
) -> None:
    """Ctrl-C landing the instant the temp file exists, before its name reaches our code."""
    page = tmp_path / "page.html"
    if not fresh:
        page.write_bytes(b"old")
    real_open = os.open

    def open_then_interrupt(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        fd = real_open(path, *args, **kwargs)
        if os.path.basename(path).startswith(atomic.TEMP_PREFIX):
            os.close(fd)
            raise KeyboardInterrupt
        return fd

    monkeypatch.setattr(os, "open", open_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_bytes(page, b"new")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if fresh else ["page.html"])
    if not fresh:
        assert page.read_bytes() == b"old"


def test_temp_names_never_reuse_an_existing_file(tmp_path: Path, monkeypatch) -> None:
    """A name taken by another writer (say a parallel worker) is skipped, never removed."""
    page = tmp_path / "page.html"
    taken = tmp_path / f"{atomic.TEMP_PREFIX}taken"
    taken.write_bytes(b"someone else's")
    names = iter(["taken", "free"])
    monkeypatch.setattr(atomic.secrets, "token_hex", lambda n: next(names))
    atomic.write_bytes(page, b"new")
    assert taken.read_bytes() == b"someone else's" and page.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [taken.name, "page.html"]
