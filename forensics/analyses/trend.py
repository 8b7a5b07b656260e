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


def first_parent_chain(result) -> list[str]:
    """The revision's first-parent chain, newest first (the states a reader of ``--rev`` lived through)."""
    parents = dict(zip(result.commits["sha"], result.commits["parents"]))
    sha, out, seen = result.rev_sha, [], set()
    while sha and sha in parents and sha not in seen:
        seen.add(sha)
        out.append(sha)
        ps = str(parents.get(sha, "")).split()
        sha = ps[0] if ps else ""
    return out


def revision_walk(result) -> Iterator[tuple[object, list[tuple[str, str | None, str | None]]]]:
    """The state of the tree at each commit of the revision's first-parent chain, walked back from the
    revision's own tree (so the last state is exactly the census at ``--rev``): for each such commit,
    newest first, (the commit row, [(path, state after it, state before it)]) for the paths its
    change from its first parent undid, a merge's branch commits included. A branch's changes count
    when they land on the chain, never before; branches never merged are not the revision's."""
    commits = result.commits
    parents = dict(zip(commits["sha"], commits["parents"]))
    chain = first_parent_chain(result)
    landed: dict[str, list[str]] = {}
    assigned = set(chain)
    for m in reversed(chain):                      # oldest first: a commit lands where it first arrives
        stack = str(parents.get(m, "")).split()[1:]
        got: list[str] = []
        while stack:
            c = stack.pop()
            if c in assigned or c not in parents:
                continue
            assigned.add(c)
            got.append(c)
            stack.extend(str(parents[c]).split())
        landed[m] = got
    state = dict(zip(result.versions["blob"], result.versions["state"]))
    ch = result.changes[~result.changes["is_backup"]]
    lb = ch["legacy_before"] if "legacy_before" in ch else pd.Series(False, index=ch.index)
    by_sha: dict[str, list[tuple]] = {}
    for sha, order, path, old_path, kind, old_blob, is_legacy in zip(ch["sha"], ch["order"], ch["path"], ch["old_path"],
                                                                     ch["kind"], ch["old_blob"], lb):
        by_sha.setdefault(sha, []).append((int(order), path, old_path, kind, old_blob, bool(is_legacy)))
    current = dict(zip(result.subjects["path"], result.subjects["state"]))
    row_of = {sha: row for sha, row in zip(commits["sha"], commits.itertuples(index=False))}
    order_of = dict(zip(commits["sha"], commits["order"]))
    for m in chain:
        undone: list[tuple[str, str | None, str | None]] = []
        rows = [r for s in sorted([m, *landed[m]], key=lambda s: -int(order_of[s])) for r in by_sha.get(s, ())]
        rows.sort(key=lambda r: -r[0])
        for _, path, old_path, kind, old_blob, is_legacy in rows:
            # a copy's old blob is its source's: the new path did not exist before, like an addition
            before = None if kind in ("A", "C") or not old_blob else (LEGACY if is_legacy else state.get(old_blob, "unreadable"))
            if kind == "R" and old_path and old_path != path:
                undone.append((path, current.pop(path, None), None))
                if before is not None:
                    undone.append((old_path, current.get(old_path), before))
                    current[old_path] = before
                continue
            undone.append((path, current.get(path), before))
            if before is None:
                current.pop(path, None)
            else:
                current[path] = before
        yield row_of[m], undone


def damaged_over_time(result) -> pd.DataFrame:
    """One row per commit of the revision's first-parent chain, oldest first: how many paths in scope
    were marked (markers > 0), broken (not compiling) and damaged (either) in its tree, out of
    ``total``. The last row is the census at the revision. Columns: TREND_COLUMNS."""
    states = result.subjects["state"]
    total = len(states)
    marked = int(states.isin(MARKED_STATES).sum())
    broken = int(states.isin(BROKEN_STATES).sum())
    damaged = int(states.isin(DAMAGED_STATES).sum())
    rows = []
    for c, undone in revision_walk(result):
        rows.append((c.order, c.sha, c.committed_at, marked, broken, damaged, total))
        for _, after, before in undone:
            for s, sign in ((after, -1), (before, 1)):
                if s is not None:
                    total += sign
                    marked += sign * (s in MARKED_STATES)
                    broken += sign * (s in BROKEN_STATES)
                    damaged += sign * (s in DAMAGED_STATES)
    return pd.DataFrame(rows[::-1], columns=TREND_COLUMNS)
