"""How fast the batched cost model evaluates new mappings (maestroc.batch), against one at a time.

A *family* is what a mapper evaluates at once: one layer, one dataflow structure
(the sample dataflow's levels and loop order), every combination of top-level
tile sizes of its temporal K, C, Y and X loops (divisors and powers of two of K
and C; output tiles of 1, 2, 4, 8, 16, 32 rows/columns and the whole) and of five
cluster sizes. Each mapping
is one complete dataflow of the layer on samples/hw/default_256pe.m; every figure
the mapper ranks by (runtime, energy, L1/L2 needs, MACs) is computed for it.

Printed per family: mappings, seconds per run (median, min-max of --repeat runs)
and the rate; then the baseline in the same run: a sample of the same mappings
one by one through compile's cost path with its caches emptied first
(``evaluate_one_by_one``), and whether both agree on that sample.

    python bench/batch_bench.py [--repeat 5] [--sample 200]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from pathlib import Path

import numpy as np

import maestroc
from maestroc.batch import MappingBatch, evaluate_batch, evaluate_one_by_one
from maestroc.engine import clear_caches
from maestroc.ir import LayerIR

ROOT = Path(__file__).resolve().parent.parent
HARDWARE = ROOT / "samples" / "hw" / "default_256pe.m"
CLUSTERS = (4, 8, 16, 32, 64)


def tiles(dim: int) -> list[int]:
    return sorted({t for t in range(1, dim + 1) if dim % t == 0} | {2**k for k in range(12) if 2**k <= dim})


def family(layer: LayerIR, num_pes: int) -> MappingBatch:
    """Every temporal K/C tile x Y/X output tile x cluster size of the layer's structure (inherited loops follow)."""
    loops = [loop for level in layer.levels for loop in level.loops]
    top = len(layer.levels[0].loops)
    dims, window = layer.dim_table(), {"Y": layer.dim_table().get("R", 1), "X": layer.dim_table().get("S", 1)}
    varied = [i for i in range(top) if loops[i].dim in ("K", "C", "Y", "X") and not loops[i].spatial]
    choices = [tiles(dims[loops[i].dim]) if loops[i].dim in ("K", "C") else
               [t for t in (1, 2, 4, 8, 16, 32) if t < dims[loops[i].dim] - window[loops[i].dim] + 1]
               + [dims[loops[i].dim] - window[loops[i].dim] + 1] for i in varied]
    sizes, offsets, parts = [], [], []
    for combo in itertools.product(*choices):
        for cluster in CLUSTERS:
            size = [loop.size for loop in loops]
            offset = [loop.offset for loop in loops]
            for i, tile in zip(varied, combo):
                dim = loops[i].dim
                size[i], offset[i] = (tile, tile) if dim in ("K", "C") else (tile + window[dim] - 1, tile)
                for j in range(top, len(loops)):  # the level below inherits the tile
                    if loops[j].dim == dim and not loops[j].spatial:
                        size[j], offset[j] = size[i], offset[i]
            sizes.append(size)
            offsets.append(offset)
            parts.append([num_pes // cluster, cluster])
    return MappingBatch(layer, np.array(sizes), np.array(offsets), np.array(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sample", type=int, default=200, help="mappings evaluated one by one for the baseline")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}")
    result = maestroc.compile(ROOT / "samples" / "networks" / "vgg16_model.m", HARDWARE,
                              dataflow_for={"conv*": ROOT / "samples" / "dataflows" / "kcp_ws.m",
                                            "fc*": ROOT / "samples" / "dataflows" / "gemm_nk.m"})
    hardware = result.hardware
    rng = np.random.default_rng(0)
    print(f"{'layer':<10} {'mappings':>9} {'batched s (median, min-max)':>30} {'mappings/s':>11} "
          f"{'one by one /s':>14} {'ratio':>6} agree")
    for layer in result.network.layers:
        if layer.name not in ("conv2", "conv5", "conv12"):
            continue
        batch = family(layer, hardware.num_pes)
        times = []
        for _ in range(args.repeat):
            clear_caches()
            start = time.perf_counter()
            fast = evaluate_batch(batch, hardware)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        rows = rng.choice(len(batch), size=min(args.sample, len(batch)), replace=False)
        sample = MappingBatch(layer, batch.sizes[rows], batch.offsets[rows], batch.sub_clusters[rows])
        clear_caches()
        start = time.perf_counter()
        reference = evaluate_one_by_one(sample, hardware)
        one_rate = len(rows) / (time.perf_counter() - start)
        agree = all(np.array_equal(getattr(fast, name)[rows], getattr(reference, name))
                    for name in ("runtime", "energy", "macs", "l1_size", "l2_size"))
        print(f"{layer.name:<10} {len(batch):>9} {median:>12.3f} ({min(times):.3f}-{max(times):.3f}){'':>8} "
              f"{len(batch) / median:>11,.0f} {one_rate:>14,.0f} {len(batch) / median / one_rate:>6.0f} {agree}")


if __name__ == "__main__":
    main()
