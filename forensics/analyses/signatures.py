"""Line signatures: the line transformations a commit (or a wave) applied to many files, as a table,
with how specific each one is.

The line-level core lives in :mod:`forensics.engine.rewrites`. Specificity: a signature's
*background* is how often its result (its ``marker`` regex, else its literal result text) occurs on
lines of healthy versions written before the culprit, read from the scan's own versions (most recent
version of each path first, then older ones, within a time budget); its *lift* is how much more often
the culprit's new versions carry it. A signature is usable as a marker when its background rate is at
most :data:`MAX_BACKGROUND_RATE` (1 line in 10,000): ``^\\s*"`` or ``^\\s*pass\\s*$`` never are.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

import pandas as pd

from forensics.analyses.background import Background, measure
from forensics.engine.rewrites import (DEFAULT_BUDGET_SECONDS, MAX_BACKGROUND_RATE, SIGNATURE_COLUMNS,
                                       signature_rows)

__all__ = ["SIGNATURE_COLUMNS", "TABLE_COLUMNS", "MAX_BACKGROUND_RATE", "line_signatures", "commit_signatures",
           "signature_rows", "culprit_commits", "healthy_background", "specific_markers", "Background"]

TABLE_COLUMNS = [*SIGNATURE_COLUMNS, "background_lines", "background_rate", "lift"]


def line_signatures(pairs: Iterable[tuple[str, bytes | None, bytes | None]], min_files: int = 2,
                    stats: dict | None = None) -> pd.DataFrame:
    """Signatures over (path, old bytes, new bytes) pairs. Columns: SIGNATURE_COLUMNS: ``files`` the
    number of files showing it, ``lines`` the number of lines, one example line before and after
    (stripped), ``kind`` (prefix_added, prefix_removed, replaced, line_added, line_removed),
    ``marker`` (a regex matching the transformed line, for ``--marker``; empty when none is
    distinctive) and ``result`` (the literal text the rewrite produced). Sorted by files, then lines,
    descending; only signatures seen in at least ``min_files`` files. ``stats``: see
    :func:`forensics.engine.rewrites.signature_rows`."""
    rows = signature_rows(pairs, min_files, stats)
    df = pd.DataFrame(rows, columns=SIGNATURE_COLUMNS)
    return df.sort_values(["files", "lines", "signature"], ascending=[False, False, True], kind="stable").reset_index(drop=True)


def culprit_commits(result, shas: list[str], wave: bool, window_minutes: float = 30) -> list[str]:
    """``shas`` in order, each replaced by the whole wave it belongs to when ``wave`` (commits the
    scan does not reach stay themselves)."""
    from forensics.analyses.culprits import wave_commits, waves

    out: list[str] = []
    known = set(result.commits["sha"])
    table = waves(result, window_minutes, 1) if wave else None
    for sha in shas:
        members = [sha]
        if table is not None and sha in known:
            for _, w in table.iterrows():
                found = wave_commits(result, w)
                if sha in found:
                    members = found
                    break
        out.extend(members)
    return list(dict.fromkeys(out))


def healthy_background(result, before: pd.Timestamp, patterns: Iterable[str] = (),
                       budget_seconds: float = DEFAULT_BUDGET_SECONDS,
                       read: Callable[[list[str]], dict[str, bytes | None]] | None = None) -> Background:
    """``patterns`` measured over a bounded, stratified sample of the healthy versions of paths in
    scope written by commits before ``before`` (UTC), in one pass within ``budget_seconds``
    (see :mod:`forensics.analyses.background`)."""
    return measure(result, [(before, list(patterns))], budget_seconds, read)[0]


def signature_pattern(row) -> str:
    """What a signature is measured by: its marker regex, else its literal result (escaped)."""
    return row.marker or (re.escape(row.result) if row.result.strip() else "")


def _spread(ch: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` rows of ``ch`` in an order spread over directories (a stable hash of the path)."""
    import hashlib

    key = ch["path"].map(lambda p: hashlib.blake2b(p.encode("utf-8", "surrogatepass"), digest_size=6).digest())
    return ch.assign(_k=key).sort_values("_k", kind="stable").head(n).drop(columns="_k")


def _culprit_changes(result, shas: list[str], changes: pd.DataFrame | None) -> pd.DataFrame:
    ch = result.changes if changes is None else pd.concat([result.changes, changes], ignore_index=True)
    ch = ch[ch["sha"].isin(shas) & ~ch["is_backup"] & ch["kind"].isin(["M", "R"])]
    return ch.drop_duplicates(["sha", "path"])


