"""Numbers for one design: the cost model in exact integers, plus MAESTRO's derived columns.

:func:`evaluate_network` analyses each layer in the hardware's
:class:`~maestroc.algebra.IntegerAlgebra` (exact ints, no sympy) and turns its
:class:`~maestroc.costmodel.LayerCost` into a :class:`LayerMetrics`: exact integer
counts and cycles, and the float columns MAESTRO derives from them (energy, area,
power, throughput; docs/costmodel.md M21-M22).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from typing import Any

from maestroc.algebra import IntegerAlgebra, trunc_div
from maestroc.costmodel import TENSORS, LayerCost, LevelResult
from maestroc.hardware import HardwareSpec
from maestroc.ir import LayerIR, NetworkIR
from maestroc.layertypes import OUTPUT_DIMS
from maestroc.timing import layer_cost

LONG_MIN = -(2**63)
# MAESTRO's hardware model (its DSE_hardware_modules.hpp; docs/costmodel.md M22).
MAC_AREA, MAC_POWER = 283.0, 1.2223
SRAM_AREA_PER_ELEMENT, SRAM_POWER_PER_ELEMENT = 0.104, 0.00345
BUS_AREA, BUS_POWER = 101.7938, 0.8 / 1000
ARBITER_AREA, ARBITER_POWER = 395.473, 0.34 / 1000


@dataclass
class LayerMetrics:
    """Every figure of one layer on one design. Counts are ints; energies nJ; sizes elements."""

    name: str
    maestro_name: str
    layer_type: str
    num_pes: int
    runtime: int
    macs: int
    l1_read: dict[str, int]
    l1_write: dict[str, int]
    l2_read: dict[str, int]
    l2_write: dict[str, int]
    l2_req: dict[str, int]
    l1_req: dict[str, int]
    l2_size_req: int
    l1_size_req: int
    peak_bw: int
    avg_bw: float
    offchip_bw: int
    delays: dict[str, tuple[int, int, int]]  # kind -> (min, max, avg)
    avg_pes: float
    arithmetic_intensity: float
    input_pixels: int
    weight_pixels: int
    area: float
    power: float
    pe_power: float
    l1_power: float
    l2_power: float
    noc_power: float
    vector_width: int
    multi_level: bool
    bound: str  # "compute", "NoC" or "off-chip": what most of the runtime waits for
    compute_cycles: int  # cycles spent computing (the rest of the runtime waits for data)
    output_elements: int  # the layer's output tensor, strides applied: what is written out off-chip
    # Energy: MAESTRO's activity count (with its carried-L1 quirk) and maestroc's full breakdown.
    maestro_energy: float = 0.0
    energy_breakdown: dict[str, float] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return _ratio(self.macs, self.runtime)

    @property
    def pes_with_work(self) -> float:
        """The average share of PEs that have work: space use, not compute use."""
        return self.avg_pes / self.num_pes

    @property
    def compute_utilization(self) -> float:
        """MACs per cycle over the peak (PEs x SIMD lanes): the share of the MAC units kept busy."""
        return _ratio(self.macs, self.runtime * self.num_pes * self.vector_width)

    @property
    def energy(self) -> float:
        return sum(self.energy_breakdown.values())

    def reuse_factor(self, tensor: str) -> float:
        return _ratio(self.l1_read[tensor], self.l1_write[tensor])

    def multicast_factor(self, tensor: str) -> float:
        return _ratio(self.l1_write[tensor], self.l2_read[tensor])

    @property
    def l1_accesses(self) -> int:
        return sum(self.l1_read.values()) + sum(self.l1_write.values())


def _ratio(a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 else math.copysign(math.inf, a)
    return a / b


def _maximum(a: Any, b: Any) -> Any:
    """Elementwise max of numbers, or of numpy arrays (numpy is imported only when arrays come)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return max(a, b)
    import numpy as np

    return np.maximum(a, b)


