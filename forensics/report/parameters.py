"""What notebooks call first: check the papermill parameters and fail with one clear message.

Relative paths are taken from the current directory, then from the project root (the parent of
``notebooks/``), so the defaults work from JupyterLab (cwd ``notebooks/``), from ``papermill`` run at
the root, and from the CLI's report command alike.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forensics.errors import ForensicsError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ParameterError(ForensicsError):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"notebook parameter {name!r}: {reason}")


@dataclass(frozen=True)
class Parameters:
    repo: str
    rev: str
    paths: list[str] | None
    markers: list[str] | None
    since: str | None
    until: str | None
    bulk_threshold: int | None
    output_dir: Path
    cache: str | bool
    extra: dict[str, Any]

    @property
    def tiers(self):
        return self.extra["tiers"]

    @property
    def output_csv(self) -> Path:
        return self.extra["output_csv"]

    @property
    def depth(self) -> int:
        return self.extra["depth"]

    @property
    def focus(self) -> str:
        """A path, a directory (``dir/``) or an incident (``#N``) the figures narrow to; "" for all."""
        return self.extra.get("focus", "")

    def scan_options(self) -> dict[str, Any]:
        return {"paths": self.paths, "markers": self.markers, "cache": self.cache, "progress": False,
                "bulk_threshold": self.bulk_threshold,
                "repo_config": not self.extra.get("ignore_repo_config", False)}


def _locate(path: str, must_exist: bool, name: str = "repo") -> Path:
    """An existing path from the cwd or the project root; a new one from the cwd (the project root
    when the cwd is ``notebooks/``, as in JupyterLab)."""
    p = Path(os.path.expanduser(path))
    if p.is_absolute():
        if must_exist and not p.exists():
            raise ParameterError(name, f"{path} does not exist")
        return p
    for base in (Path.cwd(), PROJECT_ROOT):
        if (base / p).exists():
            return (base / p).resolve()
    if must_exist:
        raise ParameterError(name, f"{path} does not exist (run `make demo` for the demo repository)")
    base = PROJECT_ROOT if Path.cwd().resolve() == (PROJECT_ROOT / "notebooks").resolve() else Path.cwd()
    return (base / p).resolve()


def _str_list(name: str, value: Any) -> list[str] | None:
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ParameterError(name, "must be a list of strings")
    return list(value)


def check_parameters(repo: str, rev: str = "HEAD", paths: Any = None, markers: Any = None, since: str = "",
                     until: str = "", bulk_threshold: Any = None, output_dir: str = "data/reports",
                     cache: Any = "data/cache", priority_rules: str = "", output_csv: str = "",
                     depth: Any = 2, **extra: Any) -> Parameters:
    """Validate and normalise notebook parameters (types, existence, dates, regexes, revision)."""
    import pandas as pd

    from forensics.engine.git import Repository
    from forensics.engine.health import compile_markers

    if not isinstance(repo, str) or not repo:
        raise ParameterError("repo", "must be the path of a repository")
    if not isinstance(rev, str) or not rev:
        raise ParameterError("rev", "must be a revision name")
    repo_path = _locate(repo, must_exist=True)
    Repository.open(repo_path).resolve(rev)  # NotARepository / UnknownRevision: one clear line
    markers_list = _str_list("markers", markers)
    if markers_list:
        compile_markers(markers_list)
    for name, value in (("since", since), ("until", until)):
        if value:
            try:
                pd.Timestamp(value)
            except (ValueError, TypeError):
                raise ParameterError(name, f"{value!r} is not a date (use ISO 8601, e.g. 2025-09-06)") from None
    if bulk_threshold not in (None, "") and (not isinstance(bulk_threshold, int) or bulk_threshold < 1):
        raise ParameterError("bulk_threshold", "must be a positive integer")
    if not isinstance(output_dir, str) or not output_dir:
        raise ParameterError("output_dir", "must be a directory path")
    out = _locate(output_dir, must_exist=False, name="output_dir")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:        # /proc/x, a path under a file, no permission: bad input, one line
        raise ParameterError("output_dir", f"{output_dir!r} cannot be made: {exc.strerror or exc}") from None
    cache_value: str | bool = False if cache in (False, "", None, "none") else str(
        _locate(str(cache), must_exist=False, name="cache"))
    from forensics.engine.tiers import load_tiers

    tiers = load_tiers(str(_locate(priority_rules, must_exist=True, name="priority_rules")) if priority_rules else None)
    if not isinstance(depth, int) or depth < 0:
        raise ParameterError("depth", "must be an integer >= 0")
    if not isinstance(extra.get("ignore_repo_config", False), bool):
        raise ParameterError("ignore_repo_config", "must be true or false")
    suspects = _str_list("suspects", extra.pop("suspects", None)) or []
    extra["suspects"] = suspects
    for name in ("focus", "chain_of"):
        if not isinstance(extra.get(name, ""), str):
            raise ParameterError(name, "must be a string (a path, a directory ending in / or an incident #N)")
    if "incident" in extra and (not isinstance(extra["incident"], int) or isinstance(extra["incident"], bool)
                                or extra["incident"] < 1):
        raise ParameterError("incident", "must be an incident number (1 is the one with the most paths still damaged)")
    for name in ("culprit", "path"):
        if not isinstance(extra.get(name, ""), str):
            raise ParameterError(name, "must be a string (culprit: its position or a SHA prefix; path: a file)")
    csv_path = _locate(output_csv, must_exist=False, name="output_csv") if output_csv else out / "restore_candidates.csv"
    from forensics.report.figures import use_offline_renderer

    use_offline_renderer()
    return Parameters(str(repo_path), rev, _str_list("paths", paths), markers_list, since or None, until or None,
                      bulk_threshold if bulk_threshold not in (None, "") else None, out, cache_value,
                      {**extra, "tiers": tiers, "output_csv": csv_path, "depth": depth})
