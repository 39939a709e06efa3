"""The search's shortcuts change nothing: a group's rules and lower bound stand for every order of its
families, a batch of several orders gives each order's figures, and the pruned search finds what the
exhaustive one finds (docs/mapping.md "Pruning")."""

from __future__ import annotations

import numpy as np
import pytest

from maestroc.api import hardware_spec, load_network
from maestroc.batch import BatchCost, MappingBatch, evaluate_batch, orders_free
from maestroc.batch_model import BOUND, NEEDS
from maestroc.costmodel import shape_key
from maestroc.diagnostics import Diagnostics
from maestroc.mapping.lowering import base_layers, lower_directives, lower_family, written_directives
from maestroc.mapping.outcome import Budget
from maestroc.mapping.search import search_layer
from maestroc.mapping.space import SpaceSettings, families, order_groups

# Strides (with a 1x1 filter the lower level's inherited Y/X loop then iterates for some tiles:
# orders_free is False), a batch dim, depthwise, GEMM, and a layer large enough for every state
# (Init, Steady, Edge) to occur.
LAYERS = """Network Pruning {
  Layer stem { Type: CONV Stride { X: 2, Y: 2 } Dimensions { K: 8, C: 3, R: 5, S: 5, Y: 19, X: 17 } }
  Layer conv { Type: CONV Dimensions { K: 24, C: 12, R: 3, S: 3, Y: 14, X: 14 } }
  Layer down { Type: CONV Stride { X: 2, Y: 2 } Dimensions { K: 16, C: 8, R: 1, S: 1, Y: 14, X: 14 } }
  Layer batched { Type: CONV Dimensions { N: 2, K: 8, C: 4, R: 3, S: 3, Y: 10, X: 10 } }
  Layer dw { Type: DSCONV Stride { X: 2, Y: 2 } Dimensions { K: 1, C: 8, R: 3, S: 3, Y: 13, X: 13 } }
  Layer fc { Type: GEMM Dimensions { M: 3, N: 12, K: 20 } }
}
"""
HW = {"num_pes": 32, "l1_size": 256, "l2_size": 8192, "noc_bw": 8, "offchip_bw": 4}
SYSTOLIC = dict(HW, noc_topology="systolic")
FIGURES = ("runtime", "energy", "macs", "l1_size", "l2_size")


def _layers(hw: dict) -> tuple[list, object]:
    spec = hardware_spec(hw)
    tree = load_network(LAYERS, Diagnostics())
    assert tree is not None
    return list(base_layers(tree, spec).layers), spec


def _sampled_groups(layer, spec, rng: np.random.Generator, groups: int = 6, rows: int = 40):  # type: ignore[no-untyped-def]
    """Random groups of the layer's space, with random rows and each family's own batch of them."""
    found = order_groups(families(layer, spec.num_pes, SpaceSettings()))
    for index in rng.choice(len(found), size=min(groups, len(found)), replace=False):
        group = found[index]
        table = group.rows_table
        values = table.rows(0, table.size)
        values = values[rng.choice(len(values), size=min(rows, len(values)), replace=False)]
        own = []
        for family, columns in zip(group.families, group.columns):
            written = written_directives(family, layer, values[0][list(columns)])
            template, diagnostics = lower_directives(layer, written, spec)
            if diagnostics.has_errors:
                continue
            own.append((family, lower_family(family, layer, shape_key(template), values[:, list(columns)], spec)))
        if len(own) > 1:
            yield group, own


@pytest.mark.parametrize("hw", [HW, SYSTOLIC], ids=["maestro", "systolic"])
def test_the_rules_and_the_bound_of_a_row_are_the_same_for_every_order(hw: dict) -> None:
    """On the group's first family: the buffer needs (NEEDS) and the MACs (BOUND) are each family's exact
    figures, and BOUND's runtime and energy are at most each family's, and the same for all of them."""
    rng = np.random.default_rng(5)
    layers, spec = _layers(hw)
    checked = 0
    for layer in layers:
        for group, own in _sampled_groups(layer, spec, rng, groups=3, rows=24):
            needs = evaluate_batch(own[0][1], spec, mode=NEEDS)
            bounds = [evaluate_batch(batch, spec, mode=BOUND) for _, batch in own]
            for (family, batch), bound in zip(own, bounds):
                exact = evaluate_batch(batch, spec)
                label = family.structure.label()
                assert np.array_equal(needs.l1_size, exact.l1_size) and np.array_equal(needs.l2_size, exact.l2_size)
                assert np.array_equal(bound.macs, exact.macs), label
                assert (bound.runtime <= exact.runtime).all() and (bound.energy <= exact.energy).all(), label
                assert np.array_equal(bound.runtime, bounds[0].runtime), label
                assert np.array_equal(bound.energy, bounds[0].energy), label
                checked += len(batch)
    assert checked > 1500


