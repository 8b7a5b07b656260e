"""The story model: the typed records every view of a history's damage renders (the summary, the
report header, the incidents and culprits tables, the timeline annotations, ``report.json``).

Built once by :func:`forensics.analyses.incidents.build_story`; nothing here computes. Lists stay
tuples of records until a CSV or a terminal flattens them (``flat_shas``, ``flat_counts``), so no
view parses another view's text. Counts say what is still damaged first, all-time second.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Actor:
    """One commit in a role (root cause, masker, surfacer, healer, cleared suspect, top culprit).

    ``still``: paths damaged at the revision it acted on (root cause: whose damage it began; masker:
    it masked; surfacer: it unmasked and left damaged; healer: 0); ``all_time``: every path it acted on
    in that role. ``wave``/``wave_last``/``wave_commits``/``wave_minutes``: the wave it belongs to, as
    context (empty when none)."""

    sha: str
    subject: str
    author: str
    committed_at: pd.Timestamp | None
    still: int
    all_time: int
    wave: str = ""
    wave_last: str = ""
    wave_commits: int = 0
    wave_minutes: float = 0.0
    known: bool = True          # False: a commit before the scanned history


@dataclass(frozen=True)
class Incident:
    """A burst of damage and what followed it. ``first_at``/``last_at``: when the damage that began
    its episodes was done (one time when equal: ``at``); ``followed_until``: the last masking,
    surfacing or healing that followed. Actor tuples are ranked, most still damaged first."""

    number: int
    first_at: pd.Timestamp | None
    last_at: pd.Timestamp | None
    followed_until: pd.Timestamp | None
    paths_damaged: int
    paths_still_damaged: int
    marked_now: int
    broken_now: int
    tests_lost: int
    root_causes: tuple[Actor, ...]
    maskers: tuple[Actor, ...]
    surfacers: tuple[Actor, ...]
    healers: tuple[Actor, ...]
    cleared: tuple[Actor, ...]
    damagers: tuple[Actor, ...]      # every commit that damaged its paths (root causes and the rest)

    @property
    def one_time(self) -> bool:
        return self.first_at is not None and self.first_at == self.last_at


@dataclass(frozen=True)
class Now:
    """The state at the revision: paths in scope, damaged (marked, not compiling, hollowed), tests lost."""

    paths_in_scope: int
    damaged: int
    marked: int
    broken: int
    tests_lost: int
    hollowed: int = 0


def flat_shas(actors: tuple[Actor, ...]) -> str:
    """The CSV form of an actor list: full SHAs separated by spaces, in rank order."""
    return " ".join(a.sha for a in actors)


def flat_counts(actors: tuple[Actor, ...], field: str = "all_time") -> str:
    return " ".join(str(getattr(a, field)) for a in actors)


__all__ = ["Actor", "Incident", "Now", "flat_shas", "flat_counts"]
