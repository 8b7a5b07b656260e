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
import sys
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


# -- class 6: the repository's files cannot change the view of history unseen --------------------------

def _small(tmp_path: Path) -> tuple[Path, list[str]]:
    """A three-commit history: a healthy file, a commit that breaks it, a commit that adds another."""
    repo = tmp_path / "small"
    git("init", "-q", "-b", "main", str(repo))
    shas = []
    for n, (name, text) in enumerate([("a.py", "x = 1\n"), ("a.py", "def broken(:\n"), ("b.py", "y = 2\n")]):
        (repo / name).write_text(text)
        shas.append(_commit(repo, f"commit {n}\n".encode(), date=f"{1700000000 + n * 60} +0000"))
    return repo, shas


def test_a_graft_file_cannot_hide_the_commit_that_broke_a_file(tmp_path):
    repo, (first, breaker, last) = _small(tmp_path)
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "grafts").write_text(f"{last} {first}\n")     # skip the breaker

    result = scan(str(repo), cache=False, progress=False)

    assert sorted(result.commits["sha"]) == sorted(_rev_list(repo))
    assert result.commits.set_index("sha").loc[last, "parents"] == " ".join(_parents(repo, last))
    broke = result.events[result.events["event"] == "broke"]
    assert list(broke["sha"]) == [breaker]
    proc = run_cli("events", str(repo), "--no-cache", "-q")
    assert proc.returncode == 0 and "info/grafts" in proc.stderr and len(proc.stderr.splitlines()) == 1


def _forge_commit_graph(repo: Path, commit: str, new_parent: str) -> None:
    """Write a commit-graph, then point ``commit``'s first parent in it at ``new_parent`` (the file's
    checksum rewritten, as an attacker would)."""
    git("-C", str(repo), "commit-graph", "write", "--reachable")
    path = repo / ".git" / "objects" / "info" / "commit-graph"
    data = bytearray(path.read_bytes())
    chunks = {}
    for i in range(data[6]):
        cid, offset = struct.unpack(">4sQ", data[8 + 12 * i: 20 + 12 * i])
        chunks[cid] = offset
    count = struct.unpack(">I", data[chunks[b"OIDF"] + 255 * 4: chunks[b"OIDF"] + 256 * 4])[0]
    oids = [bytes(data[chunks[b"OIDL"] + 20 * i: chunks[b"OIDL"] + 20 * (i + 1)]).hex() for i in range(count)]
    entry = chunks[b"CDAT"] + 36 * oids.index(commit)
    data[entry + 20: entry + 24] = struct.pack(">I", oids.index(new_parent))
    data[-20:] = hashlib.sha1(bytes(data[:-20])).digest()
    path.chmod(0o644)
    path.write_bytes(bytes(data))


def test_a_forged_commit_graph_cannot_rewrite_parents(tmp_path):
    repo, (first, breaker, last) = _small(tmp_path)
    _forge_commit_graph(repo, last, first)
    forged = subprocess.run(["git", "-C", str(repo), "log", "--format=%H"], capture_output=True, text=True).stdout.split()
    assert breaker not in forged                                # git itself now skips the breaker

    result = scan(str(repo), cache=False, progress=False)

    assert sorted(result.commits["sha"]) == sorted(_rev_list(repo))
    assert result.commits.set_index("sha").loc[last, "parents"] == " ".join(_parents(repo, last))
    assert list(result.events.loc[result.events["event"] == "broke", "sha"]) == [breaker]


def _renaming(tmp_path: Path, files: int) -> Path:
    """A commit adding ``files`` files, then one moving each to a new directory with one line changed
    (an inexact rename: only rename detection within the limit finds it)."""
    repo = tmp_path / f"renames{files}"
    git("init", "-q", "-b", "main", str(repo))
    (repo / "old").mkdir()
    body = "".join(f"value_{i} = {i}\n" for i in range(20))
    for i in range(files):
        (repo / "old" / f"m{i}.py").write_text(f"# module {i}\n" + body)
    _commit(repo, b"add\n")
    (repo / "new").mkdir()
    for i in range(files):
        (repo / "old" / f"m{i}.py").rename(repo / "new" / f"m{i}.py")
        (repo / "new" / f"m{i}.py").write_text(f"# module {i}, moved\n" + body)
    _commit(repo, b"move\n")
    return repo


def test_the_evidence_rename_limit_cannot_turn_renames_into_deletions_and_additions(tmp_path):
    repo = _renaming(tmp_path, 3)
    git("-C", str(repo), "config", "diff.renameLimit", "1")

    result = scan(str(repo), cache=False, progress=False)

    moved = result.changes[result.changes["sha"] == _rev_list(repo)[0]]
    assert sorted(moved["kind"]) == ["R", "R", "R"]
    assert sorted(moved["old_path"]) == [f"old/m{i}.py" for i in range(3)]


