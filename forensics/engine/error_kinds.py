"""Compile errors in a taxonomy: one function from a version's recorded error (class, message, line) and
its source to a documented kind, and the check that a Python 2 version fails *only* as Python 2.

Kinds (``error_kind`` column; "" when the version compiles or was not compiled):

- ``unterminated_string``: a string literal that never closes (``unterminated string literal``,
  ``unterminated triple-quoted string literal``, ``EOL/EOF while scanning``);
- ``invalid_decimal_literal``: a number glued to a name (``1abc``, ``invalid hexadecimal literal``...);
- ``unmatched_bracket``: ``unmatched ')'``, ``'(' was never closed``, a closing bracket of another kind;
- ``indentation``: ``IndentationError`` (a ``TabError`` too, unless Python 2's rule, a tab is 8
  columns, makes the indentation consistent: then ``python2``);
- ``python2``: syntax Python 2 accepted: the ``print``/``exec`` statements, ``except E, e:``,
  ``raise E, v``, backticks, ``<>``, ``ur''``, ``0777``, ``10L``, tuple parameters, tabs mixed with
  spaces (``except A, B:`` is read as Python 2, though Python 3.14 accepts it);
- ``newer_python``: syntax a newer Python accepts and the running one does not, decided by the message
  and the error line: PEP 695 generics (``def f[T]``, ``class C[T]``, ``type X = ...``), 3.12
  f-strings (a backslash, a comment or the enclosing quote inside the braces), 3.14 template strings;
- ``undecodable``: the bytes are not text in the declared encoding (UTF-8 by default), an unknown
  encoding, or a NUL byte;
- ``unreadable``: the object itself is missing;
- ``too_large``: the version is over the per-version size limit, or compiling it ran out of memory
  (:mod:`forensics.engine.limits`): never compiled, never judged broken;
- ``other``: anything else (``expected ':'``, ``invalid syntax`` with no sign of a dialect...).

``dialect_only`` (a second column) says a version fails *only* because of its dialect: for
``python2``, the version converted (tabs expanded to 8 columns, as Python 2 read them; the common
statements rewritten line by line, else the standard library's ``lib2to3`` syntax fixers) compiles
with the running interpreter; where ``lib2to3`` is gone (Python 3.13+) and the line rewrites do not
suffice, the first error decides. For ``newer_python`` the first error decides (an older
interpreter cannot parse further).
"""
from __future__ import annotations

import re
import warnings

import re2

UNTERMINATED_STRING = "unterminated_string"
INVALID_DECIMAL_LITERAL = "invalid_decimal_literal"
UNMATCHED_BRACKET = "unmatched_bracket"
INDENTATION = "indentation"
PYTHON2 = "python2"
NEWER_PYTHON = "newer_python"
UNDECODABLE = "undecodable"
UNREADABLE_KIND = "unreadable"
TOO_LARGE_KIND = "too_large"
OTHER = "other"
ERROR_KINDS: tuple[str, ...] = (UNTERMINATED_STRING, INVALID_DECIMAL_LITERAL, UNMATCHED_BRACKET, INDENTATION,
                                PYTHON2, NEWER_PYTHON, UNDECODABLE, UNREADABLE_KIND, TOO_LARGE_KIND, OTHER)
DIALECT_KINDS: frozenset[str] = frozenset({PYTHON2, NEWER_PYTHON})

_PY2_MESSAGES = ("Missing parentheses in call to 'print'", "Missing parentheses in call to 'exec'",
                 "multiple exception types must be parenthesized", "leading zeros in decimal integer literals",
                 "Function parameters cannot be parenthesized", "Lambda expression parameters cannot be parenthesized")
_PY2_LINE = [
    re.compile(r"`"),                                     # backticks: repr
    re.compile(r"<>"),                                    # the old "not equal"
    re.compile(r"(?<![\w.])[uU][rR][\"']"),               # ur'' strings
    re.compile(r"^\s*raise\s+[\w.]+\s*,"),                # raise E, value
    re.compile(r"^\s*print\s*(?:>>|[\"'\w(])"),           # print statement forms the parser reports as invalid
    re.compile(r"^\s*exec\s+[\"'\w]"),                    # exec statement
]
_LONG_LITERAL = re.compile(r"(?<![\w.])(?:0[xX][0-9a-fA-F]+|\d+)[lL](?!\w)")
_NEWER_LINE = [
    re.compile(r"^\s*(?:async\s+)?def\s+\w+\s*\["),       # PEP 695 generic function (3.12)
    re.compile(r"^\s*class\s+\w+\s*\["),                  # PEP 695 generic class (3.12)
    re.compile(r"^\s*type\s+\w+\s*(?:\[[^\]]*\])?\s*="),  # PEP 695 type alias (3.12)
    re.compile(r"(?<![\w.])[tT][rR]?[\"']"),              # PEP 750 template string (3.14)
]
_NEWER_FSTRING_MESSAGES = ("f-string expression part cannot include a backslash",
                           "f-string expression part cannot include '#'")
