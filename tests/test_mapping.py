"""The mapper's space and lowering: a family's arrays are what the pass pipeline makes of the written
directives, and on small layers the search finds the best of the whole declared space as compile sees it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

import maestroc
from maestroc.api import hardware_spec, load_network
from maestroc.batch import member
from maestroc.costmodel import shape_key
from maestroc.coverage import true_macs
from maestroc.diagnostics import Diagnostics, InputError
from maestroc.mapping.lowering import base_layers, directive_lines, lower_directives, lower_family, written_directives
from maestroc.mapping.settings import load_settings
from maestroc.mapping.space import SpaceSettings, _tiles, families

SMALL = """Network Small {
  Layer conv {
    Type: CONV
    Dimensions { K: 4, C: 3, R: 3, S: 3, Y: 6, X: 6 }
  }
  Layer dw {
    Type: DSCONV
    Stride { X: 2, Y: 2 }
    Dimensions { K: 1, C: 4, R: 3, S: 3, Y: 7, X: 7 }
  }
  Layer fc {
    Type: GEMM
    Dimensions { M: 4, N: 8, K: 6 }
  }
}
"""
SMALL_HW = {"num_pes": 8, "l1_size": 64, "l2_size": 4096, "noc_bw": 16, "offchip_bw": 8}
# The declared space of the optimality test: small enough to compile every member one by one.
SMALL_SPACE = """levels = [1, 2]
order = [["K", "C", "Y", "X"], ["C", "Y", "X"], ["M", "N", "K"]]
spatial = ["K", "Y", "C", "N"]
inner_spatial = ["C", "X", "K"]
clusters = [2, 4]
templates = false
[tile_range]
C = [1, 2]
K = [2, 8]
"""
# Shapes that exercise each lowering rule: stride (N7) at both levels, 1x1 stride 2, batch N, depthwise, GEMM.
SHAPES = """Network Shapes {
  Layer stem { Type: CONV Stride { X: 2, Y: 2 } Dimensions { K: 8, C: 3, R: 5, S: 5, Y: 19, X: 17 } }
  Layer down { Type: CONV Stride { X: 2, Y: 2 } Dimensions { K: 16, C: 8, R: 1, S: 1, Y: 14, X: 14 } }
  Layer batched { Type: CONV Dimensions { N: 2, K: 8, C: 4, R: 3, S: 3, Y: 10, X: 10 } }
  Layer dw { Type: DSCONV Stride { X: 3, Y: 3 } Dimensions { K: 1, C: 8, R: 3, S: 3, Y: 13, X: 13 } }
  Layer fc { Type: GEMM Dimensions { M: 3, N: 12, K: 20 } }
}
"""


def _layers(text: str, hw: dict) -> tuple[list, object]:
    spec = hardware_spec(hw)
    tree = load_network(text, Diagnostics())
    assert tree is not None
    return list(base_layers(tree, spec).layers), spec


def test_family_arrays_equal_the_pipeline_of_the_written_directives() -> None:
    """member(batch, i) is, for random families and rows, the IR the passes build from row i's directives,
    and no member breaks an error lint rule (the size rules hold by construction)."""
    rng = np.random.default_rng(13)
    layers, spec = _layers(SHAPES, {"num_pes": 64})
    settings = SpaceSettings(tile_forms=("pow2", "full", "divisors"), inner_tiles=(), same_spatial=True)
    checked = 0
    for layer in layers:
        found = list(families(layer, spec.num_pes, settings))
        for index in rng.choice(len(found), size=6, replace=False):
            family = found[index]
            start = int(rng.integers(0, max(family.size - 64, 1)))
            values = family.rows(start, min(family.size, start + 64))
            if not len(values):
                continue
            template, _ = lower_directives(layer, written_directives(family, layer, values[0]), spec)
            batch = lower_family(family, layer, shape_key(template), values, spec)
            for row in rng.choice(len(values), size=min(4, len(values)), replace=False):
                lowered, diagnostics = lower_directives(layer, written_directives(family, layer, values[row]), spec)
                assert not diagnostics.has_errors, (family.structure.label(), [str(d) for d in diagnostics])
                assert shape_key(member(batch, int(row))) == shape_key(lowered), family.structure.label()
                checked += 1
    assert checked >= 60


def _compile_best(layer_text: str, layer, spec, settings: SpaceSettings) -> tuple[float, int, int]:
    """The best EDP of the declared space, each member written as text and compiled one by one; the
    members and the valid ones."""
    best, count, valid = float("inf"), 0, 0
    for family in families(layer, spec.num_pes, settings):
        for row in family.rows(0, family.size):
            lines = directive_lines(written_directives(family, layer, row))
            text = layer_text.replace("}\n}", "  Dataflow {\n" + "\n".join(lines) + "\n}\n}\n}", 1)
            count += 1
            try:
                result = maestroc.compile(text, hw=spec)
            except InputError:  # a lint error: not a valid mapping
                continue
            m = result.layers[0]
            if m.macs != true_macs(result.network.layers[0]) or m.l1_size_req > spec.l1_size or \
                    m.l2_size_req > spec.l2_size:
                continue
            valid += 1
            best = min(best, m.energy * m.runtime)
    return best, count, valid


@pytest.mark.parametrize("name", ["conv", "dw", "fc"])
def test_the_search_finds_the_best_of_the_whole_declared_space(tmp_path: Path, name: str) -> None:
    space = tmp_path / "space.toml"
    space.write_text(SMALL_SPACE)
    settings = load_settings(str(space))
    layers, spec = _layers(SMALL, SMALL_HW)
    layer = next(item for item in layers if item.name == name)
    block = SMALL[SMALL.index(f"  Layer {name}"):]
    layer_text = "Network One {\n" + block[:block.index("\n  }\n") + 5] + "}\n"
    expected, count, valid = _compile_best(layer_text, layer, spec, settings)
    result = maestroc.map(SMALL, SMALL_HW, objectives="edp", space=space)
    found = next(m for m in result.layers if m.name == name).search
    assert found.considered == count >= 100 and found.valid == valid >= 8
    assert found.best is not None and found.best.values["edp"] == expected


def test_a_mapping_file_s_own_dataflow_is_the_baseline_and_a_point() -> None:
    result = maestroc.map(ROOT / "samples/networks/tiny_cnn.m", "samples/hw/default_256pe.m",
                          max_mappings=40, templates=[])
    compiled = maestroc.compile(ROOT / "samples/networks/tiny_cnn.m", hw="samples/hw/default_256pe.m")
    for m, given in zip(result.layers, compiled.layers):
        assert m.baseline is not None and m.baseline.source == "input"
        assert m.baseline.values["runtime"] == given.runtime and m.baseline.values["energy"] == given.energy
        assert m.search.best.values["edp"] <= m.baseline.values["edp"]


def test_a_family_counts_its_members_without_making_them() -> None:
    layers, spec = _layers(SMALL, SMALL_HW)
    settings = SpaceSettings(inner_tiles=(), same_spatial=True)
    for layer in layers:
        for family in families(layer, spec.num_pes, settings):
            assert family.count() == len(family.rows(0, family.size))


def test_strided_tiles_pruned_as_equivalent_lower_to_a_kept_member() -> None:
    """Every strided output tile left out of a family lowers to the same IR as a tile that is kept."""
    layers, spec = _layers(SHAPES, {"num_pes": 64})
    stem = layers[0]
    full = SpaceSettings(levels=(1,), fixed_orders=(("C", "K", "X", "Y"),), spatial=("K",),
                         tile_forms=("divisors", "pow2", "full"))
    family = next(families(stem, spec.num_pes, full))
    kept = set(family.choices[family.tiles.index("Y")])
    every = [t for t in _tiles(stem, "Y", full) if t not in kept]
    assert every  # stride 2 and R = 5 make some tiles equivalent
    for tile in every:
        row = family.rows(0, 1)[0].copy()
        row[family.tiles.index("Y")] = tile
        lowered, _ = lower_directives(stem, written_directives(family, stem, row), spec)
        twins = []
        for other in kept:
            row[family.tiles.index("Y")] = other
            twins.append(shape_key(lower_directives(stem, written_directives(family, stem, row), spec)[0]))
        assert shape_key(lowered) in twins
