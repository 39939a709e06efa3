"""Broken inputs get located diagnostics with stable codes, exit status 2, no traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import shared_params

HEADER = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning)\[(?P<code>\w+)\]",
                    re.MULTILINE)
ONE_LINE = re.compile(r"^error\[(?P<code>E0\d\d)\]: ", re.MULTILINE)


def located(err: str, severity: str = "error") -> list[tuple[str, int, int]]:
    return [(m["code"], int(m["line"]), int(m["col"])) for m in HEADER.finditer(err) if m["sev"] == severity]


# MAESTRO's own broken inputs: what the front end says (maestroc parse). Inputs
# whose text is well-formed (a dataflow problem, a bad tile size) parse clean
# here and are judged by `maestroc lint` (tests/test_lint.py).
SHARED_BAD = {
    "bad1a_syntax_paren": [("E103", 8, 17)],
    "bad1b_syntax_missing_brace": [("E103", 6, 9)],
    "bad1c_syntax_typo_keyword": [("E104", 8, 1)],
    "bad1d_truncated": [("E105", 5, 18)],
    "bad2a_unknown_dim_in_Dimensions": [("E202", 5, 14)],
    "bad2b_unknown_dim_in_dataflow": [("E202", 8, 19)],
    "bad2c_dim_missing_from_dataflow": [],
    "bad3a_tile_R5_gt_R3": [],
    "bad3b_tile_K128_gt_K64": [],
    "bad3c_spatial_X300_gt_X224": [],
    "bad3d_tile_zero": [("E208", 8, 14), ("E208", 8, 16)],
    "bad4a_no_dataflow_block": [],
    "bad4b_model_file_no_dataflow": [],
    "bad5a_unknown_layer_type": [("E201", 4, 7)],
    "bad5b_zero_dim": [("E208", 5, 16)],
    "bad_hw_unknown_key": [("E301", 2, 1)],
    "bad_hw_zero_nocbw": [("E303", 4, 14)],
    "bad_hw_zero_offchip": [("E303", 5, 18)],
    "bad_hw_zero_pes": [("E303", 1, 10)],
    "ctrl_tile_K64_eq_K": [],
    "good_base": [],
    "hw_default": [],
}


@pytest.mark.parametrize("path", shared_params("bad_inputs/inputs/*.m"), ids=lambda p: p.stem)
def test_shared_bad_input(path: Path, cli) -> None:
    result = cli("parse", "--emit", "none", str(path))
    assert "Traceback" not in result.err
    expected = SHARED_BAD[path.stem]
    assert located(result.err) == expected, result.err
    assert result.code == (2 if expected else 0)


def test_every_shared_bad_input_has_an_expectation(shared: Path) -> None:
    names = {p.stem for p in shared.glob("bad_inputs/inputs/*.m")}
    assert names <= set(SHARED_BAD)


LAYER = """Network N {{
Layer L {{
Type: CONV
Dimensions {{ K: 4, C: 3, R: 3, S: 3, Y: 8, X: 8 }}
Dataflow {{
{body}
}}
}}
}}
"""

GOOD_BODY = "SpatialMap(1,1) K;\nTemporalMap(1,1) C;\nTemporalMap(Sz(R),1) Y;\nTemporalMap(Sz(S),1) X;"

OWN_BAD: dict[str, tuple[str, list[tuple[str, int, int]]]] = {
    "extra_closing_brace": (LAYER.format(body=GOOD_BODY) + "}\n", [("E102", 13, 1)]),
    "missing_closing_brace": (LAYER.format(body=GOOD_BODY).rstrip().rstrip("}"), [("E105", 11, 2)]),
    "misspelled_block_keyword": ("Network N {\nLayer L {\nType: GEMM\nDimensoins { M: 4, N: 4, K: 4 }\n}\n}\n",
                                 [("E104", 4, 1)]),
    "misspelled_directive": (LAYER.format(body="SpatailMap(1,1) K;"), [("E104", 6, 1)]),
    "missing_semicolon": (LAYER.format(body="SpatialMap(1,1) K\nTemporalMap(1,1) C;"), [("E103", 6, 18)]),
    "missing_close_paren_in_cluster": (LAYER.format(body="SpatialMap(1,1) K;\nCluster(2, P;\nSpatialMap(1,1) C;"),
                                       [("E103", 7, 13)]),
    "zero_size": (LAYER.format(body="SpatialMap(0,1) K;"), [("E208", 6, 12)]),
    "negative_offset": (LAYER.format(body="SpatialMap(1,-2) K;"), [("E208", 6, 14)]),
    "fractional_size": (LAYER.format(body="TemporalMap(1.5,1) C;"), [("E208", 6, 13)]),
    "duplicate_dimension": ("Network N {\nLayer L {\nType: CONV\nDimensions { K: 4, C: 3, K: 8, R: 1, S: 1, "
                            "Y: 4, X: 4 }\n}\n}\n", [("E203", 4, 26)]),
    "input_and_output_dim": ("Network N {\nLayer L {\nType: CONV\nDimensions { K: 4, C: 3, R: 3, S: 3, Y: 8, "
                             "Y': 6, X: 8 }\n}\n}\n", [("E204", 4, 44)]),
    "stride_after_dimensions": ("Network N {\nLayer L {\nType: CONV\nDimensions { K: 4, C: 3, R: 3, S: 3, Y: 8, "
                                "X: 8 }\nStride { X: 2, Y: 2 }\n}\n}\n", [("E205", 5, 1)]),
    "undefined_constant": (LAYER.format(body="TemporalMap(Tile,Tile) C;"), [("E206", 6, 13), ("E206", 6, 18)]),
    "undefined_constant_in_dimensions": ("Network N {\nLayer L {\nType: GEMM\nDimensions { M: SzM, N: 2, K: 2 }"
                                         "\n}\n}\n", [("E206", 4, 17)]),
    "size_of_undeclared_dim": (LAYER.format(body="TemporalMap(Sz(G),1) C;"), [("E207", 6, 16)]),
    "unknown_layer_type": ("Network N {\nLayer P {\nType: POOL\nDimensions { K: 4 }\n}\n}\n", [("E201", 3, 7)]),
    "unknown_cluster_type": (LAYER.format(body="SpatialMap(1,1) K;\nCluster(2, Q);"), [("E214", 7, 12)]),
    "constant_defined_twice": ("Constant T 4;\nConstant T 8;\n" + LAYER.format(body=GOOD_BODY), [("E209", 2, 10)]),
    "layer_without_type": ("Network N {\nLayer L {\nDimensions { M: 2, N: 2, K: 2 }\n}\n}\n", [("E211", 2, 7)]),
    "missing_required_dim": ("Network N {\nLayer L {\nType: GEMM\nDimensions { M: 2, N: 2 }\n}\n}\n",
                             [("E217", 4, 1)]),
    "stray_character": (LAYER.format(body="SpatialMap(1,1) K; @\nTemporalMap(1,1) C;"), [("E101", 6, 20)]),
    "dataflow_twice": (LAYER.format(body=GOOD_BODY).replace("}\n}\n}\n", "}\nDataflow { SpatialMap(1,1) K; }\n}\n}\n"),
                       [("E210", 11, 1)]),
    "two_independent_errors": (LAYER.format(body="TemproalMap(1,1) C;\nSpatialMap(1,1) K\nTemporalMap(0,1) Y;"),
                               [("E104", 6, 1), ("E103", 7, 18), ("E208", 8, 13)]),
    "template_mixed_with_network": ("SpatialMap(1,1) K;\n" + LAYER.format(body=GOOD_BODY), [("E215", 1, 1)]),
    "hw_misspelled_key": ("num_pes: 64\nnoc_bw: 32\n", [("E301", 2, 1)]),
    "hw_key_twice": ("num_pes: 64\nnum_pes: 32\n", [("E302", 2, 1)]),
    "hw_fraction_for_count": ("num_pes: 6.5\n", [("E303", 1, 10)]),
    "hw_missing_value": ("num_pes: 64\nnoc_bw_cstr:\n", [("E105", 2, 13)]),
}


@pytest.mark.parametrize("name", sorted(OWN_BAD))
def test_own_bad_input(name: str, tmp_path: Path, cli) -> None:
    text, expected = OWN_BAD[name]
    path = tmp_path / f"{name}.m"
    path.write_text(text)
    result = cli("parse", "--emit", "none", str(path))
    assert "Traceback" not in result.err
    assert located(result.err) == expected, result.err
    assert result.code == 2


def test_did_you_mean_for_misspelled_keyword(tmp_path: Path, cli) -> None:
    path = tmp_path / "typo.m"
    path.write_text(OWN_BAD["misspelled_directive"][0])
    result = cli("parse", str(path))
    assert "help: did you mean `SpatialMap`?" in result.err


def test_caret_under_the_span(tmp_path: Path, cli) -> None:
    path = tmp_path / "caret.m"
    path.write_text(OWN_BAD["size_of_undeclared_dim"][0])
    lines = cli("parse", str(path)).err.splitlines()
    assert lines[1] == "    6 | TemporalMap(Sz(G),1) C;"
    assert lines[2] == "      |                ^"


@pytest.mark.parametrize("content, code", [(b"", "E003"), (b"// only a comment\n", "E003"),
                                           (b"\xff\xfe\x00garbage\x80", "E002"), (b"Net\x00work", "E002")])
def test_unreadable_content_is_one_line(content: bytes, code: str, tmp_path: Path, cli) -> None:
    path = tmp_path / "f.m"
    path.write_bytes(content)
    result = cli("parse", str(path))
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert f"error[{code}]" in result.err


def test_missing_file_and_directory(tmp_path: Path, cli) -> None:
    for target, words in ((tmp_path / "nope.m", "no such file"), (tmp_path, "is a directory")):
        result = cli("parse", str(target))
        assert result.code == 2
        assert words in result.err and "error[E001]" in result.err
        assert len(result.err.strip().splitlines()) == 1
