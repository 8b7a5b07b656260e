"""One story, told the same everywhere, and every number on the page true: the realistic incident's
summary, report header, report.json, incidents, culprits, timeline and figures, checked against the
simulator's truth."""
from __future__ import annotations

from collections import Counter

import pytest

from forensics.analyses.culprits import MAIN_KINDS, culprit_commits
from forensics.analyses.summary import as_terminal_text, summarize
from forensics.analyses.suspect import suspect


@pytest.fixture(scope="module")
def scanned(realistic):
    from forensics import scan

    return scan(realistic["repo"], cache=False, progress=False)


@pytest.fixture(scope="module")
def rc(scanned):
    from forensics.report.results import analyse_root_cause

    return analyse_root_cause(scanned)


@pytest.fixture(scope="module")
def story(rc):
    return rc.story


def _truth_top(realistic) -> tuple[str, int]:
    roots = Counter(c["root_cause"] for c in realistic["chains"].values() if c["root_cause"])
    (sha, n), = roots.most_common(1)
    return sha, n


def test_the_same_top_culprit_in_summary_header_incidents_culprits_and_report_json(realistic, rc, story):
    from forensics.report.incident import headline
    from forensics.report.results import BlastRadius
    from forensics.analyses.restore_list import restore_list

    sha, still = _truth_top(realistic)
    assert story.top.sha == sha and story.top.still == still
    main = story.culprits[story.culprits["kind"].isin(MAIN_KINDS)].iloc[0]
    assert (main["members"][0][0] if main["kind"] == "wave" else main["sha"]) == sha
    top_line = next(line for line in rc.summary if line.startswith("**Top culprit:**"))
    assert sha[:12] in top_line and f"{still} paths still damaged" in top_line
    home = next(i for i in story.records if any(a.sha == sha for a in i.root_causes))
    assert home.root_causes[0].sha == sha
    row = story.incidents[story.incidents["incident"] == home.number].iloc[0]
    assert row["root_causes"].split()[0] == sha and sha[:12] in row["headline"]
    h = headline(rc.result, rc, restore_list(rc.result), BlastRadius(rc.result, culprits=rc.culprits))
    assert h["top_culprit"]["sha"] == sha == h["root_cause"]["sha"] and h["top_culprit"]["paths"] == still
    assert [i["incident"] for i in h["incidents"]] == list(story.incidents["incident"])


def test_the_commits_inside_the_damaging_wave_are_named_with_their_counts(realistic, scanned, story):
    wave = story.culprits[story.culprits["kind"] == "wave"].iloc[0]
    fixer = realistic["fixer_script"]["wave"]
    assert culprit_commits(scanned, wave) == fixer
    named = [m[0] for m in wave["members"]]
    assert set(named) == set(fixer)                       # every wave commit damaged files: each is named
    damaged = Counter(e["sha"] for e in realistic["events"] if e["event"] in ("broke", "marked", "added_damaged"))
    assert {m[0]: m[2] for m in wave["members"]} == {s: damaged[s] for s in fixer}
    a = next(i for i in story.records if i.maskers)
    assert {m.sha for m in a.maskers} <= set(fixer) and all(m.wave == wave["sha"] for m in a.maskers)
    text = "\n".join(summarize(scanned, story=story))
    assert a.maskers[0].sha[:12] in text                  # a commit, with the wave only as context


def test_the_unmask_is_named(realistic, scanned, story):
    unmask = next(i for i in realistic["incidents"] if i["label"] == "C")["commits"][0]
    surfacers = [a.sha for i in story.records for a in i.surfacers]
    assert surfacers[0] == unmask
    assert unmask[:12] in "\n".join(summarize(scanned, story=story))


