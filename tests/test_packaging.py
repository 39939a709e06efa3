"""A non-editable install (the README's `pip install .`) ships every sub-package of maestroc/."""

from __future__ import annotations

import tomllib

from conftest import ROOT


def test_every_subpackage_is_installed() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    source = {"maestroc." + ".".join(init.parent.relative_to(ROOT / "maestroc").parts)
              for init in (ROOT / "maestroc").rglob("__init__.py") if init.parent != ROOT / "maestroc"}
    assert source | {"maestroc", "maestroc.passes", "maestroc.grammar"} <= listed, "add them to pyproject.toml"
