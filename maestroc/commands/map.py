"""`maestroc map`: find each layer's best dataflow in a declared mapping space (docs/mapping.md)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator

from maestroc.commands.common import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, add_output_options, output_writer

EXIT_TERMINATED = 128 + signal.SIGTERM
# The flag of each parameter of maestroc.map that a run option sets: an option error names what the user typed.
OPTION_FLAGS = {"objectives": "--objective", "time_budget": "--time-budget", "max_mappings": "--max-mappings",
                "workers": "--workers", "scheduler_timeout": "--scheduler-timeout"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "map", help="find each layer's best dataflow for a hardware design (the mapper)",
        description="Search every layer's mapping space (orders, spatial dims, tile and cluster sizes; "
                    "docs/mapping.md) with the cost model, keep the mappings that pass the lint rules, do the "
                    "layer's MACs exactly and fit L1/L2, and write the best as an ordinary mapping file.")
    p.add_argument("network", metavar="NET.m", help="model file (no dataflows) or mapping file (its dataflows are "
                   "the baseline to beat)")
    p.add_argument("--hw", metavar="HW.m", help="hardware file (required)")
    p.add_argument("--objective", action="append", choices=("runtime", "energy", "edp"),
                   help="what to minimise (default edp); repeat for per-layer Pareto fronts (the first ranks the "
                        "best)")
    p.add_argument("--space", metavar="SPACE.toml", help="narrow or widen the mapping space (docs/mapping.md)")
    p.add_argument("--explain-space", action="store_true", help="print each layer's space and its size; search nothing")
    p.add_argument("--time-budget", type=float, metavar="SECONDS", help="stop after this long, keeping the best so far")
    p.add_argument("--max-mappings", type=int, metavar="N", help="evaluate at most N mappings per layer")
    p.add_argument("--exhaustive", action="store_true",
                   help="evaluate every mapping in full, without pruning by the rules and the proven lower bound "
                        "(the same result, more slowly; to check the pruning, or to time the cost model)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="worker processes searching layer shapes, and parts of each, side by side (default 1; "
                        "same result); with --dask, the workers of a local Dask cluster")
    p.add_argument("--dask", action="store_true", help="search on a local Dask cluster of --workers workers")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="search on the Dask cluster at ADDRESS, e.g. tcp://10.0.0.5:8786 (docs/distributed.md)")
    p.add_argument("--scheduler-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="give up on a --scheduler that does not answer as Dask within this time (default 10)")
    p.add_argument("--template", dest="templates", metavar="FILE.m", action="append",
                   help="a dataflow template that is a baseline and a point of the space (repeat; default: the "
                        "templates of samples/dataflows; `templates = false` in --space uses none)")
    add_output_options(p, inputs=("network", "hw", "space"), metavar="DIR", folder=True,
                       help="write mapped.m, summary.json (and front.csv/front.json with several objectives) into "
                            "DIR, which must be empty unless --force")
    p.set_defaults(run=run)


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[list[int]]:
    """Ctrl-C and SIGTERM set ``stop``: the search ends after the current batch and keeps the best so far."""
    caught: list[int] = []

    def handler(signum: int, frame: object) -> None:
        caught.append(signum)
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


@contextlib.contextmanager
def _progress() -> Iterator[Callable]:
    """Rich progress bars on a terminal: one for the network's layer shapes, one for the current layer."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from maestroc.mapping.network import MapProgress

    console = Console(file=sys.stderr)
    if not console.is_terminal:
        yield lambda event: None
        return
    with Progress(TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[unit]}"), TimeElapsedColumn(), console=console, transient=True) as bars:
        network = bars.add_task("network", total=None, unit="layer shapes")
        layer = bars.add_task("", total=None, unit="mappings", visible=False)

        def update(event: MapProgress) -> None:
            bars.update(network, total=event.shapes, completed=event.shape + event.finished)
            bars.update(layer, description=event.layer, total=event.size, completed=event.considered,
                        visible=not event.finished)

        yield update


def _explain(args: argparse.Namespace) -> int:
    from maestroc.api import map_space
    from maestroc.diagnostics import InputError, print_diagnostics

    try:
        print(map_space(args.network, args.hw, space=args.space, templates=args.templates), end="")
    except InputError as error:
        print_diagnostics(error.diagnostics)
        return EXIT_INPUT
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    from maestroc.api import map as map_network
    from maestroc.diagnostics import InputError, print_diagnostics
    from maestroc.mapping.inputs import checked_run_options, map_inputs
    from maestroc.mapping.output import output_names, print_table, write_results

    if args.hw is None:
        print("maestroc map: give the hardware with --hw HW.m (the best dataflow depends on it)", file=sys.stderr)
        return EXIT_INPUT
    objectives = args.objective or ["edp"]
    try:  # a bad option is an error whatever the run does (--explain-space too)
        checked_run_options(objectives, args.time_budget, args.max_mappings, args.workers, args.scheduler_timeout,
                            names=OPTION_FLAGS)
    except InputError as error:
        print_diagnostics(error.diagnostics)
        return EXIT_INPUT
    if args.explain_space:
        return _explain(args)
    writer = output_writer(args)
    stop = threading.Event()
    try:
        if args.output is not None:  # everything that can refuse the folder, before the search, not after it
            map_inputs(args.network, args.hw, args.space, args.templates)  # a bad input leaves no folder behind
            for name in output_names(len(objectives)):  # with --force the folder may hold an input of that name
                writer.check_file(os.path.join(args.output, name), "-o")
            writer.prepare_folder(args.output, "-o")  # e.g. no permission to create it
        with _stop_on_signals(stop) as caught, _progress() as update:
            result = map_network(args.network, args.hw, objectives=objectives, space=args.space,
                                 time_budget=args.time_budget, max_mappings=args.max_mappings,
                                 templates=args.templates, workers=args.workers, dask=args.dask,
                                 scheduler=args.scheduler, scheduler_timeout=args.scheduler_timeout,
                                 exhaustive=args.exhaustive, stop=stop, progress=update)
    except InputError as error:
        print_diagnostics(error.diagnostics)
        return EXIT_INPUT
    if args.output is not None:  # files first: a closed stdout must not lose them
        write_results(writer, args.output, result)
    print_table(result)
    if signal.SIGTERM in caught:
        return EXIT_TERMINATED
    return EXIT_INTERRUPTED if signal.SIGINT in caught else EXIT_OK

