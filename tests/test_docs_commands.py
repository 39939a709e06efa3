"""Every command shown in README.md and docs/*.md runs, and prints what the doc shows.

The conventions a doc follows (write new docs this way):

- A ```sh block holds shell commands. Each line that starts with ``maestroc`` or
  ``python`` (lines ending in ``\\`` continue) is run, through the CLI's entry
  point and the test's Python, in a copy of the repository's ``samples/`` and ``docs/`` (so
  files a command writes land in a scratch folder, and later commands of the same
  doc see them, as a reader's would). Other lines (``pip``, ``git``, ``cd``) are
  set-up steps and are not run.
- A trailing comment marks what a command needs: ``# exit 2`` (the expected exit
  status, 0 otherwise), ``# needs onnx`` (skipped unless the module imports),
  ``# slow`` (runs only when CI or MAESTROC_SLOW_DOCS is set).
- A ```python block is run as a script, the same way; it is skipped when a module
  it imports (or names in a ``# needs MODULE`` comment) is not installed.
- A ```text block right after a ```sh or ```python block is what the (last)
  command prints on stdout: each of its lines must appear in that output, in
  order; a line ``...`` stands for lines left out.
"""

from __future__ import annotations

import importlib.util
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import IN_CI, ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent
RUN_SLOW = IN_CI or bool(os.environ.get("MAESTROC_SLOW_DOCS"))
_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```\n(?:\s*^```text\n(.*?)^```\n)?", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Example:
    doc: Path
    line: int
    kind: str  # "sh" or "python"
    code: str
    shown: str | None
    exit_status: int = 0
    needs: tuple[str, ...] = ()
    slow: bool = False

    @property
    def id(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def _markers(text: str) -> tuple[int, tuple[str, ...], bool]:
    status = re.search(r"#.*\bexit (\d+)", text)
    needs = tuple(re.findall(r"#.*\bneeds ([\w.]+)", text))
    return (int(status.group(1)) if status else 0), needs, bool(re.search(r"#.*\bslow\b", text))


def examples(doc: Path) -> list[Example]:
    """The commands and Python snippets of one doc, in order."""
    text = doc.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        kind, body, shown = match.groups()
        line = text.count("\n", 0, match.start()) + 2
        if kind == "python":
            status, needs, slow = _markers(body)
            imported = re.findall(r"^\s*(?:import|from)\s+(\w+)", body, re.MULTILINE)
            found.append(Example(doc, line, kind, body, shown, status, tuple(dict.fromkeys(needs + tuple(imported))),
                                 slow))
        elif kind == "sh":
            commands = re.sub(r"\\\n\s*", " ", body).splitlines()
            runnable = [c for c in commands if c.split()[:1] in (["maestroc"], ["python"])]
            for index, command in enumerate(runnable):
                last = index == len(runnable) - 1
                found.append(Example(doc, line + body.count("\n", 0, body.find(command.split()[1])),
                                     kind, command, shown if last else None, *_markers(command)))
    return found


ALL = [example for doc in DOCS for example in examples(doc)]


@pytest.fixture(scope="session")
def workspaces(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    return {}


def workspace(workspaces: dict[Path, Path], doc: Path, factory: pytest.TempPathFactory) -> Path:
    """One scratch copy of samples/ and docs/ per doc, shared by its commands in order."""
    if doc not in workspaces:
        folder = factory.mktemp(doc.stem)
        for part in ("samples", "docs"):
            shutil.copytree(ROOT / part, folder / part, ignore=shutil.ignore_patterns("__pycache__"))
        workspaces[doc] = folder
    return workspaces[doc]


def check_shown(shown: str, output: str) -> None:
    """Each shown line appears in the output, in order (``...`` skips lines)."""
    actual = [line.rstrip() for line in output.splitlines()]
    position = 0
    for expected in (line.rstrip() for line in shown.splitlines()):
        if expected == "...":
            continue
        while position < len(actual) and actual[position] != expected:
            position += 1
        assert position < len(actual), f"shown line not printed (in order): {expected!r}\n--- output:\n{output}"
        position += 1


def test_docs_have_commands() -> None:
    kinds = {e.doc.name for e in ALL}
    assert {"README.md", "tutorial.md", "costmodel.md", "costmodel-traces.md", "passes.md"} <= kinds


def run(example: Example, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run one command or snippet in the current folder: (exit status, stdout, stderr).

    ``maestroc`` lines run through the CLI's entry point in this process (the same
    ``maestroc.cli:main`` the installed command calls; a process per command would
    cost seconds of imports each), ``python`` lines as scripts; a line with shell
    syntax goes to bash.
    """
    from maestroc.cli import main

    if example.kind == "sh" and re.search(r"[|&;<>`$]", example.code.split("#")[0]):
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        done = subprocess.run(["bash", "-c", example.code], env=env, capture_output=True, text=True, timeout=600,
                              check=False)
        return done.returncode, done.stdout, done.stderr
    capsys.readouterr()
    code: int | str | None = 0
    try:
        if example.kind == "python":
            exec(compile(example.code, example.id, "exec"), {"__name__": "__main__"})  # noqa: S102 - the doc's snippet
        else:
            words = shlex.split(example.code, comments=True)
            if words[0] == "maestroc":
                code = main(words[1:])
            else:
                with pytest.MonkeyPatch.context() as patch:
                    patch.setattr(sys, "argv", words[1:])
                    runpy.run_path(words[1], run_name="__main__")
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    return (code if isinstance(code, int) else (0 if code is None else 1)), captured.out, captured.err


def test_the_installed_command_runs() -> None:
    """The docs' commands run through maestroc.cli:main; the installed entry point is that function."""
    maestroc = BIN / "maestroc"
    assert maestroc.exists(), f"the maestroc command is not installed beside {sys.executable}"
    done = subprocess.run([str(maestroc), "--version"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.startswith("maestroc"), done


@pytest.mark.parametrize("example", ALL, ids=lambda e: e.id)
def test_doc_command(example: Example, workspaces, tmp_path_factory, capsys, monkeypatch) -> None:
    missing = [name for name in example.needs if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}, not installed here (optional; the README lists the extras)")
    if example.slow and not RUN_SLOW:
        pytest.skip("marked slow in the doc; set MAESTROC_SLOW_DOCS=1 (or CI) to run it")
    monkeypatch.chdir(workspace(workspaces, example.doc, tmp_path_factory))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, err = run(example, capsys)
    assert "Traceback" not in err, err
    assert code == example.exit_status, (example.code, out[-2000:], err[-2000:])
    if example.shown is not None:
        check_shown(example.shown, out)
