"""A DSE over 10^10 designs with --time-budget 5 ends within 6 s under `ulimit -v 2000000`, with a valid
partial front.

The space: tiny_cnn (5 layers) on 256 PEs, noc_bw and offchip_bw each 1..100,000 (10^10 designs in one
group of designs). Each run is `maestroc dse ... --time-budget 5 -o DIR` in a fresh process whose
address space is capped at 2,000,000 KiB (RLIMIT_AS, what `ulimit -v` sets); the script prints the wall
time from start to exit (median and spread of several runs), the peak resident memory, the designs
explored and the front's size, and checks that the front's designs are valid (each is compiled on its
own and gives the same runtime). The baseline, in the same conditions, is the same command stopped after
its first block (`--max-designs 1`): start-up, parsing and the expression derivation, which the budget
includes since it counts from the command's start.

Usage: python bench/dse_budget.py [--runs N] [--budget SECONDS] [--workers N]
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

ROOT = Path(__file__).resolve().parents[1]
NETWORK = ROOT / "samples/networks/tiny_cnn.m"
SPACE = ["--set", "num_pes=256", "--set", "noc_bw=1:100000", "--set", "offchip_bw=1:100000",
         "--objective", "runtime", "--objective", "energy"]
ADDRESS_SPACE_KIB = 2_000_000


def _limit_address_space() -> None:
    limit = ADDRESS_SPACE_KIB * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_once(options: list[str]) -> tuple[float, float, dict, list]:
    """(wall seconds, peak RSS MiB, summary.json, front.json) of one run in a fresh, capped process."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run"
        command = [sys.executable, "-m", "maestroc", "dse", str(NETWORK), *SPACE, *options, "-o", str(out)]
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   preexec_fn=_limit_address_space)  # noqa: PLW1509
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        error = process.stderr.read().decode() if process.stderr else ""
        if process.returncode != 0:
            raise SystemExit(f"run failed ({process.returncode}): {' '.join(command)}\n{error}")
        return (seconds, usage.ru_maxrss / 1024, json.loads((out / "summary.json").read_text()),
                json.loads((out / "front.json").read_text()))


def front_is_valid(front: list) -> bool:
    """Each front design compiled on its own gives the runtime the exploration reported."""
    from maestroc.api import compile_files
    from maestroc.hardware import HardwareSpec

    for entry in front:
        design = {k: (2**31 - 1 if v == "unlimited" else v) for k, v in entry["design"].items()}
        spec = HardwareSpec(num_pes=design["num_pes"], noc_bw=design["noc_bw"], offchip_bw=design["offchip_bw"],
                            noc_latency=design["noc_latency"], num_simd_lanes=design["num_simd_lanes"],
                            l1_size=design["l1_size"], l2_size=design["l2_size"])
        layers = compile_files(str(NETWORK), spec).layers
        if sum(m.runtime for m in layers) != entry["metrics"]["runtime"]:
            return False
    return bool(front)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    workers = ["--workers", str(args.workers)]
    base = [run_once(["--max-designs", "1", *workers]) for _ in range(args.runs)]
    print(f"baseline (first block only): median {statistics.median(b[0] for b in base):.2f} s "
          f"(min {min(b[0] for b in base):.2f}, max {max(b[0] for b in base):.2f}), "
          f"peak RSS {max(b[1] for b in base):,.0f} MiB")
    runs = [run_once(["--time-budget", f"{args.budget:g}", *workers]) for _ in range(args.runs)]
    seconds = [r[0] for r in runs]
    summary, front = runs[-1][2], runs[-1][3]
    print(f"10^10 designs, --time-budget {args.budget:g}, ulimit -v {ADDRESS_SPACE_KIB:,}: median "
          f"{statistics.median(seconds):.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f}) over {args.runs} "
          f"runs, peak RSS {max(r[1] for r in runs):,.0f} MiB")
    print(f"last run: {summary['designs_explored']:,} of {summary['designs_in_space']:,} designs explored "
          f"({summary['stopped_early']}), {summary['designs_valid']:,} valid, {len(front)} on the front, "
          f"front valid: {front_is_valid(front)}")
    within = max(seconds) <= args.budget + 1
    print(f"every run ended within {args.budget + 1:g} s: {within}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
