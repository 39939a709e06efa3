"""size-levels: how many sub-clusters (or PEs) each level spreads over, for the hardware.

docs/passes.md N9: the top level gets ``floor(num_pes / product of Cluster sizes)``
sub-clusters; each lower level gets the size of the Cluster that closed the level
above. Without a hardware description the counts stay unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from math import prod
from typing import Any

from maestroc.ir import LayerIR, NetworkIR
from maestroc.pipeline import PassContext


def sub_cluster_counts(num_pes: int, cluster_sizes: Sequence[Any]) -> list[Any]:
    """Each level's sub-cluster count from the Cluster sizes (ints, or numpy arrays of many mappings)."""
    return [num_pes // prod(cluster_sizes, start=1)] + list(cluster_sizes)


class SizeLevels:
    name = "size-levels"
    summary = "set sub-clusters per level: num_pes // product(Cluster sizes) at the top, the Cluster size below"

    def run(self, network: NetworkIR, context: PassContext) -> NetworkIR:
        if context.hardware is None:
            return network
        return replace(network, hardware=context.hardware,
                       layers=tuple(self._layer(layer, context.hardware.num_pes) for layer in network.layers))

    @staticmethod
    def _layer(layer: LayerIR, num_pes: int) -> LayerIR:
        if not layer.levels:
            return layer
        sizes = [level.cluster.size for level in layer.levels if level.cluster is not None]
        counts = sub_cluster_counts(num_pes, sizes)
        return layer.with_levels([replace(level, sub_clusters=count) for level, count in zip(layer.levels, counts)])
