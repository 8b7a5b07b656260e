"""The restore list: one row per damaged path at the revision, with what to restore, from where,
and what a restore would throw away. Built from the damage chains; reads no git itself except the
current contents needed for the unmask fallback (through ``result.read_blobs``)."""
from __future__ import annotations

import re

import pandas as pd

from forensics.analyses.restore_command import restore_command as _command, shell_path  # noqa: F401 (re-exported)
from forensics.engine.health import HEALTHY, judge, unmask
from forensics.engine.tiers import DEFAULT_TIERS, Tier, tier_reason

# The order a lead reads: what and how urgent, what to do and how sure, what it gains and loses,
# then the evidence (commits, times, blobs). SHA lists are not here: see :func:`lost_edits`.
RESTORE_COLUMNS = [
    "path", "priority", "tier_reason", "action", "confidence", "confidence_reason", "tests_recovered",
    "edits_since_damage", "state", "source", "tests_now", "tests_last_good", "last_good_path", "backup_path",
    "restore_command", "damaged_since", "damaged_at", "root_cause", "root_cause_at", "last_good_sha",
    "last_good_at",
    # beyond the contract
    "tier_label", "tests_given_up", "current_blob", "candidate_blob", "last_good_blob", "backup_sha",
    "backup_at", "backup_blob", "backup_tests", "markers_now", "fallback", "fallback_blob", "fallback_compiles",
    "code_lines_now", "code_lines_recovered",
]
LOST_EDIT_COLUMNS = ["path", "sha", "committed_at", "author", "subject", "paths_changed", "is_bulk"]
CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2, "none": 3}


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
    RESTORE_COLUMNS, in the order a lead reads them.

    - ``priority`` and ``tier_reason``: the first tier rule matching the path, and that rule in words.
    - ``action``: what to do, in words; ``restore_command`` the command that does it.
    - ``source``: ``git`` (the newest healthy version before the damage, following renames and
      copies), ``backup`` (a healthy backup whose content is newer than that), or ``none``.
    - ``confidence``: ``high`` (git, same path, nothing since), ``medium`` (later edits would be
      lost), ``low`` (lineage through another path, or a backup), ``none`` (no healthy source);
      ``confidence_reason`` says why for this row (how many later edits, how many of them bulk
      changes, which other path or backup).
    - ``edits_since_damage``: commits after the damage that changed the path by neither damage nor
      repair: their work is lost by a restore (one row each in :func:`lost_edits`).
    - ``tests_recovered``: tests that run after the restore and not now, never negative. A file that
      does not compile runs no test now, so it recovers every test of the restored version;
      ``tests_given_up`` counts the other way (tests that run now and not after the restore).
    - ``fallback``: ``unmask`` where no healthy source exists and the version has markers, with
      whether the unmasked text compiles (``fallback_compiles``).
    - ``code_lines_now`` / ``code_lines_recovered``: the code lines the damaged version holds, and how
      many more the restore candidate holds (what a restore of a hollowed file brings back, 0 when it
      brings none; :mod:`forensics.engine.content`).

    Sorted by priority (the tiers' order), then tests recovered (most first), then path."""
    chains = result.chains()
    subj = result.subjects
    now_of = {p: (int(t), int(m), bool(c)) for p, t, m, c in zip(subj["path"], subj["tests"], subj["markers"], subj["compiles"])}
    at_of = result.commits.set_index("sha")["committed_at"]
    tests_of = dict(zip(result.versions["blob"], result.versions["tests"]))
    code_of = dict(zip(result.versions["blob"], result.versions["code_lines"])) \
        if "code_lines" in result.versions else {}
    backups = _backup_candidates(result).sort_values("order", kind="stable")
    newest_backup = {t: row for t, row in zip(backups["target"], backups.to_dict("records"))}
    backup_order = {t: o for t, o in zip(backups["target"], backups["order"])}
    edits_of = _EditLookup(result)
    first_seen = None
    rows = []
    need_unmask = []
    for c in chains.itertuples(index=False):
        tests_now, markers_now, compiles_now = now_of[c.path]
        runnable_now = tests_now if compiles_now else 0      # a file that does not compile runs no test
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
        moved = bool(c.last_good_path and c.last_good_path != c.path)
        if source == "none":
            confidence = "none"
        elif source == "backup" or moved:
            confidence = "low"
        elif edits:
            confidence = "medium"
        else:
            confidence = "high"
        tier, label, why_tier = tier_reason(c.path, tiers)
        rows.append({
            "path": c.path, "priority": tier, "tier_reason": why_tier,
            "action": _action(source, moved, bk), "confidence": confidence,
            "confidence_reason": _confidence_reason(confidence, source, c.last_good_path if moved else "", backup_path,
                                                    edits_of.describe(edits)),
            "tests_recovered": max(0, tests_cand - runnable_now) if source != "none" else 0,
            "edits_since_damage": len(edits), "state": c.state, "source": source,
            "tests_now": tests_now, "tests_last_good": tests_lg, "last_good_path": c.last_good_path,
            "backup_path": backup_path,
            "restore_command": _command(c.path, source, c.last_good_sha, c.last_good_path, lg_blob, bk),
            "damaged_since": c.damaged_since, "damaged_at": c.damaged_since_at, "root_cause": c.root_cause,
            "root_cause_at": c.root_cause_at, "last_good_sha": c.last_good_sha, "last_good_at": lg_at,
            "tier_label": label, "tests_given_up": max(0, runnable_now - tests_cand) if source != "none" else 0,
            "current_blob": c.blob, "candidate_blob": candidate or "", "last_good_blob": lg_blob,
            "backup_sha": bk["sha"] if bk is not None else "", "backup_at": bk["at"] if bk is not None else pd.NaT,
            "backup_blob": bk["blob"] if bk is not None else "", "backup_tests": int(bk["tests"]) if bk is not None else 0,
            "markers_now": markers_now, "fallback": "", "fallback_blob": "", "fallback_compiles": pd.NA,
            "code_lines_now": int(code_of.get(c.blob, 0) or 0),
            "code_lines_recovered": max(0, int(code_of.get(candidate, 0) or 0) - int(code_of.get(c.blob, 0) or 0))
            if candidate else 0,
        })
        if source == "none" and markers_now > 0:
            need_unmask.append((len(rows) - 1, runnable_now))
    if need_unmask:
        from forensics.engine.gitdata import blob_id

        contents = result.read_blobs([rows[i]["current_blob"] for i, _ in need_unmask])
        patterns = result.settings.rules.compiled_markers
        for i, runnable_now in need_unmask:
            data = contents.get(rows[i]["current_blob"])
            if data is None:
                continue
            new = unmask(data, patterns)
            health = judge(new, patterns)
            gained = max(0, health.tests - runnable_now) if health.compiles else 0
            rows[i].update(fallback="unmask", fallback_blob=blob_id(new, result.repo.object_format),
                           fallback_compiles=health.compiles, tests_recovered=gained,
                           action="unmask the marked lines" if health.compiles else "unmask, then fix by hand",
                           confidence_reason=rows[i]["confidence_reason"] + (
                               "; unmasking the marked lines makes it compile" if health.compiles
                               else "; unmasking leaves it broken: fix by hand"))
    df = pd.DataFrame(rows, columns=RESTORE_COLUMNS)
    df["fallback_compiles"] = df["fallback_compiles"].astype("boolean")
    for col in ("damaged_at", "root_cause_at", "last_good_at", "backup_at"):
        df[col] = pd.to_datetime(df[col], utc=True)
    order = {t.name: i for i, t in enumerate(tiers)}
    df["_tier"] = df["priority"].map(order)
    df = df.sort_values(["_tier", "tests_recovered", "path"], ascending=[True, False, True], kind="stable")
    return df.drop(columns="_tier").reset_index(drop=True)


class _EditLookup:
    """Who made the later edits a restore would lose, and which of them were bulk changes (a commit
    changing at least the bulk threshold of paths): looked up per commit, once."""

    def __init__(self, result) -> None:
        c = result.commits
        self._info = {s: (a, subj, int(n)) for s, a, subj, n in zip(c["sha"], c["author"], c["subject"], c["paths_changed"])}
        self.threshold = int(result.settings.bulk_threshold)

    def info(self, sha: str) -> tuple[str, str, int]:
        return self._info.get(sha, ("", "", 0))

    def describe(self, edits: list[str]) -> str:
        """``3 later edits would be lost, one of them a bulk change ("Fix imports", 412 files)``."""
        if not edits:
            return ""
        n = len(edits)
        bulk = [e for e in edits if self.info(e)[2] >= self.threshold]
        head = f"{n} later edit{'s' if n != 1 else ''} would be lost"
        if bulk:
            _, subject, files = self.info(bulk[0])
            which = (": a bulk change" if n == 1 else ", all of them bulk changes" if len(bulk) == n
                     else f", {_count(len(bulk))} of them {'a bulk change' if len(bulk) == 1 else 'bulk changes'}")
            return f"{head}{which} ({_quoted(subject)}, {files} files)"
        authors = sorted({self.info(e)[0] for e in edits} - {""})
        by = f" by {', '.join(authors[:3])}{' and others' if len(authors) > 3 else ''}" if authors else ""
        return f"{head}{by}, none of them a bulk change: review them before restoring"


def _count(n: int) -> str:
    return "one" if n == 1 else str(n)


def _quoted(subject: str) -> str:
    """A commit subject, whole (a reason is never cut), on one line, in double quotes."""
    return '"' + " ".join(str(subject).split()) + '"'


def _action(source: str, moved: bool, bk) -> str:
    """What to do, in words (``restore_command`` does it)."""
    if source == "backup":
        return "copy the backup back" if bk is not None and bk["at_rev"] else "restore the backup from history"
    if source == "git":
        return "restore the last good version from its earlier path" if moved else "restore the last good version"
    return "fix by hand: no healthy version"


def _confidence_reason(confidence: str, source: str, other_path: str, backup_path: str, edits: str) -> str:
    """Why a row has its confidence, in words a lead can act on."""
    if confidence == "none":
        return "no healthy version in history or in a backup"
    if source == "backup":
        why = f"from the backup {backup_path}, newer than the last good version in git"
    elif other_path:
        why = f"the last good version is at another path ({other_path}): check the content fits here"
    else:
        why = ""
    if confidence == "high":
        return "nothing changed since the damage: the restore loses no work"
    return "; ".join(p for p in (why, edits) if p) or "nothing changed since the damage"


def lost_edits(result, plan: pd.DataFrame | None = None) -> pd.DataFrame:
    """The later edits a restore would throw away, one row per (path, commit), oldest first per path:
    the SHA lists kept out of the restore list's rows. Columns: LOST_EDIT_COLUMNS (``is_bulk``: the
    commit changed at least the bulk threshold of paths). ``plan`` narrows to its paths."""
    chains = result.chains()
    if plan is not None:
        chains = chains[chains["path"].isin(set(plan["path"]))]
    pairs = [(p, e) for p, edits in zip(chains["path"], chains["edits"]) for e in edits]
    if not pairs:
        return pd.DataFrame(columns=LOST_EDIT_COLUMNS)
    info = result.commits.set_index("sha")[["committed_at", "author", "subject", "paths_changed"]]
    df = pd.DataFrame(pairs, columns=["path", "sha"]).join(info, on="sha")
    df["is_bulk"] = df["paths_changed"] >= int(result.settings.bulk_threshold)
    return df[LOST_EDIT_COLUMNS].reset_index(drop=True)


def confidence_by_tier(plan: pd.DataFrame) -> pd.DataFrame:
    """Rows: priority tier; columns: high, medium, low, none, total, tests_recovered."""
    if not len(plan):
        return pd.DataFrame(columns=["priority", "high", "medium", "low", "none", "total", "tests_recovered"])
    t = pd.crosstab(plan["priority"], plan["confidence"]).reindex(columns=list(CONFIDENCE_ORDER), fill_value=0)
    t["total"] = t.sum(axis=1)
    t["tests_recovered"] = plan.groupby("priority")["tests_recovered"].sum()
    return t.reset_index()
