"""Diagnostics: the one reporting service every stage of maestroc uses.

A stage never prints and never raises a Python error for bad input. It adds a
:class:`Diagnostic` (severity, stable code, message, source span, notes, helps)
to a :class:`Diagnostics` collector; the CLI renders them all at the end as

    path:line:col: error[CODE]: message
        8 | TemporalMap (1,1 C;
          |                  ^
    help: insert `)` here

in colour on a terminal and as plain text elsewhere. Every code is listed in
:data:`CODES` (and in docs/diagnostics.md); codes are stable once published.
"""

from __future__ import annotations

import enum
import os
import sys
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Iterable, Iterator

if TYPE_CHECKING:  # rich is imported when something is printed (a clean run never needs it)
    from rich.text import Text


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True)
class Span:
    """A region of a source file: 1-based lines and columns, end column exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    def to_json(self) -> dict[str, int]:
        """Position only: the path is given once, by the enclosing file or diagnostic."""
        return {"line": self.line, "column": self.column, "end_line": self.end_line,
                "end_column": self.end_column}


# code -> one-line title. E0xx: input files; E1xx: syntax; E2xx: meaning of a
# mapping file; E3xx: hardware files; W2xx: warnings about the source text.
CODES: dict[str, str] = {
    "E001": "input file cannot be read (missing, a directory, unreadable)",
    "E002": "input file is not UTF-8 text",
    "E003": "input file is empty",
    "E005": "an optional extra is needed and not installed",
    "E004": "nothing to analyse: the file has no `Network` (a hardware file or a template)",
    "E006": "a mapping file given where a hardware file is expected (`--hw`)",
    "E007": "nothing to analyse: the `Network` has no layers",
    "E101": "unexpected character",
    "E102": "unexpected token",
    "E103": "missing punctuation (`;`, `)`, `{`, `,`, `:`)",
    "E104": "unknown or misspelled keyword",
    "E105": "unexpected end of file (unclosed `{`)",
    "E106": "blocks nested too deeply (more than 64 `{` levels)",
    "E201": "unknown layer type",
    "E202": "unknown dimension name",
    "E203": "dimension declared twice with different sizes",
    "E204": "both an input dimension and its output dimension declared (`Y` and `Y'`)",
    "E205": "`Stride` after `Dimensions`",
    "E206": "undefined constant",
    "E207": "`Sz(D)` of a dimension the layer does not declare",
    "E208": "size, offset or value must be a positive whole number, at most 2^62",
    "E209": "constant defined twice",
    "E210": "layer item given twice (`Type`, `Stride`, `Dimensions` or `Dataflow`)",
    "E211": "layer without `Type`",
    "E212": "layer without `Dimensions`",
    "E214": "unknown cluster type (expected `P` or `L`)",
    "E215": "file mixes a dataflow template with networks",
    "E216": "more than one `Network` in a file",
    "E217": "required dimension missing for the layer type",
    "E218": "stride on a dimension other than `Y` or `X`",
    "E219": "a dataflow template that cannot be applied to the model",
    "E220": "a filter (`R`, `S`) larger than the input it slides over (`Y`, `X`)",
    "E301": "unknown hardware key",
    "E302": "hardware key given twice",
    "E303": "hardware value out of range",
    "W201": "dimension declared twice with the same size",
    "W202": "a `// maestroc: disable=` comment names no lint rule",
    "W203": "a template's constant that the model file defines with another value",
    "E501": "design-space value invalid (wrong type, out of range, unreadable)",
    "E502": "unknown table, key or parameter in a design space",
    "E503": "nothing to explore (no space given, or a network without dataflows)",
    "C401": "a layer needs more L1 than the hardware has (an error with --strict)",
    "C402": "a layer needs more L2 than the hardware has (an error with --strict)",
    "C403": "a layer needs more NoC bandwidth than the hardware has (an error with --strict)",
    "C404": "a layer needs more off-chip bandwidth than the hardware has (an error with --strict)",
    "C405": "the MACs the dataflow counts differ from the layer's true count (an error with --strict)",
    "C406": "under noc_topology: systolic, a dataflow keeps no tensor stationary: timed as a pipeline, "
            "unvalidated (an error with --strict)",
}


@dataclass(frozen=True)
class Diagnostic:
    """One finding about the input, located by a span where it has one."""

    severity: Severity
    code: str
    message: str
    span: Span | None = None
    notes: tuple[str, ...] = ()
    helps: tuple[str, ...] = ()
    # Secondary locations, e.g. "`{` opened here", rendered as notes with a caret.
    related: tuple[tuple[Span, str], ...] = ()
    # The file a span-less diagnostic is about (a file that cannot be read, is empty, ...).
    path: str | None = None

    @property
    def file(self) -> str | None:
        """The path this diagnostic is about: its span's, or the file-level one."""
        return self.span.path if self.span else self.path

    def to_json(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "path": self.file,
            "span": self.span.to_json() if self.span else None,
            "notes": list(self.notes),
            "helps": list(self.helps),
            "related": [{"path": s.path, "span": s.to_json(), "message": m} for s, m in self.related],
        }


