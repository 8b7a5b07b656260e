"""Healthy background: how often candidate patterns occur on healthy lines written before a culprit.

A rewrite is *specific* when healthy code written before the culprit (almost) never carries its
result. Measuring that must cost the same on a 300-commit toy and on a history whose healthy files
run to thousands of lines, so:

- every candidate pattern is matched in **one pass** over each version: the patterns are translated
  to RE2 (:mod:`forensics.engine.markers`, linear time) and put in one ``re2.Set``; a version none of
  them occurs in (nearly all) costs one call. Only the patterns the set reports are then counted line
  by line, from their matches, never by running each pattern over each line;
- the versions read are a **bounded, stratified sample**: the newest healthy version of every path
  first, then each path's next older one, and so on (round-robin over paths, in an order spread over
  directories), until ``max_versions`` versions or ``max_lines`` non-blank lines are read;
- ``budget_seconds`` bounds the whole of it, reading and matching.

Many culprits share one pass (:func:`measure`): each version counts for the culprits written after
it, so ``hunt`` without ``--from`` checks every culprit's candidates in the time of one.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import pandas as pd
import re2

from forensics.engine.markers import MarkerPattern, compile_marker
from forensics.engine.placeholders import Lines
from forensics.engine.states import HEALTHY
from forensics.errors import BadPattern

MAX_VERSIONS = 6000          # healthy versions in the background sample
MAX_LINES = 3_000_000        # non-blank lines in the background sample
_CHUNK = 200                 # versions read per request to the blob reader

_SET_OPTIONS = re2.Options()
_SET_OPTIONS.log_errors = False


@dataclass
class Background:
    """Healthy lines written before a culprit, measured for a set of patterns: ``counts`` (pattern ->
    non-blank lines carrying it), ``lines`` (non-blank lines read), ``versions`` read of the
    ``sample`` planned out of ``candidates`` (every healthy version before the culprit),
    ``seconds`` spent; ``complete`` when every candidate was read, ``budget_reached`` when the time
    budget stopped the reading before the sample was done."""

    counts: dict[str, int]
    lines: int
    versions: int
    candidates: int
    sample: int
    seconds: float
    budget_reached: bool = False

    @property
    def complete(self) -> bool:
        return self.versions == self.candidates

    def hits(self, pattern: str) -> int:
        """Non-blank lines carrying ``pattern`` (one of the patterns measured)."""
        return self.counts[pattern]

    def rate(self, pattern: str) -> float:
        return self.hits(pattern) / self.lines if self.lines else float("nan")


@dataclass
class _Culprit:
    before: pd.Timestamp
    patterns: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    lines: int = 0
    versions: int = 0
    candidates: int = 0


class PatternSet:
    """Patterns (Python syntax, searched per line) matched together: :meth:`line_counts` gives, for
    one text, the non-blank lines carrying each pattern that occurs in it. A pattern the linear-time
    engine refuses is left out (``refused``)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns: list[str] = []
        self.compiled: list[MarkerPattern] = []
        self.refused: list[str] = []
        rset = re2.Set.SearchSet(_SET_OPTIONS)
        for p in dict.fromkeys(patterns):
            try:
                rx = compile_marker(p)
            except BadPattern:
                self.refused.append(p)
                continue
            rset.Add(rx.translated)
            self.patterns.append(p)
            self.compiled.append(rx)
        self._set = rset
        if self.patterns:
            rset.Compile()

    def line_counts(self, text: str) -> dict[int, int]:
        """{pattern index: non-blank lines of ``text`` on which it is found}, for the patterns found."""
        if not self.patterns:
            return {}
        hit = self._set.Match(text)
        if not hit:
            return {}
        split = Lines(text)
        out: dict[int, int] = {}
        for i in hit:
            n = sum(1 for k in split.matching(self.compiled[i]) if split.line(k).strip())
            if n:
                out[i] = n
        return out


