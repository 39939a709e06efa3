"""What the tables, notes, LaTeX and plot show: no number cut at any width, columns named for what they
measure, which energy each output gives, and the NoC / off-chip energy terms."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from maestroc.api import compile_files
from maestroc.diagnostics import Diagnostics
from maestroc.exploration import all_designs
from maestroc.expressions import format_reuse
from maestroc.frontend import load_mapping
from maestroc.hardware import HardwareSpec
from maestroc.metrics import noc_transfers, offchip_transfers
from maestroc.report import COMPARE_METRICS, render_comparison, render_report
from maestroc.space import load_space
from maestroc.tables import Column, FittedTable

TINY = ROOT / "samples/networks/tiny_cnn.m"
HW = ROOT / "samples/hw/default_256pe.m"
DATAFLOWS = ["kcp_ws", "xp_ws", "yxp_os", "ykp_os", "ckp_ws", "cp_nlr", "maeri", "yrp_rs"]


def rendered(renderable: object, width: int) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, highlight=False)
    console.print(renderable)
    return console.export_text()


def assert_uncut(text: str, width: int, numbers: list[str]) -> None:
    """No line wider than the console, no ellipsis, and every number whole (not part of a longer one)."""
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    for number in numbers:
        assert re.search(rf"(?<![\d.,]){re.escape(number)}(?![\d.,])", text), f"{number!r} missing or cut"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 10**12), min_size=7, max_size=7), min_size=1, max_size=5),
       st.integers(40, 200))
def test_fitted_table_keeps_every_number_whole(rows: list[list[int]], width: int) -> None:
    columns = [Column("name", "left", key=True)] + [Column(f"metric {i} (units per cycle)") for i in range(7)]
    table = FittedTable(columns, "a title that is long enough to wrap on a narrow console, with 123,456,789")
    for number, row in enumerate(rows):
        table.add_row(f"row_{number}", *(f"{value:,}" for value in row))
    text = rendered(table, width)
    assert_uncut(text, width, [f"{value:,}" for row in rows for value in row] + ["123,456,789"])


def tiny_layers(hardware: HardwareSpec | None = None):
    return compile_files(str(TINY), hardware or str(HW))


@pytest.mark.parametrize("width", [80, 120])
def test_report_fits_80_and_120_columns(cli, monkeypatch, width: int) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    result = cli("compile", str(TINY), "--hw", str(HW))
    assert result.code == 0, result.err
    layers = tiny_layers().layers
    numbers = [f"{m.runtime:,}" for m in layers] + [f"{m.energy:,.1f}" for m in layers]
    numbers += [f"{m.throughput:,.2f}" for m in layers] + [f"{m.l2_size_req:,}" for m in layers]
    numbers += [f"{sum(m.runtime for m in layers):,}", f"{sum(m.energy for m in layers):,.1f}"]
    assert_uncut(result.out, width, numbers)


def test_report_names_both_utilizations() -> None:
    """64 MACs per cycle on 256 PEs: every PE has work, a quarter of the MAC units compute."""
    result = tiny_layers()
    proj = next(m for m in result.layers if m.name == "proj_1x1")
    assert proj.throughput == 64 and proj.pes_with_work == 1.0 and proj.compute_utilization == 0.25
    text = rendered(render_report(result.network.name, result.hardware, result.layers), 200)
    assert "PEs with work" in text and "compute util" in text
    row = next(line for line in text.splitlines() if line.startswith("proj_1x1"))
    assert "100.0%" in row and "25.0%" in row


def test_report_shows_bytes_with_separators_and_says_which_energy(tmp_path: Path) -> None:
    hw = tmp_path / "hw.m"
    hw.write_text(HW.read_text() + "word_bytes: 2\n")
    result = compile_files(str(TINY), str(hw))
    text = rendered(render_report(result.network.name, result.hardware, result.layers), 200)
    stem = next(line for line in text.splitlines() if line.startswith("stem_7x7_s2"))
    assert "10,060" in stem  # 5,030 elements of L2 at 2 bytes each
    assert "L2 need (B)" in text and "maestroc's count of every MAC" in text and "leaves out the MAC energy" in text


def test_csv_stays_maestros_and_says_so(cli, tmp_path: Path) -> None:
    hw = tmp_path / "hw.m"
    hw.write_text(HW.read_text() + "word_bytes: 2\n")
    result = cli("compile", str(TINY), "--hw", str(hw), "--emit", "csv")
    assert result.code == 0
    first = result.out.splitlines()[1].split(",")
    assert first[14].strip() == "5030"  # MAESTRO's "L2 SRAM Size Req (Bytes)" counts elements
    assert "Activity count-based Energy\" leaves out the MAC energy" in result.err
    assert "are in elements, as in MAESTRO" in result.err
    document = json.loads(cli("compile", str(TINY), "--hw", str(hw), "--emit", "json").out)
    stem = document["layers"][0]
    assert stem["l2_size_req_bytes"] == 2 * stem["l2_size_req"] == 10060
    assert "MAC" in document["units"]["energy"] and "no MAC energy" in document["units"]["maestro_energy"]


def test_noc_and_offchip_energy_terms(tmp_path: Path) -> None:
    base = tiny_layers()
    hw = tmp_path / "hw.m"
    hw.write_text(HW.read_text() + "noc_energy: 0.002\noffchip_energy: 0.05\n")
    priced = compile_files(str(TINY), str(hw))
    for before, after in zip(base.layers, priced.layers):
        assert before.energy_breakdown["noc"] == before.energy_breakdown["offchip"] == 0.0
        assert after.energy_breakdown["noc"] == pytest.approx(0.002 * noc_transfers(after))
        assert after.energy_breakdown["offchip"] == pytest.approx(0.05 * offchip_transfers(after, after.output_elements))
        assert after.energy == pytest.approx(before.energy + after.energy_breakdown["noc"]
                                             + after.energy_breakdown["offchip"])
        assert after.maestro_energy == before.maestro_energy  # MAESTRO's column is unchanged
    stem = base.layers[0]  # 32 x 29 x 29 outputs: 58 x 58 positions at stride 2
    assert stem.output_elements == 32 * 29 * 29 and stem.l2_read["output"] == 32 * 58 * 58
    assert offchip_transfers(stem, stem.output_elements) == 3 * 64 * 64 + 32 * 3 * 7 * 7 + 32 * 29 * 29


def test_dse_energy_objective_has_the_same_terms() -> None:
    spec = HardwareSpec(noc_energy=0.002, offchip_energy=0.05)
    tree = load_mapping(str(TINY), Diagnostics())
    space = load_space(None, ["num_pes=256", "noc_bw=256", "offchip_bw=64"], ["runtime", "energy"], spec)
    (design, metrics), = list(all_designs(tree, space))
    compiled = compile_files(str(TINY), HardwareSpec(num_pes=256, noc_bw=256, offchip_bw=64, noc_energy=0.002,
                                                     offchip_energy=0.05, l1_size=design["l1_size"],
                                                     l2_size=design["l2_size"]))
    assert metrics["energy"] == pytest.approx(sum(m.energy for m in compiled.layers), rel=1e-12)


def compare_args(*extra: str) -> list[str]:
    args = ["compare", str(ROOT / "samples/networks/lenet_model.m"), "--hw", str(HW),
            "--dataflow-for", f"GEMM={ROOT / 'samples/dataflows/gemm_nk.m'}"]
    for name in DATAFLOWS:
        args += ["--dataflow", str(ROOT / f"samples/dataflows/{name}.m")]
    return args + list(extra)


@pytest.mark.parametrize("width", [80, 120, None])  # None: redirected, no COLUMNS
def test_compare_eight_dataflows_fits(cli, monkeypatch, width: int | None) -> None:
    if width is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", str(width))
    result = cli(*compare_args())
    assert result.code == 0, result.err
    csv_rows = cli(*compare_args("--emit", "csv")).out.splitlines()
    numbers = []
    for row in csv_rows[1:]:
        cells = row.split(",")[1:-1]
        numbers += [f"{int(c):,}" for c in cells[0::2]] + [f"{float(c):,.1f}" for c in cells[1::2]]
    assert len(numbers) == 5 * 2 * len(DATAFLOWS)
    assert_uncut(result.out, width or 200, numbers)


def test_compare_columns(cli, capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(*compare_args("--columns", "runtime,compute-util,bound,l2,area,power", "--emit", "csv"))
    assert result.code == 0, result.err
    header = result.out.splitlines()[0].split(",")
    assert header[1:7] == ["kcp_ws runtime", "kcp_ws compute-util", "kcp_ws bound", "kcp_ws l2", "kcp_ws area",
                           "kcp_ws power"]
    assert len(header) == 2 + 6 * len(DATAFLOWS)
    with pytest.raises(SystemExit) as exit_info:  # argparse's usage error
        cli(*compare_args("--columns", "runtime,speed"))
    assert exit_info.value.code == 2
    assert "unknown metric 'speed'" in capsys.readouterr().err


def test_compare_names_every_fastest_on_a_tie() -> None:
    result = tiny_layers()
    table, csv_text = render_comparison([("a", result), ("b", result)], tuple(COMPARE_METRICS))
    assert all(line.endswith(",a = b") for line in csv_text.splitlines()[1:])
    assert "a = b" in rendered(table, 100)


def test_compare_says_all_equal_when_every_variant_ties() -> None:
    """Three or more tied names would wrap over four lines of a 100-column table (a newcomer's compare)."""
    result = tiny_layers()
    table, csv_text = render_comparison([("a", result), ("b", result), ("c", result)])
    assert all(line.endswith(",a = b = c") for line in csv_text.splitlines()[1:])
    text = rendered(table, 100)
    rows = [line for line in text.splitlines() if line.split()[:1] in (["proj_1x1"], ["total"])]
    assert len(rows) == 2 and all(row.rstrip().endswith("all equal") for row in rows)
    assert "a = b = c" not in text


def test_reuse_latex_is_latex() -> None:
    network = tiny_layers().network
    text = format_reuse(network, latex=True)
    assert "noc_{" not in text and "simd lanes" not in text
    assert r"\mathit{noc\_latency}" in text and r"\paragraph{layer conv\_3x3 : CONV}" in text
    assert text.count(r"\begin{multline*}") == text.count(r"\end{multline*}") > 0
    for line in text.splitlines():
        if line.startswith("%"):
            continue
        assert line.count("{") == line.count("}"), line
        assert re.search(r"(?<!\\)_", line) is None, line  # every underscore is escaped
    plain = format_reuse(network)
    assert "\\" not in plain and "noc_latency" in plain


def test_plot_legend_covers_no_bar(monkeypatch, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the plot needs the optional extra 'plot' (matplotlib)")
    from matplotlib.figure import Figure

    from maestroc.report import draw_layers

    boxes = []
    original = Figure.savefig

    def keep(self: Figure, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # draws the figure, so the extents are final
        renderer = self.canvas.get_renderer()
        axes = self.axes[0]
        legend = axes.get_legend()
        boxes.append((legend.get_window_extent(renderer), axes.get_window_extent(renderer),
                      [text.get_text() for text in legend.get_texts()]))

    monkeypatch.setattr(Figure, "savefig", keep)
    result = tiny_layers()
    assert draw_layers(result.network.name, result.layers, "png")
    (legend, axes, labels), = boxes
    assert legend.y0 >= axes.y1  # above the plot area
    assert "PEs with work" in labels and "compute utilization" in labels


def test_energy_doc_example_is_what_maestroc_prints(tmp_path: Path) -> None:
    text = (ROOT / "docs/energy.md").read_text()
    (hardware,) = re.findall(r"```\n(num_pes.*?)```", text, re.DOTALL)
    hw = tmp_path / "hw.m"
    hw.write_text(hardware)
    stem = compile_files(str(TINY), str(hw)).layers[0]
    breakdown = stem.energy_breakdown
    plain = stem.energy - breakdown["noc"] - breakdown["offchip"]
    for shown in (f"{noc_transfers(stem):,} transfers | {breakdown['noc']:,.1f}",
                  f"{offchip_transfers(stem, stem.output_elements):,} transfers | {breakdown['offchip']:,.1f}",
                  f"({plain:,.1f}) + `noc` + `offchip` | {stem.energy:,.1f}",
                  f"stays {stem.maestro_energy:,.1f} nJ"):
        assert shown in text, shown


@pytest.mark.parametrize("width", [80, 120])
def test_dse_tables_fit(cli, monkeypatch, tmp_path: Path, width: int) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", str(width))
    out = tmp_path / "run"
    result = cli("dse", "samples/networks/tiny_cnn.m", "--set", "num_pes=64,256,1024", "--set", "noc_bw=16,64,256",
                 "--set", "KTile=8,16", "--objective", "runtime", "--objective", "energy", "--objective", "area",
                 "-o", str(out))
    assert result.code == 0, result.err
    front = json.loads((out / "front.json").read_text())[:10]  # the table shows the first --top (10)
    numbers = [f"{entry['design'][key]:,}" for entry in front for key in ("num_pes", "noc_bw", "KTile")]
    assert all(entry["design"]["l2_size"] == "unlimited" for entry in front) and "unlimited" in result.out
    numbers += [f"{entry['metrics'][key]:,.0f}" for entry in front for key in ("runtime", "energy", "area")]
    assert_uncut(result.out, width, numbers)


def test_compare_shows_progress_on_a_terminal_only(cli, monkeypatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    redirected = cli(*compare_args())
    assert redirected.code == 0 and "analysing" not in redirected.err
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    terminal = cli(*compare_args())
    assert terminal.code == 0
    assert "analysing" in terminal.err and f"{len(DATAFLOWS)}/{len(DATAFLOWS)}" in terminal.err
