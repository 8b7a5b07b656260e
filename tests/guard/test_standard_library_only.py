"""The pre-commit hook installs the package without extras: the guard must run on the standard library
alone, and a command that needs an extra must say which one in one line."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import git

ROOT = Path(__file__).resolve().parents[2]
# -I -S: no site-packages, no user site, no PYTHONPATH: only the standard library and this checkout
RUN = ("import sys; sys.path.insert(0, {root!r}); from forensics.cli import main; "
       "raise SystemExit(main(sys.argv[1:]))")


def _isolated(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-S", "-c", RUN.format(root=str(ROOT)), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_the_base_install_declares_no_dependencies_and_the_hook_installs_only_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == []
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "language: python" in hooks and "additional_dependencies" not in hooks


def test_the_guard_runs_on_the_standard_library_alone(tmp_path):
    repo = tmp_path / "repo"
    git("init", "-q", str(repo))
    (repo / "a.py").write_text("x = 1\n")
    git("add", "a.py", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "init", cwd=repo)
    clean = _isolated("guard", cwd=repo)
    assert clean.returncode == 0, clean.stderr
    (repo / "a.py").write_text("# REMOVED_SYNTAX_ERROR: x = 1\n")
    git("add", "a.py", cwd=repo)
    marked = _isolated("guard", cwd=repo)
    assert marked.returncode == 1 and "a.py: marker" in marked.stdout


def test_a_command_whose_extra_is_missing_names_it_in_one_line(tmp_path, incident):
    proc = _isolated("scan", incident["repo"], "--no-cache", "-q", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "needs the 'analysis' extra" in proc.stderr and "pip install 'forensics[analysis]'" in proc.stderr
