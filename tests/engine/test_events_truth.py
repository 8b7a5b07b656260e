"""The scan's events, chains, states and test counts equal the simulator's truth manifest."""
from __future__ import annotations

import pandas as pd
import pytest

from forensics import scan
from forensics.analyses.census import census
from forensics.engine.health import MARKED_BROKEN


def _event_set(events: pd.DataFrame) -> set[tuple[str, str, str, str]]:
    return set(map(tuple, events[["sha", "path", "old_path", "event"]].astype(str).values.tolist()))


def test_every_event_matches_the_truth(incident, scanned):
    want = {(e["sha"], e["path"], e["old_path"], e["event"]) for e in incident["events"]}
    got = _event_set(scanned.events)
    assert got == want
    assert len(scanned.events) == len(incident["events"])  # no duplicates either


def test_events_carry_before_and_after_health(scanned):
    ev = scanned.events
    broke = ev[ev["event"] == "broke"]
    assert broke["compiles_before"].all() and not broke["compiles_after"].any()
    marked = ev[ev["event"] == "marked"]
    assert (marked["markers_before"] == 0).all() and (marked["markers_after"] > 0).all()
    added = ev[ev["event"] == "added_damaged"]
    assert added["markers_before"].isna().all() and added["compiles_before"].isna().all()


def test_every_damage_chain_root_cause_and_last_good_version(incident, scanned):
    chains = scanned.chains().set_index("path")
    assert set(chains.index) == set(incident["chains"])
    for path, want in incident["chains"].items():
        got = chains.loc[path]
        assert [list(e) for e in got["chain"]] == want["events"], path
        assert got["root_cause"] == want["root_cause"], path
        assert got["root_cause_event"] == want["root_cause_event"], path
        assert got["damaged_since"] == want["root_cause"], path
        assert got["born"] == want["born"], path
        assert got["born_from"] == want["born_from"], path
        lg = want["last_good"] or {"sha": "", "path": "", "blob": ""}
        assert (got["last_good_sha"], got["last_good_path"], got["last_good_blob"]) == \
            (lg["sha"], lg["path"], lg["blob"]), path


def test_the_fixer_wave_files_trace_back_to_the_breaker(incident, scanned):
    breaker = incident["roles"]["breaker"][0]
    fixer = set(incident["roles"]["fixer"])
    chains = scanned.chains().set_index("path")
    fixed_now = [p for p in incident["sets"]["fixer_fixed"] if p in chains.index]
    assert len(fixed_now) > 30
    for path in fixed_now:
        row = chains.loc[path]
        assert row["root_cause"] == breaker, path
        assert any(sha in fixer and ev == "marked" for sha, _, ev in row["chain"]), path
        # the fixer healed compilation, except where the breaker broke a second place it missed
        healed = any(sha in fixer and ev == "healed" for sha, _, ev in row["chain"])
        assert healed is (path not in incident["sets"]["breaker_double"]), path


def test_a_file_renamed_while_damaged_keeps_its_chain(incident, scanned):
    old, new = incident["sets"]["renamed_from"][0], incident["sets"]["renamed_to"][0]
    row = scanned.chains().set_index("path").loc[new]
    assert row["root_cause_path"] == old
    assert row["last_good_path"] == old


def test_a_copy_of_a_damaged_file_is_born_damaged_and_points_at_its_source(incident, scanned):
    src, dst = incident["sets"]["copy_source"][0], incident["sets"]["copy"][0]
    row = scanned.chains().set_index("path").loc[dst]
    assert row["root_cause_event"] == "added_damaged"
    assert row["born_from"] == src and row["last_good_path"] == src


def test_damage_in_a_merge_conflict_resolution_belongs_to_the_merge(incident, scanned):
    merge = incident["roles"]["conflict_merge"][0]
    path = incident["sets"]["conflict"][0]
    ev = scanned.events
    at_merge = ev[ev["sha"] == merge]
    assert at_merge["path"].tolist() == [path] and at_merge["event"].tolist() == ["broke"]
    # the branch's own, healthy, edits bring no event at the merge
    assert not ev[(ev["sha"] == merge) & (ev["path"] != path)].shape[0]


def test_the_bulk_import_script_touched_many_files_and_damaged_none(incident, scanned):
    sha = incident["roles"]["bulk_script"][0]
    touched = scanned.changes[(scanned.changes["sha"] == sha) & ~scanned.changes["is_backup"]]
    assert len(touched) > len(incident["sets"]["bulk_touched"]) - 1
    assert scanned.events[scanned.events["sha"] == sha].empty


def test_states_and_tests_at_head(incident, scanned):
    subjects = scanned.subjects
    assert dict(zip(subjects["path"], subjects["state"])) == incident["states"]["HEAD"]
    assert dict(zip(subjects["path"], subjects["tests"])) == incident["tests_at_head"]
    assert (subjects["state"] == MARKED_BROKEN).any()


def _census_from_truth(states: dict[str, str], depth: int) -> pd.DataFrame:
    from forensics.analyses.census import directory_of

    rows = {}
    for path, state in states.items():
        d = directory_of(path, depth)
        r = rows.setdefault(d, {"total": 0, "healthy": 0, "marked": 0, "broken": 0, "damaged": 0})
        r["total"] += 1
        r["healthy"] += state == "healthy"
        r["marked"] += state in ("marked", "marked+broken")
        r["broken"] += state in ("broken", "marked+broken")
        r["damaged"] += state != "healthy"
    return pd.DataFrame([{"directory": d, **r} for d, r in sorted(rows.items())])


@pytest.mark.parametrize("ref", ["sim/before-breaker", "sim/after-breaker", "sim/after-fixer",
                                 "sim/after-bulk-script", "HEAD"])
def test_census_at_several_revisions(incident, ref):
    result = scan(incident["repo"], rev=ref, cache=False, progress=False)
    got = census(result, depth=2)
    want = _census_from_truth(incident["states"][ref], depth=2)
    body = got[got["directory"] != "*"].reset_index(drop=True)
    cols = ["directory", "total", "healthy", "marked", "broken", "damaged"]
    pd.testing.assert_frame_equal(body[cols], want[cols], check_dtype=False)
    total = got[got["directory"] == "*"].iloc[0]
    assert total["total"] == len(incident["states"][ref])
    assert total["damaged"] == sum(s != "healthy" for s in incident["states"][ref].values())


def test_before_the_breaker_only_legacy_files_are_damaged(incident):
    states = incident["states"]["sim/before-breaker"]
    damaged = sorted(p for p, s in states.items() if s != "healthy")
    assert damaged == ["src/app/legacy/nul_byte.py", "src/app/legacy/raw_bytes.py"]
