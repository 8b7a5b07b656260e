"""The placeholder state: a post-pass over a scan that re-states versions carrying mined placeholder
signatures, so every analysis (census, events, chains, blast radius, restore list) sees them.

A version is ``placeholder`` when it compiles, has no marker, and one of its lines matches a
placeholder pattern (a regex mined by :mod:`forensics.analyses.hunt`) without matching a marker
pattern: a line that only *looks* like a marker (a docstring quoting one) never counts. Only
versions written at or after the culprit (``since``) and the versions at the revision are looked
at: a placeholder cannot predate the rewrite that brought it, and the patterns were chosen because
healthy lines before it (almost) never carry them. Judgments are cached per (blob, pattern set).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from typing import Iterable

import pandas as pd

from forensics.engine.events import derive_events
from forensics.engine.states import HEALTHY, PLACEHOLDER

_MEMO: dict[tuple[str, str], int] = {}   # (pattern-set key, blob) -> placeholder lines


def patterns_key(patterns: Iterable[str]) -> str:
    """A short stable id of a set of placeholder patterns."""
    return hashlib.sha256(json.dumps(sorted(set(patterns))).encode()).hexdigest()[:16]


def placeholder_lines(text: str, patterns: list[re.Pattern[str]], markers: Iterable[re.Pattern[str]]) -> list[int]:
    """1-based numbers of the lines that match a placeholder pattern and no marker pattern."""
    if not any(p.search(text) for p in patterns):
        return []
    markers = list(markers)
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        if any(p.search(line) for p in patterns) and not any(m.search(line) for m in markers):
            out.append(i)
    return out


def compile_patterns(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    from forensics.engine.health import compile_markers

    pats = list(dict.fromkeys(patterns))
    return list(compile_markers(pats)) if pats else []


def with_placeholders(result, patterns: list[str], since: pd.Timestamp | None = None):
    """A copy of ``result`` (a ScanResult) whose healthy versions carrying ``patterns`` on non-marker
    lines are ``placeholder``; events, tree and chains recomputed from them. ``versions`` gains
    ``placeholder_lines``; ``manifest`` records ``placeholder_patterns`` and ``placeholder_versions``.
    ``since``: only versions written by commits at or after this time (UTC), plus those at the
    revision, are looked at (default: all)."""
    from forensics.engine.scan import _with_health

    compiled = compile_patterns(patterns)
    key = patterns_key(patterns)
    versions = result.versions.copy()
    healthy = set(versions.loc[versions["state"] == HEALTHY, "blob"])
    ch = result.changes[result.changes["new_blob"] != ""]
    if since is not None:
        when = result.commits.set_index("sha")["committed_at"]
        ch = ch[ch["sha"].map(when) >= since]
    wanted = (set(ch["new_blob"]) | set(result.tree["blob"])) & healthy
    counts = {b: _MEMO[(key, b)] for b in wanted if (key, b) in _MEMO}
    todo = sorted(wanted - set(counts))
    markers = result.settings.rules.compiled_markers
    for i in range(0, len(todo), 500):
        for blob, data in result.read_blobs(todo[i:i + 500]).items():
            n = len(placeholder_lines(data.decode("utf-8", "replace"), compiled, markers)) if data is not None else 0
            _MEMO[(key, blob)] = counts[blob] = n
    versions["placeholder_lines"] = versions["blob"].map(counts).fillna(0).astype("int64")
    hit = versions["placeholder_lines"] > 0
    versions.loc[hit, "state"] = PLACEHOLDER
    events = derive_events(result.changes, versions, result.commits)
    tree = _with_health(result.tree[["path", "blob", "mode", "is_backup"]], versions)
    manifest = dict(result.manifest, placeholder_patterns=list(dict.fromkeys(patterns)),
                    placeholder_versions=int(hit.sum()), events=int(len(events)))
    subjects = tree[~tree["is_backup"]]
    from forensics.engine.states import DAMAGED_STATES

    manifest["damaged_now"] = int(subjects["state"].isin(DAMAGED_STATES).sum())
    return replace(result, versions=versions, events=events, tree=tree, manifest=manifest, _chains=None)
