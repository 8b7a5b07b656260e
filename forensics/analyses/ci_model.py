"""What CI and configuration files say, as data: jobs (with their triggers and test-runner
invocations), pytest configurations, and everything parsed at one revision (:class:`Parsed`)."""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from forensics.analyses.ci_commands import Invocation


def is_ci_file(path: str) -> bool:
    """The files :mod:`ci_parse` reads (any directory for pytest/tox/setup configuration)."""
    name = posixpath.basename(path)
    if path.startswith(".github/workflows/") and path.count("/") == 2 and name.endswith((".yml", ".yaml")):
        return True
    return path in (".gitlab-ci.yml", "noxfile.py", "Makefile", "makefile", "GNUmakefile") \
        or name in ("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml")


@dataclass(frozen=True)
class Trigger:
    """What starts a job: an ``event``; for push/pull-request events, the ``paths`` and
    ``paths_ignore`` filters (None when absent: any change)."""

    event: str
    line: int
    paths: tuple[str, ...] | None = None
    paths_ignore: tuple[str, ...] | None = None


@dataclass
class Job:
    """One job: the ``file`` defining it, its ``name`` (GitHub job id with matrix values, GitLab job,
    ``tox:ENV``, ``nox:SESSION``, ``make:TARGET``), its ``line``, ``triggers`` (GitHub only) and the
    ``invocations`` its commands make (in order); ``lenient``: lines of invocations whose failure
    leaves the job green (GitHub ``continue-on-error: true`` on the step or the job)."""

    file: str
    name: str
    line: int
    system: str
    triggers: tuple[Trigger, ...] = ()
    invocations: list[Invocation] = field(default_factory=list)
    note: str = ""
    lenient: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class PytestConfig:
    """pytest's settings from one configuration file: ``file`` (its directory is the rootdir),
    ``line`` of the section, ``testpaths``, ``python_files``, ``norecursedirs``, ``addopts`` (words)."""

    file: str
    line: int
    testpaths: tuple[str, ...] = ()
    python_files: tuple[str, ...] = ("test_*.py", "*_test.py")
    norecursedirs: tuple[str, ...] = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv",
                                      "{arch}")
    addopts: tuple[str, ...] = ()
    testpaths_line: int = 0

    @property
    def rootdir(self) -> str:
        d = posixpath.dirname(self.file)
        return d


@dataclass
class Parsed:
    """Everything read from the CI files at one revision: ``jobs``; the Makefile targets, tox
    environments and nox sessions by name (so ``make test`` in a workflow is followed); pytest
    configurations by file; and ``errors`` (file, reason) for files that did not parse."""

    jobs: list[Job] = field(default_factory=list)
    make: dict[str, dict[str, Job]] = field(default_factory=dict)   # Makefile dir -> target -> job
    tox: dict[str, Job] = field(default_factory=dict)
    tox_envlist: tuple[str, ...] = ()
    nox: dict[str, Job] = field(default_factory=dict)
    pytest_configs: dict[str, PytestConfig] = field(default_factory=dict)   # file -> config (any directory)
    config_candidates: dict[str, str] = field(default_factory=dict)        # file -> kind, incl. non-pytest ones
    errors: list[tuple[str, str]] = field(default_factory=list)
