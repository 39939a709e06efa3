"""The batched cost model (maestroc.batch) agrees exactly with compile's path, mapping by mapping.

Each layer of the sample networks (under every sample dataflow that is legal for
it) and of MAESTRO's reference mapping files becomes a batch: the layer as written,
and mappings whose loop sizes, offsets and top-level sub-cluster counts are drawn
at random. Every figure of :func:`evaluate_batch` must equal
:func:`evaluate_one_by_one`'s, which runs compile's cost path on each mapping alone.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import maestroc
from conftest import ROOT, shared_params
from maestroc.api import CompileResult, compile_files
from maestroc.batch import MappingBatch, evaluate_batch, evaluate_one_by_one, member
from maestroc.costmodel import TENSORS, shape_key
from maestroc.diagnostics import InputError
from maestroc.ir import LayerIR

HARDWARE = ROOT / "samples" / "hw" / "default_256pe.m"
SAMPLE_NETWORKS = ("tiny_cnn.m", "lenet_model.m", "alexnet_model.m")
MAPPINGS_PER_LAYER = 12
GEMM_DATAFLOW = ROOT / "samples" / "dataflows" / "gemm_nk.m"


def random_batch(layer: LayerIR, rng: np.random.Generator, count: int) -> MappingBatch:
    """The layer as written, then ``count - 1`` mappings of its structure with random sizes and offsets."""
    loops = [loop for level in layer.levels for loop in level.loops]
    dims = layer.dim_table()
    sizes = np.tile([loop.size for loop in loops], (count, 1))
    offsets = np.tile([loop.offset for loop in loops], (count, 1))
    parts = np.tile([level.sub_clusters for level in layer.levels], (count, 1))
    for row in range(1, count):
        for column, loop in enumerate(loops):
            if loop.dim in ("R", "S") or rng.random() < 0.4:
                continue  # filters stay whole (lint L103); some loops keep their size
            size = int(rng.integers(1, max(dims.get(loop.dim, loop.size), 1) + 1))
            sizes[row, column], offsets[row, column] = size, int(rng.integers(1, size + 1))
        parts[row, 0] = int(rng.integers(1, layer.levels[0].sub_clusters + 1))
    return MappingBatch(layer, sizes, offsets, parts)


def assert_same(layer: LayerIR, batch: MappingBatch, topology: str = "maestro", hardware: Path = HARDWARE) -> None:
    spec = replace(maestroc.hardware_spec(str(hardware)), noc_topology=topology)
    fast, reference = evaluate_batch(batch, spec, smallest=1), evaluate_one_by_one(batch, spec)
    for name in ("runtime", "energy", "macs", "l1_size", "l2_size"):
        assert np.array_equal(getattr(fast, name), getattr(reference, name)), (layer.name, name)
    for tensor in TENSORS:
        assert np.array_equal(fast.l1_accesses[tensor], reference.l1_accesses[tensor]), (layer.name, tensor)
        assert np.array_equal(fast.l2_accesses[tensor], reference.l2_accesses[tensor]), (layer.name, tensor)


def distinct_layers(result: CompileResult) -> list[LayerIR]:
    seen, layers = set(), []
    for layer in result.network.layers:
        if layer.name in result.network.illegal or not layer.levels:
            continue
        key = shape_key(layer)
        if key not in seen:
            seen.add(key)
            layers.append(layer)
    return layers


@pytest.mark.parametrize("topology", ["maestro", "systolic"])
@pytest.mark.parametrize("network", SAMPLE_NETWORKS)
def test_batch_matches_compile_on_samples(network: str, topology: str) -> None:
    """Every sample dataflow legal for the network, under MAESTRO's timing and the systolic one."""
    legal = 0
    for dataflow in sorted((ROOT / "samples" / "dataflows").glob("*.m")):
        try:
            result = maestroc.compile(ROOT / "samples" / "networks" / network, HARDWARE,
                                      dataflow_for={"CONV": dataflow, "DSCONV": dataflow, "GEMM": GEMM_DATAFLOW})
        except InputError:
            continue  # the template does not fit every layer of this network
        legal += 1
        rng = np.random.default_rng(len(network) * 31 + len(dataflow.name))
        for layer in distinct_layers(result):
            assert_same(layer, random_batch(layer, rng, MAPPINGS_PER_LAYER), topology)
    assert legal >= 3, f"only {legal} sample dataflows apply to {network}"


@pytest.mark.parametrize("path", shared_params("inputs/mapping/*.m"), ids=lambda p: Path(p).name if p else "none")
def test_batch_matches_compile_on_reference_mappings(path: Path) -> None:
    """MAESTRO's reference mappings on its default hardware file (the one they were written for)."""
    hardware = Path(path).parent.parent / "hw" / "hw_default.m"
    result = compile_files(str(path), str(hardware), allow_illegal=True)  # the legal layers (RS files have few)
    rng = np.random.default_rng(7)
    for layer in distinct_layers(result)[:3]:
        assert_same(layer, random_batch(layer, rng, 10), hardware=hardware)


def test_member_is_the_mapping_compile_evaluates() -> None:
    """Member 0 of a batch built from a compiled layer is that layer, and costs what compile printed."""
    result = maestroc.compile(ROOT / "samples" / "networks" / "tiny_cnn.m", HARDWARE,
                              dataflow=ROOT / "samples" / "dataflows" / "kcp_ws.m")
    layer = result.network.layers[0]
    batch = random_batch(layer, np.random.default_rng(1), 3)
    assert shape_key(member(batch, 0)) == shape_key(layer)
    cost = evaluate_batch(batch, result.hardware, smallest=1)
    assert cost.runtime[0] == result.layers[0].runtime
    assert cost.energy[0] == pytest.approx(sum(result.layers[0].energy_breakdown.values()), rel=0, abs=0)
