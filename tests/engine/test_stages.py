"""The engine stage by stage, each imported directly and checked against the simulator's truth: the history
walk sees every commit, judging each version once gives the truth's states, the events derived from those
two stages are the truth's events, and the cache gives back what the scan computed."""
from __future__ import annotations

import pytest

from forensics.engine.events import derive_events
from forensics.engine.git import Repository
from forensics.engine.gitdata import blob_id, display_path, path_bytes
from forensics.engine.history import read_history
from forensics.engine.judge import JudgePool
from forensics.engine.scan import scan
from forensics.engine.settings import load_settings
from forensics.engine.states import DAMAGED_STATES, HEALTHY, UNREADABLE, is_damaged, is_readable


@pytest.fixture(scope="module")
def stages(incident):
    repo = Repository.open(incident["repo"])
    rev_sha = repo.resolve("HEAD")
    settings = load_settings(repo, rev_sha)
    history = read_history(repo, rev_sha, settings.pathspec, settings.rules, settings.include_backups)
    pool = JudgePool(repo, settings.rules, jobs=1)
    blobs = set(history.changes["old_blob"]) | set(history.changes["new_blob"])
    tree = {display_path(p): b for mode, b, p in repo.tree(rev_sha) if mode in ("100644", "100755")}
    pool.add(sorted((blobs | set(tree.values())) - {""}))
    versions = pool.finish()
    return {"repo": repo, "rev_sha": rev_sha, "settings": settings, "history": history, "versions": versions,
            "tree": tree}


def test_the_history_walk_sees_every_commit_of_the_truth_once(stages, incident):
    commits = stages["history"].commits
    assert commits["sha"].is_unique
    truth = {c["sha"]: c for c in incident["commits"]}
    assert set(commits["sha"]) == set(truth)
    for row in commits.itertuples(index=False):
        assert row.is_merge == truth[row.sha]["is_merge"]
        assert row.parents.split() == truth[row.sha]["parents"]
        assert row.author == truth[row.sha]["author"] and row.subject == truth[row.sha]["subject"]
    # topological order: every parent comes before its child
    order = dict(zip(commits["sha"], commits["order"]))
    assert all(order[p] < order[row.sha] for row in commits.itertuples(index=False) for p in row.parents.split())


def test_judging_each_version_once_gives_the_truth_states_at_head(stages, incident):
    versions = stages["versions"]
    assert versions["blob"].is_unique  # each version judged once, whatever the paths that share it
    state_of = dict(zip(versions["blob"], versions["state"]))
    truth = incident["states"]["HEAD"]
    assert {p: state_of[stages["tree"][p]] for p in truth} == truth


def test_the_events_derived_from_the_walk_and_the_judgments_are_the_truth_events(stages, incident):
    h = stages["history"]
    events = derive_events(h.changes[~h.changes["is_backup"]], stages["versions"], h.commits)
    assert sorted(zip(events["sha"], events["path"], events["event"])) == sorted(
        (e["sha"], e["path"], e["event"]) for e in incident["events"])


def test_one_definition_of_damaged_counts_the_truth_damage(incident):
    truth = incident["states"]["HEAD"].values()
    assert sum(is_damaged(s) for s in truth) == incident["counts"]["damaged_at_head"]
    assert not is_damaged(HEALTHY) and not is_damaged(UNREADABLE) and not is_damaged(None)
    assert not is_readable(UNREADABLE) and is_readable(HEALTHY)
    assert HEALTHY not in DAMAGED_STATES and UNREADABLE not in DAMAGED_STATES


def test_git_data_formats_agree_with_git(stages):
    repo, tree = stages["repo"], stages["tree"]
    with repo.blob_reader() as reader:
        contents = dict(reader.read_many(sorted(set(tree.values()))))
    assert all(blob_id(contents[b]) == b for b in tree.values())
    assert any(p.startswith('"') for p in tree), "the demo has a non-UTF-8 file name"
    assert all(display_path(path_bytes(p).decode("utf-8", "surrogateescape")) == p for p in tree)


def test_the_cache_gives_back_what_the_scan_computed(incident, tmp_path):
    first = scan(incident["repo"], cache=tmp_path, progress=False)
    again = scan(incident["repo"], cache=tmp_path, progress=False)
    assert not first.manifest["from_cache"] and again.manifest["from_cache"]
    for name in ("commits", "changes", "events", "tree"):
        a, b = getattr(first, name).reset_index(drop=True), getattr(again, name).reset_index(drop=True)
        assert list(a.columns) == list(b.columns), name
        assert a.astype(str).equals(b.astype(str)), name
    assert set(first.versions["blob"]) == set(again.versions["blob"])
