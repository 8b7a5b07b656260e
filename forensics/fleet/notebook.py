"""The fleet notebook's parameter check: fail with one clear message before anything runs."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forensics.report.parameters import ParameterError, _locate, _str_list


@dataclass(frozen=True)
class FleetParameters:
    repos: list[str]
    rev: str
    scheduler: str | None
    workers: int | None
    output_dir: Path
    cache: str | bool

    def scan_options(self) -> dict[str, Any]:
        return {"cache": self.cache}


def check_fleet_parameters(repos: Any, rev: str = "HEAD", scheduler: str = "", workers: Any = 2,
                           output_dir: str = "data/reports/fleet", cache: Any = "data/cache") -> FleetParameters:
    """Validate the fleet notebook's parameters. Repositories are checked by the fleet itself (a path
    that is not a repository is a row with its error, not a failed notebook); here only their form."""
    listed = _str_list("repos", repos)
    if not listed:
        raise ParameterError("repos", "give at least one repository path")
    if not isinstance(rev, str) or not rev:
        raise ParameterError("rev", "must be a revision name")
    if scheduler and (not isinstance(scheduler, str) or "://" not in scheduler):
        raise ParameterError("scheduler", "must be a Dask scheduler address such as tcp://127.0.0.1:8786, or empty")
    if workers not in (None, "") and (not isinstance(workers, int) or workers < 1):
        raise ParameterError("workers", "must be a positive integer")
    if not isinstance(output_dir, str) or not output_dir:
        raise ParameterError("output_dir", "must be a directory path")
    resolved = []
    for repo in listed:
        try:
            resolved.append(str(_locate(repo, must_exist=True, name="repos")))
        except ParameterError:
            resolved.append(repo)  # reported by the fleet as that repository's error
    out = _locate(output_dir, must_exist=False, name="output_dir")
    cache_value: str | bool = False if cache in (False, "", None, "none") else str(
        _locate(str(cache), must_exist=False, name="cache"))
    return FleetParameters(resolved, rev, scheduler or None, workers or None, out, cache_value)
