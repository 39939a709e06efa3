"""One call from files to numbers, shared by the CLI, the benchmarks, the tests and notebooks.

    import maestroc
    result = maestroc.compile("net.m", hw="hw.m")      # or hw={"num_pes": 256, "noc_bw": 64}
    result.totals["runtime"], result.to_records()      # result.to_pandas() with pandas installed

Inputs are checked exactly as the CLI checks them (the CLI calls these functions): bad input
raises :class:`maestroc.InputError`, whose ``diagnostics`` are the ones the CLI prints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from maestroc import ast, install_hint
from maestroc.coverage import network_gaps, report_gaps
from maestroc.diagnostics import Diagnostics, InputError, Span
from maestroc.frontend import load_file, load_hardware, load_source
from maestroc.hardware import HardwareSpec, build_hardware, spec_from_dict
from maestroc.ir import NetworkIR
from maestroc.parser import parse_source, source_from_text
from maestroc.passes import PIPELINE
from maestroc.pipeline import PassContext, run_pipeline

if TYPE_CHECKING:  # the cost model (and sympy) load only when a network is analysed: lint starts fast
    from maestroc.metrics import LayerMetrics

Source = str | os.PathLike[str]
Hardware = Source | HardwareSpec | Mapping[str, object] | None


@dataclass
class CompileResult:
    network: NetworkIR
    hardware: HardwareSpec
    layers: list[LayerMetrics]
    diagnostics: Diagnostics  # warnings, among them C401-C404 for exceeded hardware limits

    @property
    def totals(self) -> dict[str, object]:
        from maestroc.report import totals

        return totals(self.layers)

    def to_records(self) -> list[dict[str, object]]:
        """One flat dict per layer: every metric, per-tensor counts as ``input_l2_read`` etc.

        ``exceeds`` lists the hardware limits the layer exceeds (C401 L1, C402 L2, C403 NoC, C404 off-chip).
        """
        from maestroc.report import capacity_findings

        records = []
        for m in self.layers:
            record: dict[str, object] = {
                "layer": m.name, "type": m.layer_type, "runtime": m.runtime, "macs": m.macs,
                "throughput": m.throughput, "utilization": m.avg_pes / m.num_pes, "energy": m.energy,
                "maestro_energy": m.maestro_energy, "area": m.area, "power": m.power,
                "l1_size_req": m.l1_size_req, "l2_size_req": m.l2_size_req, "noc_bw_req": m.peak_bw,
                "avg_noc_bw_req": m.avg_bw, "offchip_bw_req": m.offchip_bw, "bound": m.bound,
                "exceeds": [code for code, _, _ in capacity_findings(m, self.hardware)]}
            record.update({f"energy_{k}": v for k, v in m.energy_breakdown.items()})
            for tensor in ("input", "weight", "output"):
                for name, table in (("l1_read", m.l1_read), ("l1_write", m.l1_write), ("l2_read", m.l2_read),
                                    ("l2_write", m.l2_write)):
                    record[f"{tensor}_{name}"] = table[tensor]
            records.append(record)
        return records

    def to_pandas(self):  # type: ignore[no-untyped-def]
        """The records as a pandas DataFrame (the optional extra ``pandas``)."""
        try:
            import pandas
        except ModuleNotFoundError:
            raise ModuleNotFoundError(f"to_pandas() needs pandas: {install_hint('pandas')}; "
                                      "to_records() gives the same rows without it", name="pandas") from None

        return pandas.DataFrame.from_records(self.to_records())


def _is_text(source: Source, markers: str) -> bool:
    """Whether ``source`` is a file's text rather than its path: no such file, and a newline or a marker in it."""
    if not isinstance(source, str) or os.path.exists(source):
        return False
    return any(mark in source for mark in "\n" + markers)


def _checked_source(source: object, what: str) -> Source:
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"{what} must be a path or the file's text, not {type(source).__name__}")
    return source


