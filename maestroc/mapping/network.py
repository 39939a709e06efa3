"""Mapping a whole network: each distinct layer shape searched once, with its baseline.

The baseline of a layer is the dataflow the input file gives it (a mapping file)
when that one is valid, else the best of the sample templates valid for the layer. Both are also points of
the search (so the found mapping is never worse than the baseline).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from maestroc import ast
from maestroc.diagnostics import Diagnostics
from maestroc.hardware import HardwareSpec
from maestroc.ir import LayerIR, NetworkIR
from maestroc.mapping.lowering import base_layers
from maestroc.mapping.parallel import ShapeTask
from maestroc.mapping.outcome import Budget, Directives, Found, LayerSearch
from maestroc.mapping.search import search_layer
from maestroc.mapping.space import SpaceSettings, space_size
from maestroc.passes.resolve import lower_directives as resolve_directives
from maestroc.templates import Template, load_template

SAMPLE_TEMPLATES = Path(__file__).resolve().parents[2] / "samples" / "dataflows"  # in a source checkout
INSTALLED_TEMPLATES = Path(__file__).resolve().parents[1] / "dataflows"  # the same files, installed (pyproject.toml)


@dataclass(frozen=True)
class MapProgress:
    """What a progress display needs, after each batch of a shape's search (and when it finishes)."""

    layer: str  # the layer whose shape is being searched
    shape: int  # its index among the network's distinct shapes (from 0)
    shapes: int  # distinct shapes of the network
    considered: int  # mappings of this shape met so far: evaluated, or decided by a rule or a bound
    size: int  # mappings of this shape's space (at most --max-mappings)
    finished: bool = False


@dataclass
class LayerMapping:
    """One layer's outcome: the search (shared with layers of the same shape) and the baseline."""

    name: str
    layer_type: str
    search: LayerSearch
    baseline: Found | None
    searched_as: str | None = None  # the layer of the same shape whose search this one reuses


@dataclass
class MapResult:
    """What ``maestroc map`` found for a network (``maestroc.mapping.output.summary`` makes summary.json)."""

    tree: ast.MappingFile  # the input, whose text mapped.m edits
    network: str
    path: str
    hardware: HardwareSpec
    objectives: tuple[str, ...]
    settings: SpaceSettings
    pruned: bool = True  # whether the search pruned (False: ``exhaustive``, every mapping evaluated in full)
    layers: list[LayerMapping] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def stopped(self) -> str | None:
        """Why some layer's search stopped early (None: every space was searched whole)."""
        return next((m.search.stopped for m in self.layers if m.search.stopped), None)

    @property
    def evaluated(self) -> int:
        """Mappings evaluated in full, over the distinct shapes."""
        return sum(m.search.evaluated for m in self.layers if m.searched_as is None)

    @property
    def considered(self) -> int:
        """Mappings met, over the distinct shapes: evaluated, or decided by a rule or a bound (docs/mapping.md)."""
        return sum(m.search.considered for m in self.layers if m.searched_as is None)


def load_templates(paths: list[str], diagnostics: Diagnostics) -> list[Template] | None:
    """The template files, checked; None (with the diagnostics) when one cannot be read or is no template."""
    loaded = [load_template(path, diagnostics) for path in paths]
    return None if any(t is None for t in loaded) else loaded  # type: ignore[return-value]


def template_directives(templates: list[Template], layer: LayerIR) -> list[tuple[str, Directives]]:
    """The templates that suit the layer's type, resolved for it (``Sz(D)`` evaluated)."""
    out = []
    for template in templates:
        if template.dims_outside(layer.layer_type):
            continue
        constants = {c.name: int(c.value.value) for c in template.tree.constants if isinstance(c.value, ast.Number)}
        directives = resolve_directives(template.dataflow.directives, constants, dict(layer.declared))
        out.append((os.path.basename(template.path), _without_spans(directives)))
    return out


def _without_spans(directives: Directives) -> Directives:
    return tuple(replace(d, span=None) for d in directives)


def default_templates() -> list[str]:
    """The sample dataflows: ``samples/dataflows`` of a source checkout, else the copy ``pip install .`` puts
    beside the package (package data ``maestroc.dataflows``), so an installed mapper has the same baselines."""
    folder = SAMPLE_TEMPLATES if SAMPLE_TEMPLATES.is_dir() else INSTALLED_TEMPLATES
    return sorted(str(p) for p in folder.glob("*.m"))


