"""Culprits: bulk commits, waves, the scripts behind them, and backup sets.

Touched, damaged and healed are always counted apart (CONTRACT): a culprit *touched* the paths in
scope it changed, *damaged* those that got ``broke``, ``marked`` or ``added_damaged`` in its commits,
and *healed* those that got ``healed`` or ``unmarked``. ``already_damaged`` counts touched paths that
were damaged before it touched them.
"""
from __future__ import annotations

import fnmatch
import os
import re
from datetime import datetime, timedelta

import pandas as pd
from forensics.errors import BadOption
from forensics.engine.states import DAMAGING_EVENTS as DAMAGING, HEALING_EVENTS as HEALING, is_damaged

CULPRIT_COLUMNS = ["kind", "sha", "committed_at", "author", "subject", "paths_changed", "paths_damaged",
                   "paths_healed", "scripts", "last_sha", "commits", "paths_touched", "already_damaged",
                   "reason", "linked_to"]
SCRIPT_NAME_PATTERNS = ("bulk_*", "fix_*", "*fixer*", "migrate_*", "restore_*", "repair_*", "*_fix_*")
_SCRIPT_IN_MESSAGE = re.compile(r"[\w./-]+\.(?:py|sh)\b")
_SUFFIX_TIME = re.compile(r"(20\d{6})[_-]?(\d{6})")


class _Index:
    """Per-commit lookups built once per culprits() call (a large history has thousands of runs)."""

    def __init__(self, result) -> None:
        ch = result.changes[~result.changes["is_backup"]]
        state = dict(zip(result.versions["blob"], result.versions["state"]))
        self.touched: dict[str, set[str]] = {}
        self.first_old: dict[str, list[tuple[int, str, bool]]] = {}
        legacy = ch["legacy_before"] if "legacy_before" in ch else [False] * len(ch)
        for sha, path, old_blob, order, was_legacy in zip(ch["sha"], ch["path"], ch["old_blob"], ch["order"], legacy):
            self.touched.setdefault(sha, set()).add(path)
            was_damaged = bool(old_blob) and not was_legacy and is_damaged(state.get(old_blob))
            self.first_old.setdefault(sha, []).append((order, path, was_damaged))
        ev = result.events
        self.damaged: dict[str, set[str]] = {}
        self.healed: dict[str, set[str]] = {}
        for sha, path, event in zip(ev["sha"], ev["path"], ev["event"]):
            if event in DAMAGING:
                self.damaged.setdefault(sha, set()).add(path)
            elif event in HEALING:
                self.healed.setdefault(sha, set()).add(path)

    def damaged_by(self, shas: list[str]) -> set[str]:
        return set().union(*(self.damaged.get(s, set()) for s in shas))

    def stats(self, shas: list[str]) -> dict[str, int]:
        touched = set().union(*(self.touched.get(s, set()) for s in shas))
        first: dict[str, tuple[int, bool]] = {}
        for s in shas:
            for order, path, was in self.first_old.get(s, ()):
                if path not in first or order < first[path][0]:
                    first[path] = (order, was)
        return {"paths_touched": len(touched), "paths_damaged": len(self.damaged_by(shas)),
                "paths_healed": len(set().union(*(self.healed.get(s, set()) for s in shas))),
                "already_damaged": sum(1 for _, was in first.values() if was)}


def bulk_commits(result, threshold: int | None = None, index: _Index | None = None) -> pd.DataFrame:
    """Commits changing at least ``threshold`` paths (all paths, not only those in scope).
    Columns: CULPRIT_COLUMNS with ``kind='bulk_commit'``."""
    threshold = threshold if threshold is not None else result.settings.bulk_threshold
    c = result.commits[result.commits["paths_changed"] >= threshold]
    index = index or _Index(result)
    rows = []
    for row in c.itertuples(index=False):
        stats = index.stats([row.sha])
        rows.append({"kind": "bulk_commit", "sha": row.sha, "committed_at": row.committed_at, "author": row.author,
                     "subject": row.subject, "paths_changed": row.paths_changed, "scripts": "",
                     "last_sha": row.sha, "commits": 1, "reason": f"changed {row.paths_changed} paths (>= {threshold})",
                     "linked_to": "", **stats})
    return pd.DataFrame(rows, columns=CULPRIT_COLUMNS)