def test_a_rename_search_cut_short_by_git_is_said_not_swallowed(tmp_path):
    repo = _renaming(tmp_path, RENAME_LIMIT + 1)

    result = scan(str(repo), cache=False, progress=False)

    assert any("rename" in w for w in result.manifest["history_view"]["git_warnings"])
    proc = run_cli("census", str(repo), "--no-cache", "-q")
    assert proc.returncode == 0
    assert [line for line in proc.stderr.splitlines() if "rename" in line] == [proc.stderr.strip()]


COMMANDS = ["timeline", "events", "census", "culprits", "restore-list", "blast-radius", "incidents", "summary"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_hand_written_shallow_file_is_said_by_every_command(tmp_path, command):
    repo, (first, breaker, last) = _small(tmp_path)
    (repo / ".git" / "shallow").write_text(f"{breaker}\n")

    proc = run_cli(command, str(repo), "--no-cache", "-q")

    assert proc.returncode in (0, 1), proc.stderr
    notes = [line for line in proc.stderr.splitlines() if "shallow" in line]
    assert len(notes) == 1 and notes[0].startswith("forensics: note: shallow clone")


def _replace_loose(repo: Path, oid: str, kind: bytes, content: bytes) -> None:
    """Overwrite loose object ``oid`` with ``content`` (which has another id)."""
    path = repo / ".git" / "objects" / oid[:2] / oid[2:]
    path.chmod(0o644)
    path.write_bytes(zlib.compress(b"%s %d\0" % (kind, len(content)) + content))


def test_a_loose_object_whose_bytes_do_not_match_its_id_is_unreadable_not_judged(tmp_path):
    repo, (first, breaker, last) = _small(tmp_path)
    healthy = git("-C", str(repo), "rev-parse", f"{last}:b.py").strip()
    _replace_loose(repo, healthy, b"blob", b"def forged(:\n")     # would read as broken

    result = scan(str(repo), cache=False, progress=False)

    row = result.tree.set_index("path").loc["b.py"]
    assert row["state"] == "unreadable"
    assert healthy in result.manifest["unreadable_objects"]
    assert result.manifest["history_view"]["corrupt_objects"] == [healthy]
    proc = run_cli("census", str(repo), "--no-cache", "-q")
    assert healthy in proc.stderr


def test_a_commit_object_whose_bytes_do_not_match_its_id_is_named(tmp_path):
    repo, (first, breaker, last) = _small(tmp_path)
    raw = _plain("cat-file", "commit", breaker, cwd=repo).replace(b"Mallory", b"Innocent", 1)
    _replace_loose(repo, breaker, b"commit", raw)

    result = scan(str(repo), cache=False, progress=False)

    assert result.manifest["history_view"]["corrupt_commits"] == [breaker]
    assert "Innocent" not in set(result.commits["author"])


def test_a_hand_written_commit_object_reads_as_git_renders_it(tmp_path):
    """A NUL in the message followed by a planted record, and an ``encoding`` header naming a Python
    codec that is no character set (``unicode_escape`` would turn ``\\x1b`` into an escape)."""
    repo, (first, breaker, last) = _small(tmp_path)
    tree = git("-C", str(repo), "rev-parse", f"{last}^{{tree}}").strip()
    body = (b"tree %s\nparent %s\nauthor Eve <e@x> 1700000000 +0000\ncommitter Eve <e@x> 1700000000 +0000\n"
            b"encoding unicode_escape\n\nsubject \\x1b[2J here\0%s\x1fforged\n" % (tree.encode(), last.encode(),
                                                                                  first.encode()))
    made = subprocess.run(["git", "-C", str(repo), "hash-object", "-t", "commit", "-w", "--literally", "--stdin"],
                          input=body, check=True, capture_output=True).stdout.decode().strip()
    git("-C", str(repo), "update-ref", "HEAD", made)

    result = scan(str(repo), cache=False, progress=False).commits.set_index("sha")

    rendered = _plain("log", "-1", "--encoding=UTF-8", "--format=%an%x00%s", made, cwd=repo).decode().split("\0")
    assert [result.loc[made, "author"], result.loc[made, "subject"]] == [rendered[0], rendered[1].rstrip("\n")]
    assert sorted(result.index) == sorted(_rev_list(repo))


def test_a_forged_loose_tree_is_found_and_said(tmp_path):
    """git never checks a tree it reads while walking: the tool checks every loose object."""
    repo, (first, breaker, last) = _small(tmp_path)
    tree = git("-C", str(repo), "rev-parse", f"{breaker}^{{tree}}").strip()
    healthy_tree = _plain("cat-file", "tree", f"{first}^{{tree}}", cwd=repo)
    _replace_loose(repo, tree, b"tree", healthy_tree)           # the breaker's tree now shows a healthy a.py

    result = scan(str(repo), cache=False, progress=False)

    assert result.manifest["history_view"]["corrupt_objects"] == [tree]
    proc = run_cli("events", str(repo), "--no-cache", "-q")
    assert tree in proc.stderr and "do not match their id" in proc.stderr


def test_fifos_planted_as_a_loose_object_or_a_shared_index_block_nothing(tmp_path):
    repo, (first, breaker, last) = _small(tmp_path)
    git("-C", str(repo), "config", "core.splitIndex", "true")
    git("-C", str(repo), "update-index", "--split-index")
    fan = repo / ".git" / "objects" / "ab"
    fan.mkdir(exist_ok=True)
    os.mkfifo(fan / ("c" * 38))
    os.mkfifo(repo / ".git" / ("sharedindex." + "d" * 40))
    for args in (["census", str(repo), "--no-cache", "-q"], ["guard"]):
        proc = subprocess.run([sys.executable, "-m", "forensics", *args], cwd=repo, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode in (0, 1), proc.stderr


def _plant(repo: Path, trick: str, fifo: Path) -> None:
    """One of the four ways to make git open a FIFO the repository's owner planted."""
    if trick == "attributesFile":
        git("-C", str(repo), "config", "core.attributesFile", str(fifo))
    elif trick == "mailmap":
        git("-C", str(repo), "config", "mailmap.file", str(fifo))
    elif trick == "info/attributes":
        (repo / ".git" / "info").mkdir(exist_ok=True)
        (repo / ".git" / "info" / "attributes").symlink_to(fifo)
    else:  # an alternates chain: the second link's own alternates file is a symlink to the FIFO
        other = repo.parent / "other.git"
        git("init", "-q", "--bare", str(other))
        (repo / ".git" / "objects" / "info" / "alternates").write_text(f"{other / 'objects'}\n")
        (other / "objects" / "info" / "alternates").symlink_to(fifo)


@pytest.mark.parametrize("trick", ["attributesFile", "mailmap", "info/attributes", "alternates chain"])
def test_a_fifo_named_by_the_repository_hangs_no_command(tmp_path, trick):
    """Settings git would follow to a file are neutralised on every git call (exit 0, same answer);
    a FIFO git opens at start-up (info/attributes, any alternates file of the chain) is refused with
    exit 2 and one line. Never a hang: each command runs under a subprocess timeout."""
    repo, (first, breaker, _) = _small(tmp_path)
    (repo / "b.py").write_text("y = 3\n")
    (repo / "c.py").write_text("z = 4\n")
    last = _commit(repo, b"one changed, one added: git's copy search reads the attributes\n", date="1700000900 +0000")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "forensics", *args], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)

    clean = run("census", str(repo), "--no-cache", "-q")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    _plant(repo, trick, fifo)
    for args in (["census", str(repo), "--no-cache", "-q"], ["events", str(repo), "--no-cache", "-q"],
                 ["guard", "--repo", str(repo), "--range", f"{first}..{last}"]):
        try:
            proc = run(*args)
        finally:  # a git left blocked on the FIFO (a failure) gets end of file and exits
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        assert "Traceback" not in proc.stderr
        if trick in ("attributesFile", "mailmap"):
            assert proc.returncode in (0, 1), proc.stderr
            if args[0] == "census":
                assert proc.stdout == clean.stdout
        else:
            assert proc.returncode == 2, proc.stdout + proc.stderr
            line, = proc.stderr.strip().splitlines()
            assert "is not a regular file" in line and ("attributes" in line or "alternates" in line)


