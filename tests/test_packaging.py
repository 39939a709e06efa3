"""A non-editable install (the README's `pip install .`) ships every sub-package of maestroc/ and the
mapper's templates."""

from __future__ import annotations

import tomllib
from pathlib import Path

from conftest import ROOT

import maestroc


def test_every_subpackage_is_installed() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    source = {"maestroc." + ".".join(init.parent.relative_to(ROOT / "maestroc").parts)
              for init in (ROOT / "maestroc").rglob("__init__.py") if init.parent != ROOT / "maestroc"}
    assert source | {"maestroc", "maestroc.passes", "maestroc.grammar"} <= listed, "add them to pyproject.toml"


def test_the_mappers_templates_are_installed_where_it_looks(monkeypatch, tmp_path) -> None:
    """`maestroc map` of an installed copy (no samples/ beside it) finds the sample dataflows as package data
    (without them no layer had a baseline)."""
    from maestroc.mapping import network

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "maestroc.dataflows" in setuptools["packages"]
    assert setuptools["package-data"]["maestroc.dataflows"] == ["*.m"]
    package = Path(maestroc.__file__).resolve().parent  # the checkout's maestroc/, or site-packages/maestroc
    assert network.SAMPLE_TEMPLATES == package.parent / setuptools["package-dir"]["maestroc.dataflows"]
    assert network.INSTALLED_TEMPLATES == package / "dataflows"  # where pip puts maestroc.dataflows
    samples = sorted(p.name for p in (ROOT / "samples/dataflows").glob("*.m"))
    assert sorted(Path(p).name for p in network.default_templates()) == samples  # installed or not
    installed = tmp_path / "dataflows"
    installed.mkdir()
    (installed / "kcp_ws.m").write_text((ROOT / "samples/dataflows/kcp_ws.m").read_text())
    monkeypatch.setattr(network, "SAMPLE_TEMPLATES", tmp_path / "no-checkout")
    monkeypatch.setattr(network, "INSTALLED_TEMPLATES", installed)
    assert network.default_templates() == [str(installed / "kcp_ws.m")]
