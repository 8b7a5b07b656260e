"""Line rewrites: the line transformations a set of (path, old, new) file pairs share.

The pure core of signature mining (standard library only, so the guard can use it). Each changed
line pair is reduced to the part that differs (common prefix and suffix removed), with digits and
string contents generalised, so the same rewrite in a hundred files becomes one signature:
``prefix added '# REMOVED_SYNTAX_ERROR: '``, ``f"..." -> "formatted_string"``, ``'.' -> '_core.'``.
Whole lines added or removed are signatures too.
"""
from __future__ import annotations

import difflib
import io
import tokenize
import re
from collections import defaultdict
from typing import Iterable


SIGNATURE_COLUMNS = ["signature", "files", "lines", "example_before", "example_after", "kind", "marker"]
_STRING = re.compile(r"""(?P<prefix>\b[rbfuRBFU]{0,2})(?P<q>["'])(?:\\.|(?!(?P=q)).)*(?P=q)""")
_DIGITS = re.compile(r"\d+")


def _string_spans(line: str) -> list[tuple[int, int]]:
    """Column spans of the string literals on one line (tokenize; nothing when it cannot)."""
    spans = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline):
            if tok.type == tokenize.STRING and tok.start[0] == tok.end[0] == 1:
                off = len(line) - len(line.lstrip())
                spans.append((tok.start[1] + off, tok.end[1] + off))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return spans


def _escape(text: str) -> str:
    return re.escape(text).replace("\\ ", " ").replace("\\#", "#")


def _general(text: str) -> str:
    text = _STRING.sub(lambda m: m.group("prefix") + m.group("q") + "..." + m.group("q")
                       if m.group("prefix") else m.group(0), text)
    return _DIGITS.sub("N", text)


def _pair_signature(old: str, new: str) -> tuple[str, str, str] | None:
    """(kind, signature, marker regex) for one changed line."""
    if old == new:
        return None
    o, n = old.rstrip("\n"), new.rstrip("\n")
    if n.endswith(o) and len(n) > len(o):
        prefix = n[: len(n) - len(o)]
        if prefix.strip():
            p = prefix.lstrip()
            return "prefix_added", f"prefix added {p!r}", r"^\s*" + _escape(p.rstrip()) if p.strip() else ""
    if o.endswith(n) and len(o) > len(n):
        prefix = o[: len(o) - len(n)]
        if prefix.strip():
            return "prefix_removed", f"prefix removed {prefix.lstrip()!r}", ""
    i = 0
    while i < min(len(o), len(n)) and o[i] == n[i]:
        i += 1
    j = 0
    while j < min(len(o), len(n)) - i and o[len(o) - 1 - j] == n[len(n) - 1 - j]:
        j += 1
    old_mid, new_mid = o[i: len(o) - j], n[i: len(n) - j]
    # widen both sides to whole string literals, so f"...{x}..." is seen as one token
    lo, hi_o, hi_n = i, len(o) - j, len(n) - j
    for start, end in _string_spans(o):
        if start < hi_o and end > lo:
            lo, hi_o = min(lo, start), max(hi_o, end)
    for start, end in _string_spans(n):
        if start < hi_n and end > lo:
            lo, hi_n = min(lo, start), max(hi_n, end)
    old_mid, new_mid = o[lo:hi_o], n[lo:hi_n]
    go, gn = _general(old_mid), _general(new_mid)
    if go == gn:
        return None
    marker = _escape(new_mid.strip()) if len(new_mid.strip()) >= 4 and not _DIGITS.search(new_mid) else ""
    return "replaced", f"{go!r} -> {gn!r}", marker



def signature_rows(pairs: Iterable[tuple[str, bytes | None, bytes | None]], min_files: int = 2) -> list[dict]:
    """The rows of :func:`line_signatures` as plain dicts (no pandas: the guard uses this)."""
    files: dict[tuple[str, str], set[str]] = defaultdict(set)
    lines: dict[tuple[str, str], int] = defaultdict(int)
    example: dict[tuple[str, str], tuple[str, str, str]] = {}
    for path, old, new in pairs:
        a = (old or b"").decode("utf-8", "replace").splitlines()
        b = (new or b"").decode("utf-8", "replace").splitlines()
        sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag == "equal":
                continue
            olds, news = a[i1:i2], b[j1:j2]
            found: list[tuple[str, str, str, str, str]] = []
            if tag == "replace" and len(olds) == len(news):
                for o, n in zip(olds, news):
                    sig = _pair_signature(o, n)
                    if sig:
                        found.append((*sig, o, n))
            else:
                for o in olds:
                    if o.strip():
                        found.append(("line_removed", f"- {_general(o.strip())!r}", "", o, ""))
                for n in news:
                    if n.strip():
                        found.append(("line_added", f"+ {_general(n.strip())!r}",
                                      r"^\s*" + _escape(n.strip()) + r"\s*$", "", n))
            for kind, sig, marker, o, n in found:
                key = (kind, sig)
                files[key].add(path)
                lines[key] += 1
                example.setdefault(key, (o, n, marker))
    return [{"signature": sig, "files": len(files[(kind, sig)]), "lines": lines[(kind, sig)],
             "example_before": example[(kind, sig)][0].strip(), "example_after": example[(kind, sig)][1].strip(),
             "kind": kind, "marker": example[(kind, sig)][2]}
            for (kind, sig) in files if len(files[(kind, sig)]) >= min_files]
