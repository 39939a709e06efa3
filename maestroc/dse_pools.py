"""Who runs the exploration's tasks: this process, worker processes, or a Dask cluster.

Each pool has ``width`` (tasks worth keeping in flight), ``submit(*task)``,
``wait_any(running) -> (finished, still running)``, ``results(finished)``,
``cancel(running)`` and ``close()``. A task is :func:`run_task`'s arguments.

Worker processes never outlive the exploration: each one watches its parent and
exits as soon as the parent is gone, whatever ended it (SIGTERM, SIGKILL, a crash),
and ``close()`` ends them at once when the exploration stops early.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # concurrent.futures is imported when a pool is made: `maestroc --help` needs none
    from concurrent.futures import Future

PARENT_CHECK_SECONDS = 0.25
DEFAULT_CONNECT_TIMEOUT = 10.0


def _exit_with_parent(parent: int) -> None:
    """Worker initialiser: a daemon thread ends this process once ``parent`` is no longer its parent."""

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)  # the parent is gone: nobody waits for this worker's answers
            time.sleep(PARENT_CHECK_SECONDS)

    threading.Thread(target=watch, name="maestroc-parent-watch", daemon=True).start()


@contextlib.contextmanager
def _stops_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while the executor changes its state (starting workers, queueing, shutting
    down): the stop-cleanly handler raises, and an exception inside concurrent.futures' bookkeeping can leave
    its manager thread waiting for ever at exit. A signal that arrives meanwhile is delivered right after."""
    stops = {signal.SIGINT, signal.SIGTERM}
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class SerialPool:
    """Runs each task in this process, in order, when it is submitted."""

    width = 1

    def __init__(self, task: Callable) -> None:
        self.task = task

    def submit(self, *args: object) -> list:
        return self.task(*args)

    def wait_any(self, running: list) -> tuple[list, list]:
        return list(running), []

    def results(self, finished: list) -> list:
        return [group for chunk in finished for group in chunk]

    def cancel(self, running: list) -> None:
        pass

    def close(self, finished: bool = True) -> None:
        pass


class ProcessPool:
    """Worker processes of this machine (concurrent.futures)."""

    def __init__(self, workers: int, task: Callable) -> None:
        # The initialiser records the parent as the worker sees it (the fork server when one is used;
        # it ends with this process, so a worker's parent changes either way).
        from concurrent.futures import ProcessPoolExecutor

        self.executor = ProcessPoolExecutor(max_workers=workers, initializer=_watch_own_parent)
        self.width = workers
        self.task = task

    def submit(self, *args: object) -> Future:
        with _stops_held():
            return self.executor.submit(self.task, *args)

    def wait_any(self, running: list) -> tuple[list, list]:
        from concurrent.futures import FIRST_COMPLETED, wait

        finished, pending = wait(running, return_when=FIRST_COMPLETED)
        return list(finished), list(pending)

    def results(self, finished: list) -> list:
        return [group for f in finished for group in f.result()]

    def cancel(self, running: list) -> None:
        for future in running:
            future.cancel()

    def close(self, finished: bool = True) -> None:
        """Wait for the workers after a complete run; end them at once after an early stop."""
        processes = list(getattr(self.executor, "_processes", {}).values())
        results = getattr(self.executor, "_result_queue", None)  # shutdown() forgets it
        with _stops_held():
            self.executor.shutdown(wait=finished, cancel_futures=True)
            if not finished:
                _end_workers(processes, getattr(results, "_wlock", None))


def _end_workers(processes: list, write_lock: object | None) -> None:
    """Terminate the workers, but none half-way through writing a result: a partial message in the result
    pipe leaves concurrent.futures' manager thread reading it for ever, and the interpreter waiting for that
    thread at exit. While this process holds the result queue's write lock, no worker is writing."""
    held = write_lock is not None and write_lock.acquire(timeout=5)  # type: ignore[attr-defined]
    try:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
    finally:
        if held:
            write_lock.release()  # type: ignore[union-attr]


def _watch_own_parent() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's stop-cleanly handler
    if hasattr(signal, "pthread_sigmask"):  # started while the parent held its stop signals: take them again
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    _exit_with_parent(os.getppid())


class SchedulerUnreachable(OSError):
    """The address does not answer as a Dask scheduler within the timeout."""


class DaskPool:
    """Workers of a Dask cluster (``dask.distributed``): a scheduler's address, or a local cluster.

    Only the network's text, the space and the group's parameters travel to a worker;
    only the group's counts and front travel back. A task whose worker dies is run
    again elsewhere by the scheduler. A scheduler address is first probed with a
    Dask handshake bounded by ``timeout`` seconds: a port that accepts connections
    but does not speak Dask's protocol fails fast instead of hanging.
    """

    def __init__(self, task: Callable, scheduler: str | None = None, workers: int = 2,
                 timeout: float = DEFAULT_CONNECT_TIMEOUT) -> None:
        from distributed import Client, LocalCluster

        self.task = task
        self.cluster = None
        if scheduler is None:
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            _probe_scheduler(scheduler, timeout)
            self.client = Client(scheduler, timeout=timeout)
        self.width = max(len(self.client.scheduler_info().get("workers", {})), 1)

    def submit(self, *args: object):  # type: ignore[no-untyped-def]
        return self.client.submit(self.task, *args, pure=False)

    def wait_any(self, running: list) -> tuple[list, list]:
        from distributed import wait as dask_wait

        done = dask_wait(running, return_when="FIRST_COMPLETED")
        finished = [f for f in running if f in done.done]
        return finished, [f for f in running if f not in done.done]

    def results(self, finished: list) -> list:
        return [group for f in finished for group in f.result()]

    def cancel(self, running: list) -> None:
        self.client.cancel(running)

    def close(self, finished: bool = True) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _probe_scheduler(address: str, timeout: float) -> None:
    """Open and close one Dask connection to ``address``, or raise SchedulerUnreachable after ``timeout`` s.

    The probe runs its own event loop in a helper thread, so it works from a notebook's running loop too.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from distributed.comm import connect

    async def probe() -> None:
        comm = await asyncio.wait_for(connect(address, timeout=timeout), timeout)
        await comm.close()

    try:
        with ThreadPoolExecutor(max_workers=1) as thread:
            thread.submit(asyncio.run, probe()).result()
    except TimeoutError as error:
        raise SchedulerUnreachable(f"no Dask scheduler answered at {address} within {timeout:g} s (is it a Dask "
                                   "scheduler's address? see --scheduler-timeout)") from error
    except (OSError, ValueError) as error:
        raise SchedulerUnreachable(f"cannot reach the Dask scheduler at {address}: {error}") from error
