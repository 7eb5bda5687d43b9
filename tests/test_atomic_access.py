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


# --- the rest of the writer: copies, the build lock, the writability probe, the sweep ----


@pytest.mark.parametrize("fast", [True, False], ids=["copy_file_range", "plain-copy"])
def test_copy_file_is_byte_exact_and_keeps_mode_and_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    if not fast:
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    source = tmp_path / "in.jpg"
    data = bytes(range(256)) * 5000  # over one copy_file_range chunk on most kernels
    source.write_bytes(data)
    os.chmod(source, 0o640)
    os.utime(source, ns=(1_000_000_000, 1_500_000_000))
    target = tmp_path / "out" / "in.jpg"
    atomic.copy_file(source, target)
    assert target.read_bytes() == data
    st = os.stat(target)
    assert st.st_mode & 0o777 == 0o640 and st.st_mtime_ns == 1_500_000_000
    atomic.copy_file(source, target)  # over an existing copy: still exact
    assert target.read_bytes() == data
    assert [p.name for p in target.parent.iterdir()] == ["in.jpg"]


def test_copy_falls_back_when_copy_file_range_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> int:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    source = tmp_path / "a.bin"
    source.write_bytes(b"abc" * 1000)
    atomic.copy_file(source, tmp_path / "b.bin")
    assert (tmp_path / "b.bin").read_bytes() == b"abc" * 1000


def test_copy_falls_back_when_copy_file_range_stops_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "copy_file_range", lambda *args: 0, raising=False)
    source = tmp_path / "a.bin"
    source.write_bytes(b"xyz" * 1000)
    atomic.copy_file(source, tmp_path / "b.bin")
    assert (tmp_path / "b.bin").read_bytes() == b"xyz" * 1000


def test_exclusive_lets_one_holder_in_and_names_it(tmp_path: Path) -> None:
    lock = tmp_path / "state" / "build.lock"
    with atomic.exclusive(lock) as first:
        assert first is None
        assert lock.read_text() == str(os.getpid())
        with atomic.exclusive(lock) as second:  # a second open file description: refused
            assert second == f"pid {os.getpid()}"
    with atomic.exclusive(lock) as again:
        assert again is None  # released on leaving the block
    lock.write_text("")
    import fcntl

    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with atomic.exclusive(lock) as unnamed:
            assert unnamed == "another process"
    finally:
        os.close(fd)


def test_unwritable_says_why_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "new" / "out"
    assert atomic.unwritable(out) is None
    assert out.is_dir() and list(out.iterdir()) == []
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert atomic.unwritable(blocker / "sub") in ("Not a directory", "File exists")


def _journal(root: Path, *paths: Path) -> Path:
    """The journal a build keeps of the temp files it creates, naming ``paths``."""
    journal = root.parent / f"{root.name}.temps"
    journal.write_bytes(b"".join(os.fsencode(p) + b"\0" for p in paths))
    return journal


