"""Line rewrites: the line transformations a set of (path, old, new) file pairs share.

The pure core of signature mining (standard library only, so the guard can use it). Alignment sees
through the noise a real fixer leaves: lines are compared with indentation and trailing whitespace
removed, blank lines are left out, so a re-indent, an inserted blank line or a whitespace change is
never a signature. A changed line is diffed token by token (Python's tokenizer), so it yields its
minimal substitution (``f"..." -> "formatted_string"``, ``'websocket' -> 'websocket_core'``);
a compound rewrite is decomposed: a comment prefix added in front of a line whose code was also
rewritten gives two signatures, ``prefix added '# REMOVED_SYNTAX_ERROR: '`` and the inner
substitution, each counted. Digits and the contents of prefixed strings are generalised, so the same
rewrite in a hundred files is one signature. Whole lines added or removed are signatures too.
"""
from __future__ import annotations

import difflib
import functools
import io
import re
import tokenize
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from forensics.engine.linediff import EXACT_CELLS, line_opcodes

# Specificity defaults (the CLI reads them without loading the analysis stack)
MAX_BACKGROUND_RATE = 1e-4           # at most 1 healthy pre-culprit line in 10,000 may match a marker
DEFAULT_BUDGET_SECONDS = 6.0         # time for reading and matching the background sample
SIGNATURE_COLUMNS = ["signature", "files", "lines", "example_before", "example_after", "kind", "marker", "result",
                     "sources"]
REWRITE_KINDS = ("prefix_added", "prefix_removed", "replaced", "line_added", "line_removed")

# a backslash is only ever consumed with the character it escapes: with ``.`` free to take it too, a
# run of backslashes could be split 2^n ways before the engine gives up (exponential on ``"\\\\...``)
_STRING = re.compile(r"""(?P<prefix>\b[rbfuRBFU]{0,2})(?P<q>["'])(?:\\.|(?!(?P=q))[^\\])*(?P=q)""")
_DIGITS = re.compile(r"\d+")
_OPEN_CLOSE = {"[": "]", "{": "}", "(": ")"}
_SKIP_TOKENS = {tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT}
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)   # Python 3.12+: f-strings are token groups
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)
_MAX_GAP = 2          # substitutions separated by at most this many equal tokens are one substitution
_MIN_PAIR_RATIO = 0.5  # a changed line and its rewrite share at least this much text
_PREFIX_SCAN = 160    # how far into a comment line a marker prefix may reach
_MAX_LINE = 2000      # longer lines (minified, generated) are compared by characters only, never cached


@dataclass(frozen=True)
class Rewrite:
    """One transformation seen on one line: ``kind`` (REWRITE_KINDS), ``signature`` (generalised,
    the grouping key), ``marker`` (a regex matching the transformed line; empty when nothing
    distinctive), ``result`` (the literal text the rewrite produced), ``before``/``after`` (the
    normalised lines)."""

    kind: str
    signature: str
    marker: str
    result: str
    before: str
    after: str
    prefix: str = ""      # the prefix added or removed, exactly (prefix kinds only)
    replaced: str = ""    # the text substituted, exactly (``replaced`` only; empty for an insertion)


def _escape(text: str) -> str:
    return re.escape(text).replace("\\ ", " ").replace("\\#", "#")


def _general(text: str) -> str:
    text = _STRING.sub(lambda m: m.group("prefix") + m.group("q") + "..." + m.group("q")
                       if m.group("prefix") else m.group(0), text)
    return _DIGITS.sub("N", text)