def test_masking_is_never_healing(realistic, scanned, story, rc):
    masked = Counter()
    by_key: dict[tuple[str, str], set[str]] = {}
    for e in realistic["events"]:
        by_key.setdefault((e["sha"], e["path"]), set()).add(e["event"])
    for (sha, _), kinds in by_key.items():
        if {"healed", "marked"} <= kinds:
            masked[sha] += 1
    assert sum(masked.values()) > 0
    healed = Counter(sha for (sha, _), kinds in by_key.items()
                     if kinds & {"healed", "unmarked"} and not kinds & {"marked", "broke"})
    wave = story.culprits[story.culprits["kind"] == "wave"].iloc[0]
    assert wave["paths_healed"] == 0 and wave["paths_masked"] == sum(masked[s] for s in realistic["fixer_script"]["wave"])
    tl = rc.timeline.set_index("sha")
    assert tl["masked"].sum() == sum(masked.values())
    assert {s: n for s, n in tl["masked"].items() if n} == dict(masked)
    assert tl["healed"].sum() + tl["unmarked"].sum() - tl["masked"].sum() <= sum(healed.values()) + tl["unmarked"].sum()
    for i in story.records:
        assert not {a.sha for a in i.maskers} & {a.sha for a in i.healers}
        if i.first_at is not None:
            assert all(a.committed_at >= i.first_at for a in i.healers)     # no healer before its incident
    fig = rc.timeline_figure()
    bars = {t.name: sum(t.y) for t in fig.data if t.type == "bar"}
    assert bars.get("masked") == sum(masked.values())
    assert bars.get("healed", 0) == int(tl["healed"].sum())


def test_every_over_time_series_ends_at_the_census_of_the_revision(realistic, rc, scanned):
    from forensics.report.results import BlastRadius

    damaged = realistic["counts"]["damaged_at_head"]
    total = realistic["counts"]["paths_at_head"]
    fig = rc.trend_figure()
    lines = {t.name: list(t.y) for t in fig.data}
    assert lines["damaged"][-1] == damaged
    assert rc.trend.iloc[-1][["damaged", "total"]].tolist() == [damaged, total]
    blast = BlastRadius(scanned, culprits=rc.culprits)
    ot = blast.over_time
    assert not ot.duplicated(["at", "directory", "tier"]).any()
    last = ot[ot["at"] == ot["at"].max()]
    assert (int(last["damaged"].sum()), int(last["total"].sum())) == (damaged, total)
    fig = blast.over_time_figure()
    assert sum(t.y[-1] for t in fig.data) == damaged
    assert all(max(t.y) <= total for t in fig.data)


def test_the_blamed_script_is_cleared_and_linked_to_no_damage(realistic, scanned, story):
    blamed = realistic["blamed_script"]
    row = suspect(scanned, [blamed["path"]], story.culprits).iloc[0]
    assert row["verdict"].startswith("cleared") and row["paths_damaged"] == 0
    assert row["paths_touched"] == blamed["touched"] and list(row["shas"]) == [blamed["run"]]
    assert any(blamed["renamed_in"][:12] in lead for lead in row["leads"])
    cul = story.culprits
    linked = cul[(cul["kind"] == "script") & cul["subject"].isin([blamed["path"], blamed["renamed_to"]])]
    assert len(linked) and (linked[["paths_damaged", "paths_still_damaged", "paths_healed"]] == 0).all().all()
    assert set(linked.loc[linked["sha"] == blamed["renamed_in"], "strength"]) <= {"lead"}


def test_a_commit_that_broke_files_is_implicated_and_an_unknown_pattern_is_bad_input(realistic, scanned, story):
    from forensics.errors import ForensicsError

    sha, still = _truth_top(realistic)
    row = suspect(scanned, [sha[:10]], story.culprits).iloc[0]
    assert row["verdict"].startswith("implicated") and row["kind"] == "commit"
    assert row["root_causes"][0] == (sha, still)
    with pytest.raises(ForensicsError):
        suspect(scanned, ["no such thing ((("], story.culprits)


def test_an_incident_with_one_time_reads_at_that_time_and_the_terminal_gets_no_escapes(scanned, story):
    lines = summarize(scanned, story=story)
    healed = sum(1 for i in story.records if not i.paths_still_damaged)
    assert lines[-1].startswith(f"{healed} more incidents (all healed)")   # slips fixed at once: in the CSV
    one = [i for i in story.records if i.one_time and i.paths_still_damaged]
    assert one                                            # the style commit's incident: one commit, one time
    for i in one:
        assert any(line.startswith(f"## Incident {i.number}, at ") for line in lines)
    assert "\\" not in as_terminal_text("\n".join(lines).replace("\\\\", ""))


