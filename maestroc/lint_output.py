"""Lint findings as text, JSON or SARIF 2.1.0 (for code-review tools)."""

from __future__ import annotations

import json
from pathlib import Path

from maestroc import __version__
from maestroc.diagnostics import Diagnostic, Severity, render
from maestroc.lint import RULES

LINT_JSON_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def format_findings(findings: list[Diagnostic], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(lint_json(findings), indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif(findings), indent=2) + "\n"
    return "".join(render(d).plain for d in findings)


def lint_json(findings: list[Diagnostic]) -> dict[str, object]:
    """maestroc's own JSON: a version, counts, and every finding with its rule."""
    by_code = {rule.code: rule for rule in RULES}
    return {
        "version": LINT_JSON_VERSION,
        "tool": {"name": "maestroc", "version": __version__},
        "counts": {severity.value: sum(1 for d in findings if d.severity is severity)
                   for severity in (Severity.ERROR, Severity.WARNING)},
        "findings": [{**d.to_json(), "rule": by_code[d.code].name if d.code in by_code else None}
                     for d in findings],
    }


def sarif(findings: list[Diagnostic]) -> dict[str, object]:
    """A SARIF 2.1.0 log with one run: the rules as the driver's rules, one result per finding."""
    index = {rule.code: i for i, rule in enumerate(RULES)}
    results = []
    for d in findings:
        result: dict[str, object] = {
            "ruleId": d.code,
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message + "".join(f"\nhelp: {h}" for h in d.helps)},
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if d.span is not None:
            result["locations"] = [{
                "physicalLocation": {
                    "artifactLocation": {"uri": Path(d.span.path).as_posix()},
                    "region": {"startLine": d.span.line, "startColumn": d.span.column,
                               "endLine": d.span.end_line, "endColumn": d.span.end_column},
                }
            }]
        elif d.path is not None:  # a finding about the whole file (unreadable, empty, ...)
            result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": Path(d.path).as_posix()}}}]
        results.append(result)
    rules = [{
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity], "enabled": rule.enabled_by_default},
    } for rule in RULES]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "maestroc", "version": __version__, "rules": rules}},
            "results": results,
        }],
    }
