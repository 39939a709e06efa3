"""The Python API checks its input exactly as the CLI does, and a HardwareSpec checks itself."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import maestroc
from maestroc.hardware import HardwareError, HardwareSpec

ROOT = Path(__file__).resolve().parent.parent
TINY = str(ROOT / "samples/networks/tiny_cnn.m")
EDGE = str(ROOT / "samples/hw/edge_64pe.m")
NET = """Network N { Layer L { Type: CONV Dimensions { K: 8, C: 4, R: 3, S: 3, Y: 8, X: 8 }
  Dataflow { SpatialMap(1,1) K; TemporalMap(4,4) C; TemporalMap(3,1) Y; TemporalMap(3,1) X;
             TemporalMap(3,3) R; TemporalMap(3,3) S; } } }
"""


def codes(error: pytest.ExceptionInfo) -> list[str]:
    return [d.code for d in error.value.diagnostics]


@pytest.mark.parametrize("hw, message", [
    ({"num_pes": 64, "noc_bw_cstr": -5}, "`noc_bw_cstr` must be at least 1, not -5"),
    ({"noc_bw": 0}, "`noc_bw` must be at least 1, not 0"),
    ({"noc_bw": 7.5}, "`noc_bw` must be a whole number, not 7.5"),
    ({"num_pes": 64.5}, "`num_pes` must be a whole number, not 64.5"),
    ({"mac_energy": -1}, "`mac_energy` must be greater than 0.0, not -1"),
    ({"mac_energy": math.inf}, "`mac_energy` must be a finite number, not inf"),
    ({"l1_energy_multiplier": math.nan}, "`l1_energy_multiplier` must be a finite number, not nan"),
    ({"num_pes": True}, "`num_pes` must be a number, not True"),
    ({"num_pes": "64"}, "`num_pes` must be a number, not '64'"),
    ({"num_pes": 2**63}, "`num_pes` is too large"),
    ({"num_pe": 4}, "unknown hardware key `num_pe`"),
])
def test_api_rejects_what_the_cli_rejects(hw: dict, message: str) -> None:
    with pytest.raises(maestroc.InputError) as error:
        maestroc.compile(NET, hw=hw)
    assert message in str(error.value)
    assert all(d.severity.value == "error" for d in error.value.diagnostics)


def test_spec_validates_itself_whatever_builds_it() -> None:
    with pytest.raises(HardwareError) as error:
        HardwareSpec(num_pes=0, noc_bw=2.5)
    assert codes(error) == ["E303", "E303"]
    assert isinstance(error.value, ValueError) and isinstance(error.value, maestroc.InputError)
    numpy = pytest.importorskip("numpy")
    spec = HardwareSpec(num_pes=numpy.int64(8), mac_energy=numpy.float32(0.5))
    assert type(spec.num_pes) is int and type(spec.mac_energy) is float


def test_api_file_and_dict_agree_with_cli(cli, tmp_path: Path) -> None:
    hw = tmp_path / "hw.m"
    hw.write_text("num_pes: 64\nnoc_bw_cstr: -5\n")
    result = cli("compile", TINY, "--hw", str(hw))
    assert result.code == 2 and "error[E303]" in result.err and "`noc_bw_cstr` must be at least 1" in result.err
    with pytest.raises(maestroc.InputError) as from_file:
        maestroc.compile(TINY, hw=str(hw))
    assert [d.message for d in from_file.value.diagnostics] == ["`noc_bw_cstr` must be at least 1, not -5"]
    with pytest.raises(maestroc.InputError) as from_text:
        maestroc.compile(TINY, hw=hw.read_text())
    assert codes(from_text) == ["E303"]


def test_api_sources() -> None:
    with pytest.raises(maestroc.InputError) as error:
        maestroc.compile("Constant T 4;")
    assert codes(error) == ["E004"]
    with pytest.raises(maestroc.InputError) as error:
        maestroc.compile("missing")
    assert codes(error) == ["E001"] and error.value.diagnostics.items[0].message == "no such file"
    with pytest.raises(maestroc.InputError) as error:
        maestroc.compile(EDGE)
    assert codes(error) == ["E004"]
    with pytest.raises(TypeError):
        maestroc.compile(5)  # type: ignore[arg-type]
    assert maestroc.compile(Path(TINY), hw=Path(EDGE)).totals["layers"] == 5


def test_api_keeps_hardware_limit_warnings(cli) -> None:
    result = maestroc.compile(TINY, hw=EDGE)
    assert [d.code for d in result.diagnostics] == ["C403", "C404"]
    cli_result = cli("compile", TINY, "--hw", EDGE)
    assert "warning[C403]" in cli_result.err and "warning[C404]" in cli_result.err
    records = result.to_records()
    assert any("C404" in r["exceeds"] for r in records) and all(isinstance(r["exceeds"], list) for r in records)
    with pytest.raises(maestroc.InputError) as error:
        maestroc.compile(TINY, hw=EDGE, strict=True)
    assert set(codes(error)) == {"C403", "C404"}


def test_api_dse_takes_text_and_one_assignment() -> None:
    text = Path(TINY).read_text()
    result = maestroc.dse(text, set="num_pes=16,64")
    assert result.explored == 2
    assert maestroc.dse(TINY, set=["num_pes=16,64"], objectives=["runtime", "area"]).explored == 2
    with pytest.raises(maestroc.InputError) as error:
        maestroc.dse("missing.m", set="num_pes=16")
    assert codes(error) == ["E001"]
    with pytest.raises(maestroc.InputError):  # a bad space is an input error, as on the command line
        maestroc.dse(text, set="num_pes")
    with pytest.raises(TypeError):
        maestroc.dse(text, set=[3])  # type: ignore[list-item]


@pytest.mark.parametrize("written, message", [
    ("1e400", "is too large to represent (1e400)"),
    ("1e-400", "is too small to represent (1e-400 is below the smallest positive double"),
    ("-1e400", "is too large to represent (-1e400)"),
    ("0.0", "must be greater than 0.0, not 0.0"),
])
def test_hardware_file_numbers_must_be_finite(cli, tmp_path: Path, written: str, message: str) -> None:
    hw = tmp_path / "hw.m"
    hw.write_text(f"num_pes: 4\nmac_energy: {written}\n")
    result = cli("compile", TINY, "--hw", str(hw), "--emit", "json")
    assert result.code == 2 and message in result.err, result.err
    assert f"{hw}:2:13: error[E303]" in result.err


def test_json_never_holds_infinity_or_nan(cli, tmp_path: Path) -> None:
    hw = tmp_path / "hw.m"
    hw.write_text("num_pes: 256\nmac_energy: 4e18\nl2_energy_multiplier: 4e18\n")  # the largest values allowed
    result = cli("compile", TINY, "--hw", str(hw), "--emit", "json")
    assert result.code == 0, result.err
    document = json.loads(result.out, parse_constant=lambda name: pytest.fail(f"{name} in JSON output"))
    assert document["totals"]["energy"] > 0
    hw.write_text("num_pes: 4\nmac_energy: 1e300\n")
    result = cli("compile", TINY, "--hw", str(hw), "--emit", "json")
    assert result.code == 2 and "`mac_energy` is too large" in result.err and result.out == ""


def test_mapping_file_given_as_hardware(cli) -> None:
    result = cli("compile", TINY, "--hw", TINY)
    assert result.code == 2
    assert "error[E006]: this is a mapping file (it has `Constant`), not a hardware file" in result.err


def test_a_spec_error_anywhere_is_an_input_error(cli) -> None:
    result = cli("dse", TINY, "--set", f"num_pes={2**62 + 1}")
    assert result.code == 2 and "num_pes" in result.err and "internal error" not in result.err
