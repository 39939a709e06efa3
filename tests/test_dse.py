"""Design-space exploration: exact per-design metrics, MAESTRO's sweep, true Pareto fronts,
determinism across workers, and the command line."""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from maestroc.api import compile_files
from maestroc.diagnostics import Diagnostics
from maestroc.dse_run import explore
from maestroc.exploration import all_designs
from maestroc.frontend import load_mapping
from maestroc.hardware import HardwareSpec
from maestroc.pareto import pareto_mask
from maestroc.space import DesignSpace, SpaceError, load_space, parse_values

TINY = ROOT / "samples/networks/tiny_cnn.m"


def tiny_tree():
    return load_mapping(str(TINY), Diagnostics())


def sample_space() -> DesignSpace:
    return load_space(None, ["num_pes=64,128,256,512", "noc_bw=8,32,64,128", "offchip_bw=16,256", "noc_latency=0,2",
                             "num_simd_lanes=1,2", "l1_size=64,512", "l2_size=2048,65536", "KTile=8,16"],
                      ["runtime", "energy", "area"], HardwareSpec())


def test_spec_forms() -> None:
    assert tuple(parse_values("x", "64:256:64")) == (64, 128, 192, 256)
    assert parse_values("x", "pow2:16:100") == (16, 32, 64)
    assert parse_values("x", "32,16,16") == (16, 32)
    assert parse_values("x", [8, "16:32:16"]) == (8, 16, 32)
    with pytest.raises(SpaceError):
        parse_values("x", "a:b")
    with pytest.raises(SpaceError):
        parse_values("num_pes", "0,4")


def test_sample_of_designs_equals_compile_one_by_one(tmp_path: Path) -> None:
    """At least 1,000 designs of a sweep, each compiled on its own, give the same metrics."""
    designs = list(all_designs(tiny_tree(), sample_space()))
    assert len(designs) == 1024
    text = TINY.read_text()
    chosen = random.Random(7).sample(designs, k=1000)
    compiled: dict[tuple, tuple] = {}
    for design, metrics in chosen:
        key = tuple(sorted(design.items()))
        if key not in compiled:
            path = tmp_path / f"tile{design['KTile']}.m"
            path.write_text(re.sub(r"Constant KTile \d+;", f"Constant KTile {design['KTile']};", text))
            spec = HardwareSpec(num_pes=design["num_pes"], noc_bw=design["noc_bw"], offchip_bw=design["offchip_bw"],
                                noc_latency=design["noc_latency"], num_simd_lanes=design["num_simd_lanes"],
                                l1_size=design["l1_size"], l2_size=design["l2_size"])
            layers = compile_files(str(path), spec).layers
            compiled[key] = (sum(m.runtime for m in layers), sum(m.macs for m in layers),
                             sum(m.energy for m in layers), max(m.l1_size_req for m in layers),
                             max(m.l2_size_req for m in layers), max(m.peak_bw for m in layers),
                             max(m.offchip_bw for m in layers))
        expected = compiled[key]
        actual = (metrics["runtime"], metrics["macs"], metrics["energy"], metrics["l1_size_req"],
                  metrics["l2_size_req"], metrics["noc_bw_req"], metrics["offchip_bw_req"])
        assert actual[:2] == expected[:2] and actual[3:] == expected[3:]
        assert actual[2] == pytest.approx(expected[2], rel=1e-12)
        assert metrics["valid"] == (expected[3] <= design["l1_size"] and expected[4] <= design["l2_size"])


def test_maestro_sweep_is_reproduced(shared: Path) -> None:
    folder = shared / "reference/sweep_Resnet50_kcp_ws_CONV2_1_2"
    rows = list(csv.reader((folder / "sweep_results.csv").read_text().splitlines()))
    header = [h.strip() for h in rows[0]]
    column = {name: header.index(name) for name in ("hw_num_pes", "hw_noc_bw", "Runtime (Cycles)", "Num MACs",
                                                     "NoC BW Req (Elements/cycle)", "Offchip BW Req (Elements/cycle)",
                                                     "L2 SRAM Size Req (Bytes)", "L1 SRAM Size Req (Bytes)")}
    pes = sorted({int(r[column["hw_num_pes"]]) for r in rows[1:]})
    bws = sorted({int(r[column["hw_noc_bw"]]) for r in rows[1:]})
    space = load_space(None, [f"num_pes={','.join(map(str, pes))}", f"noc_bw={','.join(map(str, bws))}"],
                       None, HardwareSpec(offchip_bw=50, noc_latency=1))
    tree = load_mapping(str(folder / "layer.m"), Diagnostics())
    results = {(d["num_pes"], d["noc_bw"]): m for d, m in all_designs(tree, space)}
    assert len(results) == 128 == len(rows) - 1
    for row in rows[1:]:
        m = results[(int(row[column["hw_num_pes"]]), int(row[column["hw_noc_bw"]]))]
        assert (m["runtime"], m["macs"], m["noc_bw_req"], m["offchip_bw_req"], m["l2_size_req"], m["l1_size_req"]) \
            == tuple(int(row[column[c]]) for c in ("Runtime (Cycles)", "Num MACs", "NoC BW Req (Elements/cycle)",
                                                   "Offchip BW Req (Elements/cycle)", "L2 SRAM Size Req (Bytes)",
                                                   "L1 SRAM Size Req (Bytes)"))


