"""The Lark parsers of the grammars: the reference reading of every file, and syntax errors with recovery.

:mod:`maestroc.parser` first tries :mod:`maestroc.direct_parser`, which reads a
well-formed file without Lark; any file it is not sure of comes here. Both
grammars (``grammar/*.lark``, installed as package data ``maestroc.grammar``) are
LALR(1) with Lark's contextual lexer. On a syntax error the parser recovers where
it safely can, so one run reports several independent errors:

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
from functools import lru_cache
from importlib import resources
from pathlib import Path

import lark
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from maestroc import __version__, ast
from maestroc.diagnostics import SOURCES, Diagnostics, Span, normalise_newlines
from maestroc.direct_parser import dim_name, number_value
from maestroc.parser import KEYWORDS, FileKind, Source, cache_dir

_INSERTABLE = {"SEMICOLON": ";", "RPAR": ")", "LBRACE": "{", "COMMA": ",", "COLON": ":"}
_TOKEN_TEXT = {"SEMICOLON": "`;`", "RPAR": "`)`", "LPAR": "`(`", "LBRACE": "`{`", "RBRACE": "`}`",
               "COMMA": "`,`", "COLON": "`:`", "NAME": "a name", "QUALNAME": "a name",
               "NUMBER": "a number", "KEY": "a key", "MAP_KIND": "`SpatialMap` or `TemporalMap`",
               "$END": "end of file"}
_LARK_OPTIONS = {"parser": "lalr", "lexer": "contextual", "propagate_positions": True, "maybe_placeholders": False}


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


def parse_with_lark(source: Source, diagnostics: Diagnostics, kind: FileKind) -> ast.SourceFile | None:
    """Parse a source's text with Lark into an AST, adding syntax diagnostics; None if nothing usable."""
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


def _number(path: str, token: Token) -> ast.Number:
    return ast.Number(number_value(str(token)), _token_span(path, token))


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
        return ast.DimEntry(dim_name(str(name)), value, _token_span(self.path, name), _span(self.path, meta))

    def dataflow(self, meta: object, children: list) -> ast.Dataflow:
        return ast.Dataflow(tuple(children), _span(self.path, meta))

    def map_directive(self, meta: object, children: list) -> ast.MapDirective:
        kind, size, offset, dim = children
        return ast.MapDirective(str(kind), size, offset, dim_name(str(dim)),  # type: ignore[arg-type]
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
        return ast.SizeOf(dim_name(str(dim)), _token_span(self.path, dim), _span(self.path, meta))

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


