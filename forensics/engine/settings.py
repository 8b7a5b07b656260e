"""Scan settings: defaults, then the analysed repository's ``[tool.forensics]`` table (read from the
revision, never from the worktree), then ``--config FILE.toml``, then command-line options.

Keys (all optional): ``markers`` (list of regexes; replaces the defaults), ``paths`` (pathspecs),
``backup_patterns`` (file-name globs), ``include_backups`` (bool), ``bulk_threshold`` (int), ``strict``
(bool: code of another Python dialect counts as broken, see :mod:`forensics.engine.legacy`).
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from forensics.errors import BadConfig
from forensics.engine.git import Repository
from forensics.engine.health import DEFAULT_BACKUP_PATTERNS, DEFAULT_MARKERS, INTERPRETER, HealthRules
from forensics.engine.pathspec import Pathspec

DEFAULT_PATHS: tuple[str, ...] = ("*.py",)
DEFAULT_BULK_THRESHOLD = 50
SCHEMA_VERSION = 2   # 2: date columns, error kinds, legacy


@dataclass(frozen=True)
class Settings:
    paths: tuple[str, ...] = DEFAULT_PATHS
    markers: tuple[str, ...] = DEFAULT_MARKERS
    backup_patterns: tuple[str, ...] = DEFAULT_BACKUP_PATTERNS
    include_backups: bool = False
    bulk_threshold: int = DEFAULT_BULK_THRESHOLD
    since: str | None = None
    check_compile: bool = True
    strict: bool = False     # no version is legacy: other dialects' code counts as broken
    sources: tuple[str, ...] = field(default=("defaults",), compare=False)

    @property
    def rules(self) -> HealthRules:
        return HealthRules(markers=self.markers, backup_patterns=self.backup_patterns, check_compile=self.check_compile)

    @property
    def pathspec(self) -> Pathspec:
        return Pathspec(list(self.paths))

    def scan_key(self) -> str:
        """Hash of what a scan's tables depend on (bulk_threshold is applied at query time)."""
        d = {k: v for k, v in asdict(self).items() if k not in ("bulk_threshold", "sources")}
        d.update(interpreter=INTERPRETER, schema=SCHEMA_VERSION)
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sources"] = list(self.sources)
        return d


_TYPES = {"paths": list, "markers": list, "backup_patterns": list, "include_backups": bool,
          "bulk_threshold": int, "strict": bool}


def _apply(settings: Settings, table: dict[str, Any], source: str) -> Settings:
    changes: dict[str, Any] = {}
    for key, value in table.items():
        want = _TYPES.get(key)
        if want is None:
            raise BadConfig(source, f"unknown key {key!r} (known: {', '.join(sorted(_TYPES))})")
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise BadConfig(source, f"{key!r} must be a {want.__name__}")
        if want is list:
            if not value or not all(isinstance(v, str) for v in value):
                raise BadConfig(source, f"{key!r} must be a non-empty list of strings")
            value = tuple(value)
        changes[key] = value
    return replace(settings, sources=settings.sources + (source,), **changes) if changes else settings


def _from_toml(text: str, source: str, tool_table: bool) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadConfig(source, str(exc)) from None
    if tool_table:
        return data.get("tool", {}).get("forensics", {})
    return data.get("tool", {}).get("forensics", data)


def load_settings(repo: Repository | None, rev_sha: str | None, config: str | None = None,
                  **overrides: Any) -> Settings:
    """Merge the layers; ``overrides`` with value None are ignored. Validates regexes and pathspecs."""
    settings = Settings()
    if repo is not None and rev_sha is not None:
        with repo.blob_reader() as reader:
            data = reader.read(f"{rev_sha}:pyproject.toml")
        if data:
            text = data.decode("utf-8", "replace")
            try:
                table = _from_toml(text, "pyproject.toml", tool_table=True)
            except BadConfig:
                table = {}  # the analysed project's own broken pyproject is evidence, not our input
            if table:
                settings = _apply(settings, table, f"{rev_sha[:12]}:pyproject.toml [tool.forensics]")
    if config:
        try:
            with open(config, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise BadConfig(config, exc.strerror or str(exc)) from None
        settings = _apply(settings, _from_toml(text, config, tool_table=False), config)
    given = {k: (tuple(v) if isinstance(v, list) else v) for k, v in overrides.items() if v is not None}
    if given:
        settings = replace(settings, sources=settings.sources + ("command line",), **given)
    settings.rules  # validate marker regexes now: one clear line, before any work
    settings.pathspec
    return settings
