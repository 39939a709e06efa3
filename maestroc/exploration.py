"""Design-space exploration: the cost expressions evaluated over grids of designs with numpy.

A design is one value per hardware axis (``num_pes``, ``noc_bw``, ``noc_latency``,
``offchip_bw``, ``l1_size``, ``l2_size``, ``num_simd_lanes``) and per swept
``Constant`` of the network. Designs are explored in *groups* that share the
network's structure: one group per combination of constants and ``num_pes``
(which decide the loop nest and its cases). Within a group each quantity is
evaluated only over the axes it depends on:

* runtime and bandwidth needs: the cost model of maestroc.costmodel run once per
  layer shape over numpy arrays (maestroc.engine), over ``noc_bw x noc_latency x
  offchip_bw x num_simd_lanes`` (exact int64; Python ints if a value could overflow);
* energy, MACs, buffer needs: exact ints, one per group;
* area and power (MAESTRO's model, with the design's L1/L2 sizes): over
  ``noc_bw x num_simd_lanes x l1_size x l2_size``.

A design is valid when every layer is legal, every layer's L1/L2 need fits the
design's L1/L2 size, area and power are within the budgets and the bandwidth caps
hold. Valid designs are counted exactly; for the Pareto front only the smallest
valid L1/L2 sizes of each point need considering, since larger ones cost more
area and power and change nothing else. Designs with identical objective values
are represented once. Results do not depend on the order or the number of
workers: groups are independent and the fronts are merged deterministically.
"""

from __future__ import annotations

import itertools
import math
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from maestroc import ast
from maestroc.costmodel import shape_key
from maestroc.diagnostics import Diagnostics
from maestroc.engine import INT64_SAFE, grid_cost
from maestroc.hardware import HardwareSpec
from maestroc.ir import NetworkIR
from maestroc.metrics import area_power, energy_breakdown
from maestroc.passes import PIPELINE
from maestroc.pipeline import PassContext, run_pipeline
from maestroc.space import OBJECTIVES, DesignSpace

CLOUD_SAMPLE = 256
RUNTIME_AXES = ("noc_bw", "noc_latency", "offchip_bw", "num_simd_lanes")


# ---- one group: a network structure for fixed constants and num_pes --------------------------
@dataclass
class GroupResult:
    key: tuple  # (constants, num_pes)
    explored: int
    valid: int
    front: np.ndarray  # candidate objective vectors (minimisation form), one row per design
    designs: list[dict[str, int]]
    metrics: list[dict[str, float]]
    error: str | None = None
    # (throughput, energy) of up to CLOUD_SAMPLE valid points, evenly spaced, for the front plot
    cloud: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))


def sized_network(tree: ast.MappingFile, constants: dict[str, int], num_pes: int) -> tuple[NetworkIR, Diagnostics]:
    diagnostics = Diagnostics()
    result = run_pipeline(ast.with_constants(tree, constants), PIPELINE,
                          PassContext(diagnostics, HardwareSpec(num_pes=num_pes)))
    return result.ir, diagnostics  # type: ignore[return-value]


def _evaluate_layers(network: NetworkIR, space: DesignSpace) -> dict[str, object]:
    """Network totals over the runtime grid (arrays) and per-group constants (ints, energy)."""
    axes = tuple(tuple(space.axis(name)) for name in RUNTIME_AXES)
    shape = tuple(len(values) for values in axes)
    runtime = np.zeros(shape, dtype=np.int64)
    noc_req = np.zeros(shape, dtype=np.int64)
    offchip_req = np.zeros(shape, dtype=np.int64)
    counts: dict[str, object] = {"macs": 0, "energy": 0.0, "l1_size": 0, "l2_size": 0}
    exact_python = False
    for layer in network.layers:
        # One run of the cost model per layer shape covers the whole grid (maestroc.engine).
        cost = grid_cost(shape_key(layer), axes)
        if cost.exact_python or cost.runtime_bound >= INT64_SAFE / max(len(network.layers), 1):
            exact_python = True
        if exact_python:
            runtime = runtime.astype(object) + cost.runtime
        else:
            runtime = runtime + cost.runtime
        noc_req = np.maximum(noc_req, cost.peak_noc_bw)
        offchip_req = np.maximum(offchip_req, cost.offchip_bw)
        counts["macs"] += cost.macs
        counts["energy"] += sum(energy_breakdown(cost.macs, cost.l1_accesses, cost.l2_accesses, space.base).values())
        counts["l1_size"] = max(counts["l1_size"], cost.l1_size)
        counts["l2_size"] = max(counts["l2_size"], cost.l2_size)
    return {"runtime": runtime, "noc_req": noc_req, "offchip_req": offchip_req, **counts}


