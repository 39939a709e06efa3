"""The systolic timing model (noc_topology: systolic): the key, the rules, every output, and SCALE-Sim."""

from __future__ import annotations

import importlib.util
import itertools
import json
import random
import re
import sys
from pathlib import Path

import pytest
from conftest import IN_CI, ROOT
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_engine import designs, sized_layer
from test_walker import conv_layers, gemm_layers

import maestroc
from maestroc.algebra import IntegerAlgebra
from maestroc.api import compile_files, hardware_spec
from maestroc.cli import main
from maestroc.costmodel import shape_key, structure_of
from maestroc.diagnostics import Diagnostics
from maestroc.engine import grid_cost
from maestroc.exploration import all_designs
from maestroc.frontend import load_mapping
from maestroc.hardware import HardwareError, HardwareSpec, format_hardware, spec_from_dict
from maestroc.space import load_space
from maestroc.symbolic import HARDWARE_SYMBOLS, SymbolicAlgebra, evaluate
from maestroc.systolic import array_of
from maestroc.timing import Fold

TINY = ROOT / "samples/networks/tiny_cnn.m"
VALIDATE = ROOT / "bench/validate_systolic.py"


def validation_script():  # type: ignore[no-untyped-def]
    """bench/validate_systolic.py as a module: its layers, matched mappings and SCALE-Sim runner."""
    spec = importlib.util.spec_from_file_location("validate_systolic", VALIDATE)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["validate_systolic"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


# ---- the key ---------------------------------------------------------------------------------------


def test_the_key_is_read_and_written(tmp_path: Path) -> None:
    path = tmp_path / "hw.m"
    path.write_text("num_pes: 256\nnoc_topology: systolic\n")
    spec = hardware_spec(str(path))
    assert spec.noc_topology == "systolic" and spec.num_pes == 256
    assert HardwareSpec().noc_topology == "maestro"
    assert re.search(r"^noc_topology: +systolic$", format_hardware(spec), re.MULTILINE)
    assert "noc_topology" not in format_hardware(HardwareSpec())  # the default stays out, as MAESTRO's files
    (tmp_path / "again.m").write_text(format_hardware(spec))
    assert hardware_spec(str(tmp_path / "again.m")) == spec


@pytest.mark.parametrize("line, message", [
    ("noc_topology: systolik", "`noc_topology` must be one of maestro, systolic, not 'systolik'"),
    ("noc_topology: 2", "`noc_topology` must be one of maestro, systolic, not 2"),
    ("num_pes: systolic", "`num_pes` must be a number, not 'systolic'"),
])
def test_a_bad_value_is_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str,
                                       message: str) -> None:
    hw = tmp_path / "hw.m"
    hw.write_text(f"noc_bw_cstr: 16\n{line}\n")
    assert main(["compile", str(ROOT / "docs/examples/trace_xp.m"), "--hw", str(hw), "--emit", "csv"]) == 2
    err = capsys.readouterr().err
    column = line.index(":") + 3
    assert f"hw.m:2:{column}: error[E303]: {message}" in err
    if "systolik" in line:
        assert "help: did you mean `systolic`?" in err


def test_every_builder_checks_the_value() -> None:
    with pytest.raises(HardwareError, match="noc_topology"):
        HardwareSpec(noc_topology="torus")
    with pytest.raises(HardwareError, match="noc_topology"):
        spec_from_dict({"noc_topology": 1})
    assert spec_from_dict({"noc_topology": "systolic"}).noc_topology == "systolic"


# ---- the default model and the outputs ---------------------------------------------------------------


def test_maestro_is_the_default_and_unchanged(tmp_path: Path) -> None:
    """Writing the default changes no figure; the systolic rules change the runtime only."""
    plain = compile_files(str(TINY), HardwareSpec(num_pes=64, noc_bw=32)).layers
    named = compile_files(str(TINY), HardwareSpec(num_pes=64, noc_bw=32, noc_topology="maestro")).layers
    systolic = compile_files(str(TINY), HardwareSpec(num_pes=64, noc_bw=32, noc_topology="systolic")).layers
    assert plain == named
    assert [m.runtime for m in plain] != [m.runtime for m in systolic]
    assert [m.macs for m in plain] == [m.macs for m in systolic]
    assert [m.l2_size_req for m in plain] == [m.l2_size_req for m in systolic]


