"""The pathspec matcher answers as git does (checked against ``git ls-files`` on the demo)."""
from __future__ import annotations

import subprocess

import pytest

from forensics.engine.git import display_path
from forensics.engine.pathspec import Pathspec

SPECS = [
    ["*.py"], ["tests"], ["tests/"], ["tests/*.py"], [":(glob)tests/*.py"], [":(glob)tests/**/*.py"],
    ["*.py", ":!backups"], ["*.py", ":(exclude)tests/unit/*"], [":(icase)TESTS/E2E"], ["*test_*_e2e_?.py"],
    ["src/app/[ac]*"], [":(literal)*.py"], [":/tests/e2e"], ["*.py.backup*"], [":^*.py"],
]


def _ls_files(repo: str, specs: list[str]) -> set[str]:
    """Paths as the matcher sees them: raw bytes decoded with surrogateescape."""
    out = subprocess.run(["git", "-C", repo, "ls-files", "-z", "--", *specs], capture_output=True, check=True).stdout
    return {p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p}


@pytest.mark.parametrize("specs", SPECS, ids=[" ".join(s) for s in SPECS])
def test_matches_git(repo, specs):
    everything = _ls_files(repo, ["."])
    matcher = Pathspec(specs)
    mine = {p for p in everything if matcher.matches(p)}
    assert mine == _ls_files(repo, specs)
    assert any(display_path(p) != p for p in everything)  # the non-UTF-8 path is among them