def area_power(num_pes, vector_width, l1, l2, noc_bw) -> dict:
    """M22: area and power from the PE count, buffer sizes (elements) and NoC bandwidth.

    Works on numbers and on numpy arrays alike (the DSE evaluates it over grids).
    """
    l1, l2 = _maximum(l1, 1), _maximum(l2, 1)
    arbiter = 1.2886 * num_pes**2 + 5.5814 * num_pes - 23.711
    bus = 14.662 * num_pes + 28.895
    pe_power = num_pes * MAC_POWER * vector_width
    l1_power = num_pes * SRAM_POWER_PER_ELEMENT * l1
    l2_power = SRAM_POWER_PER_ELEMENT * l2
    noc_power = BUS_POWER * bus * noc_bw + _maximum(ARBITER_POWER * arbiter, 0.34)
    area = num_pes * (MAC_AREA * vector_width + SRAM_AREA_PER_ELEMENT * l1) + SRAM_AREA_PER_ELEMENT * l2 \
        + BUS_AREA * bus * noc_bw + _maximum(ARBITER_AREA * arbiter, ARBITER_AREA)
    return {"area": area, "power": pe_power + l1_power + l2_power + noc_power, "pe_power": pe_power,
            "l1_power": l1_power, "l2_power": l2_power, "noc_power": noc_power}


def _pixels(cost: LayerCost, tensor: str) -> int:
    """M22: the product of the declared dimensions coupled to the tensor."""
    coupled = set(cost.tensor_dims[tensor])
    return math.prod(size for name, size in cost.declared if name in coupled)


def output_elements(layer: LayerIR) -> int:
    """Elements of the output tensor: Y' and X' of the dimension table are at stride 1 (MAESTRO's
    sizes), so each is thinned by its stride here."""
    sizes = layer.dim_table()
    count = 1
    for dim in layer.tensor("output").dims:
        size = sizes.get(dim, 1)
        if dim in OUTPUT_DIMS:
            size = (size - 1) // layer.stride_of(OUTPUT_DIMS[dim]) + 1
        count *= size
    return count


def evaluate_layer(cost: LayerCost, hardware: HardwareSpec, name: str, maestro_name: str,
                   layer_type: str, outputs: int) -> LayerMetrics:
    """A layer's metrics from its cost analysed in the hardware's IntegerAlgebra (every value an int)."""
    top = cost.top
    occurrences = top.total_occurrences
    delays = {}
    for kind in ("ingress", "egress", "compute"):
        if occurrences == 0 or kind not in top.delay_min:
            delays[kind] = (LONG_MIN, 0, LONG_MIN)
            continue
        delays[kind] = (top.delay_min[kind], max(top.delay_max[kind], 0),
                        trunc_div(top.delay_sum[kind], occurrences))
    l2_req = dict(top.l2_req)
    l1_req = dict(top.first_l1_req)
    l2_size, l1_size = sum(l2_req.values()), sum(l1_req.values())
    hw = {k: float(v) for k, v in area_power(hardware.num_pes, hardware.num_simd_lanes, l1_size, l2_size,
                                              hardware.noc_bw).items()}
    return LayerMetrics(
        name=name, maestro_name=maestro_name, layer_type=layer_type, num_pes=hardware.num_pes,
        runtime=top.runtime, macs=top.macs,
        l1_read=dict(top.l1_read), l1_write=dict(top.l1_write), l2_read=dict(top.l2_read),
        l2_write=dict(top.l2_write), l2_req=l2_req, l1_req=l1_req, l2_size_req=l2_size, l1_size_req=l1_size,
        peak_bw=top.peak_bw, avg_bw=_ratio(top.avg_bw_sum, occurrences), offchip_bw=top.offchip_bw, delays=delays,
        avg_pes=float(top.avg_active), arithmetic_intensity=top.arithmetic_intensity,
        input_pixels=_pixels(cost, "input"), weight_pixels=_pixels(cost, "weight"),
        area=hw["area"], power=hw["power"], pe_power=hw["pe_power"], l1_power=hw["l1_power"],
        l2_power=hw["l2_power"], noc_power=hw["noc_power"], vector_width=hardware.num_simd_lanes,
        multi_level=top.results_pushed > 1, bound=_bound(top), output_elements=outputs,
        compute_cycles=min(top.delay_sum["compute"], top.runtime) if "compute" in top.delay_sum else 0)


