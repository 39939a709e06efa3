"""Optional extras: one install hint everywhere, a pandas extra, a clear message without pandas."""

from __future__ import annotations

import re
import sys
import tomllib

import pytest

from conftest import ROOT
from maestroc import install_hint


def test_every_extra_a_message_names_exists_and_is_in_the_readme() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    readme = (ROOT / "README.md").read_text()
    named = set()
    for path in (ROOT / "maestroc").rglob("*.py"):
        text = path.read_text()
        assert "maestroc[" not in text or path.name == "__init__.py", f"{path}: use maestroc.install_hint"
        named |= set(re.findall(r"install_hint\('(\w+)'\)", text))
    assert {"onnx", "plot", "pandas", "distributed"} <= named <= set(extras)
    for extra in named:
        assert f"'.[{extra}]'" in readme


def test_hint_serves_a_clone_and_an_index() -> None:
    assert install_hint("onnx") == "pip install '.[onnx]' (in a clone of maestroc) or pip install 'maestroc[onnx]'"


def test_to_pandas_without_pandas_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import maestroc

    result = maestroc.compile(str(ROOT / "samples/networks/tiny_cnn.m"), hw=str(ROOT / "samples/hw/default_256pe.m"))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ModuleNotFoundError, match=re.escape(install_hint("pandas"))):
        result.to_pandas()
