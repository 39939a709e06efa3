"""`maestroc compile`: the pass pipeline, IR dumps, and the cost outputs (report, CSV, JSON, reuse, plot)."""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import replace

from maestroc import ast
from maestroc.commands.common import EXIT_INPUT, EXIT_OK, load_inputs, output_dir_ready
from maestroc.diagnostics import Diagnostics, print_diagnostics
from maestroc.hardware import HardwareSpec
from maestroc.ir import NetworkIR, format_network
from maestroc.outputs import table_console, write_output
from maestroc.passes import PASS_NAMES, PIPELINE
from maestroc.pipeline import Pass, PassContext, run_pipeline
from maestroc.verify import verify


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compile", help="run the pass pipeline on a network (and its hardware)",
        description="Lower a mapping file through the pass pipeline (see `maestroc passes`) and print the "
                    "result. The IR can be printed before or after any pass.")
    p.add_argument("network", metavar="NET.m", help="mapping file (layers with dataflows)")
    p.add_argument("--hw", metavar="HW.m", help="hardware file; needed to size the cluster levels")
    p.add_argument("--emit", choices=("report", "csv", "json", "reuse", "plot", "ir", "none"), default=None,
                   help="what to print: a report table (default with --hw), MAESTRO's CSV, JSON, the cost "
                        "expressions (reuse), or the IR (default without --hw)")
    p.add_argument("--latex", action="store_true", help="with --emit reuse: print the expressions as LaTeX")
    p.add_argument("--strict", action="store_true",
                   help="make a layer that exceeds the hardware's L1/L2 size or bandwidth an error (exit 2)")
    p.add_argument("--layer-names", choices=("maestro", "written"), default="maestro",
                   help="CSV layer names: MAESTRO's (`Conv2d-1` prints as `1`, the default) or as written")
    p.add_argument("--fix-energy-carry", action="store_true",
                   help="CSV energy: use each layer's own L1 counts, not MAESTRO's carried-over ones "
                        "(docs/deviations.md)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE (atomically) instead of stdout")
    p.add_argument("--layer", metavar="NAME", help="show only this layer (IR and cost outputs)")
    p.add_argument("--set", metavar="CONSTANT=VALUE", action="append",
                   help="give a Constant of the file another value, e.g. --set KTile=32 (repeatable)")
    p.add_argument("--print-ir-after", metavar="PASS", action="append", help="print the IR after PASS (repeatable)")
    p.add_argument("--print-ir-before", metavar="PASS", action="append", help="print the IR before PASS (repeatable)")
    p.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass")
    p.add_argument("--stop-after", metavar="PASS", help="stop the pipeline after PASS")
    p.add_argument("--time-passes", action="store_true", help="print a table of time per pass (stderr)")
    p.add_argument("--verify-each", action="store_true", help="check the IR invariants after every pass")
    p.add_argument("--dump-dir", metavar="DIR", help="write IR dumps to DIR, one numbered file per dump")
    p.set_defaults(run=run)


