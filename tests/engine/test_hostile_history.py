"""A hostile repository cannot forge the history the tool sees, nor change its view of it unseen.

The attacker owns the repository: they can commit any message, author or path git can store, and
write any file under ``.git`` of the copy they hand over (grafts, a commit-graph, a shallow list,
config, loose objects). Each test builds such a repository (from the simulated incident or from
scratch), and checks the scan against git's own view of the objects (``rev-list``, ``cat-file``,
``ls-tree``) read with every such mechanism off.
"""
from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from conftest import git, run_cli
from forensics import scan
from forensics.engine.git import RENAME_LIMIT
from forensics.engine.dates import decode_ident
from forensics.engine.gitdata import path_bytes

IDENT = {"GIT_AUTHOR_NAME": "Mallory", "GIT_AUTHOR_EMAIL": "m@evil.invalid",
         "GIT_COMMITTER_NAME": "Mallory", "GIT_COMMITTER_EMAIL": "m@evil.invalid"}


def _commit(repo: Path, message: bytes, *paths: str, date: str = "1700000000 +0000") -> str:
    """Stage ``paths`` (or everything) and commit with ``message`` taken byte for byte."""
    msg = repo / ".git" / "MSG"
    msg.write_bytes(message)
    env = {**os.environ, **IDENT, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-C", str(repo), "add", "-A", *paths], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "--allow-empty", "--cleanup=verbatim", "-F", str(msg)],
                   check=True, env=env)
    return git("-C", str(repo), "rev-parse", "HEAD").strip()


def _plain(*args: str, cwd: Path) -> bytes:
    """git's own view, every history-changing mechanism off (the reference the scan must match)."""
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_NO_REPLACE_OBJECTS": "1", "GIT_GRAFT_FILE": os.devnull}
    return subprocess.run(["git", "-c", "core.commitGraph=false", "-C", str(cwd), *args], check=True,
                          capture_output=True, env=env).stdout


def _parents(repo: Path, sha: str) -> list[str]:
    """The parents a commit object names, read from the object itself."""
    raw = _plain("cat-file", "commit", sha, cwd=repo).split(b"\n\n", 1)[0]
    return [line.split()[1].decode() for line in raw.split(b"\n") if line.startswith(b"parent ")]


def _rev_list(repo: Path, rev: str = "HEAD") -> list[str]:
    return _plain("rev-list", rev, cwd=repo).decode().split()


@pytest.fixture
def evidence(repo, tmp_path) -> Path:
    """A clone of the simulated incident, which the attacker then extends."""
    dest = tmp_path / "evidence"
    git("clone", "-q", repo, str(dest))
    return dest


# -- class 2: commit text and paths cannot forge records ----------------------------------------------

def test_a_subject_planting_a_fake_record_cannot_move_the_blame_to_an_innocent_commit(evidence, incident):
    innocent = _rev_list(evidence)[-1]                       # the incident's first commit
    (evidence / "evil.py").write_text("def broken(:\n    pass\n")
    forged = ("tidy up\x1e" + innocent + "\x1f\x1fInnocent Person\x1fi@x\x1f1500000000 +0000"
              "\x1fInnocent Person\x1fi@x\x1f1500000000 +0000\x1fharmless\x1f").encode()
    culprit = _commit(evidence, forged)

    result = scan(str(evidence), cache=False, progress=False)

    assert sorted(result.commits["sha"]) == sorted(_rev_list(evidence))
    assert result.commits["sha"].is_unique
    row = result.commits.set_index("sha").loc[culprit]
    assert row["author"] == "Mallory"
    assert row["subject"] == _plain("log", "-1", "--format=%s", culprit, cwd=evidence).decode().rstrip("\n")
    assert row["parents"] == " ".join(_parents(evidence, culprit))
    blamed = result.events[result.events["path"] == "evil.py"]
    assert list(blamed["sha"]) == [culprit] and list(blamed["event"]) == ["added_damaged"]
    mine = result.commits.set_index("sha").loc[innocent]
    assert mine["author"] != "Innocent Person"


def test_paths_holding_the_old_separators_are_read_as_paths(evidence):
    names = ["odd\x1edir/x.py", "a\x1fb.py", "c\x1e\x1f\n:100644 d.py"]
    for name in names:
        target = evidence / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("def broken(:\n")
    culprit = _commit(evidence, b"add odd names\n")

    result = scan(str(evidence), cache=False, progress=False)

    listed = _plain("ls-tree", "-r", "-z", "--name-only", "HEAD", cwd=evidence).split(b"\0")
    scanned = {path_bytes(p) for p in result.tree["path"]}
    assert {p for p in listed if p.endswith(b".py")} == {p for p in scanned if p.endswith(b".py")}
    added = result.events[result.events["sha"] == culprit]
    assert sorted(added["path"]) == sorted(names)
    assert sorted(result.commits["sha"]) == sorted(_rev_list(evidence))
    proc = run_cli("events", str(evidence), "--no-cache", "-q", "--format", "json")
    assert proc.returncode == 0, proc.stderr


def test_metadata_is_git_s_own_for_every_commit(evidence):
    """Author, committer, raw dates and subject, each as ``git log`` renders it, on the whole incident."""
    _commit(evidence, b"\n\n  multi\t \nline  subject\n\nbody\x1e\n")
    result = scan(str(evidence), cache=False, progress=False).commits.set_index("sha")
    fmt = "%H%x00%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd%x00%s"
    raw = _plain("log", "-z", "--date=raw", "--encoding=UTF-8", f"--format={fmt}", "HEAD", cwd=evidence)
    out = [decode_ident(x) for x in raw.rstrip(b"\0").split(b"\0")]
    assert len(out) == 8 * len(result)
    for i in range(0, len(out), 8):
        sha, *fields = out[i:i + 8]
        row = result.loc[sha]
        assert [row[c] for c in ("author", "author_email", "authored_at_raw", "committer", "committer_email",
                                 "committed_at_raw", "subject")] == fields, sha
