"""Text -> AST: reading files, the Lark parsers, error recovery and friendly syntax errors.

The grammars live in ``grammar/*.lark`` (installed as package data
``maestroc.grammar``). Both are LALR(1) with Lark's contextual lexer. On a syntax
error the parser recovers where it safely can, so one run reports several
independent errors:

* a missing `;`, `)`, `{`, `:` or `,` is reported and inserted;
* a misspelled keyword (``TemproalMap``) is reported with "did you mean" and replaced;
* anything else is reported and skipped up to the end of the statement (`;` or `}`).
"""

from __future__ import annotations

import contextlib
import difflib
import os
import pickle
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import lark
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from maestroc import __version__, ast
from maestroc.diagnostics import SOURCES, Diagnostics, Span, normalise_newlines

FileKind = Literal["mapping", "hw"]
MAX_NESTING = 64  # `{` levels; files need 3 or 4

KEYWORDS = ("Constant", "Network", "Layer", "Type", "Stride", "Dimensions", "Dataflow",
            "SpatialMap", "TemporalMap", "Cluster", "Sz", "Accelerator")
_INSERTABLE = {"SEMICOLON": ";", "RPAR": ")", "LBRACE": "{", "COMMA": ",", "COLON": ":"}
_TOKEN_TEXT = {"SEMICOLON": "`;`", "RPAR": "`)`", "LPAR": "`(`", "LBRACE": "`{`", "RBRACE": "`}`",
               "COMMA": "`,`", "COLON": "`:`", "NAME": "a name", "QUALNAME": "a name",
               "NUMBER": "a number", "KEY": "a key", "MAP_KIND": "`SpatialMap` or `TemporalMap`",
               "$END": "end of file"}


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


_LARK_OPTIONS = {"parser": "lalr", "lexer": "contextual", "propagate_positions": True, "maybe_placeholders": False}
NO_CACHE_VARIABLE = "MAESTROC_NO_CACHE"


def cache_dir() -> Path | None:
    """Where maestroc keeps its caches (``$XDG_CACHE_HOME/maestroc``); None when caching is off."""
    if os.environ.get(NO_CACHE_VARIABLE):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "maestroc"


def _table_file(kind: FileKind) -> Path | None:
    """The cache file of a parser, named by the versions its tables depend on (the grammar is inside)."""
    folder = cache_dir()
    if folder is None:
        return None
    python = ".".join(str(part) for part in sys.version_info[:3])
    return folder / f"parser-{kind}-maestroc{__version__}-lark{lark.__version__}-py{python}.lark"


def _load_tables(path: Path, grammar: str) -> Lark | None:
    """The cached parser, if the file holds one built from exactly this grammar and these options."""
    try:
        with path.open("rb") as file:
            if pickle.load(file) != (grammar, _LARK_OPTIONS):
                return None
            return Lark.load(file)
    except Exception:  # noqa: BLE001 - missing, partial or foreign: rebuild it
        return None