def test_damage_over_time_is_the_truth_at_every_tagged_state(realistic, rc):
    from forensics.engine.states import DAMAGED_STATES

    trend = rc.trend.set_index("sha")
    tags = {**realistic["tags"], "HEAD": realistic["head"]}
    for tag, states in realistic["states"].items():
        row = trend.loc[tags[tag]]
        assert (row["damaged"], row["total"]) == (sum(s in DAMAGED_STATES for s in states.values()), len(states)), tag


def test_every_blast_radius_figure_shows_the_truths_numbers(realistic, rc, scanned):
    from forensics.analyses.restore_list import restore_list
    from forensics.engine.states import DAMAGED_STATES
    from forensics.report.figures import restoration_figure
    from forensics.report.results import BlastRadius

    head = realistic["states"]["HEAD"]
    blast = BlastRadius(scanned, culprits=rc.culprits)
    tree = blast.treemap().data[0]
    roots = [i for i, parent in enumerate(tree.parents) if not parent]
    assert sum(tree.values[i] for i in roots) == len(head)
    assert sum(tree.customdata[i][1] for i in roots) == sum(s in DAMAGED_STATES for s in head.values())
    tests_dir = next(i for i, n in enumerate(tree.ids) if n == "tests")
    assert tree.values[tests_dir] == sum(p.startswith("tests/") for p in head)
    heat = blast.heatmap().data[0]
    assert int(sum(map(sum, heat.z))) == realistic["counts"]["events"]
    # touched versus damaged: each bar is its culprit's count in the truth
    bars = {t.name: dict(zip(t.x, t.y)) for t in blast.touched_vs_damaged().data}
    damaged_by: dict[str, set[str]] = {}
    for e in realistic["events"]:
        if e["event"] in ("broke", "marked", "added_damaged", "hollowed"):
            damaged_by.setdefault(e["sha"], set()).add(e["path"])
    main = rc.culprits[rc.culprits["kind"].isin(MAIN_KINDS)]
    for r in main.itertuples(index=False):
        label = next((x for x in bars["damaged"] if x.startswith((r.members[0][0] if r.kind == "wave" and r.members
                                                                   else r.sha)[:8])), None)
        if label is None:
            continue
        members = culprit_commits(scanned, main[main["sha"] == r.sha].iloc[0])
        assert bars["damaged"][label] == len(set().union(*(damaged_by.get(s, set()) for s in members))), label
    plan = restore_list(scanned)
    restore = restoration_figure(plan).data
    assert sum(sum(t.customdata) for t in restore) == realistic["counts"]["damaged_at_head"]


def test_the_report_header_counts_are_the_truths(realistic, rc, scanned):
    from forensics.analyses.restore_list import restore_list
    from forensics.engine.states import DAMAGED_STATES
    from forensics.report.incident import headline
    from forensics.report.results import BlastRadius

    h = headline(scanned, rc, restore_list(scanned), BlastRadius(scanned, culprits=rc.culprits))
    head = realistic["states"]["HEAD"]
    assert h["paths_in_scope"] == len(head) == realistic["counts"]["paths_at_head"]
    assert h["damaged_now"] == sum(s in DAMAGED_STATES for s in head.values()) == realistic["counts"]["damaged_at_head"]
    assert h["marked_now"] == sum("marked" in s for s in head.values())
    assert h["broken_now"] == sum(s in ("broken", "marked+broken") for s in head.values())
    assert h["hollowed_now"] == sum(s == "hollowed" for s in head.values()) == len(realistic["hollowed_paths"])
    bulk = {c["sha"] for c in realistic["commits"] if c["paths_changed"] >= 50}
    damaging = {e["sha"] for e in realistic["events"] if e["event"] in ("broke", "marked", "added_damaged", "hollowed")}
    assert h["culprits"]["bulk_commit"] == len(bulk) == realistic["bulk_commits"]
    assert h["bulk_commits_damaging"] == len(bulk & damaging)
    assert h["tests_lost"] == sum(g["tests_lost"] for g in realistic["incident_groups"])
    assert len(h["incidents"]) == len(rc.story.records)
