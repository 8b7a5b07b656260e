"""A timeline Timesketch imports as it is: JSONL, one object a line, with the three fields Timesketch
requires on every line (``message``, ``datetime`` in ISO 8601, ``timestamp_desc``) plus ``timestamp``
(microseconds since the epoch, which Timesketch also reads) and flat fields to filter on.

Lines (``data_type`` tells them apart):

- ``forensics:event``: one per event (``sha, path, old_path, event, author, subject``, markers, compiles
  and tests before and after);
- ``forensics:culprit``: two per culprit, its start and its end (``kind, sha, last_sha, paths_changed,
  paths_damaged, paths_healed``, ``paths_still_damaged`` and ``evidence`` when the table has them);
- ``forensics:incident``: one per incident, at its first time (``incident, last_at, root_causes,
  culprits, maskers, paths_damaged, paths_still_damaged``), when an incidents table is given;
- ``forensics:backup_run``: one per backup run or set (``subject`` the run, copies, damaged copies).

Strings from the repository stay plain JSON strings: Timesketch shows them as text.
Import: ``timesketch_importer --host URL --username U --sketch_id N --timeline_name NAME FILE.jsonl``
(timesketch-import-client), or upload the file in the web UI ("Add timeline").
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Iterator

import pandas as pd

TIMESKETCH_REQUIRED = ("message", "datetime", "timestamp_desc")
_BACKUP_KINDS = ("backup_set", "backup_run")


def _when(value: Any) -> pd.Timestamp | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _line(ts: pd.Timestamp, desc: str, message: str, data_type: str, fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "message": message,
        "datetime": ts.isoformat(timespec="seconds"),
        "timestamp": int(ts.value // 1000),
        "timestamp_desc": desc,
        "data_type": data_type,
    }
    for key, value in fields.items():
        if isinstance(value, (list, tuple)):
            value = " ".join(map(str, value))
        elif hasattr(value, "item") and not isinstance(value, str):
            value = value.item()
        elif isinstance(value, pd.Timestamp):
            value = _when(value).isoformat(timespec="seconds") if _when(value) is not None else ""
        if value is None or (isinstance(value, float) and pd.isna(value)):
            value = ""
        out[key] = value
    return out


def _s(row: dict[str, Any], key: str, default: Any = "") -> Any:
    value = row.get(key, default)
    return default if value is None or (isinstance(value, float) and pd.isna(value)) else value


def event_lines(events: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """One line per event."""
    keep = ["sha", "path", "old_path", "event", "author", "subject", "markers_before", "markers_after",
            "compiles_before", "compiles_after", "tests_before", "tests_after"]
    for row in events.to_dict(orient="records"):
        ts = _when(row.get("committed_at"))
        if ts is None:
            continue
        msg = f"{row['event']} {row['path']} in {str(row['sha'])[:12]}"
        if _s(row, "author"):
            msg += f" by {row['author']}"
        if _s(row, "subject"):
            msg += f": {row['subject']}"
        yield _line(ts, "Commit time", msg, "forensics:event", {k: _s(row, k) for k in keep if k in row})


def culprit_lines(culprits: pd.DataFrame, commits: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Two lines per culprit (start, end); one per backup run or set."""
    when = dict(zip(commits["sha"], commits["committed_at"]))
    keep = ["kind", "sha", "last_sha", "author", "subject", "paths_changed", "paths_damaged", "paths_healed",
            "paths_still_damaged", "evidence", "scripts", "commits"]
    for row in culprits.to_dict(orient="records"):
        kind = str(_s(row, "kind"))
        fields = {k: _s(row, k) for k in keep if k in row}
        if kind in _BACKUP_KINDS:
            ts = _when(_s(row, "first_at", None)) or _when(_s(row, "committed_at", None))
            if ts is None:
                continue
            msg = (f"backup {'run' if kind == 'backup_run' else 'set'} {row.get('subject', '')}: "
                   f"{_s(row, 'paths_changed', 0)} copies, {_s(row, 'paths_damaged', 0)} damaged")
            yield _line(ts, "Backup written", msg, "forensics:backup_run", fields)
            continue
        start = _when(_s(row, "committed_at", None))
        if start is None:
            continue
        end = _when(when.get(_s(row, "last_sha"), None)) or start
        touched, damaged = _s(row, "paths_changed", 0), _s(row, "paths_damaged", 0)
        base = f"{kind} {str(row['sha'])[:12]} by {_s(row, 'author')}: touched {touched}, damaged {damaged}"
        if "paths_still_damaged" in row:
            base += f", {_s(row, 'paths_still_damaged', 0)} still damaged"
        yield _line(start, "Culprit start", f"{base} (start): {_s(row, 'subject')}", "forensics:culprit", fields)
        yield _line(end, "Culprit end", f"{base} (end)", "forensics:culprit", fields)


def incident_lines(incidents: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """One line per incident, at its first time."""
    keep = ["incident", "last_at", "paths_damaged", "paths_still_damaged", "root_causes", "culprits", "maskers",
            "surfacers", "tests_lost", "headline"]
    for row in incidents.to_dict(orient="records"):
        ts = _when(row.get("first_at"))
        if ts is None:
            continue
        msg = f"incident {row.get('incident')}: {_s(row, 'headline')}".rstrip(": ")
        yield _line(ts, "Incident start", msg, "forensics:incident", {k: _s(row, k) for k in keep if k in row})


def timesketch_lines(events: pd.DataFrame, culprits: pd.DataFrame, commits: pd.DataFrame,
                     incidents: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Every line of the export, sorted by time (stable: events, then culprits, then incidents)."""
    lines = [*event_lines(events), *culprit_lines(culprits, commits)]
    if incidents is not None:
        lines.extend(incident_lines(incidents))
    lines.sort(key=lambda d: d["timestamp"])
    return lines


def write_jsonl(lines: Iterable[dict[str, Any]], target: str) -> int:
    """Write ``lines`` as JSONL to ``target``; the number of lines written."""
    from forensics.errors import ForensicsError

    n = 0
    try:
        with open(target, "w", encoding="utf-8", newline="\n") as fh:
            for line in lines:
                fh.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
                n += 1
    except OSError as exc:
        raise ForensicsError(f"cannot write {target}: {exc.strerror or exc}") from None
    return n
