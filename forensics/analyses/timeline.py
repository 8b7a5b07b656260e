"""Timeline: one row per commit with at least one event."""
from __future__ import annotations

import pandas as pd

from forensics.engine.events import EVENT_KINDS

TIMELINE_COLUMNS = ["sha", "committed_at", "author", "subject", "is_merge", "paths_changed", "paths_matched",
                    *EVENT_KINDS, "is_bulk", "hollowed", "masked", "order"]
# what the timeline counts: every event kind, with masking (a ``healed`` event whose new state is still
# damaged: the code compiles only because it was commented out) apart from healing
COUNT_KINDS = (*EVENT_KINDS, "hollowed", "masked")


def counted_kind(events: pd.DataFrame) -> pd.Series:
    """Each event's kind as the timeline counts it: ``masked`` for masking, never ``healed``."""
    from forensics.analyses.index import is_masking

    kinds = events["event"].astype(str)
    masked = [is_masking(e, a) for e, a in zip(kinds, events["state_after"])] if "state_after" in events else []
    return kinds.where(~pd.Series(masked, index=events.index, dtype=bool), "masked") if len(masked) else kinds


def event_counts(events: pd.DataFrame) -> pd.DataFrame:
    """Per commit (index ``sha``): one count column per COUNT_KINDS."""
    if not len(events):
        return pd.DataFrame(columns=list(COUNT_KINDS))
    return pd.crosstab(events["sha"], counted_kind(events)).reindex(columns=list(COUNT_KINDS), fill_value=0)


def timeline(result, bulk_threshold: int | None = None) -> pd.DataFrame:
    """Columns: TIMELINE_COLUMNS (CONTRACT's, then ``hollowed``, ``masked``, ``order``). Event columns count the
    paths that got that event in the commit, except that ``healed`` counts only paths left compiling
    with their code (a path commented out to compile is ``masked``, never ``healed``); ``is_bulk`` is ``paths_changed >= bulk_threshold`` (default: the scan's
    setting). Oldest first."""
    threshold = bulk_threshold if bulk_threshold is not None else result.settings.bulk_threshold
    ev = result.events
    counts = event_counts(ev)
    commits = result.commits.set_index("sha")
    df = commits.loc[counts.index, ["committed_at", "author", "subject", "is_merge", "paths_changed",
                                    "paths_matched", "order"]].join(counts)
    df = df.reset_index().rename(columns={"index": "sha"})
    df["is_bulk"] = df["paths_changed"] >= threshold
    for k in COUNT_KINDS:
        df[k] = df[k].astype("int64")
    return df[TIMELINE_COLUMNS].sort_values("order", kind="stable").reset_index(drop=True)