def _word_bounded(text: str) -> str:
    """``text`` escaped, bounded like a token: ``\\b`` where it starts or ends inside a word
    (``websocket_core`` does not match ``websocket_core_x``), and no quote or backslash next to a
    string literal's quotes, and no quote around other text (``"formatted_string"`` does not match
    ``'"formatted_string"'``, nor ``[item for item in []]`` match ``"[item for item in []]"``: a
    script's constants naming the placeholders)."""
    # No look-around and no \b: marker regexes run on a linear-time engine (forensics.engine.markers),
    # and these patterns go back in as --marker; markers are searched line by line in multiline mode,
    # so "start of line or a character that is not ..." bounds a token exactly as a look-behind would.
    out = _escape(text)
    if text[:1].isalnum() or text[:1] == "_":
        out = r"(?:^|\W)" + out
    elif text[:1] in "'\"":
        out = r"(?:^|[^\w\\'\"])" + out
    elif text[:1]:
        out = r"(?:^|[^\\'\"])" + out
    if text[-1:].isalnum() or text[-1:] == "_":
        out += r"(?:$|\W)"
    elif text[-1:] in "'\"":
        out += r"(?:$|[^'\"\w])"
    elif text[-1:]:
        out += r"(?:$|[^\\'\"])"
    return out


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int


def _tokens(line: str) -> list[_Tok]:
    """Tokens of one stripped line with their columns. F-strings (3.12 token groups) are one token;
    a tail the tokenizer cannot read (an unterminated triple-quoted string) is one token. A line
    longer than ``_MAX_LINE`` is one token (and is not kept in the cache)."""
    if len(line) > _MAX_LINE:
        return [_Tok(line, 0, len(line))] if line else []
    return _tokens_cached(line)


@functools.lru_cache(maxsize=1 << 16)
def _tokens_cached(line: str) -> list[_Tok]:
    toks: list[_Tok] = []
    depth, fstart = 0, 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line + "\n").readline):
            if tok.type in _SKIP_TOKENS or tok.start[0] != 1:
                continue
            if _FSTRING_START is not None and tok.type == _FSTRING_START:
                depth += 1
                if depth == 1:
                    fstart = tok.start[1]
                continue
            if depth:
                if tok.type == _FSTRING_END:
                    depth -= 1
                    if depth == 0:
                        toks.append(_Tok(line[fstart:tok.end[1]], fstart, tok.end[1]))
                continue
            end = tok.end[1] if tok.end[0] == 1 else len(line)
            toks.append(_Tok(line[tok.start[1]:end], tok.start[1], end))
    except (tokenize.TokenError, SyntaxError, IndentationError, ValueError):
        pass
    covered = toks[-1].end if toks else 0
    if line[covered:].strip():
        start = covered + len(line[covered:]) - len(line[covered:].lstrip())
        toks.append(_Tok(line[start:], start, len(line)))
    return toks


def token_texts(line: str) -> list[str]:
    """The token texts of one line (stripped), f-strings whole; see :func:`_tokens`."""
    return [t.text for t in _tokens(line.strip())]


def _widen(otoks: list[_Tok], ntoks: list[_Tok], i1: int, i2: int, j1: int, j2: int) -> tuple[int, int, int, int]:
    """Widen a substitution to the bracket pair around it when it fills the brackets: a list
    literal rewritten is ``[...] -> [item for item in []]``, not its inside. Calls keep their name."""
    while (i1 > 0 and j1 > 0 and i2 < len(otoks) and j2 < len(ntoks)
           and otoks[i1 - 1].text in _OPEN_CLOSE and otoks[i1 - 1].text == ntoks[j1 - 1].text
           and otoks[i2].text == ntoks[j2].text == _OPEN_CLOSE[otoks[i1 - 1].text]):
        if otoks[i1 - 1].text == "(" and i1 > 1 and (otoks[i1 - 2].text[-1:].isalnum() or otoks[i1 - 2].text in ")]_"):
            break
        i1, i2, j1, j2 = i1 - 1, i2 + 1, j1 - 1, j2 + 1
    return i1, i2, j1, j2


def _balance(toks: list[_Tok], i1: int, i2: int) -> tuple[int, int]:
    """Grow ``toks[i1:i2]`` until its brackets pair up: a substitution never ends inside a bracket
    it opened nor starts after the bracket it closes."""
    closes = set(_OPEN_CLOSE.values())
    start = (i1, i2)
    while True:
        depth, low = 0, 0
        for t in toks[i1:i2]:
            depth += (t.text in _OPEN_CLOSE) - (t.text in closes)
            low = min(low, depth)
        if low < 0 and i1 > 0:
            i1 -= 1
        elif depth - low > 0 and i2 < len(toks):
            i2 += 1
        elif low < 0 or depth - low > 0:
            return start          # the line itself leaves a bracket open (a wrapped statement)
        else:
            return i1, i2


