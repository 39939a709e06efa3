"""Speed and quality of `maestroc map` (issue 13), with the one-by-one compile path as the baseline.

Printed, with the machine's core count:

* **evaluation rate, one process**: mappings evaluated in full per second by the search with pruning off
  (every mapping's every figure computed) on one layer (VGG16 conv2), its first ``--mappings`` mappings,
  cold caches, median and spread (min-max) of ``--repeat`` runs. Only mappings whose cost was
  computed count (a family that fails a structure lint rule is not evaluated and not counted);
* **evaluation rate, every core**: ``maestroc.map`` of VGG16 conv2 as a network of one layer, its whole
  space, with ``exhaustive=True`` (pruning off) and ``--workers`` processes (the layer's groups split
  between them): mappings evaluated in full over the wall time of the whole call (start-up, workers
  and the template points included), median and spread of ``--repeat`` runs;
* **baseline**, in the same run: the first ``--baseline-mappings`` of those same mappings one by one
  through ``maestroc compile``'s path (the network's text with the dataflow -> parse -> passes -> cost
  model), median and spread of ``--repeat`` runs;
* **the whole layer**, with pruning (the default search): its whole space, the mappings evaluated in
  full and those decided by a rule or pruned by the lower bound (docs/mapping.md "Pruning"), the wall
  time, and the same best as a search without pruning would find (the tests check that);
* **whole networks** (ResNet-50, VGG16, MobileNetV2 on samples/hw/default_256pe.m, EDP, ``--workers``):
  wall time, mappings considered and evaluated, whether the ``--network-budget`` stopped the search;
* **quality** of each network's result: the network EDP (total energy x total runtime) gain over the
  best single template (one sample template per layer type, the same for every layer of that type) and
  over the best template chosen per layer.

Usage: python bench/map_bench.py [--repeat 3] [--mappings 2000000] [--baseline-mappings 200] [--network-budget 120] [--workers 2]
                                 [--networks NAME ...] [--hw HW.m]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import maestroc
from maestroc.api import hardware_spec, load_network
from maestroc.diagnostics import Diagnostics
from maestroc.engine import clear_caches
from maestroc.mapping.lowering import base_layers, directive_lines, lower_directives, written_directives
from maestroc.mapping.output import totals
from maestroc.mapping.outcome import Budget
from maestroc.mapping.search import search_layer
from maestroc.mapping.space import SpaceSettings, families

NETWORKS = ("resnet50_model", "vgg16_model", "mobilenet_v2_model")


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f}/s (min {min(values):,.0f}, max {max(values):,.0f})"


def _layer(network: str, name: str, hw: str):  # type: ignore[no-untyped-def]
    spec = hardware_spec(hw)
    tree = load_network(str(ROOT / "samples/networks" / f"{network}.m"), Diagnostics())
    return next(layer for layer in base_layers(tree, spec).layers if layer.name == name), spec


def search_rate(layer, spec, count: int) -> float:  # type: ignore[no-untyped-def]
    """Mappings evaluated per second by the search over the first ``count`` mappings of the space."""
    clear_caches()
    start = time.perf_counter()
    result = search_layer(layer, spec, SpaceSettings(), ("edp",), Budget(max_mappings=count), prune=False)
    seconds = time.perf_counter() - start
    assert result.evaluated == count, result.evaluated
    return result.evaluated / seconds


def layer_rate(layer, hw: str, workers: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Mappings evaluated in full per second of wall time by ``maestroc.map`` of the layer alone (its whole
    space), pruning off."""
    clear_caches()
    start = time.perf_counter()
    result = maestroc.map(layer_text(layer, []), hw, objectives="edp", exhaustive=True, workers=workers)
    seconds = time.perf_counter() - start
    assert result.stopped is None and result.evaluated == result.considered  # every mapping evaluated in full
    return result.evaluated / seconds, result.evaluated


def first_mappings(layer, spec, count: int) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The directives of the first ``count`` mappings the search evaluates (families whose structure
    passes the lint rules, rows in order), as text lines."""
    out: list[list[str]] = []
    for family in families(layer, spec.num_pes, SpaceSettings()):
        values = family.rows(0, min(family.size, count - len(out)))
        if not len(values):
            continue
        _, diagnostics = lower_directives(layer, written_directives(family, layer, values[0]), spec)
        if diagnostics.has_errors:
            continue
        out += [directive_lines(written_directives(family, layer, row)) for row in values]
        if len(out) >= count:
            return out[:count]
    return out


def layer_text(layer, lines: list[str]) -> str:  # type: ignore[no-untyped-def]
    dims = ", ".join(f"{d}: {s}" for d, s in layer.declared)
    stride = f"Stride {{ {', '.join(f'{d}: {s}' for d, s in layer.stride)} }}\n" if layer.stride else ""
    body = "Dataflow {\n" + "\n".join(lines) + "\n}\n" if lines else ""  # none: a model file
    return f"Network B {{\nLayer {layer.name} {{\nType: {layer.layer_type}\n{stride}Dimensions {{ {dims} }}\n" \
           f"{body}}}\n}}\n"


def compile_rate(layer, spec, mappings: list[list[str]]) -> float:  # type: ignore[no-untyped-def]
    """Mappings per second through compile's path: text -> parse -> passes -> cost model, one by one."""
    clear_caches()
    start = time.perf_counter()
    for lines in mappings:
        try:
            maestroc.compile(layer_text(layer, lines), hw=spec)
        except maestroc.InputError:  # a lint error: compile stops there, as the mapper's check does
            pass
    return len(mappings) / (time.perf_counter() - start)


