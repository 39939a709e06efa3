"""Wall time of `maestroc compile --emit csv` end to end, per network, and where it goes.

For each network of MAESTRO's inputs (one layer to 288 layers) the installed
command runs in a fresh process, as a user runs it (start-up and imports
included), ``--repeat`` times; the median and the spread (min-max) of the wall
time are printed, and the median CPU time (user + system: what the wall time
would be on an idle machine, since a compile runs on one core). Each network is
run with maestroc's cache warm and cold (an empty cache folder for every run: a
first run ever; also for ``--compare``), and bypassed (``--no-cache``: nothing read
or written), and beside them the bare interpreter start-up. ``maestroc parse``
and ``lint`` on a one-layer file likewise. Every command runs once untimed first, and the runs may
write Python's bytecode caches (PYTHONDONTWRITEBYTECODE is dropped from their
environment), as an installed package has them. The machine's load average is
printed before and after: on a shared machine, compare CPU times.

Then each phase's share of the end-to-end CPU time: start-up and imports (a fresh
process importing every maestroc module a compile of that network imports), parse
and checks, passes, cost model and output (CPU time in this process, medians of
the same number of runs); "other" is the rest (capacity and coverage checks,
printing the warnings, writing the file).

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
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NETWORKS = ("example", "vgg16_ckp_ws", "MobileNetV2_kcp_ws", "Resnet50_kcp_ws", "Transformer_Complete")


# The runs' environment: Python may write its bytecode caches, as an installed package has them.
ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], cold_cache: bool = False) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of ``command``.

    ``cold_cache``: with an empty cache folder of its own (XDG_CACHE_HOME), as the first run ever.
    """
    with tempfile.TemporaryDirectory(prefix="maestroc-bench-cache-") as empty:
        environment = ENVIRONMENT | {"XDG_CACHE_HOME": empty} if cold_cache else ENVIRONMENT
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        # Run outside the checkout: `python -m` would otherwise import the maestroc of the current folder.
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd=tempfile.gettempdir(), env=environment)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def spread(times: list[tuple[float, float]]) -> str:
    """Wall median (min, max), then the CPU-time median: on a loaded machine the wall time counts waits."""
    wall = [w for w, _ in times]
    cpu = statistics.median(c for _, c in times)
    return f"{statistics.median(wall):6.3f} s (min {min(wall):.3f}, max {max(wall):.3f}); CPU {cpu:.3f} s"


COLD = " (cold cache)"  # a command name ending so runs with an empty cache folder


def alternate(commands: dict[str, list[str]], repeat: int) -> dict[str, list[tuple[float, float]]]:
    """Each command ``repeat`` times, interleaved, so that all see the same machine load (after one untimed run)."""
    for name, command in commands.items():
        timed(command, cold_cache=name.endswith(COLD))
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            times[name].append(timed(command, cold_cache=name.endswith(COLD)))
    return times


def compile_imports(python: str, compile_args: list[str]) -> list[str]:
    """The maestroc modules a compile with these arguments imports (run once in a fresh process)."""
    script = ("import sys\nfrom maestroc.cli import main\nmain(sys.argv[1:])\n"
              "print(' '.join(m for m in sys.modules if m.split('.')[0] == 'maestroc'), file=sys.stderr)")
    with tempfile.TemporaryDirectory() as folder:
        output = str(Path(folder) / "out.csv")
        run = subprocess.run([python, "-c", script, *compile_args, "-o", output], capture_output=True, text=True,
                             check=True, cwd=tempfile.gettempdir(), env=ENVIRONMENT)
    return run.stderr.strip().splitlines()[-1].split()


def phases(network: Path, hardware: Path, repeat: int) -> dict[str, float]:
    """Median CPU seconds of each phase of a compile, in a fresh process set up as the command line sets it."""
    command = [sys.executable, __file__, "--phases-of", str(network), str(hardware), "--repeat", str(repeat)]
    run = subprocess.run(command, capture_output=True, text=True, check=True, env=ENVIRONMENT)
    return json.loads(run.stdout)