def load_network(source: Source, diagnostics: Diagnostics, dataflow: Source | None = None,
                 dataflow_for: Mapping[str, Source] | None = None) -> ast.MappingFile | None:
    """A checked network to analyse: a mapping file, or a model file completed by templates.

    ``source`` is a path or the file's text. ``dataflow`` is the template for layers without a Dataflow;
    ``dataflow_for`` maps a layer name, a glob of layer names or a layer type to a template. None, with
    diagnostics, when the input has errors or holds no ``Network``.
    """
    source = _checked_source(source, "the network")
    if _is_text(source, "{;"):
        tree = load_source(source_from_text(str(source), "<network>"), diagnostics)
        path = "<network>"
    else:
        path = os.fspath(source)
        tree = load_file(path, diagnostics)
    if tree is None or diagnostics.has_errors:
        return None
    if not isinstance(tree, ast.MappingFile) or not tree.networks:
        hint = " (give hardware files with --hw)" if tree.kind == "hw" else ""
        kind = {"hw": "hardware", "template": "dataflow template"}.get(tree.kind, tree.kind)  # words, not kind names
        diagnostics.error("E004", f"no `Network` to analyse: this is a {kind} file{hint}", path=path)
        return None
    if not has_layers(tree, diagnostics):
        return None
    if dataflow is None and not dataflow_for:
        return tree
    from maestroc.templates import assign, load_choice, merged_tree

    rules = [(pattern, os.fspath(_checked_source(p, "a template"))) for pattern, p in (dataflow_for or {}).items()]
    choice = load_choice(os.fspath(_checked_source(dataflow, "a template")) if dataflow is not None else None,
                         rules, diagnostics)
    assignment = assign(tree, choice, diagnostics) if choice else None
    return merged_tree(tree, assignment, diagnostics) if assignment is not None else None


def has_layers(tree: ast.MappingFile, diagnostics: Diagnostics) -> bool:
    """False, with E007 at ``Network NAME``, when the file's network has no layers: it has no numbers, so every
    command that analyses one (compile, lint, dse, map, compare, apply-dataflow) stops rather than print an
    empty table; the language server shows the same error. True for a file without a network (E004 speaks of
    those)."""
    empty = [network for network in tree.networks if not network.layers]
    for network in empty:
        start, name = network.span, network.name_span
        where = Span(start.path, start.line, start.column, name.end_line, name.end_column)
        diagnostics.error("E007", f"network `{network.name}` has no layers: nothing to analyse", where,
                          helps=["add a layer inside its `{ }`, e.g. `Layer L1 { Type: CONV "
                                 "Dimensions { K: 16, C: 3, R: 3, S: 3, Y: 32, X: 32 } }`"])
    return not empty


def hardware_spec(hw: Hardware) -> HardwareSpec:
    """A hardware spec from a file path (or a hardware file's text), a spec, or a dict of keys or fields.

    Raises InputError (a HardwareError for a dict) with the diagnostics when a value is wrong.
    """
    if hw is None:
        return HardwareSpec()
    if isinstance(hw, HardwareSpec):
        return hw
    if isinstance(hw, Mapping):
        return spec_from_dict(hw)
    source = _checked_source(hw, "hw")
    diagnostics = Diagnostics()
    if _is_text(source, ":"):
        tree = parse_source(source_from_text(str(source), "<hardware>"), diagnostics, "hw")
        spec = build_hardware(tree, diagnostics) if isinstance(tree, ast.HardwareFile) else None
    else:
        spec = load_hardware(os.fspath(source), diagnostics)
    if spec is None or diagnostics.has_errors:
        raise InputError(diagnostics)
    return spec


def report_capacity(network: NetworkIR, hardware: HardwareSpec, layers: list[LayerMetrics],
                    diagnostics: Diagnostics, strict: bool = False) -> None:
    """One diagnostic per exceeded hardware limit (C401-C404), at the worst layer; errors when ``strict``."""
    from maestroc.report import capacity_findings

    by_code: dict[str, list[tuple[int, str, str]]] = {}
    for m in layers:
        for code, message, need in capacity_findings(m, hardware):
            by_code.setdefault(code, []).append((need, m.name, message))
    spans = {layer.name: layer.span for layer in network.layers}
    for code, items in sorted(by_code.items()):
        need, worst, message = max(items)
        names = ", ".join(f"`{name}`" for _, name, _ in items[:4]) + (", ..." if len(items) > 4 else "")
        add = diagnostics.error if strict else diagnostics.warning
        add(code, message + (f" ({len(items)} layers exceed it: {names})" if len(items) > 1 else ""), spans[worst],
            helps=[] if strict else ["marked with `!` in the report; --strict makes this an error"])


