"""``maestroc map --workers N`` (``--dask``, ``--scheduler``): layer shapes, and parts of each, side by side.

Each part of a shape's search is the same function of the same inputs wherever it runs, and
the parts merge into what one search finds (maestroc.mapping.outcome.merged), so the result
does not depend on the number of workers or where they are (a time budget aside, which
depends on the machine's speed; how many mappings the bound pruned may differ). The workers are the DSE's pools
(:mod:`maestroc.dse_pools`): local processes that end with this one, or a Dask
cluster. A time budget gives each task, when it starts, a share of the time left in
proportion to its shape's space size (among the tasks left to start, per worker); a deadline
is sent as seconds left, so the clocks of other machines do not matter. A stop request
(Ctrl-C, SIGTERM) ends the workers at once; the shapes they had not finished keep their
template points and the parts that had finished, and are marked ``interrupted``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from maestroc.hardware import HardwareSpec
from maestroc.ir import LayerIR
from maestroc.mapping.outcome import Budget, Directives, LayerSearch, merged
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
                 candidates: tuple[tuple[str, Directives], ...], prune: bool = True,
                 part: tuple[int, int] = (0, 1)) -> LayerSearch:
    """One part of a shape's search in a worker (``seconds``: its share of the time budget, from when it starts)."""
    deadline = time.monotonic() + seconds if seconds is not None else None
    return search_layer(layer, hardware, settings, objectives, Budget(deadline, max_mappings), candidates,
                        prune=prune, part=part)


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


def parts_per_shape(sizes: Sequence[int], width: int, capped: bool) -> list[int]:
    """How many parts each shape's search is split into for ``width`` workers: one per worker's share of the
    network's mappings it holds (rounded; at least one, at most ``width``), one when the search is ``capped``."""
    total = max(sum(sizes), 1)
    return [1 if capped else min(width, max(1, round(size * width / total))) for size in sizes]


def search_shapes(tasks: Sequence[ShapeTask], sizes: Sequence[int], hardware: HardwareSpec, settings: SpaceSettings,
                  objectives: tuple[str, ...], budget: Budget, pool,  # type: ignore[no-untyped-def]
                  done: Callable[[int, LayerSearch], None] | None = None, prune: bool = True) -> list[LayerSearch]:
    """Every shape's search on ``pool`` (closed here), the results in the order of ``tasks``; ``sizes``: the
    mappings each will consider (its space, capped by ``max_mappings``); ``done(index, search)`` is called as
    each finishes; ``prune`` as search_layer's.

    A shape larger than a worker's share of the network is split into consecutive parts of its groups
    (search_layer's ``part``), one per share it holds, searched as tasks of their own and merged in order
    (outcome.merged), so that one large layer keeps every worker busy. Smaller shapes stay whole: a part
    prunes from what it has found itself, so splitting costs full evaluations. With ``max_mappings``, which
    counts mappings in the space's order, a shape is one task. The largest tasks start first, so that the
    small ones fill the workers at the end (each task is the same computation wherever and whenever it runs).
    """
    width = max(pool.width, 1)
    counts = parts_per_shape(sizes, width, budget.max_mappings is not None)
    parts: list[list[LayerSearch | None]] = [[None] * count for count in counts]
    work = [size / count for size, count in zip(sizes, counts)]  # mappings per task of each shape
    units = [(index, part) for index, count in enumerate(counts) for part in range(count)]
    pending = sorted(units, key=lambda unit: -work[unit[0]])
    running: dict = {}
    try:
        while (pending or running) and not budget.stop.is_set():
            while pending and len(running) < width:
                index, part = pending.pop(0)
                # In proportion to its size, of the work left for ``width`` workers (all of the time at most).
                share = budget.share(width * work[index] / max(work[index] + sum(work[i] for i, _ in pending), 1))
                seconds = max(share.deadline - time.monotonic(), 0.0) if share.deadline is not None else None
                layer, candidates = tasks[index]
                running[pool.submit(layer, hardware, settings, objectives, seconds, share.max_mappings,
                                    candidates, prune, (part, counts[index]))] = (index, part)
            for future in _finished(pool, list(running), POLL_SECONDS):
                index, part = running.pop(future)
                parts[index][part] = future.result()
                if done is not None and all(p is not None for p in parts[index]):
                    done(index, merged(parts[index], objectives))  # type: ignore[arg-type]
    finally:
        pool.close(finished=not running)
    results = []
    for index, found in enumerate(parts):
        layer, candidates = tasks[index]
        for part, search in enumerate(found):
            if search is None:  # stopped before this part finished: its template points only (part 0)
                found[part] = search_layer(layer, hardware, settings, objectives, budget, candidates, prune=prune,
                                           part=(part, counts[index]))
        results.append(merged(found, objectives))  # type: ignore[arg-type]
    return results
