"""The restore list: one row per damaged path at the revision, with what to restore, from where,
and what a restore would throw away. Built from the damage chains; reads no git itself except the
current contents needed for the unmask fallback (through ``result.read_blobs``)."""
from __future__ import annotations

import re
import shlex

import pandas as pd

from forensics.engine.gitdata import path_bytes
from forensics.engine.health import HEALTHY, judge, unmask
from forensics.engine.tiers import DEFAULT_TIERS, Tier, tier_of

RESTORE_COLUMNS = [
    "path", "state", "damaged_since", "damaged_at", "root_cause", "root_cause_at", "last_good_sha",
    "last_good_path", "last_good_at", "source", "backup_path", "tests_now", "tests_last_good",
    "edits_since_damage", "priority", "confidence", "restore_command",
    # beyond the contract
    "tier_label", "tests_recovered", "current_blob", "candidate_blob", "last_good_blob", "backup_sha",
    "backup_at", "backup_blob", "backup_tests", "edits", "markers_now", "fallback", "fallback_blob",
    "fallback_compiles", "code_lines_now", "code_lines_recovered",
]
CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2, "none": 3}


def shell_path(path: str) -> str:
    """A path quoted for a POSIX shell; paths that are not UTF-8 use bash's $'...' form."""
    if path.startswith('"'):
        raw = path_bytes(path)
        return "$'" + "".join(chr(b) if 0x20 <= b < 0x7F and b not in (0x27, 0x5C) else f"\\x{b:02x}" for b in raw) + "'"
    return shlex.quote(path)


def backup_target(path: str) -> str:
    """The path a backup stands for: ``x.py.backup_TS`` -> ``x.py``, ``backups/<set>/a/b.py`` -> ``a/b.py``."""
    from forensics.engine.health import original_name

    parts = path.split("/")
    for i, d in enumerate(parts[:-1]):
        if "backup" in d.lower():
            skip = 2 if d.lower() in ("backups", "backup") and i + 2 < len(parts) else 1
            return original_name("/".join(parts[i + skip:]))
    return original_name(path)


def _backup_candidates(result) -> pd.DataFrame:
    """Every healthy backup version in history or at the revision, with the path it stands for."""
    ch = result.changes[result.changes["is_backup"] & (result.changes["new_blob"] != "")]
    healthy = set(result.versions.loc[result.versions["state"] == HEALTHY, "blob"])
    ch = ch[ch["new_blob"].isin(healthy)]
    tests = dict(zip(result.versions["blob"], result.versions["tests"]))
    at = result.commits.set_index("sha")["committed_at"]
    df = pd.DataFrame({"target": [backup_target(p) for p in ch["path"]], "backup_path": ch["path"].to_numpy(),
                       "blob": ch["new_blob"].to_numpy(), "sha": ch["sha"].to_numpy(),
                       "at": at.reindex(ch["sha"].to_numpy()).to_numpy(), "order": ch["order"].to_numpy(),
                       "tests": [tests.get(b, 0) for b in ch["new_blob"]]},
                      columns=["target", "backup_path", "blob", "sha", "at", "order", "tests"])
    df["at"] = pd.to_datetime(df["at"], utc=True)
    at_rev = set(zip(result.tree["path"], result.tree["blob"]))
    df["at_rev"] = [(p, b) in at_rev for p, b in zip(df["backup_path"], df["blob"])]
    return df


def _first_seen(result, paths: set[str], blobs: set[str]) -> dict[tuple[str, str], object]:
    """When each (path, blob) of ``paths`` and ``blobs`` first existed in git: the earliest commit that
    wrote it."""
    ch = result.changes[result.changes["new_blob"].isin(blobs) & result.changes["path"].isin(paths)]
    at = result.commits.set_index("sha")["committed_at"]
    df = pd.DataFrame({"path": ch["path"].to_numpy(), "blob": ch["new_blob"].to_numpy(),
                       "at": at.reindex(ch["sha"].to_numpy()).to_numpy()})
    first = df.groupby(["path", "blob"], sort=False)["at"].min()
    return {k: pd.Timestamp(v).tz_localize("UTC") if pd.Timestamp(v).tzinfo is None else pd.Timestamp(v)
            for k, v in first.items()}


