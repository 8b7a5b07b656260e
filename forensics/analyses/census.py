"""Census: the state of every path in scope at the scanned revision, grouped by directory."""
from __future__ import annotations

import pandas as pd

from forensics.engine.gitdata import path_bytes
from forensics.engine.health import HEALTHY, UNREADABLE
from forensics.engine.states import HOLLOWED, LEGACY, PLACEHOLDER

CENSUS_COLUMNS = ["directory", "total", "healthy", "marked", "broken", "damaged", "pct_damaged", "unreadable",
                  "legacy", "placeholder", "hollowed"]


def directory_of(path: str, depth: int) -> str:
    """The first ``depth`` directory components of ``path`` ("." for files at the top)."""
    if path.startswith('"'):  # a C-quoted path (not UTF-8): group by its real components
        path = path_bytes(path).decode("utf-8", "backslashreplace")
    parts = path.split("/")[:-1][: max(depth, 0)]
    return "/".join(parts) or "."


def census(result, depth: int = 2, tiers=None) -> pd.DataFrame:
    """One row per directory at ``depth`` plus ``directory='*'`` for the total (first row).

    Columns: CENSUS_COLUMNS. ``marked`` counts paths with markers > 0 and ``broken`` paths that do not
    compile, whatever the other signal says; ``damaged`` counts paths with either (once);
    ``pct_damaged`` is 100 * damaged / total, one decimal; ``unreadable`` counts paths whose object is
    missing (in no other column but ``total``), ``legacy`` paths whose code is another Python dialect's,
    born that way (in no other column but ``total``; ``--strict`` counts them as broken). ``placeholder``
    counts paths in that state (only when placeholder signatures are hunted: ``--signatures-from``); they
    count in ``damaged`` too, as do ``hollowed`` paths (compiling stubs of what they were, see
    :mod:`forensics.engine.hollowing`). With ``tiers``, rows are priority tiers instead of
    directories (the ``directory`` column holds e.g. ``P0 golden path``)."""
    subjects = result.subjects if hasattr(result, "subjects") else result
    s = subjects.copy()
    readable = s["state"] != UNREADABLE
    legacy = s["state"] == LEGACY
    if tiers is not None:  # group by priority tier instead: "P0 golden path"
        from forensics.engine.tiers import tier_of

        s["directory"] = s["path"].map(lambda p: " ".join(tier_of(p, tiers)))
    else:
        s["directory"] = s["path"].map(lambda p: directory_of(p, depth))
    s["_marked"] = readable & (s["markers"].fillna(0) > 0)
    s["_broken"] = readable & ~legacy & ~s["compiles"].fillna(True).astype(bool)
    s["_placeholder"] = s["state"] == PLACEHOLDER
    s["_hollowed"] = s["state"] == HOLLOWED
    s["_damaged"] = s["_marked"] | s["_broken"] | s["_placeholder"] | s["_hollowed"]
    s["_healthy"] = readable & (s["state"] == HEALTHY)
    s["_unreadable"] = ~readable
    s["_legacy"] = legacy
    grouped = s.groupby("directory", sort=True).agg(
        total=("path", "size"), healthy=("_healthy", "sum"), marked=("_marked", "sum"),
        broken=("_broken", "sum"), damaged=("_damaged", "sum"), unreadable=("_unreadable", "sum"),
        legacy=("_legacy", "sum"),
        placeholder=("_placeholder", "sum"), hollowed=("_hollowed", "sum"),
    ).reset_index()
    total = pd.DataFrame([{"directory": "*", "total": len(s), "healthy": int(s["_healthy"].sum()),
                           "marked": int(s["_marked"].sum()), "broken": int(s["_broken"].sum()),
                           "damaged": int(s["_damaged"].sum()), "unreadable": int(s["_unreadable"].sum()),
                           "legacy": int(s["_legacy"].sum()), "placeholder": int(s["_placeholder"].sum()),
                           "hollowed": int(s["_hollowed"].sum())}])
    out = pd.concat([total, grouped], ignore_index=True)
    for col in ("total", "healthy", "marked", "broken", "damaged", "unreadable", "legacy", "placeholder", "hollowed"):
        out[col] = out[col].astype("int64")
    out["pct_damaged"] = (100.0 * out["damaged"] / out["total"].where(out["total"] > 0)).round(1).fillna(0.0)
    out["directory"] = out["directory"].astype(object)
    return out[CENSUS_COLUMNS]


def census_json(table: pd.DataFrame) -> dict:
    """The census as one object: the total's numbers at the top level, directories under ``directories``."""
    total = table[table["directory"] == "*"].iloc[0].to_dict()
    total.pop("directory")
    dirs = table[table["directory"] != "*"].to_dict(orient="records")
    return {**{k: (float(v) if k == "pct_damaged" else int(v)) for k, v in total.items()},
            "directories": [{k: (v if k == "directory" else float(v) if k == "pct_damaged" else int(v))
                             for k, v in d.items()} for d in dirs]}