def test_sweep_removes_only_recorded_temp_files_and_counts_them(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    ours = [
        tmp_path / f"{atomic.TEMP_PREFIX}{'1' * 16}",
        tmp_path / "a" / "b" / f"{atomic.TEMP_PREFIX}{'a' * 16}",
    ]
    for path in ours:
        path.write_bytes(b"half")
    unrecorded = tmp_path / f"{atomic.TEMP_PREFIX}{'2' * 16}"  # shaped like ours: not ours
    keep = [tmp_path / "page.html", tmp_path / "a" / "optout-site-tmp-not-ours", unrecorded]
    for path in keep:
        path.write_bytes(b"mine")
    outside = tmp_path.parent / f"{atomic.TEMP_PREFIX}{'3' * 16}"
    assert atomic.sweep_temp_files(_journal(tmp_path, *ours, keep[0], outside), tmp_path) == 2
    assert not any(p.exists() for p in ours) and all(p.exists() for p in keep)
    assert atomic.sweep_temp_files(_journal(tmp_path), tmp_path) == 0


def test_write_bytes_gives_a_new_file_the_mode_of_mode_from(tmp_path: Path) -> None:
    source = tmp_path / "in.html"
    source.write_bytes(b"x")
    os.chmod(source, 0o600)
    atomic.write_bytes(tmp_path / "out.html", b"y", mode_from=source)
    assert os.stat(tmp_path / "out.html").st_mode & 0o777 == 0o600
    atomic.write_bytes(tmp_path / "plain.html", b"y")
    assert os.stat(tmp_path / "plain.html").st_mode & 0o777 == 0o644


def test_unwritable_asks_an_existing_folder_again(tmp_path: Path) -> None:
    assert atomic.unwritable(tmp_path) is None
    assert atomic.unwritable(tmp_path) is None  # a build asks before every run


def test_a_failure_after_the_rename_is_reported_as_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(b"old")

    def no_fsync(folder: Path) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic, "_fsync_dir", no_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        atomic.write_bytes(page, b"new")  # the temp file is renamed already: nothing to remove
    assert page.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_sweep_passes_over_what_it_cannot_remove(tmp_path: Path) -> None:
    folder = tmp_path / f"{atomic.TEMP_PREFIX}{'4' * 16}"
    file = tmp_path / f"{atomic.TEMP_PREFIX}{'5' * 16}"
    folder.mkdir()  # not a file: left alone, not counted
    file.write_bytes(b"half")
    assert atomic.sweep_temp_files(_journal(tmp_path, folder, file), tmp_path) == 1
    assert folder.is_dir() and not file.exists()


# --- _keep_access where the tests run as root on a filesystem with xattrs: the branches for
# an unprivileged writer and for a filesystem without xattrs, faked in-process so that
# mutation testing reaches them (a child process does not see mutmut's mutant switch).


def _old_page(tmp_path: Path, mode: int = 0o640) -> Path:
    page = tmp_path / "page.html"
    page.write_bytes(b"old")
    os.chmod(page, mode)
    return page


def test_an_unprivileged_writer_keeps_the_group_mode_and_xattrs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Giving the file away is refused: the group alone is kept, then mode and xattrs."""
    page = _old_page(tmp_path)
    st = os.stat(page)
    calls: list[tuple[int, int]] = []

    def chown(path: object, uid: int, gid: int) -> None:
        calls.append((uid, gid))
        if uid != -1:
            raise PermissionError(1, "Operation not permitted")

    copied: list[str] = []
    monkeypatch.setattr(os, "chown", chown)
    monkeypatch.setattr(os, "listxattr", lambda path: ["user.origin"])
    monkeypatch.setattr(os, "getxattr", lambda path, name: b"camera roll")
    monkeypatch.setattr(os, "setxattr", lambda path, name, value: copied.append(name))
    atomic.write_bytes(page, b"new", mode_from=page)
    assert calls == [(st.st_uid, st.st_gid), (-1, st.st_gid)]
    assert os.stat(page).st_mode & 0o777 == 0o640 and copied == ["user.origin"]
    assert page.read_bytes() == b"new"


def test_a_privileged_writer_gives_the_file_back_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _old_page(tmp_path)
    st = os.stat(page)
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "chown", lambda path, uid, gid: calls.append((uid, gid)))
    atomic.write_bytes(page, b"new", mode_from=page)
    assert calls == [(st.st_uid, st.st_gid)]


@pytest.mark.parametrize("code", sorted(atomic._XATTR_SKIP))
def test_a_filesystem_without_xattrs_still_gets_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    page = _old_page(tmp_path, 0o604)

    def refuse(*args: object) -> object:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "listxattr", refuse)
    atomic.write_bytes(page, b"new", mode_from=page)
    assert page.read_bytes() == b"new" and os.stat(page).st_mode & 0o777 == 0o604
    monkeypatch.setattr(os, "listxattr", lambda path: ["system.posix_acl_access", "user.a"])
    monkeypatch.setattr(os, "getxattr", lambda path, name: b"v")
    monkeypatch.setattr(os, "setxattr", refuse)  # one attribute refused: the others go on
    atomic.write_bytes(page, b"newer", mode_from=page)
    assert page.read_bytes() == b"newer"


def test_a_platform_without_xattr_calls_still_gets_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _old_page(tmp_path, 0o604)
    monkeypatch.delattr(os, "listxattr")
    atomic.write_bytes(page, b"new", mode_from=page)
    assert page.read_bytes() == b"new" and os.stat(page).st_mode & 0o777 == 0o604


@pytest.mark.parametrize("call", ["listxattr", "setxattr"])
def test_an_xattr_failure_that_is_no_refusal_is_raised_and_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    page = _old_page(tmp_path)

    def broken(*args: object) -> object:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "listxattr", lambda path: ["user.a"])
    monkeypatch.setattr(os, "getxattr", lambda path, name: b"v")
    monkeypatch.setattr(os, call, broken)
    with pytest.raises(OSError, match="Input/output error"):
        atomic.write_bytes(page, b"new", mode_from=page)
    assert page.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_a_missing_mode_from_gives_the_default_mode_not_the_old_files(tmp_path: Path) -> None:
    """An output made from a source that has gone: not an in-place stamp of the output."""
    page = _old_page(tmp_path, 0o600)
    atomic.write_bytes(page, b"new", mode_from=tmp_path / "gone.html")
    assert page.read_bytes() == b"new" and os.stat(page).st_mode & 0o777 == 0o644


def test_unwritable_names_a_refusal_and_probes_the_folder_asked_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Path] = []

    def refuse(folder: Path) -> tuple[int, Path]:
        asked.append(folder)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic, "_create_temp", refuse)
    assert atomic.unwritable(tmp_path / "out") == "Permission denied"
    assert asked == [tmp_path / "out"]

    def bare(folder: Path) -> tuple[int, Path]:
        raise OSError  # no errno, no text: the kind of error is all there is to say

    monkeypatch.setattr(atomic, "_create_temp", bare)
    assert atomic.unwritable(tmp_path / "out") == "OSError"


def test_each_temp_file_is_journalled_before_it_exists_and_only_while_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = tmp_path / "state" / "temps"
    journal.parent.mkdir()
    out = tmp_path / "out"
    names = iter(["1" * 16, "2" * 16, "3" * 16])
    monkeypatch.setattr(atomic.secrets, "token_hex", lambda n: next(names))
    with atomic.recording_temps(journal):
        atomic.write_bytes(out / "a.html", b"a")
        atomic.write_bytes(out / "b.html", b"b")
    atomic.write_bytes(out / "c.html", b"c")  # recording stopped: not journalled
    temps = [out / f"{atomic.TEMP_PREFIX}{digit * 16}" for digit in "12"]
    assert journal.read_bytes() == b"".join(os.fsencode(p) + b"\0" for p in temps)
    assert os.stat(journal).st_mode & 0o777 == 0o600
    assert sorted(p.name for p in out.iterdir()) == ["a.html", "b.html", "c.html"]


def test_the_sweep_removes_its_journal_and_reads_each_name_whole(tmp_path: Path) -> None:
    left = [tmp_path / f"{atomic.TEMP_PREFIX}{digit * 16}" for digit in "67"]
    for path in left:
        path.write_bytes(b"half")
    journal = _journal(tmp_path, *left)
    assert atomic.sweep_temp_files(journal, tmp_path) == 2
    assert not journal.exists() and not any(p.exists() for p in left)
    assert atomic.sweep_temp_files(journal, tmp_path) == 0  # no journal: nothing to sweep


def test_the_temp_file_is_private_while_written_and_named_for_the_sweep(
    tmp_path: Path,
) -> None:
    """Until it takes the target's mode, a half-written file is the writer's alone; its
    name is one the sweep recognises, or a killed build's leftover would stay forever."""
    journal = tmp_path / "temps"
    with atomic.recording_temps(journal), atomic.replace(tmp_path / "page.html") as handle:
        assert os.fstat(handle.fileno()).st_mode & 0o777 == 0o600
    (name,) = filter(None, journal.read_bytes().split(b"\0"))
    assert atomic.is_temp_name(Path(os.fsdecode(name)).name)


def test_the_sweep_passes_over_a_recorded_file_already_renamed(tmp_path: Path) -> None:
    """The usual entry: a write that finished, its temp name now gone."""
    gone = tmp_path / f"{atomic.TEMP_PREFIX}{'8' * 16}"
    assert atomic.sweep_temp_files(_journal(tmp_path, gone), tmp_path) == 0


def test_unwritable_is_not_fooled_by_a_probe_it_cannot_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "unlink", refuse)
    assert atomic.unwritable(tmp_path) is None  # it could write: that is the question