def _design(space: DesignSpace, num_pes: int, constants: dict[str, int], point: tuple[int, ...], l1: int,
            l2: int) -> dict[str, int]:
    """One design's parameters from its indices on the runtime axes and its buffer sizes."""
    design = {name: space.axis(name)[i] for name, i in zip(RUNTIME_AXES, point)}
    return {"num_pes": num_pes, **design, "l1_size": int(l1), "l2_size": int(l2), **constants}


def _metrics(totals: dict[str, object], point: tuple[int, ...], area: float, power: float) -> dict[str, float]:
    """One design's metrics from its group's totals and its area and power."""
    run = int(totals["runtime"][point])  # type: ignore[index]
    energy = totals["energy"]
    return {"runtime": run, "throughput": totals["macs"] / run if run else math.inf,  # type: ignore[operator]
            "energy": energy, "edp": energy * run, "area": float(area), "power": float(power),  # type: ignore
            "macs": totals["macs"], "l1_size_req": totals["l1_size"], "l2_size_req": totals["l2_size"],
            "noc_bw_req": int(totals["noc_req"][point]),  # type: ignore[index]
            "offchip_bw_req": int(totals["offchip_req"][point])}  # type: ignore[index]


def objective_vectors(space: DesignSpace, runtime: np.ndarray, macs: int, energy: float, area: np.ndarray,
                      power: np.ndarray) -> np.ndarray:
    """Columns in ``space.objectives`` order, all to be minimised (throughput negated)."""
    runtime_f = runtime.astype(np.float64)
    columns = []
    for objective in space.objectives:
        if objective == "runtime":
            columns.append(runtime_f)
        elif objective == "throughput":
            columns.append(-(macs / np.maximum(runtime_f, 1)))
        elif objective == "energy":
            columns.append(np.full_like(runtime_f, energy))
        elif objective == "edp":
            columns.append(energy * runtime_f)
        elif objective == "area":
            columns.append(np.broadcast_to(area, runtime_f.shape).astype(np.float64))
        else:
            columns.append(np.broadcast_to(power, runtime_f.shape).astype(np.float64))
    return np.stack([np.ravel(c) for c in columns], axis=1)


