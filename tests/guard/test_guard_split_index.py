"""``guard`` and ``manifest`` read a split index without touching it: git would "freshen" (set the
modification time of) the ``sharedindex.*`` files on every read; the tool reads a copy instead, and
still sees exactly what is staged."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import git, run_cli, tree_digest

OLD = 1_500_000_000   # 2017: a time git's freshening would replace


def _mtimes(repo: Path) -> dict[str, int]:
    return {p.name: os.stat(p).st_mtime_ns for p in (repo / ".git").glob("sharedindex.*")}


@pytest.fixture
def split(tmp_path) -> Path:
    repo = tmp_path / "split"
    git("init", "-q", str(repo))
    git("-C", str(repo), "config", "core.splitIndex", "true")
    (repo / "a.py").write_text("x = 1\n")
    (repo / "b.py").write_text("y = 2\n")
    git("-C", str(repo), "add", "-A")
    git("-C", str(repo), "commit", "-qm", "one")
    (repo / "a.py").write_text("def broken(:\n")
    git("-C", str(repo), "add", "a.py")
    for p in (repo / ".git").glob("sharedindex.*"):
        os.utime(p, (OLD, OLD))
    assert _mtimes(repo)
    return repo


@pytest.mark.parametrize("command", [["guard"], ["manifest", "create", "."]])
def test_reading_a_split_index_leaves_it_byte_for_byte_and_its_times_alone(split, command):
    before, times = tree_digest(split / ".git"), _mtimes(split)
    proc = run_cli(*command, cwd=split)
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert tree_digest(split / ".git") == before
    assert _mtimes(split) == times


def test_guard_still_sees_what_is_staged_in_a_split_index(split):
    proc = run_cli("guard", cwd=split)
    assert proc.returncode == 1 and "a.py: broke" in proc.stdout, proc.stdout + proc.stderr
