"""The search over one layer's space: lower rows of families, evaluate them, filter, keep the best.

The inner loop holds no per-mapping Python object: rows come as a numpy table
(:meth:`Family.rows`), are lowered to a MappingBatch (:mod:`maestroc.mapping.lowering`),
evaluated by :func:`maestroc.batch.evaluate_batch`, and filtered and ranked with
vectorised masks. Only the best mapping and the Pareto front leave the loop.

Families that differ only in the top level's order (an OrderGroup) share their rows.
Validity (docs/mapping.md): the structure is checked once per family with the error
lint rules on the pipeline's IR of its first member (the size rules hold by
construction); then each mapping must fit the L1 and L2 limits and do the layer's MACs
exactly. Those three rules, and a lower bound of the objectives, are the same for every
order of a group, so the search decides them once per row for the whole group and
evaluates in full only the valid rows whose bound can still beat what was found
("Pruning"). Each rule's removals are counted, in that order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from maestroc.batch import BatchCost, MappingBatch, MappingGrid, evaluate_batch, gather, orders_free
from maestroc.batch_model import BOUND, NEEDS
from maestroc.costmodel import shape_key
from maestroc.coverage import true_macs
from maestroc.hardware import HardwareSpec
from maestroc.ir import ClusterMark, LayerIR, Loop
from maestroc.mapping.lowering import lower_directives, lower_grid, written_directives
from maestroc.mapping.space import Block, Family, OrderGroup, SpaceSettings, families, order_groups
from maestroc.pareto import pareto_mask

OBJECTIVES = ("runtime", "energy", "edp")
RULES = ("lint", "l1", "l2", "macs")  # the validity rules, in the order removals are counted
# The failure index of a mapping no rule removes, and of one whose lower bound is beaten (pruned).
_PASSES, _PRUNED = len(RULES), len(RULES) + 1
BLOCK = 1 << 16  # rows of a group decided at once, at most (the rules and the bound: one grid walk)
PAIRS = 1 << 20  # pairs (an order and a row) of a block at most: the time between budget checks
GRID = 1 << 20  # pairs per grid walk of full evaluations at most: bounds its memory
MAX_BATCH = 16384  # pairs per batch of chosen pairs at most: bounds the memory and the time between budget checks
GRID_SHARE = 16  # a block's chosen pairs go as its whole grid when they are at least 1/GRID_SHARE of its pairs

Directives = tuple[Loop | ClusterMark, ...]
Progress = Callable[[int], None]  # called with the mappings of each batch evaluated


@dataclass
class Budget:
    """When a search stops early: a deadline (monotonic seconds), a per-layer cap, or a stop request."""

    deadline: float | None = None
    max_mappings: int | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def reason(self, evaluated: int, templates: bool = False) -> str | None:
        """Why the search must stop now (None: go on).

        The template points (a few per layer: the baseline) stop only at ``max_mappings``, so that every
        layer of a run stopped early still gets the best template as its mapping.
        """
        if self.max_mappings is not None and evaluated >= self.max_mappings:
            return "max mappings"
        if templates:
            return None
        if self.stop.is_set():
            return "interrupted"
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "time budget"
        return None

    def share(self, fraction: float) -> Budget:
        """This budget for one of the searches left: ``fraction`` of the time that remains."""
        if self.deadline is None:
            return self
        now = time.monotonic()
        return Budget(now + max(self.deadline - now, 0.0) * min(max(fraction, 0.0), 1.0), self.max_mappings,
                      self.stop)


@dataclass(frozen=True)
class Found:
    """One mapping the search keeps: its written directives, where it came from, and its figures."""

    directives: Directives
    source: str  # a structure label, or the sample template's file name
    values: dict[str, float | int]  # runtime, energy, edp, l1_size, l2_size


@dataclass
class LayerSearch:
    """The outcome of one layer's search (shared by the layers of the same shape)."""

    best: Found | None = None
    front: list[Found] = field(default_factory=list)
    evaluated: int = 0  # mappings whose every figure was computed
    decided: int = 0  # mappings decided without that: by a rule or their lower bound (docs/mapping.md "Pruning")
    pruned: int = 0  # of those, the valid ones whose lower bound could not beat what was found
    valid: int = 0  # mappings that pass every rule (evaluated or pruned)
    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    seconds: float = 0.0
    templates: dict[str, Found | None] = field(default_factory=dict)  # each template point: its figures, if valid
    stopped: str | None = None  # why it stopped early (None: the whole space was searched)

    @property
    def considered(self) -> int:
        """Mappings of the space met so far, evaluated or decided (what ``max_mappings`` caps)."""
        return self.evaluated + self.decided


