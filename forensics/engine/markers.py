"""Marker regexes with Python's syntax and meaning, run in linear time.

A marker pattern is a Python regular expression searched line by line (``re.MULTILINE``), and it may
come from anyone: ``--marker``, ``--config``, or the analysed repository's ``[tool.forensics]``. Python's
backtracking engine can take exponential time (``(a+)+$`` on a 40-character line runs for minutes),
so patterns are translated to RE2 (google-re2: time linear in the text, whatever the pattern) with
Python's meaning kept exactly:

- the pattern is parsed by Python's own parser (so syntax, escapes, ``(?x)``, inline flags are Python's);
- every single-character item (a literal under ``IGNORECASE``, ``\\s``, ``\\d``, ``\\w``, a class) becomes
  the explicit set of code points that Python's engine matches for it, computed by Python's engine
  itself, so Unicode categories and case folding are those of the running interpreter;
- ``^``/``$`` are line anchors (multiline), ``\\A``/``\\Z`` string anchors, alternation is
  leftmost-first and repeats greedy or lazy, as in Python.

What RE2 cannot run in linear time is refused with one line (exit 2): back-references, look-ahead and
look-behind, conditionals, atomic groups and possessive repeats, ``\\b``/``\\B`` with Unicode word
characters (write ``(?a)`` for ASCII word boundaries), ``$`` outside multiline mode, and repeat
counts above 1000.
"""
from __future__ import annotations

import functools
import re
import re._compiler as _sre_compiler  # type: ignore[import-not-found]
import re._constants as C  # type: ignore[import-not-found]
import re._parser as _sre_parser  # type: ignore[import-not-found]
from array import array
from typing import Iterator

import re2

from forensics.errors import BadPattern

REFUSED = {
    C.GROUPREF: "back-references cannot run in linear time",
    C.GROUPREF_EXISTS: "conditional groups cannot run in linear time",
    C.ASSERT: "look-ahead and look-behind cannot run in linear time",
    C.ASSERT_NOT: "look-ahead and look-behind cannot run in linear time",
    C.ATOMIC_GROUP: "atomic groups cannot run in linear time",
    C.POSSESSIVE_REPEAT: "possessive repeats cannot run in linear time",
}
_MAX_COUNT = 1000  # RE2's largest repeat count

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False     # a refused pattern is one line from us, not RE2's log on stderr


@functools.lru_cache(maxsize=1)
def _all_chars() -> str:
    """Every code point but the surrogates (decoded text never holds one)."""
    codes = array("I", range(0xD800))
    codes.extend(range(0xE000, 0x110000))
    return codes.tobytes().decode("utf-32-le" if array("I", [1]).tobytes()[0] == 1 else "utf-32-be")


def _hex(c: int) -> str:
    return f"\\x{{{c:x}}}"


def _class(ranges: list[tuple[int, int]]) -> str:
    if not ranges:
        return r"[^\x{0}-\x{10ffff}]"  # matches nothing
    body = "".join(_hex(a) if a == b else f"{_hex(a)}-{_hex(b)}" for a, b in ranges)
    return f"[{body}]"


_char_sets: dict[tuple[str, int], str] = {}


def _char_set(node: tuple, flags: int) -> str:
    """The RE2 class of the code points Python's engine matches with the one-character ``node``
    under ``flags``, computed by running Python's engine over every code point (cached)."""
    key = (repr(node), flags)
    if key not in _char_sets:
        state = _sre_parser.State()
        state.flags = flags
        one = _sre_parser.SubPattern(state, [node])
        runs = _sre_parser.SubPattern(state, [(C.MAX_REPEAT, (1, C.MAXREPEAT, one))])
        rx = _sre_compiler.compile(runs, flags)
        text = _all_chars()
        _char_sets[key] = _class([(ord(text[m.start()]), ord(text[m.end() - 1])) for m in rx.finditer(text)])
    return _char_sets[key]


def _is_plain_class(items: list) -> bool:
    return all(op in (C.LITERAL, C.RANGE, C.NEGATE) for op, _ in items)


def _single(op, av, flags: int) -> str:
    """One character item as RE2 syntax with Python's meaning."""
    icase = flags & re.IGNORECASE
    if op is C.LITERAL and (not icase or not _sre_compiler._sre.unicode_iscased(av)):
        return _hex(av)
    if op is C.NOT_LITERAL and (not icase or not _sre_compiler._sre.unicode_iscased(av)):
        return f"[^{_hex(av)}]"
    if op is C.ANY:
        return r"(?s:.)" if flags & re.DOTALL else r"[^\n]"
    if op is C.IN and not icase and _is_plain_class(av):
        negate = any(o is C.NEGATE for o, _ in av)
        body = "".join(_hex(a) if o is C.LITERAL else f"{_hex(a[0])}-{_hex(a[1])}" for o, a in av if o is not C.NEGATE)
        if not body:
            return r"(?s:.)" if negate else _class([])
        return f"[{'^' if negate else ''}{body}]"
    return _char_set((op, av), flags & (re.IGNORECASE | re.ASCII | re.UNICODE | re.DOTALL))


