"""Lint reports on files with input errors, file-level diagnostics, suppression comments, bare `maestroc`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
SARIF_SUBSET = json.loads((ROOT / "tests/data/sarif-2.1.0-subset.schema.json").read_text())
LINT_JSON_SCHEMA = json.loads((ROOT / "docs/lint-output.schema.json").read_text())
BROKEN = "Network N {\n Layer L { Type: CONV\n Dimensions { K: 4 C: 4 }\n"


@pytest.mark.parametrize("fmt, schema", [("sarif", SARIF_SUBSET), ("json", LINT_JSON_SCHEMA)])
@pytest.mark.parametrize("content", [BROKEN, "", None])
def test_reports_hold_input_errors(cli, tmp_path: Path, fmt: str, schema: dict, content: str | None) -> None:
    net = tmp_path / "net.m"
    if content is not None:
        net.write_text(content)
    out = tmp_path / f"out.{fmt}"
    result = cli("lint", str(net), "--format", fmt, "-o", str(out))
    assert result.code == 2
    document = json.loads(out.read_text())
    jsonschema.validate(document, schema)
    if fmt == "sarif":
        (run,) = document["runs"]
        assert run["results"] and all(r["level"] == "error" for r in run["results"])
        uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == net.as_posix()
    else:
        assert document["counts"]["error"] >= 1 and document["findings"][0]["path"] == str(net)


def test_file_level_errors_name_the_file_first(cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.m"
    result = cli("lint", str(missing))
    assert result.code == 2 and result.err.startswith(f"{missing}: error[E001]: no such file")
    empty = tmp_path / "empty.m"
    empty.write_text("// only a comment\n")
    assert cli("parse", str(empty)).err.startswith(f"{empty}: error[E003]: empty file")


def test_binary_file_located_at_first_nul(cli, tmp_path: Path) -> None:
    binary = tmp_path / "bin.m"
    binary.write_bytes("\ufeffNetwork N {\n  Layer é\x00 {}\n}".encode())
    result = cli("parse", str(binary))
    assert result.code == 2 and result.err.startswith(f"{binary}:2:10: error[E002]: binary file")
    latin1 = tmp_path / "latin1.m"
    latin1.write_bytes(b"Network N {\n  Lay\xe9r L {}\n}")
    result = cli("parse", str(latin1))
    assert result.err.startswith(f"{latin1}:2:6: error[E002]: not UTF-8 text (invalid byte 0xe9)")


def test_misspelled_rule_in_a_disable_comment_is_reported(cli, tmp_path: Path) -> None:
    net = tmp_path / "net.m"
    net.write_text("Network N { Layer L { Type: CONV Dimensions { K: 4, C: 4, R: 1, S: 1, Y: 4, X: 4 }\n"
                   "  Dataflow { SpatialMap(1,1) K;\n"
                   "    // maestroc: disable=implicit-unrol, L201\n"
                   "    TemporalMap(1,1) C; } } }\n")
    result = cli("lint", str(net))
    assert f"{net}:3:26: warning[W202]: `implicit-unrol` is not a lint rule" in result.out
    assert "did you mean `implicit-unroll`?" in result.out and "`L201` is not" not in result.out
    assert result.code == 0
    assert cli("lint", str(net), "--werror").code == 1


def test_bare_maestroc_prints_the_help(cli) -> None:
    result = cli()
    assert result.code == 2 and "usage: maestroc" in result.out and "compile" in result.out
