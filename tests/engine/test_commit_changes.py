"""``signatures --commit`` takes any commit in the history of ``--rev``: one the scan window leaves out
(``--since``) is read directly and gives the same signatures as a full scan, and so does its wave; a
commit outside that history is one line naming ``--rev`` and exit 2."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from conftest import git, run_cli
from forensics.engine.commit_changes import commit_changes


def _table(repo: str, *args: str) -> pd.DataFrame:
    proc = run_cli("signatures", repo, *args, "--csv", "-", "--no-cache", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return pd.read_csv(io.StringIO(proc.stdout), keep_default_na=False)


@pytest.mark.parametrize("role, wave", [("placeholder", False), ("fixer", True)])
def test_a_commit_the_scan_window_leaves_out_gives_the_same_signatures_as_a_full_scan(incident, repo, role, wave):
    sha = incident["roles"][role][-1]          # the wave's last commit selects the whole wave
    extra = ["--wave"] if wave else []
    full = _table(repo, "--commit", sha, *extra)
    after = git("show", "-s", "--format=%cI", sha, cwd=repo).strip()
    later = (pd.Timestamp(after) + pd.Timedelta(days=1)).isoformat()
    windowed = _table(repo, "--since", later, "--commit", sha, *extra)
    cols = ["signature", "files", "lines", "example_before", "example_after", "kind", "marker"]
    assert len(full) and full[cols].equals(windowed[cols])
    if wave:
        assert full.iloc[0]["files"] == len(incident["sets"]["fixer_fixed"]) + len(incident["sets"]["fixer_marked_healthy"])


@pytest.mark.parametrize("command", [["signatures", "--commit"], ["signatures", "--wave", "--commit"], ["hunt", "--from"],
                                     ["census", "--signatures-from"]])
def test_a_culprit_outside_the_history_of_rev_is_one_line_naming_rev_and_exit_2(incident, repo, command):
    """The incident on another branch than the one scanned: no background, no paths to hunt there."""
    sha = incident["roles"]["fixer"][-1]
    proc = run_cli(command[0], repo, "--rev", "sim/before-breaker", *command[1:], sha, "--no-cache", "--quiet")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "--rev sim/before-breaker" in proc.stderr and sha in proc.stderr


def test_a_commits_changes_are_read_with_the_scan_rules(incident, repo, scanned):
    sha = incident["roles"]["bulk_script"][0]
    got = commit_changes(scanned.repo, sha, scanned.settings)
    want = scanned.changes[scanned.changes["sha"] == sha]
    key = ["path", "old_path", "kind", "old_blob", "new_blob", "is_backup"]
    assert sorted(map(tuple, got.changes[key].values.tolist())) == sorted(map(tuple, want[key].values.tolist()))
    assert got.committed_at == scanned.commits.set_index("sha").loc[sha, "committed_at"]
    assert got.subject == git("show", "-s", "--format=%s", sha, cwd=repo).strip()


def test_a_commit_that_does_not_exist_is_one_line_and_exit_2(repo):
    proc = run_cli("signatures", repo, "--commit", "0" * 40, "--no-cache", "--quiet")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
