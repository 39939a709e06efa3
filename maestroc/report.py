"""Outputs of `maestroc compile`: MAESTRO's CSV, JSON with units, and a readable report."""

from __future__ import annotations

import math

from maestroc.costmodel import TENSORS
from maestroc.metrics import LayerMetrics

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
        fmt_double(m.throughput), fmt_double(m.macs / m.runtime / energy * 1e9 if m.runtime and energy else
                                             _nan_div(m.macs, m.runtime, energy)),
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


def _nan_div(macs: int, runtime: int, energy: float) -> float:
    if runtime == 0:
        return math.nan
    return math.inf if energy == 0 else macs / runtime / energy * 1e9


def format_csv(network: str, layers: list[LayerMetrics], maestro_names: bool = True) -> str:
    return "\n".join([CSV_HEADER] + [csv_row(network, m, maestro_names) for m in layers]) + "\n"
