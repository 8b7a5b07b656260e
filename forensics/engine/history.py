"""One pass over the history: the ``commits`` and ``changes`` tables from a single ``git log``.

The log is unfiltered (every path), so ``paths_changed`` counts what a commit really touched; the
pathspec is applied here in Python (:mod:`forensics.engine.pathspec`). Renames and copies come from git's
``-M -C``; merges use the combined diff (``-c``), which lists exactly the paths whose merged version
differs from every parent's, each compared with the first parent's version (CONTRACT).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import pandas as pd

from forensics.errors import GitFailed
from forensics.engine.dates import decode_ident, parse_git_date
from forensics.engine.git import Repository, is_null_sha, display_path, nul_tokens, parse_log
from forensics.engine.gitdata import CommitText, parse_commit
from forensics.engine.health import HealthRules, original_name
from forensics.engine.pathspec import Pathspec

# Only ids in git's log output: the commits' text is read from their objects (CommitReader), whose
# framing is a size git states, so nothing a commit holds can forge a record (README "Hostile repositories")
_FORMAT = "%H %P"
_REGULAR = {"100644", "100755"}
_NO_TEXT = CommitText("", "", "", "", "", "", "")

COMMIT_COLUMNS = [
    "sha", "order", "parents", "is_merge", "author", "author_email", "authored_at",
    "authored_at_local", "committer", "committer_email", "committed_at", "committed_at_local",
    "subject", "paths_changed", "paths_matched", "is_boundary",
    "authored_at_raw", "committed_at_raw", "date_flag",
]
CHANGE_COLUMNS = ["sha", "order", "path", "old_path", "kind", "old_blob", "new_blob", "similarity", "is_backup"]


@dataclass
class History:
    """``commits``: one row per commit reachable from the revision (columns COMMIT_COLUMNS; times
    ``authored_at``/``committed_at`` are UTC timestamps, ``*_local`` the ISO text with the author's
    offset (UTC when the offset is out of range), ``*_raw`` the ``<epoch> <offset>`` git stores, and
    ``date_flag`` what was odd about either date (``author_``/``committer_`` + a flag of
    :func:`forensics.engine.dates.parse_git_date`, ``;``-separated, "" when clean); ``order`` 0 is the
    oldest in topological order). ``changes``: one row per (commit, path in
    scope) (columns CHANGE_COLUMNS; ``kind`` A/M/D/R/C; blobs empty where absent; ``is_backup`` marks
    backup evidence). ``renames_detected`` is False when missing objects forced detection off.
    ``git_warnings``: what git warned about while walking (a rename search cut short by the rename
    limit), one line each. ``corrupt_commits``: commits whose object does not match its id (their
    text is left empty: it cannot be trusted)."""

    commits: pd.DataFrame
    changes: pd.DataFrame
    renames_detected: bool
    git_warnings: list[str] = field(default_factory=list)
    corrupt_commits: list[str] = field(default_factory=list)


class PathScope:
    """Which paths are subjects, which are backup evidence, which are out of scope (memoised)."""

    def __init__(self, spec: Pathspec, rules: HealthRules, include_backups: bool) -> None:
        self.spec, self.rules, self.include_backups = spec, rules, include_backups
        self._memo: dict[str, tuple[bool, bool]] = {}

    def __call__(self, path: str) -> tuple[bool, bool]:
        """(kept, is_backup)."""
        got = self._memo.get(path)
        if got is None:
            if self.rules.is_backup(path):
                kept = self.spec.matches(path) or self.spec.matches(original_name(path))
                got = (kept, not self.include_backups)
            else:
                got = (self.spec.matches(path), False)
            self._memo[path] = got
        return got


def change_in_scope(sha: str, entry: tuple[str, str, str, str, str, str, str],
                    scope: PathScope) -> tuple | None:
    """One ``--raw`` entry of commit ``sha`` as a change row (sha, path, old_path, kind, old_blob,
    new_blob, similarity, is_backup), or None when neither side is a regular file in scope. The one
    place that decides what a change is: the history walk and a single commit's changes both use it."""
    status, old_mode, new_mode, old_blob, new_blob, old_path, new_path = entry
    kind = status[0]
    old_ok = not is_null_sha(old_blob) and old_mode in _REGULAR
    new_ok = not is_null_sha(new_blob) and new_mode in _REGULAR
    new_kept, new_backup = scope(new_path) if new_ok else (False, False)
    old_kept, old_backup = scope(old_path) if old_ok else (False, False)
    similarity = int(status[1:]) if kind in ("R", "C") and status[1:].isdigit() else 100
    if kind not in ("A", "D", "R", "C"):
        kind = "M" if (old_ok and new_ok) else ("A" if new_ok else "D")
    if new_kept:
        compared = (kind in ("R", "C") and old_ok and old_kept) or (kind == "M" and old_ok)
        if not compared:                                  # new path, or its old side out of scope
            kind, old_path, old_blob = "A", "", ""
        return (sha, display_path(new_path), display_path(old_path), kind, old_blob, new_blob, similarity, new_backup)
    if old_kept and kind in ("D", "R", "M"):              # deleted, renamed out of scope, or no longer a file
        return (sha, display_path(old_path), display_path(old_path), "D", old_blob, "", 100, old_backup)
    return None


