"""What the analysed repository's own files did, or tried to do, to the tool's view of its history.

git reads files the repository's owner can write (README "Hostile repositories"): some are turned off
for every command (``info/grafts``, commit-graph files, replace refs, the rename limit), some cannot be
(a ``shallow`` list cuts history where it says), and some are caught on what is read (objects whose
bytes do not match their id). Whatever changed or could have changed the view is said, one line each,
by every command that scans (:func:`view_notes`), not only ``scan``.
"""
from __future__ import annotations

import os
from typing import Any

from forensics.engine.git import RENAME_LIMIT, Repository


def view_of(repo: Repository, git_warnings: list[str], corrupt_commits: list[str]) -> dict[str, Any]:
    """The ``history_view`` entry of a scan's manifest: ``shallow_boundary`` (commits the shallow
    list names), ``grafts_ignored`` (an ``info/grafts`` file was present and not used),
    ``git_warnings`` (what git warned while walking: a rename search cut short), ``corrupt_commits``
    (commit objects whose bytes do not match their id: their text is not used), ``corrupt_objects``
    (loose objects of any kind whose bytes do not match their id)."""
    return {
        "shallow_boundary": len(repo.shallow_boundary()),
        "grafts_ignored": os.path.exists(os.path.join(repo.common_dir, "info", "grafts")),
        "git_warnings": list(git_warnings),
        "corrupt_commits": list(corrupt_commits),
        "corrupt_objects": repo.corrupt_loose_objects(),
    }


def view_notes(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, one line) per thing that changed or bounds the view of history this scan had (empty
    when none); kinds: ``shallow``, ``grafts``, ``renames``, ``corrupt``, ``unreadable``."""
    view = manifest.get("history_view") or {}
    notes = []
    if manifest.get("shallow"):
        n = view.get("shallow_boundary", 0)
        notes.append(("shallow", f"shallow clone: history stops at {n} boundary commit{'s' * (n != 1)} (the repository's "
                     "shallow file); nothing before them is seen, their files count as added"))
    if view.get("grafts_ignored"):
        notes.append(("grafts", "the repository has an info/grafts file: ignored (every commit's parents are its own)"))
    if any("rename" in w for w in view.get("git_warnings", ())):
        notes.append(("renames", f"git skipped rename detection in some commits (more files than the rename limit, "
                     f"{RENAME_LIMIT}): renames there read as a deletion plus an addition"))
    corrupt = view.get("corrupt_commits") or []
    if corrupt:
        notes.append(("corrupt", f"{len(corrupt)} commit object{'s' * (len(corrupt) != 1)} do not match their id "
                     f"(text not used): {', '.join(corrupt[:3])}"))
    forged = view.get("corrupt_objects") or []
    if forged:
        notes.append(("corrupt", f"{len(forged)} loose object{'s' * (len(forged) != 1)} in the repository do not "
                                 f"match their id (forged or damaged; a tree among them can change which file a "
                                 f"path holds, blobs among them are unreadable): {', '.join(forged[:3])}"))
    unreadable = manifest.get("unreadable_objects") or []
    if unreadable:
        notes.append(("unreadable", f"{len(unreadable)} object{'s' * (len(unreadable) != 1)} unreadable (missing, or bytes "
                     f"that do not match their id), neither healthy nor damaged: {', '.join(unreadable[:3])}"))
    return notes