def analyse(tree: ast.MappingFile, spec: HardwareSpec, diagnostics: Diagnostics | None = None, *,
            maestro_energy_quirk: bool = True, allow_illegal: bool = False, strict: bool = False) -> CompileResult:
    """Pass pipeline, cost model and hardware-limit checks of a checked network; InputError on errors."""
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    result = run_pipeline(tree, PIPELINE, PassContext(diagnostics, spec))
    network = result.ir
    if not isinstance(network, NetworkIR) or (diagnostics.has_errors and not allow_illegal):
        raise InputError(diagnostics)
    result = evaluate(network, spec, diagnostics, maestro_energy_quirk=maestro_energy_quirk, strict=strict)
    if strict and diagnostics.has_errors:
        raise InputError(diagnostics)
    return result


def evaluate(network: NetworkIR, spec: HardwareSpec, diagnostics: Diagnostics | None = None, *,
             maestro_energy_quirk: bool = True, strict: bool = False) -> CompileResult:
    """The cost model and its checks (hardware limits, coverage) on a network already lowered for ``spec``.

    The language server calls it on the network it lowers as you type.
    """
    from maestroc.metrics import evaluate_network
    from maestroc.systolic import report_pipelines

    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    layers = evaluate_network(network, spec, maestro_energy_quirk)
    report_capacity(network, spec, layers, diagnostics, strict)
    report_pipelines(network, spec, diagnostics, strict)
    report_gaps(network_gaps(network), diagnostics, strict=strict)
    return CompileResult(network, spec, layers, diagnostics)


def compile_files(mapping_path: str, hardware: str | HardwareSpec, maestro_energy_quirk: bool = True,
                  allow_illegal: bool = False) -> CompileResult:
    """Analyse a mapping file on a hardware file (or spec); raises InputError with diagnostics."""
    spec = hardware_spec(hardware)
    diagnostics = Diagnostics()
    tree = load_network(mapping_path, diagnostics)
    if tree is None:
        raise InputError(diagnostics)
    return analyse(tree, spec, diagnostics, maestro_energy_quirk=maestro_energy_quirk, allow_illegal=allow_illegal)


def compile(source: Source, hw: Hardware = None, *, dataflow: Source | None = None,
            dataflow_for: Mapping[str, Source] | None = None, strict: bool = False) -> CompileResult:
    """Analyse a network (a path, or the file's text) on a hardware design (path, text, dict or spec).

    A model file needs ``dataflow`` (a template) and/or ``dataflow_for`` ({layer name, glob or type:
    template}). ``strict`` makes an exceeded hardware limit an error. Raises :class:`maestroc.InputError`
    with the diagnostics on bad input; warnings (e.g. C401-C404) are in the result's ``diagnostics``.
    """
    spec = hardware_spec(hw)
    diagnostics = Diagnostics()
    tree = load_network(source, diagnostics, dataflow, dataflow_for)
    if tree is None:
        raise InputError(diagnostics)
    return analyse(tree, spec, diagnostics, strict=strict)


