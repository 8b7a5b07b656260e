"""A restore plan is input: a plan that points outside the worktree, into ``.git``, through a symlink,
at a file git does not track, or at one path twice is refused whole before anything is written;
``--branch`` is checked first; saved copies never collide; a SHA-256 repository restores; every row's
outcome is in the log."""
from __future__ import annotations

import csv
import os
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import git, run_cli, tree_digest


def _clone(repo: str, where: Path) -> Path:
    git("clone", "-q", repo, str(where))
    git("-C", str(where), "config", "user.name", "Responder")
    git("-C", str(where), "config", "user.email", "responder@example.com")
    return where


@pytest.fixture(scope="module")
def plan_rows(repo, tmp_path_factory) -> pd.DataFrame:
    """The restore plan of the demo incident at HEAD (the same for every fresh clone)."""
    where = tmp_path_factory.mktemp("plan")
    clone = _clone(repo, where / "clone")
    proc = run_cli("restore-list", str(clone), "--csv", str(where / "plan.csv"), "--no-cache", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return pd.read_csv(where / "plan.csv", dtype=str, keep_default_na=False)


def _git_rows(plan_rows: pd.DataFrame) -> pd.DataFrame:
    return plan_rows[plan_rows["source"] == "git"]


def _plan(tmp_path: Path, rows: pd.DataFrame, name: str = "plan.csv") -> Path:
    out = tmp_path / name
    rows.to_csv(out, index=False)
    return out


def _with_path(plan_rows: pd.DataFrame, path: str) -> pd.DataFrame:
    """The plan with one more row: a real candidate, aimed at ``path``."""
    extra = _git_rows(plan_rows).iloc[[0]].copy()
    extra["path"] = path
    return pd.concat([_git_rows(plan_rows).iloc[1:4], extra], ignore_index=True)


def _assert_refused_and_nothing_written(proc, clone: Path, before: dict, fragment: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "nothing was written" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert tree_digest(clone) == before  # not one file restored, saved or logged


def _refused_in_process(clone: Path, plan: Path, fragment: str, **options) -> None:
    """The library refuses the plan, before writing, with the CLI's exit-2 error."""
    from forensics.errors import ForensicsError
    from forensics.restore.apply import restore

    before = tree_digest(clone)
    with pytest.raises(ForensicsError, match="nothing was written") as refused:
        restore(str(clone), str(plan), apply=True, **options)
    assert fragment in str(refused.value) and refused.value.exit_status == 2
    assert tree_digest(clone) == before


def test_a_row_aimed_outside_the_worktree_refuses_the_plan_in_one_line(repo, plan_rows, tmp_path):
    clone = _clone(repo, tmp_path / "clone")
    before = tree_digest(clone)
    proc = run_cli("restore", str(clone), "--plan", str(_plan(tmp_path, _with_path(plan_rows, "../escaped.py"))),
                   "--apply")
    _assert_refused_and_nothing_written(proc, clone, before, "line 5: path '../escaped.py' contains '..'")
    assert not (tmp_path / "escaped.py").exists()


@pytest.mark.parametrize("path, fragment", [
    ("src/../../escaped.py", "contains '..'"),
    ("/tmp/forensics-absolute-target.py", "absolute path"),
    (".git/hooks/post-checkout", "inside .git"),
    (".GIT/config", "inside .git"),
    ("src/.git/config", "inside .git"),
    ("src//app.py", "not in git's form"),
    ("notes/untracked.py", "does not track"),
    ("src", "not a regular file"),
])
def test_a_row_aimed_outside_the_tracked_files_refuses_the_whole_plan(repo, plan_rows, tmp_path, path, fragment):
    clone = _clone(repo, tmp_path / "clone")
    (clone / "notes").mkdir()
    (clone / "notes" / "untracked.py").write_text("print('mine, not git's')\n")
    _refused_in_process(clone, _plan(tmp_path, _with_path(plan_rows, path)), fragment, force=True)
    assert not (tmp_path / "escaped.py").exists() and not Path("/tmp/forensics-absolute-target.py").exists()


def test_a_symlinked_directory_is_not_followed(repo, plan_rows, tmp_path):
    """The issue's case: with a directory replaced by a symlink, files were written where it pointed."""
    clone = _clone(repo, tmp_path / "clone")
    rows = _git_rows(plan_rows)
    directory = os.path.dirname(rows.iloc[0]["path"])
    elsewhere = tmp_path / "elsewhere"
    os.rename(clone / directory, elsewhere)
    os.symlink(elsewhere, clone / directory)
    outside = tree_digest(elsewhere)
    _refused_in_process(clone, _plan(tmp_path, rows), f"{directory!r} is a symlink", force=True)
    assert tree_digest(elsewhere) == outside


def test_a_symlinked_file_is_not_replaced(repo, plan_rows, tmp_path):
    clone = _clone(repo, tmp_path / "clone")
    rows = _git_rows(plan_rows)
    target = clone / rows.iloc[2]["path"]
    secret = tmp_path / "secret.py"
    secret.write_text("KEEP = 1\n")
    target.unlink()
    os.symlink(secret, target)
    _refused_in_process(clone, _plan(tmp_path, rows), "is a symlink", force=True)
    assert target.is_symlink() and secret.read_text() == "KEEP = 1\n"


def test_a_plan_naming_a_path_twice_is_refused(repo, plan_rows, tmp_path):
    clone = _clone(repo, tmp_path / "clone")
    rows = _git_rows(plan_rows)
    twice = pd.concat([rows.iloc[:3], rows.iloc[[1]]], ignore_index=True)
    _refused_in_process(clone, _plan(tmp_path, twice), "already on line 3", force=True)


@pytest.mark.parametrize("branch, fragment", [("main", "already exists"), ("bad..name", "not a valid branch name"),
                                              ("-f", "not a valid branch name"), ("a b", "not a valid branch name")])
def test_the_branch_is_checked_before_any_file_is_written(repo, plan_rows, tmp_path, branch, fragment):
    clone = _clone(repo, tmp_path / "clone")
    _refused_in_process(clone, _plan(tmp_path, _git_rows(plan_rows)), fragment, branch=branch)


def test_two_runs_in_the_same_second_keep_both_saved_copies(repo, plan_rows, tmp_path, monkeypatch):
    from forensics.restore.apply import restore

    clone = _clone(repo, tmp_path / "clone")
    rows = _git_rows(plan_rows).iloc[:2]
    plan = _plan(tmp_path, rows)
    target = clone / rows.iloc[0]["path"]
    frozen = time.gmtime()
    monkeypatch.setattr(time, "gmtime", lambda *a: frozen)  # both runs in one second, one process
    saved = tmp_path / "saved"
    target.write_text(target.read_text() + "# work 1\n")
    first = restore(str(clone), str(plan), apply=True, force=True, backup_dir=str(saved))
    target.write_text(target.read_text() + "# work 2\n")
    second = restore(str(clone), str(plan), apply=True, force=True, backup_dir=str(saved))
    assert first[0].action == second[0].action == "restored"
    copies = sorted(saved.glob(f"*/{rows.iloc[0]['path']}"))
    assert len(copies) == 2 and copies[0].parent != copies[1].parent
    assert sorted(c.read_text().splitlines()[-1] for c in copies) == ["# work 1", "# work 2"]


def test_every_rows_outcome_is_in_the_log(repo, plan_rows, tmp_path):
    clone = _clone(repo, tmp_path / "clone")
    gits = _git_rows(plan_rows)
    none = plan_rows[plan_rows["source"] == "none"]
    assert len(none) and len(gits) >= 3
    dirty = clone / gits.iloc[1]["path"]
    dirty.write_text(dirty.read_text() + "# uncommitted\n")
    (clone / gits.iloc[2]["path"]).write_bytes(subprocess.run(
        ["git", "-C", str(clone), "cat-file", "blob", gits.iloc[2]["candidate_blob"]],
        capture_output=True, check=True).stdout)                           # already holds its candidate
    rows = pd.concat([gits.iloc[:3], none.iloc[:2]], ignore_index=True)
    log = tmp_path / "log.csv"
    proc = run_cli("restore", str(clone), "--plan", str(_plan(tmp_path, rows)), "--apply", "--log", str(log))
    assert proc.returncode == 1, proc.stdout + proc.stderr  # one refused
    final = {r["path"]: r["action"] for r in csv.DictReader(open(log)) if r["action"] != "restoring"}
    assert final == {gits.iloc[0]["path"]: "restored", gits.iloc[1]["path"]: "refused",
                     gits.iloc[2]["path"]: "already restored",
                     **{p: "skipped" for p in none["path"].iloc[:2]}}


@pytest.fixture(scope="module")
def sha256_clone(repo, tmp_path_factory) -> Path:
    """The demo incident, history and all, in a SHA-256 repository."""
    dest = tmp_path_factory.mktemp("sha256") / "repo"
    git("init", "-q", "--object-format=sha256", "-b", "main", str(dest))
    export = subprocess.run(["git", "-C", repo, "fast-export", "--all"], capture_output=True, check=True).stdout
    subprocess.run(["git", "-C", str(dest), "fast-import", "--quiet"], input=export, check=True, capture_output=True)
    git("-C", str(dest), "checkout", "-q", "-f", "main")
    git("-C", str(dest), "config", "user.name", "Responder")
    git("-C", str(dest), "config", "user.email", "responder@example.com")
    return dest


def test_a_sha256_repository_restores(sha256_clone, tmp_path):
    from forensics import scan

    plan = tmp_path / "plan.csv"
    proc = run_cli("restore-list", str(sha256_clone), "--csv", str(plan), "--no-cache", "--quiet")
    assert proc.returncode == 0, proc.stderr
    rows = pd.read_csv(plan, dtype=str, keep_default_na=False)
    assert len(rows) and all(len(b) == 64 for b in rows["current_blob"])
    proc = run_cli("restore", str(sha256_clone), "--plan", str(plan), "--apply", "--branch", "restored")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "refused" not in proc.stdout
    states = dict(zip(*[scan(sha256_clone, cache=False, progress=False).subjects[c] for c in ("path", "state")]))
    restorable = rows.loc[rows["source"] != "none", "path"]
    assert len(restorable) and all(states[p] == "healthy" for p in restorable)
