"""The restore package's own git writes: the only place in ``forensics`` that changes a repository
through git (the engine's :mod:`forensics.engine.git` is read-only). Used by ``restore --apply
--branch`` on the responder's working tree, never on evidence being analysed."""
from __future__ import annotations

import subprocess

from forensics.engine.git import Repository, git_env
from forensics.errors import BadBranch, GitFailed


def check_new_branch(repo: Repository, branch: str) -> None:
    """Before ``restore --apply --branch`` writes anything: ``branch`` is a valid branch name
    (``git check-ref-format``) and no branch of that name exists yet; else :class:`BadBranch`."""
    env = git_env()
    if not branch or branch.startswith("-") or subprocess.run(
            ["git", "check-ref-format", f"refs/heads/{branch}"], capture_output=True, env=env).returncode != 0:
        raise BadBranch(branch, "not a valid branch name (see `git check-ref-format`)")
    exists = subprocess.run(repo.argv("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", own_dir=True),
                            capture_output=True, env=env)
    if exists.returncode == 0:
        raise BadBranch(branch, "a branch of that name already exists; choose a new name")

def commit_on_new_branch(repo: Repository, branch: str, paths: list[bytes], message: str) -> str:
    """For ``forensics restore --apply --branch`` only: create
    ``branch`` at HEAD, stage ``paths`` and commit them. Never used on evidence being analysed."""
    work = repo.path
    env = git_env()

    def run(*args: str | bytes, input: bytes | None = None) -> bytes:
        proc = subprocess.run(["git", "-C", work, *args], capture_output=True, env=env, input=input)
        if proc.returncode != 0:
            raise GitFailed(str(args[0]), proc.stderr.decode("utf-8", "replace"))
        return proc.stdout

    run("checkout", "-q", "-b", branch)
    run("add", "--pathspec-from-file=-", "--pathspec-file-nul", "--", input=b"\0".join(paths))
    run("commit", "-q", "-m", message)
    return run("rev-parse", "HEAD").decode().strip()
