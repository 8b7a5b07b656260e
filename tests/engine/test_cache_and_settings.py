"""Cache reuse, settings layers, determinism of the simulator, and pydriller agreement."""
from __future__ import annotations

import json

import pandas as pd

from conftest import git, run_cli
from forensics import scan
from forensics.simulate import simulate


def test_the_same_scan_is_answered_from_the_cache(repo, tmp_path):
    first = scan(repo, cache=tmp_path, progress=False)
    assert not first.manifest["from_cache"] and first.manifest["versions_judged"] > 300
    second = scan(repo, cache=tmp_path, progress=False)
    assert second.manifest["from_cache"]
    for name in ("commits", "changes", "events", "tree"):
        a, b = getattr(first, name), getattr(second, name)
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)
    manifest = json.loads(next((tmp_path).rglob("manifest.json")).read_text())
    assert manifest["rev_sha"] == first.rev_sha and manifest["interpreter"].startswith("CPython")


def test_a_later_revision_reuses_every_judged_version(repo, tmp_path):
    early = scan(repo, rev="sim/after-fixer", cache=tmp_path, progress=False)
    late = scan(repo, cache=tmp_path, progress=False)
    early_blobs = set(early.versions["blob"])
    assert late.manifest["versions_reused"] == len(early_blobs & set(late.versions["blob"]))
    assert late.manifest["versions_judged"] == len(set(late.versions["blob"]) - early_blobs)
    assert late.manifest["versions_judged"] < late.manifest["versions"] / 2


def test_other_settings_are_not_served_from_the_cache(repo, tmp_path):
    scan(repo, cache=tmp_path, progress=False)
    other = scan(repo, cache=tmp_path, progress=False, markers=[r'"formatted_string"'])
    assert not other.manifest["from_cache"]


def test_marker_option_finds_placeholder_corruption(incident, repo):
    result = scan(repo, cache=False, progress=False, markers=[r'"formatted_string"', r"\[item for item in \[\]\]"])
    marked = set(result.subjects.loc[result.subjects["markers"] > 0, "path"])
    assert set(incident["sets"]["placeholder"]) <= marked
    # the default REMOVED_SYNTAX_ERROR marker is replaced, not added to
    assert not (set(incident["sets"]["fixer_fixed"]) - set(incident["sets"]["placeholder"])) <= marked


def test_tool_forensics_table_in_the_analysed_repository(repo, tmp_path):
    clone = tmp_path / "clone"
    git("clone", "-q", repo, str(clone))
    (clone / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.forensics]\npaths = ["tests/e2e"]\n')
    git("-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qam", "configure forensics")
    result = scan(clone, cache=False, progress=False)
    assert set(result.subjects["path"].str.slice(0, 10)) == {"tests/e2e/"}
    assert any("[tool.forensics]" in s for s in result.settings.sources)
    # --config and the command line override it, in that order
    cfg = tmp_path / "f.toml"
    cfg.write_text('paths = ["src"]\nbulk_threshold = 10\n')
    result = scan(clone, cache=False, progress=False, config=str(cfg))
    assert result.settings.paths == ("src",) and result.settings.bulk_threshold == 10
    result = scan(clone, cache=False, progress=False, config=str(cfg), paths=["scripts"])
    assert set(result.subjects["path"]) == {"scripts/migrate_ssot_base.py", "scripts/repair_markers.py"}


def test_backups_are_evidence_unless_included(incident, repo):
    default = scan(repo, cache=False, progress=False)
    assert not default.subjects["path"].str.contains("backup").any()
    backups = default.tree[default.tree["is_backup"]]
    assert len(backups) == len(incident["sets"]["snapshot"]) + len(incident["sets"]["bulk_touched"]) + len(
        incident["sets"]["bak_newer"])
    assert not default.events["path"].str.contains("backup").any()
    included = scan(repo, cache=False, progress=False, include_backups=True)
    assert included.subjects["path"].str.startswith("backups/").sum() == len(incident["sets"]["snapshot"])


