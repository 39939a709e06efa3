"""Missing reference data is explained, never a traceback: bench/conformance.py and the skips."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import MISSING_SHARED, ROOT


def test_conformance_without_data_says_what_is_missing_and_how_to_get_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    env = {"MAESTROC_SHARED": str(missing), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(ROOT / "bench/conformance.py")], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    assert str(missing / "reference" / "INDEX.csv") in done.stderr
    assert "MAESTROC_SHARED" in done.stderr and "Reference data" in done.stderr


def test_skip_reason_says_how_to_get_the_data() -> None:
    assert "MAESTROC_SHARED" in MISSING_SHARED and "Reference data" in MISSING_SHARED
