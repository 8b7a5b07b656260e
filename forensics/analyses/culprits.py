"""Culprits: bulk commits, waves (bursts), churn, other breakers, the scripts behind them (by evidence
only), and backup runs.

Touched, damaged, masked and healed are always counted apart (CONTRACT): a culprit *touched* the
paths in scope it changed, *damaged* those that got ``broke``, ``marked`` or ``added_damaged`` in its
commits, *masked* those that went from broken to compiling only because their code was commented out
(``paths_masked``: never healing), and *healed* those it left healthy. ``already_damaged`` counts
touched paths that were damaged before it touched them; ``paths_still_caused`` counts the paths
damaged at the revision whose root cause is one of its commits, ``paths_still_damaged`` those whose
damage chain passes through it. Main culprits are ranked by damage still present: ``paths_still_caused``,
then ``paths_still_damaged``. ``members`` (a tuple, flattened only in CSV and on the terminal): the
commits inside the culprit that did damage, as (sha, paths still damaged it began, paths it damaged),
most still damaged first: a wave is context, its commits are the names.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from forensics.errors import BadOption

from forensics.analyses.backups import backup_runs
from forensics.analyses.index import CULPRIT_COLUMNS, CulpritIndex, index_of
from forensics.analyses.scripts import SCRIPT_NAME_PATTERNS, link_scripts

MAIN_KINDS = ("bulk_commit", "wave", "breaker")


def _row(kind: str, shas: list[str], index: CulpritIndex, subject: str, evidence: str,
         paths_changed: int | None = None) -> dict:
    first, last = index.meta[shas[0]], index.meta[shas[-1]]
    span = (last["committed_at"] - first["committed_at"]).total_seconds() / 60
    stats = index.stats(shas)
    return {"kind": kind, "sha": shas[0], "committed_at": first["committed_at"], "author": first["author"],
            "subject": subject, "paths_changed": int(paths_changed if paths_changed is not None
                                                     else sum(index.meta[s]["paths_changed"] for s in shas)),
            "scripts": "", "evidence": evidence, "score": 0, "last_sha": shas[-1], "last_at": last["committed_at"],
            "commits": len(shas), "span_minutes": round(span, 1), "linked_to": "", "suffix_first": "",
            "suffix_last": "", **stats, "members": index.commit_counts(shas)}


def bulk_commits(result, threshold: int | None = None, index: CulpritIndex | None = None) -> pd.DataFrame:
    """Commits changing at least ``threshold`` paths (all paths, not only those in scope).
    Columns: CULPRIT_COLUMNS with ``kind='bulk_commit'``."""
    threshold = threshold if threshold is not None else result.settings.bulk_threshold
    index = index or index_of(result)
    c = result.commits[result.commits["paths_changed"] >= threshold]
    rows = [_row("bulk_commit", [sha], index, subject, f"changed {n} paths (>= {threshold})")
            for sha, subject, n in zip(c["sha"], c["subject"], c["paths_changed"])]
    return pd.DataFrame(rows, columns=CULPRIT_COLUMNS)


def bursts(result, window_minutes: float = 30, span_minutes: float = 120) -> list[list[str]]:
    """Runs of two or more commits by one author, each within ``window_minutes`` of the previous one,
    the whole run within ``span_minutes`` (a longer run is split): the shas of each, oldest first."""
    return index_of(result).bursts(result, window_minutes, span_minutes)


def waves(result, window_minutes: float = 30, min_damaged: int = 20, index: CulpritIndex | None = None,
          span_minutes: float = 120, churn_min_damaged: int = 3) -> pd.DataFrame:
    """Bursts (see :func:`bursts`) that damaged paths. A burst that healed at least as many paths as it
    damaged and left none damaged at the revision is ``kind='churn'`` (reported when it damaged at
    least ``churn_min_damaged``); any other burst that damaged at least ``min_damaged`` paths is a
    ``kind='wave'`` (``sha`` its first commit, ``last_sha`` its last). Columns: CULPRIT_COLUMNS."""
    if not (0 <= window_minutes < 1e9) or not (0 < span_minutes < 1e9):  # also refuses nan and inf
        raise BadOption("--wave-window/--wave-span", window_minutes, "must be a number of minutes")
    index = index or index_of(result)
    rows = []
    for shas in bursts(result, window_minutes, span_minutes):
        # a burst's first and last commits that changed no path in scope (a backup commit before the
        # run) are not part of the wave: the wave is what rewrote the files
        while shas and not index.touched.get(shas[0]):
            shas = shas[1:]
        while shas and not index.touched.get(shas[-1]):
            shas = shas[:-1]
        if len(shas) < 2:
            continue
        damaged = index.damaged_by(shas)
        if not damaged:
            continue
        healed = index.healed_by(shas)
        still = index.still_by(shas)
        minutes = (index.meta[shas[-1]]["committed_at"] - index.meta[shas[0]]["committed_at"]).total_seconds() / 60
        if len(healed) >= len(damaged) and not still:
            if len(damaged) >= churn_min_damaged:
                rows.append(_row("churn", shas, index, f"{len(shas)} commits in {minutes:.0f} minutes: "
                                 f"{index.meta[shas[0]]['subject']}",
                                 f"burst of {len(shas)} commits healed {len(healed)} paths, damaged {len(damaged)}, "
                                 f"none still damaged"))
        elif len(damaged) >= min_damaged:
            rows.append(_row("wave", shas, index, f"{len(shas)} commits in {minutes:.0f} minutes: "
                             f"{index.meta[shas[0]]['subject']}",
                             f"{len(shas)} commits by one author, gaps <= {window_minutes:g} min, "
                             f"span <= {span_minutes:g} min"))
    return pd.DataFrame(rows, columns=CULPRIT_COLUMNS)


def churn_shas(result, window_minutes: float = 30, span_minutes: float = 120,
               index: CulpritIndex | None = None) -> set[str]:
    """Commits of every burst that healed as much as it damaged and left nothing damaged (any size)."""
    index = index or index_of(result)
    out: set[str] = set()
    for shas in bursts(result, window_minutes, span_minutes):
        damaged = index.damaged_by(shas)
        if damaged and len(index.healed_by(shas)) >= len(damaged) and not index.still_by(shas):
            out.update(shas)
    return out


def breakers(result, exclude: set[str], min_damaged: int = 3, index: CulpritIndex | None = None) -> pd.DataFrame:
    """Commits outside bulk commits, waves and churn that damaged at least ``min_damaged`` paths (a
    sed unmask that leaves files broken, a bad merge resolution of many files), or any path in a
    hollowing or comment-out the scan found by content (``manifest``). Columns:
    CULPRIT_COLUMNS with ``kind='breaker'``."""
    index = index or index_of(result)
    rows = []
    # commits the scan found by content (a hollowing, a comment-out prefix of a wave) are culprits however few
    by_content = {c["sha"] for c in result.manifest.get("hollowing_commits", [])} | \
        {m["sha"] for m in result.manifest.get("comment_prefixes", [])}
    for sha in result.commits["sha"]:
        n = len(index.damaged.get(sha, ()))
        if (n >= min_damaged or (n and sha in by_content)) and sha not in exclude:
            rows.append(_row("breaker", [sha], index, index.meta[sha]["subject"],
                             f"damaged {n} paths" + (f" (>= {min_damaged})" if n >= min_damaged else "")))
    return pd.DataFrame(rows, columns=CULPRIT_COLUMNS)


def wave_commits(result, wave_row) -> list[str]:
    """The shas of a wave (or churn burst), oldest first: its author's commits from ``sha`` to ``last_sha``."""
    return index_of(result).run_of(wave_row["author"], wave_row["sha"], wave_row["last_sha"])