def _char_substitution(o: str, n: str) -> tuple[str, str]:
    """Fallback when a line cannot be tokenized: the common prefix and suffix removed."""
    i = 0
    while i < min(len(o), len(n)) and o[i] == n[i]:
        i += 1
    j = 0
    while j < min(len(o), len(n)) - i and o[len(o) - 1 - j] == n[len(n) - 1 - j]:
        j += 1
    return o[i: len(o) - j], n[i: len(n) - j]


def substitutions(old: str, new: str) -> list[tuple[str, str]]:
    """The minimal (old text, new text) substitutions that turn one stripped line into another,
    token by token; substitutions a couple of tokens apart are one."""
    otoks, ntoks = _tokens(old), _tokens(new)
    if not otoks or not ntoks or max(len(old), len(new)) > _MAX_LINE:
        return [_char_substitution(old, new)] if old != new else []
    sm = difflib.SequenceMatcher(None, [t.text for t in otoks], [t.text for t in ntoks], autojunk=False)
    groups: list[list[int]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        if groups and i1 - groups[-1][1] <= _MAX_GAP and j1 - groups[-1][3] <= _MAX_GAP:
            groups[-1][1], groups[-1][3] = i2, j2
        else:
            groups.append([i1, i2, j1, j2])
    balanced: list[list[int]] = []
    for i1, i2, j1, j2 in groups:
        i1, i2 = _balance(otoks, i1, i2)
        j1, j2 = _balance(ntoks, j1, j2)
        if balanced and (i1 < balanced[-1][1] or j1 < balanced[-1][3]):
            last = balanced[-1]
            last[:] = [min(last[0], i1), max(last[1], i2), min(last[2], j1), max(last[3], j2)]
        else:
            balanced.append([i1, i2, j1, j2])
    out = []
    for i1, i2, j1, j2 in balanced:
        i1, i2, j1, j2 = _widen(otoks, ntoks, i1, i2, j1, j2)
        o_text = old[otoks[i1].start: otoks[i2 - 1].end] if i2 > i1 else ""
        n_text = new[ntoks[j1].start: ntoks[j2 - 1].end] if j2 > j1 else ""
        out.append((o_text, n_text))
    return out


def _alike(a: str, b: str) -> float:
    """How alike two stripped lines are: the better of the character and the token ratios (a
    placeholder rewrite changes many characters but one token)."""
    if a == b:
        return 1.0
    # the characters both share, as multisets (difflib's quick_ratio): cheap, and enough to pair lines
    r = difflib.SequenceMatcher(None, a, b, autojunk=False).quick_ratio()
    if r >= _MIN_PAIR_RATIO or max(len(a), len(b)) > _MAX_LINE:
        return r
    ta, tb = [t.text for t in _tokens(a)], [t.text for t in _tokens(b)]
    return max(r, difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio() if ta and tb else 0.0)


def _split_prefix(commented: str, code: str, hint: str | None) -> tuple[str, str] | None:
    """(prefix, inner) of a comment line that holds ``code`` (perhaps rewritten) after a prefix:
    ``# REMOVED_SYNTAX_ERROR: assert x == "formatted_string"`` -> the marker prefix and the inner
    code. None when no split leaves text that resembles ``code``. Tried in turn: ``hint`` (the
    prefix of an earlier line), ``code`` verbatim at the end, the first split whose inner text
    starts like ``code``, then the split most like ``code``."""
    if hint and commented.startswith(hint) and commented[len(hint):].strip():
        inner = commented[len(hint):]
        if inner == code or _alike(code, inner) >= _MIN_PAIR_RATIO:
            return hint, inner
    if commented.endswith(code) and len(commented) > len(code):
        return commented[: len(commented) - len(code)], code
    splits = []
    for k, ch in enumerate(commented[:_PREFIX_SCAN]):
        if ch in " :#" and commented[k + 1:].strip():
            inner = commented[k + 1:].lstrip()
            if not splits or splits[-1] != inner:
                splits.append(inner)
    head = _tokens(code)[:1]
    for inner in splits:
        if head and inner.startswith(head[0].text) and _alike(code, inner) >= _MIN_PAIR_RATIO:
            return commented[: len(commented) - len(inner)], inner
    best: tuple[float, str] | None = None
    for inner in splits:
        sm = difflib.SequenceMatcher(None, code, inner, autojunk=False)
        q = sm.quick_ratio()
        if q < _MIN_PAIR_RATIO or (best is not None and q <= best[0]):
            continue
        r = sm.ratio() if max(len(code), len(inner)) <= _MAX_LINE else q
        if best is None or r > best[0]:
            best = (r, inner)
    if best is None or _alike(code, best[1]) < _MIN_PAIR_RATIO:
        return None
    return commented[: len(commented) - len(best[1])], best[1]


def line_rewrites(old: str, new: str, hint: str | None = None) -> list[Rewrite]:
    """The rewrites one changed line shows (both sides compared stripped). ``hint``: a prefix seen
    on an earlier line of the same file, tried first."""
    o, n = old.strip(), new.strip()
    if max(len(o), len(n)) > _MAX_LINE:
        return list(_line_rewrites.__wrapped__(o, n, hint))
    return list(_line_rewrites(o, n, hint))


@functools.lru_cache(maxsize=1 << 16)   # a wave repeats the same line rewrite in many files
def _line_rewrites(old: str, new: str, hint: str | None) -> tuple[Rewrite, ...]:
    o, n = old.strip(), new.strip()
    if o == n:
        return ()
    found: list[Rewrite] = []
    inner_o, inner_n = o, n
    if n.startswith("#") and not o.startswith("#"):
        split = _split_prefix(n, o, hint)
        if split:
            prefix, inner_n = split
            found.append(Rewrite("prefix_added", f"prefix added {prefix!r}", r"^\s*" + _escape(prefix.rstrip()),
                                 prefix.rstrip(), o, n, prefix))
    elif o.startswith("#") and not n.startswith("#"):
        split = _split_prefix(o, n, hint)
        if split:
            prefix, inner_o = split
            found.append(Rewrite("prefix_removed", f"prefix removed {prefix!r}", "", "", o, n, prefix))
    elif n.endswith(o) and not n[: len(n) - len(o)].isspace() and (n[len(n) - len(o) - 1] in " .(" or not o[:1].isalnum()):
        prefix = n[: len(n) - len(o)]
        found.append(Rewrite("prefix_added", f"prefix added {prefix!r}", r"^\s*" + _escape(prefix.rstrip()),
                             prefix.rstrip(), o, n, prefix))
        inner_n = o
    if inner_o.strip() != inner_n.strip():
        for o_mid, n_mid in substitutions(inner_o.strip(), inner_n.strip()):
            go, gn = _general(o_mid), _general(n_mid)
            if go == gn or not (o_mid.strip() or n_mid.strip()):
                continue
            result = n_mid.strip()
            marker = _word_bounded(result) if len(result) >= 4 and not _DIGITS.search(result) else ""
            found.append(Rewrite("replaced", f"{go!r} -> {gn!r}", marker, result, o, n, replaced=o_mid.strip()))
    return tuple(found)


def _similar(o: str, n: str, hint: str | None) -> tuple[float, str | None]:
    """(how alike, the prefix split off ``n``) for an old line and a new one that may be it commented."""
    prefix = None
    if n.startswith("#") and not o.startswith("#"):
        split = _split_prefix(n, o, hint)
        if split:
            prefix, n = split
    return _alike(o, n), prefix


_GOOD_PAIR = 0.6


def _pair_block(olds: list[str], news: list[str]) -> Iterable[tuple[str | None, str | None]]:
    """Pair the lines of an unequal replace block in order: each new line with the first old line
    ahead (within 20) that is clearly alike, else the most alike one (at least half alike); the
    rest added or removed."""
    i = 0
    hint: str | None = None
    for n in news:
        best, at, best_prefix = 0.0, -1, None
        for k in range(i, min(len(olds), i + 20)):
            r, prefix = _similar(olds[k], n, hint)
            if r > best:
                best, at, best_prefix = r, k, prefix
            if r >= _GOOD_PAIR:
                break
        if at < 0 or best < _MIN_PAIR_RATIO:
            yield None, n
            continue
        hint = best_prefix or hint
        for o in olds[i:at]:
            yield o, None
        yield olds[at], n
        i = at + 1
    for o in olds[i:]:
        yield o, None


def file_rewrites(old: bytes | None, new: bytes | None) -> list[Rewrite]:
    """Every rewrite from one version of a file to the next: lines aligned with indentation and
    trailing whitespace removed and blank lines left out (see :func:`aligned_rewrites`)."""
    return aligned_rewrites(old, new)[0]


def aligned_rewrites(old: bytes | None, new: bytes | None) -> tuple[list[Rewrite], bool]:
    """(:func:`file_rewrites`, whether the alignment was bounded): the line diff is difflib's on
    normal files and anchored on unique lines on very large ones
    (:func:`forensics.engine.linediff.line_opcodes`), so no file costs quadratic time."""
    a = [ln.strip() for ln in (old or b"").decode("utf-8", "replace").splitlines() if ln.strip()]
    b = [ln.strip() for ln in (new or b"").decode("utf-8", "replace").splitlines() if ln.strip()]
    found: list[Rewrite] = []
    hint: str | None = None
    alignment = line_opcodes(a, b)
    for tag, i1, i2, j1, j2 in alignment.opcodes:
        if tag == "equal":
            continue
        olds, news = a[i1:i2], b[j1:j2]
        pairs = zip(olds, news) if len(olds) == len(news) else _pair_block(olds, news)
        for o, n in pairs:
            if o is not None and n is not None:
                got = line_rewrites(o, n, hint)
                hint = next((r.prefix for r in got if r.prefix), hint)
                found.extend(got)
            elif n is not None:
                found.append(Rewrite("line_added", f"+ {_general(n)!r}", r"^\s*" + _escape(n) + r"\s*$", n, "", n))
            elif o is not None:
                found.append(Rewrite("line_removed", f"- {_general(o)!r}", "", "", o, ""))
    return found, alignment.bounded


def signature_rows(pairs: Iterable[tuple[str, bytes | None, bytes | None]], min_files: int = 2,
                   stats: dict | None = None) -> list[dict]:
    """One dict per signature seen in at least ``min_files`` files (keys SIGNATURE_COLUMNS; no pandas:
    the guard uses this): ``files`` showing it, ``lines`` carrying it, one example line before and
    after, ``kind``, ``marker`` and ``result`` (see :class:`Rewrite`), ``sources`` (how many distinct
    texts a ``replaced`` rewrite substituted, up to 100: a placeholder replaces many different ones
    with one, a rename one with one; 0 for an insertion and the other kinds). ``stats``, when given, gets
    ``diff_bounded_files`` (files too large for an exact diff, aligned on unique lines) and
    ``diff_bound_lines`` (the size past which that happens)."""
    files: dict[tuple[str, str], set[str]] = defaultdict(set)
    lines: dict[tuple[str, str], int] = defaultdict(int)
    example: dict[tuple[str, str], Rewrite] = {}
    sources: dict[tuple[str, str], set[str]] = defaultdict(set)
    bounded = 0
    for path, old, new in pairs:
        found, was_bounded = aligned_rewrites(old, new)
        bounded += was_bounded
        for r in found:
            key = (r.kind, r.signature)
            files[key].add(path)
            lines[key] += 1
            example.setdefault(key, r)
            if r.replaced and len(sources[key]) < 100:
                sources[key].add(r.replaced)
    rows = [{"signature": sig, "files": len(files[(kind, sig)]), "lines": lines[(kind, sig)],
             "example_before": example[(kind, sig)].before, "example_after": example[(kind, sig)].after,
             "kind": kind, "marker": example[(kind, sig)].marker, "result": example[(kind, sig)].result,
             "sources": len(sources[(kind, sig)])}
            for (kind, sig) in files if len(files[(kind, sig)]) >= min_files]
    if stats is not None:
        stats.update(diff_bounded_files=bounded, diff_bound_lines=int(EXACT_CELLS ** 0.5))
    return rows
