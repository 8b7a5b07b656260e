"""The story of the demo incident: incidents joined through damage, ranked culprits, scripts by
evidence, backup runs, and a summary that fits a screen, checked against the simulator's truth."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import run_cli
from forensics.analyses.culprits import MAIN_KINDS, culprit_commits, culprits
from forensics.analyses.incidents import INCIDENT_COLUMNS, build_story
from forensics.analyses.scripts import scripts_named_in
from forensics.analyses.summary import summarize, summary_markdown


@pytest.fixture(scope="module")
def story(scanned):
    return build_story(scanned)


def _chains_through(truth: dict, shas: set[str]) -> set[str]:
    return {p for p, c in truth["chains"].items() if {e[0] for e in c["events"]} & shas}


def test_the_breaker_the_fixer_wave_and_the_sed_unmask_are_one_incident(incident, story):
    roles = incident["roles"]
    first = story.incidents.iloc[0]
    assert first["incident"] == 1
    assert first["root_causes"].split()[0] == roles["breaker"][0]
    culprits_ = first["culprits"].split()
    assert set(roles["fixer"]) | set(roles["breaker"]) | set(roles["sed_unmask"]) <= set(culprits_)
    # the wave masked what the breaker broke: its commits that marked broken files, most paths first
    masked_by = {e["sha"] for e in incident["events"] if e["event"] == "marked"
                 and e["path"] in incident["sets"]["fixer_fixed"]}
    assert set(first["maskers"].split()) == masked_by and masked_by <= set(roles["fixer"])
    counts = [int(n) for n in first["masker_paths"].split()]
    assert counts == sorted(counts, reverse=True) and sum(counts) == len(incident["sets"]["fixer_fixed"])
    assert first["surfacers"].split() == roles["sed_unmask"]
    # still damaged: every chain through its commits, and the copy of one of its files
    expected = _chains_through(incident, set(roles["breaker"]) | set(roles["fixer"]) | set(roles["sed_unmask"]))
    expected |= {p for p, c in incident["chains"].items() if c["root_cause"] in roles["copy"]}
    assert first["paths_still_damaged"] == len(expected)
    assert story.paths[(story.paths["incident"] == 1) & story.paths["still_damaged"]]["path"].tolist() == sorted(expected)
    lost = sum(c["last_good"]["tests"] - incident["tests_at_head"][p] for p, c in incident["chains"].items()
               if p in expected and c["last_good"] and c["last_good"]["tests"] > incident["tests_at_head"][p])
    assert first["tests_lost"] == lost


def test_unrelated_damage_stays_its_own_incident_even_inside_a_long_one(incident, story):
    inc = story.incidents
    by_root = {r.root_causes.split()[0]: r for r in inc.itertuples(index=False)}
    merge = by_root[incident["roles"]["conflict_merge"][0]]
    assert merge.paths_still_damaged == 1 and merge.incident != 1
    legacy = by_root[incident["roles"]["legacy"][0]]
    assert legacy.paths_still_damaged == sum(1 for c in incident["chains"].values()
                                             if c["root_cause"] == incident["roles"]["legacy"][0])
    healed = by_root[incident["roles"]["ordinary_break"][0]]
    assert healed.paths_still_damaged == 0 and healed.healers.split() == incident["roles"]["ordinary_heal"]
    assert inc["paths_still_damaged"].tolist() == sorted(inc["paths_still_damaged"], reverse=True)
    assert inc["incident"].tolist() == list(range(1, len(inc) + 1))
    assert inc["paths_still_damaged"].sum() == len(incident["chains"])


def test_every_culprit_is_ranked_by_the_damage_it_explains_now(incident, story):
    cul = story.culprits
    main = cul[cul["kind"].isin(MAIN_KINDS)]
    keys = list(zip(main["paths_still_caused"], main["paths_still_damaged"], main["paths_damaged"]))
    assert keys == sorted(keys, reverse=True)
    assert list(cul.columns[:12]) == ["kind", "sha", "committed_at", "author", "subject", "paths_changed",
                                      "paths_damaged", "paths_healed", "scripts", "paths_still_damaged", "evidence",
                                      "paths_masked"]
    breaker = main[main["sha"] == incident["roles"]["breaker"][0]].iloc[0]
    assert breaker["paths_still_damaged"] == len(_chains_through(incident, set(incident["roles"]["breaker"])))
    bulk = main[main["sha"] == incident["roles"]["bulk_script"][0]].iloc[0]
    assert bulk["paths_still_damaged"] == 0 and bulk["paths_damaged"] == 0


def test_no_script_row_without_evidence_and_at_most_three_per_culprit(story):
    scr = story.culprits[story.culprits["kind"] == "script"]
    assert len(scr) and scr["evidence"].str.len().gt(0).all() and scr["score"].gt(0).all()
    assert scr.groupby("linked_to").size().max() <= 3
    assert not scr.duplicated(["subject", "linked_to"]).any()
    # the repair script was added after the wave: its marker text is no evidence against the wave
    wave = story.culprits[story.culprits["kind"] == "wave"].iloc[0]
    assert "scripts/repair_markers.py" not in set(scr.loc[scr["linked_to"] == wave["sha"], "subject"])


def test_a_script_named_in_a_message_keeps_its_path_as_written():
    assert scripts_named_in("Run tools\\fix_all.py, then scripts/x.sh on tests/test_a.py") == \
        ["tools\\fix_all.py", "scripts/x.sh"]


def test_the_bulk_script_backups_are_one_run_and_the_snapshot_one_set(incident, story):
    sets = story.culprits[story.culprits["kind"] == "backup_set"]
    runs = sets[sets["subject"].str.startswith("*.backup_")]
    assert len(runs) == 1
    run = runs.iloc[0]
    assert run["paths_changed"] == len(incident["sets"]["bulk_touched"])
    assert run["suffix_first"] == run["suffix_last"] == "2025-09-10T04:40:26"
    assert run["linked_to"] == incident["roles"]["bulk_script"][0]
    snap = sets[sets["subject"] == "backups/tests_20250908_101500"]
    assert len(snap) == 1 and snap.iloc[0]["paths_changed"] == len(incident["sets"]["snapshot"])


def test_a_long_burst_is_split_into_waves_of_bounded_span(scanned, incident):
    one = culprits(scanned, wave_span=120)
    wave = one[one["kind"] == "wave"].iloc[0]
    assert culprit_commits(scanned, wave) == incident["roles"]["fixer"]
    split = culprits(scanned, wave_span=3, wave_min_damaged=1)
    members = [culprit_commits(scanned, w) for _, w in split[split["kind"].isin(["wave", "churn"])].iterrows()]
    fixer = [m for m in members if set(m) <= set(incident["roles"]["fixer"])]
    assert len(fixer) >= 2 and all(w["span_minutes"] <= 3 for _, w in split[split["kind"] == "wave"].iterrows())


def test_the_summary_fits_a_screen_and_names_the_cleared_bulk_script(incident, scanned, story):
    lines = summarize(scanned, story=story)
    text = summary_markdown(scanned, story=story)
    assert [ln for ln in text.splitlines() if ln.strip()] == lines and len(lines) <= 25
    bulk = incident["roles"]["bulk_script"][0]
    assert (f"**Cleared:** `bulk_fix_websocket_imports.py` (commit {bulk[:12]}): touched "
            f"{len(incident['sets']['bulk_touched']) + 1}, damaged 0, "
            f"{len(incident['sets']['bulk_touched_already_damaged'])} already damaged") in text
    inc = story.incidents
    shown = sum(1 for ln in lines if ln.startswith("## Incident "))
    assert lines[-1].startswith(f"{len(inc) - shown} more incident")
    assert lines[-1].endswith("see incidents.csv, culprits.csv")


def test_repository_text_is_never_markup_in_the_summary():
    from forensics.analyses.summary import md_code, md_text

    assert md_text("<script>alert(1)</script> *x* [a](b)") == "\\<script\\>alert(1)\\</script\\> \\*x\\* \\[a\\](b)"
    assert md_code("a`b") == "`` a`b ``"


def test_incidents_cli_csv_json_and_summary(repo, tmp_path):
    out = tmp_path / "incidents.csv"
    proc = run_cli("incidents", repo, "--csv", str(out), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(out)
    assert list(df.columns[:9]) == INCIDENT_COLUMNS[:9]
    proc = run_cli("incidents", repo, "--json", "--no-cache", "-q")
    assert proc.returncode == 0 and json.loads(proc.stdout)[0]["incident"] == 1
    proc = run_cli("summary", repo, "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    assert 0 < len([ln for ln in proc.stdout.splitlines() if ln.strip()]) <= 25
    proc = run_cli("summary", repo, "--wave-span", "0", "--no-cache", "-q")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--wave-span" in proc.stderr


def test_worktree_backups_are_counted_only_when_asked(repo, tmp_path):
    from conftest import git

    clone = tmp_path / "clone"
    git("clone", "-q", repo, str(clone))
    (clone / "tests" / "left_behind.py.orig").write_text("x = 1\n")
    plain, asked = tmp_path / "plain.csv", tmp_path / "asked.csv"
    assert run_cli("culprits", str(clone), "--csv", str(plain), "--no-cache", "-q").returncode == 0
    assert run_cli("culprits", str(clone), "--worktree-backups", "--csv", str(asked), "--no-cache", "-q").returncode == 0
    sets = lambda f: pd.read_csv(f).query("kind == 'backup_set'")  # noqa: E731
    assert "*.orig" not in set(sets(plain)["subject"])
    row = sets(asked).query("subject == '*.orig'").iloc[0]
    assert row["paths_changed"] == 1 and "in the worktree only" in row["evidence"]