def culprit_commits(result, row) -> list[str]:
    """The commits of one culprit row: a wave's or churn burst's members, else the row's sha."""
    if row["kind"] in ("wave", "churn"):
        return wave_commits(result, row)
    return [row["sha"]] if row["sha"] else []


def _local(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=None)


def _link_backup_runs(result, main: pd.DataFrame, runs: pd.DataFrame, members: dict[str, list[str]],
                      minutes: float) -> dict[str, list[str]]:
    """Backup runs linked to culprits: added by one of its commits, or whose last suffix time falls
    within ``minutes`` before one of its commits on the author's clock. Returns culprit sha -> run subjects."""
    local = dict(zip(result.commits["sha"], result.commits["committed_at_local"]))
    window = timedelta(minutes=minutes)
    out: dict[str, list[str]] = {}
    for i, run in runs.iterrows():
        added_by, timed = "", []
        last = run["suffix_last"]
        for cul in main.itertuples(index=False):
            shas = members[cul.sha]
            if run["sha"] and run["sha"] in shas:
                added_by = added_by or cul.sha
            elif last and any(timedelta(0) <= _local(local[s]) - datetime.fromisoformat(last) <= window
                              for s in shas):
                timed.append(cul.sha)
        for sha in ([added_by] if added_by else []) + timed:
            out.setdefault(sha, []).append(run["subject"])
        if added_by or timed:
            runs.at[i, "linked_to"] = added_by or timed[0]
    return out