# an f-string whose braces hold its own quote (valid from 3.12, PEP 701)
# (RE2, time linear in the line: the backtracking form with a backreference was cubic on ``{"`` repeated)
_NESTED_QUOTE_FSTRING = re2.compile(r"""(?:^|[^\pL\pN_.])[fF][rR]?(?:"[^\n]*?\{[^}\n]*?"[^\n]*\}|'[^\n]*?\{[^}\n]*?'[^\n]*\})""")
_UNDECODABLE_MESSAGES = ("codec can't decode", "Non-UTF-8 code", "unknown encoding", "encoding problem",
                         "null bytes", "null byte")


def _line(source: bytes | None, lineno: int) -> str:
    if not source or lineno < 1:
        return ""
    lines = source.split(b"\n")
    if lineno > len(lines):
        return ""
    return lines[lineno - 1].decode("utf-8", "replace")


def error_kind(error_class: str, message: str, line: int, source: bytes | None = None) -> str:
    """The documented kind of one recorded compile error (see the module docstring); "" when there is
    no error (``error_class`` empty or ``NotChecked``)."""
    if not error_class or error_class == "NotChecked":
        return ""
    if error_class == "MissingObject":
        return UNREADABLE_KIND
    if error_class in ("TooLarge", "MemoryError"):
        return TOO_LARGE_KIND
    msg = message or ""
    if error_class in ("UnicodeDecodeError", "LookupError") or (
            any(m in msg for m in _UNDECODABLE_MESSAGES) and "unicodeescape" not in msg):
        return UNDECODABLE
    if error_class == "ValueError" and "null" in msg:
        return UNDECODABLE
    text = _line(source, line)
    if error_class == "TabError":
        return PYTHON2 if source is not None and _compiles_with_tabs_expanded(source) else INDENTATION
    if error_class == "IndentationError":
        return INDENTATION
    if msg.startswith(_PY2_MESSAGES):
        return PYTHON2
    if msg.startswith(_NEWER_FSTRING_MESSAGES):
        return NEWER_PYTHON
    if msg.startswith("f-string") and _NESTED_QUOTE_FSTRING.search(text):
        return NEWER_PYTHON
    if msg.startswith(("unterminated string literal", "unterminated triple-quoted string literal",
                       "unterminated f-string literal", "EOL while scanning", "EOF while scanning")):
        return UNTERMINATED_STRING
    if re.match(r"invalid (decimal|hexadecimal|octal|binary) literal|invalid digit", msg):
        return PYTHON2 if _LONG_LITERAL.search(text) else INVALID_DECIMAL_LITERAL
    if msg.startswith("unmatched ") or "does not match opening parenthesis" in msg or msg.endswith("was never closed"):
        return UNMATCHED_BRACKET
    if msg.startswith(("invalid syntax", "expected '('")):
        if any(rx.search(text) for rx in _NEWER_LINE):
            return NEWER_PYTHON
        if any(rx.search(text) for rx in _PY2_LINE):
            return PYTHON2
    return OTHER


def _expand_leading_tabs(text: str) -> str:
    """Python 2's tokenizer: a tab in indentation moves to the next multiple of 8 columns."""
    out = []
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip(" \t")
        indent = line[: len(line) - len(stripped)]
        out.append(indent.expandtabs(8) + stripped if "\t" in indent else line)
    return "".join(out)


def _compile_ok(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<version>", "exec", dont_inherit=True, optimize=-1)
    except Exception:
        return False
    return True


def _decoded(source: bytes) -> str | None:
    try:
        from importlib.util import decode_source
        return decode_source(source)
    except (UnicodeDecodeError, SyntaxError, LookupError, ValueError):
        return None


def _compiles_with_tabs_expanded(source: bytes) -> bool:
    text = _decoded(source)
    if text is None:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(_expand_leading_tabs(text), "<version>", "exec", dont_inherit=True, optimize=-1)
    except (IndentationError, ValueError):
        return False                   # still inconsistent (TabError is an IndentationError)
    except SyntaxError:
        return True                    # the indentation is fine now; what remains is another error
    return True


# The common Python 2 statements, rewritten line by line (a first try before lib2to3, whose pure-Python
# parser costs ~0.2 ms a line): none of them can repair damage of another kind. The statements are
# parsed by hand, each line in one pass: the regular expressions they replaced backtracked cubically on
# a long line of blanks (``except`` and 7 KB of spaces took 47 s). What is left as regexes below
# cannot backtrack more than once per position (a lookbehind anchors each to a token's start).
_TOKEN_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"`([^`\n]*)`"), r"repr(\1)"),
    (re.compile(r"<>"), "!="),
    (re.compile(r"(?<![\w.])[uU]([rR][\"'])"), r"\1"),
    (re.compile(r"(?<![\w.])(\d+|0[xX][0-9a-fA-F]+)[lL](?!\w)"), r"\1"),
    (re.compile(r"(?<![\w.])0([0-7]+)(?![\w.])"), r"0o\1"),
)
_BLANK = " \t"