def test_same_seed_same_shas_and_other_seed_other_shas(incident, tmp_path):
    again = simulate(tmp_path / "again", seed=7)
    assert again["head"] == incident["head"] and again["events"] == incident["events"]
    other = simulate(tmp_path / "other", seed=8)
    assert other["head"] != incident["head"]


def test_simulate_refuses_to_overwrite_other_work(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    proc = run_cli("simulate", str(tmp_path / "busy"))
    assert proc.returncode == 2 and "not empty" in proc.stderr
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


def test_commit_metadata_agrees_with_pydriller(scanned):
    from forensics.engine.pydriller_view import commits_via_pydriller

    theirs = commits_via_pydriller(scanned.repo, scanned.rev_sha).set_index("sha").sort_index()
    ours = scanned.commits.set_index("sha").sort_index()
    assert list(ours.index) == list(theirs.index)
    for col in ("parents", "is_merge", "author", "author_email", "authored_at", "committed_at", "subject"):
        assert ours[col].tolist() == theirs[col].tolist(), col
    assert ours["is_merge"].sum() >= 3


def test_an_incremental_scan_equals_a_full_scan(repo, tmp_path):
    scan(repo, rev="sim/after-fixer", cache=tmp_path, progress=False)
    incremental = scan(repo, cache=tmp_path, progress=False)
    assert incremental.manifest["incremental_from"] == scan(repo, rev="sim/after-fixer", cache=False,
                                                            progress=False).rev_sha
    full = scan(repo, cache=False, progress=False)
    key = ["sha", "path", "event"]
    assert sorted(map(tuple, incremental.events[key].values.tolist())) == sorted(map(tuple, full.events[key].values.tolist()))
    assert set(incremental.commits["sha"]) == set(full.commits["sha"])
    assert len(incremental.changes) == len(full.changes)
    chains_a = incremental.chains().set_index("path")[["root_cause", "last_good_blob"]]
    chains_b = full.chains().set_index("path")[["root_cause", "last_good_blob"]]
    pd.testing.assert_frame_equal(chains_a.sort_index(), chains_b.sort_index())
    # the order is still topological: every parent comes before its child
    order = dict(zip(incremental.commits["sha"], incremental.commits["order"]))
    for sha, parents in zip(incremental.commits["sha"], incremental.commits["parents"]):
        assert all(order[p] < order[sha] for p in parents.split() if p in order)


def test_incremental_scans_store_only_their_new_history_and_load_whole(repo, tmp_path):
    revs = ["sim/before-breaker", "sim/after-breaker", "sim/after-fixer", "sim/after-bulk-script", "HEAD"]
    for rev in revs:
        scan(repo, rev=rev, cache=tmp_path, progress=False)
    manifests = [json.loads(p.read_text()) for p in tmp_path.rglob("manifest.json")]
    assert sum(1 for m in manifests if m.get("stored_as_delta_of")) == len(revs) - 1
    parts = list(tmp_path.rglob("versions-*/part-*.parquet"))
    assert len(parts) == len(revs)  # each scan appended only what it judged
    cached = scan(repo, cache=tmp_path, progress=False)   # served through the chain of deltas
    full = scan(repo, cache=False, progress=False)
    assert cached.manifest["from_cache"]
    for name in ("commits", "changes", "events"):
        a = getattr(cached, name).sort_values(["order", "sha"] + (["path"] if "path" in getattr(cached, name) else []))
        b = getattr(full, name).sort_values(["order", "sha"] + (["path"] if "path" in getattr(full, name) else []))
        assert set(a["sha"]) == set(b["sha"]) and len(a) == len(b), name
    assert set(cached.versions["blob"]) == set(full.versions["blob"])
    pd.testing.assert_frame_equal(cached.tree.reset_index(drop=True), full.tree.reset_index(drop=True), check_dtype=False)
