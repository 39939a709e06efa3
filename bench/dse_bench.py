"""Design-space exploration speed: runtime evaluations and designs covered per second, apart.

Spaces (explored ``--repeat`` times each; medians and spread (min-max) printed):
1. Resnet50_kcp_ws CONV2_1_2, hardware only: num_pes x noc_bw x offchip_bw x
   l1_size x l2_size;
2. the same layer with its C tile a swept Constant as well;
3. VGG16 (13 layers, MAESTRO's vgg16_ckp_ws), hardware only;
4. the worked example of docs/dse.md (VGG16 CONV2, CTile and hardware swept, area
   and power budgets), end to end through ``maestroc dse`` in a fresh process.

Two rates, reported apart:
* *runtime evaluations*: each distinct layer shape of each group evaluated at each
  point of the runtime grid (``noc_bw x noc_latency x offchip_bw x
  num_simd_lanes``): work the cost model really does, counted once per shape;
* *designs covered*: every design of the space, valid or not, each evaluated
  exactly (quantities span only the axes they depend on, docs/dse.md).

Then the engine for a mapper: new dataflow structures (ResNet-50 CONV2_1_2 with
other C tiles, cluster sizes and PE counts, never seen before), each evaluated over
a batch of hardware points; time per mapping (one structure on one design).

Baselines: the same kind of exploration design by design through the compile
path, timed on a sample, in this process (printed first); and with ``--compare
PYTHON``, another maestroc installation on the worked example, run alternately.

Usage: python bench/dse_bench.py [--shared DIR] [--workers N] [--repeat N] [--compare PYTHON]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from maestroc.api import compile_files
from maestroc.costmodel import shape_key
from maestroc.diagnostics import Diagnostics
from maestroc.dse_run import explore
from maestroc.engine import clear_caches, grid_cost
from maestroc.exploration import RUNTIME_AXES, groups, sized_network
from maestroc.frontend import load_mapping
from maestroc.hardware import HardwareSpec
from maestroc.space import load_space

ROOT = Path(__file__).resolve().parents[1]
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


def spread(values: list[float], unit: str, scale: float = 1.0) -> str:
    shown = [v / scale for v in values]
    return f"{statistics.median(shown):,.1f}{unit} (min {min(shown):,.1f}, max {max(shown):,.1f})"


def peak_memory_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def runtime_evaluations(tree, space) -> int:  # type: ignore[no-untyped-def]
    """Distinct layer shapes of every legal group times the runtime grid's size."""
    grid = 1
    for name in RUNTIME_AXES:
        grid *= len(space.axis(name))
    total = 0
    for constants, num_pes in groups(space):
        network, diagnostics = sized_network(tree, constants, num_pes)
        if not diagnostics.has_errors and not network.illegal:
            total += len({shape_key(layer) for layer in network.layers}) * grid
    return total


def run(title: str, path: str, assignments: list[str], workers: int, repeat: int) -> None:
    tree = load_mapping(path, Diagnostics())
    space = load_space(None, assignments, ["runtime", "energy"], HardwareSpec(noc_latency=1))
    evaluations = runtime_evaluations(tree, space)
    seconds = []
    for _ in range(repeat):
        clear_caches()
        result = explore(path, tree, space, workers=workers)
        seconds.append(result.seconds)
    print(f"{title}: {space.size:,} designs ({result.valid:,} valid, {len(result.front)} on the front), "
          f"{evaluations:,} runtime evaluations")
    print(f"   time {spread(seconds, ' s')}")
    print(f"   runtime evaluations/s {spread([evaluations / s for s in seconds], 'M', 1e6)}")
    print(f"   designs covered/s     {spread([space.size / s for s in seconds], 'M', 1e6)}, "
          f"peak memory {peak_memory_mib():,.0f} MiB")


def worked_example(workers: int, repeat: int, compare: str | None) -> None:
    """docs/dse.md's worked example through the installed command, end to end (alternating with ``compare``)."""
    pythons = {"maestroc": sys.executable} | ({"compare": compare} if compare else {})
    seconds: dict[str, list[float]] = {who: [] for who in pythons}
    for _ in range(repeat):
        for who, python in pythons.items():
            with tempfile.TemporaryDirectory() as folder:
                start = time.perf_counter()
                command = [python, "-m", "maestroc", "dse", str(ROOT / "samples/networks/vgg16_conv2_tiled.m"),
                           "--space", str(ROOT / "samples/dse/vgg16_conv2_space.toml"), "--workers", str(workers),
                           "-o", f"{folder}/out"]
                # Run outside the checkout: `python -m` would otherwise import the maestroc of the current folder.
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=folder)
                seconds[who].append(time.perf_counter() - start)
    for who, times in seconds.items():
        print(f"4. docs/dse.md worked example (981,467,136 designs), {who} dse end to end: {spread(times, ' s')}")


def new_structures(repeat: int) -> None:
    """Never-seen dataflow structures, each over a batch of hardware points: time per mapping."""
    with tempfile.TemporaryDirectory() as folder:
        tiled = Path(folder) / "tiled.m"
        tiled.write_text(TILED_LAYER)
        tree = load_mapping(str(tiled), Diagnostics())
    shapes = []
    for tile, num_pes in itertools.product((2, 4, 8, 16, 32, 64), range(64, 1025, 64)):
        network, diagnostics = sized_network(tree, {"CTile": tile}, num_pes)
        if not diagnostics.has_errors and not network.illegal:
            shapes.append(shape_key(network.layers[0]))
    shapes = list(dict.fromkeys(shapes))
    axes = (tuple(range(1, 257, 16)), (1, 2, 4, 8), tuple(range(1, 257, 16)), (1, 2))
    points = len(axes[0]) * len(axes[1]) * len(axes[2]) * len(axes[3])
    batch, single = [], []
    for _ in range(repeat):
        clear_caches()
        start = time.perf_counter()
        for shape in shapes:
            grid_cost(shape, axes)
        batch.append((time.perf_counter() - start) / (len(shapes) * points))
        clear_caches()
        start = time.perf_counter()
        for shape in shapes:
            grid_cost(shape, ((64,), (1,), (64,), (1,)))
        single.append((time.perf_counter() - start) / len(shapes))
    print(f"5. engine: {len(shapes)} new dataflow structures x {points:,} hardware points: "
          f"{spread(batch, ' us', 1e-6)} per mapping; one design per structure: {spread(single, ' ms', 1e-3)}")


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
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--compare", metavar="PYTHON", help="interpreter of another maestroc installation, timed "
                                                            "alternately on the worked example")
    args = parser.parse_args()
    shared = Path(args.shared)
    print(f"{os.cpu_count()} cores, {args.workers} workers; medians of {args.repeat} runs (min, max)")
    layer = str(shared / "reference/sweep_Resnet50_kcp_ws_CONV2_1_2/layer.m")
    print(f"baseline, one design at a time through compile: {baseline(layer):,.0f} designs/s")
    run("1. CONV2_1_2, hardware only", layer, HARDWARE, args.workers, args.repeat)
    with tempfile.TemporaryDirectory() as folder:
        tiled = Path(folder) / "conv2_1_2_tiled.m"
        tiled.write_text(TILED_LAYER)
        run("2. CONV2_1_2 with CTile swept", str(tiled), HARDWARE + ["CTile=8:64:8"], args.workers, args.repeat)
    run("3. VGG16 (13 layers), hardware only", str(shared / "inputs/mapping/vgg16_ckp_ws.m"), HARDWARE,
        args.workers, args.repeat)
    worked_example(args.workers, args.repeat, args.compare)
    new_structures(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