def objective_table(cost: BatchCost, objectives: tuple[str, ...]) -> np.ndarray:
    """One column per objective (all minimised), as float64 for ranking.

    Runtimes beyond 2**53 would lose ties in float64; the ranking then stays a correct
    order up to those ties, and the kept values are recomputed exactly by compile.
    """
    columns = {"runtime": cost.runtime.astype(np.float64), "energy": cost.energy.astype(np.float64),
               "edp": cost.energy.astype(np.float64) * cost.runtime.astype(np.float64)}
    return np.stack([columns[name] for name in objectives], axis=1)


class _Ranking:
    """The best mapping and the Pareto front so far, over any number of batches."""

    def __init__(self, objectives: tuple[str, ...]) -> None:
        self.objectives = objectives
        self.best_value = np.inf
        self.best: Found | None = None
        self.front_points = np.zeros((0, len(objectives)))
        self.front: list[Found] = []

    def beaten(self, bounds: np.ndarray) -> np.ndarray:
        """Rows whose objectives, at best ``bounds`` (lower bounds), cannot change the outcome.

        One objective: the bound is worse than the best so far (a tie is kept: it may win as the
        first found). Several: the bound is dominated by a point of the front (no better in any
        objective, worse in one), so the mapping is dominated too.
        """
        if len(self.objectives) < 2:
            return bounds[:, 0] > self.best_value
        beaten = np.zeros(len(bounds), dtype=bool)
        for point in self.front_points:
            beaten |= (point <= bounds).all(axis=1) & (point < bounds).any(axis=1)
        return beaten

    def offer(self, points: np.ndarray, make: Callable[[int], Found]) -> None:
        """Rank a batch's valid mappings: ``points`` their objectives, ``make(i)`` the Found of row i."""
        if not len(points):
            return
        first = int(np.argmin(points[:, 0]))
        if points[first, 0] < self.best_value:
            self.best_value, self.best = float(points[first, 0]), make(first)
        if len(self.objectives) < 2:
            return
        stacked = np.concatenate([self.front_points, points])
        keep = pareto_mask(stacked)
        old = len(self.front_points)
        kept_old = [self.front[i] for i in range(old) if keep[i]]
        new_rows = [i - old for i in np.flatnonzero(keep) if i >= old]
        self.front = kept_old + [make(i) for i in new_rows]
        self.front_points = stacked[keep]


def _figures(cost: BatchCost, index: int) -> dict[str, float | int]:
    runtime, energy = int(cost.runtime[index]), float(cost.energy[index])
    return {"runtime": runtime, "energy": energy, "edp": energy * runtime,
            "l1_size": int(cost.l1_size[index]), "l2_size": int(cost.l2_size[index])}


def _first_failure(passes: dict[str, np.ndarray]) -> np.ndarray:
    """Per mapping, the index in RULES of the first of these rules it fails (_PASSES: it passes them all)."""
    failed = np.full(len(next(iter(passes.values()))), _PASSES, dtype=np.int64)
    for rule in reversed(RULES):
        if rule in passes:
            failed[~passes[rule]] = RULES.index(rule)
    return failed


def _buffer_rules(cost: BatchCost, hardware: HardwareSpec) -> dict[str, np.ndarray]:
    return {"l1": cost.l1_size <= hardware.l1_size, "l2": cost.l2_size <= hardware.l2_size}


def _failed_rule(cost: BatchCost, macs: int, hardware: HardwareSpec) -> np.ndarray:
    """Per mapping, the index in RULES of the first rule it fails (_PASSES: it passes them all).

    The L1 and L2 needs are checked before the MAC count: they are known first (docs/mapping.md).
    """
    return _first_failure({**_buffer_rules(cost, hardware), "macs": cost.macs == macs})


def _count_failures(failed: np.ndarray, removed: dict[str, int]) -> None:
    for index, count in enumerate(np.bincount(failed, minlength=len(RULES) + 1)[:len(RULES)]):
        removed[RULES[index]] += int(count)


