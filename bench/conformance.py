"""Conformance with MAESTRO: every reference run that produced output, column by column.

MAESTRO's reference data (its inputs, and the CSVs it printed for them; see the
README's "Reference data") is read from ``--shared DIR``, else ``$MAESTROC_SHARED``,
else ``../shared/maestro`` beside the repository, as the tests do. For each case of
its ``reference/INDEX.csv`` with exit status 0,
maestroc compiles the same mapping on the same hardware (``cli_hw.m`` for the
``cli`` runs) and compares its CSV with MAESTRO's, layer by layer: names exactly,
numbers within a relative 1e-5 (MAESTRO prints 6 significant digits). The
128-design sweep is compared the same way. Prints matches per column and, last,
``conformance: N/M layer-columns match``.

Usage: python bench/conformance.py [--shared DIR] [--case NAME] [--show N]
Exit status: 0 when it ran (the figures say how much matches), 2 when the data is missing.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from maestroc.api import compile_files
from maestroc.diagnostics import InputError
from maestroc.hardware import HardwareSpec
from maestroc.report import CSV_HEADER, csv_row

COLUMNS = [c.strip() for c in CSV_HEADER.split(",")]
DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared" / "maestro"
COLUMNS[48] = "Compute Delay (Max)"  # MAESTRO's header names it "(Min)" twice


@dataclass
class Comparison:
    case: str
    config: str
    layer: str
    mismatched: list[tuple[str, str, str]]  # column, expected, actual


def same(expected: str, actual: str) -> bool:
    expected, actual = expected.strip(), actual.strip()
    if expected == actual:
        return True
    try:
        e, a = float(expected), float(actual)
    except ValueError:
        return False
    if math.isnan(e) or math.isnan(a):
        return math.isnan(e) and math.isnan(a)
    return math.isclose(e, a, rel_tol=1e-5, abs_tol=0.0)


def find_input(shared: Path, name: str) -> Path:
    matches = sorted(shared.glob(f"inputs/**/{name}"))
    if not matches:
        raise FileNotFoundError(name)
    return matches[0]


def runs(shared: Path, only: str | None) -> list[tuple[str, str, Path, Path, Path]]:
    """(case, config, mapping, hardware, reference csv) for every run that produced output."""
    out = []
    with open(shared / "reference/INDEX.csv") as handle:
        for row in csv.DictReader(handle):
            if row["rc"] != "0" or (only and row["case"] != only):
                continue
            case_dir = shared / "reference" / row["case"]
            mapping = [line.strip() for line in (case_dir / "INPUTS.txt").read_text().splitlines()
                       if line.strip().endswith(".m") and not line.strip().startswith("hw")]
            hw = case_dir / "cli_hw.m" if row["cfg"] == "cli" else shared / "inputs/hw" / f"{row['cfg']}.m"
            out.append((row["case"], row["cfg"], find_input(shared, mapping[0]), hw,
                        case_dir / f"{row['cfg']}.csv"))
    return out


def compare_rows(case: str, config: str, expected_rows: list[list[str]],
                 actual_rows: list[list[str]]) -> list[Comparison]:
    results = []
    for index, expected in enumerate(expected_rows):
        actual = actual_rows[index] if index < len(actual_rows) else [""] * len(expected)
        bad = [(COLUMNS[i], expected[i].strip(), actual[i].strip() if i < len(actual) else "")
               for i in range(len(COLUMNS)) if i >= len(actual) or not same(expected[i], actual[i])]
        results.append(Comparison(case, config, expected[1].strip(), bad))
    return results


def run_case(case: str, config: str, mapping: Path, hardware: Path, reference: Path) -> list[Comparison]:
    expected = list(csv.reader(reference.read_text().splitlines()))[1:]
    try:
        result = compile_files(str(mapping), str(hardware))
    except InputError as error:
        missing = [(c, "", f"input error: {error}") for c in COLUMNS]
        return [Comparison(case, config, row[1].strip(), missing) for row in expected]
    actual = [next(csv.reader([csv_row(result.network.name, m)])) for m in result.layers]
    return compare_rows(case, config, expected, actual)


def run_sweep(shared: Path) -> list[Comparison]:
    """The 16 x 8 num_pes x noc_bw sweep of one layer (hops 1, off-chip 50)."""
    folder = shared / "reference/sweep_Resnet50_kcp_ws_CONV2_1_2"
    rows = list(csv.reader((folder / "sweep_results.csv").read_text().splitlines()))[1:]
    comparisons = []
    for row in rows:
        pes, bw = int(row[0]), int(row[1])
        spec = HardwareSpec(num_pes=pes, noc_bw=bw, offchip_bw=50, noc_latency=1)
        result = compile_files(str(folder / "layer.m"), spec)
        actual = [next(csv.reader([csv_row(result.network.name, m)])) for m in result.layers]
        comparisons += compare_rows("sweep", f"pes{pes}_bw{bw}", [row[2:]], actual)
    return comparisons


def missing_data(shared: Path) -> str | None:
    """What is missing from the reference folder, and how to get it; None when complete."""
    needed = [shared / "reference" / "INDEX.csv", shared / "inputs"]
    absent = [str(path) for path in needed if not path.exists()]
    if not absent:
        return None
    return (f"conformance: MAESTRO's reference data is missing ({', '.join(absent)} not found).\n"
            "It holds MAESTRO's inputs and the CSV MAESTRO printed for each run (README, 'Reference data':\n"
            "what it is and how it is made with MAESTRO's public repository).\n"
            "Point to it with --shared DIR or MAESTROC_SHARED=DIR, or place it at ../shared/maestro.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=os.environ.get("MAESTROC_SHARED", str(DEFAULT_SHARED)),
                        help="the reference folder (default: $MAESTROC_SHARED, else ../shared/maestro)")
    parser.add_argument("--case", help="only this case of INDEX.csv")
    parser.add_argument("--show", type=int, default=5, help="print up to N mismatching layers")
    args = parser.parse_args()
    shared = Path(args.shared)
    problem = missing_data(shared)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    start = time.perf_counter()
    comparisons: list[Comparison] = []
    for case, config, mapping, hardware, reference in runs(shared, args.case):
        comparisons += run_case(case, config, mapping, hardware, reference)
    if not args.case:
        comparisons += run_sweep(shared)
    per_column = Counter()
    for comparison in comparisons:
        bad = {c for c, _, _ in comparison.mismatched}
        for column in COLUMNS:
            per_column[column] += column not in bad
    total = len(comparisons)
    print(f"{'column':<44}matching layers (of {total})")
    for column in COLUMNS:
        print(f"  {column:<42}{per_column[column]}")
    shown = 0
    for comparison in comparisons:
        if comparison.mismatched and shown < args.show:
            shown += 1
            detail = "; ".join(f"{c}: {e} != {a}" for c, e, a in comparison.mismatched[:4])
            print(f"mismatch {comparison.case}/{comparison.config} {comparison.layer}: {detail}")
    layers_ok = sum(1 for c in comparisons if not c.mismatched)
    print(f"layers fully matching: {layers_ok}/{total}  ({time.perf_counter() - start:.1f} s)")
    print(f"conformance: {sum(per_column.values())}/{total * len(COLUMNS)} layer-columns match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