def _store_tables(path: Path, grammar: str, parser: Lark) -> None:
    """Write the cache atomically (a temporary file renamed into place); give up quietly on OSError."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as file:
            pickle.dump((grammar, _LARK_OPTIONS), file, protocol=pickle.HIGHEST_PROTOCOL)
            parser.save(file)
        os.replace(file.name, path)
    except OSError:
        with contextlib.suppress(OSError, NameError):
            os.unlink(file.name)


@lru_cache(maxsize=None)
def _parser(kind: FileKind) -> Lark:
    """The LALR parser of a file kind, its tables cached on disk (building them takes tens of ms).

    The cache file holds the grammar and options it was built from and is used only
    for exactly those (and the maestroc, Lark and Python versions in its name). It is
    written to a temporary name and renamed into place, so concurrent runs never see
    a partial file; one that cannot be read is rebuilt, and a cache folder that
    cannot be written is simply not used.
    """
    name = "dfsl.lark" if kind == "mapping" else "hw.lark"
    grammar = resources.files("maestroc.grammar").joinpath(name).read_text(encoding="utf-8")
    path = _table_file(kind)
    parser = _load_tables(path, grammar) if path is not None else None
    if parser is None:
        parser = Lark(grammar, **_LARK_OPTIONS)
        if path is not None:
            _store_tables(path, grammar, parser)
    return parser


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
    too_deep = _first_too_deep_brace(source.path)
    if too_deep is not None:
        diagnostics.error("E106", f"blocks are nested more than {MAX_NESTING} deep", too_deep,
                          notes=[f"no maestroc file needs more than a few levels (`Network {{ Layer {{ Dataflow {{`); "
                                 f"the limit is {MAX_NESTING}"])
        return None
    kind = kind or detect_kind(source.text)
    recovery = _Recovery(source.path, diagnostics, _parser(kind))
    try:
        # Lark counts lines by `\n` only: a file with CR-only line endings would be one long line.
        tree = _parser(kind).parse(normalise_newlines(source.text), on_error=recovery.on_error)
    except UnexpectedInput as exc:
        recovery.report_fatal(exc)
        return None
    try:
        if kind == "hw":
            return _HwBuilder(source.path).transform(tree)
        return _MappingBuilder(source.path).transform(tree)
    except VisitError as exc:  # a tree left malformed by recovery
        if recovery.reported:
            return None
        raise exc.orig_exc from exc


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", text)


def parse_text(text: str, diagnostics: Diagnostics, path: str = "<string>",
               kind: FileKind | None = None) -> ast.SourceFile | None:
    return parse_source(source_from_text(text, path), diagnostics, kind)


def _token_span(path: str, token: Token) -> Span:
    line = token.line or 1
    column = token.column or 1
    end_line = token.end_line or line
    end_column = token.end_column or column + max(len(str(token)), 1)
    return Span(path, line, column, end_line, end_column)


class _Recovery:
    """Turns Lark's parse errors into diagnostics and decides how to resume."""

    def __init__(self, path: str, diagnostics: Diagnostics, parser: Lark) -> None:
        self.path = path
        self.diagnostics = diagnostics
        self.parser = parser
        self.reported = 0
        self.aborted = False  # an error was reported and parsing stopped there

    def describe(self, expected: set[str]) -> str:
        names = []
        for name in sorted(expected):
            if name in _TOKEN_TEXT:
                names.append(_TOKEN_TEXT[name])
            else:
                try:
                    pattern = self.parser.get_terminal(name).pattern
                    names.append(f"`{pattern.value}`")
                except KeyError:
                    names.append(name)
        unique = sorted(set(names))
        return unique[0] if len(unique) == 1 else "one of " + ", ".join(unique)

    def _keyword_for(self, token: Token, expected: set[str]) -> str | None:
        keywords = {}
        for name in expected:
            try:
                value = self.parser.get_terminal(name).pattern.value
            except KeyError:
                continue
            if name == "MAP_KIND":
                keywords.update({"SpatialMap": name, "TemporalMap": name})
            elif isinstance(value, str) and value in KEYWORDS:
                keywords[value] = name
        match = difflib.get_close_matches(str(token), list(keywords), n=1, cutoff=0.75)
        if not match:
            lowered = {k.lower(): k for k in keywords}
            if str(token).lower() in lowered:
                match = [lowered[str(token).lower()]]
        return match[0] if match else None

    def on_error(self, exc: UnexpectedInput) -> bool:
        """Report one syntax error; return True to resume (after a safe repair), False to stop."""
        if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
            return False  # report_fatal explains it
        if self.reported >= 50:
            return self._abort()
        if isinstance(exc, UnexpectedCharacters):
            char = exc.char
            span = Span(self.path, exc.line, exc.column, exc.line, exc.column + 1)
            shown = repr(char) if not char.isprintable() or char.isspace() else f"`{char}`"
            self.diagnostics.error("E101", f"unexpected character {shown}", span)
            return self._abort()
        assert isinstance(exc, UnexpectedToken)
        token, parser = exc.token, exc.interactive_parser
        expected = set(exc.expected)
        span = _token_span(self.path, token)
        keyword = self._keyword_for(token, expected) if token.type in ("NAME", "QUALNAME", "KEY") else None
        if keyword and keyword != str(token):
            self.diagnostics.error("E104", f"unknown keyword `{token}`", span, helps=[f"did you mean `{keyword}`?"])
            self.reported += 1
            term = "MAP_KIND" if keyword in ("SpatialMap", "TemporalMap") else \
                next(n for n in expected if self._terminal_value(n) == keyword)
            parser.feed_token(Token.new_borrow_pos(term, keyword, token))
            return True
        repair = self._insertion(token, parser, expected)
        if repair is not None:
            missing, retyped = repair
            text = _INSERTABLE[missing]
            after = self._previous_token_span(parser)
            # Point where the character belongs: right after the previous token.
            where = Span(self.path, after.end_line, after.end_column, after.end_line,
                         after.end_column + 1) if after else span
            detail = {"SEMICOLON": " after the statement", "RPAR": " to close `(`"}.get(missing, "")
            self.diagnostics.error("E103", f"expected `{text}`{detail}, found {self._found(token)}", where,
                                   helps=[f"insert `{text}` here"])
            self.reported += 1
            parser.feed_token(Token.new_borrow_pos(missing, text, token))
            parser.feed_token(retyped)
            return True
        self.diagnostics.error("E102", f"unexpected {self._found(token)}; expected {self.describe(expected)}",
                               span)
        return self._abort()

    def _abort(self) -> bool:
        """Stop parsing: later errors would only echo this one."""
        self.reported += 1
        self.aborted = True
        return False

    def _insertion(self, token: Token, parser: object, expected: set[str]) -> tuple[str, Token] | None:
        """A single missing punctuation token after which ``token`` fits, if there is one."""
        for missing in ("SEMICOLON", "RPAR", "LBRACE", "COLON", "COMMA"):
            if missing not in expected:
                continue
            trial = parser.copy()  # type: ignore[attr-defined]
            try:
                trial.feed_token(Token.new_borrow_pos(missing, _INSERTABLE[missing], token))
            except UnexpectedToken:
                continue
            retyped = self._retype(token, trial.accepts())
            if retyped is not None:
                return missing, retyped
        return None

    def _retype(self, token: Token, accepted: set[str]) -> Token | None:
        """The token as the terminal the parser now accepts (the lexer chose in another context)."""
        if token.type in accepted:
            return token
        candidates = []
        for name in accepted:
            try:
                pattern = self.parser.get_terminal(name).pattern
            except KeyError:
                continue
            if re.fullmatch(pattern.to_regexp(), str(token)):
                candidates.append((pattern.type != "str", name))
        if not candidates:
            return None
        return Token.new_borrow_pos(min(candidates)[1], str(token), token)

    def _terminal_value(self, name: str) -> object:
        try:
            return self.parser.get_terminal(name).pattern.value
        except KeyError:
            return None

    def _previous_token_span(self, parser: object) -> Span | None:
        stack = getattr(getattr(parser, "parser_state", None), "value_stack", None)
        if not stack:
            return None
        last = stack[-1]
        if isinstance(last, Token):
            if last.end_line is None or last.end_column is None:
                return None
            return _token_span(self.path, last)
        meta = getattr(last, "meta", None)
        if meta is None or getattr(meta, "empty", True) or getattr(meta, "end_column", None) is None:
            return None
        return Span(self.path, meta.end_line, meta.end_column, meta.end_line, meta.end_column)

    @staticmethod
    def _found(token: Token) -> str:
        if token.type == "$END":
            return "end of file"
        return f"`{token}`"

    def report_fatal(self, exc: UnexpectedInput) -> None:
        """An error the parser cannot resume from: an unexpected end of file."""
        if self.aborted:
            return
        opened = _unclosed_braces(self.path)
        if opened:
            self.diagnostics.error(
                "E105", f"unexpected end of file: `{{` opened at line {opened[-1].line} is never closed",
                _end_span(self.path), related=[(opened[-1], "opened here")],
                helps=[f"add {len(opened)} closing `}}`" if len(opened) > 1 else "add the closing `}`"])
        else:
            expected = set(getattr(exc, "expected", ()) or ())
            self.diagnostics.error("E105", "unexpected end of file" +
                                   (f"; expected {self.describe(expected)}" if expected else ""),
                                   _end_span(self.path))
        self.reported += 1