def search_overhead(layer, spec, count: int) -> float:  # type: ignore[no-untyped-def]
    """Rows per second through the search with evaluate_batch replaced by a stub (every row valid, same
    figures): the mapper's own ceiling, enumeration, lowering, masks and ranking. Nothing is evaluated,
    so this is no rate of mappings; it says how fast the engine may get before the search limits it."""
    import numpy as np

    from maestroc.batch import BatchCost
    from maestroc.costmodel import TENSORS
    from maestroc.coverage import true_macs
    from maestroc.mapping import groups

    def stub(batch, hardware):  # type: ignore[no-untyped-def]
        ones = np.ones(len(batch), dtype=np.int64)
        return BatchCost(runtime=ones, energy=ones.astype(float), macs=ones * true_macs(layer), l1_size=ones,
                         l2_size=ones, l1_accesses={t: ones for t in TENSORS}, l2_accesses={t: ones for t in TENSORS})

    real, groups.evaluate_batch = groups.evaluate_batch, stub
    try:
        start = time.perf_counter()
        result = search_layer(layer, spec, SpaceSettings(), ("edp",), Budget(max_mappings=count), prune=False)
        return result.evaluated / (time.perf_counter() - start)
    finally:
        groups.evaluate_batch = real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mappings", type=int, default=2_000_000)
    parser.add_argument("--baseline-mappings", type=int, default=200)
    parser.add_argument("--network-budget", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--networks", nargs="*", default=list(NETWORKS))
    parser.add_argument("--hw", default=str(ROOT / "samples/hw/default_256pe.m"))
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"cores: {cores}")
    layer, spec = _layer("vgg16_model", "conv2", args.hw)
    mappings = first_mappings(layer, spec, args.baseline_mappings)
    rates, baselines = [], []
    for _ in range(args.repeat):  # alternated, so that both see the same machine load
        rates.append(search_rate(layer, spec, args.mappings))
        baselines.append(compile_rate(layer, spec, mappings))
    print(f"evaluation rate, pruning off, one process (VGG16 conv2, its first {args.mappings:,} mappings, "
          f"{args.repeat} runs): {spread(rates)}")
    whole = [layer_rate(layer, args.hw, args.workers) for _ in range(args.repeat)]
    print(f"evaluation rate, pruning off, --workers {args.workers} (VGG16 conv2 alone, its whole space, "
          f"{whole[0][1]:,} mappings, wall time of maestroc.map, {args.repeat} runs): "
          f"{spread([rate for rate, _ in whole])}")
    print(f"baseline, compile's path one by one ({len(mappings):,} of the same mappings): {spread(baselines)}")
    print(f"speed-up: {statistics.median(rates) / statistics.median(baselines):.1f}x")
    overhead = [search_overhead(layer, spec, 1_000_000) for _ in range(args.repeat)]
    print(f"the search's own ceiling (evaluate_batch stubbed, 1,000,000 rows; not a rate of evaluated mappings): "
          f"{spread(overhead).replace('/s', ' rows/s')}")
    clear_caches()
    start = time.perf_counter()
    whole = search_layer(layer, spec, SpaceSettings(), ("edp",), Budget())
    wall = time.perf_counter() - start
    print(f"VGG16 conv2, its whole space with pruning (one process): {whole.considered:,} mappings in {wall:.1f} s "
          f"({whole.considered / wall:,.0f} mappings decided/s); {whole.evaluated:,} evaluated in full, "
          f"{whole.pruned:,} pruned by the bound, {whole.decided - whole.pruned:,} removed by a rule before")
    for network in args.networks:
        clear_caches()
        start = time.perf_counter()
        result = maestroc.map(ROOT / "samples/networks" / f"{network}.m", args.hw, objectives="edp",
                              time_budget=args.network_budget, workers=args.workers)
        wall = time.perf_counter() - start
        state = f"stopped early ({result.stopped})" if result.stopped else "whole space"
        print(f"\n{network} (--workers {args.workers}): {wall:.1f} s wall, {result.considered:,} mappings considered, "
              f"{result.evaluated:,} evaluated in full, {state}")
        total = totals(result)
        gain = total["edp_gain_over_best_single_template"]
        print(f"  network EDP {total['best']['edp']:.4g}; gain over the best single template: "
              f"{f'{gain:.3f}x' if gain else '- (no template is valid for every layer of a type)'}")
        print(f"  gain over the best template per layer: {total['edp_gain_over_best_template_per_layer']:.3f}x")
        worse = [m.name for m in result.layers if m.search.best.values["edp"] > m.baseline.values["edp"]]
        print(f"  layers worse than their best template: {len(worse)}")


if __name__ == "__main__":
    main()
