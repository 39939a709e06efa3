"""The language server's incremental front end gives exactly what a full parse gives: tree, spans, diagnostics."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import IN_CI, ROOT, SHARED
from maestroc import ast
from maestroc.diagnostics import Diagnostics
from maestroc.lsp.analysis import analyse
from maestroc.frontend import load_hardware
from maestroc.lsp.incremental import reparse
from maestroc.lsp.lowering import LayerCache, run_whole
from maestroc.parser import parse_text

SEEDS = [(ROOT / "samples/networks" / name).read_text() for name in ("tiny_cnn.m", "vgg16_conv2_tiled.m")]
PIECES = ["", " ", "\n", "\n\n", "K", "x", "7", "}", "{", ";", "// note", "// note\n", "TemporalMap(1,1) C;\n",
          "Layer extra {\n Type: GEMM\n Dimensions { M: 2, N: 2, K: 2 }\n}\n", "Dataflow {", "Type: CONV",
          "SpatialMap(1,1) K;", "Layer", "Network", "Constant T 2;"]


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, str]:
    """Edits as typed: a number changed, a line broken or joined, a statement added, or any text anywhere."""
    old = draw(st.sampled_from(SEEDS))
    new = old
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["number", "number", "line", "line", "statement", "anything"]))
        anchors = {"number": r"\b[0-9]+\b", "line": r"[ \t]+|\n", "statement": r"(?<=;\n)|(?<=\{\n)"}
        if kind in anchors:
            spots = [m.span() for m in re.finditer(anchors[kind], new)]
            start, stop = draw(st.sampled_from(spots))
            piece = {"number": str(draw(st.integers(1, 99))), "line": draw(st.sampled_from([" ", "\n", "\n\n"])),
                     "statement": draw(st.sampled_from(PIECES[-8:]))}[kind]
        else:
            start = draw(st.integers(0, len(new)))
            stop = min(len(new), start + draw(st.integers(0, 30)))
            piece = draw(st.sampled_from(PIECES))
        new = new[:start] + piece + new[stop:]
    return old, new


def full(text: str) -> tuple[object, list[object]]:
    diagnostics = Diagnostics()
    tree = parse_text(text, diagnostics, "doc.m")
    return ast.to_json(tree), [d.to_json() for d in diagnostics]


@settings(max_examples=400 if IN_CI else 150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edit=edits())
def test_reparse_equals_a_full_parse(edit: tuple[str, str]) -> None:
    old, new = edit
    previous = parse_text(old, Diagnostics(), "doc.m")
    assert isinstance(previous, ast.MappingFile)
    tree = reparse(previous, old, new, "doc.m")
    if tree is not None:
        expected_tree, expected_diagnostics = full(new)
        assert expected_diagnostics == [] and ast.to_json(tree) == expected_tree


@settings(max_examples=100 if IN_CI else 40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edit=edits())
def test_analysis_after_an_edit_equals_a_fresh_one(edit: tuple[str, str]) -> None:
    old, new = edit
    incremental = analyse(new, "doc.m", previous=analyse(old, "doc.m"))
    fresh = analyse(new, "doc.m")
    assert [d.to_json() for d in incremental.diagnostics] == [d.to_json() for d in fresh.diagnostics]
    assert ast.to_json(incremental.tree) == ast.to_json(fresh.tree)


def test_an_edit_inside_a_layer_is_reparsed_alone() -> None:
    old = SEEDS[0]
    new = old.replace("TemporalMap(KTile,KTile) C;", "TemporalMap(8,8) C;\n      TemporalMap(1,1) N;", 1)
    previous = parse_text(old, Diagnostics(), "doc.m")
    tree = reparse(previous, old, new, "doc.m")  # type: ignore[arg-type]
    assert tree is not None and ast.to_json(tree) == full(new)[0]
    # an edit outside the layers (a Constant) needs the whole text
    assert reparse(previous, old, old.replace("KTile 16", "KTile 8"), "doc.m") is None  # type: ignore[arg-type]


LOWERED = [ROOT / "samples/networks/tiny_cnn.m"] + [
    SHARED / "inputs/mapping" / name for name in ("vgg16_rs.m", "UNet_RS.m", "MobileNetV2_yxp_os.m", "ResNeXt50_kcp_ws.m",
                                                  "GEMM_Example.m", "gnmt_nmk.m", "Resnet50_rs.m")]


def test_layer_by_layer_lowering_equals_the_whole_pipeline(shared: Path) -> None:
    hardware = load_hardware(str(shared / "inputs/hw/hw_default.m"), Diagnostics())
    for path in LOWERED:
        text = path.read_text(encoding="utf-8")
        tree = parse_text(text, Diagnostics(), str(path))
        assert isinstance(tree, ast.MappingFile)
        for spec in (None, hardware):
            cache = LayerCache()
            expected_ir, expected = run_whole(tree, spec)
            for _ in range(2):  # lowered, then from the cache
                ir, findings = cache.lower(tree, text, spec)
                assert ast.to_json(ir) == ast.to_json(expected_ir), path.name
                assert sorted(map(repr, findings)) == sorted(map(repr, expected)), path.name


def test_a_network_without_layers_is_e007_before_and_after_an_edit() -> None:
    """E007 comes and goes with the network's last layer: the analysis after the edit equals a fresh one."""
    empty = "Network N {\n}\n"
    layer = ("  Layer G {\n    Type: GEMM\n    Dimensions { M: 2, N: 2, K: 2 }\n    Dataflow {\n"
             "      TemporalMap(1,1) M;\n      TemporalMap(1,1) N;\n      TemporalMap(1,1) K;\n    }\n  }\n")
    written = empty.replace("{\n}", "{\n" + layer + "}")
    for old, new, codes in ((empty, written, []), (written, empty, ["E007"])):
        incremental = analyse(new, "doc.m", previous=analyse(old, "doc.m"))
        fresh = analyse(new, "doc.m")
        assert [d.to_json() for d in incremental.diagnostics] == [d.to_json() for d in fresh.diagnostics]
        assert [d.code for d in fresh.diagnostics if d.code == "E007"] == codes