def _rank(cost: BatchCost, rows: np.ndarray, ranking: _Ranking,
          describe: Callable[[int], tuple[Directives, str]]) -> list[Found]:
    """Hand the batch's mappings ``rows`` (valid ones) to the ranking; their Found when there is one row."""
    points = objective_table(cost, ranking.objectives)[rows]

    def make(i: int) -> Found:
        return Found(*describe(int(rows[i])), _figures(cost, int(rows[i])))

    ranking.offer(points, make)
    return [make(i) for i in range(len(rows))] if len(cost.macs) == 1 else []


def search_layer(layer: LayerIR, hardware: HardwareSpec, settings: SpaceSettings, objectives: tuple[str, ...],
                 budget: Budget, templates: Sequence[tuple[str, Directives]] = (),
                 progress: Progress | None = None, prune: bool = True) -> LayerSearch:
    """Search ``layer`` (its IR after the tables pass): the sample templates first, then every group of families.

    With ``prune`` a row of a group is decided once for all the group's orders where its validity or
    its lower bound decides it (docs/mapping.md "Pruning"); without, every mapping is evaluated.
    Either way the outcome is the same.
    """
    start = time.monotonic()
    result = LayerSearch()
    ranking = _Ranking(objectives)
    macs = true_macs(layer)
    for name, directives in templates:
        if (reason := budget.reason(result.considered, templates=True)) is not None:
            result.stopped = reason
            break
        lowered, diagnostics = lower_directives(layer, directives, hardware)
        result.templates[name] = None
        if diagnostics.has_errors:
            result.removed["lint"] += 1
            continue
        cost = evaluate_batch(_single(lowered), hardware)
        result.evaluated += 1
        failed = _failed_rule(cost, macs, hardware)
        _count_failures(failed, result.removed)
        if failed[0] == len(RULES):
            result.valid += 1
            result.templates[name] = _rank(cost, np.zeros(1, dtype=np.int64), ranking,
                                           lambda i, d=directives, n=name: (d, n))[0]
        if progress is not None:
            progress(1)
    groups = order_groups(families(layer, hardware.num_pes, settings)) if result.stopped is None else []
    search = _GroupSearch(layer, hardware, budget, macs, ranking, result, progress, prune)
    for group in groups:
        if not search.run(group):
            break
    result.best, result.front = ranking.best, ranking.front
    result.seconds = time.monotonic() - start
    return result


def _single(lowered: LayerIR) -> MappingBatch:
    """A lowered layer as a batch of one (its own sizes)."""
    loops = [loop for level in lowered.levels for loop in level.loops]
    return MappingBatch(shape_key(lowered), np.array([[loop.size for loop in loops]], dtype=np.int64),
                        np.array([[loop.offset for loop in loops]], dtype=np.int64),
                        np.array([[level.sub_clusters for level in lowered.levels]], dtype=np.int64))


@dataclass(frozen=True)
class _Member:
    """A family of a group that passes the lint rules: where its choice columns are in the group's rows,
    and the rank of each of the template's top-level loops in its own order."""

    family: Family
    columns: list[int]
    template: LayerIR  # the pipeline's IR of its first member (shape_key)
    ranks: np.ndarray


