"""Exceptions that end a command with exit status 2 and one clear line.

Every message says what was wrong and, where it helps, what to do next. The CLI prints
``str(error)`` alone on stderr; nothing else in the package prints tracebacks for these.
"""
from __future__ import annotations


class ForensicsError(Exception):
    """Bad input or an environment problem the user can fix. Exit status 2."""

    exit_status = 2


class NotARepository(ForensicsError):
    def __init__(self, path: str, hint: str = "pass the path of a clone or a bare repository") -> None:
        super().__init__(f"not a git repository: {path} ({hint})")


class UnknownRevision(ForensicsError):
    def __init__(self, rev: str, repo: str) -> None:
        super().__init__(f"unknown revision {rev!r} in {repo} (try a branch, tag or full SHA; see `git log`)")


class BadPattern(ForensicsError):
    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"bad marker regex {pattern!r}: {reason}")


class BadPathspec(ForensicsError):
    def __init__(self, spec: str, reason: str) -> None:
        super().__init__(f"bad pathspec {spec!r}: {reason}")


class BadConfig(ForensicsError):
    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"bad configuration in {source}: {reason}")


class GitFailed(ForensicsError):
    def __init__(self, what: str, stderr: str) -> None:
        first = next((line for line in stderr.splitlines() if line.strip()), "no message")
        super().__init__(f"git {what} failed: {first.strip()}")


class UntrustedRepository(ForensicsError):
    def __init__(self, path: str, where: str, owner: int) -> None:
        super().__init__(f"git refuses {path}: it is owned by another user (uid {owner}) and git's ownership check "
                         f"protects you from its config; if you trust this copy, pass --trust-repo to the analysis "
                         f"command (trusts {where} only), or analyse a copy you own")


class BadPlan(ForensicsError):
    def __init__(self, plan: str, reason: str) -> None:
        super().__init__(f"unreadable plan {plan}: {reason}")


class UnsafePlan(ForensicsError):
    """A restore plan row that would write outside the files git tracks in the worktree: the whole plan
    is refused before anything is written."""

    def __init__(self, plan: str, line: int, reason: str) -> None:
        super().__init__(f"refused plan {plan}: line {line}: {reason}; nothing was written")


class BadBranch(ForensicsError):
    def __init__(self, branch: str, reason: str) -> None:
        super().__init__(f"--branch {branch!r}: {reason}; nothing was written")


class BadOption(ForensicsError):
    def __init__(self, option: str, value: object, reason: str) -> None:
        super().__init__(f"bad {option} {value!r}: {reason}")


class BadOutput(ForensicsError):
    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"cannot write {target}: {reason}")


class SpecialFile(ForensicsError):
    """A file git reads when it opens a repository (its config, a file the config includes, HEAD, ...)
    that is not a regular file: a FIFO would hang every git command, a device would feed it endlessly."""

    def __init__(self, repo: str, what: str, path: str,
                 reason: str = "is not a regular file (a FIFO or device would hang git)") -> None:
        super().__init__(f"refusing {repo}: {what} {path} {reason}; remove it from a copy of the repository")


class UnsafeOutput(ForensicsError):
    """A file or folder a command would write or append to is reached through a symlink, is not a
    regular file or folder, or belongs to another user: nothing is written there."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"refused to write {target}: {reason} (a planted link could point anywhere)")
