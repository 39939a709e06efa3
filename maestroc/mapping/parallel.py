"""``maestroc map --workers N``: distinct layer shapes searched in worker processes.

Each shape's search is the same function of the same inputs wherever it runs, so the
result does not depend on the number of workers (a time budget aside, which depends
on the machine's speed). The workers are the DSE's (:class:`maestroc.dse_pools.ProcessPool`:
they end with this process). A time budget gives each shape, when it starts, its share
of the time left (shapes left to start, per worker); deadlines are ``time.monotonic``
values, one clock for every process of the machine. A stop request (Ctrl-C, SIGTERM)
ends the workers at once; the shapes they had not finished keep their template points,
evaluated here, and are marked ``interrupted``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait

from maestroc.hardware import HardwareSpec
from maestroc.ir import LayerIR
from maestroc.mapping.search import Budget, Directives, LayerSearch, search_layer
from maestroc.mapping.space import SpaceSettings

POLL_SECONDS = 0.2  # how often the parent looks at the stop request while workers run

ShapeTask = tuple[LayerIR, tuple[tuple[str, Directives], ...]]  # a shape's layer and its template points


def _search_task(layer: LayerIR, hardware: HardwareSpec, settings: SpaceSettings, objectives: tuple[str, ...],
                 deadline: float | None, max_mappings: int | None,
                 candidates: tuple[tuple[str, Directives], ...]) -> LayerSearch:
    """One shape's search in a worker process."""
    return search_layer(layer, hardware, settings, objectives, Budget(deadline, max_mappings), candidates)


def search_shapes(tasks: Sequence[ShapeTask], hardware: HardwareSpec, settings: SpaceSettings,
                  objectives: tuple[str, ...], budget: Budget, workers: int,
                  done: Callable[[int, LayerSearch], None] | None = None) -> list[LayerSearch]:
    """Every shape's search over ``workers`` processes, in the order of ``tasks``; ``done(index, search)``
    is called as each finishes."""
    from maestroc.dse_pools import ProcessPool

    results: list[LayerSearch | None] = [None] * len(tasks)
    pending = list(range(len(tasks)))
    running: dict[Future, int] = {}
    pool = ProcessPool(workers, _search_task)
    try:
        while (pending or running) and not budget.stop.is_set():
            while pending and len(running) < workers:
                index = pending.pop(0)
                share = budget.share(math.ceil((len(pending) + 1) / workers))
                layer, candidates = tasks[index]
                running[pool.submit(layer, hardware, settings, objectives, share.deadline, share.max_mappings,
                                    candidates)] = index
            finished, _ = wait(list(running), timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in finished:
                index = running.pop(future)
                results[index] = future.result()
                if done is not None:
                    done(index, results[index])
    finally:
        pool.close(finished=not running)
    for index, result in enumerate(results):
        if result is None:  # stopped before this shape finished: its template points only
            layer, candidates = tasks[index]
            results[index] = search_layer(layer, hardware, settings, objectives, budget, candidates)
    return results  # type: ignore[return-value]
