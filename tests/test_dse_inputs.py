"""Design spaces and exploration settings are validated where they are made: every bad value is a located
E5xx input error (exit 2), never a crash, from a TOML file, a --set option, a budget or the Python API."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import IN_CI, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import maestroc
from maestroc.diagnostics import InputError
from maestroc.hardware import MAX_HW_INT

TINY = str(ROOT / "samples/networks/tiny_cnn.m")


@pytest.mark.parametrize("text, line, words", [
    ('[constraints]\nfit_buffers = "false"\n', 2, "fit_buffers: expected true or false"),
    ('[objectives]\nminimize = ["runtime", "energy"]\n', 2, "unknown key 'minimize'"),
    ('[objectives]\noptimize = "runtime"\n', 2, "expected a list of objective names"),
    ('[objectives]\noptimize = ["runtime", "r"]\n', 2, "unknown objective 'r'"),
    ('[objectives]\noptimize = [["runtime"], "energy"]\n', 2, "expected a list of objective names"),
    ('# budgets\n[constraints]\narea = "abc"\n', 3, "area: expected a number"),
    ('[constraints]\narea = [1, 2]\n', 2, "area: expected a number"),
    ('[constraints]\npower = nan\n', 2, "finite number above 0"),
    ('[constraints]\narea = inf\n', 2, "finite number above 0"),
    ('[constraints]\nbudget = 4\n', 2, "unknown constraint"),
    ('hardware = 5\n', 1, "hardware must be a table"),
    ('mapping = "x"\n', 1, "mapping must be a table"),
    ('constraints = 3\n', 1, "constraints must be a table"),
    ('objectives = 5\n', 1, "objectives must be a table"),
    ('[hardware]\nnoc_bw = 1e30\n', 2, "the largest allowed value is 2**62"),
    ('[hardware]\nnoc_bw = 7.5\n', 2, "expected whole numbers"),
    ('[hardware]\nnoc_bw = true\n', 2, "expected whole numbers"),
    ('[hardware]\nnoc_bw = "1:2:3:4"\n', 2, "cannot read '1:2:3:4'"),
    ('[hardware]\nnoc_bw = [4, [8]]\n', 2, "a list inside a list"),
    ('[hardware]\nnoc_bw = "0:8"\n', 2, "values must be positive"),
    ('[hardware]\nnum_pe = 64\n', 2, "unknown hardware parameter 'num_pe'"),
    ('[mapping]\nNoSuchTile = 4\n', 2, "unknown parameter 'NoSuchTile'"),
    ('[tiles]\nKTile = 4\n', 1, "unknown table [tiles]"),
    ('[hardware\nnoc_bw = 4\n', 1, "not valid TOML"),
])
def test_space_file_errors_are_located(cli, tmp_path: Path, text: str, line: int, words: str) -> None:
    space = tmp_path / "space.toml"
    space.write_text(text)
    result = cli("dse", TINY, "--space", str(space))
    assert result.code == 2, result
    assert f"{space}:{line}:" in result.err and words in result.err and "error[E50" in result.err
    assert "Traceback" not in result.err and "internal error" not in result.err


def test_latin1_byte_is_an_input_error(cli, tmp_path: Path) -> None:
    space = tmp_path / "space.toml"
    space.write_bytes(b"[hardware]\n# caf\xe9\nnoc_bw = 4\n")
    result = cli("dse", TINY, "--space", str(space))
    assert result.code == 2 and f"{space}:2:6: error[E002]" in result.err and "0xe9" in result.err


@pytest.mark.parametrize("options, words", [
    (["--set", "a=1:10:0"], "step of '1:10:0' must be positive"),
    (["--set", "noc_bw=1:2:3:4"], "cannot read '1:2:3:4'"),
    (["--set", "noc_bw=8:4"], "is empty"),
    (["--set", "noc_bw=1,,2"], "an empty value in '1,,2'"),
    (["--set", "noc_bw=16,"], "an empty value in '16,'"),
    (["--set", "noc_bw=99999999999999999999"], "the largest allowed value is 2**62"),
    (["--set", "l1_size=9223372036854775808"], "the largest allowed value is 2**62"),
    (["--set", f"num_pes={10**20}"], "the largest allowed value is 2**62"),
    (["--set", "num_pes=64", "--area-budget", "nan"], "--area-budget: expected a finite number above 0"),
    (["--set", "num_pes=64", "--area-budget", "inf"], "--area-budget: expected a finite number above 0"),
    (["--set", "num_pes=64", "--power-budget", "-3"], "--power-budget: expected a finite number above 0"),
    (["--set", "num_pes=64", "--max-designs", "-5"], "max_designs: expected a whole number above 0"),
    (["--set", "num_pes=64", "--time-budget", "-1"], "time_budget: expected a finite number above 0"),
    (["--set", "num_pes=64", "--time-budget", "nan"], "time_budget: expected a finite number above 0"),
    (["--set", "num_pes=64", "--memory", "1M"], "memory: expected at least 64 MiB"),
    (["--set", "num_pes=64", "--workers", "0"], "--workers: expected a whole number above 0"),
    (["--set", "num_pes=64", "--scheduler-timeout", "inf"], "--scheduler-timeout: expected a finite number"),
])
def test_option_errors(cli, options: list[str], words: str) -> None:
    result = cli("dse", TINY, *options)
    assert result.code == 2 and "error[E501]" in result.err and words in result.err, result


def test_one_bound_for_hardware_files_and_axes(cli, tmp_path: Path) -> None:
    """A hardware file and a DSE axis reject a value above 2**62 with the same message."""
    hw = tmp_path / "hw.m"
    hw.write_text(f"num_pes: {10**20}\n")
    from_file = cli("compile", TINY, "--hw", str(hw))
    from_axis = cli("dse", TINY, "--set", f"num_pes={10**20}")
    message = f"`num_pes` is too large ({10**20}); the largest allowed value is 2**62 = {MAX_HW_INT:,}"
    assert from_file.code == from_axis.code == 2
    assert message in from_file.err and message in from_axis.err


@pytest.mark.parametrize("path, options, words", [
    ("samples/networks/resnet50_model.m", ["--set", "num_pes=64"], "a model file (layers without dataflows)"),
    ("samples/networks/tiny_cnn.m", [], "no design space"),
])
def test_nothing_to_explore_fails_fast(cli, monkeypatch, path: str, options: list[str], words: str) -> None:
    monkeypatch.chdir(ROOT)
    result = cli("dse", path, *options)
    assert result.code == 2 and "error[E503]" in result.err and words in result.err and "help:" in result.err


def test_api_validates_as_the_cli_does() -> None:
    assert maestroc.dse(TINY, set="num_pes=64,256").explored == 2  # one NAME=SPEC as a string
    text = Path(TINY).read_text()
    assert maestroc.dse(text, set=["num_pes=64", "noc_bw=16,64"]).explored == 2  # the network's text
    for arguments in ({"set": "noc_bw=1:2:3:4"}, {"set": "num_pes=64", "area_budget": math.nan},
                      {"set": "num_pes=64", "max_designs": -5}, {"set": "num_pes=64", "time_budget": -1},
                      {"set": "num_pes=64", "objectives": ["runtime"]}, {}):
        with pytest.raises(InputError) as caught:
            maestroc.dse(TINY, **arguments)
        assert caught.value.diagnostics.has_errors
    with pytest.raises(InputError, match="model file"):
        maestroc.dse(str(ROOT / "samples/networks/resnet50_model.m"), set="num_pes=64")


@pytest.mark.parametrize("path, kind", [("samples/hw/default_256pe.m", "hardware"),
                                        ("samples/dataflows/ckp_ws.m", "dataflow template")])
def test_a_file_without_a_network_is_the_same_e004_in_the_cli_and_the_api(cli, monkeypatch, path: str,
                                                                             kind: str) -> None:
    """A hardware file or a template given as the network is E004, as in compile, lint and map: not a parse error
    (E102) or E503 on the command line and E004 in Python."""
    monkeypatch.chdir(ROOT)
    result = cli("dse", path, "--set", "num_pes=64:128:64")
    with pytest.raises(InputError) as caught:
        maestroc.dse(path, set="num_pes=64:128:64")
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.file, diagnostic.span) == ("E004", path, None)  # the file, no line:col
    assert diagnostic.message.startswith(f"no `Network` to analyse: this is a {kind} file")
    assert result.code == 2 and result.out == ""
    assert result.err == f"{path}: error[E004]: {diagnostic.message}\n"


# ---- fuzzing: random TOML spaces never end in an internal error --------------------------------
_NAMES = st.sampled_from(["num_pes", "noc_bw", "noc_latency", "offchip_bw", "l1_size", "l2_size", "num_simd_lanes",
                          "KTile", "area", "power", "max_noc_bw_req", "fit_buffers", "optimize", "x", ""])
_SCALARS = st.one_of(
    st.integers(-5, 2**64), st.sampled_from([16, 64, 256, 0, -1, 2**62, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.sampled_from(["64", "16,64", "8:64:8", "pow2:16:256", "1:2:3:4", "a:b", "1:10:0", "", "runtime", "energy",
                     "1:10000000000", "pow2:1:4611686018427387904", "²", "٣"]),
    st.text(max_size=6))
_VALUES = st.one_of(_SCALARS, st.lists(_SCALARS, max_size=4), st.lists(st.lists(_SCALARS, max_size=2), max_size=2))


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').encode("unicode_escape").decode() + '"'
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"  # type: ignore[attr-defined]


_TABLES = st.dictionaries(st.sampled_from(["hardware", "mapping", "constraints", "objectives", "other"]),
                          st.one_of(st.dictionaries(_NAMES, _VALUES, max_size=3), _SCALARS), max_size=4)


def _document(tables: dict) -> str:
    top = [f"{name} = {_toml_value(body)}" for name, body in tables.items() if not isinstance(body, dict)]
    blocks = [f"[{name}]\n" + "".join(f"{key or 'x'} = {_toml_value(v)}\n" for key, v in body.items())
              for name, body in tables.items() if isinstance(body, dict)]
    return "\n".join(top) + "\n" + "\n".join(blocks)


@settings(max_examples=2000 if IN_CI else 150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(_TABLES, st.binary(max_size=3))
def test_random_space_files_never_crash(cli, tmp_path: Path, tables: dict, junk: bytes) -> None:
    space = tmp_path / "space.toml"
    space.write_bytes(_document(tables).encode() + junk)
    # --max-designs keeps a valid space's run to its first task; the design axes stay small or lazy.
    result = cli("dse", TINY, "--space", str(space), "--set", "num_pes=64", "--max-designs", "1")
    assert result.code in (0, 2), result
    assert "internal error" not in result.err
    if result.code == 2:
        assert "error[E" in result.err


def test_budget_options_say_their_units(cli, capsys) -> None:
    """`--area-budget 6e8` is in um^2 and `--power-budget` in mW, the units of the DSE's tables."""
    with pytest.raises(SystemExit):
        cli("dse", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "--area-budget UM2 maximum area in um^2" in text
    assert "--power-budget MW maximum power in mW" in text


@pytest.mark.parametrize("command", [["dse", TINY], ["map", str(ROOT / "samples/networks/tiny_cnn.m"), "--hw",
                                                     str(ROOT / "samples/hw/default_256pe.m"), "--explain-space"]])
def test_a_missing_space_file_is_named_as_any_missing_input(cli, tmp_path: Path, command: list[str]) -> None:
    """`PATH: error[E001]: no such file`, as compile says of a missing network (not the OS's own wording)."""
    missing = tmp_path / "nope.toml"
    result = cli(*command, "--space", str(missing))
    assert result.code == 2
    assert f"{missing}: error[E001]: no such file" in result.err, result.err
