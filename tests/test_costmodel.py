"""The cost model against MAESTRO: the three worked traces, every reference run, the sweep;
and the compile command's outputs."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SHARED, missing_shared_param
from maestroc.api import compile_files
from maestroc.report import CSV_HEADER, csv_row

sys.path.insert(0, str(ROOT / "bench"))
import conformance  # noqa: E402  (bench/conformance.py: the same comparison the benchmark prints)


def traces() -> list[tuple[str, str, str, str]]:
    """(name, mapping text, hardware text, MAESTRO's CSV row) of the three traced layers.

    They are reference data of the shared folder (MAESTRO's printed rows); the
    project's own account of them is docs/costmodel-traces.md.
    """
    path = SHARED / "TRACES.md"
    if not path.exists():
        return []
    text = path.read_text()
    out = []
    for section in re.split(r"^## Trace ", text, flags=re.MULTILINE)[1:]:
        blocks = re.findall(r"```\n(.*?)```", section, re.DOTALL)
        out.append((section.split()[0], blocks[0], blocks[1], blocks[-1].strip()))
    return out


@pytest.mark.parametrize("name, mapping, hardware, expected", traces() or missing_shared_param(4),
                         ids=lambda v: str(v)[:2])
def test_worked_trace_row_is_exact(name: str, mapping: str, hardware: str, expected: str, tmp_path: Path) -> None:
    (tmp_path / "net.m").write_text(mapping)
    (tmp_path / "hw.m").write_text(hardware)
    result = compile_files(str(tmp_path / "net.m"), str(tmp_path / "hw.m"))
    (layer,) = result.layers
    assert csv_row(result.network.name, layer) == expected


def test_traces_present(shared: Path) -> None:
    assert len(traces()) == 3


RUNS = conformance.runs(SHARED, None) if SHARED.is_dir() else []


@pytest.mark.parametrize("case, config, mapping, hardware, reference", RUNS or missing_shared_param(5),
                         ids=lambda v: str(v) if
                         isinstance(v, str) else None)
def test_reference_run_matches_every_column(case, config, mapping, hardware, reference) -> None:
    comparisons = conformance.run_case(case, config, mapping, hardware, reference)
    bad = [(c.layer, c.mismatched[:3]) for c in comparisons if c.mismatched]
    assert comparisons and not bad


def test_all_reference_runs_are_compared(shared: Path) -> None:
    assert len(RUNS) == 78


def test_sweep_matches(shared: Path) -> None:
    comparisons = conformance.run_sweep(shared)
    assert len(comparisons) == 128
    assert not [c for c in comparisons if c.mismatched]


def test_same_shape_layers_share_one_derivation(shared: Path) -> None:
    from maestroc.costmodel import structure_of

    structure_of.cache_clear()
    result = compile_files(str(shared / "inputs/mapping/Transformer_Complete.m"),
                           str(shared / "inputs/hw/hw_default.m"))
    assert len(result.layers) == 288
    assert structure_of.cache_info().currsize < 40


@pytest.fixture
def sample(monkeypatch) -> tuple[str, str]:
    monkeypatch.chdir(ROOT)
    return "samples/networks/tiny_cnn.m", "samples/hw/default_256pe.m"


def test_emit_csv_has_maestros_header(cli, sample) -> None:
    net, hw = sample
    result = cli("compile", net, "--hw", hw, "--emit", "csv")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == CSV_HEADER
    rows = list(csv.reader(lines[1:]))
    assert [r[1] for r in rows] == ["stem_7x7_s2", "conv_3x3", "proj_1x1", "depthwise_3x3", "classifier"]
    assert all(re.fullmatch(r"\d+", r[3]) for r in rows)  # runtime printed as an integer


def test_emit_json_every_metric_with_units(cli, sample) -> None:
    net, hw = sample
    document = json.loads(cli("compile", net, "--hw", hw, "--emit", "json").out)
    assert document["units"]["runtime"] == "cycles"
    layer = document["layers"][0]
    assert set(layer["tensors"]) == {"input", "weight", "output"}
    assert layer["energy"]["total"] == pytest.approx(sum(v for k, v in layer["energy"].items() if k != "total"))
    assert layer["energy"]["mac"] > 0
    assert document["totals"]["runtime"] == sum(item["runtime"] for item in document["layers"])


def test_report_marks_exceeded_limits_and_strict_fails(cli, sample) -> None:
    net, hw = sample
    report = cli("compile", net, "--hw", hw, "--emit", "report")
    assert report.code == 0
    assert "warning[C404]" in report.err and "136 !" in report.out
    strict = cli("compile", net, "--hw", hw, "--emit", "report", "--strict")
    assert strict.code == 2 and "error[C404]" in strict.err


def test_emit_reuse_shows_expressions(cli, sample) -> None:
    net, hw = sample
    result = cli("compile", net, "--hw", hw, "--emit", "reuse", "--layer", "classifier")
    assert result.code == 0
    assert "noc_bw" in result.out and "level 1" in result.out
    latex = cli("compile", net, "--hw", hw, "--emit", "reuse", "--layer", "classifier", "--latex")
    assert "\\max" in latex.out or "\\operatorname" in latex.out


def test_output_file_is_written_atomically(cli, sample, tmp_path: Path) -> None:
    net, hw = sample
    out = tmp_path / "result.csv"
    out.write_text("old contents\n")
    assert cli("compile", net, "--hw", hw, "--emit", "csv", "-o", str(out), "--force").code == 0
    assert out.read_text().startswith("Neural Network Name")
    assert [p.name for p in tmp_path.iterdir()] == ["result.csv"]  # no temporary file left behind


def test_costs_need_hardware(cli, sample) -> None:
    net, _ = sample
    result = cli("compile", net, "--emit", "csv")
    assert result.code == 2 and "--hw" in result.err


def test_maestro_crash_inputs_get_diagnostics_not_crashes(cli, shared: Path) -> None:
    for name, code in (("Resnet50_rs", "L109"), ("GEMM_Example", "L106")):
        result = cli("compile", str(shared / f"inputs/mapping/{name}.m"), "--hw",
                     str(shared / "inputs/hw/hw_pe64_noc32.m"), "--emit", "csv")
        assert result.code == 2
        assert f"error[{code}]" in result.err


def test_unwritable_output_is_a_one_line_error(cli, sample, tmp_path: Path) -> None:
    net, hw = sample
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = cli("compile", net, "--hw", hw, "--emit", "csv", "-o", str(blocker / "out.csv"))
    assert result.code == 2
    assert result.err.startswith(f"maestroc: cannot write {blocker / 'out.csv'}: ")
    assert len(result.err.strip().splitlines()) == 1


def test_set_a_constant_on_the_command_line(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    net, hw = "samples/networks/vgg16_conv2_tiled.m", "samples/hw/default_256pe.m"
    edited = tmp_path / "ctile16.m"
    edited.write_text((ROOT / net).read_text().replace("Constant CTile 64;", "Constant CTile 16;"))
    with_set = cli("compile", net, "--hw", hw, "--emit", "csv", "--set", "CTile=16")
    in_file = cli("compile", str(edited), "--hw", hw, "--emit", "csv")
    assert with_set.code == 0 and with_set.out == in_file.out
    assert cli("compile", net, "--set", "Nope=3").code == 2
