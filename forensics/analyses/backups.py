"""Backup runs: the backup copies at the revision grouped the way a script wrote them.

A snapshot directory (a directory component containing ``backup``) is one set. Copies named
``*.backup_YYYYmmdd_HHMMSS`` added by one commit whose suffix times follow each other within a short
gap are one run (a script that ran for 30 seconds writes 30 suffixes: one run). Other backup names
(``*.bak``, ``*.orig``, ``*~``, a suffix without a time) are grouped by kind and adding commit.
"""
from __future__ import annotations

import functools
import re
from datetime import datetime

import pandas as pd

from forensics.analyses.index import CULPRIT_COLUMNS
from forensics.engine.states import is_damaged

_SUFFIX_TIME = re.compile(r"(20\d{6})[_-]?(\d{6})")


@functools.lru_cache(maxsize=65536)
def _suffix_time(text: str) -> datetime | None:
    m = _SUFFIX_TIME.search(text)
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def classify(path: str) -> tuple[str, str]:
    """(``snapshot``, the directory) or (``suffix``, ``*<suffix>``) for one backup path."""
    parts = path.split("/")
    for i, d in enumerate(parts[:-1]):
        if "backup" in d.lower():
            deeper = d.lower() in ("backups", "backup") and i + 1 < len(parts) - 1
            return "snapshot", "/".join(parts[: i + 2] if deeper else parts[: i + 1])
    name = parts[-1]
    low = name.lower()
    i = low.find(".backup")
    if i >= 0:
        return "suffix", "*" + name[i:]
    for ext in (".bak", ".orig"):
        if low.endswith(ext):
            return "suffix", "*" + ext
    return "suffix", "*~"


def backup_runs(result, worktree_backups: list[str] | None = None, gap_seconds: float = 300) -> pd.DataFrame:
    """One row per backup run or snapshot set. Columns: CULPRIT_COLUMNS with ``kind='backup_set'``:
    ``subject`` the set (``backups/<dir>`` or ``*.backup_<first>`` / ``*.backup_<first> .. *.backup_<last>``),
    ``paths_changed`` its copies, ``paths_damaged`` the damaged copies, ``sha`` the commit that added
    most of them (empty for copies only in the worktree), ``suffix_first``/``suffix_last`` the
    suffix times (the author's wall clock, ``YYYY-mm-ddTHH:MM:SS``, no zone), ``evidence`` in words."""
    tree = result.tree[result.tree["is_backup"]]
    added = result.changes[result.changes["is_backup"] & (result.changes["new_blob"] != "")]
    newest_first = added.sort_values("order", ascending=False)
    first_add = dict(zip(newest_first["path"], newest_first["sha"]))   # the oldest add wins
    items = [(p, s, first_add.get(p, "")) for p, s in zip(tree["path"], tree["state"])]
    known = set(tree["path"])
    items += [(p, "", "") for p in (worktree_backups or []) if p not in known]
    groups: dict[tuple, list[tuple[str, str, str, datetime | None]]] = {}
    timed: dict[str, list[tuple[datetime, str, str, str, str]]] = {}
    for path, state, sha in items:
        kind, key = classify(path)
        when = _suffix_time(key) if kind == "suffix" else None
        if kind == "suffix" and when is not None:
            timed.setdefault(sha, []).append((when, key, path, state, sha))
        else:
            groups.setdefault((key, sha if kind == "suffix" else ""), []).append((path, state, sha, None))
    for sha, rows in timed.items():
        rows.sort()
        start = 0
        for i in range(1, len(rows) + 1):
            if i < len(rows) and (rows[i][0] - rows[i - 1][0]).total_seconds() <= gap_seconds:
                continue
            run = rows[start:i]
            first, last = run[0][1], run[-1][1]
            key = first if first == last else f"{first} .. {last}"
            groups[(key, sha)] = [(p, s, h, w) for w, _, p, s, h in run]
            start = i
    meta = result.commits.set_index("sha")
    out = []
    for (key, _), rows in sorted(groups.items(), key=lambda kv: kv[0]):
        shas = pd.Series([r[2] for r in rows if r[2]], dtype=object)
        sha = shas.mode().iloc[0] if len(shas) else ""
        times = [r[3] for r in rows if r[3] is not None]
        damaged = sum(1 for r in rows if is_damaged(r[1]))
        if times:
            span = (max(times) - min(times)).total_seconds()
            evidence = (f"{len(rows)} copies, suffix times over {span:.0f} s"
                        f" ({min(times):%Y-%m-%d %H:%M:%S} .. {max(times):%H:%M:%S}, author's clock)")
        elif "/" in key and not key.startswith("*"):
            evidence = f"snapshot directory of {len(rows)} copies"
        else:
            evidence = f"{len(rows)} copies named {key}"
        if not sha:
            evidence += "; in the worktree only"
        m = meta.loc[sha] if sha else None
        out.append({"kind": "backup_set", "sha": sha, "committed_at": m["committed_at"] if m is not None else pd.NaT,
                    "author": m["author"] if m is not None else "", "subject": key, "paths_changed": len(rows),
                    "paths_damaged": damaged, "paths_healed": 0, "scripts": "", "paths_still_damaged": 0,
                    "evidence": evidence, "score": 0, "last_sha": sha,
                    "last_at": m["committed_at"] if m is not None else pd.NaT, "commits": int(shas.nunique()),
                    "span_minutes": round((max(times) - min(times)).total_seconds() / 60, 1) if times else 0.0,
                    "paths_touched": len(rows), "already_damaged": damaged, "linked_to": "",
                    "suffix_first": f"{min(times):%Y-%m-%dT%H:%M:%S}" if times else "",
                    "suffix_last": f"{max(times):%Y-%m-%dT%H:%M:%S}" if times else ""})
    return pd.DataFrame(out, columns=CULPRIT_COLUMNS)
