"""The ``maestroc`` command line.

argparse (standard library) rather than click/typer: sub-commands, per-command
``--help`` and repeatable options are all it needs, and it adds no dependency.
Exit status: 0 success, 1 findings at error level (lint), 2 input errors,
3 an internal error (a bug in maestroc: please report it).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from rich.console import Console

from maestroc import __version__, ast
from maestroc.diagnostics import Diagnostics, print_diagnostics
from maestroc.frontend import load_file, load_hardware, load_source
from maestroc.layertypes import LAYER_TYPES
from maestroc.hardware import HardwareSpec
from maestroc.ir import NetworkIR, format_network
from maestroc.lint import RULES, RULES_BY_KEY, run_rules
from maestroc.lint_output import format_findings
from maestroc.outputs import prepare_output_dir, table_console, write_output
from maestroc.passes import PASS_NAMES, PIPELINE
from maestroc.pipeline import Pass, PassContext, run_pipeline
from maestroc.verify import verify

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3



def _add_parse(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "parse", help="parse and check files, print their syntax tree",
        description="Parse MAESTRO input files (mapping, model, dataflow template or hardware), check "
                    "names, types and values, and print the syntax tree. The kind of each file is "
                    "detected from its content unless --kind is given. Exit status 2 if any file has "
                    "an error.")
    p.add_argument("files", nargs="+", metavar="FILE", help="input files (.m)")
    p.add_argument("--emit", choices=("ast", "json", "none"), default="ast",
                   help="what to print: a readable tree (default), JSON, or nothing (check only)")
    p.add_argument("--kind", choices=("mapping", "hw"), default=None,
                   help="read every FILE as this kind instead of detecting it")
    p.set_defaults(run=cmd_parse)


def cmd_parse(args: argparse.Namespace) -> int:
    diagnostics = Diagnostics()
    trees: list[ast.SourceFile] = []
    for path in args.files:
        tree = load_file(path, diagnostics, args.kind)
        if tree is not None:
            trees.append(tree)
    if args.emit == "ast":
        for tree in trees:
            sys.stdout.write(ast.format_tree(tree))
    elif args.emit == "json":
        payload = [ast.to_json(t) for t in trees]
        document = {"files": payload, "diagnostics": [d.to_json() for d in diagnostics]}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    print_diagnostics(diagnostics)
    return EXIT_INPUT if diagnostics.has_errors else EXIT_OK


def _output_dir_ready(path: str, option: str) -> bool:
    problem = prepare_output_dir(path, option)
    if problem:
        print(f"maestroc: {problem}", file=sys.stderr)
    return problem is None


def _load_inputs(network_path: str, hw_path: str | None,
                 diagnostics: Diagnostics) -> tuple[ast.MappingFile | None, HardwareSpec | None]:
    tree = load_file(network_path, diagnostics)
    hardware = load_hardware(hw_path, diagnostics) if hw_path else None
    if tree is not None and (not isinstance(tree, ast.MappingFile) or not tree.networks):
        hint = " (give hardware files with --hw)" if tree.kind == "hw" else ""
        diagnostics.error("E004", f"{network_path}: no `Network` to analyse: this is a {tree.kind} file{hint}")
        return None, hardware
    return tree, hardware  # type: ignore[return-value]


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


def cmd_compile(args: argparse.Namespace) -> int:
    diagnostics = Diagnostics()
    unknown = [n for n in (args.print_ir_after or []) + (args.print_ir_before or []) + [args.stop_after or ""]
               if n and n not in PASS_NAMES]
    if unknown:
        print(f"maestroc: unknown pass {unknown[0]!r}; passes: {', '.join(PASS_NAMES)}", file=sys.stderr)
        return EXIT_INPUT
    tree, hardware = _load_inputs(args.network, args.hw, diagnostics)
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
    if args.dump_dir and not _output_dir_ready(args.dump_dir, "--dump-dir"):
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


def _emit_costs(args: argparse.Namespace, emit: str, network: NetworkIR, hardware: HardwareSpec,
                diagnostics: Diagnostics) -> None:
    """Evaluate the cost expressions and write the requested output."""
    # The cost model needs sympy; imported here so that parse and lint start fast.
    from maestroc.metrics import evaluate_network
    from maestroc.report import draw_layers, format_csv, format_json, format_reuse, render_report

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


def _add_compile(sub: argparse._SubParsersAction) -> None:
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
    p.set_defaults(run=cmd_compile)


def cmd_passes(args: argparse.Namespace) -> int:
    width = max(len(p.name) for p in PIPELINE)
    for index, p in enumerate(PIPELINE, start=1):
        print(f"{index:>2}. {p.name:<{width}}  {p.summary}")
    return EXIT_OK


def _add_passes(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("passes", help="list the pass pipeline", description="List the passes, in order.")
    p.set_defaults(run=cmd_passes)


def cmd_lint(args: argparse.Namespace) -> int:
    for key in (args.disable or []) + (args.enable or []):
        if key not in RULES_BY_KEY:
            print(f"maestroc: unknown lint rule {key!r}; see `maestroc lint --list-rules`", file=sys.stderr)
            return EXIT_INPUT
    if args.list_rules:
        for rule in RULES:
            state = "" if rule.enabled_by_default else "  (off by default)"
            print(f"{rule.code}  {rule.name:<26} {rule.severity.value:<8} {rule.summary}{state}")
        return EXIT_OK
    if not args.network:
        print("maestroc lint: a network file is needed", file=sys.stderr)
        return EXIT_INPUT
    diagnostics = Diagnostics()
    tree, hardware = _load_inputs(args.network, args.hw, diagnostics)
    if tree is None or diagnostics.has_errors:
        print_diagnostics(diagnostics)
        return EXIT_INPUT
    findings = Diagnostics()
    result = run_pipeline(tree, PIPELINE, PassContext(findings, hardware))
    disabled = {RULES_BY_KEY[k].code for k in args.disable or []}
    enabled = {RULES_BY_KEY[k].code for k in args.enable or []}
    warnings = [r for r in RULES if r.severity.value == "warning" and r.code not in disabled
                and (r.enabled_by_default or r.code in enabled)]
    assert isinstance(result.ir, NetworkIR)
    items = list(findings) + [r.diagnostic for r in run_rules(result.ir, warnings)]
    items = [d for d in items if d.code not in disabled or d.severity.value == "error"]
    items.sort(key=lambda d: (d.span.line if d.span else 0, d.span.column if d.span else 0))
    if args.format == "text" and args.output is None:
        print_diagnostics(items, sys.stdout)
    else:
        write_output(args.output, format_findings(items, args.format))
    print_diagnostics(diagnostics)  # front-end warnings, if any
    failing = [d for d in items if d.severity.value == "error" or args.werror]
    return EXIT_FINDINGS if failing else EXIT_OK


def _add_lint(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lint", help="check a dataflow for illegal and wasteful mappings",
        description="Run the pass pipeline and the lint rules (docs/lint.md). Exit status 0 when clean, 1 when a "
                    "finding is an error (or any finding, with --werror), 2 on input errors. Silence a warning "
                    "on one directive with `// maestroc: disable=RULE` on the line above it.")
    p.add_argument("network", metavar="NET.m", nargs="?", help="mapping file")
    p.add_argument("--hw", metavar="HW.m", help="hardware file; enables the hardware-dependent rules")
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text", help="output format")
    p.add_argument("--disable", metavar="RULE", action="append", help="turn a warning rule off (code or name)")
    p.add_argument("--enable", metavar="RULE", action="append", help="turn on a rule that is off by default")
    p.add_argument("--werror", action="store_true", help="treat warnings as errors (exit status 1)")
    p.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    p.add_argument("-o", "--output", metavar="FILE", help="write the findings to FILE instead of stdout")
    p.set_defaults(run=cmd_lint)


def cmd_dse(args: argparse.Namespace) -> int:
    from maestroc import dse_output
    from maestroc.exploration import explore
    from maestroc.space import SpaceError, load_space

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
    if args.output and not _output_dir_ready(args.output, "-o"):
        return EXIT_INPUT
    pool = None
    if args.scheduler or args.dask:
        try:
            from maestroc.exploration import DaskPool

            pool = DaskPool(args.scheduler, workers=args.workers)
        except ImportError:
            print("maestroc dse: --scheduler/--dask need dask: pip install 'maestroc[distributed]'", file=sys.stderr)
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
        dse_output.write_results(args.output, args.network, space, result, plot=args.plot)
    dse_output.print_summary(space, result, args.top)
    return EXIT_OK


def _add_dse(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("-o", "--output", metavar="DIR", help="write front.csv, front.json, summary.json (and front.png)")
    p.add_argument("--plot", action="store_true", help="with -o: draw front.png (needs matplotlib: pip install "
                   "'maestroc[plot]')")
    p.set_defaults(run=cmd_dse)


def _templates_by_type(assignments: list[str] | None, command: str) -> dict[str, str] | None:
    """``--dataflow-for TYPE=FILE`` options as {type: path}; None (after a message) if one is malformed."""
    by_type = {}
    for assignment in assignments or []:
        kind, _, path = assignment.partition("=")
        if not path or kind not in LAYER_TYPES:
            print(f"maestroc {command}: --dataflow-for {assignment!r}: expected TYPE=FILE with TYPE one of "
                  f"{', '.join(LAYER_TYPES)}", file=sys.stderr)
            return None
        by_type[kind] = path
    return by_type


def _may_write(path: str | None, force: bool, command: str) -> bool:
    """False (after a message) when ``path`` exists and --force was not given."""
    if path and Path(path).exists() and not force:
        print(f"maestroc {command}: {path} exists; use --force to replace it", file=sys.stderr)
        return False
    return True


def cmd_apply_dataflow(args: argparse.Namespace) -> int:
    from maestroc.parser import source_from_text
    from maestroc.templates import TemplateError, apply_templates, load_template

    diagnostics = Diagnostics()
    model = load_file(args.model, diagnostics, "mapping")
    by_type = _templates_by_type(args.dataflow_for, "apply-dataflow")
    if by_type is None or not _may_write(args.output, args.force, "apply-dataflow"):
        return EXIT_INPUT
    paths = ({"": args.dataflow} if args.dataflow else {}) | by_type
    templates = {kind: load_file(path, diagnostics, "mapping") for kind, path in paths.items()}
    if model is None or diagnostics.has_errors or any(t is None for t in templates.values()):
        print_diagnostics(diagnostics)
        return EXIT_INPUT
    try:
        loaded = {kind: load_template(tree) for kind, tree in templates.items()}  # type: ignore[arg-type]
        text = apply_templates(model, loaded.pop("", None), loaded)  # type: ignore[arg-type]
    except TemplateError as error:
        print(f"maestroc apply-dataflow: {error}", file=sys.stderr)
        return EXIT_INPUT
    result = Diagnostics()
    load_source(source_from_text(text, args.output or "<apply-dataflow output>"), result)
    if result.has_errors:  # a template that does not suit a layer (e.g. Sz of a missing dimension)
        print_diagnostics(result)
        return EXIT_INPUT
    write_output(args.output, text)
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    from maestroc.api import compile as compile_source
    from maestroc.diagnostics import InputError
    from maestroc.report import render_comparison
    from maestroc.templates import TemplateError, apply_templates, load_template

    diagnostics = Diagnostics()
    hardware = load_hardware(args.hw, diagnostics)
    variants: list[tuple[str, str]] = []  # (name, path or mapping text)
    if args.dataflow:
        if len(args.networks) != 1:
            print("maestroc compare: with --dataflow give exactly one model file", file=sys.stderr)
            return EXIT_INPUT
        model = load_file(args.networks[0], diagnostics, "mapping")
        type_paths = _templates_by_type(args.dataflow_for, "compare")
        if type_paths is None:
            return EXIT_INPUT
        by_type = {kind: load_file(path, diagnostics, "mapping") for kind, path in type_paths.items()}
        templates = [(Path(p).stem, load_file(p, diagnostics, "mapping")) for p in args.dataflow]
        if model is None or diagnostics.has_errors or hardware is None:
            print_diagnostics(diagnostics)
            return EXIT_INPUT
        try:
            fixed = {k: load_template(t) for k, t in by_type.items()}  # type: ignore[arg-type]
            for name, tree in templates:
                variants.append((name, apply_templates(model, load_template(tree), fixed)))  # type: ignore[arg-type]
        except TemplateError as error:
            print(f"maestroc compare: {error}", file=sys.stderr)
            return EXIT_INPUT
    else:
        if len(args.networks) < 2:
            print("maestroc compare: give two or more mapping files, or one model with --dataflow", file=sys.stderr)
            return EXIT_INPUT
        variants = [(Path(p).stem, p) for p in args.networks]
    if hardware is None:
        print_diagnostics(diagnostics)
        return EXIT_INPUT
    results = []
    for name, source in variants:
        try:
            results.append((name, compile_source(source, hardware)))
        except InputError as error:
            print(f"maestroc compare: variant {name} cannot be analysed:", file=sys.stderr)
            print_diagnostics(error.diagnostics)
            return EXIT_INPUT
    table, csv_text = render_comparison(results)
    if args.emit == "csv":
        write_output(args.output, csv_text)
    else:
        table_console().print(table)
    return EXIT_OK


def _add_compare(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare", help="compare dataflows (or networks) side by side on one hardware design",
        description="Per layer and in total: runtime and energy of each variant, and the fastest one. Variants "
                    "are mapping files, or one model file with several --dataflow templates.")
    p.add_argument("networks", metavar="NET.m", nargs="+", help="mapping files, or one model file with --dataflow")
    p.add_argument("--hw", metavar="HW.m", required=True, help="hardware file")
    p.add_argument("--dataflow", metavar="TEMPLATE.m", action="append", help="a template to try (repeatable)")
    p.add_argument("--dataflow-for", metavar="TYPE=TEMPLATE.m", action="append",
                   help="a fixed template for one layer type in every variant, e.g. DSCONV=dpt.m")
    p.add_argument("--emit", choices=("table", "csv"), default="table")
    p.add_argument("-o", "--output", metavar="FILE", help="with --emit csv: write to FILE")
    p.set_defaults(run=cmd_compare)


def cmd_import(args: argparse.Namespace) -> int:
    import importlib.util

    if importlib.util.find_spec("onnx") is None:
        print("maestroc import: needs the onnx package: pip install 'maestroc[onnx]'", file=sys.stderr)
        return EXIT_INPUT
    from maestroc.onnx_import import ImportError_, import_onnx
    if not Path(args.model).is_file():
        print(f"maestroc import: {args.model}: no such file", file=sys.stderr)
        return EXIT_INPUT
    if not _may_write(args.output, args.force, "import"):
        return EXIT_INPUT
    try:
        imported = import_onnx(args.model, batch=args.batch)
    except ImportError_ as error:
        print(f"maestroc import: {error}", file=sys.stderr)
        return EXIT_INPUT
    write_output(args.output, imported.text)
    if imported.unsupported:
        listed = ", ".join(f"{op} x{n}" for op, n in sorted(imported.unsupported.items()))
        print(f"maestroc import: {imported.layers} layers; not modelled: {listed}", file=sys.stderr)
    return EXIT_OK


def _add_import(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import", help="turn an ONNX model into a model file (needs the extra 'onnx')",
        description="Conv (grouped and depthwise included), Gemm and MatMul become layers, with shapes from ONNX "
                    "shape inference and padding folded into Y/X; other operators are listed, not modelled.")
    p.add_argument("model", metavar="MODEL.onnx")
    p.add_argument("-o", "--output", metavar="MODEL.m", help="write here (default: stdout)")
    p.add_argument("--batch", type=int, default=1, help="the batch size where the model leaves it open (default 1)")
    p.add_argument("--force", action="store_true", help="replace MODEL.m if it exists")
    p.set_defaults(run=cmd_import)


def _add_apply_dataflow(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "apply-dataflow", help="put a dataflow template into every layer of a model file",
        description="Insert a Dataflow block into every layer that has none, choosing the template by layer type. "
                    "Comments, layout and layer names of the model file are kept.")
    p.add_argument("model", metavar="MODEL.m", help="model file (layers without dataflows)")
    p.add_argument("--dataflow", metavar="TEMPLATE.m", help="the template for every layer type not given below")
    p.add_argument("--dataflow-for", metavar="TYPE=TEMPLATE.m", action="append",
                   help="the template for one layer type, e.g. DSCONV=samples/dataflows/dpt.m (repeatable)")
    p.add_argument("-o", "--output", metavar="NET.m", help="write the mapping file here (default: stdout)")
    p.add_argument("--force", action="store_true", help="replace NET.m if it exists")
    p.set_defaults(run=cmd_apply_dataflow)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="maestroc",
        description="A compiler-style toolchain for MAESTRO's data-centric dataflow language: parse, "
                    "check, lint and analyse DNN dataflows on a hardware description.",
        epilog="Run `maestroc COMMAND --help` for the options of a command.")
    parser.add_argument("--version", action="version", version=f"maestroc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_parse(sub)
    _add_compile(sub)
    _add_lint(sub)
    _add_passes(sub)
    _add_dse(sub)
    _add_apply_dataflow(sub)
    _add_compare(sub)
    _add_import(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # an output file or folder that cannot be written
        print(f"maestroc: cannot write {exc.filename or 'the output'}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("maestroc: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in maestroc, never the user's fault
        print(f"maestroc: internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in maestroc; please report it with the input that caused it.", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
