"""The story of the realistic incident (noisy history, three incidents weeks apart, churn, hundreds of
quiet bulk commits and script-like files), checked against the simulator's truth manifest."""
from __future__ import annotations

import pytest

from forensics.analyses.culprits import MAIN_KINDS, culprit_commits
from forensics.analyses.incidents import build_story
from forensics.analyses.summary import summarize, summary_markdown


@pytest.fixture(scope="module")
def realistic_scanned(realistic):
    """A scan of the realistic incident at HEAD (no cache)."""
    from forensics import scan

    return scan(realistic["repo"], cache=False, progress=False)


@pytest.fixture(scope="module")
def story(realistic_scanned):
    return build_story(realistic_scanned)


@pytest.mark.parametrize("field", ["root_causes", "maskers", "surfacers", "culprits"])
def test_incidents_name_the_truths_commits_most_paths_first(realistic, story, field):
    for group in realistic["incident_groups"]:
        row = story.incidents[story.incidents["incident"] == group["rank"]].iloc[0]
        assert row[field].split() == group[field], (group["name"], field)


def test_incidents_count_paths_and_tests_as_the_truth_does(realistic, story):
    assert len(realistic["incident_groups"]) == 2       # A and C join through their chains; B apart
    for group in realistic["incident_groups"]:
        row = story.incidents[story.incidents["incident"] == group["rank"]].iloc[0]
        assert row["paths_damaged"] == len(group["paths_damaged"])
        assert row["paths_still_damaged"] == len(group["paths_still_damaged"])
        assert row["tests_lost"] == group["tests_lost"]
        still = story.paths[(story.paths["incident"] == group["rank"]) & story.paths["still_damaged"]]
        assert sorted(still["path"]) == sorted(group["paths_still_damaged"])


def test_churn_bursts_are_churn_and_never_an_incidents_culprit(realistic, realistic_scanned, story):
    churn = story.culprits[story.culprits["kind"] == "churn"]
    found = sorted(tuple(culprit_commits(realistic_scanned, r)) for _, r in churn.iterrows())
    assert found == sorted(tuple(b["commits"]) for b in realistic["churn_bursts"])
    bots = {s for b in realistic["churn_bursts"] for s in b["commits"]}
    for field in ("culprits", "root_causes", "maskers", "surfacers"):
        assert not bots & {s for v in story.incidents[field] for s in v.split()}
    spans = story.culprits.loc[story.culprits["kind"].isin(["wave", "churn"]), "span_minutes"]
    assert spans.le(120).all()


def test_the_fixer_script_is_linked_to_its_wave_by_its_source(realistic, realistic_scanned, story):
    fixer = realistic["fixer_script"]
    cul = story.culprits
    waves = cul[cul["kind"] == "wave"]
    assert len(waves) == 1 and culprit_commits(realistic_scanned, waves.iloc[0]) == fixer["wave"]
    wave = waves.iloc[0]
    link = cul[(cul["kind"] == "script") & (cul["linked_to"] == wave["sha"])]
    assert link["subject"].tolist()[0] == fixer["path"] and link.iloc[0]["sha"] == fixer["added_in"]
    assert "source has '# REMOVED_SYNTAX_ERROR:'" in link.iloc[0]["evidence"]
    assert "formatted_string" in link.iloc[0]["evidence"]
    assert wave["scripts"].split()[0] == fixer["path"]


def test_no_script_row_without_evidence_and_no_bystander_linked(realistic, story):
    every = story.culprits[story.culprits["kind"] == "script"]
    assert every["evidence"].str.len().gt(0).all() and every.groupby("linked_to").size().max() <= 3
    leads = every[every["strength"] == "lead"]        # moved, never shown to have done anything: no damage
    assert (leads[["score", "paths_damaged", "paths_still_damaged", "paths_touched"]] == 0).all().all()
    assert leads["evidence"].str.contains("moving is not evidence").all()
    scr = every[every["strength"] == "direct"]
    assert scr["score"].gt(0).all()
    main = story.culprits[story.culprits["kind"].isin(MAIN_KINDS)].set_index("sha")
    for row in scr.itertuples(index=False):
        message = main.loc[row.linked_to, "subject"]
        named = "named in message" in row.evidence and (row.subject.rsplit("/", 1)[-1] in message
                                                        or row.subject.replace("/", "\\") in message)
        assert named or "source has" in row.evidence or "added in a damaging commit" in row.evidence, row
    windows = realistic["windows_path"]
    bystanders = set(realistic["scripts"]) - {realistic["fixer_script"]["path"], windows["script"]}
    assert not bystanders & set(every["subject"])


def test_a_script_named_the_windows_way_is_shown_as_written(realistic, story):
    windows = realistic["windows_path"]
    cul = story.culprits
    bulk = cul[(cul["kind"] == "bulk_commit") & (cul["sha"] == windows["sha"])].iloc[0]
    assert windows["as_written"] in bulk["subject"] and bulk["paths_damaged"] == 0
    link = cul[(cul["kind"] == "script") & (cul["linked_to"] == windows["sha"])].iloc[0]
    assert link["subject"] == windows["script"] and bulk["scripts"] == windows["script"]
    assert link["evidence"] == f"named in message as {windows['as_written']!r}"


def test_backup_runs_and_snapshots_are_one_set_each(realistic, story):
    sets = story.culprits[story.culprits["kind"] == "backup_set"]
    runs = {(r.sha, r.suffix_first.replace("-", "").replace(":", "").replace("T", "_"),
             r.suffix_last.replace("-", "").replace(":", "").replace("T", "_"), r.paths_changed)
            for r in sets.itertuples(index=False) if r.suffix_first}
    assert runs == {(b["sha"], b["first_suffix"], b["last_suffix"], b["copies"]) for b in realistic["backup_runs"]}
    snaps = {(r.sha, r.subject, r.paths_changed) for r in sets.itertuples(index=False) if not r.suffix_first}
    assert snaps == {(s["sha"], s["directory"], s["copies"]) for s in realistic["snapshots"]}


def test_the_quiet_bulk_commits_touched_and_damaged_nothing(realistic, story):
    main = story.culprits[story.culprits["kind"] == "bulk_commit"].set_index("sha")
    for s in realistic["cleared_suspects"]:
        row = main.loc[s["sha"]]
        assert (row["paths_touched"], row["paths_damaged"], row["already_damaged"], row["paths_still_damaged"]) == \
            (s["touched"], 0, s["already_damaged"], 0)


def test_the_summary_fits_a_screen_and_clears_the_bulk_import_script_by_name(realistic, realistic_scanned, story):
    lines = summarize(realistic_scanned, story=story)
    text = summary_markdown(realistic_scanned, story=story)
    assert len([ln for ln in text.splitlines() if ln.strip()]) == len(lines) <= 25
    bulk = next(s for s in realistic["cleared_suspects"] if s["script"])
    assert (f"`{bulk['script']}` (commit {bulk['sha'][:12]}): touched {bulk['touched']}, damaged 0, "
            f"{bulk['already_damaged']} already damaged") in text
    first = realistic["incident_groups"][0]
    assert lines[2].startswith("**Top culprit:**")
    assert f"{len(first['paths_still_damaged'])} of {len(first['paths_damaged'])} paths still damaged" in lines[3]
    assert first["root_causes"][0][:12] in lines[4] and first["surfacers"][0][:12] in lines[5]
