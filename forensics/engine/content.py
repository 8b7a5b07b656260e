"""How much real code a version holds, measured on its bytes in the same pass that compiles it.

Each measure is a column of the ``versions`` table (cached by blob id with the other judgments):

- ``code_lines``: lines that are neither blank nor a comment (docstrings and strings count: text only).
- ``statements``: source lines that carry bytecode in the module or any function or class it defines
  (``co_lines`` of its code objects: a statement count that formatting does not move); ``-1`` when
  the version does not compile.
- ``definitions``: functions and classes (their code objects; lambdas and comprehensions are not);
  when it does not compile, occurrences of ``def `` and ``class `` (a cheap estimate).
- ``commented_code``: comment lines whose text after the comment prefix looks like code (a ``def``,
  ``class``, ``import``, a decorator, a block opener ending in ``:``, an assignment, a call, a
  ``return``/``raise``/``yield``/``pass``, a closing bracket), see :data:`COMMENTED_CODE`.
- ``comment_prefix``: among those lines, the most frequent *distinctive* prefix: the comment's
  ``#`` run, any ``~!>|`` after it, and an upper-case tag ending in ``:`` (``#~``,
  ``# FIXME_COMMENTED:``, ``# REMOVED_SYNTAX_ERROR:``), spaces removed at its ends. A bare ``#``
  (how people comment code out by hand) is not distinctive. ``comment_prefix_lines``: its lines.

Nothing here decodes the source: the patterns run on the bytes (ASCII syntax), so any encoding is read
the same way and an undecodable version is still measured.
"""
from __future__ import annotations

import re
import types
from collections import Counter

NO_CONTENT: tuple[int, int, int, int, str, int] = (0, -1, 0, 0, "", 0)

_CODE_LINE = re.compile(rb"\n[ \t\f]*[^\s#]")
_CODE = (rb"(?:(?:async[ \t]+)?def[ \t]+\w+[ \t]*\("
         rb"|class[ \t]+\w+[ \t]*[(:]"
         rb"|import[ \t]+[\w.]+[ \t]*(?:$|,|[ \t]as[ \t])"
         rb"|from[ \t]+[\w.]+[ \t]+import[ \t]"
         rb"|@[\w.]+[ \t]*(?:\(|$)"
         rb"|(?:if|elif|while|for|with|except|async[ \t]+(?:for|with))\b[^\n]*:[ \t]*$"
         rb"|(?:else|try|finally)[ \t]*:[ \t]*$"
         rb"|(?:return|raise|yield|assert|del)(?:[ \t]+[\w\[({'\"-][^\n]*)?[ \t]*$"
         rb"|(?:pass|break|continue)[ \t]*$"
         rb"|[\w.]+(?:\[[^\n]*\])?[ \t]*(?:[-+*/%|&^@]|//|\*\*|>>|<<)?=[ \t]*[^=\s][^\n]*$"
         rb"|[\w.]+\([^\n]*\)[ \t]*$"
         rb"|[)\]}][)\]},:]*[ \t]*$)")
COMMENTED_CODE = re.compile(rb"\n[ \t]*(#+[~!>|]*[ \t]*(?:[A-Z][A-Z0-9_]*(?:[ -][A-Z][A-Z0-9_]*)*:[ \t]*)?)(?=" + _CODE + rb")",
                            re.MULTILINE)


def is_distinctive(prefix: str) -> bool:
    """A prefix made of more than ``#`` characters: a tool's tag, not a person's plain comment."""
    return bool(prefix.strip("#"))


def measure_content(data: bytes, code: types.CodeType | None) -> tuple[int, int, int, int, str, int]:
    """(code_lines, statements, definitions, commented_code, comment_prefix, comment_prefix_lines) of
    one version's bytes; ``code`` is its module code object when it compiles (None otherwise)."""
    # every pattern starts at a newline (a literal the regex engine finds fast, unlike ``^``)
    text = b"\n" + data
    code_lines = len(_CODE_LINE.findall(text))
    if code is not None:
        statements, definitions = _code_object_content(code)
    else:
        statements, definitions = -1, data.count(b"def ") + data.count(b"class ")
    commented, prefix, prefix_lines = 0, "", 0
    if b"#" in data:
        found = COMMENTED_CODE.findall(text)
        commented = len(found)
        if found:
            counts = Counter(p.strip().decode("ascii", "replace") for p in found)
            best = [(n, p) for p, n in counts.items() if is_distinctive(p)]
            if best:
                prefix_lines, prefix = max(best)
    return code_lines, statements, definitions, commented, prefix, prefix_lines


def _code_object_content(module: types.CodeType) -> tuple[int, int]:
    """(distinct source lines carrying bytecode, functions and classes) over every code object."""
    lines: set[int] = set()
    definitions = 0
    stack = [module]
    while stack:
        c = stack.pop()
        lines.update(line for _, _, line in c.co_lines() if line)
        for const in c.co_consts:
            if isinstance(const, types.CodeType):
                stack.append(const)
                if not const.co_name.startswith("<"):          # lambdas, comprehensions, genexprs
                    definitions += 1
    return len(lines), definitions


__all__ = ["COMMENTED_CODE", "NO_CONTENT", "is_distinctive", "measure_content"]
