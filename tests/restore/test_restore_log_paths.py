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


def test_the_log_has_no_raw_newline_a_path_with_one_is_quoted_as_git_quotes_it(damaged_clone):
    clone, plan = damaged_clone
    proc = run_cli("restore", str(clone), "--plan", str(plan), "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    raw = (clone / ".git" / "forensics" / "restore-log.csv").read_bytes()
    assert b"two\nlines" not in raw
    lines = raw.split(b"\r\n")
    header = lines[0].decode().split(",")
    assert all(line.count(b",") >= len(header) - 1 for line in lines if line)  # each row on one line
    with open(clone / ".git" / "forensics" / "restore-log.csv", newline="", encoding="utf-8") as fh:
        paths = {r["path"] for r in csv.DictReader(fh)}
    assert '"two\\nlines.py"' in paths


def _tree_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("planted", ["log", "backups", "forensics"])
def test_a_restore_never_writes_through_a_link_planted_in_the_git_folder(damaged_clone, tmp_path, planted):
    """``.git/forensics/restore-log.csv``, ``restore-backups`` or ``forensics`` itself a symlink to a
    place outside: refused with exit 2 and one line, and nothing outside is written."""
    clone, plan = damaged_clone
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_bytes(b"precious\n")
    forensics_dir = clone / ".git" / "forensics"
    if planted == "forensics":
        forensics_dir.symlink_to(outside)
    else:
        forensics_dir.mkdir()
        if planted == "log":
            (forensics_dir / "restore-log.csv").symlink_to(victim)
        else:
            (forensics_dir / "restore-backups").symlink_to(outside)
    before = _tree_of(outside)
    proc = run_cli("restore", str(clone), "--plan", str(plan), "--apply")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "symlink" in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    assert _tree_of(outside) == before
    for name in NAMES:  # refused before anything was written
        assert (clone / os.fsdecode(name)).read_bytes() == b"def broken(:\n"


def test_a_link_planted_in_a_backup_folder_the_user_names_is_refused_too(damaged_clone, tmp_path):
    clone, plan = damaged_clone
    outside = tmp_path / "outside"
    outside.mkdir()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "backups").symlink_to(outside)
    proc = run_cli("restore", str(clone), "--plan", str(plan), "--apply", "--backup-dir", str(mine / "backups"),
                   "--log", str(mine / "log.csv"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert list(outside.iterdir()) == []
