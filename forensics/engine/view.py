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

from forensics.engine.evidence_files import alternates_chain
from forensics.engine.git import RENAME_LIMIT, Repository
from forensics.engine.limits import MAX_VERSION_BYTES


def view_of(repo: Repository, git_warnings: list[str], corrupt_commits: list[str]) -> dict[str, Any]:
    """The ``history_view`` entry of a scan's manifest: ``shallow_boundary`` (commits the shallow
    list names), ``grafts_ignored`` (an ``info/grafts`` file was present and not used),
    ``git_warnings`` (what git warned while walking: a rename search cut short), ``corrupt_commits``
    (commit objects whose bytes do not match their id: their text is not used), ``corrupt_objects``
    (loose objects of any kind whose bytes do not match their id), ``alternates`` (object directories
    the repository borrows from through ``objects/info/alternates``, a clone made with ``--shared``)."""
    return {
        "alternates": alternates_chain(os.path.join(repo.common_dir, "objects")),
        "shallow_boundary": len(repo.shallow_boundary()),
        "grafts_ignored": os.path.exists(os.path.join(repo.common_dir, "info", "grafts")),
        "git_warnings": list(git_warnings),
        "corrupt_commits": list(corrupt_commits),
        "corrupt_objects": repo.corrupt_loose_objects(),
    }


def view_notes(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, one line) per thing that changed or bounds the view of history this scan had (empty
    when none); kinds: ``shallow``, ``grafts``, ``renames``, ``corrupt``, ``alternates``, ``too_large``,
    ``unreadable``."""
    view = manifest.get("history_view") or {}
    notes = []
    if manifest.get("shallow"):
        n = view.get("shallow_boundary", 0)
        notes.append(("shallow", f"shallow clone: history stops at {n} boundary commit{'s' * (n != 1)} (the repository's "
                     "shallow file); nothing before them is seen, their files count as added"))
    borrowed = view.get("alternates") or []
    if borrowed:
        notes.append(("alternates", f"the repository borrows objects from {len(borrowed)} other object "
                      f"store{'s' * (len(borrowed) != 1)} (objects/info/alternates, as `git clone --shared` makes): "
                      f"what they hold is read as this history: {', '.join(borrowed[:3])}"))
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
    large = manifest.get("too_large_objects") or []
    if large:
        now = manifest.get("too_large_now", 0)
        notes.append(("too_large", f"{len(large)} object{'s' * (len(large) != 1)} too large to judge (over "
                      f"{MAX_VERSION_BYTES >> 20} MiB), neither healthy nor damaged"
                      + (f"; {now} path{'s hold' if now != 1 else ' holds'} one in scope now: look at "
                         f"{'them' if now != 1 else 'it'} by hand" if now else "")
                      + f": {', '.join(large[:3])}"))
    unreadable = [b for b in manifest.get("unreadable_objects") or [] if b not in set(large)]
    if unreadable:
        notes.append(("unreadable", f"{len(unreadable)} object{'s' * (len(unreadable) != 1)} unreadable (missing, or bytes "
                     f"that do not match their id), neither healthy nor damaged: {', '.join(unreadable[:3])}"))
    return notes
