"""Writing tables for people and spreadsheets: UTC times as ``2025-09-06T20:02:59Z``, full SHAs,
UTF-8 CSV without an index (bytes that are not UTF-8 in paths are written as ``\\xNN``).

Every CSV goes through :func:`write_csv`, which applies the spreadsheet-formula rule of
:mod:`forensics.csvsafe` to text cells (``FORENSICS_RAW_CSV=1`` writes raw values)."""
from __future__ import annotations

import os
import sys
from typing import TextIO

import pandas as pd

from forensics.csvsafe import neutralise_cell, raw_csv_requested
from forensics.errors import BadOutput


def _iso(ts: object) -> str:
    if ts is None or ts is pd.NaT or (isinstance(ts, float) and pd.isna(ts)):
        return ""
    t = pd.Timestamp(ts)
    if pd.isna(t):
        return ""
    if t.tzinfo is None:
        t = t.tz_localize("UTC")
    return t.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def for_output(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with datetime columns as ISO 8601 UTC text and list columns joined."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].map(_iso).astype(object)
        elif out[col].dtype == object and len(out) and isinstance(out[col].iloc[0], (list, tuple)):
            out[col] = out[col].map(lambda v: " ".join(":".join(map(str, x)) if isinstance(x, tuple) else str(x) for x in v))
    return out


def neutralised(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell that a spreadsheet would read as a formula quoted (see
    :mod:`forensics.csvsafe`); numbers, booleans and times are left as they are."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_cell).astype(object)
    return out


def write_csv(df: pd.DataFrame, target: str, raw: bool | None = None) -> None:
    """Write ``df`` as CSV to ``target`` (``-`` for stdout). Text cells are neutralised for
    spreadsheets unless ``raw`` (default: ``FORENSICS_RAW_CSV`` in the environment)."""
    out = for_output(df)
    if not (raw_csv_requested() if raw is None else raw):
        out = neutralised(out)
    if target == "-":
        out.to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    if os.path.isdir(target):
        raise BadOutput(target, "it is a directory (give a file name)")
    try:
        out.to_csv(target, index=False, encoding="utf-8", errors="backslashreplace", lineterminator="\n")
    except OSError as exc:
        raise BadOutput(target, exc.strerror or str(exc)) from None


# The columns a terminal shows by default, per command (``--all-columns`` shows every one; a CSV always
# keeps every column). Columns a table does not have are skipped, so an analysis can grow freely.
TERMINAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "timeline": ("sha", "committed_at", "author", "subject", "broke", "healed", "marked", "unmarked",
                 "added_damaged", "deleted_damaged", "paths_changed"),
    "events": ("sha", "committed_at", "path", "event", "state_before", "state_after", "author"),
    "culprits": ("kind", "sha", "committed_at", "author", "subject", "paths_touched", "paths_damaged",
                 "paths_still_damaged", "paths_masked", "paths_healed"),
    "suspect": ("suspect", "kind", "commits", "paths_touched", "paths_damaged", "already_damaged", "paths_healed",
                "verdict"),
    "signatures": ("signature", "files", "lines", "example_before", "example_after"),
    "blast-radius": ("directory", "tier", "paths", "damaged", "tests_now", "tests_last_good", "tests_lost"),
    "dependents": ("file", "line", "reference", "job", "kind", "paths_matched", "damaged_matched", "verdict"),
    "restore-list": ("path", "priority", "action", "confidence", "tests_recovered", "edits_since_damage", "source",
                     "state"),
    "incidents": ("incident", "first_at", "last_at", "paths_damaged", "paths_still_damaged", "headline"),
    "hunt": ("path", "state", "lines", "culprit", "signatures"),
}
# Cut first when a table is wider than the terminal (free text); commands and SHAs are never cut.
_CUTTABLE = ("subject", "headline", "evidence", "reason", "text", "example_before", "example_after", "scripts",
             "signature", "author", "reference", "file", "path", "directory", "verdict")
_SHA = r"^[0-9a-f]{40}([0-9a-f]{24})?$"
SHORT_SHA = 12


def terminal_view(df: pd.DataFrame, command: str | None = None, all_columns: bool = False,
                  width: int | None = None) -> pd.DataFrame:
    """What a terminal shows of ``df``: the command's default columns (unless ``all_columns``), SHAs
    as 12 characters, times in ISO 8601 UTC, and free-text columns cut with ``…`` until the rows fit
    ``width`` (default: the terminal's, or $COLUMNS)."""
    import shutil

    out = for_output(df)
    if not all_columns and command in TERMINAL_COLUMNS:
        keep = [c for c in TERMINAL_COLUMNS[command] if c in out.columns]
        out = out[keep] if keep else out
    for col in out.columns:
        if (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])) and len(out):
            out[col] = out[col].astype(object).where(out[col].notna(), "")
            s = out[col].astype(str)
            sha = s.str.match(_SHA)
            if sha.any():
                out[col] = s.where(~sha, s.str.slice(0, SHORT_SHA))
            lists = s.str.fullmatch(r"([0-9a-f]{40} )+[0-9a-f]{40}")
            if lists.any():
                out[col] = out[col].where(~lists, s.str.split(" ").map(lambda v: " ".join(x[:SHORT_SHA] for x in v)))
    width = width or shutil.get_terminal_size((160, 24)).columns
    if all_columns or not len(out.columns):
        return out
    return _fit(out, width)


