"""Wall time of `maestroc compile --emit csv` end to end, and the time per pass.

Runs the installed command in a fresh process (start-up and imports included) on
MAESTRO's Resnet50_kcp_ws (66 layers) and Transformer_Complete (288 layers), then
times the passes and the cost evaluation in-process. Targets on a 2-core machine:
ResNet-50 under 1.0 s, Transformer_Complete under 3 s (MAESTRO as shipped: 0.17 s
and 0.27 s).

Usage: python bench/compile_bench.py [--shared DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

NETWORKS = ("Resnet50_kcp_ws", "Transformer_Complete")


def wall_time(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared" / "maestro"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    shared = Path(args.shared)
    hw = shared / "inputs/hw/hw_default.m"
    maestroc = [sys.executable, "-m", "maestroc"]
    baseline = wall_time([sys.executable, "-c", "import maestroc.cli"], args.repeat)
    print(f"python start-up + import maestroc: {baseline:.3f} s (median of {args.repeat})")
    for name in NETWORKS:
        net = shared / "inputs/mapping" / f"{name}.m"
        seconds = wall_time(maestroc + ["compile", str(net), "--hw", str(hw), "--emit", "csv"], args.repeat)
        print(f"{name}: maestroc compile --emit csv: {seconds:.3f} s end to end "
              f"({seconds / baseline:.1f}x the bare start-up)")

    # In-process: time per pass, then the cost derivation and evaluation.
    from maestroc.costmodel import analysis_of
    from maestroc.diagnostics import Diagnostics
    from maestroc.frontend import load_hardware, load_mapping
    from maestroc.metrics import evaluate_network
    from maestroc.passes import PIPELINE
    from maestroc.pipeline import PassContext, run_pipeline

    for name in NETWORKS:
        analysis_of.cache_clear()
        diagnostics = Diagnostics()
        start = time.perf_counter()
        tree = load_mapping(str(shared / "inputs/mapping" / f"{name}.m"), diagnostics)
        parsed = time.perf_counter()
        spec = load_hardware(str(hw), diagnostics)
        result = run_pipeline(tree, PIPELINE, PassContext(diagnostics, spec))
        lowered = time.perf_counter()
        layers = evaluate_network(result.ir, spec)
        done = time.perf_counter()
        print(f"{name}: parse+check {parsed - start:.3f} s, passes {lowered - parsed:.3f} s, "
              f"cost model {done - lowered:.3f} s for {len(layers)} layers "
              f"({analysis_of.cache_info().currsize} distinct shapes derived)")
        for timing in result.timings:
            print(f"    {timing.name:<14}{timing.seconds * 1000:8.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