def waves(result, window_minutes: float = 30, min_damaged: int = 20, index: _Index | None = None) -> pd.DataFrame:
    """Runs of two or more commits by one author, each within ``window_minutes`` of the previous
    one, that together damage at least ``min_damaged`` paths. One row per wave (``sha`` the first
    commit, ``last_sha`` the last). Columns: CULPRIT_COLUMNS with ``kind='wave'``."""
    if not (0 <= window_minutes < 1e9):  # also refuses nan and inf
        raise BadOption("--wave-window", window_minutes, "must be a number of minutes, 0 or more")
    c = result.commits.sort_values(["committed_at", "order"])
    index = index or _Index(result)
    rows = []
    window = pd.Timedelta(minutes=window_minutes)
    for (author, email), group in c.groupby(["author", "author_email"], sort=False):
        run: list = []
        for row in list(group.itertuples(index=False)) + [None]:
            if row is not None and run and row.committed_at - run[-1].committed_at <= window:
                run.append(row)
                continue
            if len(run) >= 2 and len(index.damaged_by([r.sha for r in run])) >= min_damaged:
                shas = [r.sha for r in run]
                stats = index.stats(shas)
                if stats["paths_damaged"] >= min_damaged:
                    minutes = (run[-1].committed_at - run[0].committed_at).total_seconds() / 60
                    rows.append({"kind": "wave", "sha": run[0].sha, "committed_at": run[0].committed_at,
                                 "author": author, "subject": f"{len(run)} commits in {minutes:.0f} minutes: {run[0].subject}",
                                 "paths_changed": int(sum(r.paths_changed for r in run)), "scripts": "",
                                 "last_sha": run[-1].sha, "commits": len(run),
                                 "reason": f"{len(run)} commits by one author, gaps <= {window_minutes:g} min",
                                 "linked_to": "", **stats})
            run = [row] if row is not None else []
    return pd.DataFrame(rows, columns=CULPRIT_COLUMNS)


def breakers(result, exclude: set[str], min_damaged: int = 3, index: _Index | None = None) -> pd.DataFrame:
    """Commits outside bulk commits and waves that damaged at least ``min_damaged`` paths (a sed
    unmask that leaves files broken, a bad merge resolution of many files). Columns: CULPRIT_COLUMNS
    with ``kind='breaker'``."""
    ev = result.events[result.events["event"].isin(DAMAGING) & ~result.events["sha"].isin(exclude)]
    counts = ev.groupby("sha")["path"].nunique()
    meta = result.commits.set_index("sha")
    index = index or _Index(result)
    rows = []
    for sha, n in counts[counts >= min_damaged].items():
        m = meta.loc[sha]
        rows.append({"kind": "breaker", "sha": sha, "committed_at": m["committed_at"], "author": m["author"],
                     "subject": m["subject"], "paths_changed": m["paths_changed"], "scripts": "", "last_sha": sha,
                     "commits": 1, "reason": f"damaged {n} paths (>= {min_damaged})", "linked_to": "",
                     **index.stats([sha])})
    return pd.DataFrame(rows, columns=CULPRIT_COLUMNS)


def wave_commits(result, wave_row) -> list[str]:
    """The shas of a wave, oldest first."""
    c = result.commits[(result.commits["author"] == wave_row["author"])
                       & (result.commits["committed_at"] >= wave_row["committed_at"])]
    c = c.sort_values(["committed_at", "order"])
    last = c.index[c["sha"] == wave_row["last_sha"]]
    return c.loc[: last[0], "sha"].tolist() if len(last) else c["sha"].tolist()


def _is_script_name(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0]
    return any(fnmatch.fnmatch(stem, p) for p in SCRIPT_NAME_PATTERNS)


def _is_test_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith("_test.py") or "/tests/" in f"/{path}" or name == "conftest.py"