@dataclass
class Diagnostics:
    """Collects diagnostics from every stage; the CLI decides how to show them."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic.code not in CODES:
            raise ValueError(f"unregistered diagnostic code {diagnostic.code}")
        self.items.append(diagnostic)

    def report(self, severity: Severity, code: str, message: str, span: Span | None = None, *,
               notes: Iterable[str] = (), helps: Iterable[str] = (),
               related: Iterable[tuple[Span, str]] = (), path: str | None = None) -> None:
        self.add(Diagnostic(severity, code, message, span, tuple(notes), tuple(helps), tuple(related), path))

    def error(self, code: str, message: str, span: Span | None = None, **details: object) -> None:
        self.report(Severity.ERROR, code, message, span, **details)  # type: ignore[arg-type]

    def warning(self, code: str, message: str, span: Span | None = None, **details: object) -> None:
        self.report(Severity.WARNING, code, message, span, **details)  # type: ignore[arg-type]

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class InputError(Exception):
    """Raised by a stage that cannot go on; the diagnostics say why."""

    def __init__(self, diagnostics: Diagnostics) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


def normalise_newlines(text: str) -> str:
    """CRLF and a lone CR become LF, so the lines the parser counts and the lines shown are the same.

    (``str.splitlines`` would also split at form feeds and other separators the parser does not count.)
    """
    return text.replace("\r\n", "\n").replace("\r", "\n")


class SourceRegistry:
    """The text of every file read, so that any stage's span can be shown with a caret."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str]] = {}

    def add(self, path: str, text: str) -> None:
        lines = normalise_newlines(text).split("\n")
        self._lines[path] = lines[:-1] if lines and lines[-1] == "" else lines

    def lines(self, path: str) -> list[str]:
        return self._lines.get(path, [])

    def line(self, path: str, number: int) -> str | None:
        lines = self._lines.get(path)
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]


SOURCES = SourceRegistry()

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.NOTE: "bold cyan"}


def render(diagnostic: Diagnostic, sources: SourceRegistry = SOURCES) -> Text:
    """The diagnostic as styled text: header, source line with caret, notes and helps."""
    from rich.text import Text

    text = Text()
    for part, style in _parts(diagnostic, sources):
        text.append(part, style=style or None)
    return text


def _parts(diagnostic: Diagnostic, sources: SourceRegistry) -> list[tuple[str, str]]:
    """The diagnostic's text in pieces, each with its rich style ("" for none)."""
    parts: list[tuple[str, str]] = []
    where = f"{diagnostic.span or diagnostic.path}: " if diagnostic.file else ""
    parts.append((where, "bold"))
    parts.append((f"{diagnostic.severity.value}[{diagnostic.code}]", _STYLE[diagnostic.severity]))
    parts.append((f": {diagnostic.message}\n", "bold"))
    if diagnostic.span:
        _append_snippet(parts, diagnostic.span, sources, _STYLE[diagnostic.severity])
    for span, message in diagnostic.related:
        parts += [(f"{span}: ", "bold"), ("note", _STYLE[Severity.NOTE]), (f": {message}\n", "")]
        _append_snippet(parts, span, sources, _STYLE[Severity.NOTE])
    for note in diagnostic.notes:
        parts += [("note", _STYLE[Severity.NOTE]), (f": {note}\n", "")]
    for help_ in diagnostic.helps:
        parts += [("help", "bold green"), (f": {help_}\n", "")]
    return parts


def _append_snippet(parts: list[tuple[str, str]], span: Span, sources: SourceRegistry, style: str) -> None:
    line = sources.line(span.path, span.line)
    if line is None:
        return
    line = line.replace("\t", " ")
    start = max(span.column - 1, 0)
    end = span.end_column - 1 if span.end_line == span.line else len(line)
    width = max(end - start, 1)
    parts += [(f"{span.line:>5} | ", "blue"), (line + "\n", ""), (" " * 5 + " | ", "blue"),
              (" " * start + "^" * width + "\n", style)]


def print_diagnostics(diagnostics: Iterable[Diagnostic], stream: IO[str] | None = None) -> None:
    """Print diagnostics to ``stream`` (stderr by default); colour only on a terminal."""
    diagnostics = list(diagnostics)
    if not diagnostics:
        return
    stream = stream or sys.stderr
    if _prints_plain(stream):
        text = "".join(part for diagnostic in diagnostics for part, _ in _parts(diagnostic, SOURCES))
        if not any(code in text for code in _RICH_REWRITES):
            stream.write(text)
            return
    from rich.console import Console

    console = Console(file=stream, highlight=False, soft_wrap=True, emoji=False)
    for diagnostic in diagnostics:
        console.print(render(diagnostic), end="")


# What rich changes in plain text it prints: tabs (expanded) and these control codes (removed).
_RICH_REWRITES = ("\t", "\a", "\b", "\v", "\f", "\r")


def _prints_plain(stream: IO[str]) -> bool:
    """True where rich would print no style at all (saving its import, a tenth of a short run): not a terminal,
    no variable forcing one (TTY_COMPATIBLE, FORCE_COLOR), not a notebook (where rich displays, not writes)."""
    if os.environ.get("TTY_COMPATIBLE") == "1" or "FORCE_COLOR" in os.environ or "IPython" in sys.modules:
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return isatty is None or not isatty()
    except ValueError:  # a closed stream: rich takes it for no terminal too
        return True
