"""Text -> AST: reading files, and the one entry point that parses them.

The grammars live in ``grammar/*.lark`` (installed as package data
``maestroc.grammar``). A well-formed file is read by :mod:`maestroc.direct_parser`
(fast, no Lark); a file it is not sure of, in particular any file with a syntax
error, is parsed by Lark (:mod:`maestroc.lark_parser`), which reports every
syntax error with recovery. Lark is imported only then.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from maestroc import ast
from maestroc.diagnostics import SOURCES, Diagnostics, Span, normalise_newlines
from maestroc.direct_parser import parse_well_formed

FileKind = Literal["mapping", "hw"]
MAX_NESTING = 64  # `{` levels; files need 3 or 4

KEYWORDS = ("Constant", "Network", "Layer", "Type", "Stride", "Dimensions", "Dataflow",
            "SpatialMap", "TemporalMap", "Cluster", "Sz", "Accelerator")


@dataclass(frozen=True)
class Source:
    """A file's path and text, registered for caret rendering."""

    path: str
    text: str


MAX_INPUT_BYTES = 16 * 2**20  # far above any network description; stops /dev/zero or a huge file early


def read_source(path: str, diagnostics: Diagnostics) -> Source | None:
    """Read a UTF-8 text file of at most MAX_INPUT_BYTES, or add a one-line E00x diagnostic and return None."""
    p = Path(path)
    try:
        if p.is_dir():
            diagnostics.error("E001", "is a directory, not a file", path=path)
            return None
        with p.open("rb") as handle:  # read() with a limit: a device or FIFO may never end
            data = handle.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            diagnostics.error("E001", f"{path}: larger than {MAX_INPUT_BYTES // 2**20} MiB, the most maestroc reads "
                                      "from one input file (is it the right file?)")
            return None
    except FileNotFoundError:
        diagnostics.error("E001", "no such file", path=path)
        return None
    except OSError as exc:
        diagnostics.error("E001", f"cannot be read ({exc.strerror or exc})", path=path)
        return None
    except ValueError:  # a NUL character in the name
        diagnostics.error("E001", "not a valid file name (it contains a NUL character)", path=repr(path))
        return None
    data = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark is not part of the text
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        diagnostics.error("E002", f"not UTF-8 text (invalid byte 0x{data[exc.start]:02x})",
                          _byte_span(path, data, exc.start))
        return None
    if "\x00" in text:
        diagnostics.error("E002", "binary file (a NUL byte; DFSL files are text)",
                          _byte_span(path, data, data.index(b"\x00")))
        return None
    SOURCES.add(path, text)
    return Source(path, text)


def _byte_span(path: str, data: bytes, offset: int) -> Span:
    """The line and column of byte ``offset`` (columns count characters of the valid text before it)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    line = data.count(b"\n", 0, offset) + 1
    return Span(path, line, column, line, column + 1)


def source_from_text(text: str, path: str = "<string>") -> Source:
    SOURCES.add(path, text)
    return Source(path, text)


_HW_FIRST = re.compile(r"\s*(?://[^\n]*\n\s*)*([A-Za-z_]\w*)\s*:?\s*-?[0-9]")


def detect_kind(text: str) -> FileKind:
    """A hardware file starts with ``key: number``; anything else is read as DFSL."""
    match = _HW_FIRST.match(text)
    if match and match.group(1) not in KEYWORDS:
        return "hw"
    return "mapping"


NO_CACHE_VARIABLE = "MAESTROC_NO_CACHE"


def cache_dir() -> Path | None:
    """Where maestroc keeps its caches (``$XDG_CACHE_HOME/maestroc``); None when caching is off."""
    if os.environ.get(NO_CACHE_VARIABLE):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "maestroc"


def parse_file(path: str, diagnostics: Diagnostics, kind: FileKind | None = None) -> ast.SourceFile | None:
    """Read and parse one file; None when it could not be read or parsed at all."""
    source = read_source(path, diagnostics)
    if source is None:
        return None
    return parse_source(source, diagnostics, kind)


def parse_source(source: Source, diagnostics: Diagnostics, kind: FileKind | None = None) -> ast.SourceFile | None:
    """Parse a source's text into an AST, adding syntax diagnostics; None if nothing usable."""
    if not source.text.strip() or not _strip_comments(source.text).strip():
        diagnostics.error("E003", "empty file (nothing but white space and comments)", path=source.path)
        return None
    kind = kind or detect_kind(source.text)
    tree = parse_well_formed(normalise_newlines(source.text), source.path, kind)
    if tree is not None:  # its grammar nests `{` three deep at most
        return tree
    too_deep = _first_too_deep_brace(source.path) if source.text.count("{") > MAX_NESTING else None
    if too_deep is not None:
        diagnostics.error("E106", f"blocks are nested more than {MAX_NESTING} deep", too_deep,
                          notes=[f"no maestroc file needs more than a few levels (`Network {{ Layer {{ Dataflow {{`); "
                                 f"the limit is {MAX_NESTING}"])
        return None
    from maestroc.lark_parser import parse_with_lark

    return parse_with_lark(source, diagnostics, kind)


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", text)


def parse_text(text: str, diagnostics: Diagnostics, path: str = "<string>",
               kind: FileKind | None = None) -> ast.SourceFile | None:
    return parse_source(source_from_text(text, path), diagnostics, kind)


def _first_too_deep_brace(path: str) -> Span | None:
    """The first `{` nested deeper than MAX_NESTING (deeper trees would overflow the recursion of the AST
    builder), from a comment-aware scan like ``lark_parser._unclosed_braces``."""
    depth = 0
    for number, line in enumerate(SOURCES.lines(path), start=1):
        for col, ch in enumerate(line.split("//", 1)[0], start=1):
            if ch == "{":
                depth += 1
                if depth > MAX_NESTING:
                    return Span(path, number, col, number, col + 1)
            elif ch == "}":
                depth = max(depth - 1, 0)
    return None
