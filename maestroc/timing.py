"""The hardware-dependent half of the cost model: delays, runtime and bandwidths, in an algebra.

maestroc.costmodel turns a layer shape into each level's hardware-independent
counts and processed iteration cases (cached per shape). This module folds those
cases into the quantities that depend on the NoC bandwidth and latency, the
off-chip bandwidth and the SIMD lanes (docs/costmodel.md M12-M17; with
``noc_topology: systolic`` a systolic array's case delays, maestroc.systolic), over an algebra
(maestroc.algebra): exact ints for one design, int64 arrays for a grid of designs
(maestroc.engine), sympy expressions for ``--emit reuse``. The fold is a few
operations per case, so a new design, or a whole grid of them, costs microseconds
once the shape's cases are known.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from maestroc.algebra import Algebra
from maestroc.costmodel import (BoundedCache, Dims, LayerAnalysis, LayerCost, LevelResult, Value, shape_key,
                                structure_of)
from maestroc.ir import LayerIR
from maestroc import systolic
from maestroc.systolic import SystolicArray, array_of


@dataclass
class _Delays:
    """The delays of the cases of one kind (equal volumes and sub-levels), and their occurrences."""

    delay: Value
    ingress: Value
    egress: Value
    clamped: Value  # the compute delay, at least 1
    traffic: int  # the larger of ingress and egress
    occurrences: int = 0


class Fold:
    """One algebra's results for the levels of one analysis (memoised per level chunk).

    ``shared`` (with ``algebra_key`` naming the algebra's values) lets folds of other
    layer shapes reuse the results of sub-levels they have in common. Without
    ``statistics`` the per-kind delay minimum, maximum and sum (CSV columns) are left
    out: the DSE needs only runtimes and bandwidths. The algebra's ``noc_topology`` picks the case
    delays: MAESTRO's (M14) or the systolic array's (maestroc.systolic); it is part of every cache key.
    """

    def __init__(self, analysis: LayerAnalysis, algebra: Algebra, shared: BoundedCache | None = None,
                 algebra_key: tuple = (), statistics: bool = True) -> None:
        self.analysis = analysis
        self.algebra = algebra
        self.statistics = statistics
        self.shared = shared
        self.algebra_key = algebra_key
        self.results: dict[tuple[int, Dims], LevelResult] = {}
        self.array = array_of(analysis) if algebra.noc_topology == "systolic" else None

    def top(self) -> LevelResult:
        return self.level(0, None)

    def level(self, level: int, dims: Dims | None) -> LevelResult:
        key = (level, self.analysis.top_dims if dims is None else dims)
        if key not in self.results:
            if self.shared is None or level == 0:
                self.results[key] = self._fold(*key)
            else:
                self.results[key] = self.shared.get((self.algebra_key, self.algebra.noc_topology,
                                                     self.analysis.sub_level_key(*key)),
                                                    lambda: self._fold(*key))
        return self.results[key]

    def _fold(self, level: int, dims: Dims) -> LevelResult:
        alg = self.algebra
        tdiv, cdiv, vmax, vmin, vsum = alg.tdiv, alg.cdiv, alg.vmax, alg.vmin, alg.vsum
        structure = self.analysis.cases(level, dims)
        counts = structure.counts
        innermost = level == len(self.analysis.levels) - 1
        l2_in = counts.l2_req["input"] + counts.l2_req["weight"]
        l2_out = counts.l2_req["output"]
        in_off, out_off = offchip_floors(alg, counts.l2_req) if level == 0 else (0, 0)
        offchip_terms: list[Value] = []
        bw_terms: list[Value] = []
        # Cases with equal volumes and sub-levels have equal delays: each is built once and
        # weighted by the summed occurrences (sums are linear in them; max and min ignore repeats).
        kinds: dict[tuple, _Delays] = {}
        for case in structure.cases:
            signature = (case.ingress, case.weight_ingress, case.egress, case.partial_sums, case.subs, case.all_init)
            same = kinds.get(signature)
            if same is None:
                if innermost:
                    compute: Value = cdiv(case.partial_sums, alg.num_simd_lanes)
                else:
                    compute = vmax(*(self.level(*key).runtime for key in case.subs))
                floors = (in_off, out_off) if level == 0 else None
                delay, ingress_delay, egress_delay = case_delay(alg, compute, case.ingress, case.weight_ingress,
                                                                case.egress, case.all_init, floors,
                                                                self.array, level)
                same = kinds[signature] = _Delays(delay, ingress_delay, egress_delay, vmax(compute, 1),
                                                  max(case.ingress, case.egress))
            same.occurrences += case.occurrences
            if level == 0:
                # M16: a running maximum, halved after every case (MAESTRO divides by the
                # unclamped compute delay and crashes on 0; maestroc uses the clamped one).
                offchip_terms.append(vmax(tdiv(l2_out, same.clamped), tdiv(l2_in, same.clamped)))
            bw_terms.append(tdiv(case.occurrences * same.traffic, same.clamped))
        runtimes = [same.occurrences * same.delay for same in kinds.values()]
        peak_terms = [tdiv(same.traffic, same.clamped) for same in kinds.values()]
        delays: dict[str, list[tuple[int, Value]]] = {"ingress": [], "egress": [], "compute": []}
        if self.statistics:
            for same in kinds.values():
                delays["ingress"].append((same.occurrences, same.ingress))
                delays["egress"].append((same.occurrences, same.egress))
                delays["compute"].append((same.occurrences, same.clamped))
        delay_min, delay_max, delay_sum = {}, {}, {}
        for kind, values in delays.items():
            if values:
                delay_min[kind] = vmin(*(v for _, v in values))
                delay_max[kind] = vmax(*(v for _, v in values))
                delay_sum[kind] = vsum([occ * v for occ, v in values])
        return replace(counts, runtime=vsum(runtimes), peak_bw=vmax(0, *peak_terms), avg_bw_sum=vsum(bw_terms),
                       offchip_bw=halving_max(alg, offchip_terms, max(l2_out, l2_in)), offchip_floor=vmax(in_off, out_off), delay_min=delay_min,
                       delay_max=delay_max, delay_sum=delay_sum)


def offchip_floors(alg: Algebra, l2_req: dict[str, Value]) -> tuple[Value, Value]:
    """M14: the top level's per-case off-chip floors, set by filling L2 (input and weight) and draining it (output)."""
    return (alg.tdiv(alg.tdiv(l2_req["input"] + l2_req["weight"], alg.offchip_bw), 2),
            alg.tdiv(alg.tdiv(l2_req["output"], alg.offchip_bw), 2))


def case_delay(alg: Algebra, compute: Value, ingress: Value, weight_ingress: Value, egress: Value, all_init: bool,
               floors: tuple[Value, Value] | None, array: SystolicArray | None = None,
               level: int = 0) -> tuple[Value, Value, Value]:
    """A case's delay from its compute delay and NoC traffic, with its ingress and egress delays (M12).

    MAESTRO's timing (M14): the first (all-Init) case fills before it computes; every other
    overlaps the three. On a systolic ``array`` (``noc_topology: systolic``) the rules of
    maestroc.systolic replace that combination; ``weight_ingress`` is the weight's part of
    ``ingress``. ``floors`` (the top level's off-chip floors) bound the delay from below.
    """
    ingress_delay = alg.noc_latency + alg.cdiv(ingress, alg.noc_bw) - 1
    egress_delay = alg.noc_latency + alg.cdiv(egress, alg.noc_bw) - 1
    if array is None:
        delay = compute + ingress_delay if all_init else alg.vmax(egress_delay, compute, ingress_delay)
    else:
        delay = systolic.case_delay(alg, array, level, compute, ingress, weight_ingress, egress, all_init)
    if floors is not None:
        delay = alg.vmax(floors[0], delay, floors[1])
    return delay, ingress_delay, egress_delay


def halving_max(alg: Algebra, terms: list[Value], bound: int) -> Value:
    """M16's running maximum halved after every case, ``o = max(o, t) // 2`` for each term ``t``, in flat form.

    For non-negative integers ``max(o, t) // 2 == max(o // 2, t // 2)`` and ``(x // 2) // 2 == x // 4``,
    so the result is ``max(t_i // 2**(n - i))``. Written as the running recurrence, a sympy expression
    nests once per case and overflows the recursion limit on dataflows with thousands of cases; here
    it is one ``Max``. Every term is at most ``bound``, so the terms divided by more than ``bound`` are 0
    and left out.
    """
    count, deepest = len(terms), max(bound, 1).bit_length() - 1  # 2**deepest <= bound < 2**(deepest + 1)
    return alg.vmax(0, *(alg.tdiv(term, 2 ** (count - i)) for i, term in enumerate(terms) if count - i <= deepest))


@lru_cache(maxsize=4096)
def folded(shape: LayerIR, algebra: Algebra) -> Fold:
    """The (cached) results of a layer shape in a hashable algebra (one design, or the symbols)."""
    fold = Fold(structure_of(shape), algebra)
    fold.top()
    return fold


def layer_cost(layer: LayerIR, algebra: Algebra) -> LayerCost:
    """The cost of a sized, legal layer in ``algebra``; layers of the same shape share one analysis."""
    return LayerCost(top=folded(shape_key(layer), algebra).top(), declared=layer.declared,
                     tensor_dims={t.name: t.dims for t in layer.tensors})
