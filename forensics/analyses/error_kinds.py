"""Error kinds: what the versions that do not compile fail with, counted the way responders count by hand
("invalid decimal literal", "unterminated string", "unmatched bracket"), legacy code apart."""
from __future__ import annotations

import pandas as pd

from forensics.engine.error_kinds import ERROR_KINDS
from forensics.engine.states import DAMAGED_STATES, DAMAGING_EVENTS, LEGACY

ERROR_KIND_COLUMNS = ["error_kind", "paths_now", "damaged_now", "legacy_now", "versions", "damaging_events"]


def error_kind_breakdown(result) -> pd.DataFrame:
    """One row per error kind seen (in :data:`forensics.engine.error_kinds.ERROR_KINDS` order), then a
    ``*`` total row. Columns: ERROR_KIND_COLUMNS: ``paths_now`` paths in scope at the revision that do
    not compile (or are unreadable) with that kind, of which ``damaged_now`` are damaged and
    ``legacy_now`` legacy (another dialect's code, born that way: not damage unless ``--strict``);
    ``versions`` distinct versions in the scanned history with that kind; ``damaging_events`` the
    ``broke``/``marked``/``added_damaged`` events whose new version has that kind."""
    subj = result.subjects
    now = subj[subj["error_kind"].fillna("") != ""]
    v = result.versions
    v = v[v["error_kind"].fillna("") != ""]
    ev = result.events
    ev = ev[ev["event"].isin(DAMAGING_EVENTS) & (ev["error_kind_after"].fillna("") != "")]
    rows = []
    for kind in ERROR_KINDS:
        here = now[now["error_kind"] == kind]
        n_versions = int((v["error_kind"] == kind).sum())
        n_events = int((ev["error_kind_after"] == kind).sum())
        if not len(here) and not n_versions and not n_events:
            continue
        rows.append((kind, len(here), int(here["state"].isin(DAMAGED_STATES).sum()),
                     int((here["state"] == LEGACY).sum()), n_versions, n_events))
    out = pd.DataFrame(rows, columns=ERROR_KIND_COLUMNS)
    total = pd.DataFrame([["*", *[int(out[c].sum()) for c in ERROR_KIND_COLUMNS[1:]]]], columns=ERROR_KIND_COLUMNS)
    out = pd.concat([total, out], ignore_index=True)
    for col in ERROR_KIND_COLUMNS[1:]:
        out[col] = out[col].astype("int64")
    out["error_kind"] = out["error_kind"].astype(object)
    return out