def backup_sets(result, worktree_paths: list[str] | None = None) -> pd.DataFrame:
    """Backup paths grouped into sets: ``*.backup_YYYYmmdd_HHMMSS`` by suffix, ``backups/<set>/...``
    by directory, ``*.bak``/``*.orig``/``*~`` by kind. Columns: CULPRIT_COLUMNS with
    ``kind='backup_set'`` (``subject`` the set, ``paths_changed`` its copies, ``paths_damaged`` the
    damaged copies, ``reason`` the suffix time, ``sha`` the commit that added most copies, or empty
    for copies only in the worktree), plus ``suffix_time`` (naive wall-clock time from the name)."""
    tree = result.tree[result.tree["is_backup"]]
    added = result.changes[result.changes["is_backup"] & result.changes["kind"].isin(["A", "C", "M", "R"])]
    first_add = added.sort_values("order").drop_duplicates("path", keep="first").set_index("path")["sha"]
    rows: dict[str, dict] = {}
    paths = list(tree.itertuples(index=False))
    extra = [p for p in (worktree_paths or []) if p not in set(tree["path"])]
    for item in paths:
        _add_to_set(rows, item.path, item.state, first_add.get(item.path, ""))
    for p in extra:
        _add_to_set(rows, p, "", "")
    commits = result.commits.set_index("sha")
    out = []
    for key, r in sorted(rows.items()):
        shas = pd.Series([s for s in r["shas"] if s])
        sha = shas.mode().iloc[0] if len(shas) else ""
        meta = commits.loc[sha] if sha else None
        out.append({"kind": "backup_set", "sha": sha, "committed_at": meta["committed_at"] if meta is not None else pd.NaT,
                    "author": meta["author"] if meta is not None else "", "subject": key,
                    "paths_changed": r["n"], "paths_damaged": r["damaged"], "paths_healed": 0, "scripts": "",
                    "last_sha": sha, "commits": len(set(shas)), "paths_touched": r["n"], "already_damaged": r["damaged"],
                    "reason": (f"suffix time {r['time']:%Y-%m-%d %H:%M:%S}" if r["time"] else "")
                              + ("; in the worktree only" if not sha else ""),
                    "linked_to": "", "suffix_time": r["time"]})
    return pd.DataFrame(out, columns=CULPRIT_COLUMNS + ["suffix_time"])


def _add_to_set(rows: dict, path: str, state: str, sha: str) -> None:
    parts = path.split("/")
    key, when = None, None
    for i, d in enumerate(parts[:-1]):
        if "backup" in d.lower():
            key = "/".join(parts[: i + 2]) if d.lower() == "backups" and i + 1 < len(parts) - 1 else "/".join(parts[: i + 1])
            break
    name = parts[-1]
    if key is None:
        low = name.lower()
        i = low.find(".backup")
        if i >= 0:
            key = "*" + name[i:]
        elif low.endswith(".bak"):
            key = "*.bak"
        elif low.endswith(".orig"):
            key = "*.orig"
        else:
            key = "*~"
    m = _SUFFIX_TIME.search(key)
    if m:
        try:
            when = datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S")
        except ValueError:
            when = None
    r = rows.setdefault(key, {"n": 0, "damaged": 0, "shas": [], "time": when})
    r["n"] += 1
    r["damaged"] += is_damaged(state)
    r["shas"].append(sha)


def _local_wall_clock(committed_at_local: str) -> datetime:
    return datetime.fromisoformat(committed_at_local).replace(tzinfo=None)


