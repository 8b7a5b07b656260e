"""The health rules, in one place: markers, compilation, test counting, and backup paths.

A *version* (one blob) is judged once; nothing here depends on the path, so judgments are cached by
blob id (plus the rules and the interpreter, see :func:`rules_fingerprint`).

- markers: lines matching any marker regex (Python syntax and meaning, searched with ``re.MULTILINE``,
  run in linear time by :mod:`forensics.engine.markers`). A match on a line that
  begins inside a multi-line (triple-quoted) string literal (a docstring showing an example) does not
  count; this is decided on the AST's string nodes when the version compiles, and every match counts
  when it does not.
- compiles: exactly ``python -m py_compile``: ``compile(source_bytes, path, "exec",
  dont_inherit=True, optimize=-1)`` on the raw bytes, any exception meaning "does not compile"
  (so undecodable and NUL-containing sources do not compile). The interpreter is recorded.
- error kind: every version that does not compile gets a documented kind from its recorded error
  (:func:`forensics.engine.error_kinds.error_kind`: unterminated string, invalid decimal literal,
  unmatched bracket, indentation, python2, newer python, undecodable, other), and ``dialect_only``
  says whether it fails only because it is Python 2 or newer-Python code.
- tests: ``def test*`` / ``async def test*`` functions and methods (module level, under module-level
  ``if``/``try``, and inside classes; not nested in functions), counted when the version compiles on
  what its AST compiles to (the module's code objects, so nothing is parsed twice; tests check this
  equals an AST count); otherwise the documented fallback counts lines matching
  ``^[ \\t]*(async[ \\t]+)?def[ \\t]+test`` (commented lines never do).
"""
from __future__ import annotations

import ast
import bisect
import inspect
import fnmatch
import hashlib
import json
import platform
import re
import types
import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

from forensics.errors import BadPattern
from forensics.engine.content import NO_CONTENT, measure_content
from forensics.engine.error_kinds import TOO_LARGE_KIND, UNREADABLE_KIND, dialect_only, error_kind  # noqa: F401 (re-exported)
from forensics.engine.limits import MAX_VERSION_BYTES, TooLarge
from forensics.engine.markers import MarkerPattern, compile_marker

DEFAULT_MARKERS: tuple[str, ...] = (r"^\s*#\s*REMOVED_SYNTAX_ERROR:",)
DEFAULT_BACKUP_PATTERNS: tuple[str, ...] = ("*.backup*", "*.bak", "*.orig", "*~")
INTERPRETER = f"{platform.python_implementation()} {platform.python_version()}"

from forensics.engine.states import (BROKEN, HEALTHY, MARKED, MARKED_BROKEN, STATES,  # noqa: F401 (re-exported)
                                     UNREADABLE)

_NEWLINE = re.compile("\n")
_FALLBACK_TEST = re.compile(rb"^[ \t]*(?:async[ \t]+)?def[ \t]+test", re.MULTILINE)


class VersionHealth(NamedTuple):
    """One judged version. Field names are the columns of the ``versions`` table."""

    readable: bool
    size: int
    markers: int
    first_marker_line: int      # 0 when none
    compiles: bool
    error_class: str
    error_message: str
    error_line: int             # 0 when unknown or none
    tests: int
    state: str
    error_kind: str             # forensics.engine.error_kinds: "" when it compiles
    dialect_only: bool          # fails only as Python 2 / newer-Python code (see error_kinds.dialect_only)
    # code content (forensics.engine.content): how much real code the version holds
    code_lines: int             # lines neither blank nor a comment
    statements: int             # source lines that carry bytecode (-1 when it does not compile)
    definitions: int            # functions and classes (code objects; a line count when it does not compile)
    commented_code: int         # comment lines whose text after the comment prefix looks like code
    comment_prefix: str         # the most frequent distinctive prefix of those lines ("#~", "# FIXME:"), or ""
    comment_prefix_lines: int   # lines of commented code carrying ``comment_prefix``