def measure_phases(network: Path, hardware: Path, repeat: int) -> dict[str, float]:
    """Median CPU seconds of each phase of a compile, in this process (the --phases-of mode)."""
    from maestroc.cli import YOUNG_COLLECTIONS_EVERY, young_collections_every
    from maestroc.costmodel import structure_of
    from maestroc.diagnostics import Diagnostics
    from maestroc.frontend import load_hardware, load_mapping
    from maestroc.metrics import evaluate_network
    from maestroc.passes import PIPELINE
    from maestroc.pipeline import PassContext, run_pipeline
    from maestroc.report import format_csv
    from maestroc.timing import folded

    samples: dict[str, list[float]] = {"parse + checks": [], "passes": [], "cost model": [], "output": []}
    with young_collections_every(YOUNG_COLLECTIONS_EVERY):  # as during a command
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
            for name, seconds in zip(samples, (parsed - start, lowered - parsed, evaluated - lowered,
                                               done - evaluated), strict=True):
                samples[name].append(seconds)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared" / "maestro"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--compare", metavar="PYTHON", help="interpreter of another maestroc installation")
    parser.add_argument("--phases-of", nargs=2, metavar=("NET.m", "HW.m"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phases_of:  # one network's phases, measured in this fresh process (see phases())
        print(json.dumps(measure_phases(Path(args.phases_of[0]), Path(args.phases_of[1]), args.repeat)))
        return 0
    shared = Path(args.shared)
    hardware = shared / "inputs/hw/hw_default.m"
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load} (1, 5, 15 min); medians of {args.repeat} runs (min, max)")
    pythons = {"maestroc": sys.executable} | ({"compare": args.compare} if args.compare else {})
    startup = alternate({"python -c pass": [sys.executable, "-c", "pass"]}, args.repeat)
    for name, times in startup.items():
        print(f"{name:<48}{spread(times)}")
    small = shared / "inputs/mapping/example.m"
    for command in ("parse", "lint"):
        runs = alternate({who: [python, "-m", "maestroc", command, str(small)] for who, python in pythons.items()},
                         args.repeat)
        for who, times in runs.items():
            print(f"{who + ' ' + command + ' example.m':<48}{spread(times)}")
    ends: dict[str, float] = {}  # CPU medians
    for name in NETWORKS:
        network = shared / "inputs/mapping" / f"{name}.m"
        compile_args = ["compile", str(network), "--hw", str(hardware), "--emit", "csv"]
        commands = {who: [python, "-m", "maestroc", *compile_args] for who, python in pythons.items()}
        commands |= {who + COLD: [python, "-m", "maestroc", *compile_args] for who, python in pythons.items()}
        commands["maestroc --no-cache"] = [sys.executable, "-m", "maestroc", "--no-cache", *compile_args]
        runs = alternate(commands, args.repeat)
        ends[name] = statistics.median(cpu for _, cpu in runs["maestroc"])
        for who, times in runs.items():
            print(f"{name + ': ' + who:<48}{spread(times)}")
    print("\nshare of the end-to-end CPU time (start-up + imports: a fresh process importing what the compile imports)")
    for name in NETWORKS:
        network = shared / "inputs/mapping" / f"{name}.m"
        modules = compile_imports(sys.executable, ["compile", str(network), "--hw", str(hardware), "--emit", "csv"])
        imports = alternate({"imports": [sys.executable, "-c", "import " + ", ".join(modules)]}, args.repeat)
        parts = {"start-up + imports": statistics.median(cpu for _, cpu in imports["imports"])}
        parts |= phases(network, hardware, args.repeat)
        parts["other"] = ends[name] - sum(parts.values())
        shown = ", ".join(f"{part} {seconds * 1000:.0f} ms ({seconds / ends[name]:.0%})"
                          for part, seconds in parts.items())
        print(f"  {name}: {shown}")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average at the end: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
