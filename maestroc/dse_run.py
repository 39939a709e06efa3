"""Running an exploration: groups sent to a pool in tasks, budgets, the merged result.

Groups are independent; each task returns its groups' counts, candidates and
samples, and the front is merged exactly and in a fixed order (pareto.py), so the
result depends neither on the number of workers nor on the chunk size nor on the
memory bound. A time budget, a design budget and Ctrl-C stop the run between
blocks of designs (exploration.py), keeping the front found so far; the result
says it stopped early only when designs were left unexplored.
"""

from __future__ import annotations

import functools
import itertools
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from maestroc import ast
from maestroc.diagnostics import Diagnostics
from maestroc.dse_grid import DEFAULT_MEMORY, Budget
from maestroc.dse_pools import ProcessPool, SerialPool
from maestroc.exploration import GroupResult, evaluate_group, groups
from maestroc.pareto import merge_front
from maestroc.space import DesignSpace, SpaceError, finite_positive

MIN_MEMORY = 64 << 20
CLOUD_GROUPS = 4096  # groups whose sample of valid points is kept for the plot


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an interrupt so the exploration stops cleanly (its workers ended, its front kept)."""


@dataclass
class ExplorationResult:
    explored: int = 0
    valid: int = 0
    seconds: float = 0.0
    stopped_early: str | None = None
    front: list[tuple[dict[str, int], dict[str, object]]] = field(default_factory=list)
    cloud: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # sampled valid designs
    errors: dict[str, tuple[int, str]] = field(default_factory=dict)  # code -> (groups, first message)
    removed: dict[str, int] = field(default_factory=dict)  # reason -> invalid designs (exploration.REASONS)
    in_progress: int = 0  # designs of the group being explored in this process (for the progress display)

    @property
    def rate(self) -> float:
        return self.explored / self.seconds if self.seconds else 0.0


def check_limits(time_budget: float | None, max_designs: int | None, memory: int) -> None:
    """Budgets are positive and finite; the memory bound is a whole number of bytes, at least 64 MiB."""
    if time_budget is not None:
        finite_positive("time_budget", time_budget)
    if max_designs is not None and (isinstance(max_designs, bool) or not isinstance(max_designs, int)
                                    or max_designs < 1):
        raise SpaceError(f"max_designs: expected a whole number above 0, not {max_designs!r}")
    if isinstance(memory, bool) or not isinstance(memory, int) or memory < MIN_MEMORY:
        raise SpaceError(f"memory: expected at least {MIN_MEMORY >> 20} MiB ({MIN_MEMORY:,} bytes), not {memory!r}")


_TREES: dict[int, ast.MappingFile] = {}


def run_task(source: str | ast.MappingFile, space: DesignSpace, items: list[tuple[dict[str, int], int]],
             budget: Budget, on_block: Callable[[int], None] | None = None) -> list[GroupResult]:
    """A task: some groups. The network travels as its text to workers (no shared file system needed).

    Once the budget is spent, the remaining groups come back unexplored and marked as stopped.
    """
    tree = source if isinstance(source, ast.MappingFile) else _tree_of(source)
    results: list[GroupResult] = []
    spent = 0
    for constants, num_pes in items:
        remaining = Budget(budget.deadline, None if budget.designs is None else budget.designs - spent, budget.memory)
        reason = remaining.exceeded(0)
        if reason:
            results.append(GroupResult((tuple(sorted(constants.items())), num_pes), 0, 0, stopped=reason))
            continue
        group = evaluate_group(tree, space, constants, num_pes, remaining, on_block)
        spent += group.explored
        results.append(group)
    return results


def _tree_of(text: str) -> ast.MappingFile:
    key = hash(text)
    if key not in _TREES:
        from maestroc.frontend import load_source
        from maestroc.parser import source_from_text

        diagnostics = Diagnostics()
        tree = load_source(source_from_text(text, "<network>"), diagnostics, "mapping")
        assert isinstance(tree, ast.MappingFile) and not diagnostics.has_errors
        _TREES[key] = tree
    return _TREES[key]


class _Collector:
    """Folds finished groups into the result, keeping memory bounded: the candidates are merged into
    the front as they grow, and the plot keeps the samples of a fixed set of groups."""

    def __init__(self, result: ExplorationResult, objectives: tuple[str, ...]) -> None:
        self.result, self.objectives = result, objectives
        self.candidates: list[tuple[dict[str, int], dict[str, object]]] = []
        self.merge_at = 10_000
        self.clouds: dict[tuple, tuple[int, np.ndarray]] = {}
        self.stopped: str | None = None

    def add(self, group: GroupResult) -> None:
        result = self.result
        result.explored += group.explored
        result.valid += group.valid
        for reason, count in group.removed.items():
            result.removed[reason] = result.removed.get(reason, 0) + count
        if group.error:
            code = group.error.split(":", 1)[0]
            count, first = result.errors.get(code, (0, group.error))
            result.errors[code] = (count + 1, first)
        if group.stopped:
            self.stopped = self.stopped or group.stopped
        self.candidates.extend(zip(group.designs, group.metrics))
        if len(self.candidates) > self.merge_at:
            self.candidates = merge_front(self.candidates, self.objectives)
            self.merge_at = max(10_000, 2 * len(self.candidates))
        if len(group.cloud):
            self.clouds[group.key] = (zlib.crc32(repr(group.key).encode()), group.cloud)
            if len(self.clouds) > 2 * CLOUD_GROUPS:
                self._thin_clouds()

    def _thin_clouds(self) -> None:
        kept = sorted(self.clouds.items(), key=lambda item: (item[1][0], item[0]))[:CLOUD_GROUPS]
        self.clouds = dict(kept)

    def finish(self) -> None:
        self._thin_clouds()
        self.result.front = merge_front(self.candidates, self.objectives)
        clouds = [cloud for _, (_, cloud) in sorted(self.clouds.items())]
        self.result.cloud = np.concatenate(clouds) if clouds else np.zeros((0, 2))


def explore(path: str, tree: ast.MappingFile, space: DesignSpace, workers: int = 1, time_budget: float | None = None,
            max_designs: int | None = None, progress: Callable[[ExplorationResult], None] | None = None,
            pool: object | None = None, chunk: int = 1, memory: int = DEFAULT_MEMORY,
            started: float | None = None) -> ExplorationResult:
    """Explore ``space``; stops early (keeping the front so far) on a budget or Ctrl-C.

    ``pool`` runs the groups: this process (``workers=1``), worker processes
    (``workers > 1``) or a :class:`~maestroc.dse_pools.DaskPool`, ``chunk`` groups per
    task. ``memory`` bounds the bytes of one block of designs. The time budget counts
    from ``started`` (a ``time.time()``; default: now). The result is the same
    whatever runs the groups and however they are chunked and blocked.
    """
    check_limits(time_budget, max_designs, memory)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SpaceError(f"workers: expected a whole number above 0, not {workers!r}")
    result = ExplorationResult()
    collector = _Collector(result, space.objectives)
    start, wall_start = time.perf_counter(), time.time()
    deadline = None if time_budget is None else (started or wall_start) + time_budget
    remote = workers > 1 or pool is not None
    source: str | ast.MappingFile = Path(path).read_text(encoding="utf-8-sig") if remote else tree
    own_pool = pool is None

    def block_done(designs: int) -> None:
        result.in_progress += designs
        if progress:
            progress(result)

    runner = pool or (ProcessPool(workers, run_task) if workers > 1 else
                      SerialPool(functools.partial(run_task, on_block=block_done)))
    messages = {"time": f"time budget of {time_budget or 0:g} s reached",
                "designs": f"{max_designs or 0:,} designs reached", "interrupted": "interrupted",
                "terminated": "terminated"}

    def budget() -> Budget:
        allowance = None if max_designs is None else max_designs - result.explored
        return Budget(deadline, allowance, memory)

    pending = groups(space)
    running: list = []
    try:
        exhausted = False
        while True:
            while not exhausted and len(running) < 2 * runner.width and not collector.stopped:  # type: ignore
                items = list(itertools.islice(pending, max(chunk, 1)))
                if not items:
                    exhausted = True
                    break
                collector.stopped = budget().exceeded(0)
                if collector.stopped:
                    break  # designs are left: this is an early stop
                running.append(runner.submit(source, space, items, budget()))  # type: ignore[attr-defined]
            if not running:
                break
            finished, running = runner.wait_any(running)  # type: ignore[attr-defined]
            for group in runner.results(finished):  # type: ignore[attr-defined]
                collector.add(group)
            result.in_progress = 0
            result.seconds = time.perf_counter() - start
            if progress:
                progress(result)
    except KeyboardInterrupt as interrupt:
        collector.stopped = "terminated" if isinstance(interrupt, Terminated) else "interrupted"
        runner.cancel(running)  # type: ignore[attr-defined]
    finally:
        if own_pool:
            runner.close(finished=collector.stopped is None)  # type: ignore[attr-defined]
    result.stopped_early = messages[collector.stopped] if collector.stopped else None
    result.seconds = time.perf_counter() - start
    collector.finish()
    return result


def nothing_to_explore(path: str, tree: ast.MappingFile, space: str | None, sets: list[str] | None) -> Diagnostics:
    """An E503 when the run could only explore nothing: a file without dataflows, or no space given.

    ``tree`` is a network as :func:`maestroc.api.load_network` gives it: a file without one is E004 there.
    """
    diagnostics = Diagnostics()
    if tree.kind == "model":
        diagnostics.error("E503", f"{path}: a model file (layers without dataflows): there is nothing to explore",
                          helps=((f"give the layers dataflows first: maestroc apply-dataflow {path} --dataflow "
                                  "TEMPLATE.m -o NET.m, then maestroc dse NET.m ..."),))
    elif not space and not sets:
        diagnostics.error("E503", "no design space: give the values to explore with --set or --space",
                          helps=("e.g. --set num_pes=64:1024:64 --set noc_bw=8:256:8 (docs/dse.md)",))
    return diagnostics
