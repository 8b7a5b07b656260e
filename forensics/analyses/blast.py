"""Blast radius: how far the damage reaches, by directory and priority tier, at a revision or for
one culprit; and the census over time."""
from __future__ import annotations

import pandas as pd

from forensics.analyses.census import directory_of
from forensics.analyses.culprits import waves, wave_commits
from forensics.engine.states import DAMAGED_STATES, DAMAGING_EVENTS as DAMAGING
from forensics.engine.tiers import DEFAULT_TIERS, Tier, tier_of

BLAST_COLUMNS = ["directory", "tier", "paths", "damaged", "tests_now", "tests_last_good", "tests_lost",
                 "marker_lines", "pct_damaged", "tier_label", "touched"]


def path_table(result, tiers: tuple[Tier, ...] = DEFAULT_TIERS, depth: int = 2) -> pd.DataFrame:
    """Every path in scope at the revision with its directory, tier, state, tests now and at its last
    good version (the same number for healthy paths), and marker lines."""
    subj = result.subjects[["path", "state", "tests", "markers", "blob"]].copy()
    chains = result.chains()
    tests_of = dict(zip(result.versions["blob"], result.versions["tests"]))
    last_good = dict(zip(chains["path"], chains["last_good_blob"]))
    lg = [last_good.get(p, "") for p in subj["path"]]
    subj["tests_last_good"] = [int(tests_of.get(b, t)) if b else int(t) if s == "healthy" else 0
                               for b, t, s in zip(lg, subj["tests"], subj["state"])]
    subj["directory"] = subj["path"].map(lambda p: directory_of(p, depth))
    t = subj["path"].map(lambda p: tier_of(p, tiers))
    subj["tier"] = t.map(lambda x: x[0])
    subj["tier_label"] = t.map(lambda x: x[1])
    subj["damaged"] = subj["state"].isin(DAMAGED_STATES)
    return subj


def culprit_shas(result, sha: str) -> list[str]:
    """The commits of a culprit: the wave ``sha`` starts or belongs to, else the commit itself."""
    for _, w in waves(result, 30, 1).iterrows():
        members = wave_commits(result, w)
        if sha in members:
            return members
    return [sha]


def blast_radius(result, tiers: tuple[Tier, ...] = DEFAULT_TIERS, depth: int = 2,
                 culprit: list[str] | None = None) -> pd.DataFrame:
    """One row per (directory, tier), plus ``directory='*'`` totals per tier first. Columns:
    BLAST_COLUMNS: ``paths`` in scope, ``damaged`` now, tests now and at the last good versions,
    ``tests_lost`` (last good minus now, damaged paths only), ``marker_lines`` now, ``pct_damaged``.
    With ``culprit`` (its commits), rows cover the paths it damaged that are still damaged, and
    ``touched`` counts the paths it changed in each directory."""
    pt = path_table(result, tiers, depth)
    pt["touched"] = 0
    if culprit:
        ch = result.changes[result.changes["sha"].isin(culprit) & ~result.changes["is_backup"]]
        ev = result.events[result.events["sha"].isin(culprit) & result.events["event"].isin(DAMAGING)]
        hit = set(ev["path"])
        touched = set(ch["path"])
        # follow the culprit's paths to where they are now (renames after the damage)
        chains = result.chains()
        now_of = {}
        for c in chains.itertuples(index=False):
            for sha, p, _ in c.chain:
                if sha in culprit:
                    now_of[p] = c.path
        hit_now = {now_of.get(p, p) for p in hit}
        pt["touched"] = pt["path"].isin({now_of.get(p, p) for p in touched}).astype(int)
        pt = pt[pt["path"].isin(hit_now) & pt["damaged"] | (pt["touched"] == 1)]
        pt = pt.assign(damaged=pt["damaged"] & pt["path"].isin(hit_now))
    pt = pt.assign(lost=(pt["tests_last_good"] - pt["tests"]).where(pt["damaged"], 0).clip(lower=0),
                   marker_lines=pt["markers"].where(pt["damaged"], 0))

    if not len(pt):
        return pd.DataFrame(columns=BLAST_COLUMNS)
    agg = {"paths": ("path", "size"), "damaged": ("damaged", "sum"), "tests_now": ("tests", "sum"),
           "tests_last_good": ("tests_last_good", "sum"), "tests_lost": ("lost", "sum"),
           "marker_lines": ("marker_lines", "sum"), "tier_label": ("tier_label", "first"),
           "touched": ("touched", "sum")}
    pt = pt.assign(tests=pt["tests"].fillna(0).astype("int64"), marker_lines=pt["marker_lines"].fillna(0).astype("int64"))
    by_dir = pt.groupby(["directory", "tier"], sort=True).agg(**agg).reset_index()
    total = pt.groupby("tier", sort=True).agg(**agg).reset_index().assign(directory="*")
    out = pd.concat([total, by_dir], ignore_index=True)
    for col in ("paths", "damaged", "tests_now", "tests_last_good", "tests_lost", "marker_lines", "touched"):
        out[col] = out[col].astype("int64")
    out["pct_damaged"] = (100.0 * out["damaged"] / out["paths"]).round(1)
    return out[BLAST_COLUMNS]


def census_over_time(result, tiers: tuple[Tier, ...] = DEFAULT_TIERS, depth: int = 2, freq: str = "day") -> pd.DataFrame:
    """Damaged and total paths per directory and tier in the revision's tree as it stood at the end of
    each UTC day (``freq="day"``; ``at`` is that day at 00:00: one sample per (day, directory, tier))
    or after each first-parent commit (``freq="commit"``). Columns: at, directory, tier, total,
    damaged. Walked back from the revision along its first-parent chain (see
    :func:`forensics.analyses.trend.revision_walk`), so the last sample is the census at ``--rev``."""
    from forensics.analyses.trend import revision_walk

    key_of: dict[str, tuple[str, str]] = {}

    def key(path: str) -> tuple[str, str]:
        k = key_of.get(path)
        if k is None:
            k = key_of[path] = (directory_of(path, depth), tier_of(path, tiers)[0])
        return k

    totals: dict[tuple[str, str], list[int]] = {}
    for path, st in zip(result.subjects["path"], result.subjects["state"]):
        t = totals.setdefault(key(path), [0, 0])
        t[0] += 1
        t[1] += st in DAMAGED_STATES
    rows: list[tuple] = []
    seen_days: set = set()
    for c, undone in revision_walk(result):
        at = c.committed_at if freq == "commit" else c.committed_at.normalize()
        if freq == "commit" or at not in seen_days:   # walking back: the first commit met is the day's last
            seen_days.add(at)
            rows.extend((at, d, t, v[0], v[1]) for (d, t), v in totals.items() if v[0])
        for path, after, before in undone:
            t = totals.setdefault(key(path), [0, 0])
            for s, sign in ((after, -1), (before, 1)):
                if s is not None:
                    t[0] += sign
                    t[1] += sign * (s in DAMAGED_STATES)
    out = pd.DataFrame(rows[::-1], columns=["at", "directory", "tier", "total", "damaged"])
    return out.sort_values(["at", "directory", "tier"], kind="stable").reset_index(drop=True)


def _first_parent_chain(result) -> set[str]:
    parents = dict(zip(result.commits["sha"], result.commits["parents"]))
    sha, out = result.rev_sha, set()
    while sha and sha not in out:
        out.add(sha)
        ps = parents.get(sha, "").split()
        sha = ps[0] if ps else ""
    return out