def _stratified(ch: pd.DataFrame) -> list[str]:
    """Blobs of ``ch`` (newest first) in sample order: every path's newest, then every path's next
    older one, and so on; within a round, paths in an order spread over directories."""
    ch = ch.assign(rank=ch.groupby("path", sort=False).cumcount())
    spread = {p: hashlib.blake2b(p.encode("utf-8", "surrogatepass"), digest_size=6).digest()
              for p in ch["path"].unique()}
    ch = ch.assign(spread=ch["path"].map(spread))
    ch = ch.sort_values(["rank", "spread"], kind="stable")
    return list(dict.fromkeys(ch["new_blob"]))


def healthy_changes(result) -> pd.DataFrame:
    """Change rows that wrote a healthy version of a path in scope (backups left out), with ``at``
    (the commit's time), newest first. Columns: ``path``, ``new_blob``, ``at``, ``order``."""
    healthy = set(result.versions.loc[result.versions["state"] == HEALTHY, "blob"])
    when = result.commits.set_index("sha")["committed_at"]
    ch = result.changes[~result.changes["is_backup"] & (result.changes["new_blob"] != "")]
    ch = ch[ch["new_blob"].isin(healthy)]
    ch = ch.assign(at=ch["sha"].map(when))[["path", "new_blob", "at", "order"]]
    return ch.sort_values(["at", "order"], ascending=False, kind="stable")


def measure(result, culprits: list[tuple[pd.Timestamp, list[str]]],
            budget_seconds: float, read: Callable[[list[str]], dict[str, bytes | None]] | None = None,
            max_versions: int = MAX_VERSIONS, max_lines: int = MAX_LINES) -> list[Background]:
    """One :class:`Background` per culprit (its ``before`` time and its candidate patterns), all
    measured in one pass over one stratified sample of the healthy versions written before the last
    of them: a version counts for each culprit written after it."""
    t0 = time.perf_counter()
    read = read or result.read_blobs
    every = PatternSet(p for _, pats in culprits for p in pats)
    index = {p: i for i, p in enumerate(every.patterns)}
    states = [_Culprit(before, [p for p in dict.fromkeys(pats) if p in index]) for before, pats in culprits]
    for s in states:
        s.counts = {p: 0 for p in s.patterns}
    ch = healthy_changes(result)
    latest = max((s.before for s in states), default=None)
    if latest is not None:
        ch = ch[ch["at"] < latest]
    first_at = ch.drop_duplicates("new_blob", keep="last").set_index("new_blob")["at"]  # oldest writing
    for s in states:
        s.candidates = int((first_at < s.before).sum())
    order = _stratified(ch) if len(ch) else []
    plan = order[:max_versions]
    by_pattern: dict[int, list[_Culprit]] = {}
    for s in states:
        for p in s.patterns:
            by_pattern.setdefault(index[p], []).append(s)
    lines = read_n = 0
    stopped = False
    for i in range(0, len(plan), _CHUNK):
        if time.perf_counter() - t0 > budget_seconds:
            stopped = True
            break
        if lines >= max_lines:
            break
        chunk = plan[i:i + _CHUNK]
        got = read(chunk)
        for blob in chunk:
            data = got.get(blob)
            read_n += 1
            if data is None:
                continue
            at = first_at[blob]
            text = data.decode("utf-8", "replace")
            n = sum(1 for ln in text.splitlines() if ln.strip())
            lines += n
            for s in states:
                if at < s.before:
                    s.lines += n
                    s.versions += 1
            for k, c in every.line_counts(text).items():
                for s in by_pattern.get(k, ()):
                    if at < s.before:
                        s.counts[every.patterns[k]] += c
    seconds = round(time.perf_counter() - t0, 3)
    planned = {b: first_at[b] for b in plan}
    out = []
    for s in states:
        sample = sum(1 for at in planned.values() if at < s.before)
        out.append(Background(s.counts, s.lines, s.versions, s.candidates, sample, seconds, stopped))
    return out
