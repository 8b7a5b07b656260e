"""Root cause: the story the history proves on the simulated incident, checked against the truth."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import run_cli, wave_minutes
from forensics import scan
from forensics.analyses.culprits import wave_commits
from forensics.report.results import analyse_root_cause
from forensics.analyses.signatures import commit_signatures


@pytest.fixture(scope="module")
def rc(scanned):
    return analyse_root_cause(scanned)


def test_the_breaker_is_the_root_cause_of_the_fixer_wave_files(incident, rc):
    breaker = incident["roles"]["breaker"][0]
    chains = rc.chains.set_index("path")
    fixed = [p for p in incident["sets"]["fixer_fixed"] if p in chains.index]
    assert chains.loc[fixed, "root_cause"].eq(breaker).all()
    top = rc.root_causes.iloc[0]
    assert top["root_cause"] == breaker and top["paths"] == sum(
        1 for c in incident["chains"].values() if c["root_cause"] == breaker)


def test_the_fixer_wave_is_one_wave(incident, rc):
    waves = rc.culprits[rc.culprits["kind"] == "wave"]
    assert len(waves) == 1
    wave = waves.iloc[0]
    assert wave_commits(rc.result, wave) == incident["roles"]["fixer"]
    assert wave["author"] == "ci-autofix" and wave["commits"] == 6
    fixer_paths = (set(incident["sets"]["fixer_fixed"]) | set(incident["sets"]["fixer_marked_healthy"])
                   | set(incident["sets"]["born_marked_unmask_compiles"]) | set(incident["sets"]["born_marked_unmask_broken"]))
    assert wave["paths_touched"] == wave["paths_damaged"] == len(fixer_paths)
    # the fixed files compile only because their code was commented out: masked, never healed
    masked = len(set(incident["sets"]["fixer_fixed"]) - set(incident["sets"]["breaker_double"]))
    assert wave["paths_masked"] == masked and wave["paths_healed"] == 0
    assert wave["already_damaged"] == len(incident["sets"]["fixer_fixed"])


def test_the_breaker_is_a_bulk_commit_that_damaged_what_it_broke(incident, rc):
    row = rc.culprits[(rc.culprits["kind"] == "bulk_commit") & (rc.culprits["sha"] == incident["roles"]["breaker"][0])].iloc[0]
    assert row["paths_touched"] == len(incident["sets"]["breaker_touched"]) + 1  # + the migration script
    assert row["paths_damaged"] == len(incident["sets"]["breaker_broke"])
    assert row["scripts"] == "scripts/migrate_ssot_base.py"


def test_the_bulk_import_script_touched_many_damaged_none_and_is_linked_to_its_backups(incident, rc):
    sha = incident["roles"]["bulk_script"][0]
    cul = rc.culprits
    bulk = cul[(cul["kind"] == "bulk_commit") & (cul["sha"] == sha)].iloc[0]
    assert bulk["paths_damaged"] == 0 and bulk["paths_healed"] == 0
    assert bulk["paths_touched"] == len(incident["sets"]["bulk_touched"]) + 1  # + the script itself
    assert bulk["already_damaged"] == len(incident["sets"]["bulk_touched_already_damaged"])
    script = cul[(cul["kind"] == "script") & (cul["linked_to"] == sha)].iloc[0]
    assert script["subject"] == "bulk_fix_websocket_imports.py"
    # the link names its evidence (issue #13: the ``evidence`` column replaces ``reason``)
    assert "named in message" in script["evidence"]
    assert "damaging commit" not in script["evidence"]      # it damaged nothing: adding it is no evidence of damage
    assert "backup time (*.backup_20250910_044026)" in script["evidence"]
    backups = cul[(cul["kind"] == "backup_set") & (cul["subject"] == "*.backup_20250910_044026")].iloc[0]
    assert backups["sha"] == sha and backups["linked_to"] == sha
    assert backups["paths_changed"] == len(incident["sets"]["bulk_touched"])
    assert backups["paths_damaged"] == len(incident["sets"]["bulk_touched_already_damaged"])


def test_the_sed_unmask_is_found_as_a_breaker_too(incident, rc):
    sha = incident["roles"]["sed_unmask"][0]
    row = rc.culprits[(rc.culprits["kind"] == "breaker") & (rc.culprits["sha"] == sha)].iloc[0]
    truth = [e for e in incident["events"] if e["sha"] == sha]
    assert row["paths_damaged"] == len({e["path"] for e in truth if e["event"] == "broke"}) > 0
    # unmarked and broken again (or still broken: the breaker broke it twice) is surfacing, not healing:
    # healed are the paths it left healthy
    left_damaged = {e["path"] for e in truth if e["event"] == "broke"} | set(incident["sets"]["breaker_double"])
    assert row["paths_healed"] == len({e["path"] for e in truth if e["event"] in ("healed", "unmarked")} - left_damaged)


def test_the_snapshot_tree_is_a_backup_set_of_evidence(incident, rc):
    snap = rc.culprits[(rc.culprits["kind"] == "backup_set") & (rc.culprits["subject"] == "backups/tests_20250908_101500")]
    assert snap.iloc[0]["paths_changed"] == len(incident["sets"]["snapshot"])


def test_the_summary_numbers_come_from_the_tables(incident, rc):
    # issue #13 deliberately replaced the date-ordered prose with a Markdown account per incident
    text = "\n".join(rc.summary)
    breaker = incident["roles"]["breaker"][0]
    wave = rc.culprits[rc.culprits["kind"] == "wave"].iloc[0]
    roots = sum(1 for c in incident["chains"].values() if c["root_cause"] == breaker)
    # the top culprit is the breaker, named by commit with what is still damaged first
    assert f"**Top culprit:** {breaker[:12]} (" in text and f"root cause of {roots} paths still damaged" in text
    assert f"is the root cause ({roots} still damaged, " in text
    # the wave is context of the commits named inside it, never the only name
    assert f"in the wave {wave['sha'][:12]}..{wave['last_sha'][:12]} of {wave['commits']} commits in " \
           f"{wave_minutes(incident)} minutes" in text
    maskers = next(i for i in rc.story.records if i.maskers).maskers     # marked what was already damaged
    assert sum(a.all_time for a in maskers) == len(incident["sets"]["fixer_fixed"]) and set(a.sha for a in maskers) <= set(incident["roles"]["fixer"])
    assert f"**Masked by** {maskers[0].sha[:12]} (" in text
    sed = incident["roles"]["sed_unmask"][0]
    # unmasked and still damaged: re-broken ones, and ones the breaker had broken twice (still broken)
    rebroken = {e["path"] for e in incident["events"] if e["sha"] == sed and e["event"] == "unmarked"
                and e["path"] in incident["chains"]}
    assert f"**surfaced again by** {sed[:12]} (" in text
    assert f"unmasked paths, left damaged ({len(rebroken)} still damaged, " in text
    assert (f"`bulk_fix_websocket_imports.py` (commit {incident['roles']['bulk_script'][0][:12]}): "
            f"touched {len(incident['sets']['bulk_touched']) + 1}, damaged 0, "
            f"{len(incident['sets']['bulk_touched_already_damaged'])} already damaged") in text
    assert f"{len(incident['chains'])} of {len(incident['states']['HEAD'])} paths in scope are damaged" in text


@pytest.mark.parametrize("role, signature, kind", [
    ("fixer", "prefix added '# REMOVED_SYNTAX_ERROR: '", "prefix_added"),
    ("placeholder", "'f\"...\"' -> '\"formatted_string\"'", "replaced"),
    ("bulk_script", "'websocket' -> 'websocket_core'", "replaced"),  # token-level since issue #15
    ("sed_unmask", "prefix removed '# REMOVED_SYNTAX_ERROR: '", "prefix_removed"),
])
def test_line_signatures_of_each_culprit(incident, scanned, role, signature, kind):
    sig = commit_signatures(scanned, incident["roles"][role])
    row = sig[sig["signature"] == signature]
    assert len(row) == 1, sig.head()
    assert row.iloc[0]["kind"] == kind
    assert row.iloc[0]["files"] == len(incident["sets"]["placeholder" if role == "placeholder" else
                                       {"fixer": "fixer_fixed", "bulk_script": "bulk_touched",
                                        "sed_unmask": "sed_unmask"}[role]]) + (
        len(incident["sets"]["fixer_marked_healthy"]) if role == "fixer" else 0)


def test_signatures_as_markers_find_the_unknown_corruption_across_history(incident, repo):
    sha = incident["roles"]["placeholder"][0]
    proc = run_cli("signatures", repo, "--commit", sha, "--as-markers", "--no-cache", "--quiet")
    assert proc.returncode == 0, proc.stderr
    markers = proc.stdout.split()
    assert '"formatted_string"' in proc.stdout
    result = scan(repo, cache=False, progress=False, markers=proc.stdout.splitlines())
    marked = set(result.subjects.loc[result.subjects["markers"] > 0, "path"])
    assert marked == set(incident["sets"]["placeholder"]) and markers


def test_culprits_cli_csv_has_the_contract_columns(repo, tmp_path):
    out = tmp_path / "c.csv"
    proc = run_cli("culprits", repo, "--csv", str(out), "--no-cache", "--quiet")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(out)
    assert list(df.columns[:9]) == ["kind", "sha", "committed_at", "author", "subject", "paths_changed",
                                    "paths_damaged", "paths_healed", "scripts"]
    assert set(df["kind"]) == {"bulk_commit", "wave", "breaker", "script", "backup_set"}


def test_the_trend_ends_at_todays_census(scanned, incident):
    from forensics.analyses.trend import damaged_over_time

    trend = damaged_over_time(scanned)
    assert trend.iloc[-1]["damaged"] == len(incident["chains"])
    assert trend.iloc[-1]["total"] == len(incident["states"]["HEAD"])
