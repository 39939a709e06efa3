"""Outputs of `maestroc compile`: MAESTRO's CSV, JSON with units, and a readable report."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import TYPE_CHECKING

from rich.table import Table

from maestroc.costmodel import TENSORS, shape_key
from maestroc.hardware import HardwareSpec
from maestroc.ir import NetworkIR
from maestroc.metrics import LayerMetrics

if TYPE_CHECKING:
    import sympy

# MAESTRO's header, typos and spacing included (CORRECTIONS.md E11), so existing scripts keep working.
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


def format_csv(network: str, layers: list[LayerMetrics], maestro_names: bool = True) -> str:
    return "\n".join([CSV_HEADER] + [csv_row(network, m, maestro_names) for m in layers]) + "\n"


UNITS = {
    "runtime": "cycles", "macs": "MACs", "throughput": "MACs/cycle", "utilization": "fraction of PEs",
    "energy": "nJ", "maestro_energy": "nJ (MAESTRO's activity count: no MAC energy)", "area": "um^2 (MAESTRO's model)",
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
        "utilization": _num(m.avg_pes / m.num_pes), "avg_pes": _num(m.avg_pes),
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
    return json.dumps(document, indent=2) + "\n"


def render_report(network: str, hardware: HardwareSpec, layers: list[LayerMetrics]) -> Table:
    """A per-layer table with a totals row; limits the hardware cannot meet are marked with `!`."""
    table = Table(title=f"{network} on {hardware.num_pes} PEs (NoC {hardware.noc_bw}/cycle, off-chip "
                        f"{hardware.offchip_bw}/cycle)", title_justify="left")
    for header, justify in (("layer", "left"), ("type", "left"), ("runtime (cycles)", "right"),
                            ("MACs/cycle", "right"), ("PE util", "right"), ("energy (nJ)", "right"),
                            ("L1 req", "right"), ("L2 req", "right"), ("NoC BW", "right"),
                            ("off-chip BW", "right"), ("bound", "left")):
        table.add_column(header, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for m in layers:
        exceeded = {code for code, _, _ in capacity_findings(m, hardware)}

        def mark(value: object, code: str) -> str:
            return f"{value} !" if code in exceeded else str(value)

        table.add_row(m.name, m.layer_type, f"{m.runtime:,}", f"{m.throughput:.2f}",
                      f"{m.avg_pes / m.num_pes:.1%}", f"{m.energy:,.1f}", mark(m.l1_size_req, "C401"),
                      mark(m.l2_size_req, "C402"), mark(m.peak_bw, "C403"), mark(m.offchip_bw, "C404"), m.bound)
    total = totals(layers)
    table.add_section()
    table.add_row("total", f"{len(layers)} layers", f"{total['runtime']:,}",
                  f"{total['throughput'] or 0:.2f}", "", f"{total['energy']:,.1f}", f"max {total['max_l1_size_req']}",
                  f"max {total['max_l2_size_req']}", f"max {total['max_noc_bw_req']}",
                  f"max {total['max_offchip_bw_req']}", "")
    return table


def _terms(expr: sympy.Expr) -> str:
    """An expression as text, one top-level term per line (a sum of per-case delays reads best so)."""
    import sympy

    if isinstance(expr, sympy.Add):
        terms = [sympy.sstr(t) for t in expr.as_ordered_terms()]
        return "\n".join(("  " if i == 0 else "+ ") + t for i, t in enumerate(terms))
    return sympy.sstr(expr)


def format_reuse(network: NetworkIR, latex: bool = False) -> str:
    """The cost expressions of every layer: per level and case structure, in the hardware symbols."""
    import sympy  # only this output needs it: numbers come from the integer algebra

    from maestroc.symbolic import SYMBOLIC
    from maestroc.timing import folded

    out: list[str] = []
    show = sympy.latex if latex else _terms
    for layer in network.layers:
        if layer.name in network.illegal or not layer.levels:
            continue
        fold = folded(shape_key(layer), SYMBOLIC)
        out.append(f"layer {layer.name} : {layer.layer_type}")
        for (level, dims), result in sorted(fold.results.items(), key=lambda item: item[0][0]):
            shown = " ".join(f"{k}={v}" for k, v in dims)
            out.append(f"  level {level}  x{layer.levels[level].sub_clusters} sub-clusters  dims {shown}")
            out.append(f"    iterations (all cases): {result.total_occurrences}")
            for name, value in (("runtime", result.runtime), ("peak NoC BW", result.peak_bw)):
                out.append(f"    {name} =")
                out.extend("      " + line for line in show(sympy.sympify(value)).splitlines())
            for tensor in TENSORS:
                out.append(f"    {tensor}: L2 read {result.l2_read[tensor]}, L2 write {result.l2_write[tensor]}, "
                           f"L1 read {result.l1_read[tensor]}, L1 write {result.l1_write[tensor]}, "
                           f"L2 need {result.l2_req[tensor]}, L1 need {result.l1_req[tensor]}")
            out.append(f"    MACs {result.macs}")
        out.append("")
    return "\n".join(out)


def render_comparison(results: list) -> tuple[Table, str]:
    """Runtime and energy per layer for each variant (name, CompileResult), the fastest marked."""
    names = [name for name, _ in results]
    table = Table(title=f"{len(names)} variants on {results[0][1].hardware.num_pes} PEs", title_justify="left")
    table.add_column("layer", no_wrap=True)
    for name in names:
        table.add_column(f"{name}\nruntime", justify="right", no_wrap=True)
        table.add_column(f"{name}\nenergy (nJ)", justify="right", no_wrap=True)
    table.add_column("fastest", no_wrap=True)
    rows = ["layer," + ",".join(f"{n} runtime,{n} energy" for n in names) + ",fastest"]
    by_layer = [dict((m.name, m) for m in result.layers) for _, result in results]
    order = [m.name for m in results[0][1].layers]
    for layer in order + ["total"]:
        cells, runtimes = [], []
        for metrics in by_layer:
            if layer == "total":
                runtime, energy = sum(m.runtime for m in metrics.values()), sum(m.energy for m in metrics.values())
            elif layer in metrics:
                runtime, energy = metrics[layer].runtime, metrics[layer].energy
            else:
                runtime, energy = None, None
            runtimes.append(runtime)
            cells += [f"{runtime:,}" if runtime is not None else "-", f"{energy:,.1f}" if energy is not None else "-"]
        known = [(r, n) for r, n in zip(runtimes, names) if r is not None]
        fastest = min(known)[1] if known else ""
        if layer == "total":
            table.add_section()
        table.add_row(layer, *cells, fastest)
        rows.append(",".join([layer] + [c.replace(",", "") for c in cells] + [fastest]))
    return table, "\n".join(rows) + "\n"


def draw_layers(path: str, network: str, layers: list[LayerMetrics]) -> bool:
    """A per-layer runtime bar chart, split into compute and data movement, with PE utilization.

    Returns False when matplotlib (the optional extra ``plot``) is missing.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = [m.name for m in layers]
    compute = [m.compute_cycles for m in layers]
    waiting = [m.runtime - m.compute_cycles for m in layers]
    figure, axes = plt.subplots(figsize=(max(6.0, 0.35 * len(layers) + 2), 4.5))
    positions = range(len(layers))
    axes.bar(positions, compute, color="tab:blue", label="compute")
    axes.bar(positions, waiting, bottom=compute, color="tab:orange", label="waiting for data (NoC / off-chip)")
    axes.set_ylabel("runtime (cycles)")
    axes.set_xticks(list(positions), names, rotation=90, fontsize=7)
    utilization = axes.twinx()
    utilization.plot(list(positions), [m.avg_pes / m.num_pes for m in layers], color="black", marker=".",
                     linewidth=1, label="PE utilization")
    utilization.set_ylim(0, 1.05)
    utilization.set_ylabel("PE utilization")
    handles = axes.get_legend_handles_labels()[0] + utilization.get_legend_handles_labels()[0]
    axes.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="upper right")
    axes.set_title(f"{network}: {sum(m.runtime for m in layers):,} cycles")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True
