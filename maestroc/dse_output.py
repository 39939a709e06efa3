"""What `maestroc dse` shows and writes: progress, summary, Pareto front files, plot."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from maestroc import install_hint
from maestroc.exploration import ExplorationResult, best_per_objective
from maestroc.hardware import INT_MAX
from maestroc.outputs import OutputWriter, table_console
from maestroc.report import energy_note
from maestroc.space import HARDWARE_AXES, OBJECTIVES, DesignSpace
from maestroc.tables import Column, FittedTable

OBJECTIVE_UNITS = {"runtime": "cycles", "throughput": "MACs per cycle", "energy": "nJ", "edp": "nJ x cycles",
                   "area": "um^2", "power": "mW"}
METRICS = ("runtime", "throughput", "energy", "edp", "area", "power", "macs", "l1_size_req", "l2_size_req",
           "noc_bw_req", "offchip_bw_req")


@contextlib.contextmanager
def progress_display(total: int) -> Iterator[Callable[[ExplorationResult], None]]:
    """A rich progress bar with the rate and an ETA on a terminal; nothing elsewhere."""
    console = Console(file=sys.stderr)
    if not console.is_terminal:
        yield lambda result: None
        return
    with Progress(TextColumn("exploring"), BarColumn(), TextColumn("{task.completed:,.0f}/{task.total:,.0f} designs"),
                  TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("dse", total=total, rate="")

        def update(result: ExplorationResult) -> None:
            progress.update(task, completed=result.explored, rate=f"{result.rate / 1e6:,.1f}M designs/s")

        yield update


def _design_columns(space: DesignSpace) -> list[str]:
    return list(HARDWARE_AXES) + sorted(space.constants)


def print_summary(space: DesignSpace, result: ExplorationResult, top: int) -> None:
    console = table_console()
    state = f" (stopped early: {result.stopped_early})" if result.stopped_early else ""
    console.print(f"designs explored: {result.explored:,} of {space.size:,}{state}")
    console.print(f"valid designs:    {result.valid:,}")
    console.print(f"on the front:     {len(result.front):,}  (objectives: {', '.join(space.objectives)})")
    console.print(f"time:             {result.seconds:.2f} s, {result.rate:,.0f} designs/s")
    for code, (count, first) in sorted(result.errors.items()):
        console.print(f"note: {count} group(s) of designs (a num_pes and Constants combination) cannot be "
                      f"analysed, e.g. {first}")
    if not result.front:
        return
    design_columns = [Column(c) for c in _design_columns(space)]
    objective_columns = [Column(f"{o} ({OBJECTIVE_UNITS[o]})") for o in space.objectives]
    notes = [energy_note(space.base)] if {"energy", "edp"} & set(space.objectives) else []
    table = FittedTable([Column("best for", "left", key=True)] + design_columns + objective_columns,
                        "best design per objective", notes)
    for objective, (design, metrics) in best_per_objective(result).items():
        if objective in space.objectives:
            table.add_row(objective, *(_fmt_design(design[c]) for c in _design_columns(space)),
                          *(_fmt(metrics[o]) for o in space.objectives))
    console.print(table)
    front = FittedTable([Column("#", key=True)] + design_columns + objective_columns,
                        f"Pareto front (first {min(top, len(result.front))} of {len(result.front)})")
    for number, (design, metrics) in enumerate(result.front[:top], 1):
        front.add_row(str(number), *(_fmt_design(design[c]) for c in _design_columns(space)),
                      *(_fmt(metrics[o]) for o in space.objectives))
    console.print(front)


def _fmt_design(value: int) -> str:
    return "unlimited" if value >= INT_MAX else f"{value:,}"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"


def write_results(output: OutputWriter, folder: str, network_path: str, space: DesignSpace,
                  result: ExplorationResult, plot: bool = False) -> None:
    columns = _design_columns(space)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns + list(METRICS))
    for design, metrics in result.front:
        writer.writerow([design[c] for c in columns] + [metrics[m] for m in METRICS])
    output.write(f"{folder}/front.csv", buffer.getvalue())
    output.write(f"{folder}/front.json", json.dumps(
        [{"design": design, "metrics": metrics} for design, metrics in result.front], indent=2) + "\n")
    summary = {
        "network": network_path, "objectives": list(space.objectives),
        "directions": {o: OBJECTIVES[o] for o in space.objectives},
        "space": {"hardware": {k: list(space.axis(k)) for k in HARDWARE_AXES},
                  "constants": {k: list(v) for k, v in space.constants.items()},
                  "constraints": space.constraints, "fit_buffers": space.fit_buffers},
        "designs_in_space": space.size, "designs_explored": result.explored, "designs_valid": result.valid,
        "designs_on_front": len(result.front), "seconds": result.seconds, "designs_per_second": result.rate,
        "stopped_early": result.stopped_early,
        "unanalysable_groups": {code: {"groups": n, "example": first} for code, (n, first) in result.errors.items()},
        "best": {o: {"design": d, "metrics": m} for o, (d, m) in best_per_objective(result).items()},
    }
    output.write(f"{folder}/summary.json", json.dumps(summary, indent=2) + "\n")
    if plot:
        draw_front(output, f"{folder}/front.png", result)


def draw_front(output: OutputWriter, path: str, result: ExplorationResult) -> None:
    """Throughput versus energy of the front designs (matplotlib, optional extra `plot`)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"maestroc dse: --plot needs matplotlib ({install_hint('plot')}); no plot written",
              file=sys.stderr)
        return
    energy = [m["energy"] for _, m in result.front]
    throughput = [m["throughput"] for _, m in result.front]
    figure, axes = plt.subplots(figsize=(6, 4.5))
    if len(result.cloud):
        axes.scatter(result.cloud[:, 1], result.cloud[:, 0], s=4, color="tab:blue", alpha=0.15,
                     label="valid designs (sample)")
    axes.scatter(energy, throughput, s=18, color="tab:red", label="Pareto-optimal designs")
    axes.set_xlabel("energy (nJ)")
    axes.set_ylabel("throughput (MACs/cycle)")
    axes.set_title(f"{result.valid:,} valid of {result.explored:,} designs")
    axes.legend()
    figure.tight_layout()
    image = io.BytesIO()
    figure.savefig(image, format="png", dpi=120)
    plt.close(figure)
    output.write(path, image.getvalue())
