"""The process pool of a build: each file's task in a worker, or in this process when
there is too little work for workers to pay for themselves.

Workers ignore SIGINT and SIGTERM: the parent decides how to stop, so every file is
either as it was or complete. A worker that dies (the OOM killer) makes its files errors.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from optout_site.build import atomic
from optout_site.build.report import ERROR, FileResult

if TYPE_CHECKING:
    from optout_site.build.plan import Task

# Below this much work a process pool costs more than it saves (starting the workers
# and sending them the tasks: tens of milliseconds): the files are done in this process.
SERIAL_FILES = 32
SERIAL_BYTES = 8_000_000


def serial(tasks: list[Task], jobs: int) -> bool:
    """Too little work for a process pool: one job, or a few small files."""
    if jobs == 1 or len(tasks) < 2:
        return True
    if len(tasks) > SERIAL_FILES:
        return False
    size = 0
    for task in tasks:
        with contextlib.suppress(OSError):  # the task itself reports a missing file
            size += os.stat(task.src).st_size
    return size <= SERIAL_BYTES


def run(tasks: list[Task], jobs: int | None, journal: Path | None) -> Iterator[FileResult]:
    if not tasks:
        return  # a no-op rebuild imports none of the per-file work (pages, images)
    from optout_site.build import work

    jobs = jobs or os.cpu_count() or 1
    if serial(tasks, jobs):
        yield from map(work.process, tasks)
        return
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    chunk = max(1, len(tasks) // (jobs * 8))
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker, initargs=(journal,))
    done = 0
    try:
        for result in pool.map(work.process, tasks, chunksize=chunk):
            done += 1
            yield result
    except BrokenProcessPool:
        # A worker was killed (the OOM killer, a signal to it alone): its files and the
        # queued ones were not finished. Each is named; every write was atomic.
        pool.shutdown(wait=False, cancel_futures=True)
        for task in tasks[done:]:
            message = "not processed: a worker process died (out of memory?); run again"
            yield FileResult(task.rel, task.kind, ERROR, message)
        return
    except BaseException:
        # Ctrl-C or SIGTERM in the parent: queued files are dropped, workers finish the
        # file in hand (each write is atomic) and exit. A second signal while they do
        # kills them and leaves at once; their temp files are swept by the next build.
        with _second_signal_kills_workers():
            pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


@contextlib.contextmanager
def _second_signal_kills_workers() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    import multiprocessing

    def stop_now(signum: int, frame: object) -> None:
        for child in multiprocessing.active_children():
            child.kill()
        name = "interrupted" if signum == signal.SIGINT else "terminated"
        os.write(2, f"optout-site: {name} again; stopped the workers at once\n".encode())
        # Not an exception: raising here, inside the pool's shutdown, is what hung.
        os._exit(128 + signum)

    previous = {s: signal.signal(s, stop_now) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _worker(journal: Path | None) -> None:
    _ignore_interrupts()
    atomic.record_temps(journal)  # a spawned worker does not inherit the parent's setting


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group, and SIGTERM may too (a cancelled CI job):
    # only the parent decides how to stop, so a worker never dies mid-pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
