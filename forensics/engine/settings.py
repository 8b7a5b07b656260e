"""Scan settings: defaults, then the analysed repository's ``[tool.forensics]`` table (read from the
revision, never from the worktree), then ``--config FILE.toml``, then command-line options.

The repository's table is evidence, not the user's input: what it set is recorded
(:attr:`Settings.repo_settings`, shown by every summary), ``repo_config=False`` (``--ignore-repo-config``)
leaves it out, and a key there that is unknown or invalid is a warning on stderr and is ignored (the
same mistake in the user's own ``--config`` is exit 2).

``since`` accepts ISO 8601 dates and times (``2025-09-06``, ``2025-09-06T20:02:59Z``; no zone means
UTC), RFC 2822 dates, ``@UNIXTIME``, ``yesterday`` and ``N units ago`` (``2 weeks ago``,
``3.days.ago``); it is stored as an absolute UTC time, so a relative date never reuses a stale cache.

Keys (all optional): ``markers`` (list of regexes; replaces the defaults), ``paths`` (pathspecs),
``backup_patterns`` (file-name globs), ``include_backups`` (bool), ``bulk_threshold`` (int), ``strict``
(bool: code of another Python dialect counts as broken, see :mod:`forensics.engine.legacy`).
"""
from __future__ import annotations

import email.utils
import hashlib
import json
import re
import sys
import tomllib
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from forensics.errors import BadConfig, BadOption, ForensicsError
from forensics.engine.git import Repository
from forensics.engine.health import DEFAULT_BACKUP_PATTERNS, DEFAULT_MARKERS, INTERPRETER, HealthRules
from forensics.engine.pathspec import Pathspec

DEFAULT_PATHS: tuple[str, ...] = ("*.py",)
DEFAULT_BULK_THRESHOLD = 50
SCHEMA_VERSION = 3   # 2: date columns, error kinds, legacy; 3: code content, hollowed lineages


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
    python: str | None = None    # another interpreter judges (--python PATH, absolute)
    python_label: str = ""       # what it said it is ("CPython 3.12.1"), part of the cache keys
    sources: tuple[str, ...] = field(default=("defaults",), compare=False)
    repo_settings: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def rules(self) -> HealthRules:
        return HealthRules(markers=self.markers, backup_patterns=self.backup_patterns, check_compile=self.check_compile,
                           python=self.python, interpreter=self.python_label or INTERPRETER)

    @property
    def pathspec(self) -> Pathspec:
        return Pathspec(list(self.paths))

    def scan_key(self) -> str:
        """Hash of what a scan's tables depend on (bulk_threshold is applied at query time)."""
        d = {k: v for k, v in asdict(self).items() if k not in ("bulk_threshold", "sources", "repo_settings")}
        d.update(interpreter=self.python_label or INTERPRETER, schema=SCHEMA_VERSION)
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sources"] = list(self.sources)
        return d


def _warn(message: str) -> None:
    print(f"forensics: warning: {message}", file=sys.stderr)


_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
          "month": 30 * 86400, "year": 365 * 86400}
_RELATIVE = re.compile(r"^(\d+)[ .]+(second|minute|hour|day|week|month|year)s?[ .]+ago$")


