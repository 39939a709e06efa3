"""`maestroc compile`: the pass pipeline, IR dumps, and the cost outputs (report, CSV, JSON, reuse, plot)."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from maestroc import install_hint
from maestroc.commands.common import (EXIT_INPUT, EXIT_OK, add_dataflow_options, add_output_options, dataflow_for,
                                      load_inputs, output_writer)
from maestroc.diagnostics import Diagnostics, Severity, print_diagnostics

if TYPE_CHECKING:
    from maestroc.hardware import HardwareSpec
    from maestroc.ir import NetworkIR
    from maestroc.outputs import OutputWriter
    from maestroc.pipeline import Pass

COST_OUTPUTS = ("report", "csv", "json", "reuse", "plot")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compile", help="run the pass pipeline on a network (and its hardware)",
        description="Lower a mapping file through the pass pipeline (see `maestroc passes`) and print the "
                    "result. The IR can be printed before or after any pass.")
    p.add_argument("network", metavar="NET.m", help="mapping file (layers with dataflows), or a model file with "
                   "--dataflow/--dataflow-for")
    p.add_argument("--hw", metavar="HW.m", help="hardware file; needed to size the cluster levels")
    add_dataflow_options(p)
    p.add_argument("--emit", choices=("report", "csv", "json", "reuse", "plot", "ir", "none"), default=None,
                   help="what to print: a report table (default with --hw), MAESTRO's CSV, JSON, the cost "
                        "expressions (reuse), or the IR (default without --hw)")
    p.add_argument("--latex", action="store_true", help="with --emit reuse: print the expressions as LaTeX")
    p.add_argument("--strict", action="store_true",
                   help="make a layer that exceeds the hardware's L1/L2 size or bandwidth, or whose MAC count is not "
                        "the layer's true count (C405), an error (exit 2)")
    p.add_argument("--layer-names", choices=("maestro", "written"), default="maestro",
                   help="CSV layer names: MAESTRO's (`Conv2d-1` prints as `1`, the default) or as written")
    p.add_argument("--fix-energy-carry", action="store_true",
                   help="CSV energy: use each layer's own L1 counts, not MAESTRO's carried-over ones "
                        "(docs/deviations.md)")
    add_output_options(p, inputs=("network", "hw", "dataflow", "dataflow_for"), metavar="FILE",
                       help="write the output to FILE instead of stdout (docs/outputs.md: never over an input, "
                            "an existing file only with --force)")
    p.add_argument("--layer", metavar="NAME", help="show only this layer (IR and cost outputs)")
    p.add_argument("--set", metavar="CONSTANT=VALUE", action="append",
                   help="give a Constant of the file another value, e.g. --set KTile=32 (repeatable)")
    p.add_argument("--print-ir-after", metavar="PASS", action="append", help="print the IR after PASS (repeatable)")
    p.add_argument("--print-ir-before", metavar="PASS", action="append", help="print the IR before PASS (repeatable)")
    p.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass")
    p.add_argument("--stop-after", metavar="PASS",
                   help="stop the pipeline after PASS and print the IR there (cost outputs need the whole pipeline)")
    p.add_argument("--time-passes", action="store_true", help="print a table of time per pass (stderr)")
    p.add_argument("--verify-each", action="store_true", help="check the IR invariants after every pass")
    p.add_argument("--dump-dir", metavar="DIR",
                   help="write IR dumps to DIR, one numbered file per dump (after every pass unless "
                        "--print-ir-* chooses); DIR must be empty unless --force")
    p.set_defaults(run=run)


class _Dumper:
    """The pipeline callbacks behind --print-ir-*, --dump-dir, --verify-each."""

    def __init__(self, args: argparse.Namespace, writer: OutputWriter) -> None:
        self.args = args
        self.writer = writer
        self.before = set(args.print_ir_before or ())
        self.after = set(args.print_ir_after or ())
        # --dump-dir alone asks for dumps: one file after every pass
        self.after_all = args.print_ir_after_all or (args.dump_dir is not None and not (self.before or self.after))
        self.count = 0
        self.completed: list[str] = []

    def _text(self, value: object) -> str:
        from maestroc import ast
        from maestroc.ir import NetworkIR, format_network

        if isinstance(value, NetworkIR):
            return format_network(value, self.args.layer)
        return ast.format_tree(value)  # type: ignore[arg-type]

    def _emit(self, title: str, value: object) -> None:
        self.count += 1
        text = f"// ----- IR {title} -----\n{self._text(value)}"
        if self.args.dump_dir:
            name = title.replace(" ", "-")
            self.writer.write(f"{self.args.dump_dir}/{self.count:02d}-{name}.ir", text, "--dump-dir")
        else:
            sys.stdout.write(text + "\n")

    def on_before(self, p: Pass, value: object) -> None:
        if p.name in self.before:
            self._emit(f"before {p.name}", value)

    def on_after(self, p: Pass, value: object) -> None:
        from maestroc.ir import NetworkIR

        self.completed.append(p.name)
        if self.args.verify_each and isinstance(value, NetworkIR):
            from maestroc.verify import verify

            problems = verify(value, self.completed)
            if problems:
                raise AssertionError(f"IR verification failed after pass {p.name}: " + "; ".join(problems))
        if self.after_all or p.name in self.after:
            self._emit(f"after {p.name}", value)


def _emit_costs(args: argparse.Namespace, emit: str, network: NetworkIR, hardware: HardwareSpec,
                diagnostics: Diagnostics, writer: OutputWriter) -> None:
    """Evaluate the cost expressions and write the requested output."""
    # The cost model and the outputs, imported here so that parse and lint start fast.
    from maestroc.api import report_capacity
    from maestroc.systolic import report_pipelines
    from maestroc.coverage import network_gaps, report_gaps
    from maestroc.metrics import evaluate_network
    from maestroc.outputs import image_format, table_console, table_text
    from maestroc.report import (
        csv_notes,
        draw_layers,
        format_csv,
        format_json,
        render_report,
    )

    if args.layer:
        network = replace(network, layers=tuple(layer for layer in network.layers if layer.name == args.layer))
    report_gaps(network_gaps(network), diagnostics, strict=args.strict)
    if emit == "reuse":
        from maestroc.expressions import format_reuse  # sympy: only this output needs it

        writer.write(args.output, format_reuse(network, latex=args.latex, noc_topology=hardware.noc_topology))
        return
    layers = evaluate_network(network, hardware, maestro_quirk=not args.fix_energy_carry)
    if not layers and diagnostics.has_errors:
        return  # every layer failed: the diagnostics say why; no empty table or bare CSV header
    report_capacity(network, hardware, layers, diagnostics, strict=args.strict)
    report_pipelines(network, hardware, diagnostics, strict=args.strict)
    if emit == "csv":
        writer.write(args.output, format_csv(network.name, layers, maestro_names=args.layer_names == "maestro"))
        for note in csv_notes(hardware):
            print(f"maestroc compile: note: {note}", file=sys.stderr)
    elif emit == "json":
        writer.write(args.output, format_json(network.name, network.path, hardware, layers))
    elif emit == "plot":
        image = draw_layers(network.name, layers, image_format(args.output))
        if image is None:
            diagnostics.error("E005", f"--emit plot needs matplotlib: {install_hint('plot')}")
        else:
            writer.write(args.output, image)
    elif args.output:
        writer.write(args.output, table_text(render_report(network.name, hardware, layers)))
    else:
        table_console().print(render_report(network.name, hardware, layers))


def run(args: argparse.Namespace) -> int:
    from maestroc import ast
    from maestroc.ir import NetworkIR, format_network
    from maestroc.outputs import image_format
    from maestroc.passes import PASS_NAMES, PIPELINE
    from maestroc.pipeline import PassContext, run_pipeline
    from maestroc.sema import MAX_VALUE, check_mapping

    diagnostics = Diagnostics()
    unknown = [n for n in (args.print_ir_after or []) + (args.print_ir_before or []) + [args.stop_after or ""]
               if n and n not in PASS_NAMES]
    if unknown:
        print(f"maestroc: unknown pass {unknown[0]!r}; passes: {', '.join(PASS_NAMES)}", file=sys.stderr)
        return EXIT_INPUT
    # Stopping after the last pass runs the whole pipeline; stopping earlier leaves no costs to print.
    stops_early = args.stop_after not in (None, PASS_NAMES[-1])
    if stops_early and args.emit in COST_OUTPUTS:
        print(f"maestroc compile: --emit {args.emit} needs the whole pipeline, but --stop-after {args.stop_after} "
              f"stops it early; use --emit ir (the default with --stop-after) to see the IR there", file=sys.stderr)
        return EXIT_INPUT
    rules = dataflow_for(args.dataflow_for, "compile")
    if rules is None:
        return EXIT_INPUT
    tree, hardware = load_inputs(args.network, args.hw, diagnostics, args.dataflow, rules)
    if tree is None or diagnostics.has_errors:
        print_diagnostics(diagnostics)
        return EXIT_INPUT
    if args.set:
        values = {}
        for assignment in args.set:
            name, _, value = assignment.partition("=")
            # ASCII digits only: str.isdigit() also accepts superscripts such as `²`, which int() refuses.
            if name not in {c.name for c in tree.constants} or not re.fullmatch(r"[0-9]+", value.strip()) \
                    or not 1 <= int(value) <= MAX_VALUE:
                known = ", ".join(c.name for c in tree.constants) or "none"
                print(f"maestroc compile: --set {assignment!r}: expected CONSTANT=NUMBER, a whole number from 1 to "
                      f"2^62, with a Constant of the file (known: {known})", file=sys.stderr)
                return EXIT_INPUT
            values[name] = int(value)
        tree = ast.with_constants(tree, values)
        # The new values must pass the same checks as written ones (e.g. a filter larger than its input).
        rechecked = Diagnostics()
        check_mapping(tree, rechecked)
        for diagnostic in rechecked:
            if diagnostic.severity is Severity.ERROR:
                diagnostics.add(diagnostic)
        if diagnostics.has_errors:
            print_diagnostics(diagnostics)
            return EXIT_INPUT
    if args.layer and args.layer not in {layer.name for layer in tree.networks[0].layers}:
        print(f"maestroc: no layer named {args.layer!r} in {args.network}", file=sys.stderr)
        return EXIT_INPUT
    writer = output_writer(args)
    emit = args.emit or ("report" if hardware is not None and not stops_early else "ir")
    if args.output and emit == "none":  # -o is never silently ignored
        print(f"maestroc compile: -o {args.output}: --emit none writes nothing; use --emit ir (or drop -o)",
              file=sys.stderr)
        return EXIT_INPUT
    if emit == "plot":
        if not args.output:
            print("maestroc compile: --emit plot needs -o FILE.png", file=sys.stderr)
            return EXIT_INPUT
        image_format(args.output)
    if args.dump_dir is not None:
        writer.prepare_folder(args.dump_dir, "--dump-dir")
    dumper = _Dumper(args, writer)
    result = run_pipeline(tree, PIPELINE, PassContext(diagnostics, hardware), before=dumper.on_before,
                          after=dumper.on_after, stop_after=args.stop_after)
    if args.time_passes:
        total = sum(t.seconds for t in result.timings) or 1e-12
        lines = [f"{'pass':<16}{'seconds':>10}{'share':>8}"]
        lines += [f"{t.name:<16}{t.seconds:>10.4f}{t.seconds / total:>8.1%}" for t in result.timings]
        lines.append(f"{'total':<16}{total:>10.4f}")
        print("\n".join(lines), file=sys.stderr)
    if emit in COST_OUTPUTS and isinstance(result.ir, NetworkIR):
        if hardware is None:
            print(f"maestroc compile: --emit {emit} needs a hardware file (--hw HW.m)", file=sys.stderr)
            return EXIT_INPUT
        _emit_costs(args, emit, result.ir, hardware, diagnostics, writer)
    elif emit == "ir" and isinstance(result.ir, NetworkIR):
        writer.write(args.output, format_network(result.ir, args.layer))
    print_diagnostics(diagnostics)
    return EXIT_INPUT if diagnostics.has_errors else EXIT_OK