@dataclass(frozen=True)
class HealthRules:
    """Marker regexes and backup-name patterns; everything that decides a version's state."""

    markers: tuple[str, ...] = DEFAULT_MARKERS
    backup_patterns: tuple[str, ...] = DEFAULT_BACKUP_PATTERNS
    check_compile: bool = True     # False: the markers-only timeline (compiles is then not judged)
    python: str | None = None      # another interpreter judges (--python; forensics.engine.external_python)
    interpreter: str = INTERPRETER  # the judging interpreter, as recorded ("CPython 3.12.1")
    _compiled: tuple[MarkerPattern, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", compile_markers(self.markers))

    @property
    def compiled_markers(self) -> tuple[MarkerPattern, ...]:
        return self._compiled

    def fingerprint(self) -> str:
        """What a cached judgment depends on: the marker patterns, the interpreter, compile or not."""
        return rules_fingerprint(self.markers, self.interpreter) + ("" if self.check_compile else "-nocompile")

    def is_backup(self, path: str) -> bool:
        return is_backup_path(path, self.backup_patterns)

    def judge(self, data: bytes | None) -> VersionHealth:
        return judge(data, self.compiled_markers, self.check_compile)


def rules_fingerprint(markers: tuple[str, ...], interpreter: str = INTERPRETER) -> str:
    # schema 2: error_kind; 3: code content (forensics.engine.content)
    payload = json.dumps({"markers": list(markers), "interpreter": interpreter, "schema": 3})
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def compile_markers(patterns: tuple[str, ...] | list[str]) -> tuple[MarkerPattern, ...]:
    """Compile marker regexes (multiline, linear time); a bad or unboundable one raises
    :class:`BadPattern`."""
    if not patterns:
        raise BadPattern("", "at least one marker pattern is needed")
    out = []
    for p in patterns:
        rx = compile_marker(p)
        if rx.search("") is not None:
            raise BadPattern(p, "it matches an empty line, so every file would be marked")
        out.append(rx)
    return tuple(out)


def state_of(markers: int, compiles: bool) -> str:
    if markers > 0:
        return MARKED if compiles else MARKED_BROKEN
    return HEALTHY if compiles else BROKEN


def compile_check(data: bytes) -> tuple[bool, str, str, int, types.CodeType | None]:
    """(compiles, error class, message, line, module code) exactly as ``python -m py_compile``
    decides: ``compile(source_bytes, path, "exec", dont_inherit=True, optimize=-1)``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = compile(data, "<version>", "exec", dont_inherit=True, optimize=-1)
    except SyntaxError as exc:
        return False, type(exc).__name__, str(exc.msg or exc), int(exc.lineno or 0), None
    except Exception as exc:  # py_compile turns any exception into PyCompileError
        return False, type(exc).__name__, str(exc), 0, None
    return True, "", "", 0, code


def _decode(data: bytes, compiles: bool) -> str:
    if not data.startswith(b"\xef\xbb\xbf") and b"coding" not in data[:400]:
        try:
            return data.decode("utf-8")  # the common case, without decode_source's machinery
        except UnicodeDecodeError:
            pass
    if compiles:
        try:
            from importlib.util import decode_source
            return decode_source(data)
        except (UnicodeDecodeError, SyntaxError, LookupError):
            pass
    return data.decode("utf-8", "replace")


_TRIPLE = re.compile(r"""^[rRbBuUfF]{0,2}('\'\'|\"\"\")""")


def _lines_inside_strings(text: str) -> set[int]:
    """1-based lines that begin inside a multi-line (triple-quoted) string literal, from the AST's
    string nodes (C speed, unlike ``tokenize``); f-strings included."""
    inside: set[int] = set()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return inside
    lines = text.splitlines()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Constant, ast.JoinedStr)) and getattr(node, "end_lineno", None) \
                and node.end_lineno > node.lineno:
            if isinstance(node, ast.Constant) and not isinstance(node.value, (str, bytes)):
                continue
            start = lines[node.lineno - 1][node.col_offset:] if node.lineno - 1 < len(lines) else ""
            if _TRIPLE.match(start):
                inside.update(range(node.lineno + 1, node.end_lineno + 1))
    return inside


def count_markers(text: str, patterns: tuple[MarkerPattern, ...], compiles: bool) -> tuple[int, int]:
    """(number of marker lines, first marker line or 0)."""
    starts: list[int] | None = None
    lines: set[int] = set()
    for rx in patterns:
        for m in rx.finditer(text):
            if starts is None:
                starts = [0] + [nl.end() for nl in _NEWLINE.finditer(text)]
            lines.add(bisect.bisect_right(starts, m.start()))
    if not lines:
        return 0, 0
    # a marker line can only be inside a string that closes after it: look for a triple quote first
    first_start = starts[min(lines) - 1] if starts else 0
    if compiles and ('"""' in text[first_start:] or "\'\'\'" in text[first_start:]):
        lines -= _lines_inside_strings(text)
    return len(lines), (min(lines) if lines else 0)


def count_tests(data: bytes, code: types.CodeType | None) -> int:
    """Tests of a compiled version from its code objects (the functions the module and its class
    bodies define: what the AST's defs compile to, without building the AST again); the line
    fallback when it does not compile."""
    if b"def test" not in data and b"def\ttest" not in data:
        return 0
    if code is not None:
        return _count_test_code(code)
    return len(_FALLBACK_TEST.findall(data))


def _count_test_code(code: types.CodeType) -> int:
    n = 0
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_flags & inspect.CO_OPTIMIZED:      # a function or method (not nested: not descended)
                n += const.co_name.startswith("test")
            else:                                          # a class body
                n += _count_test_code(const)
    return n


def count_tests_ast(source: bytes) -> int:
    """The same count from the AST (module-level defs, defs in classes at any depth, defs under
    module-level if/try): the reference the code-object count is tested against."""
    return _count_test_defs(ast.parse(source).body)


