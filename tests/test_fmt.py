"""`maestroc fmt`: canonical layout, comments kept, same AST, idempotent, and safe with the user's files."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT, SHARED, shared_files
from maestroc.diagnostics import Diagnostics, InputError
from maestroc.fmt import format_text, syntax_shape
from maestroc.parser import detect_kind, parse_text

FORMATTABLE = shared_files("inputs/**/*.m") + sorted((ROOT / "samples").rglob("*.m"))


def comments(text: str) -> list[str]:
    return [line[line.index("//"):].rstrip() for line in text.split("\n") if "//" in line]


def shape(text: str, kind: str) -> object:
    diagnostics = Diagnostics()
    tree = parse_text(text, diagnostics, "<t>", kind)  # type: ignore[arg-type]
    assert tree is not None and not diagnostics.has_errors, [d.message for d in diagnostics]
    return syntax_shape(tree)


@pytest.mark.parametrize("path", FORMATTABLE, ids=lambda p: str(p.relative_to(SHARED if SHARED in p.parents else ROOT)))
def test_formats_every_input_keeping_its_ast_and_comments(path: Path) -> None:
    """format_text itself re-parses its output and raises unless the AST is the input's (tested below)."""
    text = path.read_text(encoding="utf-8-sig")
    kind = detect_kind(text)
    formatted = format_text(text, str(path))
    assert format_text(formatted, str(path)) == formatted
    assert sorted(comments(formatted)) == sorted(comments(text))
    assert detect_kind(formatted) == kind


