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


def print_table(df: pd.DataFrame, stream: TextIO | None = None, max_rows: int | None = None) -> None:
    stream = stream or sys.stdout
    out = for_output(df)
    if max_rows is not None:
        out = out.head(max_rows)
    if out.empty:
        print("(no rows)", file=stream)
        return
    print(out.to_string(index=False, max_colwidth=60), file=stream)


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