def scripts(result, culprits: pd.DataFrame, sets: pd.DataFrame, before_hours: float = 24) -> pd.DataFrame:
    """Scripts linked to each bulk commit or wave, with the reason for every link:
    ``same commit`` (a script-like path changed in it), ``named in message``, ``added shortly before``
    (by the same author, within ``before_hours``, with a script-like name), ``backup time`` (a backup
    set whose suffix time precedes the culprit's commit, on its author's clock, by at most two hours).
    Columns: CULPRIT_COLUMNS with ``kind='script'`` (``subject`` and ``scripts`` the script path,
    ``sha`` the commit that last added or changed it, ``linked_to`` the culprit's sha)."""
    ch = result.changes[~result.changes["is_backup"]]
    commits = result.commits.set_index("sha")
    author_of = commits["author"].to_dict()
    time_of = commits["committed_at"].to_dict()
    adds = ch[ch["kind"] == "A"]
    script_adds = [(author_of[s], time_of[s], p) for s, p in zip(adds["sha"], adds["path"]) if _is_script_name(p)]
    all_paths = set(ch["path"])
    last_change: dict[str, list[tuple[int, str]]] = {}
    for p, s, o in zip(ch["path"], ch["sha"], ch["order"]):
        last_change.setdefault(p, []).append((o, s))
    rows = []
    for cul in culprits.itertuples(index=False):
        shas = wave_commits(result, cul._asdict()) if cul.kind == "wave" else [cul.sha]
        links: dict[str, list[str]] = {}
        mine = ch[ch["sha"].isin(shas)]
        for p in sorted(set(mine["path"])):
            if not _is_test_path(p) and (_is_script_name(p) or "/" not in p or p.startswith("scripts/")):
                links.setdefault(p, []).append("same commit")
        for s in shas:
            for name in _SCRIPT_IN_MESSAGE.findall(commits.loc[s, "subject"]):
                hits = [p for p in all_paths if p == name or p.endswith("/" + name)] or [name]
                for p in hits:
                    links.setdefault(p, []).append("named in message")
        t0 = time_of[shas[0]]
        for author, t, path in script_adds:
            if author == cul.author and t0 - pd.Timedelta(hours=before_hours) <= t < t0:
                links.setdefault(path, []).append("added shortly before")
        local = _local_wall_clock(commits.loc[shas[-1], "committed_at_local"])
        for s in sets.itertuples(index=False):
            if s.suffix_time is not None and not pd.isna(s.suffix_time) \
                    and timedelta(0) <= local - s.suffix_time <= timedelta(hours=2):
                for p in links or {"": []}:
                    if p:
                        links[p].append(f"backup time ({s.subject})")
        for p, reasons in links.items():
            limit = commits.loc[shas[-1], "order"]
            earlier = [(o, s) for o, s in last_change.get(p, ()) if o <= limit]
            sha = max(earlier)[1] if earlier else ""
            meta = commits.loc[sha] if sha else None
            rows.append({"kind": "script", "sha": sha, "committed_at": meta["committed_at"] if meta is not None else pd.NaT,
                         "author": meta["author"] if meta is not None else "", "subject": p, "paths_changed": 0,
                         "paths_damaged": cul.paths_damaged, "paths_healed": cul.paths_healed, "scripts": p,
                         "last_sha": sha, "commits": 0, "paths_touched": cul.paths_touched,
                         "already_damaged": cul.already_damaged, "reason": "; ".join(dict.fromkeys(reasons)),
                         "linked_to": cul.sha})
    return pd.DataFrame(rows, columns=CULPRIT_COLUMNS)


def worktree_backups(result) -> list[str]:
    """Backup files present in the worktree but not in the scanned tree (read, never written)."""
    repo = result.repo
    if repo.is_bare:
        return []
    found = []
    rules = result.settings.rules
    for dirpath, dirnames, filenames in os.walk(repo.path):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for f in filenames:
            rel = os.path.relpath(os.path.join(dirpath, f), repo.path).replace(os.sep, "/")
            if rules.is_backup(rel):
                found.append(rel)
    return sorted(found)


def culprits(result, bulk_threshold: int | None = None, wave_window: float = 30, wave_min_damaged: int = 20,
             include_worktree: bool = True, breaker_min_damaged: int = 3) -> pd.DataFrame:
    """Every culprit: bulk commits, waves, other breakers, scripts, backup sets, oldest first within each kind.
    Columns: CULPRIT_COLUMNS (CONTRACT's nine first)."""
    index = _Index(result)
    bulk = bulk_commits(result, bulk_threshold, index)
    wv = waves(result, wave_window, wave_min_damaged, index)
    covered = set(bulk["sha"]) | {s for _, w in wv.iterrows() for s in wave_commits(result, w)}
    brk = breakers(result, covered, breaker_min_damaged, index)
    sets = backup_sets(result, worktree_backups(result) if include_worktree else None)
    main = pd.concat([bulk, wv, brk], ignore_index=True)
    scr = scripts(result, main, sets)
    if len(scr):
        for i, row in main.iterrows():
            names = scr.loc[scr["linked_to"] == row["sha"], "subject"].tolist()
            main.at[i, "scripts"] = " ".join(names)
    for i, s in sets.iterrows():
        if s["sha"]:
            hit = main[main["sha"] == s["sha"]]
            if len(hit):
                sets.at[i, "linked_to"] = s["sha"]
    out = pd.concat([main.sort_values("committed_at"), scr, sets.drop(columns="suffix_time")], ignore_index=True)
    for col in ("paths_changed", "paths_damaged", "paths_healed", "commits", "paths_touched", "already_damaged"):
        out[col] = out[col].fillna(0).astype("int64")
    for col in ("sha", "author", "subject", "scripts", "last_sha", "reason", "linked_to", "kind"):
        out[col] = out[col].fillna("").astype(object)
    out["committed_at"] = pd.to_datetime(out["committed_at"], utc=True)
    return out[CULPRIT_COLUMNS].reset_index(drop=True)
