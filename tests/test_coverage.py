"""The coverage invariant: MAESTRO's MAC count against the layer's true count, and the causes named."""

from __future__ import annotations

import csv
import io
import re
from itertools import product
from pathlib import Path

import pytest
from conftest import IN_CI, ROOT, shared_path
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_walker import conv_layers, gemm_layers
from walker import walk

from maestroc.costmodel import LayerAnalysis, shape_key
from maestroc.coverage import coverage_gap, network_gaps, true_macs
from maestroc.diagnostics import Diagnostics
from maestroc.dse_run import explore
from maestroc.exploration import all_designs
from maestroc.frontend import load_hardware, load_mapping
from maestroc.hardware import HardwareSpec
from maestroc.parser import parse_text
from maestroc.passes import PIPELINE
from maestroc.pipeline import PassContext, run_pipeline
from maestroc.sema import check_mapping
from maestroc.space import load_space

HW = "num_pes: 64\nnoc_bw_cstr: 64\noffchip_bw_cstr: 64\n"
PES_64 = HardwareSpec(num_pes=64)


def conv(dims: str, dataflow: str, stride: str = "") -> str:
    stride_block = f"Stride {{ {stride} }} " if stride else ""
    return (f"Network N {{ Layer L {{ Type: CONV {stride_block}Dimensions {{ {dims} }}\n"
            f"Dataflow {{ {dataflow} }} }} }}")


GEMM_M5 = ("Network N { Layer G { Type: GEMM Dimensions { M: 5, N: 7, K: 11 }\n"
           "Dataflow { SpatialMap(1,1) N; TemporalMap(6,1) M; TemporalMap(1,1) K; } } }")
EXACT = "SpatialMap(1,1) K; TemporalMap(1,1) C; TemporalMap(3,1) Y; TemporalMap(3,1) X;"
# The issue's examples: (mapping, MAESTRO's count, the true count, the directive or stride named)
ISSUE_EXAMPLES = [
    (conv("K: 16, C: 4, R: 3, S: 3, Y: 10, X: 10", EXACT.replace("(1,1) C", "(1,5) C")), 46080, 36864,
     "TemporalMap(1,5) C"),
    (conv("K: 16, C: 4, R: 3, S: 3, Y: 10, X: 10", EXACT.replace("(1,1) C", "(8,1) C")), 27648, 36864,
     "TemporalMap(8,1) C"),
    (GEMM_M5, 308, 385, "TemporalMap(6,1) M"),
    (conv("K: 4, C: 4, R: 3, S: 3, Y: 20, X: 20", EXACT, "X: 5, Y: 5"), 2880, 2304, "stride 5"),
    (conv("K: 4, C: 4, R: 3, S: 3, Y: 20, X: 20", EXACT, "X: 100, Y: 100"), 51984, 144, "stride 100"),
    (conv("K: 4, C: 4, R: 3, S: 3, Y': 8, X': 8", EXACT, "X: 2, Y: 2"), 2304, 9216, "`Y': 8` is declared"),
]


def lower(text: str, hardware: HardwareSpec = PES_64):
    diagnostics = Diagnostics()
    tree = parse_text(text, diagnostics, path="<coverage>")
    check_mapping(tree, diagnostics)
    assert not diagnostics.has_errors, list(diagnostics)
    return run_pipeline(tree, PIPELINE, PassContext(diagnostics, hardware)).ir


def brute_force_macs(dims: dict[str, int], stride: int, layer_type: str) -> int:
    """MACs by enumerating the convolution's definition: output row y reads rows y*stride .. y*stride+R-1."""
    if layer_type == "GEMM":
        return sum(1 for _ in product(range(dims["M"]), range(dims["N"]), range(dims["K"])))
    rows = sum(1 for y, r in product(range(dims["Y"]), range(dims["R"])) if y * stride + dims["R"] <= dims["Y"])
    cols = sum(1 for x, s in product(range(dims["X"]), range(dims["S"])) if x * stride + dims["S"] <= dims["X"])
    return dims["K"] * dims["C"] * rows * cols


@pytest.mark.parametrize("text, maestro, truth, cause", ISSUE_EXAMPLES)
def test_issue_examples_are_flagged_at_their_cause(text: str, maestro: int, truth: int, cause: str) -> None:
    (layer,) = lower(text).layers
    gap = coverage_gap(layer)
    assert gap is not None and (gap.model_macs, gap.true_macs) == (maestro, truth)
    named = [c.message for c in gap.causes] + [text.splitlines()[gap.span.line - 1][gap.span.column - 1:]]
    assert any(cause in item for item in named), named


def test_exact_tiling_is_not_flagged() -> None:
    (layer,) = lower(conv("K: 16, C: 4, R: 3, S: 3, Y: 10, X: 10", EXACT)).layers
    assert coverage_gap(layer) is None and true_macs(layer) == 16 * 4 * 9 * 64


@settings(max_examples=60, deadline=None)
@given(k=st.integers(1, 4), c=st.integers(1, 4), r=st.integers(1, 4), s=st.integers(1, 4),
       extra_y=st.integers(0, 6), extra_x=st.integers(0, 6), stride=st.integers(1, 4))
def test_true_count_is_the_convolution_definition(k: int, c: int, r: int, s: int, extra_y: int, extra_x: int,
                                                  stride: int) -> None:
    dims = {"K": k, "C": c, "R": r, "S": s, "Y": r + extra_y, "X": s + extra_x}
    text = conv(", ".join(f"{d}: {v}" for d, v in dims.items()), "SpatialMap(1,1) K;", f"X: {stride}, Y: {stride}")
    (layer,) = lower(text).layers
    assert true_macs(layer) == brute_force_macs(dims, stride, "CONV")


