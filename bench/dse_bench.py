"""Design-space exploration speed: designs per second, space size and peak memory.

Three spaces (issue 5's targets on a 2-core machine in brackets):
1. Resnet50_kcp_ws CONV2_1_2, hardware only: num_pes x noc_bw x offchip_bw x
   l1_size x l2_size  [20M designs/s; stretch 100M/s];
2. the same layer with its C tile a swept Constant as well  [2M designs/s];
3. VGG16 (13 layers, MAESTRO's vgg16_ckp_ws), hardware only  [1.5M network-designs/s].

Every design is evaluated exactly (integer runtimes, exact valid counts); each
quantity is evaluated only over the axes it depends on (docs/dse.md), so the rate
counts the designs covered. The baseline printed first is the same exploration
design by design through the compile path, timed on a sample, in this process.

Usage: python bench/dse_bench.py [--shared DIR] [--workers N]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from maestroc.api import compile_files
from maestroc.costmodel import analysis_of
from maestroc.diagnostics import Diagnostics
from maestroc.dse_run import explore
from maestroc.exploration import compiled
from maestroc.frontend import load_mapping
from maestroc.hardware import HardwareSpec
from maestroc.space import load_space

HARDWARE = ["num_pes=64:1024:64", "noc_bw=1:256", "offchip_bw=1:256", "l1_size=pow2:16:65536",
            "l2_size=pow2:1024:16777216"]
TILED_LAYER = """Constant CTile 64;
Network Resnet50 { Layer CONV2_1_2 { Type: CONV
  Dimensions { K: 64, C: 64, R: 3, S: 3, Y: 56, X: 56 }
  Dataflow { SpatialMap(1,1) K; TemporalMap(CTile,CTile) C; TemporalMap(Sz(R),Sz(R)) R;
             TemporalMap(Sz(S),Sz(S)) S; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X; Cluster(CTile, P);
             SpatialMap(1,1) C; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R;
             TemporalMap(Sz(S),Sz(S)) S; } } }
"""


def peak_memory_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def run(title: str, path: str, assignments: list[str], workers: int) -> float:
    analysis_of.cache_clear()
    compiled.cache_clear()
    tree = load_mapping(path, Diagnostics())
    space = load_space(None, assignments, ["runtime", "energy"], HardwareSpec(noc_latency=1))
    result = explore(path, tree, space, workers=workers)
    print(f"{title}: {space.size:,} designs ({result.valid:,} valid, {len(result.front)} on the front) in "
          f"{result.seconds:.2f} s = {result.rate / 1e6:,.1f}M designs/s, peak memory {peak_memory_mib():,.0f} MiB")
    return result.rate


def baseline(path: str, samples: int = 40) -> float:
    """Designs per second when each design goes through compile on its own (this process)."""
    rng = random.Random(1)
    start = time.perf_counter()
    for _ in range(samples):
        spec = HardwareSpec(num_pes=rng.choice(range(64, 1025, 64)), noc_bw=rng.choice([1, 8, 64, 1024]),
                            offchip_bw=rng.choice(range(4, 257, 4)), noc_latency=1)
        compile_files(path, spec)
    return samples / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared" / "maestro"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    shared = Path(args.shared)
    layer = str(shared / "reference/sweep_Resnet50_kcp_ws_CONV2_1_2/layer.m")
    design_by_design = baseline(layer)
    print(f"baseline, one design at a time through compile: {design_by_design:,.0f} designs/s")
    rate = run("1. CONV2_1_2, hardware only", layer, HARDWARE, args.workers)
    print(f"   {rate / design_by_design:,.0f}x the design-by-design baseline")
    with tempfile.TemporaryDirectory() as folder:
        tiled = Path(folder) / "conv2_1_2_tiled.m"
        tiled.write_text(TILED_LAYER)
        run("2. CONV2_1_2 with CTile swept", str(tiled), HARDWARE + ["CTile=8:64:8"], args.workers)
    run("3. VGG16 (13 layers), hardware only", str(shared / "inputs/mapping/vgg16_ckp_ws.m"), HARDWARE, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
