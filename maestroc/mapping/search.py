"""The search over one layer's space: the sample templates, then every group of families (docs/mapping.md).

The inner loop holds no per-mapping Python object: rows come as blocks of a numpy product
(:meth:`Family.blocks`), are lowered to grids (:mod:`maestroc.mapping.lowering`),
evaluated by :func:`maestroc.batch.evaluate_batch`, and filtered and ranked with
vectorised masks (:mod:`maestroc.mapping.groups`). Only the best mapping and the Pareto
front leave the loop.

Families that differ only in the top level's order (an OrderGroup) share their rows.
Validity (docs/mapping.md): the structure is checked once per family with the error
lint rules on the pipeline's IR of its first member (the size rules hold by
construction); then each mapping must fit the L1 and L2 limits and do the layer's MACs
exactly. Those three rules, and a lower bound of the objectives, are the same for every
order of a group, so the search decides them once per row for the whole group and
evaluates in full only the valid rows whose bound can still beat what was found
("Pruning"). Each rule's removals are counted, in that order.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from maestroc.batch import MappingBatch, evaluate_batch
from maestroc.costmodel import shape_key
from maestroc.coverage import true_macs
from maestroc.hardware import HardwareSpec
from maestroc.ir import LayerIR
from maestroc.mapping.groups import GroupSearch, Progress
from maestroc.mapping.lowering import lower_directives
from maestroc.mapping.outcome import RULES, Budget, Directives, LayerSearch, Ranking, count_failures, failed_rule, rank
from maestroc.mapping.space import SpaceSettings, families, order_groups


def search_layer(layer: LayerIR, hardware: HardwareSpec, settings: SpaceSettings, objectives: tuple[str, ...],
                 budget: Budget, templates: Sequence[tuple[str, Directives]] = (),
                 progress: Progress | None = None, prune: bool = True) -> LayerSearch:
    """Search ``layer`` (its IR after the tables pass): the sample templates first, then every group of families.

    With ``prune`` a row of a group is decided once for all the group's orders where its validity or
    its lower bound decides it (docs/mapping.md "Pruning"); without, every mapping is evaluated.
    Either way the outcome is the same.
    """
    start = time.monotonic()
    result = LayerSearch()
    ranking = Ranking(objectives)
    macs = true_macs(layer)
    for name, directives in templates:
        if (reason := budget.reason(result.considered, templates=True)) is not None:
            result.stopped = reason
            break
        lowered, diagnostics = lower_directives(layer, directives, hardware)
        result.templates[name] = None
        if diagnostics.has_errors:
            result.removed["lint"] += 1
            continue
        cost = evaluate_batch(_single(lowered), hardware)
        result.evaluated += 1
        failed = failed_rule(cost, macs, hardware)
        count_failures(failed, result.removed)
        if failed[0] == len(RULES):
            result.valid += 1
            result.templates[name] = rank(cost, np.zeros(1, dtype=np.int64), ranking,
                                           lambda i, d=directives, n=name: (d, n))[0]
        if progress is not None:
            progress(1)
    groups = order_groups(families(layer, hardware.num_pes, settings)) if result.stopped is None else []
    search = GroupSearch(layer, hardware, budget, macs, ranking, result, progress, prune)
    for group in groups:
        if not search.run(group):
            break
    result.best, result.front = ranking.best, ranking.front
    result.seconds = time.monotonic() - start
    return result


def _single(lowered: LayerIR) -> MappingBatch:
    """A lowered layer as a batch of one (its own sizes)."""
    loops = [loop for level in lowered.levels for loop in level.loops]
    return MappingBatch(shape_key(lowered), np.array([[loop.size for loop in loops]], dtype=np.int64),
                        np.array([[loop.offset for loop in loops]], dtype=np.int64),
                        np.array([[level.sub_clusters for level in lowered.levels]], dtype=np.int64))
