"""Every printed ``restore_command`` is safe to paste into a shell, whatever path git stored.

git objects can hold tree entries named ``..`` or ``.git`` and paths with quotes, ``$(...)``, newlines,
bidi overrides and bytes that are not UTF-8. The attacker commits a healthy version of each, then a
broken one, so each becomes a restore-list row with a command. Pasted into bash in a worktree, every
command must name exactly its path and write nothing outside the worktree; a path that leaves the
worktree gets no command, only a comment saying why, in the CSV, the JSON and the table alike.
"""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import git, run_cli
from forensics import scan
REFUSED = "# no command:"          # what a refused row says instead of a command
from forensics.analyses.restore_list import restore_list
from forensics.engine.gitdata import path_bytes

SAFE_BUT_NASTY = [b"$(touch PWNED).py", b"a\nb.py", b"x\xe2\x80\xaeyp.txt.py", b"-rf.py", b"*.py", b"caf\xe9.py",
                  b"it's.py", b"sp ace/`touch PWNED`.py", b"back\\slash.py", b":(glob)m.py"]
OUTSIDE = [b"../../x/sitecustomize.py", b"a/../../up.py", b".git/hooks/post-checkout.py", b"./dot/x.py"]


def _tree(repo: Path, files: dict[bytes, str]) -> str:
    """A tree object holding ``files`` (path bytes -> blob id), built with ``git mktree`` so that any
    name git objects can hold is possible, ``..`` included."""
    here: dict[bytes, str] = {}
    sub: dict[bytes, dict[bytes, str]] = {}
    for path, blob in files.items():
        head, sep, rest = path.partition(b"/")
        if sep:
            sub.setdefault(head, {})[rest] = blob
        else:
            here[head] = blob
    entries = [b"100644 blob %s\t%s\0" % (blob.encode(), name) for name, blob in here.items()]
    entries += [b"040000 tree %s\t%s\0" % (_tree(repo, inner).encode(), name) for name, inner in sub.items()]
    return subprocess.run(["git", "-C", str(repo), "mktree", "-z"], input=b"".join(entries), check=True,
                          capture_output=True).stdout.decode().strip()


def _blob(repo: Path, data: bytes) -> str:
    return subprocess.run(["git", "-C", str(repo), "hash-object", "-w", "--stdin"], input=data, check=True,
                          capture_output=True).stdout.decode().strip()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("restore-command") / "evidence.git"
    git("init", "-q", "--bare", str(repo))
    env = {**os.environ, "GIT_AUTHOR_NAME": "M", "GIT_AUTHOR_EMAIL": "m@x", "GIT_COMMITTER_NAME": "M",
           "GIT_COMMITTER_EMAIL": "m@x", "GIT_CONFIG_NOSYSTEM": "1"}
    paths = SAFE_BUT_NASTY + OUTSIDE
    healthy = _tree(repo, {p: _blob(repo, b"value = %d\n" % i) for i, p in enumerate(paths)})
    broken = _tree(repo, {p: _blob(repo, b"def broken_%d(:\n" % i) for i, p in enumerate(paths)})
    first = subprocess.run(["git", "-C", str(repo), "commit-tree", "-m", "healthy", healthy], env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    second = subprocess.run(["git", "-C", str(repo), "commit-tree", "-p", first, "-m", "broken", broken], env=env,
                            check=True, capture_output=True, text=True).stdout.strip()
    git("-C", str(repo), "update-ref", "refs/heads/main", second)
    git("-C", str(repo), "symbolic-ref", "HEAD", "refs/heads/main")
    return repo


@pytest.fixture(scope="module")
def plan(hostile):
    return restore_list(scan(str(hostile), paths=["*"], cache=False, progress=False))


def test_every_stored_path_is_a_row(plan):
    assert sorted(path_bytes(p) for p in plan["path"]) == sorted(SAFE_BUT_NASTY + OUTSIDE)
    assert set(plan["source"]) == {"git"}


def test_a_path_leaving_the_worktree_gets_no_command_and_says_why(plan):
    for row in plan.itertuples():
        if path_bytes(row.path) in OUTSIDE:
            assert row.restore_command.startswith(REFUSED), row.restore_command
            assert "\n" not in row.restore_command


def _paste(command: str, worktree: Path, calls: Path) -> None:
    """Run ``command`` in bash as a person pasting it would, with ``git`` and ``cp`` standing in: they
    record their arguments (NUL-separated) instead of acting."""
    stubs = (f'git() {{ printf "%s\\0" "$@" >> {calls}; printf restored; }}\n'
             f'cp() {{ printf "%s\\0" "$@" >> {calls}; }}\n')
    subprocess.run(["bash", "-c", stubs + command], cwd=worktree, check=True, capture_output=True)


def test_each_command_pasted_in_bash_names_exactly_its_path_and_writes_only_inside(plan, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    for row in plan.itertuples():
        raw = path_bytes(row.path)
        if raw in OUTSIDE:
            continue
        worktree = outside / "worktree"
        worktree.mkdir()
        target = Path(os.fsdecode(raw))
        (worktree / target).parent.mkdir(parents=True, exist_ok=True)
        calls = tmp_path / "calls"
        calls.write_bytes(b"")
        _paste(row.restore_command, worktree, calls)
        args = calls.read_bytes().split(b"\0")[:-1]
        if row.restore_command.startswith("git show"):
            assert (worktree / target).read_bytes() == b"restored", row.restore_command
            assert args[-1] == row.last_good_sha.encode() + b":" + path_bytes(row.last_good_path)
        else:
            assert args[-1] == raw, row.restore_command
        assert "\n" not in row.restore_command and row.restore_command.isprintable()
        assert sorted(os.listdir(outside)) == ["worktree"]
        assert not any(p.name == "PWNED" for p in tmp_path.rglob("*"))
        subprocess.run(["rm", "-rf", str(worktree)], check=True)


def test_csv_and_json_carry_the_same_safe_commands(hostile, plan):
    expected = dict(zip(plan["path"], plan["restore_command"]))
    proc = run_cli("restore-list", str(hostile), "--paths", "*", "--no-cache", "-q", "--csv", "-",
                   env={"FORENSICS_RAW_CSV": "1"})   # raw cells: no spreadsheet quote before "-rf.py"
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert {r["path"]: r["restore_command"] for r in rows} == expected
    proc = run_cli("restore-list", str(hostile), "--paths", "*", "--no-cache", "-q", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    records = got if isinstance(got, list) else got.get("rows", got)
    assert {r["path"]: r["restore_command"] for r in records} == expected
