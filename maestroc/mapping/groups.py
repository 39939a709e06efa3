"""The search of one group of families (an OrderGroup), block by block of its rows (docs/mapping.md "Pruning").

A block's mappings are the pairs (family, row), family by family. The rules and the lower bound
are decided once per row, on the first family, over the block as a grid (maestroc.batch.MappingGrid).
The pairs left to evaluate go as grids of the block's rows and every order (several orders on the
first family's template) when they are many, else as a batch of those pairs only; where the lower
levels read the order (batch.orders_free), family by family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from maestroc.batch import BatchCost, MappingGrid, evaluate_batch, gather, orders_free
from maestroc.batch_model import BOUND, NEEDS
from maestroc.costmodel import shape_key
from maestroc.hardware import HardwareSpec
from maestroc.ir import LayerIR
from maestroc.mapping.lowering import lower_directives, lower_grid, written_directives
from maestroc.mapping.outcome import (PASSES, PRUNED, RULES, Budget, Directives, LayerSearch, Ranking, buffer_rules,
                                      count_failures, failed_rule, first_failure, objective_table, rank)
from maestroc.mapping.space import Block, Family, OrderGroup

BLOCK = 1 << 16  # rows of a group decided at once, at most (the rules and the bound: one grid walk)
PAIRS = 1 << 20  # pairs (an order and a row) of a block at most: the time between budget checks
GRID = 1 << 20  # pairs per grid walk of full evaluations at most: bounds its memory
MAX_BATCH = 16384  # pairs per batch of chosen pairs at most: bounds the memory and the time between budget checks
GRID_SHARE = 16  # a block's chosen pairs go as its whole grid when they are at least 1/GRID_SHARE of its pairs

Progress = Callable[[int], None]  # called with the mappings of each block or batch decided


@dataclass(frozen=True)
class Member:
    """A family of a group that passes the lint rules: where its choice columns are in the group's rows,
    and the rank of each of the template's top-level loops in its own order."""

    family: Family
    columns: list[int]
    template: LayerIR  # the pipeline's IR of its first member (shape_key)
    ranks: np.ndarray