def _count_test_defs(body: list[ast.stmt]) -> int:
    n = 0
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            n += 1
        elif isinstance(node, ast.ClassDef):
            n += _count_test_defs(node.body)
        elif isinstance(node, (ast.If, ast.Try)):  # tests defined under `if` / `try` at module level
            for block in (node.body, node.orelse, getattr(node, "finalbody", []),
                          *[h.body for h in getattr(node, "handlers", [])]):
                n += _count_test_defs(block)
    return n


def _too_large(error_class: str, size: int, message: str) -> VersionHealth:
    """A version not judged for its size (:mod:`forensics.engine.limits`): unreadable, never broken."""
    return VersionHealth(False, size, 0, 0, False, error_class, message, 0, 0, UNREADABLE, TOO_LARGE_KIND, False,
                         *NO_CONTENT)


def judge(data: bytes | None, patterns: tuple[MarkerPattern, ...], check_compile: bool = True,
          compiler=None) -> VersionHealth:
    """Judge one version's bytes; ``None`` (object missing) gives an unreadable row. Without
    ``check_compile`` (the markers-only timeline) nothing is compiled: ``compiles`` is reported True,
    ``error_class`` is ``NotChecked`` and tests are counted by the line fallback. ``compiler`` (an
    :class:`forensics.engine.external_python.ExternalCompiler`) compiles with another interpreter."""
    if data is None:
        return VersionHealth(False, 0, 0, 0, False, "MissingObject", "object not in repository", 0, 0, UNREADABLE,
                             UNREADABLE_KIND, False, *NO_CONTENT)
    if isinstance(data, TooLarge) or len(data) > MAX_VERSION_BYTES:
        size = data.size if isinstance(data, TooLarge) else len(data)
        return _too_large("TooLarge", size, f"{size} bytes: over the per-version limit of {MAX_VERSION_BYTES} bytes")
    if check_compile and compiler is not None:
        compiles, err_class, err_msg, err_line, tests, statements, definitions = compiler.compile(data)
        if not compiles:
            tests = len(_FALLBACK_TEST.findall(data)) if (b"def test" in data or b"def\ttest" in data) else 0
        content = measure_content(data, None)
        content = (content[0], statements, definitions if compiles else content[2], *content[3:])
        return _judged(data, patterns, compiles, err_class, err_msg, err_line, tests, content)
    if check_compile:
        compiles, err_class, err_msg, err_line, code = compile_check(data)
        if err_class == "MemoryError":
            return _too_large("MemoryError", len(data), "compiling it ran out of memory")
    else:
        compiles, err_class, err_msg, err_line, code = True, "NotChecked", "", 0, None
    return _judged(data, patterns, compiles, err_class, err_msg, err_line, count_tests(data, code),
                   measure_content(data, code))


def _judged(data: bytes, patterns: tuple[MarkerPattern, ...], compiles: bool, err_class: str, err_msg: str,
            err_line: int, tests: int, content: tuple) -> VersionHealth:
    """A readable version's row, once compiled (here or by another interpreter): markers, error kind."""
    if data.isascii() and b"\0" not in data and not any(p.search_ascii(data) for p in patterns):
        # ASCII bytes read the same as their text: no marker can match, and nothing need be decoded
        markers, first = 0, 0
    else:
        markers, first = count_markers(_decode(data, compiles), patterns, compiles)
    kind = error_kind(err_class, err_msg, err_line, data) if not compiles else ""
    return VersionHealth(True, len(data), markers, first, compiles, err_class, err_msg[:300], err_line,
                         tests, state_of(markers, compiles), kind, bool(kind) and dialect_only(kind, data), *content)


def is_backup_path(path: str, patterns: tuple[str, ...] = DEFAULT_BACKUP_PATTERNS) -> bool:
    """A directory component containing 'backup' (any case), or a file name matching a pattern."""
    *dirs, name = path.split("/")
    if any("backup" in d.lower() for d in dirs):
        return True
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def original_name(path: str) -> str:
    """The path a backup file name stands for: ``x.py.backup_20250917_084026`` -> ``x.py``."""
    head, _, name = path.rpartition("/")
    low = name.lower()
    for suffix in (".bak", ".orig", "~"):
        if low.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    else:
        i = low.find(".backup")
        if i > 0:
            name = name[:i]
    return f"{head}/{name}" if head else name

def unmask(data: bytes, markers: tuple[MarkerPattern, ...]) -> bytes:
    """Strip marker text from the start of each marked line (and the one space after it)."""
    text = data.decode("utf-8", "surrogateescape")
    out = []
    for line in text.splitlines(keepends=True):
        for rx in markers:
            m = rx.match(line)
            if m and m.end() > m.start():
                rest = line[m.end():]
                line = rest[1:] if rest.startswith(" ") else rest
                break
        out.append(line)
    return "".join(out).encode("utf-8", "surrogateescape")
