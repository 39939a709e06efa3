"""`maestroc lint`: the lint rules over a network, as text, JSON or SARIF."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from maestroc.commands.common import (EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, add_dataflow_options, add_output_options,
                                      dataflow_for, load_inputs, output_writer)
from maestroc.diagnostics import Diagnostic, Diagnostics, print_diagnostics

if TYPE_CHECKING:
    from maestroc import ast
    from maestroc.outputs import OutputWriter


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lint", help="check a dataflow for illegal and wasteful mappings",
        description="Run the pass pipeline and the lint rules (docs/lint.md). Exit status 0 when clean, 1 when a "
                    "finding is an error (or any finding, with --werror), 2 on input errors. Silence a warning "
                    "on one directive with `// maestroc: disable=RULE` on the line above it.")
    p.add_argument("network", metavar="NET.m", nargs="?",
                   help="mapping file, or a model file with --dataflow/--dataflow-for")
    p.add_argument("--hw", metavar="HW.m", help="hardware file; enables the hardware-dependent rules")
    add_dataflow_options(p)
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text", help="output format")
    p.add_argument("--disable", metavar="RULE", action="append", help="turn a warning rule off (code or name)")
    p.add_argument("--enable", metavar="RULE", action="append", help="turn on a rule that is off by default")
    p.add_argument("--werror", action="store_true", help="treat warnings as errors (exit status 1)")
    p.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    add_output_options(p, inputs=("network", "hw", "dataflow", "dataflow_for"), metavar="FILE",
                       help="write the findings to FILE instead of stdout (an existing FILE only with --force)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from maestroc.ir import NetworkIR
    from maestroc.lint import RULES, RULES_BY_KEY, run_rules, unknown_suppressions
    from maestroc.passes import PIPELINE
    from maestroc.pipeline import PassContext, run_pipeline

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
    writer = output_writer(args)
    rules = dataflow_for(args.dataflow_for, "lint")
    if rules is None:
        return EXIT_INPUT
    diagnostics = Diagnostics()
    tree, hardware = load_inputs(args.network, args.hw, diagnostics, args.dataflow, rules)
    if tree is None or diagnostics.has_errors:
        if args.format == "text" and args.output is None:
            print_diagnostics(diagnostics)
        else:  # the input errors are the findings: a JSON or SARIF report is never empty
            _report(args, writer, list(diagnostics))
        return EXIT_INPUT
    findings = Diagnostics()
    result = run_pipeline(tree, PIPELINE, PassContext(findings, hardware))
    disabled = {RULES_BY_KEY[k].code for k in args.disable or []}
    enabled = {RULES_BY_KEY[k].code for k in args.enable or []}
    warnings = [r for r in RULES if r.severity.value == "warning" and r.code not in disabled
                and (r.enabled_by_default or r.code in enabled)]
    assert isinstance(result.ir, NetworkIR)
    items = list(diagnostics) + list(findings) + [r.diagnostic for r in run_rules(result.ir, warnings)] + \
        unknown_suppressions(_source_paths(tree))
    items = [d for d in items if d.code not in disabled or d.severity.value == "error"]
    _report(args, writer, items)
    failing = [d for d in items if d.severity.value == "error" or args.werror]
    return EXIT_FINDINGS if failing else EXIT_OK


def _report(args: argparse.Namespace, writer: OutputWriter, items: list[Diagnostic]) -> None:
    """The findings in the chosen format, in file order (file-level ones first)."""
    items = sorted(items, key=lambda d: (d.file or "", d.span.line if d.span else 0, d.span.column if d.span else 0))
    if args.format == "text" and args.output is None:
        print_diagnostics(items, sys.stdout)
    else:
        from maestroc.lint_output import format_findings

        writer.write(args.output, format_findings(items, args.format))


def _source_paths(tree: ast.MappingFile) -> list[str]:
    """The network file and the template files whose dataflows it uses."""
    paths = [tree.path]
    for network in tree.networks:
        for layer in network.layers:
            if layer.dataflow is not None and layer.dataflow.span.path not in paths:
                paths.append(layer.dataflow.span.path)
    return paths
