"""The placeholder state: a post-pass over a scan that re-states versions carrying mined placeholder
signatures, so every analysis (census, events, chains, blast radius, restore list) sees them.

A version is ``placeholder`` when it compiles, has no marker, and one of its lines matches a
placeholder pattern (a regex mined by :mod:`forensics.analyses.hunt`) without matching a marker
pattern: a line that only *looks* like a marker (a docstring quoting one) never counts. Only
versions written at or after the culprit (``since``) and the versions at the revision are looked
at: a placeholder cannot predate the rewrite that brought it, and the patterns were chosen because
healthy lines before it (almost) never carry them. Judgments are cached per (blob, pattern set).
"""
from __future__ import annotations

import ast
import bisect
import hashlib
import itertools
import json
import re
from dataclasses import dataclass, replace
from typing import Iterable

import pandas as pd

from forensics.engine.events import derive_events
from forensics.engine.rewrites import token_texts
from forensics.engine.states import HEALTHY, HOLLOWED, LEGACY, PLACEHOLDER

_MEMO: dict[tuple[str, str], int] = {}   # (probe-set key, blob) -> placeholder lines


@dataclass(frozen=True)
class Probe:
    """One placeholder signature to look for: ``pattern`` (its marker regex, a fast first filter)
    and ``result`` (the literal text the rewrite produced, matched as whole Python tokens, so the
    placeholder quoted inside another string, as a fixer script's constant, does not count)."""

    pattern: str
    result: str


@dataclass(frozen=True)
class _Compiled:
    rx: re.Pattern[str]
    tokens: tuple[str, ...]       # empty: the regex alone decides (a comment-like result)
    probe: Probe


def probes_key(probes: Iterable[Probe]) -> str:
    """A short stable id of a set of probes."""
    return hashlib.sha256(json.dumps(sorted({(p.pattern, p.result) for p in probes})).encode()).hexdigest()[:16]


def compile_probes(probes: Iterable[Probe]) -> list[_Compiled]:
    """Probes ready to use (a bad regex raises :class:`forensics.errors.BadPattern`)."""
    from forensics.engine.health import compile_markers

    out = []
    for probe in dict.fromkeys(probes):
        rx = compile_markers([probe.pattern])[0]
        toks = () if probe.result.lstrip().startswith("#") else tuple(token_texts(probe.result))
        out.append(_Compiled(rx, toks, probe))
    return out


def _contains(seq: list[str], sub: tuple[str, ...]) -> bool:
    n = len(sub)
    return any(tuple(seq[i:i + n]) == sub for i in range(len(seq) - n + 1))


def _inside_strings(text: str) -> set[int] | None:
    """The lines (1-based) a multi-line string continues on (its first line excluded: the string is
    one token there), from the parse tree (C speed, where tokenizing in Python is slow); None when
    the text does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Constant, ast.JoinedStr)) and (node.end_lineno or 0) > node.lineno:
            if isinstance(node, ast.JoinedStr) or isinstance(node.value, (str, bytes)):
                out.update(range(node.lineno + 1, node.end_lineno + 1))
    return out


# Comments and string literals as the tokenizer reads them (a backslash only ever with what it escapes:
# no two ways to match one text, so no backtracking blow-up); an unterminated one runs to the end.
_LEXICAL = re.compile(r"""#[^\r\n]*|(?:\b[rRbBuUfF]{1,2})?(?:(\"\"\"|\'\'\')(?:\\.|(?!\1)[^\\])*(?:\1|\Z)"""
                      r"""|"(?:\\.|[^"\\\r\n])*"?|'(?:\\.|[^'\\\r\n])*'?)""", re.S)


def _inside_strings_lexical(text: str, split: "Lines", last: int) -> set[int]:
    """:func:`_inside_strings` for text that does not parse, up to line ``last``: the multi-line
    (triple-quoted) strings found by a lexical scan, in one regex pass at C speed."""
    out: set[int] = set()
    end = split.starts[min(last, len(split.parts))]
    for m in _LEXICAL.finditer(text, 0, end):
        if m.group(1) is None:
            continue
        first = bisect.bisect_right(split.starts, m.start()) - 1
        final = bisect.bisect_right(split.starts, max(m.start(), m.end() - 1)) - 1
        out.update(range(first + 2, final + 2))      # 1-based lines after the string's first
    return out


_LINE_ENDS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


class Lines:
    """A text split as ``str.splitlines`` splits it, with each line's offset, for finding the lines a
    pattern occurs on from its matches over the whole text (one pass in C, not one search a line)."""

    __slots__ = ("text", "parts", "starts")

    def __init__(self, text: str) -> None:
        self.text = text
        self.parts = text.splitlines(keepends=True)
        self.starts = list(itertools.accumulate(map(len, self.parts), initial=0))

    def line(self, k: int) -> str:
        """Line ``k`` (0-based) without its line end."""
        return self.parts[k].rstrip(_LINE_ENDS)

    def matching(self, rx) -> list[int]:
        """The lines (0-based, in order) on which ``rx.search(line)`` finds the pattern. A match over
        the whole text may start on the line end before its line or end on the one after it, so
        every line a match touches is a candidate, checked on its own."""
        found: list[int] = []
        last = len(self.parts) - 1
        for m in rx.finditer(self.text):
            first = bisect.bisect_right(self.starts, m.start()) - 1
            end = bisect.bisect_right(self.starts, max(m.start(), m.end() - 1)) - 1
            for k in range(max(first, found[-1] + 1 if found else 0), min(end, last) + 1):
                if rx.search(self.line(k)):
                    found.append(k)
        return found


