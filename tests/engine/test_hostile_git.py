"""A hostile repository cannot make the tool run its programs or reach the network.

The evidence is a partial clone (``--filter=blob:none``, so the history's old blobs were never fetched)
whose config points every hook, helper, transport and driver git knows at a script that leaves a
marker file when it runs; the responder's environment carries the same. Scanning it runs nothing,
fetches nothing, writes nothing, and counts the missing blobs as unreadable. A repository owned by
someone else is refused until the responder trusts that one path.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import git, run_cli, tree_digest

# every config key below can make some git command run a program or fetch (README "Hostile repositories")
HOSTILE_CONFIG = [
    "core.sshCommand", "core.fsmonitor", "core.pager", "pager.log", "pager.cat-file", "diff.external",
    "core.askPass", "core.gitProxy", "core.alternateRefsCommand", "uploadpack.packObjectsHook",
    "gpg.program", "gpg.ssh.program", "diff.evil.textconv", "diff.evil.command", "filter.evil.clean",
    "filter.evil.smudge", "filter.evil.process",
]


def _marker_script(where: Path) -> tuple[Path, Path]:
    marker = where / "RAN"
    script = where / "evil.sh"
    script.write_text(f'#!/bin/sh\necho "$0 $*" >> "{marker}"\nexit 1\n')
    script.chmod(0o755)
    return script, marker


def _make_hostile(clone: Path, script: Path) -> None:
    def cfg(key: str, value: str) -> None:
        git("-C", str(clone), "config", "--add", key, value)

    for key in HOSTILE_CONFIG:
        cfg(key, str(script))
    git("-C", str(clone), "config", "remote.origin.url", "ssh://evil.invalid/x")
    cfg("remote.evil.url", f"ext::{script} %S")         # a second promisor remote, through the ext transport
    cfg("remote.evil.promisor", "true")
    cfg("protocol.ext.allow", "always")
    cfg("protocol.allow", "always")
    cfg("credential.helper", f"!{script}")
    cfg("log.showSignature", "true")
    cfg("i18n.logOutputEncoding", "UTF-16")             # would garble every subject and path
    cfg("gc.auto", "1")
    cfg("gc.autoDetach", "false")
    cfg("maintenance.auto", "true")
    cfg("fetch.writeCommitGraph", "true")
    hooks = clone / ".git" / "evil-hooks"
    hooks.mkdir()
    for name in ("pre-commit", "post-checkout", "reference-transaction", "pre-auto-gc", "post-index-change",
                 "fsmonitor-watchman", "post-merge"):
        shutil.copy(script, hooks / name)
    cfg("core.hooksPath", str(hooks))
    (clone / ".git" / "info").mkdir(exist_ok=True)
    (clone / ".git" / "info" / "attributes").write_text("* diff=evil filter=evil\n")


def _hostile_env(script: Path) -> dict[str, str]:
    """What a responder's shell might carry; none of it may reach git."""
    return {"GIT_SSH_COMMAND": str(script), "GIT_SSH": str(script), "GIT_ASKPASS": str(script),
            "SSH_ASKPASS": str(script), "GIT_EXTERNAL_DIFF": str(script), "GIT_PROXY_COMMAND": str(script),
            "GIT_CONFIG_PARAMETERS": f"'core.fsmonitor'='{script}'", "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "core.sshCommand", "GIT_CONFIG_VALUE_0": str(script),
            "GIT_ALLOW_PROTOCOL": "ext:ssh:file", "GIT_PAGER": str(script), "PAGER": str(script)}


@pytest.fixture(scope="module")
def served(repo, tmp_path_factory) -> Path:
    """A copy of the incident that serves partial clones."""
    origin = tmp_path_factory.mktemp("served") / "origin.git"
    git("clone", "-q", "--bare", repo, str(origin))
    git("-C", str(origin), "config", "uploadpack.allowFilter", "true")
    git("-C", str(origin), "config", "uploadpack.allowAnySHA1InWant", "true")
    return origin


def partial_clone(served: Path, dest: Path) -> Path:
    git("clone", "-q", "--filter=blob:none", f"file://{served}", str(dest))
    return dest


def _missing_blobs(clone: Path) -> set[str]:
    """The objects the clone never fetched, as git itself lists them (``--missing=print`` never fetches)."""
    out = subprocess.run(["git", "-C", str(clone), "rev-list", "--objects", "--all", "--missing=print"],
                         capture_output=True, check=True,
                         env={**os.environ, "GIT_ALLOW_PROTOCOL": "none!", "GIT_NO_LAZY_FETCH": "1"}).stdout
    return {line[1:].decode() for line in out.splitlines() if line.startswith(b"?")}


@pytest.fixture
def hostile(served, tmp_path) -> dict:
    clone = partial_clone(served, tmp_path / "evidence")
    missing = _missing_blobs(clone)
    assert len(missing) > 50  # the old versions were never fetched
    script, marker = _marker_script(tmp_path)
    _make_hostile(clone, script)
    return {"clone": clone, "script": script, "marker": marker, "missing": missing}


