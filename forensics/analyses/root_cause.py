"""Root causes: one row per root-cause commit, from the damage chains of a scan."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from forensics.engine.scan import ScanResult


def root_causes(result: "ScanResult", chains: pd.DataFrame) -> pd.DataFrame:
    """One row per root-cause commit, most paths first."""
    if not len(chains):
        return pd.DataFrame(columns=["root_cause", "paths", "first_event", "subject", "author", "committed_at"])
    g = chains.groupby("root_cause").agg(paths=("path", "size"), first_event=("root_cause_event", lambda s: s.mode().iloc[0]))
    meta = result.commits.set_index("sha")[["subject", "author", "committed_at"]]
    out = g.join(meta, how="left").reset_index().sort_values(["paths", "committed_at"], ascending=[False, True])
    return out.reset_index(drop=True)