@dataclass
class GroupSearch:
    """The search of one layer's groups, block by block of rows (Family.blocks: fixed sizes, so that the
    order in which mappings are met, hence which of equal mappings is kept, never depends on timing)."""

    layer: LayerIR
    hardware: HardwareSpec
    budget: Budget
    macs: int
    ranking: Ranking
    result: LayerSearch
    progress: Progress | None
    prune: bool

    def run(self, group: OrderGroup) -> bool:
        """Every row of the group for each of its families; False when the budget stopped the search."""
        members: list[Member] | None = None
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

    def _lint(self, group: OrderGroup, first_row: np.ndarray) -> list[Member]:
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
        return [Member(family, columns, template,
                        np.array([[loop.dim for loop in template.levels[0].loops].index(dim) for dim in top]))
                for (family, columns), template in zip(members, templates)]

    def _grid(self, member: Member, block: Block, ranks: np.ndarray | None = None) -> MappingGrid:
        """The block's rows of ``member`` as a grid; with ``ranks``, every order of the group on a first axis."""
        columns = block.grid_columns(0 if ranks is None else 1)
        shape = block.shape if ranks is None else (len(ranks),) + block.shape
        return lower_grid(member.family, self.layer, member.template, [columns[c] for c in member.columns], shape,
                          self.hardware, ranks)

    def _block(self, table: Family, members: list[Member], block: Block, rows: np.ndarray) -> bool:
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
        status = np.full(len(pairs), PASSES, dtype=np.int64)
        first = members[0]
        base = self._grid(first, block)
        if self.prune:
            failed, bounds = self._group_rules(base)
            status = failed[row_of]
            passing = np.flatnonzero(status == PASSES)
            status[passing[self.ranking.beaten(bounds[row_of[passing]])]] = PRUNED
        chosen = np.flatnonzero(status == PASSES)
        shared = len(members) == 1 or orders_free(base)
        ranks = np.stack([member.ranks for member in members])  # each family's order, as ranks of the first's loops
        if len(chosen) * GRID_SHARE >= len(members) * cells:  # many: whole grids, then the pairs chosen
            self._count(status)
            orders = ranks if shared and len(members) > 1 else None
            self._evaluate(self._grids(table, members, block, orders, shared, member_of[chosen], row_of[chosen]),
                           members, member_of[chosen], block.table[row_of[chosen]])
            if self.progress is not None:
                self.progress(len(pairs))
        elif not self._pairs(members, block, base, ranks, shared, status, member_of, row_of):
            return False
        if capped:  # the cap fell inside this block
            result.stopped = "max mappings"
            return False
        return True

    def _grids(self, table: Family, members: list[Member], block: Block, ranks: np.ndarray | None, shared: bool,
               member_of: np.ndarray, row_of: np.ndarray) -> BatchCost:
        """The figures of the pairs (``member_of``, ``row_of``; in the block's order) from grid walks of the block:
        in sub-blocks of rows whose grid of every order (``ranks``; None: the first family's alone) has at most
        GRID mappings, or, where the lower levels read the order, family by family."""
        parts = []
        for sub in table.blocks(max(1, GRID // (len(members) if shared else 1)), block.start,
                                block.start + len(block.table)):
            low, rows = sub.start - block.start, len(sub.table)
            inside = np.flatnonzero((row_of >= low) & (row_of < low + rows))
            if shared and len(inside):  # the orders from the first to the last one needed (all but at a cap)
                first, last = int(member_of[inside].min()), int(member_of[inside].max())
                orders = None if ranks is None else ranks[first:last + 1]
                cost = evaluate_batch(self._grid(members[0], sub, orders), self.hardware)
                parts.append((inside, cost.take((member_of[inside] - first) * rows + row_of[inside] - low)))
            for index in np.unique(member_of[inside]) if not shared else ():
                mine = inside[member_of[inside] == index]
                cost = evaluate_batch(self._grid(members[index], sub), self.hardware)
                parts.append((mine, cost.take(row_of[mine] - low)))
        return gather(parts, len(member_of))

    def _pairs(self, members: list[Member], block: Block, base: MappingGrid, ranks: np.ndarray, shared: bool,
               status: np.ndarray, member_of: np.ndarray, row_of: np.ndarray) -> bool:
        """Evaluate the block's chosen pairs as batches of those pairs, MAX_BATCH at a time, with a budget check
        between batches; False when the budget stopped the search."""
        chosen = np.flatnonzero(status == PASSES)
        cuts = [0] + [int(chosen[i]) for i in range(MAX_BATCH, len(chosen), MAX_BATCH)] + [len(status)]
        for segment, (low, high) in enumerate(zip(cuts, cuts[1:])):
            if segment and (reason := self.budget.reason(self.result.considered)) is not None:
                self.result.stopped = reason
                return False
            part = status[low:high]
            pick = low + np.flatnonzero(part == PASSES)
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
        count_failures(status, result.removed)
        pruned = int((status == PRUNED).sum())
        result.pruned += pruned
        result.valid += pruned
        result.decided += int((status != PASSES).sum())

    def _evaluate(self, cost: BatchCost, members: list[Member], member_of: np.ndarray, values: np.ndarray) -> None:
        """Check the rules on evaluated pairs (``cost``, one per pair) and rank the valid ones."""
        result = self.result
        result.evaluated += len(cost.macs)
        # The rules again: a few mappings' needs are not known before (batch.evaluate_batch's NEEDS).
        rule = failed_rule(cost, self.macs, self.hardware)
        count_failures(rule, result.removed)
        keep = np.flatnonzero(rule == PASSES)
        result.valid += len(keep)

        def describe(i: int) -> tuple[Directives, str]:
            member = members[member_of[i]]
            return (written_directives(member.family, self.layer, values[i][member.columns]),
                    member.family.structure.label())

        rank(cost, keep, self.ranking, describe)

    def _group_rules(self, grid: MappingGrid) -> tuple[np.ndarray, np.ndarray]:
        """Per cell of the block's grid (as the group's first family), the first rule it fails (PASSES: none),
        and the lower bounds of the objectives of the cells that pass.

        The rules and the bound are the same for every family of the group (docs/mapping.md "Pruning"):
        the buffer needs and the bound (with the MACs) of every cell, the bound kept where the needs fit.
        """
        failed = first_failure(buffer_rules(evaluate_batch(grid, self.hardware, mode=NEEDS), self.hardware))
        fit = failed == PASSES
        bounds = np.full((len(grid), len(self.ranking.objectives)), np.inf)
        if fit.any():
            bound = evaluate_batch(grid, self.hardware, mode=BOUND)
            failed[fit] = np.where(bound.macs[fit] == self.macs, PASSES, RULES.index("macs"))
            bounds[fit] = objective_table(bound, self.ranking.objectives)[fit]
        return failed, bounds

