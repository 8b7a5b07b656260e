"""The health rules, in one place: markers, compilation, test counting, and backup paths.

A *version* (one blob) is judged once; nothing here depends on the path, so judgments are cached by
blob id (plus the rules and the interpreter, see :func:`rules_fingerprint`).

- markers: lines matching any marker regex (searched with ``re.MULTILINE``). A match on a line that
  begins inside a multi-line string literal (a docstring showing an example) does not count; this is
  decided with ``tokenize`` when the version compiles, and every match counts when it does not.
- compiles: exactly ``python -m py_compile``: ``compile(source_bytes, path, "exec",
  dont_inherit=True, optimize=-1)`` on the raw bytes, any exception meaning "does not compile"
  (so undecodable and NUL-containing sources do not compile). The interpreter is recorded.
- tests: ``def test*`` / ``async def test*`` functions and methods (module level and inside classes,
  not nested in functions), counted on the AST when the version compiles; otherwise the documented
  fallback counts lines matching ``^[ \\t]*(async[ \\t]+)?def[ \\t]+test`` (commented lines never do).
"""
from __future__ import annotations

import ast
import bisect
import fnmatch
import hashlib
import io
import json
import platform
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

from forensics.errors import BadPattern

DEFAULT_MARKERS: tuple[str, ...] = (r"^\s*#\s*REMOVED_SYNTAX_ERROR:",)
DEFAULT_BACKUP_PATTERNS: tuple[str, ...] = ("*.backup*", "*.bak", "*.orig", "*~")
INTERPRETER = f"{platform.python_implementation()} {platform.python_version()}"

HEALTHY, MARKED, BROKEN, MARKED_BROKEN, UNREADABLE = "healthy", "marked", "broken", "marked+broken", "unreadable"
STATES = (HEALTHY, MARKED, BROKEN, MARKED_BROKEN)

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


@dataclass(frozen=True)
class HealthRules:
    """Marker regexes and backup-name patterns; everything that decides a version's state."""

    markers: tuple[str, ...] = DEFAULT_MARKERS
    backup_patterns: tuple[str, ...] = DEFAULT_BACKUP_PATTERNS
    _compiled: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", compile_markers(self.markers))

    @property
    def compiled_markers(self) -> tuple[re.Pattern[str], ...]:
        return self._compiled

    def fingerprint(self) -> str:
        """What a cached judgment depends on: the marker patterns and the interpreter."""
        return rules_fingerprint(self.markers)

    def is_backup(self, path: str) -> bool:
        return is_backup_path(path, self.backup_patterns)

    def judge(self, data: bytes | None) -> VersionHealth:
        return judge(data, self.compiled_markers)


def rules_fingerprint(markers: tuple[str, ...]) -> str:
    payload = json.dumps({"markers": list(markers), "interpreter": INTERPRETER, "schema": 1})
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def compile_markers(patterns: tuple[str, ...] | list[str]) -> tuple[re.Pattern[str], ...]:
    """Compile marker regexes (multiline); a bad one raises :class:`BadPattern`."""
    if not patterns:
        raise BadPattern("", "at least one marker pattern is needed")
    out = []
    for p in patterns:
        try:
            rx = re.compile(p, re.MULTILINE)
        except re.error as exc:
            raise BadPattern(p, str(exc)) from None
        if rx.search("") is not None:
            raise BadPattern(p, "it matches an empty line, so every file would be marked")
        out.append(rx)
    return tuple(out)


def state_of(markers: int, compiles: bool) -> str:
    if markers > 0:
        return MARKED if compiles else MARKED_BROKEN
    return HEALTHY if compiles else BROKEN


def compile_check(data: bytes) -> tuple[bool, str, str, int]:
    """(compiles, error class, message, line) exactly as ``python -m py_compile`` decides."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, "<version>", "exec", dont_inherit=True, optimize=-1)
    except SyntaxError as exc:
        return False, type(exc).__name__, str(exc.msg or exc), int(exc.lineno or 0)
    except Exception as exc:  # py_compile turns any exception into PyCompileError
        return False, type(exc).__name__, str(exc), 0
    return True, "", "", 0


def _decode(data: bytes, compiles: bool) -> str:
    if compiles:
        try:
            from importlib.util import decode_source
            return decode_source(data)
        except (UnicodeDecodeError, SyntaxError, LookupError):
            pass
    return data.decode("utf-8", "replace")


def _lines_inside_strings(text: str) -> set[int]:
    """1-based lines that begin inside a multi-line string literal."""
    inside: set[int] = set()
    string_types = {tokenize.STRING}
    fstart = getattr(tokenize, "FSTRING_START", None)
    fend = getattr(tokenize, "FSTRING_END", None)
    open_fstrings: list[int] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in string_types and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
            elif fstart is not None and tok.type == fstart:
                open_fstrings.append(tok.start[0])
            elif fend is not None and tok.type == fend and open_fstrings:
                start = open_fstrings.pop()
                if tok.end[0] > start:
                    inside.update(range(start + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return inside


def count_markers(text: str, patterns: tuple[re.Pattern[str], ...], compiles: bool) -> tuple[int, int]:
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
    if compiles:
        lines -= _lines_inside_strings(text)
    return len(lines), (min(lines) if lines else 0)


def count_tests(data: bytes, text: str, compiles: bool) -> int:
    if b"def test" not in data and b"def\ttest" not in data:
        return 0
    if compiles:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            tree = None
        if tree is not None:
            return _count_test_defs(tree.body)
    return len(_FALLBACK_TEST.findall(data))


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


def judge(data: bytes | None, patterns: tuple[re.Pattern[str], ...]) -> VersionHealth:
    """Judge one version's bytes; ``None`` (object missing) gives an unreadable row."""
    if data is None:
        return VersionHealth(False, 0, 0, 0, False, "MissingObject", "object not in repository", 0, 0, UNREADABLE)
    compiles, err_class, err_msg, err_line = compile_check(data)
    text = _decode(data, compiles)
    markers, first = count_markers(text, patterns, compiles)
    tests = count_tests(data, text, compiles)
    return VersionHealth(True, len(data), markers, first, compiles, err_class, err_msg[:300], err_line,
                         tests, state_of(markers, compiles))


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
