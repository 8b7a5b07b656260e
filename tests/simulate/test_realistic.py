"""The realistic simulated incident: deterministic, its truth consistent with git, and the scanner agrees
with it (events per commit, chains and root causes, states)."""
from __future__ import annotations

import re
import subprocess
import time
from collections import Counter
from datetime import datetime

import pytest
from conftest import run_cli

from forensics.simulate import simulate
from forensics.simulate.model import is_subject

MARKER_LINE = re.compile(r"^\s*#\s*REMOVED_SYNTAX_ERROR:", re.MULTILINE)
PLACEHOLDERS = ('"formatted_string"', "[item for item in []]")


def _git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True).stdout


def _show(repo: str, rev: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", repo, "show", f"{rev}:{path}"], check=True, capture_output=True).stdout


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def truth(realistic) -> dict:
    return realistic


@pytest.fixture(scope="module")
def scanned(realistic):
    from forensics import scan

    return scan(realistic["repo"], cache=False, progress=False)


def test_same_seed_same_history_and_another_seed_another(truth, tmp_path):
    started = time.perf_counter()
    again = simulate(tmp_path / "again", seed=truth["seed"], scale=1, preset="realistic")
    print(f"\nrealistic preset, scale 1: {again['counts']['commits']} commits, "
          f"{again['counts']['paths_at_head']} Python paths at HEAD, built in {time.perf_counter() - started:.1f} s")
    assert again["head"] == truth["head"]
    assert again["tags"] == truth["tags"]
    assert _git(again["repo"], "rev-parse", "HEAD").strip() == truth["head"]


def test_the_demo_stays_the_default_and_other_settings_are_refused(truth, tmp_path):
    from forensics.errors import ForensicsError

    with pytest.raises(ForensicsError):
        simulate(tmp_path / "x", preset="nope")
    # the directory holds the realistic preset: asking for the demo there is refused, not silently reused
    with pytest.raises(ForensicsError):
        simulate(truth["truth_file"].rsplit("/", 1)[0], seed=truth["seed"], scale=1)


def test_it_is_big_and_noisy_enough(truth):
    commits = truth["commits"]
    assert 1000 <= len(commits) <= 2500
    assert len(truth["states"]["HEAD"]) >= 300
    assert sum(c["is_merge"] for c in commits) >= 50
    assert truth["bulk_commits"] >= 150
    quiet_bulk = [c for c in truth["cleared_suspects"] if c["touched"] >= 50]
    assert len(quiet_bulk) >= 150
    assert {"bulk_format", "bulk_imports", "bulk_rename", "bulk_script"} <= {c["kind"] for c in quiet_bulk}
    assert len(truth["scripts"]) >= 200
    names = {p.rsplit("/", 1)[1].split("_", 1)[0] for p in truth["scripts"]}
    assert {"fix", "check", "validate", "run"} <= names


def test_a_bulk_commit_names_its_script_the_windows_way(truth):
    win = truth["windows_path"]
    subject = _git(truth["repo"], "log", "-1", "--format=%s", win["sha"]).strip()
    assert win["as_written"] in subject and "\\" in win["as_written"]
    assert win["script"] in truth["scripts"]
    assert win["sha"] in {c["sha"] for c in truth["cleared_suspects"]}


def test_the_git_tree_at_head_is_the_truths(truth):
    tree = _git(truth["repo"], "ls-tree", "-r", "--name-only", "HEAD").splitlines()
    assert {p for p in tree if is_subject(p)} == set(truth["states"]["HEAD"])
    assert _git(truth["repo"], "rev-parse", "HEAD").strip() == truth["head"]
    for tag, sha in truth["tags"].items():
        assert _git(truth["repo"], "rev-parse", f"{tag}^{{commit}}").strip() == sha


def test_two_automation_accounts_churn_in_bursts_that_heal_what_they_damage(truth):
    bursts = truth["churn_bursts"]
    assert {b["author"] for b in bursts} == {"ci-autofix", "deploy-bot"}
    by_sha = {c["sha"]: c for c in truth["commits"]}
    events = Counter(e["sha"] for e in truth["events"])
    for b in bursts:
        assert len(b["commits"]) >= 24
        minutes = (_at(b["last_at"]) - _at(b["first_at"])).total_seconds() / 60
        assert len(b["commits"]) / max(minutes / 60, 1 / 60) >= 20      # dozens an hour
        assert b["damaged"] == b["healed"] > 0 and b["still_damaged"] == 0
        assert {by_sha[s]["author"] for s in b["commits"]} == {b["author"]}
        assert sum(events[s] for s in b["commits"]) == b["damaged"] + b["healed"]


def test_the_fixer_script_holds_the_marker_and_placeholders_and_runs_as_a_wave(truth):
    fixer = truth["fixer_script"]
    source = _show(truth["repo"], "HEAD", fixer["path"]).decode()
    assert "# REMOVED_SYNTAX_ERROR: " in source and all(p in source for p in PLACEHOLDERS)
    assert not MARKER_LINE.search(source)                  # it mentions the marker; it is not marked
    assert truth["states"]["HEAD"][fixer["path"]] == "healthy"
    wave = fixer["wave"]
    assert len(wave) >= 20
    assert (_at(fixer["wave_last_at"]) - _at(fixer["wave_first_at"])).total_seconds() <= 30 * 60
    authors = {c["author"] for c in truth["commits"] if c["sha"] in set(wave)}
    assert authors == {"ci-autofix"}


def test_the_wave_writes_compound_rewrites_reindents_and_blank_lines(truth):
    repo, wave = truth["repo"], truth["fixer_script"]["wave"]
    diff = "".join(_git(repo, "show", "--format=", "-U0", sha) for sha in wave[:4])
    added = [ln[1:] for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    # marker prefix + placeholder + re-indent on one line
    compound = [ln for ln in added if "# REMOVED_SYNTAX_ERROR: " in ln and '"formatted_string"' in ln]
    assert compound and any(ln.startswith("    # REMOVED_SYNTAX_ERROR: assert item") for ln in compound)
    assert any("# REMOVED_SYNTAX_ERROR: " in ln and "[item for item in []]" in ln for ln in added)
    assert any(ln.startswith("            \"id\": value,") for ln in added)          # re-indented, not commented
    assert "" in added                                                             # blank lines inserted


def test_the_placeholders_appear_in_no_file_before_the_incident(truth):
    for text in PLACEHOLDERS:
        found = subprocess.run(["git", "-C", truth["repo"], "grep", "-l", "-F", text, "sim/before-incident-a"],
                               capture_output=True, text=True)
        assert found.returncode == 1 and not found.stdout, text


def test_every_silent_path_compiles_carries_its_placeholders_and_no_marker(truth):
    silent = truth["silent_paths"]
    assert len(silent) >= 5
    for path, lines in silent.items():
        data = _show(truth["repo"], "HEAD", path)
        compile(data, path, "exec", dont_inherit=True)
        text = data.decode()
        assert not MARKER_LINE.search(text)
        assert lines and all(ln in text.splitlines() for ln in lines)
        assert truth["states"]["HEAD"][path] == "healthy"
    assert set(silent) <= set(truth["placeholder_paths"])
    # the fixer script mentions the placeholders in string constants: recorded apart, not as damage
    assert set(truth["placeholder_mentions"]) == {truth["fixer_script"]["path"]}
    assert any(v["state"] == "broken" for v in truth["placeholder_paths"].values())
    wave, unmask = set(truth["fixer_script"]["wave"]), truth["roles"]["sed_unmask"][0]
    for path, info in truth["placeholder_paths"].items():
        assert info["brought_by"] in wave, path
        assert info["surfaced_by"] == unmask or (info["surfaced_by"] is None and info["state"] != "healthy"), path


def test_backup_runs_span_thirty_consecutive_seconds_and_snapshots_hold_copies(truth):
    repo = truth["repo"]
    for run in truth["backup_runs"]:
        names = _git(repo, "diff-tree", "--no-commit-id", "-r", "--name-only", run["sha"]).splitlines()
        stamps = sorted({m.group(1) for n in names if (m := re.search(r"\.backup_(\d{8}_\d{6})$", n))})
        assert len(stamps) == 30 and (stamps[0], stamps[-1]) == (run["first_suffix"], run["last_suffix"])
        assert sum(".backup_" in n for n in names) == run["copies"]
    for snap in truth["snapshots"]:
        names = _git(repo, "diff-tree", "--no-commit-id", "-r", "--name-only", snap["sha"]).splitlines()
        assert len(names) == snap["copies"] and all(n.startswith(snap["directory"] + "/") for n in names)


def test_three_incidents_weeks_apart_and_how_their_chains_join(truth):
    inc = {i["label"]: i for i in truth["incidents"]}
    roles = truth["roles"]
    a, b, c = inc["A"], inc["B"], inc["C"]
    assert set(roles["breaker"]) <= set(a["root_causes"]) and set(roles["fixer"]) <= set(a["maskers"])
    assert a["surfacers"] == roles["sed_unmask"]
    assert b["root_causes"] == roles["style_break"] and len(b["paths_damaged"]) >= 150 and b["paths_still_damaged"]
    assert c["paths_damaged"] and set(c["root_causes"]) <= set(roles["breaker"]) | set(roles["fixer"])
    assert a["group"] == c["group"] == "A+C" and b["group"] == "B"
    groups = truth["incident_groups"]
    assert [g["members"] for g in groups] == [["A", "C"], ["B"]]
    damaged_now = {p for p, s in truth["states"]["HEAD"].items() if s != "healthy"}
    for g in groups:
        assert set(g["paths_still_damaged"]) <= damaged_now
    assert (_at(b["first_at"]) - _at(a["first_at"])).days >= 14


def test_ci_jobs_cover_every_verdict(truth):
    jobs = {(j["file"].rsplit("/", 1)[1], j["job"]): j for j in truth["ci"]}
    assert jobs[("ci.yml", "smoke")]["verdict"] == "unknown"
    assert jobs[("startup-validation.yml", "validate")]["verdict"] == "runs only healthy tests"
    assert jobs[("ci.yml", "unit")]["verdict"] == "fails at collection"
    agents = jobs[("mission-critical.yml", "mission-critical-agents")]
    assert agents["marked"] > 0 and agents["broken"] == 0
    assert agents["verdict"] == f"passes with {agents['tests_lost']} tests silently gone" and agents["tests_lost"] > 0
    text = _show(truth["repo"], "HEAD", ".github/workflows/startup-validation.yml").decode()
    assert "description: 'Whether startup validation tests passed'" in text
    assert "# Integration tests are informational" in text
    assert "ssot: Single Source of Truth pattern tests" in _show(truth["repo"], "HEAD", "pyproject.toml").decode()
    all_mc = jobs[("mission-critical.yml", "mission-critical-all")]
    assert any(p.count("/") == 2 for p in all_mc["collects"])      # tests/mission_critical/test_*.py too
    assert not any(p.startswith("tests/mission_critical/core/") for p in all_mc["collects"])   # --ignore
    # the `tests/mission_critical/**/*.py` filter also matches files directly in tests/mission_critical
    mc = jobs[("mission-critical.yml", "mission-critical")]
    direct = [p for p in truth["states"]["HEAD"] if p.startswith("tests/mission_critical/") and p.count("/") == 2]
    below = [p for p in truth["states"]["HEAD"] if p.startswith("tests/mission_critical/") and p.count("/") == 3]
    websocket = [p for p in truth["states"]["HEAD"] if p.startswith("src/app/websocket/")]
    assert direct and mc["trigger_paths"] == len(direct) + len(below) + len(websocket)


def test_the_scan_finds_every_event_of_every_commit(truth, scanned):
    want = Counter(e["sha"] for e in truth["events"])
    got = Counter(scanned.events["sha"])
    assert got == want
    want_set = {(e["sha"], e["path"], e["old_path"], e["event"]) for e in truth["events"]}
    assert set(map(tuple, scanned.events[["sha", "path", "old_path", "event"]].astype(str).values.tolist())) == want_set


def test_the_scan_traces_every_damaged_path_to_the_truths_root_cause(truth, scanned):
    chains = scanned.chains().set_index("path")
    assert set(chains.index) == set(truth["chains"])
    for path, want in truth["chains"].items():
        assert chains.loc[path, "root_cause"] == want["root_cause"], path
        assert [list(e) for e in chains.loc[path, "chain"]] == want["events"], path


def test_the_scan_sees_the_states_and_tests_at_head(truth, scanned):
    subjects = scanned.subjects
    assert dict(zip(subjects["path"], subjects["state"])) == truth["states"]["HEAD"]
    assert dict(zip(subjects["path"], subjects["tests"])) == truth["tests_at_head"]


def test_an_unknown_preset_is_refused_with_one_line(tmp_path):
    done = run_cli("simulate", str(tmp_path / "x"), "--preset", "nope")
    assert done.returncode == 2 and "preset" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x").exists()
