"""Evidence is read-only: every command leaves a normal, a bare, a shallow and a partial (blob:none) clone
byte-identical: nothing is fetched, repacked or maintained."""
from __future__ import annotations

import pytest

from conftest import git, run_cli, tree_digest

COMMANDS = [
    ["scan"],
    ["scan", "--rev", "sim/after-fixer"],
    ["census", "--json"],
    ["timeline"],
    ["events", "--csv", "-"],
]


@pytest.fixture(scope="module")
def evidence(repo, tmp_path_factory):
    base = tmp_path_factory.mktemp("evidence")
    normal = base / "normal"
    git("clone", "-q", repo, str(normal))
    git("clone", "-q", "--bare", repo, str(base / "bare.git"))
    git("clone", "-q", "--depth", "25", "--no-single-branch", f"file://{repo}", str(base / "shallow"))
    # fetch the tags the commands name, shallowly
    git("-C", str(base / "shallow"), "fetch", "-q", "--depth", "25", "origin", "+refs/tags/*:refs/tags/*")
    # a partial clone: the old blobs were never fetched; a scan must not fetch them (nor repack)
    git("-C", str(base / "bare.git"), "config", "uploadpack.allowFilter", "true")
    git("clone", "-q", "--filter=blob:none", f"file://{base / 'bare.git'}", str(base / "partial"))
    return {"normal": normal, "bare": base / "bare.git", "shallow": base / "shallow", "partial": base / "partial"}


@pytest.mark.parametrize("kind", ["normal", "bare", "shallow", "partial"])
def test_commands_leave_the_repository_byte_identical(evidence, kind, tmp_path):
    target = evidence[kind]
    before = tree_digest(target)
    assert any(k.endswith("config") for k in before)
    for args in COMMANDS:
        proc = run_cli(*args, str(target), "--cache", str(tmp_path / "cache"), "--quiet")
        assert proc.returncode == 0, (args, proc.stderr)
    # and once more from the cache
    proc = run_cli("census", str(target), "--cache", str(tmp_path / "cache"), "--quiet")
    assert proc.returncode == 0, proc.stderr
    after = tree_digest(target)
    assert after == before


def test_the_pydriller_view_leaves_the_evidence_untouched(evidence):
    from forensics.engine.git import Repository
    from forensics.engine.pydriller_view import commits_via_pydriller

    target = evidence["normal"]
    before = tree_digest(target)
    repo = Repository.open(target)
    assert len(commits_via_pydriller(repo, repo.resolve("HEAD"))) > 50
    assert tree_digest(target) == before


def test_a_shallow_clone_scans_what_it_has_and_says_so(evidence, tmp_path):
    proc = run_cli("scan", str(evidence["shallow"]), "--no-cache", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "shallow         yes" in proc.stdout
    commits = int(next(l for l in proc.stdout.splitlines() if l.startswith("commits")).split()[1])
    assert 25 <= commits < 96