@settings(max_examples=400 if IN_CI else 150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.one_of(conv_layers(), gemm_layers()))
def test_a_cause_is_named_whenever_the_counts_differ(case: tuple[str, HardwareSpec]) -> None:
    """On random layers: the walker (every iteration visited) counts the model's MACs; when that is not the
    true count, a cause is named; when it is, the walker agrees with the true formula."""
    text, hardware = case
    network = lower(text, hardware)
    assume(not network.illegal)
    (layer,) = network.layers
    walked = walk(LayerAnalysis(shape_key(layer)), hardware).macs
    dims = dict(layer.declared)
    stride = layer.stride_of("Y")
    gap = coverage_gap(layer)
    if gap is None:
        assert walked == true_macs(layer) == brute_force_macs(dims, stride, layer.layer_type)
    else:
        assert gap.model_macs == walked != gap.true_macs and gap.causes, text


@pytest.mark.parametrize("text, maestro, truth, cause", ISSUE_EXAMPLES[:1])
def test_compile_warns_and_strict_fails(text: str, maestro: int, truth: int, cause: str, cli,
                                        tmp_path: Path) -> None:
    net, hw = tmp_path / "net.m", tmp_path / "hw.m"
    net.write_text(text)
    hw.write_text(HW)
    result = cli("compile", str(net), "--hw", str(hw), "--emit", "csv")
    assert result.code == 0 and "warning[C405]" in result.err and "net.m:2:" in result.err
    row = next(csv.DictReader(io.StringIO(result.out), skipinitialspace=True))
    assert int(float(row["Num MACs"])) == maestro  # MAESTRO's number is kept
    strict = cli("compile", str(net), "--hw", str(hw), "--emit", "json", "--strict")
    assert strict.code == 2 and "error[C405]" in strict.err
    other = tmp_path / "exact.m"
    other.write_text(conv("K: 16, C: 4, R: 3, S: 3, Y: 10, X: 10", EXACT))
    compared = cli("compare", str(net), str(other), "--hw", str(hw))
    assert compared.code == 0 and compared.err.count("C405") == 1


def test_lint_rule_helps_remove_their_findings(cli, tmp_path: Path) -> None:
    """Applying the help of L208/L209 (the directive it writes) removes the finding."""
    net = tmp_path / "net.m"
    for text in (ISSUE_EXAMPLES[0][0], ISSUE_EXAMPLES[1][0], GEMM_M5):
        net.write_text(text)
        result = cli("lint", str(net))
        out = result.out + result.err
        (fix,) = re.findall(r"help: write `([^`]+)`", out)
        (written,) = re.findall(r"\w+Map\(\d+,\d+\) " + fix.split()[-1].rstrip(";") + ";", text)
        net.write_text(text.replace(written, fix))
        fixed = cli("lint", str(net))
        assert "L20" in out and not re.search(r"L20[89]", fixed.out + fixed.err)


def test_dse_counts_non_covering_groups_as_invalid(tmp_path: Path) -> None:
    net = tmp_path / "net.m"
    net.write_text("Constant T 1;\n" + conv("K: 16, C: 4, R: 3, S: 3, Y: 10, X: 10", EXACT.replace("(1,1) C", "(1,T) C")))
    tree = load_mapping(str(net), Diagnostics())
    space = load_space(None, ["num_pes=16,64", "T=1,5"], ["runtime", "energy"], HardwareSpec())
    result = explore(str(net), tree, space)
    assert result.valid == result.explored // 2 and result.errors["coverage"][0] == 2
    assert {d["T"] for d, _ in result.front} == {1}
    assert all(m["valid"] == (d["T"] == 1) for d, m in all_designs(tree, space))


def documented_trips() -> set[tuple[str, str]]:
    text = (ROOT / "docs/deviations.md").read_text()
    section = text.split("## Inputs whose MAC count is not the layer's", 1)[1]
    return {(f, layer) for f, layers in re.findall(r"^\| `([\w.]+)` \| ([^|]+) \|", section, re.MULTILINE)
            for layer in re.findall(r"`([\w-]+)`", layers)}


def test_shared_inputs_that_trip_the_invariant_are_documented() -> None:
    shared = shared_path()
    hardware = load_hardware(str(shared / "inputs/hw/hw_default.m"), Diagnostics())
    trips = set()
    for path in sorted(shared.glob("inputs/mapping/*.m")) + sorted(shared.glob("inputs/validation/*/*.m")):
        tree = load_mapping(str(path), Diagnostics())
        network = run_pipeline(tree, PIPELINE, PassContext(Diagnostics(), hardware)).ir
        trips |= {(path.name, gap.layer.name) for gap in network_gaps(network)}
    assert trips == documented_trips()


def test_dse_rejects_a_swept_filter_larger_than_the_input(tmp_path: Path) -> None:
    net = tmp_path / "net.m"
    net.write_text("Constant RR 3;\n" + conv("K: 16, C: 4, R: RR, S: 3, Y: 4, X: 10",
                                             "SpatialMap(1,1) K; TemporalMap(1,1) C; TemporalMap(Sz(R),1) Y;"))
    tree = load_mapping(str(net), Diagnostics())
    space = load_space(None, ["num_pes=16", "RR=3,5"], ["runtime", "energy"], HardwareSpec())
    result = explore(str(net), tree, space)
    assert result.valid == 1 and "has no output" in result.errors["coverage"][1]