def _translate(items, flags: int, pattern: str) -> str:
    out = []
    for op, av in items:
        if op in REFUSED:
            raise BadPattern(pattern, REFUSED[op])
        if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
            out.append(_single(op, av, flags))
        elif op is C.AT:
            out.append(_anchor(av, flags, pattern))
        elif op is C.BRANCH:
            out.append("(?:" + "|".join(_translate(alt, flags, pattern) for alt in av[1]) + ")")
        elif op is C.SUBPATTERN:
            _group, add, delete, sub = av
            out.append("(?:" + _translate(sub, (flags | add) & ~delete, pattern) + ")")
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            if lo > _MAX_COUNT or (hi is not C.MAXREPEAT and hi > _MAX_COUNT):
                raise BadPattern(pattern, f"repeat counts above {_MAX_COUNT} are not supported")
            body = _translate(sub, flags, pattern)
            count = {(0, C.MAXREPEAT): "*", (1, C.MAXREPEAT): "+", (0, 1): "?"}.get(
                (lo, hi), f"{{{lo},}}" if hi is C.MAXREPEAT else f"{{{lo},{hi}}}")
            out.append(f"(?:{body}){count}{'?' if op is C.MIN_REPEAT else ''}")
        else:
            raise BadPattern(pattern, f"{str(op).lower()} is not supported by the linear-time engine")
    return "".join(out)


def _anchor(at, flags: int, pattern: str) -> str:
    multiline = flags & re.MULTILINE
    if at is C.AT_BEGINNING:
        return "(?m:^)" if multiline else r"\A"
    if at is C.AT_END:
        if not multiline:
            raise BadPattern(pattern, "'$' outside multiline mode is not supported (markers are searched per line)")
        return "(?m:$)"
    if at is C.AT_BEGINNING_STRING:
        return r"\A"
    if at is C.AT_END_STRING:
        return r"\z"
    if at in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY):
        if not flags & re.ASCII:
            raise BadPattern(pattern, r"\b and \B need ASCII word characters here: add (?a) to the pattern")
        return r"\b" if at is C.AT_BOUNDARY else r"\B"
    raise BadPattern(pattern, f"anchor {at} is not supported")


class MarkerPattern:
    """One marker regex: ``pattern`` as given, searched with RE2 over text (``finditer``,
    ``search``, ``match``) or over ASCII bytes (``search_ascii``)."""

    __slots__ = ("pattern", "translated", "_rx")

    def __init__(self, pattern: str, translated: str) -> None:
        self.pattern = pattern
        self.translated = translated
        self._rx = re2.compile(translated, _OPTIONS)

    def __repr__(self) -> str:
        return f"MarkerPattern({self.pattern!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MarkerPattern) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __reduce__(self):  # a worker process gets the translation, not the work of making it
        return (MarkerPattern, (self.pattern, self.translated))

    def finditer(self, text: str) -> Iterator:
        last = None
        for m in self._rx.finditer(text):
            if m.span() != last:  # RE2's wrapper may repeat an empty match; Python's finditer does not
                last = m.span()
                yield m

    def search(self, text: str):
        return self._rx.search(text)

    def match(self, text: str):
        return self._rx.match(text)

    def search_ascii(self, data: bytes) -> bool:
        """Whether the pattern occurs in ``data``, which must be ASCII (then bytes and text agree)."""
        return self._rx.search(data) is not None


@functools.lru_cache(maxsize=256)
def compile_marker(pattern: str) -> MarkerPattern:
    """``pattern`` (Python syntax, searched with ``re.MULTILINE``) ready to run in linear time;
    :class:`BadPattern` for a pattern Python rejects or one that cannot be bounded."""
    if not isinstance(pattern, str):
        raise BadPattern(str(pattern), "a marker must be text")
    try:
        parsed = _sre_parser.parse(pattern, re.MULTILINE)
    except (re.error, OverflowError, RecursionError) as exc:
        raise BadPattern(pattern, str(exc)) from None
    if parsed.state.flags & re.LOCALE:
        raise BadPattern(pattern, "LOCALE is not supported")
    try:
        translated = _translate(list(parsed), parsed.state.flags, pattern)
        return MarkerPattern(pattern, translated)
    except RecursionError:
        raise BadPattern(pattern, "too deeply nested") from None
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise BadPattern(pattern, f"the linear-time engine refuses it: {reason}") from None
