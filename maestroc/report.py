"""Outputs of `maestroc compile`: MAESTRO's CSV, JSON with units, and a readable report."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from maestroc.costmodel import TENSORS
from maestroc.hardware import INT_MAX, HardwareSpec
from maestroc.metrics import LayerMetrics
from maestroc.tables import Column, FittedTable

# MAESTRO's header, typos and spacing included (docs/costmodel.md M22), so existing scripts keep working.
CSV_HEADER = (
    "Neural Network Name, Layer Number, NumPEs, Runtime (Cycles), Activity count-based Energy (nJ), "
    "Throughput (MACs/Cycle), Throughput Per Energy (GMACs/s*J), Area, Power, NoC BW Req (Elements/cycle), "
    "Avg BW Req, Peak BW Req, Vector Width, Offchip BW Req (Elements/cycle),  L2 SRAM Size Req (Bytes), "
    "L1 SRAM Size Req (Bytes), Multicasting Factor (Weight), Multicasting Factor (Input), "
    "Num Total Input Pixels, Num Total Weight Pixels, Ops/J, Num MACs, PE power, L1 power, L2 power, NOC power, "
    "input l1 read, input l1 write, input l2 read, input l2 write, input reuse factor,"
    "filter l1 read, filter l1 write, filter l2 read, filter l2 write, filter reuse factor,"
    "output l1 read, output l1 write, output l2 read, output l2 write, output reuse factor,"
    "Ingress Delay (Min), Ingress Delay (Max), Ingress Delay (Avg), Egress Delay (Min), Egress Delay (Max),  "
    "Egress Delay (Avg),Compute Delay (Min), Compute Delay (Min), Compute Delay (Avg),"
    "Avg number of utilized PEs, Arithmetic Intensity")


def fmt_double(value: float) -> str:
    """C++ ostream's default double format (6 significant digits); 0/0 prints as MAESTRO's -nan."""
    if math.isnan(value):
        return "-nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:g}"
    return text


def csv_row(network: str, m: LayerMetrics, maestro_names: bool = True) -> str:
    energy = m.maestro_energy
    head = [
        network, m.maestro_name if maestro_names else m.name, str(m.num_pes), str(m.runtime), fmt_double(energy),
        fmt_double(m.throughput), fmt_double(_throughput_per_energy(m.macs, m.runtime, energy)),
        fmt_double(m.area), fmt_double(m.power), str(m.peak_bw), fmt_double(m.avg_bw), str(m.peak_bw),
        str(m.vector_width), str(m.offchip_bw), str(m.l2_size_req), str(m.l1_size_req),
        fmt_double(m.multicast_factor("weight")), fmt_double(m.multicast_factor("input")),
        str(m.input_pixels), str(m.weight_pixels), fmt_double(m.macs / energy * 1e9 if energy else math.nan),
        str(m.macs), fmt_double(m.pe_power), fmt_double(m.l1_power), fmt_double(m.l2_power),
        fmt_double(m.noc_power)]
    tail: list[str] = []
    for tensor in TENSORS:
        tail += [str(m.l1_read[tensor]), str(m.l1_write[tensor]), str(m.l2_read[tensor]),
                 str(m.l2_write[tensor]), fmt_double(m.reuse_factor(tensor))]
    for kind in ("ingress", "egress", "compute"):
        tail += [str(v) for v in m.delays[kind]]
    tail += [fmt_double(m.avg_pes), fmt_double(m.arithmetic_intensity)]
    return ",".join(head) + "," + ", ".join(tail)


def _throughput_per_energy(macs: int, runtime: int, energy: float) -> float:
    """GMACs/s*J as MAESTRO prints it: nan for a zero runtime, inf for zero energy."""
    if runtime == 0:
        return math.nan
    return math.inf if energy == 0 else macs / runtime / energy * 1e9


def timing_note(hardware: HardwareSpec) -> str | None:
    """Which timing rules the runtimes follow, when they are not MAESTRO's (every output that shows a runtime)."""
    if hardware.noc_topology == "maestro":
        return None
    return (f"timing: noc_topology {hardware.noc_topology}: runtimes and delays follow the systolic array's rules "
            "(docs/systolic.md), not MAESTRO's model; every other figure is MAESTRO's")