def evaluate_group(tree: ast.MappingFile, space: DesignSpace, constants: dict[str, int], num_pes: int) -> GroupResult:
    """Count the valid designs of one group and return its Pareto candidates."""
    key = (tuple(sorted(constants.items())), num_pes)
    runtime_points = math.prod(len(space.axis(a)) for a in RUNTIME_AXES)
    l1_values = np.array(space.axis("l1_size"), dtype=np.int64)
    l2_values = np.array(space.axis("l2_size"), dtype=np.int64)
    explored = runtime_points * len(l1_values) * len(l2_values)
    network, diagnostics = sized_network(tree, constants, num_pes)
    empty = np.zeros((0, len(space.objectives)))
    if diagnostics.has_errors or network.illegal:
        first = next((f"{d.code}: {d.message}" for d in diagnostics), "illegal")
        return GroupResult(key, explored, 0, empty, [], [], error=first)
    totals = _evaluate_layers(network, space)
    energy = totals["energy"]
    # Buffer fit: only L1/L2 sizes at or above the largest need qualify.
    if space.fit_buffers:
        l1_ok, l2_ok = l1_values[l1_values >= totals["l1_size"]], l2_values[l2_values >= totals["l2_size"]]
    else:
        l1_ok, l2_ok = l1_values, l2_values
    noc_bw = np.array(space.axis("noc_bw"), dtype=np.float64).reshape(-1, 1, 1, 1)
    lanes = np.array(space.axis("num_simd_lanes"), dtype=np.float64).reshape(1, -1, 1, 1)
    # Area and power over noc_bw x lanes x l1 x l2 (the only axes they depend on).
    cost = area_power(num_pes, lanes, l1_ok.reshape(1, 1, -1, 1), l2_ok.reshape(1, 1, 1, -1), noc_bw)
    area, power = np.broadcast_arrays(cost["area"], cost["power"])
    pair_ok = np.ones(area.shape, dtype=bool)
    if "area" in space.constraints:
        pair_ok &= area <= space.constraints["area"]
    if "power" in space.constraints:
        pair_ok &= power <= space.constraints["power"]
    pairs = pair_ok.sum(axis=(2, 3))  # valid (l1, l2) pairs per (noc_bw, lanes)
    bw_ok = np.ones(totals["runtime"].shape, dtype=bool)
    if "max_noc_bw_req" in space.constraints:
        bw_ok &= totals["noc_req"] <= space.constraints["max_noc_bw_req"]
    if "max_offchip_bw_req" in space.constraints:
        bw_ok &= totals["offchip_req"] <= space.constraints["max_offchip_bw_req"]
    pairs_grid = pairs.reshape(pairs.shape[0], 1, 1, pairs.shape[1])  # (B, 1, 1, V)
    valid = int((bw_ok * pairs_grid).sum())
    if valid == 0:
        return GroupResult(key, explored, 0, empty, [], [])
    # The cheapest valid (l1, l2) of each point: the smallest sizes, when they pass the budgets.
    cheapest_area = np.broadcast_to(area[:, :, 0, 0].reshape(pairs_grid.shape), bw_ok.shape)
    cheapest_power = np.broadcast_to(power[:, :, 0, 0].reshape(pairs_grid.shape), bw_ok.shape)
    usable = bw_ok & np.broadcast_to(pair_ok[:, :, 0, 0].reshape(pairs_grid.shape), bw_ok.shape)
    runtime = totals["runtime"]
    vectors = objective_vectors(space, runtime, totals["macs"], energy, cheapest_area, cheapest_power)
    index = np.flatnonzero(np.ravel(usable))
    keep = index[pareto_mask(vectors[index])]
    sample = index[np.linspace(0, len(index) - 1, min(len(index), CLOUD_SAMPLE)).astype(int)]
    flat_runtime = np.ravel(runtime)[sample].astype(np.float64)
    cloud = np.stack([totals["macs"] / np.maximum(flat_runtime, 1), np.full(len(sample), energy)], axis=1)
    designs, metrics = [], []
    for flat in keep:
        point = tuple(int(i) for i in np.unravel_index(flat, runtime.shape))
        designs.append(_design(space, num_pes, constants, point, l1_ok[0], l2_ok[0]))
        metrics.append(_metrics(totals, point, cheapest_area[point], cheapest_power[point]))
    return GroupResult(key, explored, valid, vectors[keep], designs, metrics, cloud=cloud)


def pareto_mask(points: np.ndarray) -> np.ndarray:
    """Rows not dominated by any other row (all objectives minimised); equal rows kept once."""
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort(points.T[::-1])
    keep = np.zeros(len(points), dtype=bool)
    if points.shape[1] == 2:
        # Sorted by (first, second): a point survives when its second value beats every earlier one.
        second = points[order, 1]
        earlier_best = np.concatenate(([math.inf], np.minimum.accumulate(second)[:-1]))
        keep[order[second < earlier_best]] = True
        return keep
    # In lexicographic order a point's dominators (and its equals) come before it, so each
    # block of points is checked against the front so far and against its own earlier points.
    front = np.zeros((0, points.shape[1]))
    for begin in range(0, len(order), 64):
        block_index = order[begin:begin + 64]
        block = points[block_index]
        beaten = np.zeros(len(block), dtype=bool)
        if len(front):
            beaten |= np.all(front[:, None, :] <= block[None, :, :], axis=2).any(axis=0)
        within = np.all(block[:, None, :] <= block[None, :, :], axis=2)  # [j, i]: j is <= i everywhere
        beaten |= np.triu(within, k=1).any(axis=0)  # some earlier point of the block is <= it
        keep[block_index[~beaten]] = True
        front = np.concatenate([front, block[~beaten]])
    return keep


# ---- the exploration ----------------------------------------------------------------------------
@dataclass
class ExplorationResult:
    explored: int = 0
    valid: int = 0
    seconds: float = 0.0
    stopped_early: str | None = None
    front: list[tuple[dict[str, int], dict[str, float]]] = field(default_factory=list)
    cloud: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # sampled valid designs
    errors: dict[str, tuple[int, str]] = field(default_factory=dict)  # code -> (groups, first message)

    @property
    def rate(self) -> float:
        return self.explored / self.seconds if self.seconds else 0.0