def _end_span(path: str) -> Span:
    lines = SOURCES.lines(path) or [""]
    number = max(len(lines), 1)
    last = lines[-1] if lines else ""
    return Span(path, number, len(last) + 1, number, len(last) + 2)


def _first_too_deep_brace(path: str) -> Span | None:
    """The first `{` nested deeper than MAX_NESTING (deeper trees would overflow the recursion of the AST
    builder), from a comment-aware scan like :func:`_unclosed_braces`."""
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


def _unclosed_braces(path: str) -> list[Span]:
    """Positions of `{` never closed, from a comment-aware scan of the text."""
    stack: list[Span] = []
    for number, line in enumerate(SOURCES.lines(path), start=1):
        code = line.split("//", 1)[0]
        for col, ch in enumerate(code, start=1):
            if ch == "{":
                stack.append(Span(path, number, col, number, col + 1))
            elif ch == "}" and stack:
                stack.pop()
    return stack


def _span(path: str, meta: object) -> Span:
    return Span(path, meta.line, meta.column, meta.end_line, meta.end_column)  # type: ignore[attr-defined]


def _dim_name(token: Token) -> str:
    return str(token).replace("\u2019", "'")


def _number(path: str, token: Token) -> ast.Number:
    text = str(token)
    value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
    return ast.Number(value, _token_span(path, token))


