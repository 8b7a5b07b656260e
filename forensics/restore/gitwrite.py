"""The restore package's own git writes: the only place in ``forensics`` that changes a repository
through git (the engine's :mod:`forensics.engine.git` is read-only). Used by ``restore --apply
--branch`` on the responder's working tree, never on evidence being analysed."""
from __future__ import annotations

import subprocess

from forensics.engine.git import Repository, git_env
from forensics.errors import GitFailed

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