def test_outputs_say_the_timing_is_not_maestros(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hw = tmp_path / "hw.m"
    hw.write_text("num_pes: 64\nnoc_bw_cstr: 32\nnoc_topology: systolic\n")
    network = str(TINY)
    assert main(["compile", network, "--hw", str(hw), "--emit", "csv"]) == 0
    assert "noc_topology systolic" in capsys.readouterr().err
    assert main(["compile", network, "--hw", str(hw), "--emit", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["hardware"]["noc_topology"] == "systolic" and "not MAESTRO's" in document["timing_note"]
    assert main(["compile", network, "--hw", str(hw), "--emit", "report", "-o", str(tmp_path / "r.txt")]) == 0
    assert "not MAESTRO's model" in (tmp_path / "r.txt").read_text()
    assert main(["compile", network, "--hw", str(hw), "--emit", "reuse"]) == 0
    assert capsys.readouterr().out.startswith("timing: noc_topology systolic")
    default = tmp_path / "default.m"
    default.write_text("num_pes: 64\nnoc_bw_cstr: 32\n")
    assert main(["compile", network, "--hw", str(default), "--emit", "json"]) == 0
    assert "timing_note" not in json.loads(capsys.readouterr().out)


def test_dse_and_compare_say_the_timing_is_not_maestros(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hw = tmp_path / "hw.m"
    hw.write_text("num_pes: 64\nnoc_bw_cstr: 32\nnoc_topology: systolic\n")
    out = tmp_path / "dse"
    assert main(["dse", str(TINY), "--hw", str(hw), "--set", "noc_bw=8,64", "--set", "KTile=8,16", "-o", str(out)]) == 0
    assert any("noc_topology systolic" in note for note in json.loads((out / "summary.json").read_text())["notes"])
    capsys.readouterr()
    assert main(["compare", str(TINY), str(TINY), "--hw", str(hw), "-o", str(tmp_path / "c.txt")]) == 0
    assert "not MAESTRO's model" in (tmp_path / "c.txt").read_text()


PIPELINE_ONLY = """Network P {
  Layer L {
    Type: CONV
    Dimensions { K: 4, C: 4, R: 1, S: 1, Y: 1, X: 8 }
    Dataflow {
      TemporalMap(4,4) K; TemporalMap(4,4) C; TemporalMap(1,1) Y; SpatialMap(4,4) X;
      Cluster(4, P);
      TemporalMap(1,1) K; TemporalMap(1,1) C; TemporalMap(1,1) Y; SpatialMap(1,1) X;
    }
  }
}
"""


def test_a_dataflow_with_no_stationary_tensor_is_flagged() -> None:
    """C406: the lower level steps K and C, so no tensor stays; a warning (an error with strict), systolic only."""
    systolic = {"num_pes": 8, "noc_topology": "systolic"}
    codes = [(d.code, d.severity.value) for d in maestroc.compile(PIPELINE_ONLY, systolic).diagnostics]
    assert ("C406", "warning") in codes
    assert "C406" not in [d.code for d in maestroc.compile(PIPELINE_ONLY, {"num_pes": 8}).diagnostics]
    with pytest.raises(maestroc.InputError, match="keeps no tensor stationary"):
        maestroc.compile(PIPELINE_ONLY, systolic, strict=True)
    example = str(ROOT / "docs/examples/systolic_ws.m")
    assert "C406" not in [d.code for d in maestroc.compile(example, {"num_pes": 16, "noc_topology": "systolic"}).diagnostics]


# ---- the rules ---------------------------------------------------------------------------------------


def test_the_array_follows_the_cluster_structure() -> None:
    """S1 on the docs' worked example (docs/systolic.md): 4 columns of 4 PEs, the weight stationary."""
    text = (ROOT / "docs/examples/systolic_ws.m").read_text()
    _, layer = sized_layer(text, HardwareSpec(num_pes=16))
    array = array_of(structure_of(shape_key(layer)))
    assert (array.rows, array.cols, array.stationary) == (4, 4, frozenset({"weight"}))
    assert (array.skew, array.load_depth) == (6, 4)


def test_the_worked_example(tmp_path: Path) -> None:
    """docs/systolic.md's worked example, figure by figure."""
    hw = {"num_pes": 16, "noc_bw_cstr": 8, "NoC_NumHops": 1}
    example = str(ROOT / "docs/examples/systolic_ws.m")
    assert maestroc.compile(example, hw).layers[0].runtime == 33
    assert maestroc.compile(example, {**hw, "noc_topology": "systolic"}).layers[0].runtime == 4 * (4 + 6 + 6)


@settings(max_examples=300 if IN_CI else 40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.one_of(conv_layers(), gemm_layers()), axes=designs())
def test_ints_arrays_and_expressions_agree(case: tuple[str, HardwareSpec], axes) -> None:  # type: ignore[no-untyped-def]
    """On random layers and dataflows, the systolic rules give the same numbers in the three algebras."""
    text, hardware = case
    network, layer = sized_layer(text, hardware)
    assume(not network.illegal)
    shape = shape_key(layer)
    symbolic = Fold(structure_of(shape), SymbolicAlgebra("systolic")).top()
    grid = grid_cost(shape, axes, "systolic")
    for index in itertools.product(*(range(len(values)) for values in axes)):
        values = tuple(values[i] for values, i in zip(axes, index))
        env = dict(zip(HARDWARE_SYMBOLS, values))
        top = Fold(structure_of(shape), IntegerAlgebra(*values, "systolic")).top()
        assert top.runtime == evaluate(symbolic.runtime, env) == grid.runtime[index], (text, values)
        assert top.peak_bw == evaluate(symbolic.peak_bw, env) == grid.peak_noc_bw[index], (text, values)


def test_caches_never_mix_the_models() -> None:
    """The same shape under both models, in either order, in one process: each gives its own numbers."""
    text = (ROOT / "docs/examples/systolic_ws.m").read_text()
    _, layer = sized_layer(text, HardwareSpec(num_pes=16))
    shape = shape_key(layer)
    values = (8, 1, 2**31 - 1, 1)
    maestro = Fold(structure_of(shape), IntegerAlgebra(*values)).top().runtime
    systolic = Fold(structure_of(shape), IntegerAlgebra(*values, "systolic")).top().runtime
    assert maestro != systolic
    axes = tuple((v,) for v in values)
    assert grid_cost(shape, axes, "systolic").runtime.item() == systolic
    assert grid_cost(shape, axes).runtime.item() == maestro
    assert grid_cost(shape, axes, "systolic").runtime.item() == systolic
    hw = {"num_pes": 16, "noc_bw_cstr": 8}
    for topology, runtime in (("maestro", maestro), ("systolic", systolic), ("maestro", maestro)):
        assert maestroc.compile(text, {**hw, "noc_topology": topology}).layers[0].runtime == runtime


def test_the_dse_under_systolic_equals_compile(tmp_path: Path) -> None:
    """Designs of a sweep with noc_topology: systolic equal compile of each design, one by one."""
    base = HardwareSpec(noc_topology="systolic")
    space = load_space(None, ["num_pes=64,256", "noc_bw=8,64", "noc_latency=0,2", "KTile=8,16"], ["runtime", "energy"], base)
    text = TINY.read_text()
    designs_seen = list(all_designs(load_mapping(str(TINY), Diagnostics()), space))
    for design, metrics in random.Random(3).sample(designs_seen, k=8):
        path = tmp_path / f"tile{design['KTile']}.m"
        path.write_text(re.sub(r"Constant KTile \d+;", f"Constant KTile {design['KTile']};", text))
        spec = HardwareSpec(num_pes=design["num_pes"], noc_bw=design["noc_bw"], noc_latency=design["noc_latency"],
                            noc_topology="systolic")
        assert metrics["runtime"] == sum(m.runtime for m in compile_files(str(path), spec).layers), design


# ---- against SCALE-Sim -------------------------------------------------------------------------------

SMALL = ("gemm_16", "vgg16c_fc_b1")  # gemm_16 is a three-level OS run (its 4x4 output on 16 rows)


@pytest.mark.parametrize("dataflow", ["ws", "os", "is"])
@pytest.mark.parametrize("name", SMALL)
def test_systolic_model_matches_scalesim(name: str, dataflow: str) -> None:
    """On small layers of the validation (docs/validation.md), 16x16 array: within 2% of SCALE-Sim."""
    pytest.importorskip("scalesim", reason="SCALE-Sim is not installed: pip install -e '.[validate]'")
    script = validation_script()
    layer = next(layer for layer in script.LAYERS if layer.name == name)
    reference = script.scalesim_cycles(layer, dataflow, 16)
    systolic = script.maestroc_cycles(layer, dataflow, 16, "systolic")
    assert abs(systolic - reference) <= 0.02 * reference, (name, dataflow, systolic, reference)
