"""Damage that compiles: which versions are ``hollowed``.

The rule (documented in the README):

1. A change *empties* a file when the file's new version compiles, carries no marker, and holds at
   most a quarter of the code lines its old version held (``code_lines``,
   :mod:`forensics.engine.content`), the old one holding at least :data:`MIN_CODE_LINES`. Renames
   count (old path to new); new files, deletions and copies do not.
2. A commit (or a wave: commits by one author each within 30 minutes of the previous one, counted
   together) *hollows* when it empties at least :data:`MIN_FILES` files alike: that many of its
   emptied files' new versions share one shape (the same number of definitions, statements within a
   band of five: stubs like ``def main(): pass``), and the code it removed did not move: the code
   lines the same commit adds to other paths (new files, grown files) come to less than half of the
   code lines it removed. Every file a hollowing commit empties is ``hollowed``.
3. A hollowed file stays hollowed through later edits (the claim line deleted, a stub edited) until a
   version holds at least half of the code lines of its last version before the hollowing again:
   then it is ``healthy`` (event ``healed``) or whatever its own judgment says. A version of a
   hollowed lineage that does not compile or carries markers is ``broken``/``marked`` as usual.

So a module split into files in the same commit (the code moved), a file deleted outright (a
deletion), a dead-code deletion or one file emptied on purpose (not many files alike), and a small
edit (not most of the code) are not hollowing.

Being a property of a lineage (like ``legacy``), it lives on the ``changes`` table
(``hollowed_before``, ``hollowed_after``) and on the tree at the revision, not on ``versions``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

MIN_FILES = 5          # files one commit must empty alike
MIN_CODE_LINES = 12    # an emptied file held at least this much code
EMPTIED = 0.25         # an emptied file keeps at most this share of its code lines
RECOVERED = 0.5        # a hollowed lineage is healed when it holds this share of its code again
MOVED = 0.5            # code added elsewhere in the commit, as a share of code removed: moved, not lost
WAVE_GAP_MINUTES = 30  # commits by one author this close in time act as one (a wave)

_COLS = ["blob", "compiles", "markers", "code_lines", "statements", "definitions", "readable"]


@dataclass(frozen=True)
class HollowingCommit:
    """A commit that hollowed files: ``sha``, ``files`` it emptied, the code lines they held before
    (``code_before``) and after (``code_after``), the code lines it added elsewhere (``code_added``)."""

    sha: str
    files: int
    code_before: int
    code_after: int
    code_added: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class HollowedLineages:
    """``before``/``after``: one bool per row of the changes table given (its old / new version is
    hollowed); ``hollowed``: every (path, blob) that is hollowed; ``commits``: the hollowing commits."""

    before: list[bool]
    after: list[bool]
    hollowed: set[tuple[str, str]] = field(default_factory=set)
    commits: list[HollowingCommit] = field(default_factory=list)

    def is_hollowed(self, path: str, blob: str) -> bool:
        return (path, blob) in self.hollowed


def waves_of(shas: list[str], commits: pd.DataFrame | None, gap_minutes: float = WAVE_GAP_MINUTES) -> list[list[str]]:
    """``shas`` grouped into waves: runs of these commits by one author, each within ``gap_minutes``
    of the previous one (commits of others in between do not break a run); without ``commits`` (sha,
    author, committed_at) every commit is its own wave."""
    if commits is None or not len(shas):
        return [[s] for s in shas]
    meta = commits[commits["sha"].isin(set(shas))][["sha", "author", "committed_at"]]
    meta = meta.assign(_t=pd.to_datetime(meta["committed_at"], utc=True)).sort_values(["author", "_t", "sha"])
    out: list[list[str]] = []
    gap = pd.Timedelta(minutes=gap_minutes)
    last_author, last_t = None, None
    for sha, author, t in zip(meta["sha"], meta["author"], meta["_t"]):
        if out and author == last_author and t - last_t <= gap:
            out[-1].append(sha)
        else:
            out.append([sha])
        last_author, last_t = author, t
    known = set(meta["sha"])
    return out + [[s] for s in shas if s not in known]


def hollowing_commits(changes: pd.DataFrame, versions: pd.DataFrame,
                      commits: pd.DataFrame | None = None) -> tuple[list[HollowingCommit], set[int]]:
    """The hollowing commits (oldest first) and the row positions (in ``changes``) of the changes
    that emptied a file in one of them. With ``commits``, a wave (:func:`waves_of`) counts as one
    commit: its files are counted, shaped and weighed against the code it added together."""
    if not len(changes) or "code_lines" not in versions:
        return [], set()
    v = versions[_COLS]
    subj = changes.reset_index(drop=True)
    subj = subj.assign(_row=range(len(subj)))
    subj = subj[~subj["is_backup"].astype(bool)]
    mod = subj[subj["kind"].isin(["M", "R"]) & (subj["old_blob"] != "") & (subj["new_blob"] != "")]
    pair = mod[["_row", "sha", "order", "path", "old_blob", "new_blob"]] \
        .merge(v.add_suffix("_b"), left_on="old_blob", right_on="blob_b") \
        .merge(v.add_suffix("_a"), left_on="new_blob", right_on="blob_a")
    emptied = pair[pair["readable_b"].astype(bool) & pair["readable_a"].astype(bool)
                   & pair["compiles_a"].astype(bool) & (pair["markers_a"] == 0)
                   & (pair["code_lines_b"] >= MIN_CODE_LINES)
                   & (pair["code_lines_a"] <= EMPTIED * pair["code_lines_b"])]
    if emptied["path"].nunique() < MIN_FILES:
        return [], set()
    found: list[tuple[int, HollowingCommit]] = []
    rows: set[int] = set()
    size = dict(zip(v["blob"], v["code_lines"]))
    by_sha = dict(tuple(emptied.groupby("sha", sort=False)))
    theirs = dict(tuple(subj[subj["sha"].isin(set(by_sha))].groupby("sha", sort=False)))   # one pass, not one per commit
    for wave in waves_of(sorted(by_sha), commits):
        mine = pd.concat([by_sha[sha] for sha in wave]) if len(wave) > 1 else by_sha[wave[0]]
        if mine["path"].nunique() < MIN_FILES:
            continue
        shape = mine.assign(_band=mine["statements_a"] // 5).groupby(["definitions_a", "_band"]).size()
        if int(shape.max()) < MIN_FILES:
            continue
        removed = int((mine["code_lines_b"] - mine["code_lines_a"]).sum())
        emptied_rows = set(mine["_row"])
        added = sum(_code_added(theirs[sha], size, emptied_rows) for sha in wave)
        if added >= MOVED * removed:
            continue
        for sha in wave:
            part = by_sha[sha]
            found.append((int(part["order"].min()), HollowingCommit(
                sha, int(part["path"].nunique()), int(part["code_lines_b"].sum()), int(part["code_lines_a"].sum()),
                _code_added(theirs[sha], size, emptied_rows))))
        rows.update(int(r) for r in mine["_row"])
    return [c for _, c in sorted(found, key=lambda t: t[0])], rows


def _code_added(commit_changes: pd.DataFrame, size: dict[str, int], emptied_rows: set[int]) -> int:
    """Code lines one commit added to paths other than the ones it emptied: new and copied files
    whole, edited and renamed files by what they grew."""
    others = commit_changes[~commit_changes["_row"].isin(emptied_rows) & (commit_changes["new_blob"] != "")]
    if not len(others):
        return 0
    total = 0
    for kind, ob, nb in zip(others["kind"], others["old_blob"], others["new_blob"]):
        after = int(size.get(nb, 0) or 0)
        before = 0 if kind in ("A", "C") or not ob else int(size.get(ob, 0) or 0)
        total += max(0, after - before)
    return total


def hollowed_lineages(changes: pd.DataFrame, versions: pd.DataFrame,
                      commits: pd.DataFrame | None = None) -> HollowedLineages:
    """Walk ``changes`` (sorted by ``order``) once: the hollowing commits' emptied files (waves of
    ``commits`` counted as one), and every later version of those lineages until the code comes back
    (see the module docstring)."""
    n = len(changes)
    before, after = [False] * n, [False] * n
    hollowing, seeds = hollowing_commits(changes, versions, commits)
    if not seeds:
        return HollowedLineages(before, after)
    v = versions[_COLS]
    size = dict(zip(v["blob"], v["code_lines"]))
    clean = set(v.loc[v["compiles"].astype(bool) & (v["markers"] == 0) & v["readable"].astype(bool), "blob"])
    baseline: dict[tuple[str, str], int] = {}     # (path, blob) in a hollowed lineage -> code it lost
    first = min(seeds)
    cols = zip(changes["path"].tolist()[first:], changes["old_path"].tolist()[first:],
               changes["kind"].tolist()[first:], changes["old_blob"].tolist()[first:],
               changes["new_blob"].tolist()[first:])
    for i, (path, old_path, kind, ob, nb) in enumerate(cols, start=first):
        old = (old_path, ob) if ob else None
        if old is not None and old in baseline:
            before[i] = ob in clean
        if not nb:
            continue
        if i in seeds:
            baseline[(path, nb)] = int(size.get(ob, 0))
        elif old is not None and old in baseline and kind in ("M", "R", "C"):
            if int(size.get(nb, 0)) < RECOVERED * baseline[old]:
                baseline[(path, nb)] = baseline[old]
        if (path, nb) in baseline:
            after[i] = nb in clean
    hollowed = {k for k in baseline if k[1] in clean}
    return HollowedLineages(before, after, hollowed, hollowing)