SAMPLES = sorted((ROOT / "samples").rglob("*.m"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_sample_is_already_in_the_canonical_layout(path: Path) -> None:
    """A newcomer's `maestroc fmt --check samples/...` finds nothing to change in the project's own files."""
    text = path.read_text(encoding="utf-8")
    assert format_text(text, str(path)) == text


def test_every_shared_input_is_formatted(shared: Path) -> None:
    assert len([p for p in FORMATTABLE if SHARED in p.parents]) == len(list((shared / "inputs").rglob("*.m"))) > 60


MESSY = """\
// header

Constant  KTile   16 ;
Network   Net {
\tLayer conv-1 { // the first layer


\t\tType CONV
\t\tStride {X 2 Y 2}
\t\tDimensions { K 64, C:3,R: 3,
\t\t   S: 3, Y 34, X: 34 }   // sizes
\t\tDataflow {
\t\t\tSpatialMap( 1 , 1 ) K; TemporalMap(KTile,KTile) C;   // two on a line
\t\t\tTemporalMap(Sz(R),Sz(R)) R; // window
\t\t\t// the second level
\t\t\tCluster( KTile ,P ) ;
\t\t\tSpatialMap(1,1) C;
\t\t}
\t}
}
"""

CANONICAL = """\
// header

Constant KTile 16;
Network Net {
  Layer conv-1 {  // the first layer
    Type: CONV
    Stride { X: 2, Y: 2 }
    Dimensions { K: 64, C: 3, R: 3, S: 3, Y: 34, X: 34 }  // sizes
    Dataflow {
      SpatialMap(1,1) K;
      TemporalMap(KTile,KTile) C;  // two on a line
      TemporalMap(Sz(R),Sz(R)) R;  // window
      // the second level
      Cluster(KTile, P);
      SpatialMap(1,1) C;
    }
  }
}
"""


def test_canonical_layout() -> None:
    assert format_text(MESSY) == CANONICAL
    assert format_text(CANONICAL) == CANONICAL


def test_comment_inside_dimensions_keeps_one_entry_per_line() -> None:
    text = "Network N {\nLayer L {\nType: GEMM\nDimensions {\nM: 4, // rows\nN: 4,\nK: 4 }\n}\n}\n"
    assert format_text(text) == ("Network N {\n  Layer L {\n    Type: GEMM\n    Dimensions {\n      M: 4,  // rows\n"
                                 "      N: 4,\n      K: 4\n    }\n  }\n}\n")


def test_hardware_keys_aligned_and_template_directives_kept_bare() -> None:
    assert format_text("num_pes 256;\n// L1\nl1_size_cstr:64\n") == "num_pes:      256\n// L1\nl1_size_cstr: 64\n"
    assert format_text("SpatialMap(1,1) K;\n\n\n  TemporalMap(1,1) C;") == "SpatialMap(1,1) K;\n\nTemporalMap(1,1) C;\n"


def test_output_with_another_ast_is_never_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    from maestroc import fmt

    monkeypatch.setattr(fmt._Printer, "directive", lambda self, directive, depth: self.emit(depth, "SpatialMap(2,2) K;",
                                                                                          directive.span.line))
    with pytest.raises(fmt.FormatterBug):
        format_text(CANONICAL)


def test_same_ast_after_formatting_messy_text() -> None:
    assert shape(format_text(MESSY), "mapping") == shape(MESSY, "mapping")


def test_syntax_error_is_reported_not_formatted() -> None:
    with pytest.raises(InputError) as error:
        format_text("Network N { Layer L { Type: CONV Dataflow { SpatialMap(1,1 K; } } }")
    assert [d.code for d in error.value.diagnostics] == ["E103"]


# -- the command ----------------------------------------------------------------------------------

def test_check_and_diff_never_write(cli, tmp_path: Path) -> None:
    path = tmp_path / "net.m"
    path.write_text(MESSY)
    result = cli("fmt", "--check", str(path))
    assert result.code == 1 and "would reformat" in result.err
    result = cli("fmt", "--diff", str(path))
    assert result.code == 1 and "+    Type: CONV" in result.out
    assert path.read_text() == MESSY


def test_rewrites_in_place_keeping_mode_then_nothing_to_do(cli, tmp_path: Path) -> None:
    path = tmp_path / "net.m"
    path.write_text(MESSY)
    path.chmod(0o640)
    assert cli("fmt", str(path)).code == 0
    assert path.read_text() == CANONICAL
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["net.m"]  # no temporary file left behind
    again = cli("fmt", "--check", str(path))
    assert again.code == 0 and again.err == ""


def test_symbolic_link_is_followed_and_stays_a_link(cli, tmp_path: Path) -> None:
    target = tmp_path / "real.m"
    target.write_text(MESSY)
    link = tmp_path / "link.m"
    link.symlink_to(target)
    assert cli("fmt", str(link)).code == 0
    assert link.is_symlink() and target.read_text() == CANONICAL


def test_syntax_error_leaves_the_file_alone(cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.m"
    bad = "Network N {\n  Layer L {\n    Dataflow { SpatialMap(1,1 K; }\n  }\n}\n"
    path.write_text(bad)
    result = cli("fmt", str(path))
    assert result.code == 2 and "error[E103]" in result.err
    assert path.read_text() == bad


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_file_is_refused_without_reading_it(cli, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.m"
    os.mkfifo(fifo)
    opened = threading.Event()

    def writer() -> None:  # unblocks a reader, if fmt wrongly opened the FIFO
        with open(fifo, "w") as handle:
            opened.set()
            handle.write(MESSY)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    result = cli("fmt", str(fifo))
    assert result.code == 2 and "not a regular file" in result.err
    assert not opened.is_set()
    with open(fifo) as handle:  # let the writer finish
        handle.read()


def test_standard_input_to_standard_output(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(MESSY))
    result = cli("fmt", "-")
    assert result.code == 0 and result.out == CANONICAL


def test_missing_file_is_an_input_error(cli, tmp_path: Path) -> None:
    result = cli("fmt", str(tmp_path / "none.m"))
    assert result.code == 2 and re.search(r"error\[E001\].*no such file", result.err)


def test_a_file_changed_meanwhile_is_not_replaced(tmp_path: Path) -> None:
    from maestroc.commands.fmt import replace_file

    path = tmp_path / "net.m"
    path.write_text("Constant A 1;\n")
    assert not replace_file(str(path), "Constant A 2;\n", expected="Constant A 3;\n")
    assert path.read_text() == "Constant A 1;\n"
    assert replace_file(str(path), "Constant A 2;\n", expected="Constant A 1;\n")
    assert path.read_text() == "Constant A 2;\n"


KILLED_DURING_FMT = """
import os, signal, sys
from maestroc.commands.fmt import replace_file
os.replace = lambda *names: os.kill(os.getpid(), signal.SIGKILL)  # die between writing and renaming
replace_file(sys.argv[1], "Constant A 2;\\n", expected="Constant A  2;\\n")
"""


def test_fmt_killed_mid_write_leaves_a_named_temporary_the_next_run_removes(cli, tmp_path: Path) -> None:
    """A SIGKILL during fmt leaves the file intact and a visible NAME.maestroc-PID.tmp, never a hidden one."""
    path = tmp_path / "net.m"
    path.write_text("Constant A  2;\n")
    killed = subprocess.run([sys.executable, "-c", KILLED_DURING_FMT, str(path)], check=False, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert path.read_text() == "Constant A  2;\n"
    (left,) = [p.name for p in tmp_path.iterdir() if p.name != "net.m"]
    assert left.startswith("net.m.maestroc-") and left.endswith(".tmp")
    assert cli("fmt", str(path)).code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.m"]
    assert path.read_text() == "Constant A 2;\n"
