"""`maestroc dse`: design-space exploration over hardware parameters and Constants."""

from __future__ import annotations

import argparse
import importlib.util
import sys

from maestroc import ast, install_hint
from maestroc.commands.common import EXIT_INPUT, EXIT_OK, add_output_options, output_writer
from maestroc.diagnostics import Diagnostics, print_diagnostics
from maestroc.frontend import load_file, load_hardware
from maestroc.hardware import HardwareSpec


def add_parser(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("--area-budget", type=float, help="maximum area (MAESTRO's model)")
    p.add_argument("--power-budget", type=float, help="maximum power (MAESTRO's model)")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes (default 1); with --dask, the workers of a local Dask cluster")
    p.add_argument("--chunk", type=int, default=4, metavar="N",
                   help="groups of designs (num_pes x Constants combinations) per task (default 4)")
    p.add_argument("--dask", action="store_true", help="run on a local Dask cluster of --workers workers")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on the Dask cluster at ADDRESS, e.g. tcp://10.0.0.5:8786 (docs/distributed.md)")
    p.add_argument("--time-budget", type=float, metavar="SECONDS", help="stop after this long, keeping the front")
    p.add_argument("--max-designs", type=int, metavar="N", help="stop after about N designs, keeping the front")
    p.add_argument("--top", type=int, default=10, help="front designs to print (default 10)")
    add_output_options(p, inputs=("network", "hw", "space"), metavar="DIR", folder=True,
                       help="write front.csv, front.json, summary.json (and front.png) into DIR, which must be "
                            "empty unless --force")
    p.add_argument("--plot", action="store_true", help="with -o: draw front.png (needs matplotlib: "
                   f"{install_hint('plot')})")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from maestroc import dse_output
    from maestroc.exploration import explore
    from maestroc.space import SpaceError, load_space

    if args.plot and not args.output:
        print("maestroc dse: --plot draws DIR/front.png: give the folder with -o DIR", file=sys.stderr)
        return EXIT_INPUT
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        print(f"maestroc dse: --plot needs matplotlib: {install_hint('plot')}", file=sys.stderr)
        return EXIT_INPUT
    writer = output_writer(args)
    diagnostics = Diagnostics()
    tree = load_file(args.network, diagnostics, "mapping")
    base = load_hardware(args.hw, diagnostics) if args.hw else HardwareSpec()
    if tree is None or diagnostics.has_errors or base is None:
        print_diagnostics(diagnostics)
        return EXIT_INPUT
    assert isinstance(tree, ast.MappingFile)
    if not tree.networks:
        print(f"maestroc dse: {args.network} has no Network to explore", file=sys.stderr)
        return EXIT_INPUT
    try:
        space = load_space(args.space, args.set or [], args.objective, base)
        if args.area_budget is not None:
            space.constraints["area"] = args.area_budget
        if args.power_budget is not None:
            space.constraints["power"] = args.power_budget
        space.check({c.name for c in tree.constants})
    except SpaceError as error:
        print(f"maestroc dse: {error}", file=sys.stderr)
        return EXIT_INPUT
    if args.output is not None:
        writer.prepare_folder(args.output, "-o")
    pool = None
    if args.scheduler or args.dask:
        try:
            from maestroc.exploration import DaskPool

            pool = DaskPool(args.scheduler, workers=args.workers)
        except ImportError:
            print(f"maestroc dse: --scheduler/--dask need dask: {install_hint('distributed')}", file=sys.stderr)
            return EXIT_INPUT
        except OSError as error:
            print(f"maestroc dse: cannot reach the Dask scheduler {args.scheduler}: {error}", file=sys.stderr)
            return EXIT_INPUT
    try:
        with dse_output.progress_display(space.size) as update:
            result = explore(args.network, tree, space, workers=args.workers, time_budget=args.time_budget,
                             max_designs=args.max_designs, progress=update, pool=pool, chunk=args.chunk)
    finally:
        if pool is not None:
            pool.close()
    if args.output:  # files first: a closed stdout must not lose them
        dse_output.write_results(writer, args.output, args.network, space, result, plot=args.plot)
    dse_output.print_summary(space, result, args.top)
    return EXIT_OK
