"""The command line as a user meets it: help, version, parse, JSON, kinds, several files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, check_golden

SAMPLES = ROOT / "samples"


def test_version(cli) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli("--version")
    assert exit_info.value.code == 0


@pytest.mark.parametrize("args", [["--help"], ["parse", "--help"]])
def test_help(args: list[str], capsys) -> None:
    from maestroc.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 0
    assert "usage: maestroc" in capsys.readouterr().out


def test_parse_several_files_and_kinds(cli) -> None:
    files = [SAMPLES / "networks/tiny_cnn.m", SAMPLES / "hw/default_256pe.m", SAMPLES / "dataflows/cp_nlr.m",
             SAMPLES / "networks/lenet_model.m"]
    result = cli("parse", "--emit", "json", *map(str, files))
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert [f["kind"] for f in document["files"]] == ["mapping", "hw", "template", "model"]
    assert document["diagnostics"] == []


def test_one_bad_file_among_good_ones(tmp_path: Path, cli) -> None:
    bad = tmp_path / "bad.m"
    bad.write_text("num_pes: 0\n")
    result = cli("parse", "--emit", "none", str(SAMPLES / "hw/default_256pe.m"), str(bad))
    assert result.code == 2
    assert result.err.startswith(f"{bad}:1:10: error[E303]")


def test_kind_forces_hardware_reading(tmp_path: Path, cli) -> None:
    path = tmp_path / "x.m"
    path.write_text("Network N { }\n")
    result = cli("parse", "--kind", "hw", str(path))
    assert result.code == 2 and "error[E10" in result.err


def test_json_diagnostics(tmp_path: Path, cli) -> None:
    path = tmp_path / "x.m"
    path.write_text("num_pes: 64\nnum_pe: 3\n")
    document = json.loads(cli("parse", "--emit", "json", str(path)).out)
    (diagnostic,) = document["diagnostics"]
    assert diagnostic["code"] == "E301"
    assert diagnostic["span"] == {"line": 2, "column": 1, "end_line": 2, "end_column": 7}
    assert diagnostic["helps"] == ["did you mean `num_pes`?"]


def test_real_process_reports_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "broken.m"
    path.write_text("Network N {\n Layer L {\n  Type: CONV\n  Dimensions { K: 4 C: 3, R: 3 S: 3 Y: 8 X: 8 }\n"
                    "  Dataflow { SpatialMap(1,1 K; }\n }\n}\n")
    # Run outside the checkout, as a user would: the installed package, not the source folder.
    proc = subprocess.run([sys.executable, "-m", "maestroc", "parse", str(path)], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{path}:5:28: error[E103]: expected `)` to close `(`, found `K`" in proc.stderr
    assert "\x1b[" not in proc.stderr  # no colour codes when not on a terminal


@pytest.mark.parametrize("sample", sorted(p.relative_to(ROOT).as_posix() for p in SAMPLES.rglob("*.m")))
def test_golden_ast(sample: str, cli, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = cli("parse", sample)
    assert result.code == 0, result.err
    check_golden("ast/" + sample.replace("/", "__") + ".txt", result.out)
