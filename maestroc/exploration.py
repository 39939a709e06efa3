"""Design-space exploration of one group of designs: cost expressions evaluated over grids with numpy.

A design is one value per hardware axis (``num_pes``, ``noc_bw``, ``noc_latency``,
``offchip_bw``, ``l1_size``, ``l2_size``, ``num_simd_lanes``) and per swept
``Constant`` of the network. Designs are explored in *groups* that share the
network's structure: one group per combination of constants and ``num_pes``
(which decide the loop nest and its cases). Within a group each quantity is
evaluated only over the axes it depends on:

* runtime and bandwidth needs: the cost model run once per layer shape and block over
  numpy arrays (maestroc.engine), over ``noc_bw x noc_latency x offchip_bw x
  num_simd_lanes`` (exact int64; Python ints if a value could overflow);
* energy, MACs, buffer needs: exact ints, one per group;
* area and power (MAESTRO's model, with the design's L1/L2 sizes): over
  ``noc_bw x num_simd_lanes`` for the front, and counted over ``l1_size x l2_size``
  by binary search (both grow with the buffer sizes, so the sizes within a budget
  are a prefix of each axis).

The runtime grid is split into *blocks* of bounded size (the memory bound), each a
contiguous run of the grid in C order, and the budgets are checked between blocks.
A design is valid when every layer is legal, every layer's L1/L2 need fits the
design's L1/L2 size, the bandwidth caps hold and area and power are within the
budgets; each invalid design is counted under the first check it fails
(:data:`REASONS`). For the Pareto front only the smallest valid L1/L2 sizes of
each point need considering, since larger ones cost more area and power and
change nothing else. Objectives are compared exactly (pareto.py).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from maestroc import ast
from maestroc.algebra import INT64_SAFE, IntegerAlgebra
from maestroc.costmodel import shape_key
from maestroc.coverage import network_gaps
from maestroc.diagnostics import Diagnostics
from maestroc.dse_grid import Budget, blocks, fitting, pair_counts
from maestroc.hardware import HardwareSpec
from maestroc.engine import grid_cost
from maestroc.ir import LayerIR, NetworkIR
from maestroc.metrics import area_power, energy_breakdown, output_elements
from maestroc.pareto import minimal_rows
from maestroc.passes import PIPELINE
from maestroc.pipeline import PassContext, run_pipeline
from maestroc.space import Axis, DesignSpace
from maestroc.timing import folded

CLOUD_SAMPLE = 256
RUNTIME_AXES = ("noc_bw", "noc_latency", "offchip_bw", "num_simd_lanes")
# Why an invalid design is invalid, in the order the checks apply; a design counts under the first it fails.
# "coverage" is for groups whose layers' MAC counts are not the layers' true counts (a group-level check,
# like legality).
REASONS = ("legality", "coverage", "l1_fit", "l2_fit", "bandwidth", "area", "power")
# Peak bytes per point of a runtime block, measured on multi-layer networks with a margin
# (bench/dse_budget.py): int64 arrays, and Python ints when a runtime could exceed int64.
BYTES_PER_POINT, OBJECT_BYTES_PER_POINT = 512, 8192
MAX_BLOCK_POINTS = 1 << 18
SEARCH_ABOVE = 64  # l2_size values beyond which pairs are counted by binary search  # also bounds one block's time, so budgets are honoured within a second


# ---- one group: a network structure for fixed constants and num_pes --------------------------
@dataclass
class GroupResult:
    key: tuple  # (constants, num_pes)
    explored: int
    valid: int
    designs: list[dict[str, int]] = field(default_factory=list)  # the group's Pareto candidates
    metrics: list[dict[str, object]] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)  # reason -> invalid designs (REASONS)
    error: str | None = None
    stopped: str | None = None  # "time" or "designs" when a budget ended the group early
    # (throughput, energy) of up to CLOUD_SAMPLE valid points, evenly spaced, for the front plot
    cloud: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))


@dataclass
class GroupTotals:
    """A sized network's per-group constants and its layers' shapes (each run over a block by maestroc.engine)."""

    shapes: list[LayerIR]
    macs: int
    energy: float
    l1_size: int
    l2_size: int
    exact_python: bool  # a runtime could exceed int64: evaluate with Python ints


def sized_network(tree: ast.MappingFile, constants: dict[str, int], num_pes: int) -> tuple[NetworkIR, Diagnostics]:
    diagnostics = Diagnostics()
    result = run_pipeline(ast.with_constants(tree, constants), PIPELINE,
                          PassContext(diagnostics, HardwareSpec(num_pes=num_pes)))
    return result.ir, diagnostics  # type: ignore[return-value]


def group_invalid_reason(network: NetworkIR, diagnostics: Diagnostics) -> tuple[str, str] | None:
    """(reason, message) when no design of the group can be valid, whatever its hardware values.

    Legality: a layer the pipeline rejects for this ``num_pes`` and these Constants. Coverage: a layer
    whose MAC count is not the layer's true count (maestroc.coverage), so its figures are not the layer's.
    """
    if diagnostics.has_errors or network.illegal:
        return "legality", next((f"{d.code}: {d.message}" for d in diagnostics), "illegal")
    if gaps := network_gaps(network):
        return "coverage", f"coverage: {gaps[0].message}"
    return None


def group_totals(network: NetworkIR, space: DesignSpace) -> GroupTotals:
    """MACs, energy and buffer needs (exact, one per group) and each layer's shape for the runtime blocks."""
    # The design with the largest runtime: least bandwidth and lanes, most latency (the axes are sorted).
    noc_bw, noc_latency, offchip_bw, lanes = (space.axis(name) for name in RUNTIME_AXES)
    worst = IntegerAlgebra(int(noc_bw[0]), int(noc_latency[-1]), int(offchip_bw[0]), int(lanes[0]),
                           space.base.noc_topology)
    totals = GroupTotals([], 0, 0.0, 0, 0, False)
    for layer in network.layers:
        key = shape_key(layer)
        top = folded(key, worst).top()  # counts do not depend on the hardware; the runtime is the largest
        totals.shapes.append(key)
        # Overflow guard: the network's runtime is at most the layers' largest runtimes summed.
        if top.runtime >= INT64_SAFE / max(len(network.layers), 1):
            totals.exact_python = True
        totals.macs += top.macs
        totals.energy += sum(energy_breakdown(top, output_elements(key), space.base).values())
        totals.l1_size = max(totals.l1_size, sum(top.first_l1_req.values()))
        totals.l2_size = max(totals.l2_size, sum(top.l2_req.values()))
    return totals