@v_args(meta=True)
class _MappingBuilder(Transformer):
    """Parse tree -> :class:`ast.MappingFile`."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def start(self, meta: object, children: list) -> ast.MappingFile:
        constants, networks, accelerators, templates, loose = [], [], [], [], []
        for child in children:
            if isinstance(child, ast.Constant):
                constants.append(child)
            elif isinstance(child, ast.Network):
                networks.append(child)
            elif isinstance(child, ast.Accelerator):
                accelerators.append(child)
            elif isinstance(child, ast.Dataflow):
                templates.append(child)
            else:
                loose.append(child)
        if loose:
            first, last = loose[0].span, loose[-1].span
            templates.append(ast.Dataflow(tuple(loose), Span(self.path, first.line, first.column,
                                                             last.end_line, last.end_column)))
        return ast.MappingFile(self.path, tuple(constants), tuple(networks), tuple(accelerators),
                               tuple(templates))

    def constant(self, meta: object, children: list) -> ast.Constant:
        name, value = children
        return ast.Constant(str(name), value, _token_span(self.path, name), _span(self.path, meta))

    def network(self, meta: object, children: list) -> ast.Network:
        name, *layers = children
        return ast.Network(str(name), _token_span(self.path, name), tuple(layers), _span(self.path, meta))

    def layer(self, meta: object, children: list) -> ast.Layer:
        name, *items = children
        return ast.Layer(str(name), _token_span(self.path, name), tuple(items), _span(self.path, meta))

    def type_decl(self, meta: object, children: list) -> ast.TypeDecl:
        (name,) = children
        return ast.TypeDecl(str(name), _token_span(self.path, name))

    def stride(self, meta: object, children: list) -> ast.Stride:
        return ast.Stride(tuple(children), _span(self.path, meta))

    def dimensions(self, meta: object, children: list) -> ast.Dimensions:
        return ast.Dimensions(tuple(children), _span(self.path, meta))

    def dim_entry(self, meta: object, children: list) -> ast.DimEntry:
        name, value = children
        return ast.DimEntry(_dim_name(name), value, _token_span(self.path, name), _span(self.path, meta))

    def dataflow(self, meta: object, children: list) -> ast.Dataflow:
        return ast.Dataflow(tuple(children), _span(self.path, meta))

    def map_directive(self, meta: object, children: list) -> ast.MapDirective:
        kind, size, offset, dim = children
        return ast.MapDirective(str(kind), size, offset, _dim_name(dim),  # type: ignore[arg-type]
                                _token_span(self.path, dim), _span(self.path, meta))

    def cluster_directive(self, meta: object, children: list) -> ast.ClusterDirective:
        size, kind = children
        return ast.ClusterDirective(size, str(kind), _token_span(self.path, kind), _span(self.path, meta))

    def number(self, meta: object, children: list) -> ast.Number:
        return _number(self.path, children[0])

    def const_ref(self, meta: object, children: list) -> ast.ConstRef:
        return ast.ConstRef(str(children[0]), _token_span(self.path, children[0]))

    def size_of(self, meta: object, children: list) -> ast.SizeOf:
        (dim,) = children
        return ast.SizeOf(_dim_name(dim), _token_span(self.path, dim), _span(self.path, meta))

    def accelerator(self, meta: object, children: list) -> ast.Accelerator:
        return ast.Accelerator(tuple(children), _span(self.path, meta))

    def acc_group(self, meta: object, children: list) -> ast.AcceleratorGroup:
        name, *items = children
        return ast.AcceleratorGroup(str(name), tuple(items), _span(self.path, meta))

    def acc_entry(self, meta: object, children: list) -> ast.AcceleratorEntry:
        name, value = children
        return ast.AcceleratorEntry(str(name), str(value), _span(self.path, meta))


@v_args(meta=True)
class _HwBuilder(Transformer):
    """Parse tree -> :class:`ast.HardwareFile`."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def start(self, meta: object, children: list) -> ast.HardwareFile:
        return ast.HardwareFile(self.path, tuple(children))

    def entry(self, meta: object, children: list) -> ast.HwEntry:
        key, value = children
        parsed = ast.Word(str(value), _token_span(self.path, value)) if value.type == "KEY" else \
            _number(self.path, value)
        return ast.HwEntry(str(key), parsed, _token_span(self.path, key), _span(self.path, meta))

