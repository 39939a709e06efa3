"""Shared test fixtures: where MAESTRO's reference data lives, and golden files.

Tests that need ``../shared/maestro`` (MAESTRO's inputs and outputs) skip with a
reason when it is absent, except under CI (``CI`` set), where its absence is a
failure: CI must run them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MAESTROC_SHARED", ROOT.parent / "shared" / "maestro"))
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_GOLDEN = os.environ.get("MAESTROC_UPDATE_GOLDEN") == "1"
IN_CI = bool(os.environ.get("CI"))


MISSING_SHARED = (
    f"MAESTRO reference data not found at {SHARED}: these tests compare with MAESTRO's own inputs and "
    "outputs. Put the reference folder there, or point MAESTROC_SHARED at it (README, 'Reference data' "
    "says what it holds and how it is made)")


def shared_path() -> Path:
    """The MAESTRO reference folder; skips (or fails under CI) when it is missing."""
    if not SHARED.is_dir():
        message = MISSING_SHARED
        if IN_CI:
            pytest.fail(message + " -- required when CI is set")
        pytest.skip(message)
    return SHARED


@pytest.fixture
def shared() -> Path:
    return shared_path()


def shared_files(pattern: str) -> list[Path]:
    """Files of the reference folder (empty when it is missing)."""
    return sorted(SHARED.glob(pattern)) if SHARED.is_dir() else []


def shared_params(*patterns: str) -> list:
    """Files of the reference folder to parametrise a test over.

    When the folder is missing this is one placeholder marked ``needs_shared``, so
    the test skips (or fails under CI) with :data:`MISSING_SHARED` instead of
    pytest's bare "got empty parameter set".
    """
    if SHARED.is_dir():
        return [path for pattern in patterns for path in shared_files(pattern)]
    return missing_shared_param(1)


def missing_shared_param(arity: int) -> list:
    """The placeholder parameter (of ``arity`` values) that stands for missing reference data."""
    return [pytest.param(*([None] * arity), marks=pytest.mark.needs_shared, id="reference-data-missing")]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_shared: a test over MAESTRO's reference folder")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_shared") is not None:
        shared_path()


def check_golden(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME; MAESTROC_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        return
    assert path.exists(), f"missing golden file {path}; run with MAESTROC_UPDATE_GOLDEN=1"
    assert actual == path.read_text(), f"output differs from {path}"


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out[:200]!r}, err={self.err[:400]!r})"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run ``maestroc`` in-process: ``cli("parse", "x.m")`` -> CliResult."""
    from maestroc.cli import main

    def run(*args: str) -> CliResult:
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
