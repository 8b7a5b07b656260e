"""Damaged paths over time: the state of every path in scope after each commit."""
from __future__ import annotations

import pandas as pd

TREND_COLUMNS = ["order", "sha", "committed_at", "marked", "broken", "damaged", "total"]
_MARKED = ("marked", "marked+broken")
_BROKEN = ("broken", "marked+broken")


def damaged_over_time(result) -> pd.DataFrame:
    """One row per commit (topological order): how many paths in scope were marked (markers > 0),
    broken (not compiling) and damaged (either) after it, out of ``total``. Changes are applied in
    topological order, so a branch's changes count from when they were committed. Columns:
    TREND_COLUMNS."""
    state = dict(zip(result.versions["blob"], result.versions["state"]))
    ch = result.changes[~result.changes["is_backup"]].sort_values(["order", "path"])
    current: dict[str, str] = {}
    counts = {"marked": 0, "broken": 0, "damaged": 0}

    def move(s: str, sign: int) -> None:
        counts["marked"] += sign * (s in _MARKED)
        counts["broken"] += sign * (s in _BROKEN)
        counts["damaged"] += sign * (s in _MARKED or s in _BROKEN)

    by_order = {o: g for o, g in ch.groupby("order", sort=True)}
    rows = []
    for c in result.commits.sort_values("order").itertuples(index=False):
        g = by_order.get(c.order)
        if g is not None:
            for r in g.itertuples(index=False):
                if r.kind == "R" and r.old_path in current:
                    move(current.pop(r.old_path), -1)
                old = current.pop(r.path, None)
                if old is not None:
                    move(old, -1)
                if r.new_blob:
                    new = state.get(r.new_blob, "unreadable")
                    current[r.path] = new
                    move(new, +1)
        rows.append({"order": c.order, "sha": c.sha, "committed_at": c.committed_at, **counts, "total": len(current)})
    return pd.DataFrame(rows, columns=TREND_COLUMNS)
