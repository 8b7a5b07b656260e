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
from forensics.engine.dates import decode_ident, parse_git_date
from forensics.engine.git import Repository, parse_raw_diff
from forensics.engine.gitdata import parse_commit
from forensics.engine.history import CHANGE_COLUMNS, PathScope, change_in_scope
from forensics.engine.settings import Settings



@dataclass(frozen=True)
class CommitChanges:
    """``sha``, its ``committed_at`` (UTC), ``subject`` and ``changes`` (CHANGE_COLUMNS)."""

    sha: str
    committed_at: pd.Timestamp
    subject: str
    changes: pd.DataFrame


def commit_changes(repo: Repository, sha: str, settings: Settings) -> CommitChanges:
    """The changes ``sha`` made to paths in scope (``settings``' pathspec and backup rules)."""
    with repo.commit_reader() as reader:   # the commit's own object, as the history walk reads it
        data = reader.read(sha)
    if data is None:
        raise GitFailed("cat-file", f"commit {sha} is missing or does not match its id")
    text = parse_commit(data, decode_ident)
    args = ["diff-tree", "-r", "-z", "--raw", "--no-abbrev", "--root", "-c", "--no-commit-id", "--no-color",
            "--no-ext-diff", "--no-relative"]
    try:
        raw = repo.run(*args, "-M", "-C", sha, "--", what="diff-tree")
    except GitFailed:   # a missing blob breaks rename detection, as in the history walk
        raw = repo.run(*args, "--no-renames", sha, "--", what="diff-tree")
    scope = PathScope(settings.pathspec, settings.rules, settings.include_backups)
    rows = []
    for entry in parse_raw_diff(raw):
        change = change_in_scope(sha, entry, scope)
        if change is not None:
            rows.append((change[0], -1, *change[1:]))   # order -1: not in the scanned history
    df = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    df["is_backup"] = df["is_backup"].astype(bool)
    return CommitChanges(sha, parse_git_date(text.committed_raw).utc, text.subject, df)
