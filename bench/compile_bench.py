"""Wall time of `maestroc compile --emit csv` end to end, per network, and where it goes.

For each network of MAESTRO's inputs (one layer to 288 layers) the installed
command runs in a fresh process, as a user runs it (start-up and imports
included), ``--repeat`` times; the median and the spread (min-max) of the wall
time are printed, and the median CPU time (user + system: what the wall time
would be on an idle machine, since a compile runs on one core),
with the parser cache warm and cold (``--no-cache``: nothing read or written),
and beside them the bare interpreter start-up. ``maestroc parse`` and ``lint`` on
a one-layer file likewise. Then each phase's share of the end-to-end time:
imports (a fresh process importing the CLI), parse and checks, passes, cost model
and output (CPU time in this process, medians of the same number of runs).

Baseline: ``--compare PYTHON`` times another maestroc installation (e.g. a
virtual environment of an earlier version) on the same runs, alternating with
this one so that both see the same machine load. Targets (issue 12, a 2-core
machine): ResNet-50 <= 0.20 s, Transformer_Complete <= 0.30 s, a one-layer file
<= 0.15 s, parse/lint of a small file <= 0.15 s (MAESTRO as shipped: 0.229 s,
0.337 s, 0.013 s).

Usage: python bench/compile_bench.py [--shared DIR] [--repeat N] [--compare PYTHON]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NETWORKS = ("example", "vgg16_ckp_ws", "MobileNetV2_kcp_ws", "Resnet50_kcp_ws", "Transformer_Complete")


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # Run outside the checkout: `python -m` would otherwise import the maestroc of the current folder.
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def spread(times: list[tuple[float, float]]) -> str:
    """Wall median (min, max), then the CPU-time median: on a loaded machine the wall time counts waits."""
    wall = [w for w, _ in times]
    cpu = statistics.median(c for _, c in times)
    return f"{statistics.median(wall):6.3f} s (min {min(wall):.3f}, max {max(wall):.3f}); CPU {cpu:.3f} s"


def alternate(commands: dict[str, list[str]], repeat: int) -> dict[str, list[tuple[float, float]]]:
    """Each command ``repeat`` times, interleaved, so that all see the same machine load."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            times[name].append(timed(command))
    return times


def phases(network: Path, hardware: Path, repeat: int) -> dict[str, float]:
    """Median CPU seconds of each phase of a compile, in this process (imports timed in a fresh one)."""
    from maestroc.costmodel import structure_of
    from maestroc.diagnostics import Diagnostics
    from maestroc.frontend import load_hardware, load_mapping
    from maestroc.metrics import evaluate_network
    from maestroc.passes import PIPELINE
    from maestroc.pipeline import PassContext, run_pipeline
    from maestroc.report import format_csv
    from maestroc.timing import folded

    samples: dict[str, list[float]] = {"parse + checks": [], "passes": [], "cost model": [], "output": []}
    for _ in range(repeat):
        structure_of.cache_clear()
        folded.cache_clear()
        diagnostics = Diagnostics()
        start = time.process_time()
        tree = load_mapping(str(network), diagnostics)
        spec = load_hardware(str(hardware), diagnostics)
        parsed = time.process_time()
        result = run_pipeline(tree, PIPELINE, PassContext(diagnostics, spec))
        lowered = time.process_time()
        layers = evaluate_network(result.ir, spec)
        evaluated = time.process_time()
        format_csv(result.ir.name, layers)
        done = time.process_time()
        for name, seconds in zip(samples, (parsed - start, lowered - parsed, evaluated - lowered, done - evaluated)):
            samples[name].append(seconds)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared" / "maestro"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--compare", metavar="PYTHON", help="interpreter of another maestroc installation")
    args = parser.parse_args()
    shared = Path(args.shared)
    hardware = shared / "inputs/hw/hw_default.m"
    print(f"{os.cpu_count()} cores; medians of {args.repeat} runs (min, max)")
    pythons = {"maestroc": sys.executable} | ({"compare": args.compare} if args.compare else {})
    startup = alternate({"python -c pass": [sys.executable, "-c", "pass"],
                         "import maestroc.cli": [sys.executable, "-c", "import maestroc.cli"]}, args.repeat)
    for name, times in startup.items():
        print(f"{name:<44}{spread(times)}")
    small = shared / "inputs/mapping/example.m"
    for command in ("parse", "lint"):
        runs = alternate({who: [python, "-m", "maestroc", command, str(small)] for who, python in pythons.items()},
                         args.repeat)
        for who, times in runs.items():
            print(f"{who + ' ' + command + ' example.m':<44}{spread(times)}")
    ends: dict[str, float] = {}  # CPU medians
    for name in NETWORKS:
        network = shared / "inputs/mapping" / f"{name}.m"
        compile_args = ["compile", str(network), "--hw", str(hardware), "--emit", "csv"]
        commands = {who: [python, "-m", "maestroc", *compile_args] for who, python in pythons.items()}
        commands["maestroc --no-cache"] = [sys.executable, "-m", "maestroc", "--no-cache", *compile_args]
        runs = alternate(commands, args.repeat)
        ends[name] = statistics.median(cpu for _, cpu in runs["maestroc"])
        for who, times in runs.items():
            print(f"{name + ': ' + who:<44}{spread(times)}")
    print("\nshare of the end-to-end CPU time (start-up + imports: a fresh process importing the CLI)")
    imports = statistics.median(cpu for _, cpu in startup["import maestroc.cli"])
    for name in NETWORKS:
        parts = {"start-up + imports": imports} | phases(shared / "inputs/mapping" / f"{name}.m", hardware,
                                                           args.repeat)
        # The rest: the command modules' imports, capacity checks, printing diagnostics (rich), writing.
        parts["other"] = ends[name] - sum(parts.values())
        shown = ", ".join(f"{part} {seconds * 1000:.0f} ms ({seconds / ends[name]:.0%})"
                          for part, seconds in parts.items())
        print(f"  {name}: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
