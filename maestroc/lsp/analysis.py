"""One open document, analysed as ``maestroc lint`` analyses a file: front end, pass pipeline, lint rules.

The language server holds one :class:`Analysis` per document version. It uses
the project's one front end (maestroc.frontend), pipeline and lint rules, so an
editor shows the same codes, messages, spans and helps as the command line. The
cost-model figures that hovers show come from ``maestroc.api.evaluate`` on the
network the analysis lowered, on the first hover that needs them, and are kept
with the analysis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from maestroc import api, ast
from maestroc.diagnostics import Diagnostic, Diagnostics, Severity, Span
from maestroc.frontend import load_hardware, load_source
from maestroc.hardware import HardwareSpec
from maestroc.ir import LayerIR, NetworkIR
from maestroc.lint import RULES, run_rules
from maestroc.lsp.incremental import reparse
from maestroc.lsp.lowering import LayerCache
from maestroc.metrics import LayerMetrics
from maestroc.parser import source_from_text
from maestroc.sema import check_mapping

HW_COMMENT = re.compile(r"//\s*maestroc:\s*hw=(\S+)")
DEFAULT_WARNINGS = tuple(r for r in RULES if r.severity.value == "warning" and r.enabled_by_default)


@dataclass
class Analysis:
    """What the server knows about one version of a document."""

    path: str
    text: str
    tree: ast.SourceFile | None
    diagnostics: list[Diagnostic]
    network: NetworkIR | None = None
    hardware: HardwareSpec | None = None
    hardware_path: str | None = None
    parsed_cleanly: bool = False  # no syntax error: the tree can seed the next version's (lsp/incremental.py)
    layer_cache: LayerCache = field(default_factory=LayerCache, repr=False)  # shared by a document's versions
    _metrics: dict[str, LayerMetrics] | None = field(default=None, repr=False)

    @cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def layer_ir(self, name: str) -> LayerIR | None:
        if self.network is None:
            return None
        return next((layer for layer in self.network.layers if layer.name == name), None)

    def metrics(self) -> dict[str, LayerMetrics]:
        """Per-layer figures on the document's hardware, from ``maestroc.api`` (empty without hardware or with
        errors, where ``maestroc compile`` gives no figures either)."""
        if self._metrics is None:
            self._metrics = {}
            if self.hardware is not None and self.network is not None \
                    and not any(d.severity is Severity.ERROR for d in self.diagnostics):
                result = api.evaluate(self.network, self.hardware)
                self._metrics = {m.name: m for m in result.layers}
        return self._metrics


def hardware_reference(text: str, document: Path, workspace_hw: str | None,
                       workspace_root: Path | None) -> tuple[str | None, Span | None]:
    """The hardware file a document names (``// maestroc: hw=PATH``), else the workspace's, with where it is named."""
    for number, line in enumerate(text.split("\n"), start=1):
        match = HW_COMMENT.search(line)
        if match:
            path = (document.parent / match.group(1)).resolve()
            return str(path), Span(str(document), number, match.start() + 1, number, match.end() + 1)
    if workspace_hw:
        base = workspace_root or document.parent
        return str((base / workspace_hw).resolve()), None
    return None, None


def _front_end(text: str, path: str, previous: Analysis | None, diagnostics: Diagnostics) -> ast.SourceFile | None:
    """The checked AST: the edited layers re-parsed when the previous version parsed cleanly, else the whole text."""
    if previous is not None and previous.parsed_cleanly and isinstance(previous.tree, ast.MappingFile):
        tree = reparse(previous.tree, previous.text, text, path)
        if tree is not None:
            check_mapping(tree, diagnostics)
            return tree
    return load_source(source_from_text(text, path), diagnostics)


def analyse(text: str, path: str, workspace_hw: str | None = None, workspace_root: Path | None = None,
            previous: Analysis | None = None) -> Analysis:
    """Front end, then (for a mapping file) the pass pipeline and the default lint rules, as ``maestroc lint``.

    ``previous``, the analysis of the document's last version, lets the front end re-parse only what changed.
    """
    diagnostics = Diagnostics()
    tree = _front_end(text, path, previous, diagnostics)
    analysis = Analysis(path, text, tree, [], parsed_cleanly=tree is not None and
                        not any(d.code.startswith("E1") for d in diagnostics))
    if isinstance(tree, ast.MappingFile) and not diagnostics.has_errors:
        api.has_layers(tree, diagnostics)  # E007, as the commands report a network without layers
    hw_path, named_at = hardware_reference(text, Path(path), workspace_hw, workspace_root)
    if hw_path is not None and isinstance(tree, ast.MappingFile):
        hw_diagnostics = Diagnostics()
        analysis.hardware = load_hardware(hw_path, hw_diagnostics)
        analysis.hardware_path = hw_path
        for problem in hw_diagnostics:  # shown where the document names the file
            where = f" ({problem.span})" if problem.span else ""
            diagnostics.add(Diagnostic(problem.severity, problem.code, f"hardware file: {problem.message}{where}",
                                       named_at, problem.notes, problem.helps))
    findings: list[Diagnostic] = []
    if previous is not None:
        analysis.layer_cache = previous.layer_cache
    if isinstance(tree, ast.MappingFile) and tree.kind == "mapping" and tree.networks and not diagnostics.has_errors:
        analysis.network, pipeline_findings = analysis.layer_cache.lower(tree, text, analysis.hardware)
        findings = pipeline_findings + [r.diagnostic for r in run_rules(analysis.network, DEFAULT_WARNINGS)]
    analysis.diagnostics = sorted(list(diagnostics) + findings, key=_position)
    return analysis


def _position(diagnostic: Diagnostic) -> tuple[int, int, str, str]:
    """Source order (as `maestroc lint` prints them), then code and message: one order however they were found."""
    span = diagnostic.span
    return (span.line, span.column, diagnostic.code, diagnostic.message) if span else (0, 0, diagnostic.code,
                                                                                       diagnostic.message)
