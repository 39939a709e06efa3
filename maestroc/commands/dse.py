"""`maestroc dse`: design-space exploration over hardware parameters and Constants."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import re
import signal
import sys
import time
from collections.abc import Iterator

from maestroc import install_hint
from maestroc.commands.common import (EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, add_output_options, load_inputs,
                                      output_writer)
from maestroc.diagnostics import Diagnostics, print_diagnostics

EXIT_TERMINATED = 128 + signal.SIGTERM
SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def memory_size(text: str) -> int:
    """``--memory``: bytes, or a number with K, M, G or T (binary units; ``1G``, ``512M``, ``1.5GiB``)."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"cannot read {text!r} as a size (e.g. 1G, 512M, 2000000000)")
    return int(float(match.group(1)) * SIZE_UNITS[match.group(2).upper()])


def add_parser(sub: argparse._SubParsersAction) -> None:
    from maestroc.dse_pools import DEFAULT_CONNECT_TIMEOUT

    p = sub.add_parser(
        "dse", help="explore hardware and mapping parameters; report the Pareto front",
        description="Evaluate every design of a space (hardware parameters and Constants of the network) with "
                    "the cost model's expressions vectorised over numpy arrays, count the valid designs and "
                    "report the Pareto front of the objectives. See docs/dse.md.")
    p.add_argument("network", metavar="NET.m", help="mapping file")
    p.add_argument("--space", metavar="SPACE.toml", help="the space as a TOML file")
    p.add_argument("--set", metavar="NAME=SPEC", action="append",
                   help="one axis: 64, 16,32,64, 64:1024:64 or pow2:16:1024 (repeatable; overrides --space)")
    p.add_argument("--objective", action="append", choices=("runtime", "throughput", "energy", "edp", "area", "power"),
                   help="an objective (repeat; at least two; default runtime and energy)")
    p.add_argument("--hw", metavar="HW.m", help="values of the hardware parameters that are not swept")
    p.add_argument("--area-budget", type=float, metavar="UM2",
                   help="maximum area in um^2 (MAESTRO's model; a finite number above 0, e.g. 6e8)")
    p.add_argument("--power-budget", type=float, metavar="MW",
                   help="maximum power in mW (MAESTRO's model; a finite number above 0)")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes (default 1); with --dask, the workers of a local Dask cluster")
    p.add_argument("--chunk", type=int, default=4, metavar="N",
                   help="groups of designs (num_pes x Constants combinations) per task (default 4)")
    p.add_argument("--dask", action="store_true", help="run on a local Dask cluster of --workers workers")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on the Dask cluster at ADDRESS, e.g. tcp://10.0.0.5:8786 (docs/distributed.md)")
    p.add_argument("--scheduler-timeout", type=float, default=DEFAULT_CONNECT_TIMEOUT, metavar="SECONDS",
                   help=f"give up on a --scheduler that does not answer as Dask within this time "
                        f"(default {DEFAULT_CONNECT_TIMEOUT:g})")
    p.add_argument("--time-budget", type=float, metavar="SECONDS",
                   help="stop this long after the command started, keeping the front")
    p.add_argument("--max-designs", type=int, metavar="N", help="stop after about N designs, keeping the front")
    p.add_argument("--memory", type=memory_size, default="1G", metavar="SIZE",
                   help="memory bound for one block of designs per process (default 1G; e.g. 512M, 4G)")
    p.add_argument("--top", type=int, default=10, help="front designs to print (default 10)")
    add_output_options(p, inputs=("network", "hw", "space"), metavar="DIR", folder=True,
                       help="write front.csv, front.json, summary.json (and front.png) into DIR, which must be "
                            "empty unless --force")
    p.add_argument("--emit-hw", type=int, default=0, metavar="K",
                   help="with -o: also write the first K designs of the front as hardware files design-01.m, ... "
                        "(each says how to reproduce it with maestroc compile)")
    p.add_argument("--plot", action="store_true", help="with -o: draw front.png (needs matplotlib: "
                   f"{install_hint('plot')})")
    p.set_defaults(run=run)