def read_history(repo: Repository, rev_sha: str, scope_spec: Pathspec, rules: HealthRules,
                 include_backups: bool = False, since: str | None = None,
                 progress: Callable[[int], None] | None = None,
                 on_blobs: Callable[[list[str]], None] | None = None, exclude: list[str] | None = None) -> History:
    """Walk every commit reachable from ``rev_sha`` (and not from ``exclude``) once; see
    :class:`History` for the columns. ``on_blobs`` receives each commit's blob ids in scope as they
    stream in, so they can be judged while the walk goes on."""
    try:
        return _read(repo, rev_sha, scope_spec, rules, include_backups, since, progress, True, on_blobs, exclude)
    except GitFailed as exc:
        if "unable to read" not in str(exc) and "bad object" not in str(exc):
            raise
        # A missing blob breaks inexact rename detection; walk again without it rather than stop.
        return _read(repo, rev_sha, scope_spec, rules, include_backups, since, progress, False, on_blobs, exclude)


def _read(repo: Repository, rev_sha: str, spec: Pathspec, rules: HealthRules, include_backups: bool,
          since: str | None, progress: Callable[[int], None] | None, renames: bool,
          on_blobs: Callable[[list[str]], None] | None, exclude: list[str] | None) -> History:
    args = ["log", "--raw", "-z", "--no-abbrev", "--root", "-c", "--topo-order", "--no-color",
            "--no-ext-diff", "--no-relative", f"--format={_FORMAT}"]
    args += ["-M", "-C"] if renames else ["--no-renames"]
    if since:
        args.append(f"--since={since}")
    args += [rev_sha, *[f"^{x}" for x in exclude or ()], "--"]
    scope = PathScope(spec, rules, include_backups)
    boundary = repo.shallow_boundary()
    commits: list[tuple] = []
    changes: list[tuple] = []
    proc = repo.popen(*args)
    assert proc.stdout is not None
    for n, (sha, parents, entries) in enumerate(parse_log(nul_tokens(proc.stdout))):
        first_change = len(changes)
        matched = 0
        for entry in entries:
            change = change_in_scope(sha, entry, scope)
            if change is not None:
                changes.append(change)
                matched += not change[7]
        commits.append((sha, " ".join(parents), len(entries), matched, sha in boundary))
        if on_blobs is not None and len(changes) > first_change:
            on_blobs([b for c in changes[first_change:] for b in (c[4], c[5]) if b])
        if progress is not None:
            progress(n)
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise GitFailed("log", err)
    rows, corrupt = _with_text(repo, commits)
    warnings = [line.strip() for line in err.splitlines() if line.startswith("warning:")]
    return History(_commit_frame(rows), _change_frame(changes, commits), renames, warnings, corrupt)


def _with_text(repo: Repository, commits: list[tuple]) -> tuple[list[tuple], list[str]]:
    """Each commit's row with its author, committer, dates and subject, read from its raw object
    through one ``cat-file --batch``; also the commits whose object does not match its id."""
    rows = []
    with repo.commit_reader() as reader:
        for (sha, parents, total, matched, boundary), (_, data) in zip(commits, reader.read_many(c[0] for c in commits)):
            text = parse_commit(data, decode_ident) if data is not None else _NO_TEXT
            rows.append((sha, parents, *text, total, matched, boundary))
        corrupt = list(reader.mismatched)
    return rows, corrupt


def _commit_frame(rows: list[tuple]) -> pd.DataFrame:
    n = len(rows)
    df = pd.DataFrame(rows, columns=["sha", "parents", "author", "author_email", "authored_at_raw",
                                     "committer", "committer_email", "committed_at_raw", "subject",
                                     "paths_changed", "paths_matched", "is_boundary"], dtype=object)
    df["order"] = list(range(n - 1, -1, -1))
    df["is_merge"] = df["parents"].map(lambda p: len(p.split()) > 1).astype(bool)
    now = time.time()
    flags: list[list[str]] = [[] for _ in range(n)]
    for col, who in (("authored_at", "author"), ("committed_at", "committer")):
        parsed = [parse_git_date(r, now) for r in df[f"{col}_raw"]]
        df[f"{col}_raw"] = [p.raw for p in parsed]
        df[f"{col}_local"] = [p.local for p in parsed]
        df[col] = pd.to_datetime([p.utc for p in parsed], utc=True) if n else pd.Series(dtype="datetime64[ns, UTC]")
        for i, p in enumerate(parsed):
            flags[i].extend(f"{who}_{f}" for f in p.flags.split(";") if f)
    df["date_flag"] = [";".join(f) for f in flags]
    df["paths_changed"] = df["paths_changed"].astype("int64")
    df["paths_matched"] = df["paths_matched"].astype("int64")
    df["is_boundary"] = df["is_boundary"].astype(bool)
    df = df[COMMIT_COLUMNS].sort_values("order", kind="stable").reset_index(drop=True)
    return df


def _change_frame(rows: list[tuple], commits: list[tuple]) -> pd.DataFrame:
    n = len(commits)
    order = {c[0]: n - 1 - i for i, c in enumerate(commits)}
    df = pd.DataFrame(rows, columns=["sha", "path", "old_path", "kind", "old_blob", "new_blob",
                                     "similarity", "is_backup"], dtype=object)
    df["order"] = df["sha"].map(order).astype("int64")
    df["similarity"] = df["similarity"].astype("int64")
    df["is_backup"] = df["is_backup"].astype(bool)
    return df[CHANGE_COLUMNS].sort_values(["order", "path"], kind="stable").reset_index(drop=True)
