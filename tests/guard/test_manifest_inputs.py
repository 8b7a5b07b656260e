"""A manifest is input: ``manifest verify`` on a malformed one is exit 2 with one line (never a
traceback), and one that names files outside the repository is refused before any file is read, so it
can never tell whether a file outside has a given SHA-256."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import git, run_cli


@pytest.fixture
def protected(tmp_path) -> Path:
    repo = tmp_path / "repo"
    git("init", "-q", str(repo))
    (repo / "a.py").write_text("x = 1\n")
    git("-C", str(repo), "add", "-A")
    git("-C", str(repo), "commit", "-qm", "one")
    proc = run_cli("manifest", "create", str(repo))
    assert proc.returncode == 0, proc.stderr
    return repo


def _one_line_exit_2(proc, fragment: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


MALFORMED = {
    "a list": b"[]",
    "files as a list": b'{"files": []}',
    "a number as digest": b'{"files": {"a.py": 5}}',
    "a digest that is not hex": b'{"files": {"a.py": "zz"}}',
    "markers as a string": b'{"markers": "x", "files": {}}',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "not UTF-8": b'{"files": {"\xff": 1}}',
    "a NUL in a path": b'{"files": {"a\\u0000.py": "' + b"0" * 64 + b'"}}',
    "not JSON": b"{files",
}


@pytest.mark.parametrize("shape", sorted(MALFORMED))
def test_a_malformed_manifest_is_one_line_and_exit_2(protected, shape):
    (protected / "bad.json").write_bytes(MALFORMED[shape])
    _one_line_exit_2(run_cli("manifest", "verify", str(protected), "--file", "bad.json"), "unreadable manifest")


def _outside_cases(protected: Path) -> list[str]:
    secret = protected.parent / "secret.txt"
    secret.write_text("the responder's own file\n")
    (protected / "link").symlink_to(protected.parent)
    return [str(secret), "../secret.txt", "link/secret.txt", ".git/config", "./a.py"]


def test_a_manifest_naming_files_outside_is_refused_whether_or_not_the_digest_matches(protected):
    for name in _outside_cases(protected):
        real = Path(protected / name if not name.startswith("/") else name)
        digest = hashlib.sha256(real.read_bytes()).hexdigest() if real.is_file() else "0" * 64
        outputs = []
        for guess in (digest, "f" * 64):
            (protected / "probe.json").write_text(json.dumps({"files": {name: guess}}))
            proc = run_cli("manifest", "verify", str(protected), "--file", "probe.json")
            _one_line_exit_2(proc, "refused")
            outputs.append((proc.stdout, proc.stderr))
        assert outputs[0] == outputs[1], name          # no oracle: a right and a wrong guess read the same
