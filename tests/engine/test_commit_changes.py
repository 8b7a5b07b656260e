"""``signatures --commit`` takes any commit in the repository: one the scanned revision does not reach
(the scan stops before the incident) gives the same signatures as from the tip, and so does its wave."""
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
def test_a_commit_after_the_scanned_revision_gives_the_same_signatures_as_from_the_tip(incident, repo, role, wave):
    sha = incident["roles"][role][-1]          # the wave's last commit selects the whole wave
    extra = ["--wave"] if wave else []
    tip = _table(repo, "--commit", sha, *extra)
    before = _table(repo, "--rev", "sim/before-breaker", "--commit", sha, *extra)
    cols = ["signature", "files", "lines", "example_before", "example_after", "kind", "marker"]
    assert len(tip) and tip[cols].equals(before[cols])
    if wave:
        assert tip.iloc[0]["files"] == len(incident["sets"]["fixer_fixed"]) + len(incident["sets"]["fixer_marked_healthy"])


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