def process_start() -> float:
    """When this process started (``time.time()``): a time budget covers the whole command, start-up included.

    Linux tells it in /proc (the process's start in clock ticks after boot, against the uptime);
    elsewhere, now.
    """
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
        with open("/proc/uptime", encoding="ascii") as uptime:
            seconds_up = float(uptime.read().split()[0])
        return time.time() - max(seconds_up - ticks / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError):
        return time.time()


def _error(diagnostics: Diagnostics) -> int:
    print_diagnostics(diagnostics)
    return EXIT_INPUT


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the exploration as Ctrl-C does: workers ended, the front so far reported."""
    from maestroc.dse_run import Terminated

    def handler(signum: int, frame: object) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args: argparse.Namespace) -> int:
    from maestroc import dse_output
    from maestroc.dse_run import check_limits, explore, nothing_to_explore
    from maestroc.hardware import HardwareSpec
    from maestroc.space import SpaceError, finite_positive, load_space

    if args.emit_hw and not args.output or args.emit_hw < 0:
        print("maestroc dse: --emit-hw K writes DIR/design-01.m, ...: give the folder with -o DIR and K >= 1",
              file=sys.stderr)
        return EXIT_INPUT
    if args.plot and not args.output:
        print("maestroc dse: --plot draws DIR/front.png: give the folder with -o DIR", file=sys.stderr)
        return EXIT_INPUT
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        print(f"maestroc dse: --plot needs matplotlib: {install_hint('plot')}", file=sys.stderr)
        return EXIT_INPUT
    writer = output_writer(args)
    diagnostics = Diagnostics()
    tree, hardware = load_inputs(args.network, args.hw, diagnostics)  # as the Python API's dse reads them
    if tree is None or diagnostics.has_errors:
        return _error(diagnostics)
    base = hardware if hardware is not None else HardwareSpec()
    problem = nothing_to_explore(args.network, tree, args.space, args.set)
    if problem.has_errors:
        return _error(problem)
    try:
        space = load_space(args.space, args.set or [], args.objective, base)
        if args.area_budget is not None:
            space.set_constraint("area", args.area_budget, label="--area-budget")
        if args.power_budget is not None:
            space.set_constraint("power", args.power_budget, label="--power-budget")
        space.check({c.name for c in tree.constants})
        check_limits(args.time_budget, args.max_designs, args.memory)
        finite_positive("--scheduler-timeout", args.scheduler_timeout)
        for option, value in (("--workers", args.workers), ("--chunk", args.chunk), ("--top", args.top)):
            if value < 1:
                raise SpaceError(f"{option}: expected a whole number above 0, not {value}")
    except SpaceError as error:
        return _error(error.diagnostics())
    if args.output is not None:
        writer.prepare_folder(args.output, "-o")
    pool = None
    if args.scheduler or args.dask:
        try:
            from maestroc.dse_pools import DaskPool
            from maestroc.dse_run import run_task

            pool = DaskPool(run_task, args.scheduler, workers=args.workers, timeout=args.scheduler_timeout)
        except ImportError:
            print(f"maestroc dse: --scheduler/--dask need dask: {install_hint('distributed')}", file=sys.stderr)
            return EXIT_INPUT
        except OSError as error:
            print(f"maestroc dse: {error}", file=sys.stderr)
            return EXIT_INPUT
    try:
        with dse_output.progress_display(space.size) as update, _terminate_as_interrupt():
            result = explore(args.network, tree, space, workers=args.workers, time_budget=args.time_budget,
                             max_designs=args.max_designs, progress=update, pool=pool, chunk=args.chunk,
                             memory=args.memory, started=process_start())
    finally:
        if pool is not None:
            pool.close(finished=False)
    if args.output:  # files first: a closed stdout must not lose them
        dse_output.write_results(writer, args.output, args.network, space, result, plot=args.plot,
                                 emit_hw=args.emit_hw)
    dse_output.print_summary(space, result, args.top)
    if result.stopped_early == "terminated":
        return EXIT_TERMINATED
    return EXIT_INTERRUPTED if result.stopped_early == "interrupted" else EXIT_OK

