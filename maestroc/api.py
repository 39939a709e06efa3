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
    layers = evaluate_network(network, spec, maestro_energy_quirk)
    return CompileResult(network, spec, layers, diagnostics)


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


def dse(network: str, space: str | None = None, set: str | list[str] | tuple[str, ...] = (),  # noqa: A002
        objectives: list[str] | None = None, hw: str | HardwareSpec | dict | None = None, workers: int = 1,
        time_budget: float | None = None, max_designs: int | None = None, area_budget: float | None = None,
        power_budget: float | None = None, memory: int | None = None):  # type: ignore[no-untyped-def]
    """Explore a design space (see docs/dse.md); returns an ExplorationResult with ``front`` and counts.

    ``network`` is a mapping file's path or its text; ``set`` one ``NAME=SPEC`` or a list of them.
    Raises :class:`maestroc.diagnostics.InputError` (with the diagnostics) on bad input, exactly
    where the command line reports an input error.
    """
    import tempfile

    from maestroc.dse_grid import DEFAULT_MEMORY

    assignments = [set] if isinstance(set, str) else list(set)
    if os.path.exists(network) or ("{" not in network and network.endswith(".m")):
        return _dse_file(network, space, assignments, objectives, hw, workers, time_budget, max_designs,
                         area_budget, power_budget, memory or DEFAULT_MEMORY)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "network.m")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(network)
        return _dse_file(path, space, assignments, objectives, hw, workers, time_budget, max_designs,
                         area_budget, power_budget, memory or DEFAULT_MEMORY)


def _dse_file(network: str, space: str | None, assignments: list[str], objectives: list[str] | None,
              hw: str | HardwareSpec | dict | None, workers: int, time_budget: float | None,
              max_designs: int | None, area_budget: float | None, power_budget: float | None,
              memory: int):  # type: ignore[no-untyped-def]
    from maestroc.dse_run import explore, nothing_to_explore
    from maestroc.space import SpaceError, load_space

    diagnostics = Diagnostics()
    tree = load_mapping(network, diagnostics)
    if tree is None:
        raise InputError(diagnostics)
    problem = nothing_to_explore(network, tree, space, assignments)
    if problem.has_errors:
        raise InputError(problem)
    try:
        design_space = load_space(space, assignments, objectives, hardware_spec(hw))
        for name, budget in (("area", area_budget), ("power", power_budget)):
            if budget is not None:
                design_space.set_constraint(name, budget, label=f"{name}_budget")
        design_space.check({c.name for c in tree.constants})
        return explore(network, tree, design_space, workers=workers, time_budget=time_budget,
                       max_designs=max_designs, memory=memory)
    except SpaceError as error:
        raise InputError(error.diagnostics()) from error
