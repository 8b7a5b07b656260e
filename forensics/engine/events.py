"""Events (changes of state) and damage chains, from the changes and versions tables.

An event compares a path's version in a commit with its first parent's (for a rename, the old
path's). Copies and other new paths are new: ``added_damaged`` when born damaged. Damage chains walk
each damaged path's lineage backwards, blob by blob, through the change that produced each version,
so merges, renames and branch commits are followed exactly as history recorded them.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forensics.engine.health import HEALTHY, UNREADABLE
from forensics.engine.states import DAMAGED_STATES, HOLLOWED, LEGACY, PLACEHOLDER

EVENT_KINDS = ("broke", "healed", "marked", "unmarked", "added_damaged", "deleted_damaged")
EVENT_COLUMNS = [
    "sha", "committed_at", "path", "old_path", "event", "markers_before", "markers_after",
    "compiles_before", "compiles_after", "tests_before", "tests_after",
    "order", "author", "kind", "state_before", "state_after", "old_blob", "new_blob",
    "error_kind_before", "error_kind_after",
]
CHAIN_COLUMNS = [
    "path", "state", "blob", "events", "root_cause", "root_cause_event", "root_cause_at",
    "root_cause_path", "damaged_since", "damaged_since_at", "born", "born_from", "complete",
    "last_good_sha", "last_good_path", "last_good_blob", "chain", "edits",
]


def _side(changes: pd.DataFrame, versions: pd.DataFrame, blob_col: str, suffix: str) -> pd.DataFrame:
    v = versions[["blob", "markers", "compiles", "tests", "state", "error_kind"]].rename(
        columns={c: f"{c}_{suffix}" for c in ("markers", "compiles", "tests", "state", "error_kind")})
    return changes[[blob_col]].merge(v, how="left", left_on=blob_col, right_on="blob").drop(columns="blob")


def derive_events(changes: pd.DataFrame, versions: pd.DataFrame, commits: pd.DataFrame) -> pd.DataFrame:
    """One row per (commit, path, event). Columns: EVENT_COLUMNS (CONTRACT's first, then ``order``,
    ``author``, ``kind`` (A/M/D/R/C), ``state_before``/``state_after``, the two blob ids and the
    ``error_kind_before``/``error_kind_after`` of the two versions ("" when they compile)).

    With ``legacy_before``/``legacy_after`` columns in ``changes`` (see
    :mod:`forensics.engine.legacy`), a legacy version's state is ``legacy`` and it counts as
    "not damaged": born legacy is no ``added_damaged``, a port to this Python no ``healed``, and a
    legacy version that starts failing for another reason ``broke``."""
    subj = changes[~changes["is_backup"]].reset_index(drop=True)
    before = _side(subj, versions, "old_blob", "before")
    after = _side(subj, versions, "new_blob", "after")
    df = pd.concat([subj, before.drop(columns="old_blob"), after.drop(columns="new_blob")], axis=1)
    legacy_b = df["legacy_before"].astype(bool) if "legacy_before" in df else pd.Series(False, index=df.index)
    legacy_a = df["legacy_after"].astype(bool) if "legacy_after" in df else pd.Series(False, index=df.index)
    df["state_before"] = df["state_before"].mask(legacy_b, LEGACY)
    df["state_after"] = df["state_after"].mask(legacy_a, LEGACY)
    if "hollowed_before" in df:     # a lineage's state (forensics.engine.hollowing), like legacy
        df["state_before"] = df["state_before"].mask(df["hollowed_before"].astype(bool), HOLLOWED)
        df["state_after"] = df["state_after"].mask(df["hollowed_after"].astype(bool), HOLLOWED)
    is_new = df["kind"].isin(["A", "C"])
    is_gone = df["kind"] == "D"
    both = ~is_new & ~is_gone
    sb, sa = df["state_before"], df["state_after"]
    readable_b = sb.notna() & (sb != UNREADABLE)
    readable_a = sa.notna() & (sa != UNREADABLE)
    damaged_b = readable_b & sb.isin(DAMAGED_STATES)
    damaged_a = readable_a & sa.isin(DAMAGED_STATES)
    ok = both & readable_b & readable_a
    cb = df["compiles_before"].astype("boolean") | legacy_b   # legacy: not compiling, but not damage either
    ca = df["compiles_after"].astype("boolean") | legacy_a
    mb = df["markers_before"].fillna(0)
    ma = df["markers_after"].fillna(0)
    masks = {
        "broke": ok & cb.fillna(False) & ~ca.fillna(True),
        "healed": ok & ~cb.fillna(True) & ca.fillna(False),
        "marked": ok & (mb == 0) & (ma > 0),
        "unmarked": ok & (mb > 0) & (ma == 0),
        "added_damaged": is_new & damaged_a,
        "deleted_damaged": is_gone & damaged_b,
        # only when placeholder signatures are hunted (forensics.engine.placeholders)
        "placeholder": ok & (sa == PLACEHOLDER) & (sb != PLACEHOLDER),
        "placeholder_cleared": ok & (sb == PLACEHOLDER) & (sa == HEALTHY),
        # the code of a hollowed file went (hollowed) or came back (healed: it compiled all along)
        "hollowed": ok & (sa == HOLLOWED) & (sb != HOLLOWED),
        "healed:code": ok & (sb == HOLLOWED) & (sa == HEALTHY),
    }
    parts = []
    for rank, (name, mask) in enumerate(masks.items()):
        part = df[mask.astype(bool)].copy()
        part["event"] = name.partition(":")[0]
        part["_rank"] = rank
        parts.append(part)
    ev = pd.concat(parts, ignore_index=True) if parts else df.iloc[0:0].assign(event="", _rank=0)
    meta = commits[["sha", "committed_at", "author"]]
    ev = ev.merge(meta, on="sha", how="left")
    ev = ev.sort_values(["order", "path", "_rank"], kind="stable").reset_index(drop=True)
    for col in ("markers_before", "markers_after", "tests_before", "tests_after"):
        ev[col] = ev[col].astype("Int64")
    for col in ("compiles_before", "compiles_after"):
        ev[col] = ev[col].astype("boolean")
    new_only = ev["kind"].isin(["A", "C"])
    gone = ev["kind"] == "D"
    for col in ("markers_before", "compiles_before", "tests_before"):
        ev.loc[new_only, col] = pd.NA
    for col in ("markers_after", "compiles_after", "tests_after"):
        ev.loc[gone, col] = pd.NA
    # absent sides have no state: "" (not NaN/NA, so tables round-trip through Parquet unchanged)
    ev["state_before"] = ev["state_before"].where(~new_only, "").fillna("").astype(object)
    ev["state_after"] = ev["state_after"].where(~gone, "").fillna("").astype(object)
    ev["error_kind_before"] = ev["error_kind_before"].where(~new_only, "").fillna("").astype(object)
    ev["error_kind_after"] = ev["error_kind_after"].where(~gone, "").fillna("").astype(object)
    ev["old_path"] = ev["old_path"].where(~new_only | (ev["kind"] == "C"), "")
    out = ev[EVENT_COLUMNS].copy()
    return out


@dataclass
class _Change:
    order: int
    sha: str
    path: str
    old_path: str
    kind: str
    old_blob: str
    new_blob: str


class Lineage:
    """Which change produced each (path, blob), and each blob's first producer on any path."""

    def __init__(self, changes: pd.DataFrame, versions: pd.DataFrame) -> None:
        self.hollowed = hollowed_pairs(changes)
        # positions by blob, built vectorised; the changes of a blob become objects only when a chain
        # reaches it (a large history has hundreds of thousands of changes, chains touch a few thousand)
        written = changes[changes["new_blob"] != ""]
        cols = ["order", "sha", "path", "old_path", "kind", "old_blob", "new_blob"]
        self._arrays = [written[c].to_numpy(dtype=object) if c != "order" else written[c].to_numpy() for c in cols]
        codes, blobs = pd.factorize(written["new_blob"])
        self._sorted = np.argsort(codes, kind="stable")
        self._bounds = np.searchsorted(codes[self._sorted], np.arange(len(blobs) + 1)).tolist()
        self._code = dict(zip(blobs.tolist(), range(len(blobs))))
        self._of_blob: dict[str, list[_Change]] = {}
        self.state = dict(zip(versions["blob"], versions["state"]))

    def state_at(self, path: str, blob: str) -> str | None:
        """The state of ``blob`` at ``path``: the blob's own, or ``hollowed`` in a hollowed lineage."""
        return HOLLOWED if (path, blob) in self.hollowed else self.state.get(blob)

    def by_blob(self, blob: str) -> list[_Change]:
        """Every change that wrote ``blob``, at any path."""
        found = self._of_blob.get(blob)
        if found is None:
            order, sha, path, old_path, kind, old_blob, new_blob = self._arrays
            k = self._code.get(blob)
            lo, hi = (self._bounds[k], self._bounds[k + 1]) if k is not None else (0, 0)
            found = [_Change(int(order[i]), sha[i], path[i], old_path[i], kind[i], old_blob[i], new_blob[i])
                     for i in self._sorted[lo:hi].tolist()]
            self._of_blob[blob] = found
        return found

    def producer(self, path: str, blob: str, before: int) -> _Change | None:
        """The newest change with order <= ``before`` that wrote ``blob`` at ``path``."""
        best = None
        for ch in self.by_blob(blob):
            if ch.path == path and ch.order <= before and (best is None or ch.order > best.order):
                best = ch
        return best

    def copy_source(self, born: _Change) -> _Change | None:
        """An older change that wrote the same blob at another path (an exact copy git called A)."""
        best = None
        for ch in self.by_blob(born.new_blob):
            if ch.order < born.order and ch.path != born.path and (best is None or ch.order > best.order):
                best = ch
        return best

    def last_healthy(self, path: str, blob: str, before: int, hops: int = 10_000) -> tuple[str, str, str] | None:
        """(producing sha, path, blob) of the newest healthy version in this lineage, or None."""
        while hops > 0:
            hops -= 1
            if self.state_at(path, blob) == HEALTHY:
                ch = self.producer(path, blob, before)
                return (ch.sha if ch else "", path, blob)
            ch = self.producer(path, blob, before)
            if ch is None:
                return None
            if ch.kind == "C":
                path, blob, before = ch.old_path, ch.old_blob, ch.order - 1
                continue
            if ch.kind == "A":
                src = self.copy_source(ch)
                if src is None:
                    return None
                path, before = src.path, src.order
                continue
            path, blob, before = ch.old_path, ch.old_blob, ch.order - 1
        return None


