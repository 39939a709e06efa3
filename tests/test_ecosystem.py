"""Samples, apply-dataflow, compare and the Python API."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import ROOT

SAMPLES = ROOT / "samples"
MODELS = sorted((SAMPLES / "networks").glob("*_model.m"))
CONV_TEMPLATES = ["cp_nlr", "kcp_ws", "ckp_ws", "xp_ws", "yxp_os", "ykp_os", "yrp_rs", "maeri"]
FIXED = ["--dataflow-for", "DSCONV=samples/dataflows/dpt.m", "--dataflow-for", "GEMM=samples/dataflows/gemm_nk.m"]


@pytest.fixture(autouse=True)
def in_root(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)


def apply(cli, model: str, template: str, out: Path):
    return cli("apply-dataflow", model, "--dataflow", f"samples/dataflows/{template}.m", *FIXED, "-o", str(out))


@pytest.mark.parametrize("model", [m.relative_to(ROOT).as_posix() for m in MODELS])
def test_every_model_compiles_and_lints_with_kcp_ws(model: str, cli, tmp_path: Path) -> None:
    net = tmp_path / "net.m"
    assert apply(cli, model, "kcp_ws", net).code == 0
    lint = cli("lint", str(net), "--hw", "samples/hw/default_256pe.m", "--format", "json")
    assert lint.code == 0 and json.loads(lint.out)["counts"]["error"] == 0
    result = cli("compile", str(net), "--hw", "samples/hw/default_256pe.m", "--emit", "json")
    assert result.code == 0
    document = json.loads(result.out)
    assert len(document["layers"]) == model_layer_count(model)


def model_layer_count(model: str) -> int:
    return (ROOT / model).read_text().count("  Layer ")


@pytest.mark.parametrize("template", CONV_TEMPLATES)
def test_every_template_lints_without_error_on_vgg16(template: str, cli, tmp_path: Path) -> None:
    net = tmp_path / "net.m"
    assert apply(cli, "samples/networks/vgg16_model.m", template, net).code == 0
    lint = cli("lint", str(net), "--hw", "samples/hw/default_256pe.m", "--format", "json")
    assert json.loads(lint.out)["counts"]["error"] == 0, lint.out[:500]


def test_samples_with_dataflows_lint_without_error(cli) -> None:
    for net in ("samples/networks/tiny_cnn.m", "samples/networks/vgg16_conv2_tiled.m"):
        for hw in sorted((SAMPLES / "hw").glob("*.m")):
            result = cli("lint", net, "--hw", str(hw), "--format", "json")
            assert json.loads(result.out)["counts"]["error"] == 0, (net, hw)


def test_apply_dataflow_keeps_comments_and_names(cli, tmp_path: Path) -> None:
    model = tmp_path / "model.m"
    model.write_text("// my network\nNetwork N {\n  // the stem\n  Layer stem-1 { Type: CONV Dimensions { K: 8, C: 3, "
                     "R: 3, S: 3, Y: 10, X: 10 } }\n  Layer head {\n    Type: GEMM\n    Dimensions { M: 1, K: 8, N: 4 }"
                     "\n  }\n}\n")
    out = tmp_path / "net.m"
    assert apply(cli, str(model), "kcp_ws", out).code == 0
    text = out.read_text()
    assert text.startswith("// my network\nNetwork N {\n  // the stem\n  Layer stem-1 {")
    assert text.count("Dataflow {") == 2 and "SpatialMap(1,1) N;" in text
    parsed = cli("parse", "--emit", "json", str(out))
    layers = json.loads(parsed.out)["files"][0]["networks"][0]["layers"]
    assert [layer["name"] for layer in layers] == ["stem-1", "head"]


def test_apply_dataflow_refuses_unfit_template_and_overwrite(cli, tmp_path: Path) -> None:
    out = tmp_path / "net.m"
    result = cli("apply-dataflow", "samples/networks/lenet_model.m", "--dataflow", "samples/dataflows/kcp_ws.m",
                 "-o", str(out))
    assert result.code == 2 and "--dataflow-for GEMM" in result.err
    out.write_text("keep me\n")
    again = apply(cli, "samples/networks/lenet_model.m", "kcp_ws", out)
    assert again.code == 2 and out.read_text() == "keep me\n"


def test_compare_dataflows_on_one_model(cli, tmp_path: Path) -> None:
    out = tmp_path / "cmp.csv"
    result = cli("compare", "samples/networks/alexnet_model.m", "--dataflow", "samples/dataflows/kcp_ws.m",
                 "--dataflow", "samples/dataflows/ykp_os.m", *FIXED, "--hw", "samples/hw/default_256pe.m",
                 "--emit", "csv", "-o", str(out))
    assert result.code == 0, result.err
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [r["layer"] for r in rows][-1] == "total" and len(rows) == 9
    total = rows[-1]
    fastest = min(("kcp_ws", "ykp_os"), key=lambda n: int(total[f"{n} runtime"]))
    assert total["fastest"] == fastest


def test_python_api(tmp_path: Path) -> None:
    import maestroc

    result = maestroc.compile("samples/networks/tiny_cnn.m", hw="samples/hw/default_256pe.m")
    records = result.to_records()
    assert [r["layer"] for r in records] == [m.name for m in result.layers]
    assert result.totals["runtime"] == sum(r["runtime"] for r in records)
    from_text = maestroc.compile((SAMPLES / "networks/tiny_cnn.m").read_text(),
                                 hw={"num_pes": 256, "noc_bw_cstr": 256, "offchip_bw_cstr": 64, "l1_size_cstr": 1024,
                                     "l2_size_cstr": 262144})
    assert from_text.totals["runtime"] == result.totals["runtime"]
    pandas = pytest.importorskip("pandas", reason="to_pandas needs pandas (in the test extra)")
    frame = result.to_pandas()
    assert isinstance(frame, pandas.DataFrame) and list(frame["layer"]) == [r["layer"] for r in records]
    assert int(frame["runtime"].sum()) == result.totals["runtime"]
    exploration = maestroc.dse("samples/networks/tiny_cnn.m", set=["num_pes=64,256", "noc_bw=16,64"])
    assert exploration.explored == 4 and exploration.front
    with pytest.raises(Exception) as error:
        maestroc.compile("Network N { Layer L { Type: POOL } }", hw={"num_pes": 4})
    assert "E201" in str([d.code for d in error.value.diagnostics])


def test_emit_plot(cli, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="--emit plot needs the optional extra 'plot' (matplotlib)")
    out = tmp_path / "layers.png"
    result = cli("compile", "samples/networks/tiny_cnn.m", "--hw", "samples/hw/default_256pe.m", "--emit", "plot",
                 "-o", str(out))
    assert result.code == 0, result.err
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert cli("compile", "samples/networks/tiny_cnn.m", "--hw", "samples/hw/default_256pe.m",
               "--emit", "plot").code == 2  # a picture needs a file
