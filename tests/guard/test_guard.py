"""Prevention: the guard refuses damaging commits (through the real pre-commit framework and the plain
hook), the manifest notices changed and damaged files."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


from conftest import git, run_cli

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def _repo(tmp_path: Path, repo: str) -> Path:
    clone = tmp_path / "work"
    git("clone", "-q", repo, str(clone))
    git("-C", str(clone), "config", "user.name", "Dev")
    git("-C", str(clone), "config", "user.email", "dev@example.com")
    return clone


def _commit(clone: Path, message: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    return subprocess.run(["git", "-C", str(clone), "commit", "-qam", message], capture_output=True, text=True, env=env)


def _healthy_file(clone: Path) -> Path:
    return clone / "src" / "app" / "core" / "manager.py"


def test_the_hook_manifest_is_valid_for_pre_commit():
    proc = subprocess.run([str(VENV_BIN / "pre-commit"), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pre_commit_framework_refuses_markers_and_breakage_and_passes_clean_commits(repo, tmp_path):
    clone = _repo(tmp_path, repo)
    # the same hook as .pre-commit-hooks.yaml, run from this checkout's environment
    import yaml

    hook = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]
    hook.update(language="system", entry=f"{sys.executable} -m forensics guard")
    (clone / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}))
    git("-C", str(clone), "add", ".pre-commit-config.yaml")
    git("-C", str(clone), "commit", "-qm", "add pre-commit config")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pc-home")}
    subprocess.run([str(VENV_BIN / "pre-commit"), "install"], cwd=clone, check=True, capture_output=True, env=env)
    target = _healthy_file(clone)
    original = target.read_text()

    target.write_text(original + "# REMOVED_SYNTAX_ERROR: def helper():\n")
    proc = _commit(clone, "sneak in a marker")
    assert proc.returncode != 0 and "marker" in proc.stdout + proc.stderr
    target.write_text(original.replace("def describe(self):", "def describe(self)"))
    proc = _commit(clone, "break it")
    assert proc.returncode != 0 and "no longer compiles" in proc.stdout + proc.stderr
    head_before = git("-C", str(clone), "rev-parse", "HEAD")
    target.write_text(original + "\n\ndef helper():\n    return 2\n")
    proc = _commit(clone, "a clean change")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert git("-C", str(clone), "rev-parse", "HEAD") != head_before


def test_the_plain_hook_keeps_an_existing_hook_working(repo, tmp_path):
    clone = _repo(tmp_path, repo)
    hooks = clone / ".git" / "hooks"
    (hooks / "pre-commit").write_text("#!/bin/sh\necho existing-hook-ran >> \"$(git rev-parse --git-dir)/hook.log\"\n")
    (hooks / "pre-commit").chmod(0o755)
    proc = run_cli("guard", "--install", "--repo", str(clone))
    assert proc.returncode == 0, proc.stderr
    assert run_cli("guard", "--install", "--repo", str(clone)).returncode == 0  # idempotent
    target = _healthy_file(clone)
    original = target.read_text()
    target.write_text(original + "# REMOVED_SYNTAX_ERROR: x = 1\n")
    assert _commit(clone, "marker").returncode != 0
    assert not (clone / ".git" / "hook.log").exists()  # refused before the old hook ran
    target.write_text(original + "\nVALUE = 1\n")
    assert _commit(clone, "clean").returncode == 0
    assert (clone / ".git" / "hook.log").read_text() == "existing-hook-ran\n"


def test_mass_edits_and_backup_copies_are_refused(repo, tmp_path):
    clone = _repo(tmp_path, repo)
    tests = sorted(p for p in (clone / "tests").rglob("test_*.py"))[:60]
    for p in tests:
        p.write_text(p.read_text().replace("import pytest", "import pytest as _pytest"))
    (clone / "tests" / "x.py.backup_20250101_000000").write_text("x = 1\n")
    git("-C", str(clone), "add", "-A")
    proc = run_cli("guard", "--repo", str(clone))
    assert proc.returncode == 1
    assert "mass_edit: 60 files share one transformation" in proc.stdout
    assert "backup_file" in proc.stdout
    assert run_cli("guard", "--repo", str(clone), "--mass-threshold", "100", "--allow-backups").returncode == 0


def test_guard_files_and_range_modes(incident, repo, tmp_path):
    clone = _repo(tmp_path, repo)
    target = _healthy_file(clone)
    target.write_text(target.read_text() + "# REMOVED_SYNTAX_ERROR: y\n")
    proc = run_cli("guard", str(target), "--repo", str(clone))
    assert proc.returncode == 1 and "src/app/core/manager.py: marker" in proc.stdout
    # the incident's own history: the breaker's range is refused, an ordinary range passes
    breaker = incident["roles"]["breaker"][0]
    proc = run_cli("guard", "--repo", repo, "--range", f"{breaker}~1..{breaker}")
    assert proc.returncode == 1 and proc.stdout.count(": broke:") == len(incident["sets"]["breaker_broke"])
    fixer = incident["roles"]["fixer"]
    proc = run_cli("guard", "--repo", repo, "--range", f"{fixer[0]}~1..{fixer[-1]}")
    assert proc.returncode == 1 and ": marker:" in proc.stdout
    heal = incident["roles"]["ordinary_heal"][0]
    assert run_cli("guard", "--repo", repo, "--range", f"{heal}~1..{heal}").returncode == 0


def test_guard_is_fast_on_100_staged_files(repo, tmp_path):
    clone = _repo(tmp_path, repo)
    files = sorted((clone / "tests").rglob("test_*.py"))[:100] + sorted((clone / "src").rglob("*.py"))
    files = files[:100]
    for i, p in enumerate(files):
        p.write_bytes(p.read_bytes() + f"\n# note {i}\n".encode())
    git("-C", str(clone), "add", "-A")
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "forensics", "guard", "--mass-threshold", "0"], cwd=clone,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    assert proc.returncode == 0, proc.stdout
    print(f"guard on {len(files)} staged files: {elapsed:.2f} s")  # measured, reported in the notes


def test_manifest_create_and_verify(repo, tmp_path):
    clone = _repo(tmp_path, repo)
    proc = run_cli("manifest", "create", str(clone))
    assert proc.returncode == 0 and "protected files" in proc.stdout
    assert run_cli("manifest", "verify", str(clone)).returncode == 0
    target = _healthy_file(clone)
    target.write_text(target.read_text() + "# REMOVED_SYNTAX_ERROR: z\n")
    other = clone / "src" / "app" / "auth" / "manager.py"
    other.write_text(other.read_text() + "\nX = 1\n")
    (clone / "src" / "app" / "config" / "manager.py").unlink()
    proc = run_cli("manifest", "verify", str(clone))
    assert proc.returncode == 1
    assert "damaged  src/app/core/manager.py (1 marker lines)" in proc.stdout
    assert "changed  src/app/auth/manager.py" in proc.stdout
    assert "missing  src/app/config/manager.py" in proc.stdout