def groups(space: DesignSpace) -> Iterator[tuple[dict[str, int], int]]:
    names = sorted(space.constants)
    for combo in itertools.product(*(space.constants[n] for n in names)):
        for num_pes in space.axis("num_pes"):
            yield dict(zip(names, combo)), num_pes


_TREES: dict[int, ast.MappingFile] = {}


def evaluate_groups_from_text(text: str, space: DesignSpace,
                              items: list[tuple[dict[str, int], int]]) -> list[GroupResult]:
    """A worker's task: some groups; the network travels as its text (no shared file system needed)."""
    return [evaluate_group_from_text(text, space, constants, num_pes) for constants, num_pes in items]


def evaluate_group_from_text(text: str, space: DesignSpace, constants: dict[str, int], num_pes: int) -> GroupResult:
    key = hash(text)
    if key not in _TREES:
        from maestroc.parser import source_from_text
        from maestroc.frontend import load_source

        diagnostics = Diagnostics()
        tree = load_source(source_from_text(text, "<network>"), diagnostics, "mapping")
        assert isinstance(tree, ast.MappingFile) and not diagnostics.has_errors
        _TREES[key] = tree
    return evaluate_group(_TREES[key], space, constants, num_pes)


class _SerialPool:
    """Runs each group in this process, in order."""

    width = 1

    def __init__(self, tree: ast.MappingFile) -> None:
        self.tree = tree

    def submit(self, text: str, space: DesignSpace, items: list[tuple[dict[str, int], int]]) -> list[GroupResult]:
        return [evaluate_group(self.tree, space, constants, num_pes) for constants, num_pes in items]

    def wait_any(self, running: list) -> tuple[list[GroupResult], list]:
        return list(running), []

    def results(self, finished: list) -> list[GroupResult]:
        return [group for chunk in finished for group in chunk]

    def cancel(self, running: list) -> None:
        pass


class _ProcessPool:
    """Worker processes of this machine (concurrent.futures)."""

    def __init__(self, workers: int) -> None:
        self.executor = ProcessPoolExecutor(max_workers=workers)
        self.width = workers

    def submit(self, *args: object) -> Future:
        return self.executor.submit(evaluate_groups_from_text, *args)

    def wait_any(self, running: list) -> tuple[list, list]:
        finished, pending = wait(running, return_when=FIRST_COMPLETED)
        return list(finished), list(pending)

    def results(self, finished: list) -> list[GroupResult]:
        return [group for f in finished for group in f.result()]

    def cancel(self, running: list) -> None:
        for future in running:
            future.cancel()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


class DaskPool:
    """Workers of a Dask cluster (``dask.distributed``): a scheduler's address, or a local cluster.

    Only the network's text, the space and the group's parameters travel to a worker;
    only the group's counts and front travel back. A task whose worker dies is run
    again elsewhere by the scheduler.
    """

    def __init__(self, scheduler: str | None = None, workers: int = 2) -> None:
        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler is None:
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            self.client = Client(scheduler)
        self.width = max(len(self.client.scheduler_info().get("workers", {})), 1)

    def submit(self, *args: object):  # type: ignore[no-untyped-def]
        return self.client.submit(evaluate_groups_from_text, *args, pure=False)

    def wait_any(self, running: list) -> tuple[list, list]:
        from distributed import wait as dask_wait

        done = dask_wait(running, return_when="FIRST_COMPLETED")
        finished = [f for f in running if f in done.done]
        return finished, [f for f in running if f not in done.done]

    def results(self, finished: list) -> list[GroupResult]:
        return [group for f in finished for group in f.result()]

    def cancel(self, running: list) -> None:
        self.client.cancel(running)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def merge_front(results: list[GroupResult]) -> list[tuple[dict[str, int], dict[str, float]]]:
    """The global front from the groups' candidates, in a deterministic order."""
    rows = [(r.front[i], r.designs[i], r.metrics[i]) for r in results for i in range(len(r.designs))]
    if not rows:
        return []
    rows.sort(key=lambda row: (tuple(row[0]), tuple(sorted(row[1].items()))))
    points = np.array([row[0] for row in rows])
    mask = pareto_mask(points)
    return [(rows[i][1], rows[i][2]) for i in range(len(rows)) if mask[i]]


