"""Every lint `help:` is correct: doing what it says removes the finding and adds no error.

For each rule that gives a help, the help is applied to the rule's bad example of
docs/lint.md (or to a generated case where the bad example cannot follow the
help) by a small edit that does exactly what the help text says; where the help
quotes a directive, the directive is taken from the help itself. A new rule with
a help needs an entry in FIXES.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT
from maestroc.lint import RULES
from test_lint import HW_64, SECTIONS, examples

Finding = dict
Fix = Callable[[str, Finding], str]


def _span_text(text: str, finding: Finding) -> tuple[int, int]:
    """Offsets of the finding's span in ``text`` (1-based line/column, end exclusive)."""
    lines = text.splitlines(keepends=True)
    span = finding["span"]
    start = sum(len(line) for line in lines[:span["line"] - 1]) + span["column"] - 1
    end = sum(len(line) for line in lines[:span["end_line"] - 1]) + span["end_column"] - 1
    return start, end


def _directive(text: str, finding: Finding) -> tuple[int, int]:
    """Offsets of the whole directive (up to its `;`) the finding points at."""
    start, end = _span_text(text, finding)
    stop = text.index(";", start) + 1
    return start, max(end, stop)


def _quoted(finding: Finding) -> str:
    """The directive a help quotes, e.g. `TemporalMap(Sz(R),Sz(R)) R;`."""
    (help_text,) = finding["helps"]
    match = re.search(r"`((?:Temporal|Spatial)Map\([^`]*;)`", help_text)
    assert match, f"the help quotes no directive: {help_text}"
    return match.group(1)


def replace_directive(make: Callable[[str, Finding], str]) -> Fix:
    def fix(text: str, finding: Finding) -> str:
        start, end = _directive(text, finding)
        return text[:start] + make(text[start:end], finding) + text[end:]
    return fix


def insert_after_directive(text: str, finding: Finding) -> str:
    _, end = _directive(text, finding)
    return text[:end] + " " + _quoted(finding) + text[end:]


def insert_at_top_level(text: str, finding: Finding) -> str:
    return text.replace("Dataflow {", "Dataflow { " + _quoted(finding), 1)


def smaller_cluster(text: str, finding: Finding) -> str:
    (help_text,) = finding["helps"]
    limit = re.search(r"at most (\d+) PEs per cluster", help_text).group(1)
    start, end = _directive(text, finding)
    return text[:start] + re.sub(r"Cluster\(\d+", f"Cluster({limit}", text[start:end]) + text[end:]


def smaller_map(directive: str, finding: Finding) -> str:
    (help_text,) = finding["helps"]
    limit = re.search(r"a size of at most (\d+)", help_text).group(1)
    size, offset = re.search(r"\((\w+),(\w+)\)", directive).groups()
    return directive.replace(f"({size},{offset})", f"({limit},{limit if offset == size else offset})")


def copy_previous_dataflow(text: str, finding: Finding) -> str:
    dataflow = re.search(r"Dataflow \{[^}]*\}", text).group(0)
    start, _ = _span_text(text, finding)
    close = text.rindex("}", 0, len(text.rstrip().rstrip("}").rstrip()) + 1)
    assert close > start
    return text[:close] + dataflow + " " + text[close:]


def paste_template(text: str, finding: Finding) -> str:
    assert "samples/dataflows/" in finding["helps"][0]
    body = (ROOT / "samples/dataflows/kcp_ws.m").read_text()
    body = body if body.lstrip().startswith("Dataflow") or "Dataflow {" in body else "Dataflow {\n" + body + "\n}"
    body = re.sub(r"//[^\n]*", "", body)
    close = len(text.rstrip()) - 2  # before the layer's and the network's closing braces
    return text[:close].rstrip().rstrip("}").rstrip() + "\n" + body + " } }\n"


# The bad example cannot follow the help: K is the largest dimension, and 64 PEs idle on it.
L202_CASE = """Network N { Layer L { Type: CONV
  Dimensions { K: 8, C: 128, R: 3, S: 3, Y: 8, X: 8 }
  Dataflow { SpatialMap(1,1) K; TemporalMap(1,1) C; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;
             TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S; } } }
"""


def larger_spatial_dim(text: str, finding: Finding) -> str:
    assert "map a larger dimension spatially" in finding["helps"][0]
    return text.replace("SpatialMap(1,1) K; TemporalMap(1,1) C;", "TemporalMap(1,1) K; SpatialMap(1,1) C;")


def _written(finding: Finding) -> str:
    """The directive a coverage help asks for, e.g. `TemporalMap(4,4) C;` in "write `...`: ..."."""
    (help_text,) = finding["helps"]
    match = re.search(r"write `([^`]+;)`", help_text)
    assert match, f"the help writes no directive: {help_text}"
    return match.group(1)


