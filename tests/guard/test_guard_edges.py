"""The guard's edges: a repository's first commit (no HEAD yet), a new branch in CI (an all-zero "before"),
and a manifest that may only be written inside the repository."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git, run_cli

VENV_BIN = Path(sys.executable).parent
HEALTHY = "def answer():\n    return 42\n"
DAMAGED = "# REMOVED_SYNTAX_ERROR: def answer(:\ndef answer(:\n    return 42\n"


def _new_repo(where: Path) -> Path:
    git("init", "-q", "-b", "main", str(where))
    git("-C", str(where), "config", "user.name", "Dev")
    git("-C", str(where), "config", "user.email", "dev@example.com")
    (where / "src").mkdir()
    return where


def _commit(repo: Path, message: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    return subprocess.run(["git", "-C", str(repo), "commit", "-qm", message], capture_output=True, text=True, env=env)


def test_the_installed_hook_lets_a_clean_first_commit_through_and_stops_a_damaged_one(tmp_path):
    repo = _new_repo(tmp_path / "new")
    assert run_cli("guard", "--install", "--repo", str(repo)).returncode == 0
    (repo / "src" / "bad.py").write_text(DAMAGED)
    git("-C", str(repo), "add", ".")
    proc = _commit(repo, "first commit, damaged")
    assert proc.returncode != 0 and "added_damaged" in proc.stdout + proc.stderr
    assert "error:" not in proc.stderr  # refused for the damage (exit 1), not for the missing HEAD (exit 2)
    (repo / "src" / "bad.py").unlink()
    (repo / "src" / "good.py").write_text(HEALTHY)
    git("-C", str(repo), "add", "-A")
    proc = _commit(repo, "first commit")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert git("-C", str(repo), "log", "--format=%s") == "first commit\n"


def test_guard_with_no_commit_yet_judges_the_staged_files_as_added(tmp_path):
    repo = _new_repo(tmp_path / "new")
    (repo / "src" / "good.py").write_text(HEALTHY)
    git("-C", str(repo), "add", ".")
    proc = run_cli("guard", "--repo", str(repo))
    assert proc.returncode == 0, proc.stderr
    (repo / "src" / "bad.py").write_text(DAMAGED)
    git("-C", str(repo), "add", ".")
    proc = run_cli("guard", "--repo", str(repo))
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [l for l in proc.stdout.splitlines() if l.startswith("src/bad.py: added_damaged")]
    assert len(proc.stdout.splitlines()) == 1


def test_a_range_from_all_zeros_judges_every_file_of_the_new_branch(incident, repo):
    """CI on a new branch: the "before" of the push is all zeros; every damaged file at HEAD is reported."""
    proc = run_cli("guard", "--repo", repo, "--range", "0" * 40 + "..HEAD", "--mass-threshold", "0")
    assert proc.returncode == 1, proc.stderr
    added = {line.split(": ")[0] for line in proc.stdout.splitlines() if ": added_damaged:" in line}
    assert added == {p for p, state in incident["states"]["HEAD"].items() if state != "healthy"}


def test_manifest_create_refuses_a_file_outside_the_repository(repo, tmp_path):
    clone = tmp_path / "clone"
    git("clone", "-q", repo, str(clone))
    outside = tmp_path / "x.json"
    (clone / "link.json").symlink_to(outside)
    for file in ("../x.json", str(outside), "link.json", "src/../../x.json"):
        proc = run_cli("manifest", "create", str(clone), "--file", file)
        assert proc.returncode == 2, (file, proc.stdout, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and "outside the repository" in proc.stderr
        assert not outside.exists()
    proc = run_cli("manifest", "create", str(clone), "--file", "src")
    assert proc.returncode == 2 and "is a directory" in proc.stderr
    # inside the repository, by a relative or an absolute name, it works
    for file in ("manifest.json", str(clone / "manifest2.json")):
        proc = run_cli("manifest", "create", str(clone), "--file", file)
        assert proc.returncode == 0, proc.stderr
    proc = run_cli("manifest", "verify", str(clone), "--file", "manifest2.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _range_repo(where: Path, base_table: str, pushed_table: str) -> tuple[Path, str]:
    """A base commit (healthy files, ``base_table`` as its pyproject's [tool.forensics]) and one pushed
    commit that breaks three files, marks three more and sets ``pushed_table``."""
    repo = _new_repo(where)
    for i in range(6):
        (repo / "src" / f"m{i}.py").write_text(HEALTHY)
    if base_table:
        (repo / "pyproject.toml").write_text(f"[tool.forensics]\n{base_table}\n")
    git("-C", str(repo), "add", "-A")
    git("-C", str(repo), "commit", "-qm", "base")
    base = git("-C", str(repo), "rev-parse", "HEAD").strip()
    for i in range(3):
        (repo / "src" / f"m{i}.py").write_text("def answer(:\n    return 42\n")
    for i in range(3, 6):
        (repo / "src" / f"m{i}.py").write_text("# REMOVED_SYNTAX_ERROR: x\n" + HEALTHY)
    (repo / "pyproject.toml").write_text(f"[tool.forensics]\n{pushed_table}\n")
    git("-C", str(repo), "add", "-A")
    git("-C", str(repo), "commit", "-qm", "pushed")
    return repo, base


@pytest.mark.parametrize("table", ['paths = ["nothing/*.zz"]', 'markers = ["^ZZZ"]'])
def test_the_pushed_commits_cannot_switch_the_range_guard_off(tmp_path, table):
    repo, base = _range_repo(tmp_path / "r", "", table)
    proc = run_cli("guard", "--repo", str(repo), "--range", f"{base}..HEAD", "--mass-threshold", "0")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    flagged = {line.split(":")[0] for line in proc.stdout.splitlines()}
    assert {f"src/m{i}.py" for i in range(6 if "markers" in table else 3)} <= flagged, proc.stdout
    assert "applied the repository's settings" not in proc.stderr  # the base has none


def test_the_range_guard_takes_the_base_settings_says_so_and_can_ignore_them(tmp_path):
    repo, base = _range_repo(tmp_path / "r", 'paths = ["nothing/*.zz"]', 'paths = ["src/*.py"]')
    proc = run_cli("guard", "--repo", str(repo), "--range", f"{base}..HEAD", "--mass-threshold", "0")
    assert proc.returncode == 0, proc.stdout + proc.stderr   # the base (trusted side) says: judge nothing
    line, = [x for x in proc.stderr.splitlines() if "applied the repository's settings" in x]
    assert base[:12] in line and "nothing/*.zz" in line and "--ignore-repo-config" in line
    proc = run_cli("guard", "--repo", str(repo), "--range", f"{base}..HEAD", "--mass-threshold", "0",
                   "--ignore-repo-config")
    assert proc.returncode == 1 and "src/m0.py" in proc.stdout, proc.stdout + proc.stderr
    assert "applied the repository's settings" not in proc.stderr