def _minimised(metrics: dict, objectives: tuple[str, ...]) -> tuple[float, ...]:
    return tuple(-metrics[o] if o == "throughput" else metrics[o] for o in objectives)


@pytest.mark.parametrize("objectives", [("runtime", "energy"), ("throughput", "area", "power"), ("edp", "area")])
def test_front_is_a_true_pareto_front(objectives: tuple[str, ...]) -> None:
    space = sample_space()
    space.objectives = objectives
    space.constraints = {"area": 1.3e9}
    tree = tiny_tree()
    designs = [(d, m) for d, m in all_designs(tree, space)]
    valid = [(d, m | {"throughput": m["macs"] / m["runtime"], "edp": m["energy"] * m["runtime"]})
             for d, m in designs if m["valid"]]
    result = explore(str(TINY), tree, space)
    assert result.explored == len(designs) and result.valid == len(valid)
    front = [_minimised(m, objectives) for _, m in result.front]
    everything = np.array([_minimised(m, objectives) for _, m in valid])
    for point in front:  # nothing valid dominates a front design
        assert not np.any(np.all(everything <= point, axis=1) & np.any(everything < point, axis=1))
    for point in everything:  # every valid design is matched or dominated by the front
        assert np.any(np.all(np.array(front) <= point, axis=1))


def test_result_does_not_depend_on_workers() -> None:
    space = sample_space()
    one = explore(str(TINY), tiny_tree(), space, workers=1)
    two = explore(str(TINY), tiny_tree(), space, workers=2, chunk=3)
    assert (one.explored, one.valid) == (two.explored, two.valid)
    assert one.front == two.front


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=40),
       st.sampled_from([2, 3]))
def test_pareto_mask_property(points: list[tuple[int, int, int]], k: int) -> None:
    array = np.array(points, dtype=float)[:, :k]
    mask = pareto_mask(array)
    kept = array[mask]
    for p in kept:
        assert not np.any(np.all(array <= p, axis=1) & np.any(array < p, axis=1))
    for p in array:
        assert np.any(np.all(kept <= p, axis=1))
    assert len({tuple(p) for p in kept}) == len(kept)


def test_cli_writes_front_and_refuses_to_overwrite(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "run"
    args = ["dse", "samples/networks/tiny_cnn.m", "--set", "num_pes=64,256", "--set", "noc_bw=16,64,256",
            "--set", "KTile=8,16", "--objective", "runtime", "--objective", "energy", "-o", str(out)]
    result = cli(*args)
    assert result.code == 0, result.err
    assert "designs explored: 12 of 12" in result.out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["designs_explored"] == 12
    rows = list(csv.DictReader((out / "front.csv").read_text().splitlines()))
    assert len(rows) == summary["designs_on_front"] >= 1
    assert cli(*args).code == 2  # the folder now holds files


def test_cli_early_stop_keeps_the_front(cli, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = cli("dse", "samples/networks/tiny_cnn.m", "--set", "num_pes=64:1024:64", "--max-designs", "1")
    assert result.code == 0
    assert "stopped early" in result.out and "on the front" in result.out


@pytest.mark.parametrize("args, words", [(["--set", "nonsense=4"], "unknown parameter"),
                                         (["--set", "num_pes=a:b"], "cannot read"),
                                         (["--set", "num_pes=64", "--objective", "runtime"], "at least two")])
def test_cli_bad_space(cli, args: list[str], words: str, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = cli("dse", "samples/networks/tiny_cnn.m", *args)
    assert result.code == 2 and words in result.err


def test_plot_of_the_front(cli, tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("matplotlib", reason="the plot needs the optional extra 'plot' (matplotlib)")
    monkeypatch.chdir(ROOT)
    out = tmp_path / "run"
    result = cli("dse", "samples/networks/tiny_cnn.m", "--set", "num_pes=64,256", "--set", "noc_bw=16,64",
                 "-o", str(out), "--plot")
    assert result.code == 0
    assert (out / "front.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_front_table_tells_apart_throughputs_that_round_alike(cli, tmp_path: Path, monkeypatch) -> None:
    """The tutorial's sweep: two front designs whose throughputs both print as 63.12; the exact runtime
    beside the throughput shows why neither dominates the other."""
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "run"
    result = cli("dse", str(ROOT / "samples/networks/vgg16_conv2_tiled.m"),
                 "--hw", str(ROOT / "samples/hw/default_256pe.m"), "--set", "num_pes=64:1024:64", "--set", "noc_bw=16,32,64,128", "--set", "CTile=8:64:8",
                 "--objective", "throughput", "--objective", "energy", "--area-budget", "6e8", "-o", str(out))
    assert result.code == 0, result
    with open(out / "front.csv", newline="") as handle:
        front = list(csv.DictReader(handle))
    assert len({f"{float(row['throughput']):.2f}" for row in front}) < len(front)  # the case this test is about
    assert "runtime (cycles)" in result.out
    front_table = result.out.split("Pareto front", 1)[1]
    for number, row in enumerate(front, 1):
        line = next(line for line in front_table.splitlines() if line.startswith(f"{number} "))
        assert f"{int(row['runtime']):,}" in line.split()
