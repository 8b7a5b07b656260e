"""Issue 21's "Must show", on the realistic incident with default settings and no hint: the squash
commit that turned plugins into stubs that compile is found as the root cause of every hollowed path
(still hollowed after the claim line is deleted), the comment-out wave with a prefix nobody configured
is a culprit with that prefix and its files are marked, no decoy (a module split, a dead-code deletion,
a formatting pass, a file emptied then deleted) is flagged, and the restore list brings each path back
from before its damage, with the code it lost."""
from __future__ import annotations

import pytest

from forensics.analyses.census import census
from forensics.analyses.culprits import culprits
from forensics.analyses.restore_list import restore_list
from forensics.engine.states import HOLLOWED, MARKED


@pytest.fixture(scope="module")
def real_scan(realistic, tmp_path_factory):
    from forensics import scan

    return scan(realistic["repo"], cache=str(tmp_path_factory.mktemp("cache")), progress=False)


def test_every_hollowed_path_is_found_with_the_squash_commit_as_its_root_cause(realistic, real_scan):
    states = dict(zip(real_scan.subjects["path"], real_scan.subjects["state"]))
    chains = real_scan.chains().set_index("path")
    truth = realistic["hollowed_paths"]
    assert truth and {p for p, s in states.items() if s == HOLLOWED} == set(truth)
    for path, want in truth.items():
        assert chains.loc[path, "root_cause"] == want["culprit"], path
        assert [e for _, _, e in chains.loc[path, "chain"]] == ["hollowed"], path   # the claim deletion is an edit
        assert want["claim_removed_by"] in chains.loc[path, "edits"], path
    assert [c["sha"] for c in real_scan.manifest["hollowing_commits"]] == [realistic["hollowing_commit"]]


def test_the_comment_out_wave_is_a_culprit_with_the_prefix_it_used(realistic, real_scan):
    states = dict(zip(real_scan.subjects["path"], real_scan.subjects["state"]))
    chains = real_scan.chains().set_index("path")
    truth = realistic["commentout_paths"]
    assert truth
    for path, want in truth.items():
        assert states[path] == MARKED, path
        assert chains.loc[path, "root_cause"] == want["culprit"], path
    mined = real_scan.manifest["comment_prefixes"]
    assert {m["prefix"] for m in mined} == {realistic["commentout_prefix"]}
    assert {m["sha"] for m in mined} == {w["culprit"] for w in truth.values()}
    table = culprits(real_scan).set_index("sha")
    for sha in {w["culprit"] for w in truth.values()}:
        row = table.loc[sha]
        assert row["paths_damaged"] == sum(w["culprit"] == sha for w in truth.values())
        assert f"comment-out prefix '{realistic['commentout_prefix']}'" in row["evidence"]
    hollowing = table.loc[realistic["hollowing_commit"]]
    assert hollowing["paths_damaged"] == len(realistic["hollowed_paths"]) and "hollowed" in hollowing["evidence"]


def test_no_decoy_is_flagged(realistic, real_scan):
    ev = real_scan.events
    states = dict(zip(real_scan.subjects["path"], real_scan.subjects["state"]))
    assert {d["kind"] for d in realistic["decoys"]} == {"formatting", "split", "dead_code", "emptied"}
    for decoy in realistic["decoys"]:
        shas = {decoy["sha"], decoy.get("deleted_in", decoy["sha"])}
        assert ev[ev["sha"].isin(shas)].empty, decoy["kind"]
        for path in decoy["paths"]:
            if path in states and path not in realistic["hollowed_paths"] and path not in realistic["commentout_paths"]:
                assert states[path] == "healthy", (decoy["kind"], path)
    flagged = {c["sha"] for c in real_scan.manifest["hollowing_commits"]} | \
        {m["sha"] for m in real_scan.manifest["comment_prefixes"]}
    assert not flagged & {d["sha"] for d in realistic["decoys"]}


def test_the_census_counts_hollowed_paths_as_damaged(realistic, real_scan):
    total = census(real_scan).iloc[0]
    head = realistic["states"]["HEAD"]
    assert total["hollowed"] == sum(s == HOLLOWED for s in head.values()) == len(realistic["hollowed_paths"])
    assert total["damaged"] == sum(s != "healthy" for s in head.values())


def test_the_restore_list_brings_each_back_from_before_its_damage(realistic, real_scan):
    plan = restore_list(real_scan).set_index("path")
    when = dict(zip(real_scan.commits["sha"], real_scan.commits["committed_at"]))
    versions = real_scan.versions.set_index("blob")
    for path, want in {**realistic["hollowed_paths"], **realistic["commentout_paths"]}.items():
        row = plan.loc[path]
        assert row["source"] == "git" and row["last_good_sha"] == want["last_good"], path
        assert when[row["last_good_sha"]] < when[want["culprit"]]
        assert versions.loc[row["candidate_blob"], "state"] == "healthy"
        assert row["code_lines_recovered"] > 0, path
        if path in realistic["hollowed_paths"]:
            assert row["state"] == HOLLOWED and row["edits_since_damage"] == 1   # the claim deletion
