"""What `maestroc dse` shows and writes: progress, summary, Pareto front files, plot."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from maestroc import install_hint
from maestroc.dse_run import ExplorationResult
from maestroc.exploration import REASONS
from maestroc.hardware import INT_MAX, format_hardware
from maestroc.outputs import OutputWriter, table_console
from maestroc.pareto import best_per_objective
from maestroc.report import energy_note, timing_note
from maestroc.space import HARDWARE_AXES, OBJECTIVES, DesignSpace
from maestroc.tables import Column, FittedTable

OBJECTIVE_UNITS = {"runtime": "cycles", "throughput": "MACs per cycle", "energy": "nJ", "edp": "nJ x cycles",
                   "area": "um^2", "power": "mW"}
# Hardware values where MAESTRO's INT_MAX stands for "no limit" (a hardware file that omits the key).
UNLIMITED_AXES = ("noc_bw", "offchip_bw", "l1_size", "l2_size")
AXIS_LISTED_UP_TO = 1000  # longer range axes are written as LOW:HIGH:STEP in summary.json
REASON_LABELS = {"legality": "legality", "coverage": "coverage", "l1_fit": "L1 fit", "l2_fit": "L2 fit",
                 "bandwidth": "bandwidth caps", "area": "area budget", "power": "power budget"}
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
            progress.update(task, completed=result.explored + result.in_progress,
                            rate=f"{result.rate / 1e6:,.1f}M designs/s")

        yield update


def _design_columns(space: DesignSpace) -> list[str]:
    return list(HARDWARE_AXES) + sorted(space.constants)


def print_summary(space: DesignSpace, result: ExplorationResult, top: int) -> None:
    console = table_console()
    state = f" (stopped early: {result.stopped_early})" if result.stopped_early else ""
    console.print(f"designs explored: {result.explored:,} of {space.size:,}{state}")
    console.print(f"valid designs:    {result.valid:,}")
    if result.removed:
        console.print(f"invalid designs:  {sum(result.removed.values()):,} ({removal_text(result)}; each counted "
                      "under the first check it fails)")
    console.print(f"on the front:     {len(result.front):,}  (objectives: {', '.join(space.objectives)})")
    console.print(f"time:             {result.seconds:.2f} s, {result.rate:,.0f} designs/s")
    for code, (count, first) in sorted(result.errors.items()):
        console.print(f"note: {count} group(s) of designs (a num_pes and Constants combination) cannot be "
                      f"analysed, e.g. {first}")
    for note in notes(space, result):
        console.print(f"note: {note}")  # wrapped at spaces: a number is never cut
    if not result.front:
        return
    design_columns = [Column(c) for c in _design_columns(space)]
    shown = _shown_metrics(space.objectives)
    objective_columns = [Column(f"{o} ({OBJECTIVE_UNITS[o]})") for o in shown]
    energy_notes = [energy_note(space.base)] if {"energy", "edp"} & set(space.objectives) else []
    table = FittedTable([Column("best for", "left", key=True)] + design_columns + objective_columns,
                        "best design per objective", energy_notes)
    for objective, (design, metrics) in best_per_objective(result.front).items():
        if objective in space.objectives:
            table.add_row(objective, *(_shown(c, design[c]) for c in _design_columns(space)),
                          *(_fmt(metrics[o]) for o in shown))
    console.print(table)
    front = FittedTable([Column("#", key=True)] + design_columns + objective_columns,
                        f"Pareto front (first {min(top, len(result.front))} of {len(result.front)})")
    for number, (design, metrics) in enumerate(result.front[:top], 1):
        front.add_row(str(number), *(_shown(c, design[c]) for c in _design_columns(space)),
                      *(_fmt(metrics[o]) for o in shown))
    console.print(front)


def design_file_name(number: int) -> str:
    return f"design-{number:02d}.m"


def design_hardware(network_path: str, path: str, space: DesignSpace, number: int, design: dict[str, int],
                    metrics: dict[str, object]) -> str:
    """A front design as a hardware file: the space's fixed values with the design's, and how to reproduce it."""
    spec = dataclasses.replace(space.base, **{name: design[name] for name in HARDWARE_AXES})
    settings = " ".join(f"--set {name}={design[name]}" for name in sorted(space.constants))
    shown = ", ".join(f"{o} {_fmt(metrics[o])}" for o in space.objectives)
    return format_hardware(spec, [
        f"Design {number} of the Pareto front of `maestroc dse {network_path}` ({shown}).",
        f"Reproduce: maestroc compile {network_path} --hw {path} {settings}".rstrip(),
    ])


def _shown_metrics(objectives: tuple[str, ...]) -> list[str]:
    """The objectives, and the runtime beside a throughput: its exact cycles tell apart designs whose
    throughputs round to the same figure (a front would otherwise seem to hold a dominated design)."""
    shown = list(objectives)
    if "throughput" in shown and "runtime" not in shown:
        shown.insert(shown.index("throughput") + 1, "runtime")
    return shown


def removal_text(result: ExplorationResult) -> str:
    return "; ".join(f"{REASON_LABELS[r]}: {result.removed[r]:,}" for r in REASONS if result.removed.get(r))


# What the area and power model reads of the design, with a value to sweep when it is unlimited.
COSTED_AXES = {"l1_size": "pow2:16:4096", "l2_size": "pow2:1024:4194304", "noc_bw": "8:512:8"}


def _unlimited_buffers(space: DesignSpace) -> list[str]:
    """Area-costed axes given as MAESTRO's INT_MAX (by default, or listed), not merely crossed by a range."""
    return [name for name in COSTED_AXES
            if not isinstance(space.axis(name), range) and INT_MAX in space.axis(name)]


