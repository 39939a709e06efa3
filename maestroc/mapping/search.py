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
from maestroc.mapping.outcome import PASSES, Budget, Directives, LayerSearch, Ranking, count_failures, failed_rule, rank
from maestroc.mapping.space import OrderGroup, SpaceSettings, families, order_groups


def search_layer(layer: LayerIR, hardware: HardwareSpec, settings: SpaceSettings, objectives: tuple[str, ...],
                 budget: Budget, templates: Sequence[tuple[str, Directives]] = (),
                 progress: Progress | None = None, prune: bool = True, part: tuple[int, int] = (0, 1)) -> LayerSearch:
    """Search ``layer`` (its IR after the tables pass): the sample templates first, then every group of families.

    With ``prune`` a row of a group is decided once for all the group's orders where its validity or
    its lower bound decides it (docs/mapping.md "Pruning"); without, every mapping is evaluated.
    Either way the outcome is the same. ``part`` (index, count) searches only that part of the groups
    (:func:`parts_of`; the template points are counted in part 0): :func:`maestroc.mapping.outcome.merged`
    makes the parts' outcomes the outcome of the whole search.
    """
    start = time.monotonic()
    result = LayerSearch()
    ranking = Ranking(objectives)
    macs = true_macs(layer)
    # The template points are part 0's; the other parts rank them too, uncounted, so that their bound starts
    # from them (a mapping they beat is worse than one part 0 finds: still exact, see outcome.merged).
    counted = result if part[0] == 0 else LayerSearch()
    for name, directives in templates:
        if (reason := budget.reason(counted.considered, templates=True)) is not None:
            counted.stopped = reason
            break
        lowered, diagnostics = lower_directives(layer, directives, hardware)
        counted.templates[name] = None
        if diagnostics.has_errors:
            counted.removed["lint"] += 1
            continue
        cost = evaluate_batch(_single(lowered), hardware)
        counted.evaluated += 1
        failed = failed_rule(cost, macs, hardware)
        count_failures(failed, counted.removed)
        if failed[0] == PASSES:
            counted.valid += 1
            counted.templates[name] = rank(cost, np.zeros(1, dtype=np.int64), ranking,
                                           lambda i, d=directives, n=name: (d, n))[0]
        if progress is not None and counted is result:
            progress(1)
    groups = parts_of(order_groups(families(layer, hardware.num_pes, settings)), *part) \
        if result.stopped is None else []
    search = GroupSearch(layer, hardware, budget, macs, ranking, result, progress, prune)
    for group in groups:
        if not search.run(group):
            break
    result.best, result.front = ranking.best, ranking.front
    result.seconds = time.monotonic() - start
    return result


def parts_of(groups: list[OrderGroup], index: int, count: int) -> list[OrderGroup]:
    """Part ``index`` of ``count`` consecutive parts of the groups, of about equal numbers of mappings."""
    sizes = [group.rows_table.size * len(group.families) for group in groups]
    total, before, out = sum(sizes), 0, []
    for group, size in zip(groups, sizes):
        if index * total <= before * count < (index + 1) * total:  # where the group starts decides its part
            out.append(group)
        before += size
    return out


def _single(lowered: LayerIR) -> MappingBatch:
    """A lowered layer as a batch of one (its own sizes)."""
    loops = [loop for level in lowered.levels for loop in level.loops]
    return MappingBatch(shape_key(lowered), np.array([[loop.size for loop in loops]], dtype=np.int64),
                        np.array([[loop.offset for loop in loops]], dtype=np.int64),
                        np.array([[level.sub_clusters for level in lowered.levels]], dtype=np.int64))
