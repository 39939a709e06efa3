"""One call from files to numbers, shared by the CLI, the benchmarks, the tests and notebooks.

    import maestroc
    result = maestroc.compile("net.m", hw="hw.m")      # or hw={"num_pes": 256, "noc_bw": 64}
    result.totals["runtime"], result.to_records()      # result.to_pandas() with pandas installed
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from maestroc.diagnostics import Diagnostics, InputError
from maestroc.frontend import load_hardware, load_mapping
from maestroc.hardware import HardwareSpec
from maestroc.ir import NetworkIR
from maestroc.metrics import LayerMetrics, evaluate_network
from maestroc.passes import PIPELINE
from maestroc.pipeline import PassContext, run_pipeline


@dataclass
class CompileResult:
    network: NetworkIR
    hardware: HardwareSpec
    layers: list[LayerMetrics]
    diagnostics: Diagnostics

    @property
    def totals(self) -> dict[str, object]:
        from maestroc.report import totals

        return totals(self.layers)

    def to_records(self) -> list[dict[str, object]]:
        """One flat dict per layer: every metric, per-tensor counts as ``input_l2_read`` etc."""
        records = []
        for m in self.layers:
            record: dict[str, object] = {
                "layer": m.name, "type": m.layer_type, "runtime": m.runtime, "macs": m.macs,
                "throughput": m.throughput, "utilization": m.avg_pes / m.num_pes, "energy": m.energy,
                "maestro_energy": m.maestro_energy, "area": m.area, "power": m.power,
                "l1_size_req": m.l1_size_req, "l2_size_req": m.l2_size_req, "noc_bw_req": m.peak_bw,
                "avg_noc_bw_req": m.avg_bw, "offchip_bw_req": m.offchip_bw, "bound": m.bound}
            record.update({f"energy_{k}": v for k, v in m.energy_breakdown.items()})
            for tensor in ("input", "weight", "output"):
                for name, table in (("l1_read", m.l1_read), ("l1_write", m.l1_write), ("l2_read", m.l2_read),
                                    ("l2_write", m.l2_write)):
                    record[f"{tensor}_{name}"] = table[tensor]
            records.append(record)
        return records

    def to_pandas(self):  # type: ignore[no-untyped-def]
        """The records as a pandas DataFrame (pandas is not a dependency of maestroc)."""
        import pandas

        return pandas.DataFrame.from_records(self.to_records())


def lower(mapping_path: str, hardware: HardwareSpec, diagnostics: Diagnostics) -> NetworkIR | None:
    """Front end and pass pipeline: the sized, checked IR of a mapping file (None on input errors)."""
    tree = load_mapping(mapping_path, diagnostics)
    if tree is None or diagnostics.has_errors:
        return None
    result = run_pipeline(tree, PIPELINE, PassContext(diagnostics, hardware))
    return result.ir if isinstance(result.ir, NetworkIR) else None


def compile_files(mapping_path: str, hardware: str | HardwareSpec, maestro_energy_quirk: bool = True,
                  allow_illegal: bool = False) -> CompileResult:
    """Analyse a mapping file on a hardware file (or spec); raises InputError with diagnostics."""
    diagnostics = Diagnostics()
    spec = hardware if isinstance(hardware, HardwareSpec) else load_hardware(hardware, diagnostics)
    if spec is None:
        raise InputError(diagnostics)
    network = lower(mapping_path, spec, diagnostics)
    if network is None or (diagnostics.has_errors and not allow_illegal):
        raise InputError(diagnostics)
    return evaluate(network, spec, diagnostics, maestro_energy_quirk)


def evaluate(network: NetworkIR, hardware: HardwareSpec, diagnostics: Diagnostics | None = None,
             maestro_energy_quirk: bool = True) -> CompileResult:
    """The cost model on a network already lowered for ``hardware`` (the language server lowers as you type)."""
    layers = evaluate_network(network, hardware, maestro_energy_quirk)
    return CompileResult(network, hardware, layers, diagnostics or Diagnostics())


def hardware_spec(hw: str | HardwareSpec | dict[str, int | float] | None) -> HardwareSpec:
    """A hardware spec from a file path, a spec, or a dict of hardware-file keys or spec fields."""
    if hw is None:
        return HardwareSpec()
    if isinstance(hw, HardwareSpec):
        return hw
    if isinstance(hw, dict):
        from maestroc.hardware import HW_KEYS

        fields = {HW_KEYS[k].field if k in HW_KEYS else k: v for k, v in hw.items()}
        unknown = set(fields) - {f.name for f in dataclasses.fields(HardwareSpec)}
        if unknown:
            raise ValueError(f"unknown hardware keys: {sorted(unknown)}")
        return HardwareSpec(**fields)  # type: ignore[arg-type]
    diagnostics = Diagnostics()
    spec = load_hardware(hw, diagnostics)
    if spec is None:
        raise InputError(diagnostics)
    return spec


def compile(source: str, hw: str | HardwareSpec | dict[str, int | float] | None = None) -> CompileResult:  # noqa: A001
    """Analyse a mapping file (a path, or the text itself) on a hardware design.

    Raises :class:`maestroc.diagnostics.InputError` (with the diagnostics) on bad input.
    """
    spec = hardware_spec(hw)
    if os.path.exists(source) or ("{" not in source and source.endswith(".m")):
        return compile_files(source, spec)
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "network.m")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(source)
        return compile_files(path, spec)


def dse(network: str, space: str | None = None, set: list[str] | tuple[str, ...] = (),  # noqa: A002
        objectives: list[str] | None = None, hw: str | HardwareSpec | dict | None = None, workers: int = 1,
        time_budget: float | None = None, max_designs: int | None = None):  # type: ignore[no-untyped-def]
    """Explore a design space (see docs/dse.md); returns an ExplorationResult with ``front`` and counts."""
    from maestroc.exploration import explore
    from maestroc.space import load_space

    diagnostics = Diagnostics()
    tree = load_mapping(network, diagnostics)
    if tree is None:
        raise InputError(diagnostics)
    design_space = load_space(space, list(set), objectives, hardware_spec(hw))
    design_space.check({c.name for c in tree.constants})
    return explore(network, tree, design_space, workers=workers, time_budget=time_budget, max_designs=max_designs)