def csv_notes(hardware: HardwareSpec) -> list[str]:
    """What MAESTRO's CSV means where a reader would take it otherwise (printed on stderr, the CSV stays MAESTRO's)."""
    notes = ["the CSV is MAESTRO's: \"Activity count-based Energy\" leaves out the MAC energy"
             + (", the NoC and off-chip energy" if hardware.noc_energy or hardware.offchip_energy else "")
             + " and the output L2 read; --emit json or the report give maestroc's full energy (docs/energy.md)"]
    if hardware.word_bytes != 1:
        notes.append(f"the CSV's \"L1/L2 SRAM Size Req (Bytes)\" are in elements, as in MAESTRO; with word_bytes "
                     f"{hardware.word_bytes} the bytes are {hardware.word_bytes} times that (JSON "
                     "l1_size_req_bytes/l2_size_req_bytes, the report)")
    if timing := timing_note(hardware):
        notes.append(timing)
    return notes


def format_csv(network: str, layers: list[LayerMetrics], maestro_names: bool = True) -> str:
    return "\n".join([CSV_HEADER] + [csv_row(network, m, maestro_names) for m in layers]) + "\n"


UNITS = {
    "runtime": "cycles", "macs": "MACs", "throughput": "MACs/cycle",
    "utilization": "fraction of PEs with work (space use; see compute_utilization)",
    "compute_utilization": "MACs per cycle / (PEs x SIMD lanes)",
    "energy": "nJ, maestroc's count: every MAC, L1 and L2 access, NoC and off-chip transfer (docs/energy.md)",
    "maestro_energy": "nJ, MAESTRO's activity count as in its CSV: no MAC energy, no output L2 read, L1 terms "
                      "carried from the previous layer on multi-level layers",
    "area": "um^2 (MAESTRO's model)",
    "power": "mW (MAESTRO's model)", "l1_size_req": "elements per PE", "l2_size_req": "elements",
    "l1_size_req_bytes": "bytes per PE (word_bytes per element)", "l2_size_req_bytes": "bytes (word_bytes per element)",
    "noc_bw_req": "elements/cycle", "offchip_bw_req": "elements/cycle", "accesses": "elements",
    "delays": "cycles", "avg_pes": "PEs",
}


def capacity_findings(m: LayerMetrics, hardware: HardwareSpec) -> list[tuple[str, str, int]]:
    """(code, message, need) for each hardware limit this layer exceeds."""
    findings = []
    checks = (("C401", "L1", m.l1_size_req, hardware.l1_size, "elements per PE"),
              ("C402", "L2", m.l2_size_req, hardware.l2_size, "elements"),
              ("C403", "NoC bandwidth", m.peak_bw, hardware.noc_bw, "elements/cycle"),
              ("C404", "off-chip bandwidth", m.offchip_bw, hardware.offchip_bw, "elements/cycle"))
    for code, what, need, have, unit in checks:
        if need > have:
            message = f"layer `{m.name}` needs {need} {unit} of {what}; the hardware has {have}"
            findings.append((code, message, need))
    return findings


def _layer_json(m: LayerMetrics, hardware: HardwareSpec) -> dict[str, object]:
    return {
        "name": m.name, "maestro_name": m.maestro_name, "type": m.layer_type,
        "runtime": m.runtime, "macs": m.macs, "throughput": _num(m.throughput),
        "utilization": _num(m.pes_with_work), "compute_utilization": _num(m.compute_utilization),
        "avg_pes": _num(m.avg_pes),
        "energy": {"total": m.energy, **m.energy_breakdown}, "maestro_energy": m.maestro_energy,
        "area": m.area, "power": m.power,
        "power_breakdown": {"pe": m.pe_power, "l1": m.l1_power, "l2": m.l2_power, "noc": m.noc_power},
        "l1_size_req": m.l1_size_req, "l2_size_req": m.l2_size_req,
        "l1_size_req_bytes": m.l1_size_req * hardware.word_bytes, "l2_size_req_bytes": m.l2_size_req * hardware.word_bytes,
        "l1_size_req_by_tensor": m.l1_req, "l2_size_req_by_tensor": m.l2_req,
        "noc_bw_req": {"peak": m.peak_bw, "avg": _num(m.avg_bw)}, "offchip_bw_req": m.offchip_bw,
        "tensors": {t: {"l1_read": m.l1_read[t], "l1_write": m.l1_write[t], "l2_read": m.l2_read[t],
                        "l2_write": m.l2_write[t], "reuse_factor": _num(m.reuse_factor(t))} for t in TENSORS},
        "multicast_factor": {"input": _num(m.multicast_factor("input")),
                             "weight": _num(m.multicast_factor("weight"))},
        "delays": {k: {"min": v[0], "max": v[1], "avg": v[2]} for k, v in m.delays.items()},
        "arithmetic_intensity": _num(m.arithmetic_intensity), "bound": m.bound,
        "exceeds": [code for code, _, _ in capacity_findings(m, hardware)],
    }


