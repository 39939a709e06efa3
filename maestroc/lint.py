"""Lint rules: what makes a dataflow illegal (errors) or wasteful (warnings).

Each rule has a stable code (``L1xx`` errors, ``L2xx`` warnings), a name a user
can pass to ``--disable``/``--enable`` or silence in the source with
``// maestroc: disable=NAME`` on the line above (or at the end of) the directive,
and a check over one layer of the normalised IR. Error rules are what the
legality pass enforces: a layer with an error cannot be analysed. Every rule is
documented, with a bad and a good example, in docs/lint.md.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from math import prod
from typing import Callable, Iterable, Iterator

from maestroc.coverage import loop_causes, spatial_chunks, stride_causes
from maestroc.diagnostics import CODES, SOURCES, Diagnostic, Severity, Span
from maestroc.ir import LayerIR, Level, Loop, NetworkIR
from maestroc.layertypes import OUTPUT_DIMS, SLIDING

MAX_CLUSTER_DIRECTIVES = 3  # MAESTRO models 4 NoC levels: at most 3 user Clusters


@dataclass(frozen=True)
class Finding:
    span: Span | None
    message: str
    helps: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


Check = Callable[[LayerIR, NetworkIR], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    check: Check
    needs_hardware: bool = False
    enabled_by_default: bool = True


def _level_label(index: int) -> str:
    return f"level {index}"


def _levels(layer: LayerIR) -> Iterator[tuple[int, Level]]:
    return enumerate(layer.levels)


def _level_span(layer: LayerIR, index: int) -> Span:
    level = layer.levels[index]
    user = [loop.span for loop in level.loops if loop.span is not None]
    if user:
        return user[0]
    if index > 0 and layer.levels[index - 1].cluster and layer.levels[index - 1].cluster.span:
        return layer.levels[index - 1].cluster.span  # type: ignore[return-value]
    return layer.span


def check_no_spatial_map(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    for index, level in _levels(layer):
        if not level.spatial_loops:
            yield Finding(_level_span(layer, index),
                          f"{_level_label(index)} of layer `{layer.name}` has no SpatialMap: nothing is spread "
                          "across its sub-clusters",
                          helps=("map one dimension with `SpatialMap(size, offset) D;` at this level",))


def check_too_many_spatial_maps(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    for index, level in _levels(layer):
        spatial = level.spatial_loops
        if len(spatial) > 2:
            yield Finding(spatial[2].span or _level_span(layer, index),
                          f"{_level_label(index)} of layer `{layer.name}` has {len(spatial)} SpatialMaps; MAESTRO "
                          "models at most two per level (the second only as a reuse dimension)",
                          helps=("split the level with a `Cluster` directive",))


def check_dim_not_in_layer(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    dims = layer.dim_table()
    for index, level in _levels(layer):
        for loop in level.loops:
            if loop.from_user and loop.dim not in dims:
                yield Finding(loop.span, f"layer `{layer.name}` has no dimension `{loop.dim}`",
                              notes=(f"its dimensions: {' '.join(dims)}",),
                              helps=(f"declare `{loop.dim}` in `Dimensions` or remove this directive",))


def check_window_temporal_map(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    dims = layer.dim_table()
    for _, level in _levels(layer):
        for loop in level.loops:
            if loop.from_user and not loop.spatial and loop.dim in ("R", "S") and loop.dim in dims:
                full = dims[loop.dim]
                if loop.size != loop.offset:
                    yield Finding(loop.span, f"TemporalMap on `{loop.dim}` must have size = offset "
                                  f"(here {loop.size} and {loop.offset}); MAESTRO rejects this mapping",
                                  helps=(f"write `TemporalMap(Sz({loop.dim}),Sz({loop.dim})) {loop.dim};`",))
                elif loop.size != full:
                    yield Finding(loop.span, f"TemporalMap on `{loop.dim}` must cover the whole filter: size "
                                  f"{loop.size}, but `{loop.dim}` is {full}; MAESTRO rejects this mapping",
                                  helps=(f"write `TemporalMap(Sz({loop.dim}),Sz({loop.dim})) {loop.dim};`",))


def check_output_dim_without_window(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    for index, level in _levels(layer):
        for loop in level.loops:
            if loop.dim in OUTPUT_DIMS:
                window = SLIDING[OUTPUT_DIMS[loop.dim]]
                reason = (f"this level also maps `{OUTPUT_DIMS[loop.dim]}`" if level.find(OUTPUT_DIMS[loop.dim])
                          else f"it has no `{window}` directive")
                yield Finding(loop.span or _level_span(layer, index),
                              f"`{loop.dim}` cannot be converted to `{OUTPUT_DIMS[loop.dim]}` at "
                              f"{_level_label(index)}: {reason} (MAESTRO reads an uninitialised size here)",
                              helps=(f"add `TemporalMap(Sz({window}),Sz({window})) {window};` to this level",))


def check_cluster_exceeds_pes(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    hardware = network.hardware
    if hardware is None or not layer.levels:
        return
    clusters = [level.cluster for level in layer.levels if level.cluster is not None]
    total = prod(c.size for c in clusters)
    if clusters and total > hardware.num_pes:
        culprit = clusters[0]
        yield Finding(culprit.span or layer.span,
                      f"the Cluster sizes of layer `{layer.name}` need {total} PEs, but the hardware has "
                      f"{hardware.num_pes}: the top level gets no sub-cluster (MAESTRO divides by zero)",
                      helps=(f"use at most {hardware.num_pes} PEs per cluster, or more PEs",))


def check_too_many_cluster_levels(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    clusters = [level.cluster for level in layer.levels if level.cluster is not None]
    if len(clusters) > MAX_CLUSTER_DIRECTIVES:
        extra = clusters[MAX_CLUSTER_DIRECTIVES]
        yield Finding(extra.span or layer.span,
                      f"layer `{layer.name}` has {len(clusters)} Cluster directives; the model supports at most "
                      f"{MAX_CLUSTER_DIRECTIVES} (4 levels of NoC)")


def check_no_dataflow(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    if layer.levels or layer.directives:
        return
    helps = (f"give it a template: --dataflow-for {layer.name}=TEMPLATE.m (or --dataflow TEMPLATE.m for every "
             "layer without one; templates are in samples/dataflows/), or add a `Dataflow { ... }` block",)
    if all(not other.levels and not other.directives for other in network.layers):
        if layer is network.layers[0]:
            yield Finding(layer.span, f"no layer of network `{network.name}` has a dataflow: this is a model file "
                          "(MAESTRO crashes on it)",
                          helps=("run compile, lint or compare with --dataflow TEMPLATE.m (and --dataflow-for "
                                 "PATTERN=TEMPLATE.m for other layer types), or write the templates in with "
                                 "`maestroc apply-dataflow`; templates are in samples/dataflows/",))
    else:
        yield Finding(layer.span, f"layer `{layer.name}` has no dataflow and no earlier layer to copy one from "
                      "(MAESTRO crashes here)", helps=helps)


def check_window_wider_than_tile(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    if layer.layer_type == "GEMM":
        return
    for index, level in _levels(layer):
        for reference, window in SLIDING.items():
            loop = level.find(reference)
            windows = [w for w in level.loops if w.dim == window]
            if loop is None or not windows or loop.size - windows[-1].size + 1 > 0:
                continue
            culprit = loop if loop.from_user else (windows[-1] if windows[-1].from_user else None)
            yield Finding(culprit.span if culprit else _level_span(layer, index),
                          f"at {_level_label(index)} of layer `{layer.name}` the `{reference}` tile ({loop.size}) is "
                          f"narrower than the `{window}` tile ({windows[-1].size}): no output "
                          f"`{_output_of(reference)}` is ever complete, so this level computes nothing "
                          "(MAESTRO divides by zero)",
                          helps=(f"map `{reference}` with the filter it slides over: `{window}` must not be wider "
                                 f"than `{reference}` at the same level",))


def _output_of(reference: str) -> str:
    return next(o for o, i in OUTPUT_DIMS.items() if i == reference)


def check_map_larger_than_dim(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    for index, level in _levels(layer):
        dims = level.dim_table()
        for loop in level.loops:
            if loop.from_user and loop.dim in dims and loop.size > dims[loop.dim] and loop.dim not in ("R", "S"):
                yield Finding(loop.span, f"map size {loop.size} is larger than `{loop.dim}` = {dims[loop.dim]} "
                              f"at {_level_label(index)} of layer `{layer.name}`; MAESTRO treats it as a "
                              "partial (edge) tile",
                              helps=(f"use a size of at most {dims[loop.dim]}",))


def _spatial_splits(layer: LayerIR) -> Iterator[tuple[int, Level, Loop, int, int]]:
    """(level index, level, its first SpatialMap, that dimension's size, chunks) of each sized level."""
    for index, level in _levels(layer):
        spatial = level.spatial_loops
        dims = level.dim_table()
        if spatial and level.sub_clusters and spatial[0].dim in dims:
            loop = spatial[0]
            yield index, level, loop, dims[loop.dim], spatial_chunks(loop, dims[loop.dim])


def check_idle_sub_clusters(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    for index, level, loop, extent, chunks in _spatial_splits(layer):
        if 0 < chunks < level.sub_clusters:  # type: ignore[operator]
            unit = "PEs" if index == len(layer.levels) - 1 else "sub-clusters"
            yield Finding(loop.span or _level_span(layer, index),
                          f"only {chunks} of {level.sub_clusters} {unit} get work at {_level_label(index)} of layer "
                          f"`{layer.name}` (`{loop.dim}` = {extent} in chunks of {loop.size})",
                          helps=("map a larger dimension spatially, or use smaller clusters",))


def check_uneven_spatial_split(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    for index, level, loop, _, chunks in _spatial_splits(layer):
        if chunks > level.sub_clusters and chunks % level.sub_clusters:  # type: ignore[operator]
            yield Finding(loop.span or _level_span(layer, index),
                          f"`{loop.dim}` splits into {chunks} chunks over {level.sub_clusters} units at "
                          f"{_level_label(index)} of layer `{layer.name}`: the last spatial step uses only "
                          f"{chunks % level.sub_clusters}")


def _explicit_map(dim: str) -> str:
    """A directive that maps ``dim`` at the top level and that no error rule rejects."""
    if dim in SLIDING.values():  # a filter window must be mapped whole (L104)
        return f"TemporalMap(Sz({dim}),Sz({dim})) {dim};"
    if dim in SLIDING:  # a Y/X tile must cover its window (L109)
        return f"TemporalMap(Sz({SLIDING[dim]}),1) {dim};"
    return f"TemporalMap(1,1) {dim};"


def check_implicit_unroll(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    if not layer.levels:
        return
    for loop in layer.levels[0].loops:
        if not (loop.origin.startswith("unrolled") and loop.size > 1):
            continue
        lower = [index for index, level in enumerate(layer.levels[1:], 1)
                 if any(inner.dim == loop.dim and inner.from_user for inner in level.loops)]
        where = (f"is mapped at {_level_label(lower[0])} but not at the top level (level 0)" if lower
                 else "is not in the dataflow")
        cost = ("as a filter window must be: writing it changes no number, it only makes the tile explicit"
                if loop.dim in SLIDING.values() else "which needs a buffer for all of it")
        yield Finding(layer.span, f"dimension `{loop.dim}` ({loop.size}) of layer `{layer.name}` {where}: the top "
                      f"level unrolls it in one step (`TemporalMap({loop.size},{loop.size}) {loop.dim}`), {cost}",
                      helps=(f"map `{loop.dim}` at the top level, e.g. `{_explicit_map(loop.dim)}`",))


def check_stride_discards_offset(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    for index, level in _levels(layer):
        for loop in level.loops:
            if loop.from_user and "stride" in loop.origin and loop.dim in SLIDING:
                written = re.search(r"was \((\d+), (\d+)\)", loop.origin)
                if written and int(written.group(2)) != 1:
                    yield Finding(loop.span, f"the offset {written.group(2)} of this `{loop.dim}` map is replaced "
                                  f"by {loop.offset} because of stride {layer.stride_of(loop.dim)}: offsets are "
                                  "written as for stride 1",
                                  helps=("write the offset for stride 1 (usually 1); the stride is applied for you",))


def check_dim_mapped_twice(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    for index, level in _levels(layer):
        seen: dict[str, Loop] = {}
        for loop in level.loops:
            if not loop.from_user:
                continue
            first = seen.setdefault(loop.dim, loop)
            if first is not loop:
                yield Finding(loop.span, f"`{loop.dim}` is mapped twice at {_level_label(index)} of layer "
                              f"`{layer.name}` (first at line {first.span.line}): MAESTRO iterates the first "
                              "directive but sizes its tiles by the last",
                              helps=(f"keep one directive on `{loop.dim}` per level",))


def _tiling_findings(layer: LayerIR, kind: str) -> Iterator[Finding]:
    """The coverage causes (maestroc.coverage.loop_causes) of every user directive, at every level."""
    for index, level in _levels(layer):
        extents = level.dim_table()
        for loop in level.loops:
            if loop.from_user and loop.dim in extents and level.find(loop.dim) is loop:
                for cause in loop_causes(layer, loop, extents[loop.dim]):
                    if cause.kind == kind:
                        yield Finding(loop.span, f"`{loop.dim}` at {_level_label(index)} of layer `{layer.name}`: "
                                      f"{cause.message}", helps=(cause.help,))


def check_offset_leaves_gaps(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    yield from _tiling_findings(layer, "gaps")


def check_tile_repeats_work(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    yield from _tiling_findings(layer, "repeats")


def check_stride_wider_than_window(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    for cause in stride_causes(layer):
        if cause.kind == "wide-stride":
            loop = layer.levels[0].find(cause.dim) if layer.levels else None
            yield Finding(loop.span if loop and loop.span else layer.span, f"layer `{layer.name}`: {cause.message}",
                          notes=("compile warns (C405) when the layer's MAC count comes out wrong",),
                          helps=("if the layer is meant this way, silence the rule on this directive with "
                                 "`// maestroc: disable=stride-wider-than-window`",))


def check_copied_dataflow(layer: LayerIR, network: NetworkIR) -> Iterator[Finding]:
    if layer.dataflow_from:
        yield Finding(layer.span, f"layer `{layer.name}` has no Dataflow and reuses the one of `{layer.dataflow_from}` "
                      "(with sizes resolved for that layer)",
                      helps=("give the layer its own `Dataflow { ... }` block",))


RULES: tuple[Rule, ...] = (
    Rule("L101", "no-spatial-map", Severity.ERROR, "a cluster level with no SpatialMap", check_no_spatial_map),
    Rule("L102", "too-many-spatial-maps", Severity.ERROR, "more than two SpatialMaps in one level",
         check_too_many_spatial_maps),
    Rule("L103", "dim-not-in-layer", Severity.ERROR, "a directive on a dimension the layer does not declare",
         check_dim_not_in_layer),
    Rule("L104", "window-temporal-map", Severity.ERROR,
         "an R/S TemporalMap whose size differs from its offset or from the filter size",
         check_window_temporal_map),
    Rule("L105", "output-dim-without-window", Severity.ERROR,
         "Y'/X' mapped at a level with no R/S directive (or with Y/X as well)", check_output_dim_without_window),
    Rule("L106", "cluster-exceeds-pes", Severity.ERROR, "Cluster sizes that need more PEs than the hardware has",
         check_cluster_exceeds_pes, needs_hardware=True),
    Rule("L107", "too-many-cluster-levels", Severity.ERROR, "more Cluster directives than the model supports (3)",
         check_too_many_cluster_levels),
    Rule("L108", "no-dataflow", Severity.ERROR, "a layer with no dataflow and none to copy", check_no_dataflow),
    Rule("L109", "window-wider-than-tile", Severity.ERROR,
         "a Y/X tile narrower than the R/S tile of its level (no output is computed)", check_window_wider_than_tile),
    Rule("L201", "map-larger-than-dim", Severity.WARNING, "a map size larger than the dimension at its level",
         check_map_larger_than_dim),
    Rule("L202", "idle-sub-clusters", Severity.WARNING, "fewer spatial chunks than sub-clusters",
         check_idle_sub_clusters, needs_hardware=True),
    Rule("L203", "uneven-spatial-split", Severity.WARNING, "a last spatial step with partly idle sub-clusters",
         check_uneven_spatial_split, needs_hardware=True, enabled_by_default=False),
    Rule("L204", "implicit-unroll", Severity.WARNING, "a dimension left out of the dataflow (unrolled in one step)",
         check_implicit_unroll),
    Rule("L205", "stride-discards-offset", Severity.WARNING, "a Y/X offset that the stride rule replaces",
         check_stride_discards_offset),
    Rule("L206", "copied-dataflow", Severity.WARNING, "a layer that reuses the previous layer's dataflow",
         check_copied_dataflow),
    Rule("L207", "dim-mapped-twice", Severity.WARNING, "a dimension mapped by two directives of one level",
         check_dim_mapped_twice),
    Rule("L208", "offset-leaves-gaps", Severity.WARNING,
         "an offset larger than the tile: elements (or outputs) between tiles are never computed",
         check_offset_leaves_gaps),
    Rule("L209", "tile-repeats-work", Severity.WARNING,
         "overlapping tiles, or a tile wider than its dimension with a small offset: MACs counted twice or wrongly",
         check_tile_repeats_work),
    Rule("L210", "stride-wider-than-window", Severity.WARNING,
         "a stride wider than the filter window: MAESTRO's stride rule may miscount the outputs",
         check_stride_wider_than_window),
)

RULES_BY_KEY: dict[str, Rule] = {key: rule for rule in RULES for key in (rule.code, rule.name)}
ERROR_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.severity is Severity.ERROR)

CODES.update({rule.code: f"{rule.name}: {rule.summary}" for rule in RULES})

_SUPPRESS = re.compile(r"//\s*maestroc:\s*disable=([\w,\- ]+)")


def suppressed(rule: Rule, span: Span | None) -> bool:
    """True if the line of ``span`` or the line above carries ``// maestroc: disable=`` for the rule.

    Errors cannot be silenced: a layer with an error cannot be analysed.
    """
    if span is None or rule.severity is Severity.ERROR:
        return False
    for number in (span.line, span.line - 1):
        line = SOURCES.line(span.path, number)
        match = _SUPPRESS.search(line or "")
        if match and {rule.code, rule.name} & {w.strip() for w in match.group(1).split(",")}:
            return True
    return False


def unknown_suppressions(paths: Iterable[str]) -> list[Diagnostic]:
    """A W202 warning for each name in a ``// maestroc: disable=`` comment of these files that is no rule."""
    found = []
    for path in paths:
        for number, line in enumerate(SOURCES.lines(path), start=1):
            match = _SUPPRESS.search(line)
            if not match:
                continue
            column = match.start(1) + 1
            for word in match.group(1).split(","):
                name = word.strip()
                if name and name not in RULES_BY_KEY:
                    start = column + len(word) - len(word.lstrip())
                    close = difflib.get_close_matches(name, list(RULES_BY_KEY), n=1)
                    found.append(Diagnostic(
                        Severity.WARNING, "W202", f"`{name}` is not a lint rule: this comment silences nothing",
                        Span(path, number, start, number, start + len(name)),
                        helps=(f"did you mean `{close[0]}`?",) if close else ("see `maestroc lint --list-rules`",)))
                column += len(word) + 1
    return found


@dataclass(frozen=True)
class LintResult:
    rule: Rule
    layer: str
    diagnostic: Diagnostic


def run_rules(network: NetworkIR, rules: Iterable[Rule]) -> list[LintResult]:
    """Every finding of ``rules`` over every layer, minus the ones silenced in the source."""
    results: list[LintResult] = []
    for layer in network.layers:
        for rule in rules:
            if rule.needs_hardware and network.hardware is None:
                continue
            for finding in rule.check(layer, network):
                if suppressed(rule, finding.span):
                    continue
                notes = finding.notes + (f"lint rule `{rule.name}`",)
                results.append(LintResult(rule, layer.name, Diagnostic(
                    rule.severity, rule.code, finding.message, finding.span, notes, finding.helps)))
    return results
