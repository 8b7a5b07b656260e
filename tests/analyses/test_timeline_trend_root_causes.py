"""Each analysis imported directly and run on a scan of the demo, checked against the truth: the timeline
has one row per commit with events and the truth's counts, damage over time ends at the truth's damage
now, and the root causes explain the truth's damaged paths."""
from __future__ import annotations

from collections import Counter

from forensics.analyses.root_cause import root_causes
from forensics.analyses.timeline import timeline
from forensics.analyses.trend import damaged_over_time
from forensics.engine.states import EVENT_KINDS


def test_the_timeline_counts_each_commits_events_as_the_truth_does(scanned, incident):
    tl = timeline(scanned)
    truth = Counter((e["sha"], e["event"]) for e in incident["events"])
    kinds: dict[tuple[str, str], set[str]] = {}
    for e in incident["events"]:
        kinds.setdefault((e["sha"], e["path"]), set()).add(e["event"])
    # masking (healed and marked in one change: it compiles only commented out) is never healing
    masked = Counter(sha for (sha, _), k in kinds.items() if {"healed", "marked"} <= k)
    assert set(tl["sha"]) == {sha for sha, _ in truth}
    for row in tl.itertuples(index=False):
        for kind in EVENT_KINDS:
            want = truth.get((row.sha, kind), 0) - (masked[row.sha] if kind == "healed" else 0)
            assert getattr(row, kind) == want, (row.sha, kind)
        assert row.masked == masked[row.sha]
    assert tl["order"].is_monotonic_increasing  # history order, oldest first


def test_damage_over_time_ends_at_the_damage_now(scanned, incident):
    trend = damaged_over_time(scanned)
    last = trend.sort_values("order").iloc[-1]
    assert last["sha"] == incident["head"]
    assert last["damaged"] == incident["counts"]["damaged_at_head"]
    head = incident["states"]["HEAD"].values()
    assert last["marked"] == sum(s in ("marked", "marked+broken") for s in head)
    assert last["broken"] == sum(s in ("broken", "marked+broken") for s in head)


def test_the_root_causes_explain_every_damaged_path_as_the_truth_does(scanned, incident):
    rc = root_causes(scanned, scanned.chains())
    truth = Counter(c["root_cause"] for c in incident["chains"].values())
    assert dict(zip(rc["root_cause"], rc["paths"])) == dict(truth)
    assert list(rc["paths"]) == sorted(rc["paths"], reverse=True)
