"""The documentation stays true: codes documented, README commands match CI."""

from __future__ import annotations

import re

from conftest import ROOT
import maestroc.lint  # noqa: F401  (registers the lint codes, documented in docs/lint.md)
from maestroc.diagnostics import CODES


def test_every_diagnostic_code_is_documented() -> None:
    text = (ROOT / "docs/diagnostics.md").read_text()
    documented = set(re.findall(r"^\| ([ECW]\d{3}) \|", text, re.MULTILINE))
    assert documented == {code for code in CODES if code[0] in "ECW"}


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.DOTALL)
    assert len(blocks) >= 2
    test_command = blocks[1].strip()
    ci_lines = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()]
    assert test_command in ci_lines


def test_readme_python_snippet_runs_from_the_repo_root() -> None:
    """The README's Python example, pasted into a Python started in the repo root (the source folder
    `maestroc/` shadows the installed package there, and `passes/` sits beside it)."""
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text()
    (snippet,) = re.findall(r"```python\n(.*?)\n```", readme, re.DOTALL)
    proc = subprocess.run([sys.executable, "-c", snippet + "\nprint(result.totals['runtime'])"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip().splitlines()[-1]) > 0
