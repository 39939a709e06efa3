"""A short run imports only what it uses, and printing without rich prints exactly what rich would.

Start-up is most of a small run's time (bench/compile_bench.py): Lark is needed only
for a file with a syntax error, rich only when a table is drawn or a diagnostic is
coloured on a terminal.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from maestroc.diagnostics import SOURCES, Diagnostic, Severity, Span, print_diagnostics, render

NETWORK = ROOT / "samples/networks/tiny_cnn.m"
HARDWARE = ROOT / "samples/hw/edge_64pe.m"


def modules_after(tmp_path: Path, argv: list[str]) -> set[str]:
    """The modules a fresh process has imported after running ``maestroc ARGV``."""
    script = f"""
import sys
from maestroc.cli import main
main({argv!r})
print(" ".join(sorted(sys.modules)))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          check=False)
    assert proc.stdout, proc.stderr
    return set(proc.stdout.strip().splitlines()[-1].split())


@pytest.mark.parametrize("argv", [
    ["parse", str(NETWORK)],
    ["lint", str(NETWORK)],
    ["compile", str(NETWORK), "--hw", str(HARDWARE), "--emit", "csv"],
    ["compile", str(NETWORK), "--hw", str(HARDWARE), "--emit", "json"],
], ids=["parse", "lint", "compile-csv", "compile-json"])
def test_a_well_formed_run_imports_neither_lark_nor_rich(tmp_path: Path, argv: list[str]) -> None:
    argv = [*argv, "-o", str(tmp_path / "out")] if argv[0] == "compile" else argv
    loaded = modules_after(tmp_path, argv)
    assert "maestroc.direct_parser" in loaded  # the run did parse
    assert not {"lark", "rich", "rich.console", "maestroc.lark_parser", "sympy"} & loaded


def test_a_syntax_error_is_parsed_by_lark(tmp_path: Path) -> None:
    broken = tmp_path / "broken.m"
    broken.write_text(NETWORK.read_text().replace("{", "", 1))
    assert "maestroc.lark_parser" in modules_after(tmp_path, ["parse", str(broken)])


def with_rich(diagnostics: list[Diagnostic]) -> str:
    """What rich prints for the diagnostics to a stream that is not a terminal."""
    from rich.console import Console

    stream = io.StringIO()
    console = Console(file=stream, highlight=False, soft_wrap=True, emoji=False)
    for diagnostic in diagnostics:
        console.print(render(diagnostic), end="")
    return stream.getvalue()


@pytest.mark.parametrize("line", ["Layer CONV1 {", "\tTemporalMap(1,1) K; // tab", "x\x0c\r y\x07", "  trailing   ",
                                  "wide ＫＫ " + "z" * 120])
def test_plain_printing_is_rich_s_output(monkeypatch: pytest.MonkeyPatch, line: str) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    SOURCES.add("plain.m", f"// first\n{line}\n")
    span = Span("plain.m", 2, 2, 2, 6)
    diagnostics = [
        Diagnostic(Severity.ERROR, "E101", f"unexpected {line!r}\tthere", span,
                   related=((Span("plain.m", 1, 1, 1, 3), "opened\rhere"),), notes=("a note",), helps=("help me",)),
        Diagnostic(Severity.WARNING, "W201", "a file-level warning", None, path="plain.m"),
        Diagnostic(Severity.NOTE, "N001", "no file at all", None),
    ]
    for subset in ([diagnostics[0]], diagnostics[1:], diagnostics):
        stream = io.StringIO()
        print_diagnostics(subset, stream)
        assert stream.getvalue() == with_rich(subset)


def test_main_restores_the_collector_s_thresholds(capsys: pytest.CaptureFixture[str]) -> None:
    import gc

    from maestroc.cli import main

    before = gc.get_threshold()
    assert main(["passes"]) == 0
    assert gc.get_threshold() == before