@dataclass
class _GroupSearch:
    """The search of one layer's groups, block by block of rows (Family.blocks: fixed sizes, so that the
    order in which mappings are met, hence which of equal mappings is kept, never depends on timing).

    A block's mappings are the pairs (family, row), family by family. The rules and the lower bound
    are decided once per row, on the first family, over the block as a grid. The pairs left to evaluate
    go as the grid of the block's rows and every order (MappingGrid, several orders on the first family's
    template) when they are many, else as a batch of those pairs only; where the lower levels read the
    order (batch.orders_free), family by family.
    """

    layer: LayerIR
    hardware: HardwareSpec
    budget: Budget
    macs: int
    ranking: _Ranking
    result: LayerSearch
    progress: Progress | None
    prune: bool

    def run(self, group: OrderGroup) -> bool:
        """Every row of the group for each of its families; False when the budget stopped the search."""
        members: list[_Member] | None = None
        table = group.rows_table
        for block in table.blocks(max(1, min(BLOCK, PAIRS // len(group.families)))):
            rows = np.flatnonzero(block.in_space)
            if not len(rows):
                continue
            if members is None:
                members = self._lint(group, block.table[rows[0]])
            if not members:
                return True
            if not self._block(table, members, block, rows):
                return False
        return True

    def _lint(self, group: OrderGroup, first_row: np.ndarray) -> list[_Member]:
        """The group's families whose structure passes the lint rules (the others are out)."""
        members, templates = [], []
        for family, columns in zip(group.families, group.columns):
            lowered, diagnostics = lower_directives(
                self.layer, written_directives(family, self.layer, first_row[list(columns)]), self.hardware)
            if diagnostics.has_errors:  # a structure rule fails: the whole family is out
                self.result.removed["lint"] += family.count()
            else:
                templates.append(shape_key(lowered))
                members.append((family, list(columns)))
        if not members:
            return []
        top = [loop.dim for loop in templates[0].levels[0].loops]
        return [_Member(family, columns, template,
                        np.array([[loop.dim for loop in template.levels[0].loops].index(dim) for dim in top]))
                for (family, columns), template in zip(members, templates)]

    def _grid(self, member: _Member, block: Block, ranks: np.ndarray | None = None) -> MappingGrid:
        """The block's rows of ``member`` as a grid; with ``ranks``, every order of the group on a first axis."""
        columns = block.grid_columns(0 if ranks is None else 1)
        shape = block.shape if ranks is None else (len(ranks),) + block.shape
        return lower_grid(member.family, self.layer, member.template, [columns[c] for c in member.columns], shape,
                          self.hardware, ranks)

    def _block(self, table: Family, members: list[_Member], block: Block, rows: np.ndarray) -> bool:
        """The pairs (family, row) of one block of ``table`` (``rows``: the block's rows that are members);
        False when the budget stopped."""
        result = self.result
        if (reason := self.budget.reason(result.considered)) is not None:
            result.stopped = reason
            return False
        cells = len(block.table)
        # The pairs as cells of the grid (families, *block.shape), family by family; rows outside the space left out.
        pairs = (np.arange(len(members))[:, None] * cells + rows[None, :]).reshape(-1)
        capped = self.budget.max_mappings is not None and len(pairs) > self.budget.max_mappings - result.considered
        if capped:
            pairs = pairs[:max(self.budget.max_mappings - result.considered, 0)]  # type: ignore[operator]
        member_of, row_of = np.divmod(pairs, cells)
        status = np.full(len(pairs), _PASSES, dtype=np.int64)
        first = members[0]
        base = self._grid(first, block)
        if self.prune:
            failed, bounds = self._group_rules(base)
            status = failed[row_of]
            passing = np.flatnonzero(status == _PASSES)
            status[passing[self.ranking.beaten(bounds[row_of[passing]])]] = _PRUNED
        chosen = np.flatnonzero(status == _PASSES)
        shared = len(members) == 1 or orders_free(base)
        ranks = np.stack([member.ranks for member in members])  # each family's order, as ranks of the first's loops
        if len(chosen) * GRID_SHARE >= len(members) * cells:  # many: whole grids, then the pairs chosen
            self._count(status)
            self._evaluate(self._grids(table, members, block, shared, member_of[chosen], row_of[chosen]), members,
                           member_of[chosen], block.table[row_of[chosen]])
            if self.progress is not None:
                self.progress(len(pairs))
        elif not self._pairs(members, block, base, ranks, shared, status, member_of, row_of):
            return False
        if capped:  # the cap fell inside this block
            result.stopped = "max mappings"
            return False
        return True

    def _grids(self, table: Family, members: list[_Member], block: Block, shared: bool, member_of: np.ndarray,
               row_of: np.ndarray) -> BatchCost:
        """The figures of the pairs (``member_of``, ``row_of``; in the block's order) from grid walks of the block:
        in sub-blocks of rows whose grid of every order has at most GRID mappings, or, where the lower levels
        read the order, family by family."""
        parts = []
        ranks = np.stack([member.ranks for member in members]) if shared and len(members) > 1 else None
        for sub in table.blocks(max(1, GRID // (len(members) if shared else 1)), block.start,
                                block.start + len(block.table)):
            low, rows = sub.start - block.start, len(sub.table)
            inside = np.flatnonzero((row_of >= low) & (row_of < low + rows))
            if shared and len(inside):
                cost = evaluate_batch(self._grid(members[0], sub, ranks), self.hardware)
                parts.append((inside, _take(cost, member_of[inside] * rows + row_of[inside] - low)))
            for index in np.unique(member_of[inside]) if not shared else ():
                mine = inside[member_of[inside] == index]
                cost = evaluate_batch(self._grid(members[index], sub), self.hardware)
                parts.append((mine, _take(cost, row_of[mine] - low)))
        return gather(parts, len(member_of))

    def _pairs(self, members: list[_Member], block: Block, base: MappingGrid, ranks: np.ndarray, shared: bool,
               status: np.ndarray, member_of: np.ndarray, row_of: np.ndarray) -> bool:
        """Evaluate the block's chosen pairs as batches of those pairs, MAX_BATCH at a time, with a budget check
        between batches; False when the budget stopped the search."""
        chosen = np.flatnonzero(status == _PASSES)
        cuts = [0] + [int(chosen[i]) for i in range(MAX_BATCH, len(chosen), MAX_BATCH)] + [len(status)]
        for segment, (low, high) in enumerate(zip(cuts, cuts[1:])):
            if segment and (reason := self.budget.reason(self.result.considered)) is not None:
                self.result.stopped = reason
                return False
            part = status[low:high]
            pick = low + np.flatnonzero(part == _PASSES)
            self._count(part)
            if len(pick) and shared:
                batch = replace(base.rows(row_of[pick]), ranks=ranks[member_of[pick]])
                self._evaluate(evaluate_batch(batch, self.hardware), members, member_of[pick],
                               block.table[row_of[pick]])
            elif len(pick):  # the lower levels read the order: each family's rows on its own template
                for index in np.unique(member_of[pick]):
                    mine = pick[member_of[pick] == index]
                    batch = self._grid(members[index], block).rows(row_of[mine])
                    self._evaluate(evaluate_batch(batch, self.hardware), [members[index]],
                                   np.zeros(len(mine), dtype=np.int64), block.table[row_of[mine]])
            if self.progress is not None:
                self.progress(len(part))
        return True

    def _count(self, status: np.ndarray) -> None:
        """Count the mappings decided without a full evaluation: removed by a rule, or pruned."""
        result = self.result
        _count_failures(status, result.removed)
        pruned = int((status == _PRUNED).sum())
        result.pruned += pruned
        result.valid += pruned
        result.decided += int((status != _PASSES).sum())

    def _evaluate(self, cost: BatchCost, members: list[_Member], member_of: np.ndarray, values: np.ndarray) -> None:
        """Check the rules on evaluated pairs (``cost``, one per pair) and rank the valid ones."""
        result = self.result
        result.evaluated += len(cost.macs)
        # The rules again: a few mappings' needs are not known before (batch.evaluate_batch's NEEDS).
        rule = _failed_rule(cost, self.macs, self.hardware)
        _count_failures(rule, result.removed)
        keep = np.flatnonzero(rule == _PASSES)
        result.valid += len(keep)

        def describe(i: int) -> tuple[Directives, str]:
            member = members[member_of[i]]
            return (written_directives(member.family, self.layer, values[i][member.columns]),
                    member.family.structure.label())

        _rank(cost, keep, self.ranking, describe)

    def _group_rules(self, grid: MappingGrid) -> tuple[np.ndarray, np.ndarray]:
        """Per cell of the block's grid (as the group's first family), the first rule it fails (_PASSES: none),
        and the lower bounds of the objectives of the cells that pass.

        The rules and the bound are the same for every family of the group (docs/mapping.md "Pruning"):
        the buffer needs and the bound (with the MACs) of every cell, the bound kept where the needs fit.
        """
        failed = _first_failure(_buffer_rules(evaluate_batch(grid, self.hardware, mode=NEEDS), self.hardware))
        fit = failed == _PASSES
        bounds = np.full((len(grid), len(self.ranking.objectives)), np.inf)
        if fit.any():
            bound = evaluate_batch(grid, self.hardware, mode=BOUND)
            failed[fit] = np.where(bound.macs[fit] == self.macs, _PASSES, RULES.index("macs"))
            bounds[fit] = objective_table(bound, self.ranking.objectives)[fit]
        return failed, bounds


def _take(cost: BatchCost, index: np.ndarray) -> BatchCost:
    """The figures of the mappings ``index`` of a batch's cost."""
    return BatchCost(runtime=cost.runtime[index], energy=cost.energy[index], macs=cost.macs[index],
                     l1_size=cost.l1_size[index], l2_size=cost.l2_size[index],
                     l1_accesses={t: a[index] for t, a in cost.l1_accesses.items()},
                     l2_accesses={t: a[index] for t, a in cost.l2_accesses.items()})
