"""The drill-down of an investigation, step by step, all from the scan result: an incident -> its
culprits -> a culprit's files (touched, damaged, already damaged, healed, masked) -> a file's chain
-> the change that damaged it (a unified diff of the blob before and after) -> the last good version
beside the current one (what a restore would throw away). Blob contents come through the scan
result's blob reader; nothing here runs git.

>>> story = build_story(result)                                   # doctest: +SKIP
>>> incident_culprits(story.incidents, story.culprits, 1)        # doctest: +SKIP
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

import pandas as pd

from forensics.analyses.culprits import culprit_commits
from forensics.engine.states import DAMAGED_STATES, DAMAGING_EVENTS, HEALING_EVENTS

INCIDENT_CULPRIT_COLUMNS = ["role", "kind", "sha", "committed_at", "author", "subject", "paths_touched",
                            "paths_damaged", "already_damaged", "paths_masked", "paths_healed", "paths_still_damaged",
                            "last_sha"]
CULPRIT_FILE_COLUMNS = ["path", "verdict", "events", "state_before", "state_after", "state_now", "sha",
                        "committed_at", "old_path", "old_blob", "new_blob"]
VERDICTS = ("damaged", "masked", "already damaged", "healed", "touched")
MAX_DIFF_LINES = 400          # a diff longer than this is cut (the reader gets the command for the rest)


def _sha_list(value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return str(value).split() if isinstance(value, str) and value else []


def incident_culprits(result, incidents: pd.DataFrame, culprits: pd.DataFrame, incident: int | str) -> pd.DataFrame:
    """The commits and waves behind one incident, in the incident table's order: its culprits, then
    its root causes and maskers that are not culprits themselves. A commit of a wave is shown as its
    wave (once); a commit that is in no culprit row is a ``commit`` of its own. ``role`` is
    ``culprit``, ``root cause`` or ``masker``; the counts come from the culprits table (empty for
    a lone commit, and ``paths_masked`` where the culprits table does not count it). Columns:
    INCIDENT_CULPRIT_COLUMNS."""
    row = incidents[incidents["incident"].astype(str) == str(incident).lstrip("#")]
    if not len(row):
        from forensics.errors import ForensicsError

        raise ForensicsError(f"no incident {incident} (known: {', '.join(map(str, incidents['incident'])) or 'none'})")
    r = row.iloc[0]
    owner: dict[str, int] = {}
    for i, c in enumerate(culprits.to_dict("records")):
        for sha in (culprit_commits(result, c) if c["kind"] in ("wave", "churn") else [c["sha"]]):
            owner.setdefault(sha, i)
    meta = result.commits.set_index("sha")
    rows, seen = [], set()
    for role, col in (("culprit", "culprits"), ("root cause", "root_causes"), ("masker", "maskers")):
        for sha in _sha_list(r.get(col, "")):
            key = owner.get(sha, sha)
            if key in seen:
                continue
            seen.add(key)
            if sha in owner:
                c = culprits.iloc[owner[sha]]
                rows.append({"role": role, **{k: c.get(k) for k in INCIDENT_CULPRIT_COLUMNS if k != "role"}})
            elif sha in meta.index:
                m = meta.loc[sha]
                rows.append({"role": role, "kind": "commit", "sha": sha, "committed_at": m["committed_at"],
                             "author": m["author"], "subject": m["subject"], "last_sha": sha})
    out = pd.DataFrame(rows, columns=INCIDENT_CULPRIT_COLUMNS)
    for col in ("paths_touched", "paths_damaged", "already_damaged", "paths_masked", "paths_healed",
                "paths_still_damaged"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Int64")
    return out


def culprit_files(result, culprit: pd.Series | dict) -> pd.DataFrame:
    """Every path a culprit (one commit, or a wave's commits) changed, with what it did to it:
    ``verdict`` is ``damaged`` (a broke, marked or added_damaged event), ``masked`` (broken to
    compiling only because code was commented out: healed and marked together), ``already
    damaged`` (damaged before, no event), ``healed`` or ``touched``. ``state_before`` is the
    path's state before the culprit's first change to it, ``state_after`` after its last;
    ``state_now`` at the scanned revision (``gone`` when the path is not there). Damaged first,
    then by path. Columns: CULPRIT_FILE_COLUMNS."""
    shas = culprit_commits(result, dict(culprit))
    ch = result.changes[result.changes["sha"].isin(set(shas)) & ~result.changes["is_backup"]].sort_values("order")
    if not len(ch):
        return pd.DataFrame(columns=CULPRIT_FILE_COLUMNS)
    state = dict(zip(result.versions["blob"], result.versions["state"]))
    ev = result.events[result.events["sha"].isin(set(shas))]
    kinds = ev.assign(event=ev["event"].astype(str)).groupby("path")["event"].agg(lambda e: " ".join(dict.fromkeys(e)))
    now = dict(zip(result.subjects["path"], result.subjects["state"]))
    at = result.commits.set_index("sha")["committed_at"]
    first = ch.drop_duplicates("path", keep="first")
    last = {p: (sha, blob) for p, sha, blob in ch.drop_duplicates("path", keep="last")[["path", "sha", "new_blob"]]
            .itertuples(index=False, name=None)}
    kinds = kinds.to_dict()
    at = at.to_dict()
    rows = []
    for f in first.itertuples(index=False):
        last_sha, last_blob = last[f.path]
        events = kinds.get(f.path, "")
        before = state.get(f.old_blob, "") if f.old_blob else "absent"
        after = state.get(last_blob, "") if last_blob else "deleted"
        rows.append({"path": f.path, "verdict": _verdict(events.split(), before), "events": events,
                     "state_before": before, "state_after": after, "state_now": now.get(f.path, "gone"),
                     "sha": last_sha, "committed_at": at.get(last_sha), "old_path": f.old_path or "",
                     "old_blob": f.old_blob or "", "new_blob": last_blob or ""})
    out = pd.DataFrame(rows, columns=CULPRIT_FILE_COLUMNS)
    out["_v"] = out["verdict"].map({v: i for i, v in enumerate(VERDICTS)})
    return out.sort_values(["_v", "path"], kind="stable").drop(columns="_v").reset_index(drop=True)


def _verdict(events: list[str], before: str) -> str:
    if "healed" in events and "marked" in events:
        return "masked"
    if any(e in DAMAGING_EVENTS for e in events):
        return "damaged"
    if before in DAMAGED_STATES:
        return "already damaged"
    if any(e in HEALING_EVENTS for e in events):
        return "healed"
    return "touched"


@dataclass(frozen=True)
class Change:
    """One path's change in one commit: the commit (sha, when, who, subject), the event it caused,
    and the blob before and after (``old_blob`` empty for a new path)."""

    sha: str
    committed_at: pd.Timestamp
    author: str
    subject: str
    event: str
    path: str
    old_path: str
    old_blob: str
    new_blob: str


def damaging_change(result, path: str) -> Change | None:
    """The change that damaged ``path``: the root cause of its damage chain (the first event since
    its last healthy version, renames followed) when it is damaged at the revision; for a path
    healthy again, its latest damaging event (a broke, marked or added_damaged). None when the path
    was never damaged in the scanned history."""
    chains = result.chains()
    hit = chains[chains["path"] == path]
    if not len(hit):
        ev = result.events
        ev = ev[(ev["path"] == path) & ev["event"].astype(str).isin(DAMAGING_EVENTS)]
        if not len(ev):
            return None
        e = ev.sort_values("order").iloc[-1]
        commit = result.commits.set_index("sha").loc[e["sha"]]
        return Change(str(e["sha"]), commit["committed_at"], str(commit["author"]), str(commit["subject"]),
                      str(e["event"]), path, str(e["old_path"] or ""), str(e["old_blob"] or ""),
                      str(e["new_blob"] or ""))
    c = hit.iloc[0]
    sha, at_path = c["root_cause"], c["root_cause_path"] or path
    ev = result.events[(result.events["sha"] == sha) & (result.events["path"] == at_path)]
    commit = result.commits.set_index("sha").loc[sha]
    if len(ev):
        e = ev.iloc[0]
        return Change(sha, commit["committed_at"], str(commit["author"]), str(commit["subject"]), str(e["event"]),
                      at_path, str(e["old_path"] or ""), str(e["old_blob"] or ""), str(e["new_blob"] or ""))
    return Change(sha, commit["committed_at"], str(commit["author"]), str(commit["subject"]),
                  str(c["root_cause_event"]), at_path, "", "", "")


def unified_diff(before: bytes | None, after: bytes | None, from_name: str, to_name: str,
                 max_lines: int = MAX_DIFF_LINES) -> tuple[str, bool]:
    """(the unified diff of two versions as text, whether it was cut at ``max_lines``). Bytes are
    decoded as UTF-8 with replacement (a diff is for reading; the blobs stay evidence)."""
    a = (before or b"").decode("utf-8", "replace").splitlines(keepends=True)
    b = (after or b"").decode("utf-8", "replace").splitlines(keepends=True)
    lines = list(difflib.unified_diff(a, b, fromfile=from_name, tofile=to_name, n=3))
    lines = [ln if ln.endswith("\n") else ln + "\n" for ln in lines]
    return "".join(lines[:max_lines]), len(lines) > max_lines


@dataclass(frozen=True)
class Diff:
    """A change shown as a diff: ``text`` (unified diff), ``cut`` (longer than shown), ``added`` and
    ``removed`` line counts over the whole diff."""

    title: str
    before_name: str
    after_name: str
    text: str
    cut: bool
    added: int
    removed: int


def blob_diff(result, old_blob: str, new_blob: str, before_name: str, after_name: str, title: str) -> Diff:
    """The diff between two blobs, read through the scan result's blob reader."""
    blobs = result.read_blobs([b for b in (old_blob, new_blob) if b])
    before, after = blobs.get(old_blob) if old_blob else b"", blobs.get(new_blob) if new_blob else b""
    full, _ = unified_diff(before, after, before_name, after_name, max_lines=10 ** 9)
    body = [ln for ln in full.splitlines() if not ln.startswith(("---", "+++"))]
    text, cut = unified_diff(before, after, before_name, after_name)
    return Diff(title, before_name, after_name, text, cut, sum(ln.startswith("+") for ln in body),
                sum(ln.startswith("-") for ln in body))


def change_diff(result, change: Change) -> Diff:
    """The damaging change as a diff: the path's version before the commit and after it."""
    old = change.old_path or change.path
    return blob_diff(result, change.old_blob, change.new_blob, f"a/{old} ({change.sha[:12]}^)",
                     f"b/{change.path} ({change.sha[:12]})", f"{change.event} in {change.sha[:12]}")


@dataclass(frozen=True)
class Restoration:
    """The last good version beside the current one: ``last_good_sha``/``last_good_path`` (empty when
    none exists), ``diff`` from the current version to the last good one (its ``-`` lines are what a
    restore throws away), and ``edits`` (the later commits whose work would be lost: path, sha,
    committed_at, author, subject, paths_changed, is_bulk)."""

    path: str
    last_good_sha: str
    last_good_path: str
    last_good_blob: str
    current_blob: str
    diff: Diff | None
    edits: pd.DataFrame


def last_good_beside_current(result, path: str) -> Restoration | None:
    """What restoring ``path`` to its last good version would change (None when it is not damaged)."""
    from forensics.analyses.restore_list import lost_edits

    chains = result.chains()
    hit = chains[chains["path"] == path]
    if not len(hit):
        return None
    c = hit.iloc[0]
    edits = lost_edits(result, pd.DataFrame({"path": [path]}))
    if not c["last_good_blob"]:
        return Restoration(path, "", "", "", c["blob"], None, edits)
    diff = blob_diff(result, c["blob"], c["last_good_blob"], f"now/{path}",
                     f"last good/{c['last_good_path']} ({c['last_good_sha'][:12]})", "current -> last good")
    return Restoration(path, c["last_good_sha"], c["last_good_path"], c["last_good_blob"], c["blob"], diff, edits)


__all__ = ["CULPRIT_FILE_COLUMNS", "INCIDENT_CULPRIT_COLUMNS", "Change", "Diff", "Restoration", "blob_diff",
           "change_diff", "culprit_files", "damaging_change", "incident_culprits", "last_good_beside_current",
           "unified_diff"]
