"""pydriller on a throwaway view of the evidence.

pydriller (through GitPython) writes to the config of the repository it opens, so it never opens the
evidence: :func:`throwaway_view` makes a temporary bare repository that borrows the evidence's objects
through ``objects/info/alternates`` and copies its refs, then removes it. The view has a config of its
own, so nothing configured in the evidence (hooks, drivers, promisor remotes) applies to pydriller's git
calls. The scan engine itself uses git plumbing (one ``git log``, one ``cat-file --batch``); pydriller
serves as an independent cross-check of commit metadata (tests) and as the "obvious implementation" baseline (benchmarks).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from typing import Iterator

import pandas as pd

from forensics.engine.git import Repository, git_env


@contextmanager
def throwaway_view(repo: Repository) -> Iterator[str]:
    """Yield the path of a temporary bare repository that sees the evidence's objects and refs."""
    tmp = tempfile.mkdtemp(prefix="forensics-view-")
    try:
        # no template (no sample hooks), the evidence's object format, and a config of our own: no promisor
        # remote (a partial clone's missing objects stay missing), no hooks, drivers or helpers of the evidence
        subprocess.run(["git", "init", "-q", "--bare", "--template=", f"--object-format={repo.object_format}", tmp],
                       check=True, env=git_env(), capture_output=True)
        # pydriller's git reads the view's config, not our -c settings: a commit-graph borrowed through
        # the alternates (forged or not) and replace refs are off there too (README "Hostile repositories")
        for key, value in (("core.commitGraph", "false"), ("core.useReplaceRefs", "false")):
            subprocess.run(["git", "--git-dir", tmp, "config", key, value], check=True, env=git_env(), capture_output=True)
        objects = os.path.join(repo.common_dir, "objects")
        with open(os.path.join(tmp, "objects", "info", "alternates"), "w") as fh:
            fh.write(objects + "\n")
        refs = repo.run("for-each-ref", "--format=%(objectname) %(refname)", what="for-each-ref").decode()
        with open(os.path.join(tmp, "packed-refs"), "w") as fh:
            fh.write(refs)
        head = repo.run("rev-parse", "--verify", "--quiet", "HEAD", check=False).decode().strip()
        if head:
            with open(os.path.join(tmp, "HEAD"), "w") as fh:
                fh.write(head + "\n")
        boundary = repo.shallow_boundary()
        if boundary:
            with open(os.path.join(tmp, "shallow"), "w") as fh:
                fh.write("\n".join(sorted(boundary)) + "\n")
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def commits_via_pydriller(repo: Repository, rev_sha: str) -> pd.DataFrame:
    """Commit metadata by pydriller's traversal. Columns: sha, parents, is_merge, author,
    author_email, authored_at (UTC), committed_at (UTC), subject."""
    from pydriller import Repository as PydrillerRepository

    rows = []
    with throwaway_view(repo) as view:
        for c in PydrillerRepository(view, single=None, to_commit=rev_sha, order="topo-order").traverse_commits():
            rows.append((c.hash, " ".join(c.parents), c.merge, c.author.name, c.author.email,
                         pd.Timestamp(c.author_date).tz_convert("UTC"), pd.Timestamp(c.committer_date).tz_convert("UTC"),
                         c.msg.split("\n", 1)[0]))
    return pd.DataFrame(rows, columns=["sha", "parents", "is_merge", "author", "author_email", "authored_at",
                                       "committed_at", "subject"])


COMMIT_FILE_COLUMNS = ["path", "old_path", "change_type", "added_lines", "deleted_lines", "methods_changed"]


def commit_files_via_pydriller(repo: Repository, sha: str, focus_path: str | None = None,
                               max_files: int = 200) -> pd.DataFrame:
    """One commit as pydriller sees it, on the throwaway view (never the evidence): its modified files
    with the lines added and deleted, and the methods changed (pydriller's lizard parse) for
    ``focus_path`` only (a bulk commit's hundreds of files are not parsed). At most ``max_files``
    rows, ``focus_path`` first. Columns: COMMIT_FILE_COLUMNS. The history walk itself stays on git
    plumbing: this is the analyst's per-commit view."""
    from pydriller import Repository as PydrillerRepository

    rows = []
    with throwaway_view(repo) as view:
        for c in PydrillerRepository(view, single=sha).traverse_commits():
            for m in c.modified_files:
                path = m.new_path or m.old_path or ""
                methods = ""
                if focus_path is not None and path == focus_path:
                    methods = " ".join(sorted({meth.name for meth in m.changed_methods}))
                rows.append((path, m.old_path or "", m.change_type.name, m.added_lines, m.deleted_lines, methods))
    df = pd.DataFrame(rows, columns=COMMIT_FILE_COLUMNS)
    if focus_path is not None:
        df = pd.concat([df[df["path"] == focus_path], df[df["path"] != focus_path]])
    return df.head(max_files).reset_index(drop=True)
