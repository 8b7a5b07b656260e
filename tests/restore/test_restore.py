"""Restoration: the candidate list against the truth, and a restore that loses nothing."""
from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from conftest import git, run_cli
from forensics import scan
from forensics.engine.git import blob_id
from forensics.analyses.restore_list import lost_edits, restore_list


@pytest.fixture(scope="module")
def plan(scanned):
    return restore_list(scanned)


def _clone(repo: str, where: Path) -> Path:
    git("clone", "-q", repo, str(where))
    git("-C", str(where), "config", "user.name", "Responder")
    git("-C", str(where), "config", "user.email", "responder@example.com")
    return where


def _write_plan(repo: Path, target: Path) -> Path:
    proc = run_cli("restore-list", str(repo), "--csv", str(target), "--no-cache", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return target


def test_one_row_per_damaged_path_and_never_a_backup(incident, plan):
    assert set(plan["path"]) == set(incident["chains"])
    assert not plan["path"].str.contains("backup|\\.bak$").any()
    contract = ["path", "state", "damaged_since", "damaged_at", "root_cause", "root_cause_at", "last_good_sha",
                "last_good_path", "last_good_at", "source", "backup_path", "tests_now", "tests_last_good",
                "edits_since_damage", "priority", "confidence", "restore_command"]
    assert set(contract) <= set(plan.columns) and list(plan.columns[:2]) == ["path", "priority"]


def test_every_last_good_version_and_source(incident, plan):
    rows = plan.set_index("path")
    for path, truth in incident["chains"].items():
        row = rows.loc[path]
        lg = truth["last_good"]
        if lg is None:
            assert row["last_good_sha"] == "" and row["source"] == "none", path
            continue
        assert (row["last_good_sha"], row["last_good_path"], row["last_good_blob"]) == (lg["sha"], lg["path"], lg["blob"]), path
        assert row["tests_last_good"] == lg["tests"], path
        expected = "backup" if path in incident["sets"]["bak_newer"] else "git"
        assert row["source"] == expected, path
        assert row["tests_now"] == truth["tests"], path


def test_a_newer_healthy_backup_wins_over_git(incident, plan):
    path = incident["sets"]["bak_newer"][0]
    row = plan.set_index("path").loc[path]
    assert row["backup_path"] == path + ".bak" and row["confidence"] == "low"
    assert row["restore_command"] == f"cp {path}.bak {path}"
    assert row["backup_tests"] > row["tests_last_good"]


def test_a_copy_born_damaged_restores_from_its_source(incident, plan):
    row = plan.set_index("path").loc[incident["sets"]["copy"][0]]
    src = incident["sets"]["copy_source"][0]
    assert row["last_good_path"] == src and row["confidence"] == "low"
    assert row["restore_command"].startswith(f"git show {row['last_good_sha']}:{src} > ")


def test_every_edit_a_restore_would_lose_is_reported(incident, scanned, plan):
    rows = plan.set_index("path")
    lost = lost_edits(scanned, plan).groupby("path", sort=False)["sha"].agg(list)
    for path, truth in incident["chains"].items():
        assert lost.get(path, []) == truth["edits_since_damage"], path
        assert rows.loc[path, "edits_since_damage"] == len(truth["edits_since_damage"])
    feature = incident["roles"]["feature_edits"][0]
    edited = [p for p in incident["sets"]["edited_after_damage"] if p in rows.index]  # some were healed later
    assert edited
    for path in edited:
        assert feature in lost[path]
        assert rows.loc[path, "confidence"] in ("medium", "low")
    assert (plan["confidence"] == "high").sum() == sum(
        1 for p, c in incident["chains"].items() if c["last_good"] and not c["edits_since_damage"]
        and c["last_good"]["path"] == p and p not in incident["sets"]["bak_newer"])


def test_the_unmask_fallback_only_where_no_healthy_ancestor_exists(incident, plan):
    rows = plan.set_index("path")
    assert set(plan.loc[plan["fallback"] == "unmask", "path"]) == set(
        incident["sets"]["born_marked_unmask_compiles"] + incident["sets"]["born_marked_unmask_broken"])
    assert rows.loc[incident["sets"]["born_marked_unmask_compiles"][0], "fallback_compiles"]
    assert not rows.loc[incident["sets"]["born_marked_unmask_broken"][0], "fallback_compiles"]


def test_sorted_by_tier_then_tests_recovered(plan):
    tiers = plan["priority"].tolist()
    assert tiers == sorted(tiers)
    for _, g in plan.groupby("priority"):
        assert g["tests_recovered"].tolist() == sorted(g["tests_recovered"], reverse=True)


def test_applying_the_plan_to_a_clone_heals_every_restored_file(incident, repo, tmp_path):
    clone = _clone(repo, tmp_path / "clone")
    plan_csv = _write_plan(clone, tmp_path / "plan.csv")
    dry = run_cli("restore", str(clone), "--plan", str(plan_csv))
    assert dry.returncode == 0 and "would restore" in dry.stdout and "compiles=yes markers=0" in dry.stdout
    assert git("-C", str(clone), "status", "--porcelain") == ""  # a dry run writes nothing
    proc = run_cli("restore", str(clone), "--plan", str(plan_csv), "--apply", "--unmask", "--branch", "restored")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = scan(clone, cache=False, progress=False)
    states = dict(zip(result.subjects["path"], result.subjects["state"]))
    plan = pd.read_csv(plan_csv, dtype=str, keep_default_na=False)
    restorable = plan[(plan["source"] != "none") | (plan["fallback_compiles"] == "True")]
    assert {p: states[p] for p in restorable["path"]} == {p: "healthy" for p in restorable["path"]}
    not_restored = set(plan["path"]) - set(restorable["path"])
    assert all(states[p] != "healthy" for p in not_restored)
    assert "restored" in git("-C", str(clone), "branch", "--show-current")
    # idempotent: a second run finds everything in place
    again = run_cli("restore", str(clone), "--plan", str(plan_csv), "--apply", "--unmask")
    assert again.returncode == 0 and "already restored" in again.stdout and "\nrestored " not in again.stdout


def test_a_dirty_target_is_refused_unless_forced_and_then_saved(repo, tmp_path, plan):
    clone = _clone(repo, tmp_path / "clone")
    plan_csv = _write_plan(clone, tmp_path / "plan.csv")
    target = plan.iloc[0]["path"]
    (clone / target).write_text((clone / target).read_text() + "# my uncommitted work\n")
    proc = run_cli("restore", str(clone), "--plan", str(plan_csv), "--apply", "--backup-dir", str(tmp_path / "saved"))
    assert proc.returncode == 1 and "refused" in proc.stdout and "uncommitted changes" in proc.stdout
    assert (clone / target).read_text().endswith("# my uncommitted work\n")
    proc = run_cli("restore", str(clone), "--plan", str(plan_csv), "--apply", "--force", "--backup-dir", str(tmp_path / "saved"))
    assert proc.returncode == 0, proc.stdout
    (copy,) = (tmp_path / "saved").glob(f"*/{target}")  # one run folder, one saved copy
    assert copy.read_text().endswith("# my uncommitted work\n")


def test_a_stale_plan_is_refused(repo, tmp_path, plan):
    clone = _clone(repo, tmp_path / "clone")
    plan_csv = _write_plan(clone, tmp_path / "plan.csv")
    target = plan.iloc[0]["path"]
    (clone / target).write_text((clone / target).read_text() + "# committed after the plan\n")
    git("-C", str(clone), "commit", "-qam", "edit after planning")
    proc = run_cli("restore", str(clone), "--plan", str(plan_csv), "--apply")
    assert proc.returncode == 1 and "stale plan" in proc.stdout
    assert (clone / target).read_text().endswith("# committed after the plan\n")


def _make_unwritable(path: Path) -> None:
    """An immutable file (chattr +i works even for root); elsewhere, a directory where the file's
    directory should be, so no write can succeed."""
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
        return
    path.unlink()
    path.mkdir()
    (path / "keep").write_text("x")


def test_a_read_only_target_fails_alone_and_loses_nothing(repo, tmp_path, plan):
    clone = _clone(repo, tmp_path / "clone")
    plan_csv = _write_plan(clone, tmp_path / "plan.csv")
    target = clone / plan.iloc[0]["path"]
    before = target.read_bytes()
    _make_unwritable(target)
    try:
        proc = run_cli("restore", str(clone), "--plan", str(plan_csv), "--apply")
        assert proc.returncode == 1 and "failed" in proc.stdout
        failed = [l for l in proc.stdout.splitlines() if l.startswith("failed")]
        assert len(failed) == 1 and plan.iloc[0]["path"] in failed[0]
        assert sum(l.startswith("restored") for l in proc.stdout.splitlines()) == (plan["source"] != "none").sum() - 1
    finally:
        subprocess.run(["chattr", "-i", str(target)], capture_output=True)
    if target.is_file():
        assert target.read_bytes() == before
    assert not list(target.parent.glob(".*.forensics-tmp"))


def test_a_kill_during_apply_loses_nothing_and_a_rerun_completes(repo, tmp_path, plan):
    clone = _clone(repo, tmp_path / "clone")
    plan_csv = _write_plan(clone, tmp_path / "plan.csv")
    rows = pd.read_csv(plan_csv, dtype=str, keep_default_na=False)
    originals = {p: (clone / p).read_bytes() for p in rows["path"] if (clone / p).is_file()}
    saved = tmp_path / "saved"
    proc = run_cli("restore", str(clone), "--plan", str(plan_csv), "--apply", "--backup-dir", str(saved),
                   env={"FORENSICS_FAULT": "after_replace:7"})
    assert proc.returncode == -9  # SIGKILL, mid-way
    for row in rows.itertuples(index=False):
        now = (clone / row.path).read_bytes()
        # every file holds either its old content or its candidate, never anything else
        assert blob_id(now) in (row.current_blob, row.candidate_blob), row.path
        if blob_id(now) == row.candidate_blob and row.candidate_blob != row.current_blob:
            (copy,) = saved.glob(f"*/{row.path}")
            assert copy.read_bytes() == originals[row.path]  # the old file was saved first
    assert not list(clone.rglob(".*.forensics-tmp"))
    proc = run_cli("restore", str(clone), "--plan", str(plan_csv), "--apply", "--backup-dir", str(saved))
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.count("already restored") == 7
    for row in rows.itertuples(index=False):
        if row.source != "none":
            assert blob_id((clone / row.path).read_bytes()) == row.candidate_blob
            (copy,) = saved.glob(f"*/{row.path}")
            assert copy.read_bytes() == originals[row.path]
    log = list(csv.DictReader(open(Path(clone) / ".git" / "forensics" / "restore-log.csv")))
    done = {r["path"] for r in log if r["action"] in ("restored", "already restored")}
    assert done == set(rows.loc[rows["source"] != "none", "path"])
    # the file replaced just before the kill was announced first, with where its old content went
    intents = [r for r in log if r["action"] == "restoring"]
    assert len(intents) == len(rows[rows["source"] != "none"]) and all(r["saved_copy"] for r in intents)


def test_an_unreadable_plan_is_one_clear_line(repo, tmp_path):
    bad = tmp_path / "plan.csv"
    bad.write_text("a,b\n1,2\n")
    proc = run_cli("restore", repo, "--plan", str(bad))
    assert proc.returncode == 2 and "missing columns" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("restore", repo, "--plan", str(tmp_path / "nope.csv"))
    assert proc.returncode == 2 and "unreadable plan" in proc.stderr