def test_a_batch_of_several_orders_gives_each_order_s_figures() -> None:
    """One batch of the group's orders (MappingBatch.ranks, on the first family's template) equals each
    family's own batch, figure by figure; where the lower levels read the order it is refused."""
    rng = np.random.default_rng(8)
    layers, spec = _layers(HW)
    shared = refused = 0
    for layer in layers:
        sample = {"groups": 12, "rows": 400} if layer.name == "down" else {}  # its rare rows that are not free
        for _, own in _sampled_groups(layer, spec, rng, **sample):
            first = own[0][1]
            top = [loop.dim for loop in first.template.levels[0].loops]
            ranks = np.concatenate([np.tile([[loop.dim for loop in batch.template.levels[0].loops].index(dim)
                                             for dim in top], (len(first), 1)) for _, batch in own])
            together = MappingBatch(first.template, np.tile(first.sizes, (len(own), 1)),
                                    np.tile(first.offsets, (len(own), 1)), np.tile(first.sub_clusters, (len(own), 1)),
                                    ranks)
            if not orders_free(first):
                with pytest.raises(ValueError):
                    evaluate_batch(together, spec)
                refused += 1
                continue
            cost = evaluate_batch(together, spec)
            apart = [evaluate_batch(batch, spec) for _, batch in own]
            for name in FIGURES:
                assert np.array_equal(getattr(cost, name), np.concatenate([getattr(c, name) for c in apart])), name
            shared += 1
    assert shared >= 10 and refused >= 1


# A narrower space for the exhaustive searches (tens of thousands of mappings per layer), every order kept.
NARROW = SpaceSettings(clusters=(4, 16), tile_ranges=(("K", 2, 8), ("C", 1, 4), ("Y", 2, 4), ("X", 1, 4), ("N", 4, 8)))


def _outcome(layer, spec, objectives: tuple[str, ...], prune: bool) -> tuple:  # type: ignore[no-untyped-def]
    result = search_layer(layer, spec, NARROW, objectives, Budget(), prune=prune)
    front = [(found.directives, found.values) for found in result.front]
    best = (result.best.directives, result.best.values) if result.best else None
    return best, front, result.considered, result.valid, dict(result.removed), result


@pytest.mark.parametrize(("name", "objectives"), [
    ("stem", ("edp",)), ("stem", ("runtime", "energy")), ("down", ("edp",)), ("down", ("runtime",)),
    ("down", ("energy", "edp")), ("dw", ("energy",)), ("dw", ("runtime", "energy", "edp")), ("fc", ("edp",)),
    ("fc", ("runtime", "energy"))])
def test_the_pruned_search_finds_what_the_exhaustive_one_finds(name: str, objectives: tuple[str, ...]) -> None:
    """The same best mapping (ties: the first met), the same front, the same counts of the space."""
    layers, spec = _layers(HW)
    layer = next(item for item in layers if item.name == name)
    *pruned, searched = _outcome(layer, spec, objectives, prune=True)
    *exhaustive, everything = _outcome(layer, spec, objectives, prune=False)
    assert pruned == exhaustive
    assert everything.decided == 0 and searched.evaluated < everything.evaluated
    assert searched.evaluated + searched.decided == everything.evaluated


def test_the_pruned_search_stops_at_max_mappings_exactly() -> None:
    layers, spec = _layers(HW)
    layer = next(item for item in layers if item.name == "conv")
    for cap in (1, 777, 20_000):
        result = search_layer(layer, spec, SpaceSettings(), ("edp",), Budget(max_mappings=cap))
        assert result.considered == cap and result.stopped == "max mappings"


def test_bound_mode_costs_are_lower_bounds_not_figures() -> None:
    """The bound leaves out ingress: on a layer that moves data it is strictly below for some mappings."""
    rng = np.random.default_rng(2)
    layers, spec = _layers(HW)
    layer = next(item for item in layers if item.name == "conv")
    below = 0
    for _, own in _sampled_groups(layer, spec, rng, groups=4, rows=60):
        batch = own[0][1]
        bound: BatchCost = evaluate_batch(batch, spec, mode=BOUND)
        below += int((bound.energy < evaluate_batch(batch, spec).energy).sum())
    assert below > 0
