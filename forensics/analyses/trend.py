"""Damaged paths over time: the state of every path in scope after each commit."""
from __future__ import annotations

from typing import Iterator

import pandas as pd
from forensics.engine.states import BROKEN_STATES, DAMAGED_STATES, LEGACY, MARKED_STATES

TREND_COLUMNS = ["order", "sha", "committed_at", "marked", "broken", "damaged", "total"]


def state_walk(result) -> Iterator[tuple[object, list[tuple[str, str | None, str | None]]]]:
    """For each commit in topological order: (the commit row, [(path, state before, state after)])
    for the paths in scope it changed (``None`` where absent). A branch's changes count from when
    they were committed; a rename moves the path. One pass over plain arrays."""
    state = dict(zip(result.versions["blob"], result.versions["state"]))
    ch = result.changes[~result.changes["is_backup"]].sort_values(["order", "path"], kind="stable")
    orders = ch["order"].to_numpy()
    legacy = ch["legacy_after"] if "legacy_after" in ch else [False] * len(ch)
    rows = list(zip(ch["path"], ch["old_path"], ch["kind"], ch["new_blob"], legacy))
    current: dict[str, str] = {}
    i, n = 0, len(rows)
    for c in result.commits.sort_values("order").itertuples(index=False):
        applied: list[tuple[str, str | None, str | None]] = []
        while i < n and orders[i] < c.order:
            i += 1
        while i < n and orders[i] == c.order:
            path, old_path, kind, new_blob, is_legacy = rows[i]
            if kind == "R" and old_path in current:
                applied.append((old_path, current.pop(old_path), None))
            before = current.pop(path, None)
            after = (LEGACY if is_legacy else state.get(new_blob, "unreadable")) if new_blob else None
            if after is not None:
                current[path] = after
            applied.append((path, before, after))
            i += 1
        yield c, applied


def damaged_over_time(result) -> pd.DataFrame:
    """One row per commit (topological order): how many paths in scope were marked (markers > 0),
    broken (not compiling) and damaged (either) after it, out of ``total``. Columns: TREND_COLUMNS."""
    marked = broken = damaged = total = 0
    rows = []
    for c, applied in state_walk(result):
        for _, before, after in applied:
            for s, sign in ((before, -1), (after, 1)):
                if s is not None:
                    total += sign
                    marked += sign * (s in MARKED_STATES)
                    broken += sign * (s in BROKEN_STATES)
                    damaged += sign * (s in DAMAGED_STATES)
        rows.append((c.order, c.sha, c.committed_at, marked, broken, damaged, total))
    return pd.DataFrame(rows, columns=TREND_COLUMNS)