def runtime_block(totals: GroupTotals, space: DesignSpace, box: tuple[slice, ...],
                  budget: Budget | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Network runtime (sum of layers) and peak NoC and off-chip needs (max of layers) over one box.

    None when ``budget``'s deadline passes between two layers (the block is then left unexplored).
    """
    axes = tuple(tuple(space.axis(name)[box[index]]) for index, name in enumerate(RUNTIME_AXES))
    shape = tuple(len(values) for values in axes)
    dtype = object if totals.exact_python else np.int64
    runtime, noc_req, offchip_req = (np.zeros(shape, dtype=dtype) for _ in range(3))
    for key in totals.shapes:
        if budget is not None and budget.late():
            return None
        cost = grid_cost(key, axes, space.base.noc_topology)  # the one cost model over the block's hardware
        if cost.exact_python and runtime.dtype != object:  # a layer's own numbers beyond int64
            runtime, noc_req, offchip_req = (a.astype(object) for a in (runtime, noc_req, offchip_req))
        layer_runtime = cost.runtime.astype(object) if runtime.dtype == object else cost.runtime
        runtime = runtime + layer_runtime
        noc_req = np.maximum(noc_req, cost.peak_noc_bw)
        offchip_req = np.maximum(offchip_req, cost.offchip_bw)
    return runtime, noc_req, offchip_req


def _block_limit(totals: GroupTotals, memory: int) -> int:
    per_point = OBJECT_BYTES_PER_POINT if totals.exact_python else BYTES_PER_POINT
    return max(1, min(MAX_BLOCK_POINTS, memory // per_point))


def _points_per_block(limit: int, budget: Budget, per_point: int) -> int:
    """Runtime-grid points per block: the memory bound, and no more than the designs the budget has left,
    so that --max-designs stops within one point's designs of N rather than one memory-sized block after."""
    if budget.designs is None:
        return limit
    return max(1, min(limit, budget.designs // per_point))


def _objective_columns(space: DesignSpace, totals: GroupTotals, runtime: np.ndarray, area: np.ndarray,
                       power: np.ndarray) -> list[np.ndarray]:
    """Within a group, columns ordered exactly as the objectives (minimised): MACs and energy are the
    group's constants, so throughput and energy-delay order as the (integer) runtime does."""
    zeros = np.zeros(len(runtime), dtype=np.int64)
    columns = {"runtime": runtime, "throughput": runtime if totals.macs > 0 else zeros, "energy": zeros,
               "edp": runtime if totals.energy > 0 else (-runtime if totals.energy < 0 else zeros),
               "area": area, "power": power}
    return [columns[o] for o in space.objectives]


def evaluate_group(tree: ast.MappingFile, space: DesignSpace, constants: dict[str, int], num_pes: int,
                   budget: Budget | None = None, on_block: Callable[[int], None] | None = None) -> GroupResult:
    """Count the valid designs of one group (by reason for the invalid ones) and return its Pareto candidates.

    ``on_block(designs)`` is told the designs of each finished block (progress inside a large group).
    """
    budget = budget or Budget()
    key = (tuple(sorted(constants.items())), num_pes)
    shape = tuple(len(space.axis(a)) for a in RUNTIME_AXES)
    l1_values, l2_values = space.axis("l1_size"), space.axis("l2_size")
    per_point = len(l1_values) * len(l2_values)
    network, diagnostics = sized_network(tree, constants, num_pes)
    invalid = group_invalid_reason(network, diagnostics)
    if invalid:
        explored = math.prod(shape) * per_point
        return GroupResult(key, explored, 0, removed={invalid[0]: explored}, error=invalid[1])
    totals = group_totals(network, space)
    l1_ok = fitting(l1_values, totals.l1_size, space.fit_buffers)
    l2_ok = fitting(l2_values, totals.l2_size, space.fit_buffers)
    result = GroupResult(key, 0, 0, removed=dict.fromkeys(REASONS[2:], 0))
    candidates: list[dict[str, np.ndarray]] = []
    clouds: list[np.ndarray] = []
    limit = _block_limit(totals, budget.memory)
    for box in blocks(shape, _points_per_block(limit, budget, per_point)):
        if (reason := budget.exceeded(result.explored)):
            result.stopped = reason
            break
        points = math.prod(len(range(n)[s]) for n, s in zip(shape, box))
        removed = {"l1_fit": points * (len(l1_values) - len(l1_ok)) * len(l2_values),
                   "l2_fit": points * len(l1_ok) * (len(l2_values) - len(l2_ok))}
        valid, block = 0, None
        if l1_ok and l2_ok:
            evaluated = _evaluate_block(space, num_pes, totals, box, l1_ok, l2_ok, limit, budget)
            if evaluated is None:  # the deadline passed inside the block: it stays unexplored
                result.stopped = "time"
                break
            block_removed, valid, block = evaluated
            removed.update(block_removed)
        result.explored += points * per_point
        if on_block:
            on_block(points * per_point)
        result.valid += valid
        for reason, count in removed.items():
            result.removed[reason] += count
        if block is not None:
            candidates.append(block[0])
            clouds.append(block[1])
    result.removed = {reason: n for reason, n in result.removed.items() if n}
    if candidates:
        _keep_front(space, totals, constants, num_pes, l1_ok[0], l2_ok[0], candidates, result)
        cloud = np.concatenate(clouds)
        result.cloud = cloud[np.linspace(0, len(cloud) - 1, min(len(cloud), CLOUD_SAMPLE)).astype(int)]
    return result


def _evaluate_block(space: DesignSpace, num_pes: int, totals: GroupTotals, box: tuple[slice, ...], l1_ok: Axis,
                    l2_ok: Axis, limit: int, budget: Budget) -> tuple[dict[str, int], int, tuple | None] | None:
    """One block's invalid designs by reason, its valid count, and (when some are valid) its Pareto
    candidates and a sample of its valid points; None when the deadline passes inside it."""
    grids = runtime_block(totals, space, box, budget)
    if grids is None:
        return None
    runtime, noc_req, offchip_req = grids
    bw_ok = np.ones(runtime.shape, dtype=bool)
    if "max_noc_bw_req" in space.constraints:
        bw_ok &= noc_req <= space.constraints["max_noc_bw_req"]
    if "max_offchip_bw_req" in space.constraints:
        bw_ok &= offchip_req <= space.constraints["max_offchip_bw_req"]
    pairs = len(l1_ok) * len(l2_ok)
    noc_bw = np.array(space.axis("noc_bw")[box[0]], dtype=np.float64).reshape(-1, 1)
    lanes = np.array(space.axis("num_simd_lanes")[box[3]], dtype=np.float64).reshape(1, -1)
    counted = pair_counts(space, num_pes, noc_bw, lanes, l1_ok, l2_ok, limit, budget)
    if counted is None:
        return None
    area_pairs, both_pairs = (np.asarray(c) for c in counted)
    points_ok = bw_ok.sum(axis=(1, 2))  # bandwidth-valid points per (noc_bw, lanes)
    points_ok = points_ok.astype(object) if pairs >= INT64_SAFE // max(bw_ok.size, 1) else points_ok
    removed = {"bandwidth": int((~bw_ok).sum()) * pairs, "area": int((points_ok * (pairs - area_pairs)).sum()),
               "power": int((points_ok * (area_pairs - both_pairs)).sum())}
    valid = int((points_ok * both_pairs).sum())
    if valid == 0:
        return removed, 0, None
    # The cheapest (l1, l2) of each point: the smallest sizes, when they pass the budgets.
    cheapest = area_power(num_pes, lanes, l1_ok[0], l2_ok[0], noc_bw)
    area, power = (np.broadcast_to(cheapest[k], (noc_bw.shape[0], lanes.shape[1])) for k in ("area", "power"))
    cheap_ok = np.ones(area.shape, dtype=bool)
    if "area" in space.constraints:
        cheap_ok &= area <= space.constraints["area"]
    if "power" in space.constraints:
        cheap_ok &= power <= space.constraints["power"]

    def per_point(values: np.ndarray) -> np.ndarray:
        return np.broadcast_to(values[:, None, None, :], runtime.shape)

    usable = bw_ok & per_point(cheap_ok)
    index = np.flatnonzero(np.ravel(usable))
    runtime_ok = np.ravel(runtime)[index]
    needed = {"area": area, "power": power}
    gathered = {name: np.ravel(per_point(needed[name]))[index] if name in space.objectives else runtime_ok
                for name in needed}  # area and power gathered only when they are objectives
    keep = index[minimal_rows(_objective_columns(space, totals, runtime_ok, gathered["area"], gathered["power"]))]
    sample = index[np.linspace(0, len(index) - 1, min(len(index), CLOUD_SAMPLE)).astype(int)]
    sampled_runtime = np.ravel(runtime)[sample].astype(np.float64)
    cloud = np.stack([totals.macs / np.maximum(sampled_runtime, 1), np.full(len(sample), totals.energy)], axis=1)
    offsets = np.array([s.start or 0 for s in box], dtype=np.int64)
    points = np.stack(np.unravel_index(keep, runtime.shape), axis=1) + offsets
    kept = {"runtime": runtime, "noc": noc_req, "offchip": offchip_req, "area": per_point(area),
            "power": per_point(power)}
    return removed, valid, ({"point": points, **{name: np.ravel(grid)[keep] for name, grid in kept.items()}}, cloud)


def _keep_front(space: DesignSpace, totals: GroupTotals, constants: dict[str, int], num_pes: int, l1: int, l2: int,
                candidates: list[dict[str, np.ndarray]], result: GroupResult) -> None:
    """The group's Pareto candidates from its blocks' (the blocks are in grid order, as one block would be)."""
    rows = {name: np.concatenate([c[name] for c in candidates]) for name in candidates[0]}
    keep = np.arange(len(rows["runtime"])) if len(candidates) == 1 else np.flatnonzero(minimal_rows(
        _objective_columns(space, totals, rows["runtime"], rows["area"], rows["power"])))
    for i in keep:
        point = tuple(int(p) for p in rows["point"][i])
        result.designs.append(_design(space, num_pes, constants, point, l1, l2))
        result.metrics.append(_metrics(totals, int(rows["runtime"][i]), int(rows["noc"][i]),
                                       int(rows["offchip"][i]), rows["area"][i], rows["power"][i]))


def _design(space: DesignSpace, num_pes: int, constants: dict[str, int], point: tuple[int, ...], l1: int,
            l2: int) -> dict[str, int]:
    """One design's parameters from its indices on the runtime axes and its buffer sizes."""
    design = {name: space.axis(name)[i] for name, i in zip(RUNTIME_AXES, point)}
    return {"num_pes": num_pes, **design, "l1_size": int(l1), "l2_size": int(l2), **constants}


def _metrics(totals: GroupTotals, run: int, noc: int, offchip: int, area: float, power: float) -> dict[str, object]:
    """One design's metrics: exact integers for counts and cycles, floats for energy, area and power."""
    return {"runtime": run, "throughput": totals.macs / run if run else math.inf,
            "energy": totals.energy, "edp": totals.energy * run, "area": float(area), "power": float(power),
            "macs": totals.macs, "l1_size_req": totals.l1_size, "l2_size_req": totals.l2_size,
            "noc_bw_req": noc, "offchip_bw_req": offchip}


def groups(space: DesignSpace) -> Iterator[tuple[dict[str, int], int]]:
    names = sorted(space.constants)
    for combo in itertools.product(*(space.constants[n] for n in names)):
        for num_pes in space.axis("num_pes"):
            yield dict(zip(names, combo)), num_pes


def all_designs(tree: ast.MappingFile, space: DesignSpace) -> Iterator[tuple[dict[str, int], dict[str, object]]]:
    """Every design of a (small) space with its metrics, validity and the first check it fails, one by one.

    The same evaluation of the cost model as the exploration; for checking and for small sweeps.
    """
    for constants, num_pes in groups(space):
        network, diagnostics = sized_network(tree, constants, num_pes)
        invalid = group_invalid_reason(network, diagnostics)
        totals = None if invalid else group_totals(network, space)
        grids = runtime_block(totals, space, (slice(None),) * 4) if totals else None
        for point in itertools.product(*(range(len(space.axis(a))) for a in RUNTIME_AXES)):
            for l1, l2 in itertools.product(space.axis("l1_size"), space.axis("l2_size")):
                design = _design(space, num_pes, constants, point, l1, l2)
                if totals is None or grids is None:
                    yield design, {"valid": False, "removed_by": invalid[0] if invalid else None}
                    continue
                cost = area_power(num_pes, design["num_simd_lanes"], l1, l2, design["noc_bw"])
                metrics = _metrics(totals, int(grids[0][point]), int(grids[1][point]), int(grids[2][point]),
                                   cost["area"], cost["power"])
                metrics["removed_by"] = first_failed_check(space, metrics, l1, l2)
                metrics["valid"] = metrics["removed_by"] is None
                yield design, metrics


def first_failed_check(space: DesignSpace, metrics: dict[str, object], l1: int, l2: int) -> str | None:
    """The first check (in :data:`REASONS` order) a design of a legal group fails, or None if it is valid."""
    limits = space.constraints
    checks = [("l1_fit", not space.fit_buffers or metrics["l1_size_req"] <= l1),  # type: ignore[operator]
              ("l2_fit", not space.fit_buffers or metrics["l2_size_req"] <= l2),  # type: ignore[operator]
              ("bandwidth", metrics["noc_bw_req"] <= limits.get("max_noc_bw_req", math.inf)  # type: ignore
               and metrics["offchip_bw_req"] <= limits.get("max_offchip_bw_req", math.inf)),  # type: ignore
              ("area", metrics["area"] <= limits.get("area", math.inf)),  # type: ignore[operator]
              ("power", metrics["power"] <= limits.get("power", math.inf))]  # type: ignore[operator]
    return next((reason for reason, ok in checks if not ok), None)
