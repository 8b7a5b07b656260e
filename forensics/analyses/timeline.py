"""Timeline: one row per commit with at least one event."""
from __future__ import annotations

import pandas as pd

from forensics.engine.events import EVENT_KINDS

TIMELINE_COLUMNS = ["sha", "committed_at", "author", "subject", "is_merge", "paths_changed", "paths_matched",
                    *EVENT_KINDS, "is_bulk", "hollowed", "order"]


def timeline(result, bulk_threshold: int | None = None) -> pd.DataFrame:
    """Columns: TIMELINE_COLUMNS (CONTRACT's, then ``hollowed`` and ``order``). Event columns count the paths that got
    that event in the commit; ``is_bulk`` is ``paths_changed >= bulk_threshold`` (default: the scan's
    setting). Oldest first."""
    threshold = bulk_threshold if bulk_threshold is not None else result.settings.bulk_threshold
    ev = result.events
    counts = pd.crosstab(ev["sha"], ev["event"]) if len(ev) else pd.DataFrame()
    counts = counts.reindex(columns=[*EVENT_KINDS, "hollowed"], fill_value=0)
    commits = result.commits.set_index("sha")
    df = commits.loc[counts.index, ["committed_at", "author", "subject", "is_merge", "paths_changed",
                                    "paths_matched", "order"]].join(counts)
    df = df.reset_index().rename(columns={"index": "sha"})
    df["is_bulk"] = df["paths_changed"] >= threshold
    for k in (*EVENT_KINDS, "hollowed"):
        df[k] = df[k].astype("int64")
    return df[TIMELINE_COLUMNS].sort_values("order", kind="stable").reset_index(drop=True)