def hollowed_pairs(changes: pd.DataFrame) -> set[tuple[str, str]]:
    """The (path, blob) versions a scan found hollowed, from the changes' ``hollowed_before`` /
    ``hollowed_after`` columns (empty when the table has none)."""
    if "hollowed_after" not in changes:
        return set()
    a = changes[changes["hollowed_after"].astype(bool)]
    b = changes[changes["hollowed_before"].astype(bool)]
    return set(zip(a["path"], a["new_blob"])) | set(zip(b["old_path"], b["old_blob"]))


def damage_chains(tree_states: pd.DataFrame, changes: pd.DataFrame, versions: pd.DataFrame,
                  events: pd.DataFrame, rev_order: int) -> pd.DataFrame:
    """One row per damaged path in ``tree_states`` (columns ``path``, ``blob``, ``state``).

    Columns: CHAIN_COLUMNS. ``chain`` is the list of (sha, path, event) oldest first; ``root_cause``
    the commit of its first event; ``damaged_since`` the commit after which the path has been damaged
    without interruption (the same commit: the chain starts at the last healthy version);
    ``born`` is A/C when the chain starts with the path's birth (``born_from``: the copy's source);
    ``complete`` is False when the lineage leaves the scanned history (``--since``, shallow clone,
    unreadable objects); ``last_good_*`` name the newest healthy version before the damage,
    following renames and copies (empty when none exists); ``edits`` lists, oldest first, the commits
    after the damage that changed the path without an event (neither damage nor repair)."""
    lineage = Lineage(changes[~changes["is_backup"]], versions)
    ev_index: dict[tuple[str, str], list[tuple[str, str, str, object]]] = defaultdict(list)
    for sha, path, event, at in events[["sha", "path", "event", "committed_at"]].itertuples(index=False, name=None):
        ev_index[(sha, path)].append((sha, path, event, at))
    rows = []
    damaged = tree_states[tree_states["state"].isin(DAMAGED_STATES)]   # legacy and unreadable are not damage
    for path, blob, state in damaged[["path", "blob", "state"]].itertuples(index=False, name=None):
        steps: list[_Change] = []
        cur_path, cur_blob, before = path, blob, rev_order
        complete, born, born_from = False, "", ""
        last_good: tuple[str, str, str] | None = None
        while True:
            ch = lineage.producer(cur_path, cur_blob, before)
            if ch is None:
                break
            steps.append(ch)
            if ch.kind in ("A", "C"):
                born, complete = ch.kind, True
                src = ch if ch.kind == "C" else lineage.copy_source(ch)
                if src is not None:
                    born_from = src.old_path if ch.kind == "C" else src.path
                    if ch.kind == "C":
                        last_good = lineage.last_healthy(ch.old_path, ch.old_blob, ch.order - 1)
                    else:
                        last_good = lineage.last_healthy(src.path, src.new_blob, src.order)
                break
            before_state = lineage.state_at(ch.old_path, ch.old_blob)
            if before_state == HEALTHY:
                complete = True
                prod = lineage.producer(ch.old_path, ch.old_blob, ch.order - 1)
                last_good = (prod.sha if prod else "", ch.old_path, ch.old_blob)
                break
            if before_state in (None, UNREADABLE):
                break
            cur_path, cur_blob, before = ch.old_path, ch.old_blob, ch.order - 1
        chain = [e for ch in reversed(steps) for e in ev_index.get((ch.sha, ch.path), ())]
        # changes after the damage that were neither damage nor repair: what a restore would lose
        edits = [ch.sha for ch in reversed(steps[:-1]) if not ev_index.get((ch.sha, ch.path))
                 and not (ch.kind == "R" and ch.old_blob == ch.new_blob)]
        first = chain[0] if chain else None
        rows.append((
            path, state, blob, len(chain),
            first[0] if first else "", first[2] if first else "", first[3] if first else pd.NaT,
            first[1] if first else "", first[0] if first else "", first[3] if first else pd.NaT,
            born, born_from, complete and bool(chain),
            last_good[0] if last_good else "", last_good[1] if last_good else "",
            last_good[2] if last_good else "",
            [(e[0], e[1], e[2]) for e in chain], edits,
        ))
    out = pd.DataFrame(rows, columns=CHAIN_COLUMNS)
    for col in ("path", "root_cause_path", "born_from", "last_good_path", "chain", "edits"):
        out[col] = out[col].astype(object)
    for col in ("root_cause_at", "damaged_since_at"):
        out[col] = pd.to_datetime(out[col], utc=True)
    return out.sort_values("path", kind="stable").reset_index(drop=True)