def commit_signatures(result, shas: list[str], min_files: int = 2,
                      read: Callable[[list[str]], dict[str, bytes | None]] | None = None,
                      changes: pd.DataFrame | None = None, background: bool = True,
                      before: pd.Timestamp | None = None,
                      budget_seconds: float = DEFAULT_BUDGET_SECONDS, max_files: int | None = None) -> pd.DataFrame:
    """Signatures of the changes ``shas`` made to paths in scope (backups left out). ``changes``:
    extra change rows for commits the scan does not reach (:func:`forensics.engine.commit_changes`).

    Columns: TABLE_COLUMNS: SIGNATURE_COLUMNS (see :func:`line_signatures`), then
    ``background_lines`` (healthy lines before the culprit matching the signature's marker, else
    its literal result; NA when it has neither), ``background_rate`` (that over the healthy lines
    read) and ``lift`` (the share of the culprit's new lines carrying it over the background rate,
    with one line added to both counts so a zero background gives a finite lift). ``attrs`` holds
    ``background_lines_read``, ``background_versions`` (read), ``background_sample`` (planned),
    ``background_candidates`` (all healthy versions before the culprit), ``background_complete``,
    ``background_budget_reached``, ``diff_bounded_files``, ``diff_bound_lines``, ``culprit_files``
    (changes the culprit made) and ``culprit_files_read`` (those diffed: at most ``max_files``, a
    sample spread over directories). ``before``: where "before the culprit" ends (default: its first
    commit's time)."""
    ch = _culprit_changes(result, shas, changes)
    files_changed = len(ch)
    if max_files is not None and len(ch) > max_files:
        ch = _spread(ch, max_files)
    read = read or result.read_blobs
    blobs = read(sorted(set(ch["old_blob"]) | set(ch["new_blob"]) - {""}))
    pairs = [(r.path, blobs.get(r.old_blob), blobs.get(r.new_blob)) for r in ch.itertuples(index=False)]
    stats: dict = {}
    table = line_signatures(pairs, min_files=min_files, stats=stats)
    new_lines = sum(sum(1 for ln in (n or b"").splitlines() if ln.strip()) for _, _, n in pairs)
    table["background_lines"] = pd.array([pd.NA] * len(table), dtype="Int64")
    table["background_rate"] = float("nan")
    table["lift"] = float("nan")
    table.attrs.update(stats, culprit_files=files_changed, culprit_files_read=len(ch))
    table.attrs.update(culprit_lines=new_lines, background_lines_read=0, background_versions=0,
                       background_candidates=0, background_complete=False)
    if not background or not len(table):
        return table[TABLE_COLUMNS]
    if before is None:
        when = result.commits.set_index("sha")["committed_at"]
        known = [when[s] for s in shas if s in when.index]
        before = min(known) if known else pd.Timestamp.max.tz_localize("UTC")
    rows = list(table.itertuples(index=False))
    bg = healthy_background(result, before, [p for p in map(signature_pattern, rows) if p], budget_seconds, read)
    return with_background(table, rows, bg, new_lines)


def with_background(table: pd.DataFrame, rows: list, bg: Background, new_lines: int) -> pd.DataFrame:
    hits, rates, lifts = [], [], []
    for row in rows:
        pattern = signature_pattern(row)
        if not pattern or not bg.lines or pattern not in bg.counts:
            hits.append(pd.NA), rates.append(float("nan")), lifts.append(float("nan"))
            continue
        h = bg.hits(pattern)
        hits.append(h)
        rates.append(h / bg.lines)
        lifts.append(((row.lines + 1) / (new_lines + 1)) / ((h + 1) / (bg.lines + 1)))
    table["background_lines"] = pd.array(hits, dtype="Int64")
    table["background_rate"] = rates
    table["lift"] = [round(x, 1) if x == x else x for x in lifts]
    table.attrs.update(background_lines_read=bg.lines, background_versions=bg.versions,
                       background_candidates=bg.candidates, background_complete=bg.complete,
                       background_sample=bg.sample, background_budget_reached=bg.budget_reached,
                       background_seconds=bg.seconds)
    return table[TABLE_COLUMNS]


def placeholder_markers(table: pd.DataFrame, max_rate: float = MAX_BACKGROUND_RATE) -> pd.DataFrame:
    """The rows of :func:`specific_markers` that are placeholder rewrites: ``replaced`` rewrites that
    put one text in place of at least two different ones (``f"..." -> "formatted_string"``), not a
    rename (one text for one), an insertion, nor a line added (new code is specific too, and is
    not damage). What ``hunt`` looks for when no culprit is named."""
    spec = specific_markers(table, max_rate)
    return spec[(spec["kind"] == "replaced") & (spec["sources"] >= 2)].reset_index(drop=True)


def specific_markers(table: pd.DataFrame, max_rate: float = MAX_BACKGROUND_RATE) -> pd.DataFrame:
    """The rows of a :func:`commit_signatures` table usable as markers: a marker regex, and a
    background rate measured and at most ``max_rate``. Most lines first, one row per regex."""
    ok = (table["marker"] != "") & table["background_rate"].notna() & (table["background_rate"] <= max_rate)
    out = table[ok].sort_values(["lines", "files"], ascending=False, kind="stable")
    return out.drop_duplicates("marker").reset_index(drop=True)
