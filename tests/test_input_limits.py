"""Inputs that once crashed or printed nonsense: each is an input error at its text, or computed correctly."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from maestroc.algebra import IntegerAlgebra
from maestroc.timing import halving_max
from maestroc.sema import MAX_VALUE
from maestroc.symbolic import trunc_div

HW = "num_pes: 64\nnoc_bw_cstr: 64\noffchip_bw_cstr: 64\n"
DATAFLOW = "SpatialMap(1,1) K; TemporalMap(1,1) C; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;"


def network(dims: str, dataflow: str = DATAFLOW, constants: str = "") -> str:
    return (f"{constants}Network N {{\nLayer L {{\nType: CONV\nDimensions {{ {dims} }}\n"
            f"Dataflow {{ {dataflow} }}\n}}\n}}\n")


def files(tmp_path: Path, text: str) -> tuple[str, str]:
    net, hw = tmp_path / "net.m", tmp_path / "hw.m"
    net.write_text(text)
    hw.write_text(HW)
    return str(net), str(hw)


def test_filter_larger_than_input_is_an_input_error_at_the_filter(cli, tmp_path: Path) -> None:
    for filter_size in (5, 1000):
        net, hw = files(tmp_path, network(f"K: 4, C: 4, R: {filter_size}, S: 3, Y: 3, X: 8"))
        result = cli("compile", net, "--hw", hw, "--emit", "json")
        assert result.code == 2 and result.out == ""
        assert f"net.m:4:26: error[E220]: the filter `R: {filter_size}` is larger than the input `Y: 3`" in result.err
        assert "R <= Y" in result.err


def test_a_value_above_two_to_the_62_is_refused_and_one_at_it_is_exact(cli, tmp_path: Path) -> None:
    net, hw = files(tmp_path, network("K: 1" + "0" * 400 + ", C: 4, R: 3, S: 3, Y: 8, X: 8"))
    result = cli("compile", net, "--hw", hw, "--emit", "json")
    assert result.code == 2 and "error[E208]: dimension `K` is too large: a 401-digit number" in result.err
    net, hw = files(tmp_path, network(f"K: {MAX_VALUE}, C: {MAX_VALUE}, R: 3, S: 3, Y: {MAX_VALUE}, X: 8"))
    result = cli("compile", net, "--hw", hw, "--emit", "json")
    assert result.code == 0, result.err
    (layer,) = json.loads(result.out)["layers"]
    assert layer["macs"] == MAX_VALUE * MAX_VALUE * 9 * (MAX_VALUE - 2) * 6
    assert all(math.isfinite(v) for v in layer["energy"].values())


def test_set_takes_ascii_digits_and_rechecks_the_file(cli, tmp_path: Path) -> None:
    net, hw = files(tmp_path, network("K: 4, C: 4, R: RR, S: 3, Y: 8, X: 8", constants="Constant RR 3;\n"))
    for bad in ("²", "٣", str(MAX_VALUE + 1)):
        result = cli("compile", net, "--hw", hw, "--set", f"RR={bad}")
        assert result.code == 2 and "a whole number from 1 to 2^62" in result.err
    result = cli("compile", net, "--hw", hw, "--set", "RR=20")
    assert result.code == 2 and "error[E220]: the filter `R: 20` is larger than the input `Y: 8`" in result.err
    assert cli("compile", net, "--hw", hw, "--set", "RR=2", "--emit", "csv").code == 0


def test_a_directive_list_written_twice_is_computed_and_flagged(cli, tmp_path: Path) -> None:
    once = "SpatialMap(1,1) K; TemporalMap(3,3) C; TemporalMap(3,3) Y; TemporalMap(3,3) X;"
    net, hw = files(tmp_path, network("K: 16, C: 10, R: 1, S: 1, Y: 10, X: 10", f"{once}\n{once}"))
    result = cli("compile", net, "--hw", hw, "--emit", "csv")
    assert result.code == 0 and "warning[C405]" in result.err and "is mapped twice at level 0" in result.err
    assert "L207" in cli("lint", net).out


@given(st.lists(st.integers(0, 10**6), max_size=40))
def test_flat_halving_maximum_equals_the_running_one(terms: list[int]) -> None:
    running = 0
    for term in terms:
        running = trunc_div(max(running, term), 2)
    assert halving_max(IntegerAlgebra(1, 1, 1, 1), terms, max(terms, default=0)) == running


def test_nesting_too_deep_is_an_input_error(cli, tmp_path: Path) -> None:
    deep = tmp_path / "deep.m"
    deep.write_text("Accelerator { " + "g { " * 500 + "}" * 500 + " }\n")
    result = cli("parse", str(deep))
    assert result.code == 2 and re.search(r"deep\.m:1:\d+: error\[E106\]", result.err)
    deep.write_text("Accelerator { " + "g { " * 63 + "}" * 63 + " }\n")
    assert cli("parse", "--emit", "json", str(deep)).code == 0


def test_cr_only_line_endings_put_the_caret_on_the_right_line(cli, tmp_path: Path) -> None:
    net = tmp_path / "net.m"
    net.write_bytes(network("K: 4, C: 4, R: 3, S: 3, Y: 8, X: 8", "SpatialMap(1,1) K; TemporalMap(1,1) Q;")
                    .replace("\n", "\r").encode())
    result = cli("parse", str(net))
    assert "net.m:5:48: error[E202]" in result.err
    assert "    5 | Dataflow { SpatialMap(1,1) K; TemporalMap(1,1) Q; }\n      | " + " " * 47 + "^\n" in result.err


def test_stop_after_prints_the_ir_or_refuses_cost_outputs(cli, tmp_path: Path) -> None:
    net, hw = files(tmp_path, network("K: 4, C: 4, R: 3, S: 3, Y: 8, X: 8"))
    early = cli("compile", net, "--hw", hw, "--stop-after", "resolve")
    assert early.code == 0 and early.out.startswith("network N")
    whole = cli("compile", net, "--hw", hw, "--stop-after", "legality", "--emit", "csv")
    assert whole.code == 0 and whole.out.startswith("Neural Network Name")
    refused = cli("compile", net, "--hw", hw, "--stop-after", "resolve", "--emit", "csv")
    assert refused.code == 2 and "--emit csv needs the whole pipeline" in refused.err