def silence_above(text: str, finding: Finding) -> str:
    """Put the `// maestroc: disable=RULE` comment the help quotes on the line above the finding."""
    (help_text,) = finding["helps"]
    comment = re.search(r"`(// maestroc: disable=[\w-]+)`", help_text).group(1)
    lines = text.splitlines(keepends=True)
    line = finding["span"]["line"] - 1
    indent = re.match(r"\s*", lines[line]).group(0)
    return "".join(lines[:line] + [indent + comment + "\n"] + lines[line:])


FIXES: dict[str, tuple[Fix, str | None]] = {
    # rule: (the edit the help asks for, a generated case or None for the bad example of docs/lint.md)
    "L101": (replace_directive(lambda d, f: d.replace("TemporalMap", "SpatialMap", 1)), None),
    "L102": (lambda t, f: t[:_directive(t, f)[0]] + "Cluster(4, P); " + t[_directive(t, f)[0]:], None),
    "L103": (replace_directive(lambda d, f: ""), None),
    "L104": (replace_directive(lambda d, f: _quoted(f)), None),
    "L105": (insert_after_directive, None),
    "L106": (smaller_cluster, None),
    "L108": (paste_template, None),
    "L109": (replace_directive(lambda d, f: re.sub(r"\((\w+),", "(Sz(S),", d, count=1)), None),
    "L201": (replace_directive(smaller_map), None),
    "L202": (larger_spatial_dim, L202_CASE),
    "L204": (insert_at_top_level, None),
    "L205": (replace_directive(lambda d, f: re.sub(r",\s*\w+\)", ",1)", d, count=1)), None),
    "L206": (copy_previous_dataflow, None),
    "L207": (replace_directive(lambda d, f: ""), None),
    "L208": (replace_directive(lambda d, f: _written(f)), None),
    "L209": (replace_directive(lambda d, f: _written(f)), None),
    "L210": (silence_above, None),
}


def lint(cli, tmp_path: Path, text: str, hardware: bool, *extra: str) -> tuple[int, list[Finding]]:
    net = tmp_path / "net.m"
    net.write_text(text)
    args = ["lint", str(net), "--format", "json", *extra]
    if hardware:
        (tmp_path / "hw.m").write_text(HW_64)
        args += ["--hw", str(tmp_path / "hw.m")]
    result = cli(*args)
    assert result.code in (0, 1), result
    return result.code, json.loads(result.out)["findings"]


def _key(finding: Finding) -> tuple[str, str]:
    return finding["code"], finding["message"]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.code}-{r.name}")
def test_applying_the_help_removes_the_finding(rule, cli, tmp_path: Path) -> None:
    hardware = "*Hardware*" in SECTIONS[rule.code]
    extra = () if rule.enabled_by_default else ("--enable", rule.name)
    fix, case = FIXES.get(rule.code, (None, None))
    text = case or examples(rule.code)[0]
    _, before = lint(cli, tmp_path, text, hardware, *extra)
    target = next(f for f in before if f["code"] == rule.code)
    if not target.get("helps"):
        assert fix is None, f"{rule.code} gives no help, but FIXES has an edit for it"
        return
    assert fix is not None, f"{rule.code} gives a help: add the edit it asks for to FIXES"
    fixed = fix(text, target)
    _, after = lint(cli, tmp_path, fixed, hardware, *extra)
    assert _key(target) not in {_key(f) for f in after}, fixed
    new_errors = {f["code"] for f in after if f["severity"] == "error"} - \
        {f["code"] for f in before if f["severity"] == "error"}
    assert not new_errors, (fixed, after)


def test_unroll_help_for_a_window_mapped_below_the_top_level(cli, tmp_path: Path) -> None:
    """L204 on R/S mapped only at level 1 (as samples/dataflows/ykp_os.m does): says so, and its help is legal."""
    text = """Network N { Layer L { Type: CONV
  Dimensions { K: 32, C: 8, R: 3, S: 3, Y: 16, X: 16 }
  Dataflow { TemporalMap(16,16) K; SpatialMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X; TemporalMap(1,1) C;
             Cluster(16, P); SpatialMap(1,1) K; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;
             TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S; } } }
"""
    _, before = lint(cli, tmp_path, text, True)
    (window,) = [f for f in before if f["code"] == "L204" and "`R`" in f["message"]]
    assert "mapped at level 1 but not at the top level" in window["message"]
    assert "not in the dataflow" not in window["message"]
    assert _quoted(window) == "TemporalMap(Sz(R),Sz(R)) R;"
    _, after = lint(cli, tmp_path, insert_at_top_level(text, window), True)
    assert _key(window) not in {_key(f) for f in after}
    assert not [f for f in after if f["severity"] == "error"]
