"""The one definition of a version's states, of "damaged", of "unreadable", and of the event kinds.

Every module that asks "is this damaged?" imports the answer from here. ``unreadable`` (a missing or
unreadable object) is never damaged and never healthy: it is counted apart; so is ``legacy`` (code born in
an older or newer dialect than the running interpreter's), unless a scan is ``strict``.
"""
from __future__ import annotations

HEALTHY = "healthy"
MARKED = "marked"                # marker lines > 0, compiles
BROKEN = "broken"                # does not compile, no markers
MARKED_BROKEN = "marked+broken"
PLACEHOLDER = "placeholder"      # compiles, no marker, carries a mined placeholder signature (when hunted)
HOLLOWED = "hollowed"            # compiles, no marker, but lost most of its code in a commit that did the same
                                 # to many files alike, and has not got it back (forensics.engine.hollowing)
UNREADABLE = "unreadable"        # the object could not be read: neither healthy nor damaged
LEGACY = "legacy"                # does not compile only as Python 2 / newer-Python code, in a lineage that
                                 # never compiled here (forensics.engine.legacy): reported apart, not damage

STATES: tuple[str, ...] = (HEALTHY, MARKED, BROKEN, MARKED_BROKEN)
DAMAGED_STATES: frozenset[str] = frozenset({MARKED, BROKEN, MARKED_BROKEN, PLACEHOLDER, HOLLOWED})
MARKED_STATES: frozenset[str] = frozenset({MARKED, MARKED_BROKEN})
BROKEN_STATES: frozenset[str] = frozenset({BROKEN, MARKED_BROKEN})

# Event kinds (CONTRACT): what a culprit damaged, and what it healed.
# ``placeholder`` (a version became placeholder) and ``placeholder_cleared`` (it became healthy) occur
# only when placeholder signatures are hunted; they are not in EVENT_KINDS (the timeline's columns).
PLACEHOLDER_EVENTS: tuple[str, ...] = ("placeholder", "placeholder_cleared")
# ``hollowed`` (a version became hollowed) is a damaging event; its repair is ``healed`` (the code came back).
DAMAGING_EVENTS: tuple[str, ...] = ("broke", "marked", "added_damaged", "placeholder", "hollowed")
HEALING_EVENTS: tuple[str, ...] = ("healed", "unmarked", "placeholder_cleared")
EVENT_KINDS: tuple[str, ...] = ("broke", "healed", "marked", "unmarked", "added_damaged", "deleted_damaged")


def is_damaged(state: object) -> bool:
    """True for any state but ``healthy`` and ``unreadable`` (and no state at all)."""
    return state in DAMAGED_STATES


def is_readable(state: object) -> bool:
    """A known state whose object was read (``unreadable`` and missing are not)."""
    return isinstance(state, str) and state != UNREADABLE