def placeholder_lines(text: str, probes: list[_Compiled], markers: Iterable[re.Pattern[str]]) -> dict[int, list[Probe]]:
    """The lines (1-based) that carry a probe and match no marker pattern, with the probes each carries."""
    hit = [p for p in probes if p.rx.search(text)]
    if not hit:
        return {}
    markers = list(markers)
    split = Lines(text)
    found: dict[int, list[_Compiled]] = {}
    for p in hit:
        for k in split.matching(p.rx):
            found.setdefault(k + 1, []).append(p)
    candidates: dict[int, list[_Compiled]] = {}
    for i in sorted(found):
        line = split.line(i - 1)
        if not any(m.search(line) for m in markers):
            candidates[i] = found[i]            # in probe order: ``hit`` was walked in order
    if not candidates:
        return {}
    needs = any(p.tokens for h in candidates.values() for p in h)
    inside = _inside_strings(text) if needs else set()
    if inside is None:
        inside = _inside_strings_lexical(text, split, max(candidates))
    out: dict[int, list[Probe]] = {}
    for i, hits in candidates.items():
        toks = [] if i in inside else token_texts(split.line(i - 1))
        hits = [p for p in hits if not p.tokens or _contains(toks, p.tokens)]
        if hits:
            out[i] = [p.probe for p in hits]
    return out


def with_placeholders(result, probes: list[Probe], since: pd.Timestamp | None = None, store=None):
    """A copy of ``result`` (a ScanResult) whose healthy versions carrying ``probes`` on non-marker
    lines are ``placeholder``; events, tree and chains recomputed from them. ``versions`` gains
    ``placeholder_lines``; ``manifest`` records ``placeholder_patterns`` and ``placeholder_versions``.
    ``since``: only versions written by commits at or after this time (UTC), plus those at the
    revision, are looked at (default: all). ``store``: a :class:`forensics.engine.cache.ScanCache`
    keeping the judgments (blob -> placeholder lines) per rules and probe set across runs."""
    from forensics.engine.scan import _with_health

    compiled = compile_probes(probes)
    key = probes_key(probes)
    versions = result.versions.copy()
    healthy = set(versions.loc[versions["state"] == HEALTHY, "blob"])
    ch = result.changes[result.changes["new_blob"] != ""]
    if since is not None:
        when = result.commits.set_index("sha")["committed_at"]
        ch = ch[ch["sha"].map(when) >= since]
    wanted = (set(ch["new_blob"]) | set(result.tree["blob"])) & healthy
    fingerprint = f"placeholders-{result.settings.rules.fingerprint()}-{key}"
    if store is not None:
        saved = store.load_versions(fingerprint)
        if saved is not None:
            _MEMO.update({(key, b): int(n) for b, n in zip(saved["blob"], saved["placeholder_lines"])})
    counts = {b: _MEMO[(key, b)] for b in wanted if (key, b) in _MEMO}
    todo = sorted(wanted - set(counts))
    markers = result.settings.rules.compiled_markers
    for i in range(0, len(todo), 500):
        for blob, data in result.read_blobs(todo[i:i + 500]).items():
            n = len(placeholder_lines(data.decode("utf-8", "replace"), compiled, markers)) if data is not None else 0
            _MEMO[(key, blob)] = counts[blob] = n
    if store is not None and todo:
        store.save_versions(fingerprint, pd.DataFrame({"blob": pd.Series(todo, dtype=object),
                                                       "placeholder_lines": [counts[b] for b in todo]}))
    versions["placeholder_lines"] = versions["blob"].map(counts).fillna(0).astype("int64")
    hit = versions["placeholder_lines"] > 0
    versions.loc[hit, "state"] = PLACEHOLDER
    events = derive_events(result.changes, versions, result.commits)
    tree = _with_health(result.tree[["path", "blob", "mode", "is_backup"]], versions)
    lineage_state = result.tree.loc[result.tree["state"].isin([LEGACY, HOLLOWED]), ["path", "state"]]
    kept = dict(zip(lineage_state["path"], lineage_state["state"]))  # a lineage's state (legacy, hollowed): kept
    tree["state"] = pd.Series([kept.get(p, st) for p, st in zip(tree["path"], tree["state"])], index=tree.index,
                              dtype=object)
    manifest = dict(result.manifest, placeholder_patterns=[p.pattern for p in dict.fromkeys(probes)],
                    placeholder_versions=int(hit.sum()), events=int(len(events)))
    subjects = tree[~tree["is_backup"]]
    from forensics.engine.states import DAMAGED_STATES

    manifest["damaged_now"] = int(subjects["state"].isin(DAMAGED_STATES).sum())
    return replace(result, versions=versions, events=events, tree=tree, manifest=manifest, _chains=None)
