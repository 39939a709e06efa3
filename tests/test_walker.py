"""The symbolic counts, evaluated, equal a brute-force walk of the loop nest on random small layers."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import IN_CI
from maestroc.algebra import IntegerAlgebra
from maestroc.costmodel import LayerAnalysis, shape_key
from maestroc.diagnostics import Diagnostics
from maestroc.hardware import HardwareSpec
from maestroc.metrics import evaluate_network
from maestroc.parser import parse_text
from maestroc.passes import PIPELINE
from maestroc.pipeline import PassContext, run_pipeline
from maestroc.sema import check_mapping
from maestroc.timing import layer_cost
from walker import walk

CONV_DIMS = ("K", "C", "R", "S", "Y", "X")


@st.composite
def directive(draw: st.DrawFn, dim: str, dims: dict[str, int], spatial: bool) -> str:
    if dim in ("R", "S") and not spatial:
        return f"TemporalMap({dims[dim]},{dims[dim]}) {dim};"
    size = draw(st.integers(1, max(1, min(dims[dim], 6))))
    if dim in ("Y", "X"):
        window = dims["R" if dim == "Y" else "S"]
        size = draw(st.integers(window, max(window, min(dims[dim], window + 4))))
    offset = draw(st.integers(1, size))
    return f"{'SpatialMap' if spatial else 'TemporalMap'}({size},{offset}) {dim};"


@st.composite
def conv_layers(draw: st.DrawFn) -> tuple[str, HardwareSpec]:
    dims = {"K": draw(st.integers(1, 16)), "C": draw(st.integers(1, 16)), "R": draw(st.integers(1, 3)),
            "S": draw(st.integers(1, 3))}
    dims["Y"] = draw(st.integers(dims["R"], 12))
    dims["X"] = draw(st.integers(dims["S"], 12))
    stride = draw(st.sampled_from([1, 1, 2]))
    order = draw(st.permutations(CONV_DIMS))
    spatial_dim = draw(st.sampled_from([d for d in order if d not in ("R", "S")]))
    top = [draw(directive(d, dims, d == spatial_dim)) for d in order if draw(st.booleans()) or d == spatial_dim]
    body = " ".join(top)
    cluster = 1
    if draw(st.booleans()):
        cluster = draw(st.integers(1, 4))
        inner_dim = draw(st.sampled_from([d for d in ("K", "C", "Y", "X")]))
        inner_dims = {d: dims[d] for d in dims}
        body += f" Cluster({cluster}, P); " + draw(directive(inner_dim, inner_dims, True))
    num_pes = cluster * draw(st.integers(1, 6))
    text = (f"Network W {{ Layer L {{ Type: CONV Stride {{ X: {stride}, Y: {stride} }} "
            f"Dimensions {{ {', '.join(f'{k}: {v}' for k, v in dims.items())} }} Dataflow {{ {body} }} }} }}")
    hardware = HardwareSpec(num_pes=num_pes, noc_bw=draw(st.integers(1, 8)), noc_latency=draw(st.integers(0, 2)),
                            offchip_bw=draw(st.integers(1, 64)), num_simd_lanes=draw(st.integers(1, 3)))
    return text, hardware


@st.composite
def gemm_layers(draw: st.DrawFn) -> tuple[str, HardwareSpec]:
    dims = {"M": draw(st.integers(1, 16)), "N": draw(st.integers(1, 16)), "K": draw(st.integers(1, 16))}
    order = draw(st.permutations(("M", "N", "K")))
    spatial_dim = draw(st.sampled_from(order))
    body = " ".join(draw(directive(d, dims, d == spatial_dim)) for d in order)
    cluster = 1
    if draw(st.booleans()):
        cluster = draw(st.integers(1, 4))
        body += f" Cluster({cluster}, P); " + draw(directive(draw(st.sampled_from(order)), dims, True))
    text = (f"Network W {{ Layer G {{ Type: GEMM Dimensions {{ {', '.join(f'{k}: {v}' for k, v in dims.items())} }} "
            f"Dataflow {{ {body} }} }} }}")
    hardware = HardwareSpec(num_pes=cluster * draw(st.integers(1, 6)), noc_bw=draw(st.integers(1, 8)),
                            noc_latency=draw(st.integers(0, 2)), offchip_bw=draw(st.integers(1, 64)))
    return text, hardware


@settings(max_examples=300 if IN_CI else 120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.one_of(conv_layers(), gemm_layers()))
def test_symbolic_counts_equal_a_brute_force_walk(case: tuple[str, HardwareSpec]) -> None:
    text, hardware = case
    diagnostics = Diagnostics()
    tree = parse_text(text, diagnostics, path="<walker>")
    assert tree is not None and not diagnostics.has_errors, (text, list(diagnostics))
    check_mapping(tree, diagnostics)
    assert not diagnostics.has_errors, (text, list(diagnostics))
    network = run_pipeline(tree, PIPELINE, PassContext(diagnostics, hardware)).ir
    assume(not network.illegal)  # the legality pass rejects what the model cannot analyse
    (metrics,) = evaluate_network(network, hardware)
    layer = network.layers[0]
    walked = walk(LayerAnalysis(shape_key(layer)), hardware)
    assert (walked.macs, walked.runtime) == (metrics.macs, metrics.runtime), text
    assert walked.ingress == {"input": metrics.l2_read["input"], "weight": metrics.l2_read["weight"]}, text
    assert walked.egress == metrics.l2_write["output"], text
    assert layer_cost(layer, IntegerAlgebra.of(hardware)).top.macs == walked.macs
