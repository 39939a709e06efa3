"""Templates into model files (apply-dataflow, --dataflow on compile/lint/compare) and compare's rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import maestroc

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
EDGE = str(SAMPLES / "hw/edge_64pe.m")
MOBILENET = str(SAMPLES / "networks/mobilenet_v2_model.m")
FOR_TYPES = ["--dataflow-for", f"DSCONV={SAMPLES / 'dataflows/dpt.m'}",
             "--dataflow-for", f"GEMM={SAMPLES / 'dataflows/gemm_nk.m'}"]
MODEL = """// a model
Network N {
  Layer L1 {
    Type: CONV
    Dimensions { K: 8, C: 8, R: 1, S: 1, Y: 4, X: 4 }
  }
  Layer L2 { Type: CONV Dimensions { K: 8, C: 8, R: 1, S: 1, Y: 4, X: 4 } }
}
"""


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "model.m"
    path.write_text(MODEL)
    return path


def apply(cli, model: Path, template_text: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    template = tmp_path / "t.m"
    template.write_text(template_text)
    return cli("apply-dataflow", str(model), "--dataflow", str(template)), template


@pytest.mark.parametrize("template_text", [
    "Dataflow { SpatialMap(1,1) K; TemporalMap(4,4) C; }\n",
    "Dataflow {\n  SpatialMap(1,1) K;\n  TemporalMap(4,4) C; }\n",
    "SpatialMap(1,1) K; TemporalMap(4,4) C;\n",
])
def test_apply_dataflow_one_line_and_closing_brace(cli, model: Path, tmp_path: Path, template_text: str) -> None:
    result, _ = apply(cli, model, template_text, tmp_path)
    assert result.code == 0, result.err
    out = tmp_path / "out.m"
    out.write_text(result.out)
    assert result.out.count("Dataflow {") == 2 and "// a model" in result.out
    compiled = cli("compile", str(out), "--hw", EDGE, "--emit", "json")
    assert compiled.code == 0, compiled.err
    assert len(json.loads(compiled.out)["layers"]) == 2


def test_apply_dataflow_keeps_template_constants(cli, model: Path, tmp_path: Path) -> None:
    result, _ = apply(cli, model, "Constant T 4;\nDataflow {\n  SpatialMap(1,1) K; // keep\n  TemporalMap(T,T) C;\n}\n",
                      tmp_path)
    assert result.code == 0, result.err
    assert "Constant T 4;" in result.out and "// keep" in result.out
    out = tmp_path / "out.m"
    out.write_text(result.out)
    assert cli("compile", str(out), "--hw", EDGE).code == 0


def test_template_errors_point_at_the_template(cli, model: Path, tmp_path: Path) -> None:
    result, template = apply(cli, model, "Dataflow {\n  SpatialMap(1,1) K;\n  TemporalMap(Sz(G),1) C;\n}\n",
                             tmp_path)
    assert result.code == 2 and result.out == ""
    assert f"{template}:3:18: error[E219]: this template uses G, which the CONV layer `L1` does not have" in result.err
    assert "layer `L1` is here" in result.err and "apply-dataflow output" not in result.err
    # An error found by the passes (an R map of 2 on a layer with R=1) is shown in the template too.
    template.write_text("Dataflow {\n  SpatialMap(1,1) K;\n  TemporalMap(2,2) R;\n}\n")
    compiled = cli("compile", str(model), "--hw", EDGE, "--dataflow", str(template))
    assert compiled.code == 2 and f"{template}:3:3: error[L104]" in compiled.err, compiled.err


def test_compile_lint_compare_take_a_model_with_templates(cli, tmp_path: Path) -> None:
    args = [MOBILENET, "--hw", EDGE, "--dataflow", str(SAMPLES / "dataflows/kcp_ws.m"), *FOR_TYPES]
    compiled = cli("compile", *args, "--emit", "json")
    assert compiled.code == 0, compiled.err
    assert len(json.loads(compiled.out)["layers"]) == 53
    linted = cli("lint", *args)
    assert linted.code == 0, linted.out + linted.err
    bare = cli("lint", MOBILENET)
    assert bare.code == 1 and "--dataflow TEMPLATE.m" in bare.out  # L108's help names the options
    via_api = maestroc.compile(MOBILENET, hw=EDGE, dataflow=SAMPLES / "dataflows/kcp_ws.m",
                               dataflow_for={"DSCONV": SAMPLES / "dataflows/dpt.m",
                                             "GEMM": SAMPLES / "dataflows/gemm_nk.m"})
    assert via_api.totals["runtime"] == sum(layer["runtime"] for layer in json.loads(compiled.out)["layers"])


def test_dataflow_for_by_name_and_glob(tmp_path: Path) -> None:
    kcp, yxp = SAMPLES / "dataflows/kcp_ws.m", SAMPLES / "dataflows/yxp_os.m"
    rules = {"DSCONV": SAMPLES / "dataflows/dpt.m", "GEMM": SAMPLES / "dataflows/gemm_nk.m"}
    by_type = maestroc.compile(MOBILENET, hw=EDGE, dataflow=kcp, dataflow_for=rules)
    by_glob = maestroc.compile(MOBILENET, hw=EDGE, dataflow=kcp, dataflow_for={**rules, "bneck7_*": yxp})
    by_name = maestroc.compile(MOBILENET, hw=EDGE, dataflow=kcp,
                               dataflow_for={**rules, "bneck7_*": yxp, "bneck7_1_expand": kcp})
    changed = [a.name for a, b in zip(by_type.layers, by_glob.layers) if a.runtime != b.runtime]
    assert changed and all(name.startswith("bneck7_") for name in changed)
    restored = {m.name: m.runtime for m in by_name.layers}
    assert restored["bneck7_1_expand"] == {m.name: m.runtime for m in by_type.layers}["bneck7_1_expand"]
    with pytest.raises(maestroc.InputError) as error:
        maestroc.compile(MOBILENET, hw=EDGE, dataflow=kcp, dataflow_for={**rules, "no_such_layer": yxp})
    assert "`no_such_layer` is no layer name" in str(error.value)


def test_compare_emit_best_writes_each_layers_fastest(cli, tmp_path: Path) -> None:
    templates = ["--dataflow", str(SAMPLES / "dataflows/kcp_ws.m"), "--dataflow", str(SAMPLES / "dataflows/yxp_os.m")]
    table = cli("compare", MOBILENET, "--hw", EDGE, *templates, *FOR_TYPES, "--emit", "csv")
    assert table.code == 0, table.err
    rows = list(csv.DictReader(table.out.splitlines()))
    best = tmp_path / "best.m"
    result = cli("compare", MOBILENET, "--hw", EDGE, *templates, *FOR_TYPES, "--emit", "best", "-o", str(best))
    assert result.code == 0, result.err
    compiled = maestroc.compile(best, hw=EDGE)
    expected = {r["layer"]: min(int(r["kcp_ws runtime"]), int(r["yxp_os runtime"])) for r in rows[:-1]}
    assert {m.name: m.runtime for m in compiled.layers} == expected
    assert cli("compare", str(best), str(best), "--hw", EDGE, "--emit", "best").code == 2  # needs templates


def _network(tmp_path: Path, name: str, layers: list[tuple[str, int]]) -> str:
    body = "".join(f"  Layer {layer} {{ Type: CONV Dimensions {{ K: 4, C: {k}, R: 1, S: 1, Y: 4, X: 4 }}\n"
                   "    Dataflow { SpatialMap(1,1) K; TemporalMap(1,1) C; } }\n" for layer, k in layers)
    path = tmp_path / f"{name}.m"
    path.write_text(f"Network {name} {{\n{body}}}\n")
    return str(path)


def test_compare_matches_rows_by_name_and_position(cli, tmp_path: Path) -> None:
    first = _network(tmp_path, "first", [("a", 4), ("a", 8), ("b", 4)])
    second = _network(tmp_path, "second", [("a", 4), ("a", 8), ("b", 4), ("extra", 16)])
    result = cli("compare", first, second, "--hw", EDGE, "--emit", "csv")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(result.out.splitlines()))
    assert [r["layer"] for r in rows] == ["a", "a", "b", "extra", "total"]
    assert rows[0]["first runtime"] != rows[1]["first runtime"]  # the second `a` is not the first one again
    assert rows[3]["first runtime"] == "-" and rows[3]["fastest"] == "second"
    total = rows[-1]
    for variant in ("first", "second"):
        shown = sum(int(r[f"{variant} runtime"]) for r in rows[:-1] if r[f"{variant} runtime"] != "-")
        assert int(total[f"{variant} runtime"]) == shown
    assert total["fastest"] == "second"  # `first` lacks a layer: its smaller total is not comparable
    assert rows[0]["fastest"] == "first = second"  # equal runtimes name both
    table = cli("compare", first, second, "--hw", EDGE)
    assert "the total's fastest is chosen among the variants that have every layer (first lacks 1 layer)" in \
        " ".join(table.out.split())


def test_compare_network_without_layers_is_never_fastest(tmp_path: Path) -> None:
    from maestroc.comparison import compare_rows

    one = maestroc.compile(_network(tmp_path, "one", [("a", 4)]), hw=EDGE).layers
    rows = compare_rows([one, []])
    assert rows[-1].layer == "total" and rows[-1].fastest == (0,)
    assert compare_rows([[], []])[-1].fastest == ()


def test_template_choice_order() -> None:
    from maestroc.diagnostics import Diagnostics
    from maestroc.frontend import load_file
    from maestroc.templates import TemplateChoice, load_template

    diagnostics = Diagnostics()
    default, by_type, by_glob, by_name = (load_template(str(SAMPLES / f"dataflows/{n}.m"), diagnostics)
                                          for n in ("kcp_ws", "dpt", "yxp_os", "ykp_os"))
    tree = load_file(MOBILENET, diagnostics)
    layers = {layer.name: layer for layer in tree.networks[0].layers}
    choice = TemplateChoice(default, (("DSCONV", by_type), ("bneck7_*", by_glob), ("bneck7_1_dw", by_name)))
    assert choice.for_layer(layers["bneck7_1_dw"]) is by_name  # a name beats a glob and a type
    assert choice.for_layer(layers["bneck7_1_expand"]) is by_glob  # a glob beats the default
    assert choice.for_layer(layers["bneck6_1_dw"]) is by_type  # a glob beats a type, a type the default
    assert choice.for_layer(layers["bneck6_1_expand"]) is default
    assert not diagnostics.has_errors


def test_model_warnings_are_reported_once_with_templates(cli, tmp_path: Path) -> None:
    model = tmp_path / "model.m"
    model.write_text("Network N { Layer L { Type: CONV Dimensions { N: 1, N: 1, K: 4, C: 4, R: 1, S: 1, Y: 4, X: 4 } } }\n")
    template = tmp_path / "t.m"
    template.write_text("Dataflow { SpatialMap(1,1) K; TemporalMap(1,1) C; }\n")
    result = cli("compile", str(model), "--dataflow", str(template), "--hw", EDGE)
    assert result.code == 0 and result.err.count("warning[W201]") == 1, result.err


def test_template_constants_conflict_and_unknown_pattern(cli, model: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.m", tmp_path / "b.m"
    first.write_text("Constant T 2;\nDataflow { SpatialMap(1,1) K; TemporalMap(T,T) C; }\n")
    second.write_text("Constant T 4;\nDataflow { SpatialMap(1,1) K; TemporalMap(T,T) C; }\n")
    result = cli("apply-dataflow", str(model), "--dataflow", str(first), "--dataflow-for", f"L2={second}")
    assert result.code == 2 and f"{second}:1:1: error[E219]: constant `T` has another value" in result.err
    unknown = cli("lint", str(model), "--dataflow", str(first), "--dataflow-for", f"L3={second}")
    assert unknown.code == 2 and "`L3` is no layer name" in unknown.err


def test_compare_names_the_variant_of_each_hardware_warning(cli) -> None:
    """Each variant warns about its own layers; the warning says which variant, and its help points at
    compile (compare has neither `!` marks nor --strict)."""
    dataflows = [SAMPLES / "dataflows/kcp_ws.m", SAMPLES / "dataflows/ykp_os.m"]
    result = cli("compare", MOBILENET, "--hw", str(SAMPLES / "hw/default_256pe.m"),
                 *(f"--dataflow={path}" for path in dataflows), *FOR_TYPES)
    assert result.code == 0, result
    warnings = result.err.split("warning[")[1:]
    assert len(warnings) == 4  # C403 and C404 for each variant
    for warning in warnings:
        variant = next(line for line in warning.splitlines() if line.startswith("note: in variant "))
        assert variant.removeprefix("note: in variant ").strip("`") in ("kcp_ws", "ykp_os")
        assert "marks such layers with `!`" in warning and "in the report" not in warning
    assert sum("note: in variant `kcp_ws`" in w for w in warnings) == 2


def test_template_constant_overridden_by_the_model_is_flagged(cli, tmp_path: Path) -> None:
    """The model's value wins, but never silently: W203 at the template's constant names both values."""
    model = tmp_path / "model.m"
    model.write_text("Constant T 16;\n" + MODEL)
    template = tmp_path / "t.m"
    template.write_text("Constant T 8;\nDataflow { SpatialMap(1,1) K; TemporalMap(T,T) C; }\n")
    result = cli("apply-dataflow", str(model), "--dataflow", str(template))
    assert result.code == 0 and "Constant T 16;" in result.out and "Constant T 8;" not in result.out
    assert f"{template}:1:1: warning[W203]: constant `T` is 8 here but 16 in the model file" in result.err
    assert result.err.count("warning[W203]") == 1  # once, though the model is merged as a tree and as text
    template.write_text("Constant T 16;\nDataflow { SpatialMap(1,1) K; TemporalMap(T,T) C; }\n")
    same = cli("apply-dataflow", str(model), "--dataflow", str(template))
    assert same.code == 0 and "W203" not in same.err
