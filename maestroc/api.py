"""One call from files to numbers, shared by the CLI, the benchmarks and the tests."""

from __future__ import annotations

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