def notes(space: DesignSpace, result: ExplorationResult) -> list[str]:
    """What the numbers need said: the timing model when not MAESTRO's, area from "unlimited" buffers, and why
    no design is valid."""
    said = [note for note in [timing_note(space.base)] if note]
    unlimited = _unlimited_buffers(space)
    if unlimited:
        said.append(f"{', '.join(unlimited)} {'is' if len(unlimited) == 1 else 'are'} unlimited (no --hw or "
                    f"--set gives {'it' if len(unlimited) == 1 else 'them'}): area and power take {INT_MAX:,} "
                    "(MAESTRO's stand-in for no limit) as the buffer's elements or the NoC's width")
    if result.valid == 0 and result.removed:
        worst = max(REASONS, key=lambda r: result.removed.get(r, 0))
        said.append(f"no valid design: {REASON_LABELS[worst]} removed {result.removed[worst]:,} of "
                    f"{result.explored:,}; {_hint(worst, space)}")
    return said


def _hint(reason: str, space: DesignSpace) -> str:
    unlimited = _unlimited_buffers(space)
    sizes = " ".join(f"--set {name}={COSTED_AXES[name]}" for name in unlimited)
    hints = {
        "legality": "no group is legal for its num_pes and Constants (see the notes above); sweep num_pes and "
                    "tile sizes that fit (maestroc lint NET.m --hw HW.m shows why)",
        "coverage": "the dataflows do not cover the layers exactly for these Constants; sweep tile sizes that "
                    "divide the dimensions",
        "l1_fit": "every l1_size swept is below a layer's L1 need: sweep larger l1_size values, or set "
                  "fit_buffers = false in [constraints]",
        "l2_fit": "every l2_size swept is below a layer's L2 need: sweep larger l2_size values, or set "
                  "fit_buffers = false in [constraints]",
        "bandwidth": "raise max_noc_bw_req / max_offchip_bw_req in [constraints]",
        "area": "raise --area-budget, or sweep fewer PEs and smaller buffers" + (
            f"; {', '.join(unlimited)} unlimited: give --hw HW.m or {sizes}" if unlimited else ""),
        "power": "raise --power-budget, or sweep fewer PEs and smaller buffers" + (
            f"; {', '.join(unlimited)} unlimited: give --hw HW.m or {sizes}" if unlimited else ""),
    }
    return hints[reason]


def _shown(name: str, value: object) -> str:
    """A design value for a table: MAESTRO's INT_MAX is "unlimited", integers exact with separators."""
    if name in UNLIMITED_AXES and value == INT_MAX:
        return "unlimited"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _stored(design: dict[str, int]) -> dict[str, object]:
    """A design for the files: "unlimited" where MAESTRO's INT_MAX stands for no limit."""
    return {name: "unlimited" if name in UNLIMITED_AXES and value == INT_MAX else value
            for name, value in design.items()}


def _axis_json(values) -> object:  # type: ignore[no-untyped-def]
    """An axis for summary.json: its values, or LOW:HIGH:STEP for a long range (never listed out)."""
    if isinstance(values, range) and len(values) > AXIS_LISTED_UP_TO:
        return f"{values.start}:{values[-1]}:{values.step}"
    return ["unlimited" if v == INT_MAX else v for v in values]


def _fmt(value: object) -> str:
    """Integers exactly (never through a float); other numbers rounded for reading."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"  # type: ignore[arg-type]


def write_results(output: OutputWriter, folder: str, network_path: str, space: DesignSpace,
                  result: ExplorationResult, plot: bool = False, emit_hw: int = 0) -> None:
    """front.csv, front.json, summary.json; the first ``emit_hw`` front designs as hardware files; front.png."""
    columns = _design_columns(space)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns + list(METRICS))
    for design, metrics in result.front:
        shown = _stored(design)
        writer.writerow([shown[c] for c in columns] + [metrics[m] for m in METRICS])
    output.write(f"{folder}/front.csv", buffer.getvalue())
    output.write(f"{folder}/front.json", json.dumps(
        [{"design": _stored(design), "metrics": metrics} for design, metrics in result.front], indent=2) + "\n")
    summary = {
        "network": network_path, "objectives": list(space.objectives),
        "directions": {o: OBJECTIVES[o] for o in space.objectives},
        "space": {"hardware": {k: _axis_json(space.axis(k)) for k in HARDWARE_AXES},
                  "constants": {k: _axis_json(v) for k, v in space.constants.items()},
                  "constraints": space.constraints, "fit_buffers": space.fit_buffers},
        "designs_in_space": space.size, "designs_explored": result.explored, "designs_valid": result.valid,
        "designs_on_front": len(result.front), "seconds": result.seconds, "designs_per_second": result.rate,
        "stopped_early": result.stopped_early,
        "designs_invalid_by": {r: result.removed[r] for r in REASONS if result.removed.get(r)},
        "notes": notes(space, result),
        "unanalysable_groups": {code: {"groups": n, "example": first} for code, (n, first) in result.errors.items()},
        "best": {o: {"design": _stored(d), "metrics": m} for o, (d, m) in best_per_objective(result.front).items()},
    }
    output.write(f"{folder}/summary.json", json.dumps(summary, indent=2) + "\n")
    for number, (design, metrics) in enumerate(result.front[:emit_hw], 1):
        path = f"{folder}/{design_file_name(number)}"
        output.write(path, design_hardware(network_path, path, space, number, design, metrics))
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
