"""``maestroc map --workers N`` (and ``--dask``, ``--scheduler``): layer shapes searched side by side.

Each shape's search is the same function of the same inputs wherever it runs, so the
result does not depend on the number of workers or where they are (a time budget aside,
which depends on the machine's speed). The workers are the DSE's pools
(:mod:`maestroc.dse_pools`): local processes that end with this one, or a Dask
cluster. A time budget gives each shape, when it starts, a share of the time left in
proportion to its space's size (among the shapes left to start, per worker); a deadline
is sent as seconds left, so the clocks of other machines do not matter. A stop request
(Ctrl-C, SIGTERM) ends the workers at once; the shapes they had not finished keep their
template points, evaluated here, and are marked ``interrupted``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from maestroc.hardware import HardwareSpec
from maestroc.ir import LayerIR
from maestroc.mapping.outcome import Budget, Directives, LayerSearch
from maestroc.mapping.search import search_layer
from maestroc.mapping.space import SpaceSettings

POLL_SECONDS = 0.2  # how often the parent looks at the stop request while workers run
DEFAULT_CONNECT_TIMEOUT = 10.0  # as dse's --scheduler-timeout

ShapeTask = tuple[LayerIR, tuple[tuple[str, Directives], ...]]  # a shape's layer and its template points


@dataclass(frozen=True)
class Workers:
    """Where the shapes are searched: ``count`` local processes, or a Dask cluster (local or at an address)."""

    count: int = 1
    dask: bool = False
    scheduler: str | None = None
    scheduler_timeout: float = DEFAULT_CONNECT_TIMEOUT

    @property
    def parallel(self) -> bool:
        return self.count > 1 or self.dask or self.scheduler is not None

    def pool(self):  # type: ignore[no-untyped-def]
        """A started pool; ImportError without dask, OSError when the scheduler cannot be reached."""
        from maestroc.dse_pools import DaskPool, ProcessPool

        if self.dask or self.scheduler is not None:
            return DaskPool(_search_task, self.scheduler, workers=self.count, timeout=self.scheduler_timeout)
        return ProcessPool(self.count, _search_task)


def _search_task(layer: LayerIR, hardware: HardwareSpec, settings: SpaceSettings, objectives: tuple[str, ...],
                 seconds: float | None, max_mappings: int | None,
                 candidates: tuple[tuple[str, Directives], ...], prune: bool = True) -> LayerSearch:
    """One shape's search in a worker (``seconds``: its share of the time budget, from when it starts)."""
    deadline = time.monotonic() + seconds if seconds is not None else None
    return search_layer(layer, hardware, settings, objectives, Budget(deadline, max_mappings), candidates,
                        prune=prune)


def _finished(pool, running: list, timeout: float) -> list:  # type: ignore[no-untyped-def]
    """The futures of ``running`` that finish within ``timeout`` seconds (maybe none)."""
    from maestroc.dse_pools import ProcessPool

    if isinstance(pool, ProcessPool):
        from concurrent.futures import FIRST_COMPLETED, wait

        return list(wait(running, timeout=timeout, return_when=FIRST_COMPLETED).done)
    from distributed import wait as dask_wait

    try:
        done = dask_wait(running, timeout=timeout, return_when="FIRST_COMPLETED").done
    except TimeoutError:
        return []
    return [f for f in running if f in done]


def search_shapes(tasks: Sequence[ShapeTask], sizes: Sequence[int], hardware: HardwareSpec, settings: SpaceSettings,
                  objectives: tuple[str, ...], budget: Budget, pool,  # type: ignore[no-untyped-def]
                  done: Callable[[int, LayerSearch], None] | None = None, prune: bool = True) -> list[LayerSearch]:
    """Every shape's search on ``pool`` (closed here), the results in the order of ``tasks``; ``sizes``: the
    mappings each will consider (its space, capped by ``max_mappings``); ``done(index, search)`` is called as
    each finishes; ``prune`` as search_layer's.

    The largest spaces start first, so that the small ones fill the workers at the end rather than a
    large one running alone (each search is the same wherever and whenever it runs).
    """
    results: list[LayerSearch | None] = [None] * len(tasks)
    pending = sorted(range(len(tasks)), key=lambda index: -sizes[index])
    running: dict = {}
    width = max(pool.width, 1)
    try:
        while (pending or running) and not budget.stop.is_set():
            while pending and len(running) < width:
                index = pending.pop(0)
                # In proportion to its size, of the work left for ``width`` workers (all of the time at most).
                share = budget.share(width * sizes[index] / max(sizes[index] + sum(sizes[i] for i in pending), 1))
                seconds = max(share.deadline - time.monotonic(), 0.0) if share.deadline is not None else None
                layer, candidates = tasks[index]
                running[pool.submit(layer, hardware, settings, objectives, seconds, share.max_mappings,
                                    candidates, prune)] = index
            for future in _finished(pool, list(running), POLL_SECONDS):
                index = running.pop(future)
                results[index] = future.result()
                if done is not None:
                    done(index, results[index])
    finally:
        pool.close(finished=not running)
    for index, result in enumerate(results):
        if result is None:  # stopped before this shape finished: its template points only
            layer, candidates = tasks[index]
            results[index] = search_layer(layer, hardware, settings, objectives, budget, candidates, prune=prune)
    return results  # type: ignore[return-value]
