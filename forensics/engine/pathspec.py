"""Git pathspec matching in Python, so one unfiltered ``git log`` pass serves every question.

Semantics follow git's ``match_pathspec_item`` (``git log -- SPEC``): a spec without wildcards matches
the path itself or anything below it as a directory; a spec with wildcards is an fnmatch over the
whole path in which ``*`` also matches ``/`` (so ``*.py`` matches at any depth). Supported magic:
``:(exclude)``/``:!``/``:^``, ``:(glob)`` (``*`` stops at ``/``, ``**`` crosses), ``:(icase)``,
``:(literal)``, ``:(top)``/``:/`` (paths are always taken from the top). tests/test_pathspec.py
checks the matcher against ``git ls-files`` on the simulated repository.

A pattern (from ``--paths``, ``--config`` or the analysed repository's own settings) is matched in
time linear in the path whatever the pattern: with more than one run of ``*`` (``*a*a*a*a*a*a*a*a*b.py``
would backtrack exponentially in Python's engine) by RE2 (google-re2), else by Python's engine (one
``*`` cannot backtrack more than linearly, and is several times faster per call). A pattern the engine
refuses (``[z-a].py``: a range out of order) is :class:`BadPathspec` (exit 2).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import re2

from forensics.errors import BadPathspec

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False     # a refused pattern is one line from us, not RE2's log on stderr
_OPTIONS.dot_nl = True          # a path may hold a newline: ``*`` and ``?`` match it, as in git
_ICASE = re2.Options()
_ICASE.log_errors, _ICASE.dot_nl, _ICASE.case_sensitive = False, True, False
# RE2 reads UTF-8: a byte of a non-UTF-8 path name (a lone surrogate here, ``surrogateescape``) goes in
# as a private-use code point of its own, one for one, in the path and in the pattern alike
_SURROGATES = {0xDC80 + b: 0x10FE80 + b for b in range(0x80)}


def _for_re2(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.translate(_SURROGATES)
    return text

_WILDCARDS = set("*?[")
_KNOWN_MAGIC = {"exclude", "glob", "icase", "literal", "top"}


@dataclass(frozen=True)
class _Item:
    pattern: str
    exclude: bool
    regex: Any | None   # a compiled pattern (``fullmatch``); None: literal / prefix match
    icase: bool

    def matches(self, path: str) -> bool:
        p, s = (path.lower(), self.pattern.lower()) if self.icase else (path, self.pattern)
        if p == s or (s and p.startswith(s) and (s.endswith("/") or p[len(s)] == "/")):
            return True
        return self.regex is not None and self.regex.fullmatch(path) is not None


def _glob_to_regex(pattern: str, cross_slash: bool) -> str:
    """Translate a wildmatch pattern; ``cross_slash`` is git's default (no WM_PATHNAME)."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            if not cross_slash and pattern.startswith("**", i):
                j = i + 2
                if j < n and pattern[j] == "/":       # "**/" : zero or more directories
                    out.append("(?:.*/)?")
                    i = j + 1
                else:
                    out.append(".*")
                    i = j
                continue
            out.append(".*" if cross_slash else "[^/]*")
        elif c == "?":
            out.append("." if cross_slash else "[^/]")
        elif c == "[":
            j = pattern.find("]", i + 2 if i + 1 < n and pattern[i + 1] in "!^" else i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:j]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _compile(spec: str, translated: str, icase: bool, linear: bool) -> Any:
    """The matcher of one pattern: Python's engine where it cannot backtrack more than linearly (one
    run of ``*`` at most: ``*.py``, the common case, at C speed per path), else RE2. A pattern either
    engine refuses is :class:`BadPathspec`."""
    if linear:
        try:
            return re.compile(translated, re.DOTALL | (re.IGNORECASE if icase else 0))
        except re.error as exc:
            raise BadPathspec(spec, str(exc)) from None
    try:
        rx = re2.compile(_for_re2(translated), _ICASE if icase else _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise BadPathspec(spec, reason) from None
    return _Re2Matcher(rx)


class _Re2Matcher:
    """RE2 behind ``fullmatch`` of a path that may hold undecodable bytes (see :func:`_for_re2`)."""

    def __init__(self, rx: Any) -> None:
        self._rx = rx

    def fullmatch(self, path: str) -> Any:
        return self._rx.fullmatch(_for_re2(path))


def _parse(spec: str) -> _Item:
    if not spec.strip():
        raise BadPathspec(spec, "empty (use '.' or '*' for every path)")
    magic: set[str] = set()
    body = spec
    if spec.startswith(":("):
        end = spec.find(")")
        if end == -1:
            raise BadPathspec(spec, "unterminated magic ':(...)'")
        words = [w.strip() for w in spec[2:end].split(",") if w.strip()]
        unknown = [w for w in words if w.split(":")[0] not in _KNOWN_MAGIC]
        if unknown:
            raise BadPathspec(spec, f"unsupported magic {unknown[0]!r}")
        magic.update(words)
        body = spec[end + 1:]
    elif spec.startswith(":") and len(spec) > 1 and not spec[1].isalnum():
        i = 1
        while i < len(spec) and spec[i] in "!^/":
            magic.add({"!": "exclude", "^": "exclude", "/": "top"}[spec[i]])
            i += 1
        if i < len(spec) and spec[i] == ":":
            i += 1
        body = spec[i:]
    if "glob" in magic and "literal" in magic:
        raise BadPathspec(spec, "'glob' and 'literal' magic cannot be combined")
    body = body.lstrip("/") if "top" in magic else body
    if body.startswith("/"):
        raise BadPathspec(spec, "an absolute path; pathspecs are relative to the repository's top")
    if ".." in body.split("/"):
        raise BadPathspec(spec, "'..' points outside the repository; pathspecs are relative to its top")
    while body.startswith("./"):
        body = body[2:]
    icase = "icase" in magic
    regex = None
    if "literal" not in magic and (_WILDCARDS & set(body)):
        regex = _compile(spec, _glob_to_regex(body, cross_slash="glob" not in magic), icase,
                         linear=len(re.findall(r"\*+", body)) <= 1)
    return _Item(pattern=body, exclude="exclude" in magic, regex=regex, icase=icase)


class Pathspec:
    """A list of git pathspecs; ``matches(path)`` answers as ``git log -- SPECS`` would."""

    def __init__(self, specs: list[str] | tuple[str, ...]) -> None:
        if not specs:
            raise BadPathspec("", "empty pathspec list")
        self.specs = tuple(specs)
        items = [_parse(s) for s in specs]
        self._include = [i for i in items if not i.exclude]
        self._exclude = [i for i in items if i.exclude]

    def matches(self, path: str) -> bool:
        if self._include and not any(i.matches(path) for i in self._include):
            return False
        return not any(i.matches(path) for i in self._exclude)

    def __repr__(self) -> str:
        return f"Pathspec({list(self.specs)!r})"
