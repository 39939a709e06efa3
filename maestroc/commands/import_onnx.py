"""`maestroc import`: an ONNX model as a model file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from maestroc import install_hint
from maestroc.commands.common import EXIT_INPUT, EXIT_OK, add_output_options, output_writer


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import", help="turn an ONNX model into a model file (needs the extra 'onnx')",
        description="Conv (grouped and depthwise included), Gemm and MatMul become layers, with shapes from ONNX "
                    "shape inference and padding folded into Y/X; other operators are listed, not modelled.")
    p.add_argument("model", metavar="MODEL.onnx")
    add_output_options(p, inputs=("model",), metavar="MODEL.m",
                       help="write here (default: stdout; an existing MODEL.m only with --force)")
    p.add_argument("--batch", type=int, default=1, help="the batch size where the model leaves it open (default 1)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import importlib.util

    if importlib.util.find_spec("onnx") is None:
        print(f"maestroc import: needs the onnx package: {install_hint('onnx')}", file=sys.stderr)
        return EXIT_INPUT
    from maestroc.onnx_import import ImportError_, import_onnx
    if Path(args.model).is_dir():
        print(f"maestroc import: {args.model}: is a folder, not an ONNX file", file=sys.stderr)
        return EXIT_INPUT
    if not Path(args.model).exists():
        print(f"maestroc import: {args.model}: no such file", file=sys.stderr)
        return EXIT_INPUT
    if not Path(args.model).is_file():
        print(f"maestroc import: {args.model}: not a regular file (a device, FIFO or socket), not an ONNX file",
              file=sys.stderr)
        return EXIT_INPUT
    writer = output_writer(args)
    try:
        imported = import_onnx(args.model, batch=args.batch)
    except ImportError_ as error:
        print(f"maestroc import: {error}", file=sys.stderr)
        return EXIT_INPUT
    writer.write(args.output, imported.text)
    if imported.unsupported:
        listed = ", ".join(f"{op} x{n}" for op, n in sorted(imported.unsupported.items()))
        print(f"maestroc import: {imported.layers} layers; not modelled: {listed}", file=sys.stderr)
    return EXIT_OK