def _content_evidence(result, main: pd.DataFrame, members: dict[str, list[str]]) -> None:
    """Add to ``main``'s ``evidence`` what the scan found by content (:mod:`forensics.engine.hollowing`,
    :mod:`forensics.engine.commentouts`): the files a culprit's commits hollowed, and the comment
    prefix they commented code out with (mined from the lines)."""
    hollowing = {c["sha"]: c for c in result.manifest.get("hollowing_commits", [])}
    prefixes: dict[str, list[dict]] = {}
    for m in result.manifest.get("comment_prefixes", []):
        prefixes.setdefault(m["sha"], []).append(m)
    if not hollowing and not prefixes:
        return
    for i, sha in zip(main.index, main["sha"]):
        notes = []
        shas = members.get(sha, [sha])
        hol = [hollowing[s] for s in shas if s in hollowing]
        if hol:
            notes.append(f"hollowed {sum(h['files'] for h in hol)} files to stubs that compile (code lines "
                         f"{sum(h['code_before'] for h in hol)} -> {sum(h['code_after'] for h in hol)})")
        found: dict[str, int] = {}
        for s in shas:
            for m in prefixes.get(s, []):
                found[m["prefix"]] = found.get(m["prefix"], 0) + m["files"]
        notes += [f"comment-out prefix '{p}' in {n} files" for p, n in found.items()]
        if notes:
            old = main.at[i, "evidence"]
            main.at[i, "evidence"] = "; ".join(([old] if isinstance(old, str) and old else []) + notes)


def culprits(result, bulk_threshold: int | None = None, wave_window: float = 30, wave_min_damaged: int = 20,
             breaker_min_damaged: int = 3, *, wave_span: float = 120, worktree_backups: list[str] | None = None,
             backup_minutes: float = 30, max_scripts: int = 3) -> pd.DataFrame:
    """Every culprit. Main culprits (bulk commits, waves, breakers; a bulk commit inside a wave is
    counted in the wave's row) ranked by ``paths_still_damaged``,
    then paths damaged; then churn bursts, then ``script`` rows (one per (script, culprit) link with
    evidence, ``linked_to`` the culprit), then ``backup_set`` rows (backup runs and snapshot sets).
    ``worktree_backups``: backup paths found in the worktree (see ``ScanResult.worktree_backups``),
    only when asked. Columns: CULPRIT_COLUMNS (CONTRACT's first)."""
    index = index_of(result)
    bulk = bulk_commits(result, bulk_threshold, index)
    wv = waves(result, wave_window, wave_min_damaged, index, wave_span)
    churn = wv[wv["kind"] == "churn"]
    wv = wv[wv["kind"] == "wave"]
    members: dict[str, list[str]] = {r["sha"]: culprit_commits(result, r) for _, r in wv.iterrows()}
    in_waves = {s for shas in members.values() for s in shas}
    # a bulk commit inside a wave is counted in the wave's row (one row per sha among main culprits)
    bulk = bulk[~bulk["sha"].isin(in_waves)]
    covered = set(bulk["sha"]) | in_waves | churn_shas(result, wave_window, wave_span, index)
    brk = breakers(result, covered, breaker_min_damaged, index)
    main = pd.concat([bulk, wv, brk], ignore_index=True)
    for sha in list(bulk["sha"]) + list(brk["sha"]):
        members[sha] = [sha]
    _content_evidence(result, main, members)
    runs = backup_runs(result, worktree_backups)
    run_links = _link_backup_runs(result, main, runs, members, backup_minutes)
    scr = link_scripts(result, main, members, index, run_links, max_scripts)
    if len(scr):
        best = scr[scr["strength"] == "direct"].sort_values(["score", "subject"], ascending=[False, True])
        for sha, group in best.groupby("linked_to", sort=False):
            names = " ".join(group["subject"].head(max_scripts))
            main.loc[main["sha"] == sha, "scripts"] = names
    main = main.sort_values(["paths_still_caused", "paths_still_damaged", "paths_damaged", "paths_touched",
                             "committed_at"], ascending=[False, False, False, False, True], kind="stable")
    rank = {sha: i for i, sha in enumerate(main["sha"])}
    if len(scr):
        scr = scr.assign(_rank=scr["linked_to"].map(rank)).sort_values(["_rank", "score", "subject"],
                                                                        ascending=[True, False, True]).drop(columns="_rank")
    parts = [df for df in (main, churn.sort_values("committed_at"), scr, runs) if len(df)]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CULPRIT_COLUMNS)
    for col in ("paths_changed", "paths_damaged", "paths_healed", "paths_still_damaged", "score", "commits",
                "paths_touched", "already_damaged", "paths_masked", "paths_still_caused"):
        out[col] = out[col].fillna(0).astype("int64")
    out["span_minutes"] = out["span_minutes"].fillna(0.0).astype(float)
    out["members"] = [m if isinstance(m, tuple) else () for m in out["members"]]
    out["strength"] = out["strength"].where(out["kind"] != "script", out["strength"].fillna("direct"))
    for col in ("kind", "sha", "author", "subject", "scripts", "evidence", "last_sha", "linked_to",
                "suffix_first", "suffix_last", "strength"):
        out[col] = out[col].fillna("").astype(object)
    for col in ("committed_at", "last_at"):
        out[col] = pd.to_datetime(out[col], utc=True)
    return out[CULPRIT_COLUMNS].reset_index(drop=True)


__all__ = ["CULPRIT_COLUMNS", "MAIN_KINDS", "bulk_commits", "bursts", "waves", "churn_shas", "breakers",
           "wave_commits", "culprit_commits", "culprits", "SCRIPT_NAME_PATTERNS"]
