"""The restore list as a lead reads it: what and how urgent first, each tier and confidence explained,
tests recovered counted for files that run no test now, SHA lists kept out of the rows, and the CSV
still the plan `forensics restore --plan` reads. Asserted against the simulator's truth."""
from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from conftest import git, run_cli
from forensics import scan
from forensics.analyses.restore_list import RESTORE_COLUMNS, lost_edits, restore_list
from forensics.engine.tiers import tier_reason

CONTRACT = ["path", "state", "damaged_since", "damaged_at", "root_cause", "root_cause_at", "last_good_sha",
            "last_good_path", "last_good_at", "source", "backup_path", "tests_now", "tests_last_good",
            "edits_since_damage", "priority", "confidence", "restore_command"]
A_LEAD_READS = ["path", "priority", "tier_reason", "action", "confidence", "confidence_reason", "tests_recovered",
                "edits_since_damage"]
_SHA_LIST = re.compile(r"\b[0-9a-f]{40}\b.*\b[0-9a-f]{40}\b")


@pytest.fixture(scope="module")
def real_scan(realistic):
    return scan(realistic["repo"], cache=False, progress=False)


@pytest.fixture(scope="module")
def real_plan(real_scan):
    return restore_list(real_scan)


def test_columns_come_in_the_order_a_lead_reads_and_keep_every_contract_name(real_plan):
    assert list(real_plan.columns[:len(A_LEAD_READS)]) == A_LEAD_READS
    assert set(CONTRACT) <= set(real_plan.columns)
    evidence = list(real_plan.columns).index("root_cause")
    assert evidence > list(real_plan.columns).index("restore_command")     # evidence after what to do


def test_no_row_carries_a_list_of_shas(real_plan):
    text = real_plan.astype(str)
    assert not any(text[c].str.contains(_SHA_LIST).any() for c in text.columns)


def test_a_file_that_does_not_compile_recovers_every_test_of_its_last_good_version(realistic, real_plan):
    rows = real_plan.set_index("path")
    assert (real_plan["tests_recovered"] >= 0).all() and (real_plan["tests_given_up"] >= 0).all()
    broken = [p for p, c in realistic["chains"].items() if c["state"] == "broken" and c["last_good"]]
    assert broken
    for path in broken:
        row = rows.loc[path]
        if row["source"] == "git":
            assert row["tests_recovered"] == realistic["chains"][path]["last_good"]["tests"], path
    # a marked file still runs the tests left uncommented: it recovers the difference, never less than 0
    marked = [p for p, c in realistic["chains"].items() if c["state"] == "marked" and c["last_good"]]
    for path in marked:
        row, truth = rows.loc[path], realistic["chains"][path]
        if row["source"] == "git":
            assert row["tests_recovered"] == max(0, truth["last_good"]["tests"] - truth["tests"]), path


def test_each_confidence_is_explained_by_the_edits_a_restore_would_lose(realistic, real_scan, real_plan):
    bulk = {c["sha"] for c in realistic["commits"] if c["paths_changed"] >= 50}
    lost = lost_edits(real_scan, real_plan)
    assert lost["is_bulk"].tolist() == [s in bulk for s in lost["sha"]]
    per_path = lost.groupby("path")["sha"].agg(list)
    words = {1: "one"}
    medium = real_plan[real_plan["confidence"] == "medium"]
    assert len(medium)
    for row in medium.itertuples(index=False):
        edits = realistic["chains"][row.path]["edits_since_damage"]
        assert per_path[row.path] == edits
        n, b = len(edits), sum(e in bulk for e in edits)
        assert row.confidence_reason.startswith(f"{n} later edit{'s' if n > 1 else ''} would be lost")
        if b == 0:
            assert "none of them a bulk change" in row.confidence_reason
        elif b == n:
            assert ("a bulk change" if n == 1 else "all of them bulk changes") in row.confidence_reason
        else:
            assert f"{words.get(b, b)} of them" in row.confidence_reason
    high = real_plan[real_plan["confidence"] == "high"]
    assert (high["confidence_reason"] == "nothing changed since the damage: the restore loses no work").all()
    assert (real_plan["confidence_reason"] != "").all() and (real_plan["action"] != "").all()


def test_a_mission_critical_directory_is_p0_and_a_word_in_a_name_is_not(realistic, real_plan):
    rows = real_plan.set_index("path")
    critical = [p for p in realistic["chains"] if "/mission_critical/" in "/" + p]
    assert critical
    assert set(rows.loc[critical, "priority"]) == {"P0"}
    assert rows.loc[critical, "tier_reason"].str.contains("mission_critical").all()
    agents = [p for p in realistic["chains"] if "agent" in p and "mission_critical" not in p]
    assert agents and "P0" not in set(rows.loc[agents, "priority"])
    assert tier_reason("src/agent/auth_websocket.py")[0] == "P1"
    assert tier_reason("tests/mission_critical/test_x.py") == (
        "P0", "mission critical", "P0 mission critical: matches '*/mission_critical/*'")
    # sorted by the tiers' order, then tests recovered
    assert real_plan["priority"].tolist() == sorted(real_plan["priority"])
    assert all(r.startswith(p + " ") for p, r in zip(real_plan["priority"], real_plan["tier_reason"]))


def test_the_csv_round_trips_through_restore_plan(incident, tmp_path):
    clone = tmp_path / "clone"
    git("clone", "-q", incident["repo"], str(clone))
    plan_csv, edits_csv = tmp_path / "plan.csv", tmp_path / "edits.csv"
    proc = run_cli("restore-list", str(clone), "--csv", str(plan_csv), "--edits-csv", str(edits_csv),
                   "--no-cache", "--quiet")
    assert proc.returncode == 0, proc.stderr
    with open(plan_csv, newline="") as fh:
        header = next(csv.reader(fh))
    assert header == RESTORE_COLUMNS
    plan = pd.read_csv(plan_csv, dtype=str, keep_default_na=False)
    edits = pd.read_csv(edits_csv, dtype=str, keep_default_na=False)
    assert len(edits) == plan["edits_since_damage"].astype(int).sum()
    assert set(edits["path"]) <= set(plan["path"])
    dry = run_cli("restore", str(clone), "--plan", str(plan_csv))
    assert dry.returncode == 0, dry.stderr
    would = dry.stdout.count("would restore")
    assert would == (plan["source"] != "none").sum()
    assert git("-C", str(clone), "status", "--porcelain") == ""
