"""`maestroc import`: an ONNX model as a model file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from maestroc.commands.common import EXIT_INPUT, EXIT_OK, may_write
from maestroc.outputs import write_output


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import", help="turn an ONNX model into a model file (needs the extra 'onnx')",
        description="Conv (grouped and depthwise included), Gemm and MatMul become layers, with shapes from ONNX "
                    "shape inference and padding folded into Y/X; other operators are listed, not modelled.")
    p.add_argument("model", metavar="MODEL.onnx")
    p.add_argument("-o", "--output", metavar="MODEL.m", help="write here (default: stdout)")
    p.add_argument("--batch", type=int, default=1, help="the batch size where the model leaves it open (default 1)")
    p.add_argument("--force", action="store_true", help="replace MODEL.m if it exists")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import importlib.util

    if importlib.util.find_spec("onnx") is None:
        print("maestroc import: needs the onnx package: pip install 'maestroc[onnx]'", file=sys.stderr)
        return EXIT_INPUT
    from maestroc.onnx_import import ImportError_, import_onnx
    if Path(args.model).is_dir():
        print(f"maestroc import: {args.model}: is a folder, not an ONNX file", file=sys.stderr)
        return EXIT_INPUT
    if not Path(args.model).is_file():
        print(f"maestroc import: {args.model}: no such file", file=sys.stderr)
        return EXIT_INPUT
    if not may_write(args.output, args.force, "import"):
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
