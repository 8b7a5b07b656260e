"""`forensics report` run inside an attacker's checkout: nothing the repository holds is imported by the
kernel, and nothing is written inside the evidence (README "Hostile repositories", class 1)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git, tree_digest

SHADOWS = ("pandas", "plotly", "forensics", "sitecustomize", "papermill", "IPython")


def _forensics(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The console script a responder types (``python -m`` would put the cwd on its own path first)."""
    script = Path(sys.executable).parent / "forensics"
    return subprocess.run([str(script), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=900)


@pytest.fixture(scope="module")
def trap(repo, tmp_path_factory) -> tuple[Path, Path]:
    """The demo incident, cloned, plus modules that shadow what the report imports, committed where
    the old default --out (``data/reports``) and the checkout's top put them: each writes a canary."""
    work = tmp_path_factory.mktemp("shadow")
    canaries = work / "canaries"
    canaries.mkdir()
    clone = work / "clone"
    git("clone", "-q", repo, str(clone))
    for where in (clone, clone / "data" / "reports"):
        where.mkdir(parents=True, exist_ok=True)
        for name in SHADOWS:
            (where / f"{name}.py").write_text(
                f"open({str(canaries / name)!r} + '-' + __file__.replace('/', '_'), 'w').write('ran')\n")
    # nbconvert looks for its "lab" template in the current directory first: Jinja that runs a command
    (clone / "lab").mkdir()
    (clone / "lab" / "index.html.j2").write_text(
        "{{ cycler.__init__.__globals__.os.system('touch %s') }}PWNED-BY-TEMPLATE\n" % (canaries / "template"))
    git("-C", str(clone), "add", "-A")
    git("-C", str(clone), "-c", "user.name=Eve", "-c", "user.email=e@example.invalid", "commit", "-q", "-m", "helpers")
    return clone, canaries


def test_a_report_run_inside_the_evidence_imports_nothing_from_it_and_writes_nothing_into_it(trap, tmp_path):
    clone, canaries = trap
    before = tree_digest(clone)
    home = tmp_path / "home"
    proc = _forensics("report", "--no-cache", "-q", cwd=clone, env={"HOME": str(home), "XDG_DATA_HOME": "",
                                                                   "FORENSICS_REPORTS": ""})
    assert list(canaries.iterdir()) == []
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert tree_digest(clone) == before
    pages = list((home / ".local" / "share" / "forensics" / "reports").glob("clone-*/incident_report.html"))
    assert len(pages) == 1 and pages[0].stat().st_size > 0
    assert "PWNED-BY-TEMPLATE" not in pages[0].read_text()


def test_an_out_directory_holding_shadowing_modules_is_not_on_the_kernels_import_path(trap, tmp_path):
    clone, canaries = trap
    out = tmp_path / "out"
    out.mkdir()
    for name in SHADOWS:
        (out / f"{name}.py").write_text((clone / f"{name}.py").read_text())
    proc = _forensics("report", str(clone), "--out", str(out), "--no-cache", "-q", cwd=out, env={})
    assert list(canaries.iterdir()) == []
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "incident_report.html").stat().st_size > 0


@pytest.mark.parametrize("inside", ["data/reports", ".", ".git", ".git/forensics"])
def test_an_out_inside_the_evidence_is_refused_with_one_line(trap, inside):
    clone, _ = trap
    before = tree_digest(clone)
    proc = _forensics("report", str(clone), "--out", str(clone / inside), "--no-cache", "-q", cwd=clone.parent, env={})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "inside the analysed repository" in lines[0], proc.stderr
    assert tree_digest(clone) == before


def test_an_out_inside_a_bare_repository_is_refused(trap, tmp_path):
    clone, _ = trap
    bare = tmp_path / "bare.git"
    git("clone", "-q", "--bare", str(clone), str(bare))
    proc = _forensics("report", str(bare), "--out", str(bare / "reports"), "--no-cache", "-q", cwd=tmp_path, env={})
    assert proc.returncode == 2 and "inside the analysed repository" in proc.stderr, proc.stderr
    assert not (bare / "reports").exists()


def test_a_fleet_out_inside_one_of_its_repositories_is_refused(trap, repo):
    clone, _ = trap
    before = tree_digest(clone)
    proc = _forensics("fleet", repo, str(clone), "--out", str(clone / "data" / "fleet"), "--no-cache", "-q",
                      cwd=clone.parent, env={})
    assert proc.returncode == 2 and "inside the analysed repository" in proc.stderr, proc.stderr
    assert tree_digest(clone) == before