def _num(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else value


def totals(layers: list[LayerMetrics]) -> dict[str, object]:
    runtime = sum(m.runtime for m in layers)
    macs = sum(m.macs for m in layers)
    return {
        "layers": len(layers), "runtime": runtime, "macs": macs, "throughput": _num(macs / runtime) if runtime else None,
        "energy": sum(m.energy for m in layers), "maestro_energy": sum(m.maestro_energy for m in layers),
        "max_l1_size_req": max((m.l1_size_req for m in layers), default=0),
        "max_l2_size_req": max((m.l2_size_req for m in layers), default=0),
        "max_noc_bw_req": max((m.peak_bw for m in layers), default=0),
        "max_offchip_bw_req": max((m.offchip_bw for m in layers), default=0),
    }


def format_json(network: str, path: str, hardware: HardwareSpec, layers: list[LayerMetrics]) -> str:
    document = {
        "network": network, "source": path, "hardware": dataclasses.asdict(hardware), "units": UNITS,
        "layers": [_layer_json(m, hardware) for m in layers], "totals": totals(layers),
    }
    if timing := timing_note(hardware):
        document["timing_note"] = timing
    return json.dumps(document, indent=2) + "\n"


def _limit(value: int, unit: str) -> str:
    return "unlimited" if value >= INT_MAX else f"{value:,} {unit}"


ENERGY_NOTE = ("energy: maestroc's count of every MAC and every L1 and L2 access{extra} (docs/energy.md); "
               "MAESTRO's CSV column (--emit csv) leaves out the MAC energy")
UTILIZATION_NOTE = ("PEs with work: average share of the PEs that have work; compute util: MACs per cycle / "
                    "(PEs x SIMD lanes); B: bytes ({word_bytes} per element); `!`: exceeds the hardware's limit")


def energy_note(hardware: HardwareSpec) -> str:
    """Which energy a table shows, and the terms the hardware file adds to it."""
    extra = [name for name, value in (("NoC transfer", hardware.noc_energy),
                                      ("off-chip transfer", hardware.offchip_energy)) if value]
    return ENERGY_NOTE.format(extra=" and every " + " and ".join(extra) if extra else "")


REPORT_COLUMNS = [
    Column("layer", "left", key=True), Column("type", "left"), Column("runtime (cycles)"),
    Column("MACs per cycle"), Column("PEs with work"), Column("compute util"), Column("energy (nJ)"),
    Column("L1 need (B per PE)"), Column("L2 need (B)"), Column("NoC BW (el per cycle)"),
    Column("off-chip BW (el per cycle)"), Column("bound", "left"),
]


def render_report(network: str, hardware: HardwareSpec, layers: list[LayerMetrics]) -> FittedTable:
    """A per-layer table with a totals row; limits the hardware cannot meet are marked with `!`.

    It fits the console's width by stacking column groups, so no number is ever cut.
    """
    title = (f"{network}, {len(layers)} layers, on {hardware.num_pes:,} PEs x {hardware.num_simd_lanes} SIMD lanes "
             f"(NoC {_limit(hardware.noc_bw, 'el/cycle')}, off-chip {_limit(hardware.offchip_bw, 'el/cycle')})")
    notes = [energy_note(hardware), UTILIZATION_NOTE.format(word_bytes=hardware.word_bytes)]
    table = FittedTable(REPORT_COLUMNS, title, notes + [note for note in [timing_note(hardware)] if note])
    word = hardware.word_bytes
    for m in layers:
        exceeded = {code for code, _, _ in capacity_findings(m, hardware)}
        needs = [(m.l1_size_req * word, "C401"), (m.l2_size_req * word, "C402"), (m.peak_bw, "C403"),
                 (m.offchip_bw, "C404")]
        table.add_row(m.name, m.layer_type, f"{m.runtime:,}", f"{m.throughput:,.2f}", _percent(m.pes_with_work),
                      _percent(m.compute_utilization), f"{m.energy:,.1f}",
                      *(f"{need:,} !" if code in exceeded else f"{need:,}" for need, code in needs), m.bound)
    total = totals(layers)
    table.add_section()
    table.add_row(f"total ({len(layers)})", "", f"{total['runtime']:,}", f"{total['throughput'] or 0:,.2f}",
                  _percent(_share(layers, lambda m: m.pes_with_work)),
                  _percent(_share(layers, lambda m: m.compute_utilization)), f"{total['energy']:,.1f}", f"max {total['max_l1_size_req'] * word:,}",
                  f"max {total['max_l2_size_req'] * word:,}", f"max {total['max_noc_bw_req']:,}",
                  f"max {total['max_offchip_bw_req']:,}", "")
    return table


def _percent(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1%}"


@dataclass(frozen=True)
class CompareMetric:
    """A `compare --columns` metric: its header, its per-layer value, and the network's value ("max" marks a peak)."""

    header: str
    layer: Callable[[LayerMetrics], float | str]
    network: Callable[[list[LayerMetrics]], float | str]
    spec: str = ","  # format spec of a number in the table
    peak: bool = False  # the network's value is the largest layer's


def _share(layers: list[LayerMetrics], share: Callable[[LayerMetrics], float]) -> float:
    """A runtime-weighted average of a per-layer share (utilizations of the whole network)."""
    runtime = sum(m.runtime for m in layers)
    return sum(share(m) * m.runtime for m in layers) / runtime if runtime else math.nan


COMPARE_METRICS: dict[str, CompareMetric] = {
    "runtime": CompareMetric("runtime (cycles)", lambda m: m.runtime, lambda ls: sum(m.runtime for m in ls)),
    "energy": CompareMetric("energy (nJ)", lambda m: m.energy, lambda ls: sum(m.energy for m in ls), ",.1f"),
    "throughput": CompareMetric("MACs per cycle", lambda m: m.throughput,
                                lambda ls: _share(ls, lambda m: m.throughput), ",.2f"),
    "pes-with-work": CompareMetric("PEs with work", lambda m: m.pes_with_work,
                                   lambda ls: _share(ls, lambda m: m.pes_with_work), ".1%"),
    "compute-util": CompareMetric("compute util", lambda m: m.compute_utilization,
                                  lambda ls: _share(ls, lambda m: m.compute_utilization), ".1%"),
    "bound": CompareMetric("bound", lambda m: m.bound, lambda ls: ""),
    "l1": CompareMetric("L1 need (el per PE)", lambda m: m.l1_size_req,
                        lambda ls: max(m.l1_size_req for m in ls), peak=True),
    "l2": CompareMetric("L2 need (el)", lambda m: m.l2_size_req, lambda ls: max(m.l2_size_req for m in ls),
                        peak=True),
    "noc-bw": CompareMetric("NoC BW (el per cycle)", lambda m: m.peak_bw, lambda ls: max(m.peak_bw for m in ls),
                            peak=True),
    "offchip-bw": CompareMetric("off-chip BW (el per cycle)", lambda m: m.offchip_bw,
                                lambda ls: max(m.offchip_bw for m in ls), peak=True),
    "area": CompareMetric("area (um^2)", lambda m: m.area, lambda ls: max(m.area for m in ls), ",.0f", True),
    "power": CompareMetric("power (mW)", lambda m: m.power, lambda ls: max(m.power for m in ls), ",.1f", True),
}


def _cell(value: float | str | None, metric: CompareMetric, peak: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return "-"
    text = format(value, metric.spec)
    return f"max {text}" if peak and metric.peak else text


def render_comparison(results: list, columns: tuple[str, ...] = ("runtime", "energy")) -> tuple[FittedTable, str]:
    """The chosen metrics per layer and in total for each variant (name, CompileResult), the fastest named.

    The table fits the console by stacking column groups (the layer name repeats); the CSV has one
    column per variant and metric, plain numbers.
    Rows are matched as :mod:`maestroc.comparison` says.
    """
    from maestroc.comparison import compare_rows

    names = [name for name, _ in results]
    metrics = [COMPARE_METRICS[c] for c in columns]
    table_columns = [Column("layer", "left", key=True)]
    table_columns += [Column(f"{name}\n{metric.header}", "left" if metric.header == "bound" else "right", group=name)
                      for name in names for metric in metrics]
    table_columns.append(Column("fastest", "left", wrap=True))
    hardware = results[0][1].hardware
    notes = [energy_note(hardware)] if "energy" in columns else []
    notes += [note for note in [timing_note(hardware)] if note]
    compared = compare_rows([result.layers for _, result in results])
    missing = {name: sum(row.cells[i] is None for row in compared[:-1]) for i, name in enumerate(names)}
    if any(missing.values()):
        lacking = ", ".join(f"{name} lacks {count} layer{'s' * (count > 1)}" for name, count in missing.items() if count)
        notes.append(f"the total's fastest is chosen among the variants that have every layer ({lacking})")
    table = FittedTable(table_columns, f"{len(names)} variants on {hardware.num_pes:,} PEs", notes)
    rows = ["layer," + ",".join(f"{n} {c}" for n in names for c in columns) + ",fastest"]
    for row in compared:
        cells = []
        for cell in row.cells:
            if cell is None or (row.is_total and not cell):
                values: list[float | str | None] = [None] * len(metrics)
            else:
                values = [metric.network(list(cell)) if row.is_total else metric.layer(cell[0]) for metric in metrics]
            cells += [_cell(value, metric, peak=row.is_total) for value, metric in zip(values, metrics)]
        fastest = " = ".join(names[i] for i in row.fastest)
        if row.is_total:
            table.add_section()
        # Three or more names tied would wrap over several lines of the table; the CSV keeps them.
        table.add_row(row.layer, *cells, "all equal" if len(row.fastest) == len(names) > 2 else fastest)
        rows.append(",".join([row.layer] + [c.replace(",", "").removeprefix("max ") for c in cells] + [fastest]))
    return table, "\n".join(rows) + "\n"


def draw_layers(network: str, layers: list[LayerMetrics], image_format: str) -> bytes | None:
    """A per-layer runtime bar chart, split into compute and data movement, with the two utilizations.

    The image's bytes in ``image_format`` (png, pdf, svg), for the caller to write like any output;
    None when matplotlib (the optional extra ``plot``) is missing.
    """
    import io

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    names = [m.name for m in layers]
    compute = [m.compute_cycles for m in layers]
    waiting = [m.runtime - m.compute_cycles for m in layers]
    figure, axes = plt.subplots(figsize=(max(6.0, 0.35 * len(layers) + 2), 5))
    positions = range(len(layers))
    axes.bar(positions, compute, color="tab:blue", label="compute")
    axes.bar(positions, waiting, bottom=compute, color="tab:orange", label="waiting for data (NoC / off-chip)")
    axes.set_ylabel("runtime (cycles)")
    axes.set_ylim(0, max((m.runtime for m in layers), default=0) * 1.05 or 1)
    axes.set_xticks(list(positions), names, rotation=90, fontsize=7)
    utilization = axes.twinx()
    utilization.plot(list(positions), [m.pes_with_work for m in layers], color="black", marker=".",
                     linewidth=1, label="PEs with work")
    utilization.plot(list(positions), [m.compute_utilization for m in layers], color="black", marker="x",
                     linestyle="--", linewidth=1, label="compute utilization")
    utilization.set_ylim(0, 1.05)
    utilization.set_ylabel("share of PEs / of MAC units")
    handles = axes.get_legend_handles_labels()[0] + utilization.get_legend_handles_labels()[0]
    # Above the plot area, so it never covers a bar or a point.
    axes.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="lower left", ncol=2,
                bbox_to_anchor=(0.0, 1.01), frameon=False)
    figure.suptitle(f"{network}: {sum(m.runtime for m in layers):,} cycles")
    figure.tight_layout()
    image = io.BytesIO()
    figure.savefig(image, format=image_format, dpi=120)
    plt.close(figure)
    return image.getvalue()