def restore_list(result, tiers: tuple[Tier, ...] = DEFAULT_TIERS) -> pd.DataFrame:
    """One row per damaged path at the revision (backup paths are never rows). Columns:
    RESTORE_COLUMNS. ``source`` is ``git`` (the newest healthy version before the damage, following
    renames and copies), ``backup`` (a healthy backup whose content is newer than that), or ``none``.
    ``edits_since_damage`` counts commits after the damage that changed the path by neither damage
    nor repair: their work is lost by a restore (listed in ``edits``). ``confidence``: ``high`` (git,
    same path, nothing since), ``medium`` (edits since), ``low`` (lineage through another path, or a
    backup), ``none`` (no healthy source). Sorted by priority, then tests recovered, then path.
    Where no healthy source exists and the version has markers, ``fallback='unmask'`` with whether
    the unmasked text compiles. ``code_lines_now`` / ``code_lines_recovered``: the code lines the
    damaged version holds, and how many more the restore candidate holds (what a restore of a hollowed
    file brings back, 0 when it brings none; :mod:`forensics.engine.content`)."""
    chains = result.chains()
    subj = result.subjects
    tests_now_of = dict(zip(subj["path"], subj["tests"]))
    markers_now_of = dict(zip(subj["path"], subj["markers"]))
    at_of = result.commits.set_index("sha")["committed_at"]
    tests_of = dict(zip(result.versions["blob"], result.versions["tests"]))
    code_of = dict(zip(result.versions["blob"], result.versions["code_lines"])) \
        if "code_lines" in result.versions else {}
    backups = _backup_candidates(result).sort_values("order", kind="stable")
    newest_backup = {t: row for t, row in zip(backups["target"], backups.to_dict("records"))}
    backup_order = {t: o for t, o in zip(backups["target"], backups["order"])}
    first_seen = None
    rows = []
    need_unmask = []
    for c in chains.itertuples(index=False):
        now = {"tests": tests_now_of[c.path], "markers": markers_now_of[c.path]}
        lg_blob = c.last_good_blob
        lg_at = at_of.get(c.last_good_sha, pd.NaT) if c.last_good_sha else pd.NaT
        names = {c.path, c.last_good_path, c.root_cause_path} - {""}   # backups of earlier names count too
        found = [n for n in names if n in newest_backup]
        bk = newest_backup[max(sorted(found), key=lambda n: backup_order[n])] if found else None
        source, backup_path = ("git" if lg_blob else "none"), ""
        if bk is not None:
            if first_seen is None:
                first_seen = _first_seen(result, set(chains["path"]), set(backups["blob"]))
            age = first_seen.get((c.path, bk["blob"]), bk["at"])
            if not lg_blob or (bk["blob"] != lg_blob and (pd.isna(lg_at) or age > lg_at)):
                source = "backup"
            backup_path = bk["backup_path"]
        tests_lg = int(tests_of.get(lg_blob, 0) or 0) if lg_blob else 0
        candidate = bk["blob"] if source == "backup" else lg_blob
        tests_cand = int(bk["tests"]) if source == "backup" else tests_lg
        edits = list(c.edits)
        if source == "none":
            confidence = "none"
        elif source == "backup" or (c.last_good_path and c.last_good_path != c.path):
            confidence = "low"
        elif edits:
            confidence = "medium"
        else:
            confidence = "high"
        tier, label = tier_of(c.path, tiers)
        rows.append({
            "path": c.path, "state": c.state, "damaged_since": c.damaged_since, "damaged_at": c.damaged_since_at,
            "root_cause": c.root_cause, "root_cause_at": c.root_cause_at, "last_good_sha": c.last_good_sha,
            "last_good_path": c.last_good_path, "last_good_at": lg_at, "source": source, "backup_path": backup_path,
            "tests_now": int(now["tests"]), "tests_last_good": tests_lg, "edits_since_damage": len(edits),
            "priority": tier, "confidence": confidence,
            "restore_command": _command(c.path, source, c.last_good_sha, c.last_good_path, lg_blob, bk),
            "tier_label": label, "tests_recovered": tests_cand - int(now["tests"]) if source != "none" else 0,
            "current_blob": c.blob, "candidate_blob": candidate or "", "last_good_blob": lg_blob,
            "backup_sha": bk["sha"] if bk is not None else "", "backup_at": bk["at"] if bk is not None else pd.NaT,
            "backup_blob": bk["blob"] if bk is not None else "", "backup_tests": int(bk["tests"]) if bk is not None else 0,
            "edits": " ".join(edits), "markers_now": int(now["markers"]), "fallback": "", "fallback_blob": "",
            "fallback_compiles": pd.NA,
            "code_lines_now": int(code_of.get(c.blob, 0) or 0),
            "code_lines_recovered": max(0, int(code_of.get(candidate, 0) or 0) - int(code_of.get(c.blob, 0) or 0))
            if candidate else 0,
        })
        if source == "none" and int(now["markers"]) > 0:
            need_unmask.append(len(rows) - 1)
    if need_unmask:
        from forensics.engine.gitdata import blob_id

        contents = result.read_blobs([rows[i]["current_blob"] for i in need_unmask])
        patterns = result.settings.rules.compiled_markers
        for i in need_unmask:
            data = contents.get(rows[i]["current_blob"])
            if data is None:
                continue
            new = unmask(data, patterns)
            health = judge(new, patterns)
            rows[i].update(fallback="unmask", fallback_blob=blob_id(new, result.repo.object_format), fallback_compiles=health.compiles)
    df = pd.DataFrame(rows, columns=RESTORE_COLUMNS)
    df["fallback_compiles"] = df["fallback_compiles"].astype("boolean")
    for col in ("damaged_at", "root_cause_at", "last_good_at", "backup_at"):
        df[col] = pd.to_datetime(df[col], utc=True)
    order = {t.name: i for i, t in enumerate(tiers)}
    df["_tier"] = df["priority"].map(order)
    df = df.sort_values(["_tier", "tests_recovered", "path"], ascending=[True, False, True], kind="stable")
    return df.drop(columns="_tier").reset_index(drop=True)


def _command(path: str, source: str, sha: str, old_path: str, blob: str, bk) -> str:
    target = shell_path(path)
    if source == "backup":
        if bk["at_rev"]:
            return f"cp {shell_path(bk['backup_path'])} {target}"
        return f"git show {shlex.quote(bk['sha'] + ':' + bk['backup_path'])} > {target}"
    if source == "git":
        if sha and old_path == path:
            return f"git restore --source={sha} -- {target}"
        if sha:
            return f"git show {shlex.quote(sha + ':' + old_path)} > {target}"
        return f"git cat-file blob {blob} > {target}"
    return ""


def confidence_by_tier(plan: pd.DataFrame) -> pd.DataFrame:
    """Rows: priority tier; columns: high, medium, low, none, total, tests_recovered."""
    if not len(plan):
        return pd.DataFrame(columns=["priority", "high", "medium", "low", "none", "total", "tests_recovered"])
    t = pd.crosstab(plan["priority"], plan["confidence"]).reindex(columns=list(CONFIDENCE_ORDER), fill_value=0)
    t["total"] = t.sum(axis=1)
    t["tests_recovered"] = plan.groupby("priority")["tests_recovered"].sum()
    return t.reset_index()
