"""The pre-commit hook installs the package without extras: the guard must run on the standard library
and its one base dependency (google-re2, so marker regexes run in linear time) alone, and a command that
needs an extra must say which one in one line."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import git

ROOT = Path(__file__).resolve().parents[2]
# -I -S: no site-packages, no user site, no PYTHONPATH: only the standard library, this checkout and a
# folder holding nothing but google-re2 (the base dependency) and what it imports
RUN = ("import sys; sys.path[:0] = [{root!r}, {re2!r}]; from forensics.cli import main; "
       "raise SystemExit(main(sys.argv[1:]))")


@pytest.fixture(scope="module")
def re2_only(tmp_path_factory) -> Path:
    """A folder with links to google-re2's modules only, nothing else from site-packages."""
    import importlib.util

    folder = tmp_path_factory.mktemp("re2-only")
    for name in ("re2",):  # a package: its compiled _re2 lives inside it
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin, f"{name} is not installed"
        origin = Path(spec.origin)
        src = origin.parent if origin.name == "__init__.py" else origin
        (folder / src.name).symlink_to(src)
    return folder


def _isolated(*args: str, cwd: Path, re2: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-S", "-c", RUN.format(root=str(ROOT), re2=str(re2)), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_base_install_declares_no_dependencies_and_the_hook_installs_only_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert [d.split(">")[0] for d in project["dependencies"]] == ["google-re2"]
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "language: python" in hooks and "additional_dependencies" not in hooks


def test_the_guard_runs_on_the_standard_library_and_re2_alone(tmp_path, re2_only):
    repo = tmp_path / "repo"
    git("init", "-q", str(repo))
    (repo / "a.py").write_text("x = 1\n")
    git("add", "a.py", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "init", cwd=repo)
    clean = _isolated("guard", cwd=repo, re2=re2_only)
    assert clean.returncode == 0, clean.stderr
    (repo / "a.py").write_text("# REMOVED_SYNTAX_ERROR: x = 1\n")
    git("add", "a.py", cwd=repo)
    marked = _isolated("guard", cwd=repo, re2=re2_only)
    assert marked.returncode == 1 and "a.py: marker" in marked.stdout


def test_a_command_whose_extra_is_missing_names_it_in_one_line(tmp_path, incident, re2_only):
    proc = _isolated("scan", incident["repo"], "--no-cache", "-q", cwd=tmp_path, re2=re2_only)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "needs the 'analysis' extra" in proc.stderr and "pip install 'forensics[analysis]'" in proc.stderr