def parse_since(value: str, now: datetime | None = None) -> str:
    """``value`` as an absolute UTC time ``YYYY-MM-DDTHH:MM:SSZ``; a date git would not take, or
    that means nothing, raises :class:`BadOption` (git itself reads any text as "now")."""
    text = value.strip()
    now = now or datetime.now(timezone.utc)
    when: datetime | None = None
    low = text.lower()
    m = _RELATIVE.match(low)
    if m:
        try:
            when = now - timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])
        except OverflowError:
            raise BadOption("--since", value, "before year 1 (use a date git can store)") from None
    elif low in ("now", "today"):
        when = now
    elif low == "yesterday":
        when = now - timedelta(days=1)
    elif re.fullmatch(r"@\d{1,12}", text):
        when = datetime.fromtimestamp(int(text[1:]), timezone.utc)
    elif text:
        try:
            when = datetime.fromisoformat(text.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", text) else text)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                when = None
    if when is None:
        raise BadOption("--since", value, "not a date (use 2025-09-06, 2025-09-06T20:02:59Z, @UNIXTIME or '2 weeks ago')")
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    try:
        when = when.astimezone(timezone.utc)
    except OverflowError:
        raise BadOption("--since", value, "out of the range of dates") from None
    if when.year >= 9999:  # git reads the last days of 9999 as "no limit": refused, not silently the whole history
        raise BadOption("--since", value, "in year 9999: git cannot limit a history by it")
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


_TYPES = {"paths": list, "markers": list, "backup_patterns": list, "include_backups": bool,
          "bulk_threshold": int, "strict": bool}


# bounds on what the analysed repository's own table may set (beyond them: a warning, the key ignored)
MAX_REPO_LIST_ITEMS = 64
MAX_REPO_ITEM_BYTES = 1024
MAX_REPO_PYPROJECT_BYTES = 1 << 20


def _checked(key: str, value: Any, source: str, evidence: bool = False) -> Any:
    """``value`` of ``key`` as the settings hold it; a wrong key or value raises :class:`BadConfig`.
    ``evidence``: from the analysed repository, where a list holds at most :data:`MAX_REPO_LIST_ITEMS`
    entries of at most :data:`MAX_REPO_ITEM_BYTES` bytes each."""
    want = _TYPES.get(key)
    if want is None:
        raise BadConfig(source, f"unknown key {key!r} (known: {', '.join(sorted(_TYPES))})")
    if not isinstance(value, want) or (want is int and isinstance(value, bool)):
        raise BadConfig(source, f"{key!r} must be a {want.__name__}")
    if want is list:
        if not value or not all(isinstance(v, str) for v in value):
            raise BadConfig(source, f"{key!r} must be a non-empty list of strings")
        if evidence and len(value) > MAX_REPO_LIST_ITEMS:
            raise BadConfig(source, f"{key!r} has {len(value)} entries (at most {MAX_REPO_LIST_ITEMS} are read "
                                    "from a repository)")
        if evidence and any(len(v.encode("utf-8", "surrogatepass")) > MAX_REPO_ITEM_BYTES for v in value):
            raise BadConfig(source, f"{key!r} has an entry over {MAX_REPO_ITEM_BYTES} bytes (the most read "
                                    "from a repository)")
        value = tuple(value)
    if key == "markers":
        HealthRules(markers=value)          # a bad or unboundable regex: BadPattern
    elif key == "paths":
        Pathspec(list(value))
    elif key == "bulk_threshold" and value < 1:
        raise BadConfig(source, "'bulk_threshold' must be at least 1")
    return value


def _apply(settings: Settings, table: dict[str, Any], source: str, evidence: bool = False) -> Settings:
    """Apply one layer. ``evidence``: the analysed repository's own table, where a wrong key or value
    is a warning and is ignored, and what was applied is recorded in ``repo_settings``."""
    changes: dict[str, Any] = {}
    for key, value in table.items():
        try:
            changes[key] = _checked(key, value, source, evidence)
        except ForensicsError as exc:
            if not evidence:
                raise
            _warn(f"ignored from the analysed repository: {exc} (--ignore-repo-config ignores the whole table)")
    if not changes:
        return settings
    if evidence:
        recorded = {"source": source, "applied": {k: (list(v) if isinstance(v, tuple) else v) for k, v in changes.items()}}
        return replace(settings, sources=settings.sources + (source,), repo_settings=recorded, **changes)
    return replace(settings, sources=settings.sources + (source,), **changes)


def _from_toml(text: str, source: str, tool_table: bool) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadConfig(source, str(exc)) from None
    except RecursionError:             # tomllib recurses once per level of nesting
        raise BadConfig(source, "nested too deeply to read") from None
    tool = data.get("tool", {})
    table = tool.get("forensics", {} if tool_table else data) if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise BadConfig(source, "[tool.forensics] must be a table")
    return table


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _changed(settings: Settings) -> dict[str, Any]:
    """The repository's own settings that made it into the final settings and differ from the
    defaults: the ones that can change a verdict (``--config`` and options given win over them)."""
    default = Settings()
    return {k: v for k, v in settings.repo_settings["applied"].items()
            if _plain(getattr(settings, k)) == v and _plain(getattr(default, k)) != v}


def repo_settings_note(repo_settings: dict[str, Any] | None) -> str:
    """One line that discloses the analysed repository's own settings that changed the result (see
    :func:`_changed`), or "" when none did. Every command prints it on stderr; the fleet, the report
    and ``census --json`` carry it too (README "Hostile repositories")."""
    changed = (repo_settings or {}).get("changed") or {}
    if not changed:
        return ""
    items = "; ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in changed.items())
    return (f"the analysed repository's own settings changed this result: {items} (from "
            f"{repo_settings.get('source', 'its pyproject.toml')}; --ignore-repo-config leaves them out)")


def load_settings(repo: Repository | None, rev_sha: str | None, config: str | None = None,
                  repo_config: bool = True, **overrides: Any) -> Settings:
    """Merge the layers; ``overrides`` with value None are ignored. Validates regexes and pathspecs.
    ``repo_config=False`` leaves out the analysed repository's ``[tool.forensics]`` table."""
    settings = Settings()
    if overrides.get("since") is not None:
        overrides["since"] = parse_since(str(overrides["since"]))
    if repo is not None and rev_sha is not None and repo_config:
        with repo.blob_reader() as reader:
            data = reader.read(f"{rev_sha}:pyproject.toml")
        if data and len(data) > MAX_REPO_PYPROJECT_BYTES:
            _warn(f"the analysed repository's pyproject.toml is {len(data)} bytes (over "
                  f"{MAX_REPO_PYPROJECT_BYTES >> 20} MiB): its [tool.forensics] is not used")
            data = b""
        if data:
            text = data.decode("utf-8", "replace")
            try:
                table = _from_toml(text, "pyproject.toml", tool_table=True)
            except BadConfig as exc:  # the analysed project's own broken pyproject is evidence, not our input
                reason = str(exc).split(": ", 1)[-1]
                _warn(f"the analysed repository's pyproject.toml cannot be read ({reason}): its [tool.forensics] is not used")
                table = {}
            if table:
                settings = _apply(settings, table, f"{rev_sha[:12]}:pyproject.toml [tool.forensics]", evidence=True)
    if config:
        try:
            with open(config, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise BadConfig(config, exc.strerror or str(exc)) from None
        except UnicodeDecodeError as exc:
            raise BadConfig(config, f"not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
        settings = _apply(settings, _from_toml(text, config, tool_table=False), config)
    if overrides.get("python"):   # another interpreter judges: it must answer now (exit 2 otherwise)
        from forensics.engine.external_python import interpreter_label

        overrides["python"], overrides["python_label"] = interpreter_label(str(overrides["python"]))
    given = {k: (tuple(v) if isinstance(v, list) else v) for k, v in overrides.items() if v is not None}
    if given:
        settings = replace(settings, sources=settings.sources + ("command line",), **given)
    if settings.repo_settings.get("applied"):
        settings = replace(settings, repo_settings={**settings.repo_settings, "changed": _changed(settings)})
    settings.rules  # validate marker regexes now: one clear line, before any work
    settings.pathspec
    return settings
