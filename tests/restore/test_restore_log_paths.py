"""A restore whose paths are not UTF-8, or hold newlines and bidi overrides, finishes: its log takes
every path (git's quoted form), a re-run completes, and each outcome stays one visible line."""
from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import pytest

from conftest import git, run_cli

NAMES = [b"caf\xe9.py", b"two\nlines.py", b"evil\xe2\x80\xaeyp.py"]   # Latin-1, a newline, RIGHT-TO-LEFT OVERRIDE


@pytest.fixture
def damaged_clone(tmp_path) -> tuple[Path, Path]:
    """A repository whose files (named as in NAMES) were healthy, then broken; a clone of it, and the
    restore plan made on the clone."""
    origin = tmp_path / "origin"
    git("init", "-q", str(origin))
    for i, name in enumerate(NAMES):
        (origin / os.fsdecode(name)).write_bytes(b"value = %d\n" % i)
    git("-C", str(origin), "add", "-A")
    git("-C", str(origin), "commit", "-qm", "healthy")
    for name in NAMES:
        (origin / os.fsdecode(name)).write_bytes(b"def broken(:\n")
    git("-C", str(origin), "commit", "-qam", "broken")
    clone = tmp_path / "clone"
    git("clone", "-q", str(origin), str(clone))
    plan = tmp_path / "plan.csv"
    proc = run_cli("restore-list", str(clone), "--csv", str(plan), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    return clone, plan


def test_a_restore_of_paths_that_are_not_utf8_logs_them_and_a_rerun_completes(damaged_clone):
    clone, plan = damaged_clone
    first = run_cli("restore", str(clone), "--plan", str(plan), "--apply")
    assert first.returncode == 0, first.stdout + first.stderr
    for name in NAMES:
        assert (clone / os.fsdecode(name)).read_bytes().startswith(b"value = ")
    again = run_cli("restore", str(clone), "--plan", str(plan), "--apply")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("already restored") == len(NAMES)
    with open(clone / ".git" / "forensics" / "restore-log.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["action"] for r in rows].count("restored") == len(NAMES)
    assert all(r["saved_copy"] for r in rows if r["action"] == "restored")


def test_each_outcome_is_one_line_with_invisible_characters_shown(damaged_clone):
    clone, plan = damaged_clone
    proc = run_cli("restore", str(clone), "--plan", str(plan))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(NAMES)
    assert any("two\\x0alines.py" in line for line in lines)
    assert "\u202e" not in proc.stdout and any("\\u202e" in line for line in lines)
