"""A long-lived project with a Python 2 era, its port, odd dates and identities, and no incident
(``forensics simulate --preset legacy``): the scan finds no incident, no culprit damage, nothing to
restore; Python 2 and newer-Python code is legacy, reported apart; and every odd date reads."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import run_cli
from forensics import scan
from forensics.analyses.census import census
from forensics.analyses.culprits import culprits
from forensics.analyses.error_kinds import error_kind_breakdown
from forensics.analyses.restore_list import restore_list
from forensics.analyses.summary import summarize
from forensics.engine.states import DAMAGING_EVENTS, LEGACY
from forensics.simulate import simulate


@pytest.fixture(scope="module")
def legacy(tmp_path_factory) -> dict:
    return simulate(tmp_path_factory.mktemp("legacy"), seed=11, scale=1, preset="legacy")


@pytest.fixture(scope="module")
def legacy_scan(legacy):
    return scan(legacy["repo"], cache=False, progress=False)


def test_the_truth_says_there_is_no_incident(legacy):
    assert legacy["preset"] == "legacy" and legacy["incident"] is False
    assert legacy["events"] == [] and legacy["chains"] == {}
    assert "python2" in legacy["legacy_at_head"].values()


def test_a_python2_era_and_its_port_make_no_incident(legacy, legacy_scan):
    ev = legacy_scan.events
    assert set(map(tuple, ev[["sha", "path", "event"]].values.tolist())) == \
        {(e["sha"], e["path"], e["event"]) for e in legacy["events"]}
    assert not ev["event"].isin(DAMAGING_EVENTS).any()
    assert legacy_scan.manifest["damaged_now"] == legacy["expect"]["damaged_at_head"] == 0
    assert legacy_scan.chains().empty


def test_no_culprit_has_damage_and_nothing_is_to_restore(legacy_scan):
    table = culprits(legacy_scan)
    assert (table["paths_damaged"] == 0).all()
    assert not table["kind"].isin(["breaker", "wave"]).any()
    assert (table["already_damaged"].fillna(0) == 0).all()
    assert restore_list(legacy_scan).empty


def test_states_at_head_equal_the_truth_legacy_apart(legacy, legacy_scan):
    got = dict(zip(legacy_scan.subjects["path"], legacy_scan.subjects["state"]))
    assert got == legacy["states"]["HEAD"]
    legacy_now = {p for p, s in got.items() if s == LEGACY}
    assert legacy_now == set(legacy["legacy_at_head"])
    kinds = dict(zip(legacy_scan.subjects["path"], legacy_scan.subjects["error_kind"]))
    for path, dialect in legacy["legacy_at_head"].items():
        assert kinds[path] == dialect, path
    total = census(legacy_scan, depth=0).iloc[0]
    assert (total["damaged"], total["broken"], total["legacy"]) == (0, 0, len(legacy_now))


def test_every_python2_version_in_history_is_python2_and_only_that(legacy_scan):
    v = legacy_scan.versions
    failing = v[~v["compiles"]]
    assert len(failing) > 20
    assert set(failing["error_kind"]) <= {"python2", "newer_python"}
    assert failing["dialect_only"].all()


def test_strict_counts_another_dialect_as_damage(legacy, legacy_scan):
    strict = scan(legacy["repo"], cache=False, progress=False, strict=True)
    born = strict.events[strict.events["event"] == "added_damaged"]
    assert set(born["error_kind_after"]) <= {"python2", "newer_python"} and len(born) > 10
    assert strict.manifest["damaged_now"] == len(legacy["legacy_at_head"])
    assert (strict.subjects["state"] != LEGACY).all()


def test_the_summary_keeps_the_interpreter_and_tells_legacy_apart(legacy_scan):
    lines = summarize(legacy_scan, culprits(legacy_scan), legacy_scan.chains())
    interpreter = legacy_scan.manifest["interpreter"]
    assert interpreter in lines[0] and "**Now:** 0 of" in lines[1]  # the heading names the interpreter; then the state now
    assert any("legacy" in line and interpreter in line for line in lines)


def test_error_kind_breakdown_counts_paths_versions_and_events(legacy, legacy_scan):
    table = error_kind_breakdown(legacy_scan).set_index("error_kind")
    assert table.loc["*", "damaged_now"] == 0 and table.loc["*", "damaging_events"] == 0
    assert table.loc["*", "legacy_now"] == len(legacy["legacy_at_head"])
    assert table.loc["python2", "versions"] == int((legacy_scan.versions["error_kind"] == "python2").sum())


@pytest.mark.parametrize("shape", ["before_1970", "offset_+51800", "offset_-0000", "offset_+9999", "in_future"])
def test_each_odd_date_and_identity_reads_as_the_truth_says(legacy, legacy_scan, shape):
    odd = {o["shape"]: o for o in legacy["odd_commits"]}[shape]
    row = legacy_scan.commits.set_index("sha").loc[odd["sha"]]
    assert row["author"] == odd["author"]
    assert row["authored_at"] == pd.Timestamp(odd["authored_at"])
    assert row["committed_at"] == pd.Timestamp(odd["committed_at"])
    flags = [f for f in row["date_flag"].split(";") if f]
    assert sorted(flags) == sorted(odd["flags"])
    for col, raw in (("authored_at_raw", odd["authored_raw"]), ("committed_at_raw", odd["committed_raw"])):
        assert row[col] == raw.replace("-0000", "+0000")   # git prints -0000 (no known offset) as +0000


def test_identities_in_declared_and_undeclared_encodings(legacy, legacy_scan):
    names = set(legacy_scan.commits["author"])
    assert {o["author"] for o in legacy["odd_commits"]} <= names
    assert not any("\ufffd" in n for n in names)
    by_sha = legacy_scan.commits.set_index("sha")
    for c in legacy["commits"]:
        assert by_sha.loc[c["sha"], "author"] == c["author"]
        assert by_sha.loc[c["sha"], "committed_at"] == pd.Timestamp(c["committed_at"])


def test_the_cli_shows_the_breakdown_and_the_preset_builds(legacy, tmp_path):
    proc = run_cli("census", legacy["repo"], "--no-cache", "-q", "--error-kinds")
    assert proc.returncode == 0, proc.stderr
    assert "python2" in proc.stdout and "legacy_now" in proc.stdout
    proc = run_cli("simulate", str(tmp_path / "sim"), "--preset", "legacy", "--seed", "11")
    assert proc.returncode == 0, proc.stderr
    assert "0 damaged" in proc.stdout