_PATHS = ("path", "file", "directory", "reference")


def _cut(s: str, n: int, middle: bool) -> str:
    """``s`` in at most ``n`` characters: the end cut (``…``), or for paths the middle, so the file
    name stays."""
    if len(s) <= n:
        return s
    if not middle:
        return s[: n - 1] + "…"
    tail = (n - 1) * 2 // 3
    return s[: n - 1 - tail] + "…" + s[len(s) - tail:]


def _fit(out: pd.DataFrame, width: int, keep: int = 4) -> pd.DataFrame:
    """Cut free-text columns (never commands or SHAs) to share what the other columns leave of
    ``width``; when even 12 characters each do not fit, drop the last columns (not the first ``keep``)."""
    w = {c: max([len(str(c))] + [len(str(v)) for v in out[c]]) for c in out.columns}
    cuttable = [c for c in out.columns if c in _CUTTABLE]

    def least(cols: list[str]) -> int:
        return sum(w[c] if c not in cuttable else min(w[c], max(12, len(c))) for c in cols) + 2 * (len(cols) - 1)

    cols = list(out.columns)
    while len(cols) > keep and least(cols) > width:
        cols.pop()
    out = out[cols].copy()
    cut = [c for c in cols if c in cuttable]
    budget = width - sum(w[c] for c in cols if c not in cut) - 2 * (len(cols) - 1)
    for i, col in enumerate(sorted(cut, key=lambda c: w[c])):       # narrowest first: water-filling
        share = max(max(12, len(col)), budget // (len(cut) - i))
        limit = min(w[col], share)
        if limit < w[col]:
            out[col] = out[col].map(lambda v, n=limit, mid=col in _PATHS: _cut(str(v), n, mid))
        budget -= limit
    return out


TERMINAL_ROWS = 40   # rows a terminal shows by default: the top of the command's ranking


def print_table(df: pd.DataFrame, stream: TextIO | None = None, max_rows: int | None = None,
                command: str | None = None, all_columns: bool = False, hint: bool = False) -> None:
    """Print ``df`` for a terminal (see ``terminal_view``); ``max_rows`` keeps the first N rows (the
    top of the command's ranking). With ``hint``, rows left out are said in one last line: how
    many, and how to see them all."""
    stream = stream or sys.stdout
    total = len(df)
    if max_rows is not None:
        df = df.head(max(max_rows, 0))
    if df.empty:
        print("(no rows)" if not total else f"(0 of {total} rows shown)", file=stream)
        return
    from forensics.termtext import printable

    out = terminal_view(df, command, all_columns)
    print(printable(out.to_string(index=False, max_colwidth=None if all_columns else 200)), file=stream)
    if hint and total > len(df):
        print(f"… {total - len(df)} more rows ({len(df)} of {total} shown, in the command's order): --all prints "
              f"every row; --csv FILE, --format or --out write them all", file=stream)


def write_plan(plan: pd.DataFrame, target: str) -> str:
    """Write the restore list as CSV (what ``forensics restore --plan`` reads)."""
    from pathlib import Path

    try:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadOutput(target, exc.strerror or str(exc)) from None
    write_csv(plan, target)
    return target


def write_table(df: pd.DataFrame, target: str, fmt: str, max_rows: int | None = None) -> None:
    """Write ``df`` to ``target`` (``-`` for stdout) as ``table`` (the terminal text), ``csv`` (for people:
    see :func:`write_csv`), ``json`` (one array of objects) or ``jsonl`` (one object a line). JSON keeps
    raw values (times as ISO 8601 UTC text, lists joined as in CSV): it is for scripts."""
    import io
    import json

    if fmt == "csv":
        write_csv(df, target)
        return
    if fmt == "table":
        buf = io.StringIO()
        print_table(df, stream=buf, max_rows=max_rows)
        text = buf.getvalue()
    else:
        records = for_output(df).astype(object).where(for_output(df).notna(), None).to_dict(orient="records")
        records = [{k: _json_value(v) for k, v in r.items()} for r in records]
        if fmt == "json":
            text = json.dumps(records, ensure_ascii=False, indent=1) + "\n"
        else:
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if target == "-":
        sys.stdout.write(text)
        return
    try:
        with open(target, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as fh:
            fh.write(text)
    except OSError as exc:
        from forensics.errors import ForensicsError

        raise ForensicsError(f"cannot write {target}: {exc.strerror or exc}") from None


def _json_value(value: object) -> object:
    """Plain JSON types for numpy scalars and the like."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()  # type: ignore[union-attr]
        except (ValueError, AttributeError):
            pass
    return value
