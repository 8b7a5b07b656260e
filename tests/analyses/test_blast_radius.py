"""Blast radius: per-directory counts, tests lost, tiers, against the truth (CI jobs: test_dependents.py)."""
from __future__ import annotations

import pandas as pd

from conftest import run_cli
from forensics.analyses.blast import blast_radius, census_over_time, culprit_shas
from forensics.analyses.census import directory_of
from forensics.engine.tiers import load_tiers, tier_of

DAMAGED = ("marked", "broken", "marked+broken")


def test_per_directory_counts_and_tests_lost(incident, scanned):
    table = blast_radius(scanned, depth=2)
    body = table[table["directory"] != "*"].groupby("directory")[["paths", "damaged", "tests_lost"]].sum()
    want: dict[str, list[int]] = {}
    for path, state in incident["states"]["HEAD"].items():
        w = want.setdefault(directory_of(path, 2), [0, 0, 0])
        w[0] += 1
        if state in DAMAGED:
            w[1] += 1
            chain = incident["chains"][path]
            lg = chain["last_good"]["tests"] if chain["last_good"] else 0
            w[2] += max(lg - chain["tests"], 0)
    assert {d: list(map(int, r)) for d, r in body.iterrows()} == want
    total = table[table["directory"] == "*"]
    assert total["tests_lost"].sum() == sum(w[2] for w in want.values()) > 50


def test_shipped_tiers_and_a_replacement_rules_file(tmp_path):
    # the shipped tiers follow the layout, never a word in a name
    assert tier_of("tests/mission_critical/test_websocket_agent_events.py") == ("P0", "mission critical")
    assert tier_of("src/app/agent_auth.py") == ("P1", "product code")
    assert tier_of("tests/integration/test_agent_pool.py") == ("P2", "tests")
    assert tier_of("scripts/migrate_ssot_base.py") == ("P3", "tooling")
    assert tier_of("vendor/six.py") == ("P4", "the rest")
    rules = tmp_path / "tiers.toml"
    rules.write_text('[[tier]]\nname = "P0"\nlabel = "money"\nkeywords = ["billing"]\n')
    tiers = load_tiers(str(rules))
    assert tier_of("tests/e2e/test_billing.py", tiers) == ("P0", "money")
    assert tier_of("tests/e2e/test_websocket.py", tiers)[0] == "P4"


def test_tiers_group_the_damage(incident, scanned):
    table = blast_radius(scanned)
    totals = table[table["directory"] == "*"].set_index("tier")
    want = {}
    for path, state in incident["states"]["HEAD"].items():
        t = tier_of(path)[0]
        want[t] = want.get(t, 0) + (state in DAMAGED)
    assert totals["damaged"].to_dict() == want


def test_blast_radius_of_the_breaker(incident, scanned):
    shas = culprit_shas(scanned, incident["roles"]["breaker"][0])
    table = blast_radius(scanned, culprit=shas)
    total = table[table["directory"] == "*"]
    still = {p for p, c in incident["chains"].items() if c["root_cause"] == incident["roles"]["breaker"][0]}
    assert total["damaged"].sum() == len(still)
    assert total["touched"].sum() >= len(incident["sets"]["breaker_touched"]) - len(incident["sets"]["deleted"])


def test_the_whole_wave_is_taken_from_any_of_its_commits(incident, scanned):
    assert culprit_shas(scanned, incident["roles"]["fixer"][3]) == incident["roles"]["fixer"]


def test_census_over_time_matches_the_tagged_states(incident, scanned):
    over = census_over_time(scanned)
    assert not over.duplicated(["at", "directory", "tier"]).any()     # one sample per (day, directory, tier)
    per_commit = census_over_time(scanned, freq="commit")
    tagged = incident["tags"]["sim/after-breaker"]
    when = scanned.commits.set_index("sha").loc[tagged, "committed_at"]
    at = per_commit[per_commit["at"] == when]
    assert at["damaged"].sum() == sum(s in DAMAGED for s in incident["states"]["sim/after-breaker"].values())
    last = over[over["at"] == over["at"].max()]
    assert last["damaged"].sum() == len(incident["chains"])
    assert last["total"].sum() == len(incident["states"]["HEAD"])


def test_blast_radius_cli(incident, repo, tmp_path):
    out = tmp_path / "b.csv"
    proc = run_cli("blast-radius", repo, "--culprit", incident["roles"]["fixer"][0], "--csv", str(out), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(out)
    assert list(df.columns[:8]) == ["directory", "tier", "paths", "damaged", "tests_now", "tests_last_good",
                                    "tests_lost", "marker_lines"]
    proc = run_cli("dependents", repo, "--csv", str(tmp_path / "d.csv"), "--no-cache", "-q")
    assert proc.returncode == 0
    assert list(pd.read_csv(tmp_path / "d.csv").columns[:5]) == ["file", "line", "reference", "paths_matched",
                                                                "damaged_matched"]


def test_census_over_time_on_the_command_line(incident, repo, tmp_path):
    out = tmp_path / "t.csv"
    proc = run_cli("census", repo, "--over-time", "commit", "--csv", str(out), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(out)
    assert list(df.columns) == ["at", "directory", "tier", "total", "damaged"]
    last = df[df["at"] == df["at"].max()]
    assert last["damaged"].sum() == len(incident["chains"])