def dse(network: Source, space: Source | None = None, set: str | list[str] | tuple[str, ...] = (),  # noqa: A002
        objectives: str | list[str] | None = None, hw: Hardware = None, workers: int = 1,
        time_budget: float | None = None, max_designs: int | None = None, area_budget: float | None = None,
        power_budget: float | None = None, memory: int | None = None):  # type: ignore[no-untyped-def]
    """Explore a design space (see docs/dse.md); returns an ExplorationResult with ``front`` and counts.

    ``network`` is a path or the file's text; ``set`` one ``NAME=SPEC`` or a list of them (as ``--set``);
    ``objectives`` one name or a list. Raises InputError (with the diagnostics) on bad input, exactly where
    the command line reports an input error.
    """
    import tempfile

    from maestroc.dse_grid import DEFAULT_MEMORY
    from maestroc.dse_run import check_limits, explore, nothing_to_explore
    from maestroc.space import SpaceError, load_space

    assignments = [set] if isinstance(set, str) else list(set)
    wanted = [objectives] if isinstance(objectives, str) else objectives
    if not all(isinstance(a, str) for a in assignments) or not all(isinstance(o, str) for o in wanted or []):
        raise TypeError("set and objectives take a string or a list of strings")
    diagnostics = Diagnostics()
    tree = load_network(network, diagnostics)
    if tree is None:
        raise InputError(diagnostics)
    space_path = os.fspath(space) if space is not None else None
    problem = nothing_to_explore(tree.path, tree, space_path, assignments)
    if problem.has_errors:
        raise InputError(problem)
    try:
        design_space = load_space(space_path, assignments, wanted, hardware_spec(hw))
        for name, budget in (("area", area_budget), ("power", power_budget)):
            if budget is not None:
                design_space.set_constraint(name, budget, label=f"{name}_budget")
        design_space.check({c.name for c in tree.constants})
        check_limits(time_budget, max_designs, memory or DEFAULT_MEMORY)
    except SpaceError as error:
        raise InputError(error.diagnostics()) from error

    def run(path: str):  # type: ignore[no-untyped-def]
        return explore(path, tree, design_space, workers=workers, time_budget=time_budget,
                       max_designs=max_designs, memory=memory or DEFAULT_MEMORY)

    if tree.path != "<network>":
        return run(tree.path)
    with tempfile.TemporaryDirectory() as folder:  # worker processes read the network from a file
        path = os.path.join(folder, "network.m")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(str(network))
        return run(path)


def map(network: Source, hw: Hardware = None, *, objectives: str | list[str] = "edp",
        space: Source | None = None, time_budget: float | None = None, max_mappings: int | None = None,
        templates: list[str] | None = None, workers: int = 1, dask: bool = False, scheduler: str | None = None,
        scheduler_timeout: float = 10.0, exhaustive: bool = False, stop=None,
        progress=None):  # type: ignore[no-untyped-def]
    """Search each layer's mapping space (docs/mapping.md); returns a ``maestroc.mapping.network.MapResult``.

    ``network`` is a model or mapping file (path or text); ``objectives`` one of runtime, energy, edp or a
    list (the first ranks the best, all of them make the per-layer fronts); ``space`` a mapping-space TOML
    file; ``time_budget`` seconds for the whole network and ``max_mappings`` per layer stop the search
    early (the result says so); ``templates`` the sample dataflow files that are baselines and points of the
    space (default: the sample dataflows of samples/dataflows, installed with maestroc); ``workers``
    processes search layer shapes, and parts of each, side by side (the result is the same for any count),
    or the workers of a local Dask cluster with ``dask``, or a Dask cluster at ``scheduler``
    (docs/distributed.md); ``exhaustive`` evaluates every mapping in full instead of deciding most by the
    rules and a proven lower bound (docs/mapping.md "Pruning"): the same result, more slowly; ``stop`` a
    ``threading.Event`` that stops it (the CLI sets it on Ctrl-C); ``progress(event)`` gets a
    ``maestroc.mapping.network.MapProgress`` after each batch. Raises InputError on bad input.
    """
    import threading
    import time

    from maestroc.mapping.inputs import checked_run_options, map_inputs, worker_pool
    from maestroc.mapping.network import map_network
    from maestroc.mapping.parallel import Workers
    from maestroc.mapping.outcome import Budget

    wanted = checked_run_options(objectives, time_budget, max_mappings, workers, scheduler_timeout)
    given = map_inputs(network, hw, space, templates)
    budget = Budget(deadline=time.monotonic() + time_budget if time_budget is not None else None,
                    max_mappings=int(max_mappings) if max_mappings is not None else None,
                    stop=stop if stop is not None else threading.Event())
    where = Workers(workers, dask, scheduler, scheduler_timeout)
    pool = worker_pool(where) if where.parallel else None
    return map_network(given.tree, given.hardware, given.settings, wanted, budget, given.templates, progress, pool,
                       prune=not exhaustive)


def map_space(network: Source, hw: Hardware = None, *, space: Source | None = None,
              templates: list[str] | None = None) -> str:
    """What ``maestroc map`` would search, per distinct layer shape, with its size (``--explain-space``)."""
    from maestroc.mapping.explain import explain_space
    from maestroc.mapping.inputs import map_inputs

    given = map_inputs(network, hw, space, templates)
    return explain_space(given.tree, given.hardware, given.settings, given.templates)
