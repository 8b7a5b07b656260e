"""One commit's changes, for any commit in the repository (read-only), whether or not the scanned
revision reaches it: ``signatures --commit`` on a commit of another branch.

The rows have the ``changes`` table's columns and rules (:data:`forensics.engine.history.CHANGE_COLUMNS`:
renames compared with the old path, a merge's combined diff against its first parent, paths out of
scope left out, backups flagged); ``order`` is -1, since the commit has no place in the scanned order.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forensics.errors import GitFailed
from forensics.engine.git import NULL_SHA, Repository, display_path, parse_raw_diff
from forensics.engine.history import CHANGE_COLUMNS, PathScope
from forensics.engine.settings import Settings

_REGULAR = {"100644", "100755"}


@dataclass(frozen=True)
class CommitChanges:
    """``sha``, its ``committed_at`` (UTC), ``subject`` and ``changes`` (CHANGE_COLUMNS)."""

    sha: str
    committed_at: pd.Timestamp
    subject: str
    changes: pd.DataFrame


def commit_changes(repo: Repository, sha: str, settings: Settings) -> CommitChanges:
    """The changes ``sha`` made to paths in scope (``settings``' pathspec and backup rules)."""
    head = repo.run("show", "-s", "--no-color", "--format=%cI%x1f%s", sha, "--", what="show").decode(
        "utf-8", "replace").strip()
    committed, _, subject = head.partition("\x1f")
    args = ["diff-tree", "-r", "-z", "--raw", "--no-abbrev", "--root", "-c", "--no-commit-id", "--no-color",
            "--no-ext-diff", "--no-relative"]
    try:
        raw = repo.run(*args, "-M", "-C", sha, "--", what="diff-tree")
    except GitFailed:   # a missing blob breaks rename detection, as in the history walk
        raw = repo.run(*args, "--no-renames", sha, "--", what="diff-tree")
    scope = PathScope(settings.pathspec, settings.rules, settings.include_backups)
    rows = []
    for status, old_mode, new_mode, old_blob, new_blob, old_path, new_path in parse_raw_diff(raw):
        kind = status[0]
        old_ok = old_blob != NULL_SHA and old_mode in _REGULAR
        new_ok = new_blob != NULL_SHA and new_mode in _REGULAR
        new_kept, new_backup = scope(new_path) if new_ok else (False, False)
        old_kept, old_backup = scope(old_path) if old_ok else (False, False)
        similarity = int(status[1:]) if kind in ("R", "C") and status[1:].isdigit() else 100
        if kind not in ("A", "D", "R", "C"):
            kind = "M" if (old_ok and new_ok) else ("A" if new_ok else "D")
        if new_kept:
            if not ((kind in ("R", "C") and old_ok and old_kept) or (kind == "M" and old_ok)):
                kind, old_path, old_blob = "A", "", ""
            rows.append((sha, -1, display_path(new_path), display_path(old_path), kind, old_blob, new_blob,
                         similarity, new_backup))
        elif old_kept and kind in ("D", "R", "M"):
            rows.append((sha, -1, display_path(old_path), display_path(old_path), "D", old_blob, "", 100, old_backup))
    df = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    df["is_backup"] = df["is_backup"].astype(bool)
    return CommitChanges(sha, pd.Timestamp(committed).tz_convert("UTC"), subject, df)