def _baseline(search: LayerSearch, objective: str) -> Found | None:
    """The input's own dataflow when it has a valid one, else the best valid sample template."""
    if search.templates.get("input") is not None:
        return search.templates["input"]
    return min((f for f in search.templates.values() if f is not None), key=lambda f: f.values[objective],
               default=None)


def _shape(layer: LayerIR) -> tuple:
    return (layer.layer_type, layer.dims, layer.stride, layer.tensors)


def shape_tasks(tree: ast.MappingFile, hardware: HardwareSpec, settings: SpaceSettings,
                templates: list[Template]) -> tuple[NetworkIR, list[tuple], dict[tuple, LayerIR], list[ShapeTask]]:
    """The network's layers, each layer's shape key, the first layer of each key, and per key the layer
    searched with its template points (the input's own dataflow, named ``input``, then the sample templates).
    A shape is the type, dimensions, strides and the input's dataflow: one search per shape (and --explain-space
    describes the same shapes and points)."""
    network = base_layers(tree, hardware)
    written = _input_dataflows(tree, hardware)
    keys = [_shape(layer) + ((written[layer.name],) if layer.name in written else ()) for layer in network.layers]
    first: dict[tuple, LayerIR] = {}
    for layer, key in zip(network.layers, keys):
        first.setdefault(key, layer)
    tasks = [(layer, tuple(([("input", written[layer.name])] if layer.name in written else []) +
                           (template_directives(templates, layer) if settings.templates else [])))
             for layer in first.values()]
    return network, keys, first, tasks


def map_network(tree: ast.MappingFile, hardware: HardwareSpec, settings: SpaceSettings,
                objectives: tuple[str, ...], budget: Budget, templates: list[Template],
                progress: Callable[[MapProgress], None] | None = None,
                pool=None, prune: bool = True) -> MapResult:  # type: ignore[no-untyped-def]
    """Search every distinct layer shape of the network; layers of one shape share the result.

    With a ``pool`` (maestroc.mapping.parallel.Workers.pool()), the shapes are searched on it, side by side.
    Without ``prune`` every mapping is evaluated in full (search_layer): the same result, more slowly.
    """
    start = time.monotonic()
    network, keys, first, tasks = shape_tasks(tree, hardware, settings, templates)
    sizes = [space_size(layer, hardware.num_pes, settings)[1] + len(candidates) for layer, candidates in tasks]
    if budget.max_mappings is not None:
        sizes = [min(size, budget.max_mappings) for size in sizes]

    def report(index: int, considered: int, finished: bool = False) -> None:
        if progress is not None:
            progress(MapProgress(tasks[index][0].name, index, len(tasks), considered, sizes[index], finished))

    if pool is not None:
        from maestroc.mapping.parallel import search_shapes

        searches = search_shapes(tasks, sizes, hardware, settings, objectives, budget, pool,
                                 lambda index, search: report(index, search.considered, True), prune)
    else:
        searches = []
        for index, (layer, candidates) in enumerate(tasks):
            counted = [0]

            def batch_done(count: int, index: int = index, counted: list[int] = counted) -> None:
                counted[0] += count
                report(index, counted[0])

            share = budget.share(sizes[index] / max(sum(sizes[index:]), 1))  # in proportion to its size
            search = search_layer(layer, hardware, settings, objectives, share,
                                  candidates, progress=batch_done if progress else None, prune=prune)
            report(index, search.considered, True)
            searches.append(search)
    by_key = {key: (layer.name, search) for (key, layer), search in zip(first.items(), searches)}
    result = MapResult(tree, network.name, tree.path, hardware, objectives, settings, pruned=prune)
    for layer, key in zip(network.layers, keys):
        name, search = by_key[key]
        result.layers.append(LayerMapping(layer.name, layer.layer_type, search, _baseline(search, objectives[0]),
                                          None if name == layer.name else name))
    result.seconds = time.monotonic() - start
    return result


def _input_dataflows(tree: ast.MappingFile, hardware: HardwareSpec) -> dict[str, Directives]:
    """Each layer's written directives in a mapping file, as resolve lowers them (a layer without a Dataflow
    has the copy N1 gives it), by layer name; the search checks their legality like any other point."""
    from maestroc.passes import PIPELINE
    from maestroc.pipeline import PassContext, run_pipeline

    result = run_pipeline(tree, PIPELINE[:1], PassContext(Diagnostics(), hardware))
    out = {}
    for layer in result.ir.layers:  # type: ignore[union-attr]
        if layer.directives:
            out[layer.name] = _without_spans(layer.directives)
    return out