def _after_keyword(rest: str, keyword: str) -> str | None:
    """What follows ``keyword`` and at least one blank at the start of ``rest`` (blanks skipped), or
    None when ``rest`` does not start so."""
    if not rest.startswith(keyword) or len(rest) == len(keyword) or rest[len(keyword)] not in _BLANK:
        return None
    return rest[len(keyword):].lstrip(_BLANK)


def _port_statement(indent: str, rest: str) -> str | None:
    """One line's Python 2 statement (``rest``: the line after its indentation, without the newline) in
    Python 3, or None when the line is not one of them."""
    if rest.rstrip(_BLANK) == "print":
        return f"{indent}print()"
    body = _after_keyword(rest, "print")
    if body and "#" not in body and not body.startswith(("=", "(", ".", "[", ">>")):
        return f"{indent}print({body.rstrip(_BLANK)})"
    body = _after_keyword(rest, "except")
    if body is not None:
        cut = min((i for i in (body.find(","), body.find(":")) if i >= 0), default=-1)
        if cut > 0 and body[cut] == ",":
            exc, tail = body[:cut].rstrip(_BLANK), body[cut + 1:].lstrip(_BLANK)
            name_end = next((i for i, c in enumerate(tail) if not (c.isalnum() or c == "_")), len(tail))
            after = tail[name_end:].lstrip(_BLANK)
            if exc and name_end and after.startswith(":"):
                return f"{indent}except {exc} as {tail[:name_end]}:{after[1:]}"
        return None
    body = _after_keyword(rest, "raise")
    if body and "#" not in body:
        name_end = next((i for i, c in enumerate(body) if not (c.isalnum() or c in "_.")), len(body))
        tail = body[name_end:].lstrip(_BLANK)
        value = tail[1:].strip(_BLANK) if tail.startswith(",") else ""
        if name_end and value:
            return f"{indent}raise {body[:name_end]}({value})"
        return None
    body = _after_keyword(rest, "exec")
    if body and "#" not in body:
        body = body.rstrip(_BLANK)
        for blanks in re.finditer(r"[ \t]+", body):      # maximal runs of blanks: linear
            start, end = blanks.span()
            code, scope = body[:start], body[end + 2:]
            if start and body.startswith("in", end) and scope[:1] in (" ", "\t") and scope.strip(_BLANK):
                return f"{indent}exec({code}, {scope.strip(_BLANK)})"
        if not body.startswith(("=", "(", ".", "[")):
            return f"{indent}exec({body})"
    return None


def _quick_port(text: str) -> str:
    """``text`` with the common Python 2 statements and tokens rewritten (time linear in its length)."""
    out = []
    for line in text.split("\n"):       # lines as the tokenizer ends them (not str.splitlines' \f, \u2028...)
        content = line.rstrip("\r")
        rest = content.lstrip(_BLANK)
        ported = _port_statement(content[: len(content) - len(rest)], rest) if rest[:1] in ("p", "e", "r") else None
        out.append(line if ported is None else ported + line[len(content):])
    text = "\n".join(out)
    for rx, to in _TOKEN_REWRITES:
        text = rx.sub(to, text)
    return text


_PY2_FIXERS = ("print", "except", "repr", "ne", "numliterals", "unicode", "exec", "raise", "tuple_params", "paren")
_tool = None


def _refactoring_tool():
    """lib2to3's syntax fixers (the standard library up to Python 3.12), or None where it is gone."""
    global _tool
    if _tool is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from lib2to3.refactor import RefactoringTool
            _tool = RefactoringTool([f"lib2to3.fixes.fix_{f}" for f in _PY2_FIXERS])
        except ImportError:
            _tool = False
    return _tool or None


def dialect_only(kind: str, source: bytes | None) -> bool:
    """True when a version of kind ``python2``/``newer_python`` fails only because of its dialect (see
    the module docstring); False for every other kind."""
    if kind == NEWER_PYTHON:
        return True
    if kind != PYTHON2 or source is None:
        return False
    text = _decoded(source)
    if text is None:
        return False
    expanded = _expand_leading_tabs(text)
    if _compile_ok(_quick_port(expanded)):
        return True
    tool = _refactoring_tool()
    if tool is None:
        return True                    # no converter here: the first error decides (documented)
    if not text.endswith("\n"):
        text += "\n"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            converted = str(tool.refactor_string(expanded, "<version>"))
    except Exception:                  # lib2to3 cannot parse it as Python 2 either: something else is wrong
        return False
    return _compile_ok(converted)