def test_scanning_a_hostile_partial_clone_runs_nothing_fetches_nothing_and_writes_nothing(hostile, tmp_path):
    clone, marker = hostile["clone"], hostile["marker"]
    before = tree_digest(clone)
    env = _hostile_env(hostile["script"])
    for args in (["scan"], ["events", "--csv", "-"], ["restore-list", "--csv", "-"], ["dependents"],
                 ["census", "--json"]):
        proc = run_cli(*args, str(clone), "--cache", str(tmp_path / "cache"), "--quiet", env=env)
        assert proc.returncode == 0, (args, proc.stderr)
        assert not marker.exists(), (args, marker.read_text())
    assert tree_digest(clone) == before


def test_missing_objects_of_a_partial_clone_are_unreadable_counted_and_named(hostile, tmp_path):
    proc = run_cli("scan", str(hostile["clone"]), "--no-cache", "--quiet", env=_hostile_env(hostile["script"]))
    assert proc.returncode == 0, proc.stderr
    assert "partial clone   yes" in proc.stdout
    from forensics import scan

    result = scan(hostile["clone"], cache=False, progress=False)
    assert result.manifest["partial_clone"] is True
    blobs = set(result.versions["blob"])
    unreadable = set(result.manifest["unreadable_objects"])
    assert unreadable and unreadable == blobs & hostile["missing"]
    assert f"unreadable      {len(unreadable)} objects" in proc.stdout
    from forensics.analyses.culprits import culprits
    from forensics.analyses.summary import summarize

    summary = " ".join(summarize(result, culprits(result), result.chains()))
    assert f"partial clone: {len(unreadable)} objects it never fetched could not be read" in summary
    # the subjects and authors are text, not UTF-16 bytes: i18n.logOutputEncoding did not apply
    assert result.commits["subject"].str.contains("\x00").sum() == 0
    assert not hostile["marker"].exists()


def test_a_complete_clone_is_not_called_partial(scanned):
    assert scanned.manifest["partial_clone"] is False


def test_guard_and_manifest_read_the_index_without_running_its_fsmonitor(hostile, tmp_path):
    clone, marker = hostile["clone"], hostile["marker"]
    env = _hostile_env(hostile["script"])
    proc = run_cli("guard", "--repo", str(clone), env=env)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("manifest", "create", str(clone), "--file", ".forensics-manifest.json", env=env)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("manifest", "verify", str(clone), "--file", ".forensics-manifest.json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists(), marker.read_text()


@pytest.fixture
def foreign(repo, tmp_path) -> Path:
    """A copy of the evidence owned by another user (root is exempt from git's check only for its own)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to give the repository to another user")
    copy = tmp_path / "foreign"
    git("clone", "-q", repo, str(copy))
    subprocess.run(["chown", "-R", "12345", str(copy)], check=True)
    return copy


def test_a_repository_owned_by_someone_else_is_refused_with_the_way_to_trust_it(foreign, tmp_path):
    before = tree_digest(foreign)
    proc = run_cli("scan", str(foreign), "--no-cache", "--quiet")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "owned by another user (uid 12345)" in lines[0] and "--trust-repo" in lines[0]
    assert "Traceback" not in proc.stderr
    proc = run_cli("scan", str(foreign), "--no-cache", "--quiet", "--trust-repo")
    assert proc.returncode == 0, proc.stderr
    assert tree_digest(foreign) == before


def test_trusting_one_repository_trusts_that_path_only(foreign):
    from forensics.engine.git import Repository

    repo = Repository.open(foreign, trust=True)
    assert repo.trusted == str(foreign)
    argv = repo.argv("log")
    assert "safe.directory=*" not in argv and f"safe.directory={foreign}" in argv


def test_a_bare_repository_owned_by_someone_else_is_refused_too(repo, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to give the repository to another user")
    bare = tmp_path / "foreign.git"
    git("clone", "-q", "--bare", repo, str(bare))
    subprocess.run(["chown", "-R", "12345", str(bare)], check=True)
    proc = run_cli("census", str(bare), "--no-cache", "--quiet", "--json")
    assert proc.returncode == 2 and "--trust-repo" in proc.stderr
    proc = run_cli("census", str(bare), "--no-cache", "--quiet", "--json", "--trust-repo")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total"] > 0


def test_git_env_drops_what_the_shell_would_pass_to_git(hostile, monkeypatch):
    from forensics.engine.git import git_env

    for key, value in _hostile_env(hostile["script"]).items():
        monkeypatch.setenv(key, value)
    env = git_env()
    for key in ("GIT_SSH_COMMAND", "GIT_SSH", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_EXTERNAL_DIFF", "GIT_PROXY_COMMAND",
                "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0"):
        assert key not in env
    assert env["GIT_ALLOW_PROTOCOL"] == "none!" and env["GIT_NO_LAZY_FETCH"] == "1" and env["GIT_PAGER"] == "cat"