def _bound(top: LevelResult) -> str:
    """Which delay dominates: off-chip floor, NoC (ingress/egress) or compute, summed over cases."""
    if not top.total_occurrences or "compute" not in top.delay_sum:
        return "none"
    compute = top.delay_sum["compute"]
    noc = max(top.delay_sum["ingress"], top.delay_sum["egress"])
    offchip = top.offchip_floor * top.total_occurrences
    if offchip >= max(compute, noc):
        return "off-chip"
    return "NoC" if noc > compute else "compute"


def _l2_energy_terms(m: LayerMetrics) -> int:
    return m.l2_read["input"] + m.l2_write["input"] + m.l2_read["weight"] + m.l2_write["weight"] + \
        m.l2_write["output"]


class AccessCounts(Protocol):
    """The counts energy is made of: a layer's metrics and a cost-model level result both have them."""

    macs: int
    l1_read: dict[str, int]
    l1_write: dict[str, int]
    l2_read: dict[str, int]
    l2_write: dict[str, int]


def noc_transfers(counts: AccessCounts) -> int:
    """Elements crossing the NoC: input and weight sent from L2 to the PEs (a multicast once), outputs sent back."""
    return counts.l2_read["input"] + counts.l2_read["weight"] + counts.l2_write["output"]


def offchip_transfers(counts: AccessCounts, outputs: int) -> int:
    """Elements between off-chip memory and L2: the input and weight filled into L2 once, the ``outputs``
    written out once (MAESTRO's model keeps every tensor in L2, so nothing is fetched twice)."""
    return counts.l2_write["input"] + counts.l2_write["weight"] + outputs


def energy_breakdown(counts: AccessCounts, outputs: int, hardware: HardwareSpec) -> dict[str, float]:
    """maestroc's energy (nJ): every MAC, every L1 and L2 access of each tensor, every NoC and off-chip transfer.

    The one place of the energy formula (compile, JSON, report, compare and the DSE use it);
    docs/energy.md gives the terms and their units. The NoC and off-chip terms are 0 unless the
    hardware file gives ``noc_energy`` / ``offchip_energy``, so MAESTRO's table alone gives its numbers.
    """
    unit = hardware.mac_energy
    parts = {"mac": unit * counts.macs}
    for tensor in TENSORS:
        parts[f"l1_{tensor}"] = unit * hardware.l1_energy_multiplier * (counts.l1_read[tensor]
                                                                         + counts.l1_write[tensor])
        parts[f"l2_{tensor}"] = unit * hardware.l2_energy_multiplier * (counts.l2_read[tensor]
                                                                         + counts.l2_write[tensor])
    parts["noc"] = hardware.noc_energy * noc_transfers(counts)
    parts["offchip"] = hardware.offchip_energy * offchip_transfers(counts, outputs)
    return parts


def apply_energy(layers: list[LayerMetrics], hardware: HardwareSpec, maestro_quirk: bool = True) -> None:
    """M21 energy (MAESTRO's column) and maestroc's breakdown, in network order.

    MAESTRO's "Activity count-based Energy" leaves out the MAC energy and the output
    L2 read, and, for a layer with more than one analysis result, takes its L1 terms
    from the previous layer (0 for the first). ``maestro_quirk=False`` uses the
    layer's own L1 counts (docs/deviations.md).
    """
    carried_l1 = 0
    for m in layers:
        own_l1 = m.l1_accesses
        l1_terms = carried_l1 if (maestro_quirk and m.multi_level) else own_l1
        m.maestro_energy = hardware.mac_energy * (hardware.l2_energy_multiplier * _l2_energy_terms(m)
                                                  + hardware.l1_energy_multiplier * l1_terms)
        carried_l1 = own_l1
        m.energy_breakdown = energy_breakdown(m, m.output_elements, hardware)


def evaluate_network(network: NetworkIR, hardware: HardwareSpec, maestro_quirk: bool = True) -> list[LayerMetrics]:
    """Metrics of every legal layer of a sized network, in order (energy carried as MAESTRO does)."""
    algebra = IntegerAlgebra.of(hardware)
    layers = []
    for layer in network.layers:
        if layer.name in network.illegal or not layer.levels:
            continue
        layers.append(evaluate_layer(layer_cost(layer, algebra), hardware, layer.name, layer.maestro_name,
                                     layer.layer_type, output_elements(layer)))
    apply_energy(layers, hardware, maestro_quirk)
    return layers