def test_a_version_padded_past_the_size_limit_is_said_too_large_not_missing(tmp_path):
    """Padding a broken file past the per-version limit makes it unjudgeable, not healthy: every
    command says how many paths in scope are too large to judge, apart from missing objects, and the
    summary says it too."""
    from forensics.engine.limits import MAX_VERSION_BYTES

    repo, (first, breaker, last) = _small(tmp_path)
    (repo / "a.py").write_bytes(b"def broken(:\n" + b"#" * MAX_VERSION_BYTES + b"\n")
    _commit(repo, b"pad the broken file\n", date="1700000900 +0000")
    proc = run_cli("census", str(repo), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    line, = [x for x in proc.stderr.splitlines() if "too large" in x]
    assert f"too large to judge (over {MAX_VERSION_BYTES >> 20} MiB)" in line and "1 path holds one in scope" in line
    assert "missing, or bytes" not in proc.stderr
    summary = run_cli("summary", str(repo), "--no-cache", "-q")
    assert summary.returncode == 0 and "1 path in scope too large to judge" in summary.stdout, summary.stderr


def test_objects_borrowed_through_alternates_are_said(tmp_path):
    repo, _ = _small(tmp_path)
    shared, plain = tmp_path / "shared", tmp_path / "plain"
    git("clone", "-q", "--shared", str(repo), str(shared))
    git("clone", "-q", str(repo), str(plain))
    proc = run_cli("events", str(shared), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    line, = [x for x in proc.stderr.splitlines() if "borrows objects" in x]
    assert str(repo / ".git" / "objects") in line
    assert "borrows objects" not in run_cli("events", str(plain), "--no-cache", "-q").stderr
