"""Grids of mappings (maestroc.batch.MappingGrid) give every mapping the figures compile's path gives it
alone, in every mode and for every order of a group, and Family.blocks covers a family's product
exactly, in order (docs/costmodel.md "Batches of mappings")."""

from __future__ import annotations

import numpy as np
import pytest

from maestroc.api import hardware_spec, load_network
from maestroc.batch import MappingGrid, evaluate_batch, evaluate_one_by_one, orders_free
from maestroc.batch_model import BOUND, NEEDS
from maestroc.costmodel import TENSORS, shape_key
from maestroc.diagnostics import Diagnostics
from maestroc.mapping.lowering import base_layers, lower_directives, lower_grid, written_directives
from maestroc.mapping.space import SpaceSettings, families, order_groups

# Strides with large and 1x1 filters (then orders_free may be False), a batch dim, depthwise, GEMM, and
# sizes that give every state (Init, Steady, Edge) and partly filled edge sub-clusters.
LAYERS = """Network Grids {
  Layer stem { Type: CONV Stride { X: 2, Y: 2 } Dimensions { K: 6, C: 3, R: 3, S: 3, Y: 15, X: 11 } }
  Layer conv { Type: CONV Dimensions { K: 20, C: 10, R: 3, S: 3, Y: 12, X: 9 } }
  Layer down { Type: CONV Stride { X: 2, Y: 2 } Dimensions { K: 12, C: 6, R: 1, S: 1, Y: 10, X: 10 } }
  Layer batched { Type: CONV Dimensions { N: 3, K: 5, C: 4, R: 2, S: 2, Y: 7, X: 7 } }
  Layer dw { Type: DSCONV Dimensions { K: 1, C: 12, R: 3, S: 3, Y: 11, X: 11 } }
  Layer fc { Type: GEMM Dimensions { M: 5, N: 14, K: 18 } }
}
"""
HW = {"num_pes": 24, "l1_size": 512, "l2_size": 16384, "noc_bw": 8, "offchip_bw": 4, "noc_latency": 2}
SYSTOLIC = dict(HW, noc_topology="systolic")


def _layers(hw: dict) -> tuple[list, object]:
    spec = hardware_spec(hw)
    tree = load_network(LAYERS, Diagnostics())
    assert tree is not None
    return list(base_layers(tree, spec).layers), spec


def _grids(layer, spec, rng: np.random.Generator, groups: int = 4):  # type: ignore[no-untyped-def]
    """Random blocks of random groups of the layer's space as grids: the first family's, and, where the
    lower levels do not read the order, the grid of every order of the group on it."""
    found = order_groups(families(layer, spec.num_pes, SpaceSettings()))
    for index in rng.choice(len(found), size=min(groups, len(found)), replace=False):
        group = found[index]
        table = group.rows_table
        blocks = list(table.blocks(int(rng.choice([8, 48, 200]))))
        block = blocks[rng.integers(len(blocks))]
        if not block.in_space.any():
            continue
        row = block.table[np.flatnonzero(block.in_space)[0]]
        members = []
        for family, columns in zip(group.families, group.columns):
            template, diagnostics = lower_directives(layer, written_directives(family, layer, row[list(columns)]), spec)
            if not diagnostics.has_errors:
                members.append((family, list(columns), shape_key(template)))
        if not members:
            continue
        family, columns, template = members[0]
        grid_columns = block.grid_columns()
        single = lower_grid(family, layer, template, [grid_columns[c] for c in columns], block.shape, spec)
        yield single
        if len(members) > 1 and orders_free(single):
            top = [loop.dim for loop in template.levels[0].loops]
            ranks = np.array([[[loop.dim for loop in own.levels[0].loops].index(dim) for dim in top]
                              for _, _, own in members])
            grid_columns = block.grid_columns(1)
            yield lower_grid(family, layer, template, [grid_columns[c] for c in columns],
                             (len(ranks),) + block.shape, spec, ranks)


def _cells(grid: MappingGrid, rng: np.random.Generator, count: int = 12) -> np.ndarray:
    return np.sort(rng.choice(len(grid), size=min(count, len(grid)), replace=False))


@pytest.mark.parametrize("hw", [HW, SYSTOLIC], ids=["maestro", "systolic"])
def test_a_grid_gives_each_mapping_its_own_figures(hw: dict) -> None:
    """Every figure of random cells of a grid (one order, or every order of a group) equals compile's path
    on that mapping alone; the cells outside the space (an inner tile beyond its outer one) included."""
    rng = np.random.default_rng(11)
    layers, spec = _layers(hw)
    checked = 0
    for layer in layers:
        for grid in _grids(layer, spec, rng):
            cost = evaluate_batch(grid, spec)
            cells = _cells(grid, rng)
            alone = evaluate_one_by_one(grid.rows(cells), spec)
            label = f"{layer.name} {grid.shape}"
            for name in ("runtime", "macs", "l1_size", "l2_size"):
                assert np.array_equal(getattr(cost, name)[cells], getattr(alone, name)), (label, name)
            assert np.allclose(cost.energy[cells], alone.energy, rtol=1e-12), label
            for tensor in TENSORS:
                assert np.array_equal(cost.l1_accesses[tensor][cells], alone.l1_accesses[tensor]), label
                assert np.array_equal(cost.l2_accesses[tensor][cells], alone.l2_accesses[tensor]), label
            checked += len(cells)
    assert checked > 300


@pytest.mark.parametrize("mode", [BOUND, NEEDS])
def test_a_grid_gives_the_pruning_modes_figures_of_its_rows(mode: str) -> None:
    """A grid's bound (runtime, energy, MACs) or buffer needs are those of its mappings as a batch of rows."""
    rng = np.random.default_rng(12)
    layers, spec = _layers(HW)
    names = ("runtime", "energy", "macs") if mode == BOUND else ("l1_size", "l2_size")
    for layer in layers:
        for grid in _grids(layer, spec, rng, groups=3):
            if grid.ranks is not None:
                continue
            cost = evaluate_batch(grid, spec, mode=mode)
            rows = evaluate_batch(grid.rows(np.arange(len(grid))), spec, mode=mode)
            for name in names:
                assert np.array_equal(getattr(cost, name), getattr(rows, name)), (layer.name, name)


def test_blocks_cover_a_familys_product_in_order() -> None:
    """Blocks are consecutive sub-products: their tables, limits and grid columns are the product's rows."""
    rng = np.random.default_rng(13)
    layers, spec = _layers(HW)
    for layer in layers:
        found = list(families(layer, spec.num_pes, SpaceSettings()))
        for index in rng.choice(len(found), size=min(5, len(found)), replace=False):
            family = found[index]
            for most in (1, 7, 60, family.size):
                blocks = list(family.blocks(most))
                assert np.array_equal(np.concatenate([b.table for b in blocks]), family.table(0, family.size))
                assert sum(int(b.in_space.sum()) for b in blocks) == family.count()
                for block in blocks:
                    assert len(block.table) <= max(most, len(family.choices[-1]))
                    assert np.array_equal(block.in_space, family.within_limits(block.table))
                    for j, column in enumerate(block.grid_columns()):
                        cells = np.broadcast_to(column, block.shape).reshape(-1)
                        assert np.array_equal(cells, block.table[:, j]), (family.structure.label(), most, j)