class _Dumper:
    """The pipeline callbacks behind --print-ir-*, --dump-dir, --verify-each."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.before = set(args.print_ir_before or ())
        self.after = set(args.print_ir_after or ())
        self.count = 0
        self.completed: list[str] = []

    def _text(self, value: object) -> str:
        if isinstance(value, NetworkIR):
            return format_network(value, self.args.layer)
        return ast.format_tree(value)  # type: ignore[arg-type]

    def _emit(self, title: str, value: object) -> None:
        self.count += 1
        text = f"// ----- IR {title} -----\n{self._text(value)}"
        if self.args.dump_dir:
            name = title.replace(" ", "-")
            write_output(f"{self.args.dump_dir}/{self.count:02d}-{name}.ir", text)
        else:
            sys.stdout.write(text + "\n")

    def on_before(self, p: Pass, value: object) -> None:
        if p.name in self.before:
            self._emit(f"before {p.name}", value)

    def on_after(self, p: Pass, value: object) -> None:
        self.completed.append(p.name)
        if self.args.verify_each and isinstance(value, NetworkIR):
            problems = verify(value, self.completed)
            if problems:
                raise AssertionError(f"IR verification failed after pass {p.name}: " + "; ".join(problems))
        if self.args.print_ir_after_all or p.name in self.after:
            self._emit(f"after {p.name}", value)


def _emit_costs(args: argparse.Namespace, emit: str, network: NetworkIR, hardware: HardwareSpec,
                diagnostics: Diagnostics) -> None:
    """Evaluate the cost expressions and write the requested output."""
    # The cost model needs sympy; imported here so that parse and lint start fast.
    from maestroc.metrics import evaluate_network
    from maestroc.report import (
        draw_layers,
        format_csv,
        format_json,
        format_reuse,
        render_report,
    )

    if args.layer:
        network = replace(network, layers=tuple(layer for layer in network.layers if layer.name == args.layer))
    if emit == "reuse":
        write_output(args.output, format_reuse(network, latex=args.latex))
        return
    layers = evaluate_network(network, hardware, maestro_quirk=not args.fix_energy_carry)
    _report_capacity(network, hardware, layers, diagnostics, strict=args.strict)
    if emit == "csv":
        write_output(args.output, format_csv(network.name, layers, maestro_names=args.layer_names == "maestro"))
    elif emit == "json":
        write_output(args.output, format_json(network.name, network.path, hardware, layers))
    elif emit == "plot":
        if not draw_layers(args.output, network.name, layers):
            diagnostics.error("E005", "--emit plot needs matplotlib: pip install 'maestroc[plot]'")
    elif args.output:
        from rich.console import Console

        console = Console(record=True, width=160, file=io.StringIO())
        console.print(render_report(network.name, hardware, layers))
        write_output(args.output, console.export_text())
    else:
        table_console().print(render_report(network.name, hardware, layers))


def _report_capacity(network: NetworkIR, hardware: HardwareSpec, layers: list, diagnostics: Diagnostics,
                     strict: bool) -> None:
    """One diagnostic per exceeded limit (C401-C404), at the worst layer; the report marks every layer."""
    from maestroc.report import capacity_findings

    by_code: dict[str, list[tuple[int, str, str]]] = {}
    for m in layers:
        for code, message, need in capacity_findings(m, hardware):
            by_code.setdefault(code, []).append((need, m.name, message))
    spans = {layer.name: layer.span for layer in network.layers}
    for code, items in sorted(by_code.items()):
        need, worst, message = max(items)
        names = ", ".join(f"`{name}`" for _, name, _ in items[:4]) + (", ..." if len(items) > 4 else "")
        add = diagnostics.error if strict else diagnostics.warning
        add(code, message + (f" ({len(items)} layers exceed it: {names})" if len(items) > 1 else ""), spans[worst],
            helps=[] if strict else ["marked with `!` in the report; --strict makes this an error"])


def run(args: argparse.Namespace) -> int:
    diagnostics = Diagnostics()
    unknown = [n for n in (args.print_ir_after or []) + (args.print_ir_before or []) + [args.stop_after or ""]
               if n and n not in PASS_NAMES]
    if unknown:
        print(f"maestroc: unknown pass {unknown[0]!r}; passes: {', '.join(PASS_NAMES)}", file=sys.stderr)
        return EXIT_INPUT
    tree, hardware = load_inputs(args.network, args.hw, diagnostics)
    if tree is None or diagnostics.has_errors:
        print_diagnostics(diagnostics)
        return EXIT_INPUT
    if args.set:
        values = {}
        for assignment in args.set:
            name, _, value = assignment.partition("=")
            if name not in {c.name for c in tree.constants} or not value.strip().isdigit() or int(value) < 1:
                known = ", ".join(c.name for c in tree.constants) or "none"
                print(f"maestroc compile: --set {assignment!r}: expected CONSTANT=POSITIVE_NUMBER with a Constant "
                      f"of the file (known: {known})", file=sys.stderr)
                return EXIT_INPUT
            values[name] = int(value)
        tree = ast.with_constants(tree, values)
    if args.layer and args.layer not in {layer.name for layer in tree.networks[0].layers}:
        print(f"maestroc: no layer named {args.layer!r} in {args.network}", file=sys.stderr)
        return EXIT_INPUT
    if args.dump_dir and not output_dir_ready(args.dump_dir, "--dump-dir"):
        return EXIT_INPUT
    dumper = _Dumper(args)
    result = run_pipeline(tree, PIPELINE, PassContext(diagnostics, hardware), before=dumper.on_before,
                          after=dumper.on_after, stop_after=args.stop_after)
    if args.time_passes:
        total = sum(t.seconds for t in result.timings) or 1e-12
        lines = [f"{'pass':<16}{'seconds':>10}{'share':>8}"]
        lines += [f"{t.name:<16}{t.seconds:>10.4f}{t.seconds / total:>8.1%}" for t in result.timings]
        lines.append(f"{'total':<16}{total:>10.4f}")
        print("\n".join(lines), file=sys.stderr)
    emit = args.emit or ("report" if hardware is not None else "ir")
    if emit == "plot" and not args.output:
        print("maestroc compile: --emit plot needs -o FILE.png", file=sys.stderr)
        return EXIT_INPUT
    if emit in ("report", "csv", "json", "reuse", "plot") and isinstance(result.ir, NetworkIR) and not args.stop_after:
        if hardware is None:
            print(f"maestroc compile: --emit {emit} needs a hardware file (--hw HW.m)", file=sys.stderr)
            return EXIT_INPUT
        _emit_costs(args, emit, result.ir, hardware, diagnostics)
    elif emit == "ir" and isinstance(result.ir, NetworkIR):
        write_output(args.output, format_network(result.ir, args.layer))
    print_diagnostics(diagnostics)
    return EXIT_INPUT if diagnostics.has_errors else EXIT_OK
