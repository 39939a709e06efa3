"""Latency of `maestroc lsp` as an editor sees it: diagnostics after a change, and hover.

Starts the server, opens MAESTRO's Transformer_Complete (288 layers, ~6,000
lines) with a hardware file, then repeatedly edits one directive (alternating two
texts, so every change yields a new analysis) and times from sending
``didChange`` to receiving the ``publishDiagnostics`` of that version (the
server's debounce delay included); then the same for a change that adds or
removes a line at the top of the file, which moves every later layer. Hover is timed on a layer name (runtime,
energy: the cost model's figures) and on a directive, once the version is
analysed. Baseline, in the same script: the same analysis run in-process, without
the protocol (maestroc.lsp.analysis.analyse). Targets: diagnostics <= 0.3 s after
a change, hover <= 50 ms.

Usage: python bench/lsp_bench.py [--shared DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from maestroc.lsp.analysis import analyse
from maestroc.lsp.client import LspClient


def summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    spread = f"min {ms[0]:.1f}, max {ms[-1]:.1f}"
    if len(ms) >= 4:
        quartiles = statistics.quantiles(ms, n=4)
        spread += f", IQR {quartiles[0]:.1f}-{quartiles[2]:.1f}"
    return f"median {statistics.median(ms):.1f} ms ({spread}; n={len(ms)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared" / "maestro"))
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    shared = Path(args.shared)
    path = shared / "inputs/mapping/Transformer_Complete.m"
    hw = shared / "inputs/hw/hw_default.m"
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    edit_line = next(i for i, line in enumerate(lines) if "TemporalMap(1,1) C;" in line)
    column = lines[edit_line].index("TemporalMap(1,1) C;") + len("TemporalMap(")
    layer_line = next(i for i, line in enumerate(lines) if "Layer SD_MatMul_QK_00" in line)
    layer_column = lines[layer_line].index("SD_MatMul_QK_00")

    baseline = []
    for _ in range(max(args.repeat // 3, 2)):
        start = time.perf_counter()
        analyse(text, str(path), str(hw))
        baseline.append(time.perf_counter() - start)
    print(f"baseline, in-process analysis (front end, pipeline, lint) of {path.name}: {summary(baseline)}")

    with LspClient([sys.executable, "-m", "maestroc", "lsp"]) as client:
        client.initialize(path.parent, {"hw": str(hw)})
        start = time.perf_counter()
        uri = client.open(path, text)
        count = len(client.diagnostics(uri))
        print(f"open: {time.perf_counter() - start:.2f} s to the first {count} diagnostics")
        change, hover_layer, hover_directive = [], [], []
        for version in range(2, args.repeat + 2):
            new = "2,2" if version % 2 == 0 else "1,1"  # every change a real one
            start = time.perf_counter()
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                     "contentChanges": [{"range": {
                                                         "start": {"line": edit_line, "character": column},
                                                         "end": {"line": edit_line, "character": column + 3}},
                                                         "text": new}]})
            client.diagnostics(uri, version=version)
            change.append(time.perf_counter() - start)
            for times, line, character in ((hover_layer, layer_line, layer_column),
                                           (hover_directive, edit_line, column - 3)):
                start = time.perf_counter()
                result = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                               "position": {"line": line, "character": character}})
                times.append(time.perf_counter() - start)
                assert result is not None
        print(f"diagnostics after a change in a line (target <= 300 ms): {summary(change)}")
        # A change that adds or removes a line: every later layer moves, so its spans are rebuilt and it is lowered
        # again (the worst case: the edit is in the first layer, all 287 others move).
        new_lines = []
        for version in range(args.repeat + 2, 2 * args.repeat + 2):
            added = version % 2 == 0
            edit = {"start": {"line": edit_line, "character": 0},
                    "end": {"line": edit_line + (0 if added else 1), "character": 0}}
            start = time.perf_counter()
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                     "contentChanges": [{"range": edit,
                                                                         "text": "\n" if added else ""}]})
            client.diagnostics(uri, version=version)
            new_lines.append(time.perf_counter() - start)
        print(f"diagnostics after adding or removing a line in the first layer: {summary(new_lines)}")
        print(f"hover on a layer, first after each change (cost-model figures): {summary(hover_layer)}")
        print(f"hover on a directive (target <= 50 ms): {summary(hover_directive)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