def explore(path: str, tree: ast.MappingFile, space: DesignSpace, workers: int = 1, time_budget: float | None = None,
            max_designs: int | None = None, progress: Callable[[ExplorationResult], None] | None = None,
            pool: object | None = None, chunk: int = 1) -> ExplorationResult:
    """Explore ``space``; stops early (keeping the front so far) on a budget or Ctrl-C.

    ``pool`` runs the groups: this process (``workers=1``), worker processes
    (``workers > 1``) or a :class:`DaskPool`, ``chunk`` groups per task. The result is
    the same whatever runs them and however they are chunked.
    """
    result = ExplorationResult()
    done: list[GroupResult] = []
    start = time.perf_counter()
    text = Path(path).read_text(encoding="utf-8-sig") if workers > 1 or pool is not None else ""
    own_pool = pool is None and workers > 1
    runner = pool or (_ProcessPool(workers) if workers > 1 else _SerialPool(tree))

    def over_budget() -> str | None:
        if time_budget is not None and time.perf_counter() - start >= time_budget:
            return f"time budget of {time_budget:g} s reached"
        if max_designs is not None and result.explored >= max_designs:
            return f"{max_designs} designs reached"
        return None

    pending_groups = groups(space)
    running: list = []
    try:
        exhausted = False
        while True:
            while not exhausted and len(running) < 2 * runner.width and not result.stopped_early:  # type: ignore
                if (reason := over_budget()):
                    result.stopped_early = reason
                    break
                items = list(itertools.islice(pending_groups, max(chunk, 1)))
                if not items:
                    exhausted = True
                    break
                running.append(runner.submit(text, space, items))  # type: ignore[attr-defined]
            if not running:
                break
            finished, running = runner.wait_any(running)  # type: ignore[attr-defined]
            for group in runner.results(finished):  # type: ignore[attr-defined]
                done.append(group)
                result.explored += group.explored
                result.valid += group.valid
                if group.error:
                    code = group.error.split(":", 1)[0]
                    count, first = result.errors.get(code, (0, group.error))
                    result.errors[code] = (count + 1, first)
                result.seconds = time.perf_counter() - start
                if progress:
                    progress(result)
    except KeyboardInterrupt:
        result.stopped_early = "interrupted"
        runner.cancel(running)  # type: ignore[attr-defined]
    finally:
        if own_pool:
            runner.close()  # type: ignore[attr-defined]
    result.seconds = time.perf_counter() - start
    result.front = merge_front(done)
    clouds = [g.cloud for g in sorted(done, key=lambda g: g.key) if len(g.cloud)]
    result.cloud = np.concatenate(clouds) if clouds else np.zeros((0, 2))
    return result


def best_per_objective(result: ExplorationResult) -> dict[str, tuple[dict[str, int], dict[str, float]]]:
    """The front design that is best for each objective (largest throughput, smallest otherwise)."""
    best = {}
    for objective, direction in OBJECTIVES.items():
        if not result.front:
            break
        pick = max if direction == "max" else min
        best[objective] = pick(result.front, key=lambda item: item[1][objective])
    return best



def all_designs(tree: ast.MappingFile, space: DesignSpace) -> Iterator[tuple[dict[str, int], dict[str, object]]]:
    """Every design of a (small) space with its metrics and validity, materialised one by one.

    The same evaluation of the cost model as :func:`explore`; for checking and for small sweeps.
    """
    for constants, num_pes in groups(space):
        network, diagnostics = sized_network(tree, constants, num_pes)
        legal = not diagnostics.has_errors and not network.illegal
        totals = _evaluate_layers(network, space) if legal else None
        for point in itertools.product(*(range(len(space.axis(a))) for a in RUNTIME_AXES)):
            for l1, l2 in itertools.product(space.axis("l1_size"), space.axis("l2_size")):
                design = _design(space, num_pes, constants, point, l1, l2)
                if totals is None:
                    yield design, {"valid": False}
                    continue
                cost = area_power(num_pes, design["num_simd_lanes"], l1, l2, design["noc_bw"])
                metrics: dict[str, object] = _metrics(totals, point, cost["area"], cost["power"])
                metrics["valid"] = _valid(space, metrics, l1, l2)
                yield design, metrics


def _valid(space: DesignSpace, metrics: dict[str, object], l1: int, l2: int) -> bool:
    checks = [not space.fit_buffers or (metrics["l1_size_req"] <= l1 and metrics["l2_size_req"] <= l2)]
    limits = {"area": "area", "power": "power", "max_noc_bw_req": "noc_bw_req",
              "max_offchip_bw_req": "offchip_bw_req"}
    checks += [metrics[limits[name]] <= bound for name, bound in space.constraints.items()]
    return all(checks)
