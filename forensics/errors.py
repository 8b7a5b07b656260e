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


class BadOption(ForensicsError):
    def __init__(self, option: str, value: object, reason: str) -> None:
        super().__init__(f"bad {option} {value!r}: {reason}")


class BadOutput(ForensicsError):
    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"cannot write {target}: {reason}")
