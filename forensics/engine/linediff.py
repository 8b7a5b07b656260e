"""A line diff whose cost is bounded on any file.

``difflib.SequenceMatcher`` finds the alignment signature mining wants, but its time grows with the
product of the two sides (a 180 KB file took 53 s). :func:`line_opcodes` gives difflib's own opcodes
while the two sides are small enough (``len(a) * len(b)`` at most :data:`EXACT_CELLS`: every normal
source file), and on larger ones aligns the way patience diff does: common head and tail first, then
the lines that occur exactly once on each side, kept in the longest increasing run of them (time
``n log n``), grown over equal neighbours, and the same again inside each gap between them; a gap
still too large for difflib and without unique lines left is one ``replace`` block (its lines are
then paired in order by the caller, at a bounded look-ahead). ``Alignment.bounded`` says whether
that happened, so callers can say so.
"""
from __future__ import annotations

import bisect
import difflib
from collections import Counter
from dataclasses import dataclass

EXACT_CELLS = 4_000_000   # difflib while len(a) * len(b) stays at or below this (2,000 x 2,000 lines)


@dataclass
class Alignment:
    """``opcodes`` as ``SequenceMatcher.get_opcodes`` gives them; ``bounded`` when some part of the
    two sides was too large for difflib and was aligned on unique lines (or paired in order)."""

    opcodes: list[tuple[str, int, int, int, int]]
    bounded: bool


def line_opcodes(a: list[str], b: list[str], exact_cells: int = EXACT_CELLS) -> Alignment:
    """Opcodes turning ``a`` into ``b`` (see the module docstring)."""
    if len(a) * len(b) <= exact_cells:
        return Alignment(difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes(), False)
    matches: list[tuple[int, int, int]] = []
    _match(a, b, 0, len(a), 0, len(b), matches, exact_cells)
    return Alignment(_opcodes(matches, len(a), len(b)), True)


def _match(a: list[str], b: list[str], alo: int, ahi: int, blo: int, bhi: int,
           out: list[tuple[int, int, int]], exact_cells: int) -> None:
    """Append the matching blocks (i, j, size) of ``a[alo:ahi]`` and ``b[blo:bhi]``, in order."""
    head = 0
    while alo + head < ahi and blo + head < bhi and a[alo + head] == b[blo + head]:
        head += 1
    if head:
        out.append((alo, blo, head))
        alo, blo = alo + head, blo + head
    tail = 0
    while ahi - tail > alo and bhi - tail > blo and a[ahi - 1 - tail] == b[bhi - 1 - tail]:
        tail += 1
    ahi_in, bhi_in = ahi - tail, bhi - tail
    if alo < ahi_in and blo < bhi_in:
        if (ahi_in - alo) * (bhi_in - blo) <= exact_cells:
            sm = difflib.SequenceMatcher(None, a[alo:ahi_in], b[blo:bhi_in], autojunk=False)
            out.extend((alo + i, blo + j, n) for i, j, n in sm.get_matching_blocks() if n)
        else:
            anchors = _unique_anchors(a, b, alo, ahi_in, blo, bhi_in)
            i0, j0 = alo, blo
            for i, j in anchors:
                if i < i0 or j < j0:
                    continue
                _match(a, b, i0, i, j0, j, out, exact_cells)
                n = 1
                while i + n < ahi_in and j + n < bhi_in and a[i + n] == b[j + n]:
                    n += 1
                out.append((i, j, n))
                i0, j0 = i + n, j + n
            if anchors:
                _match(a, b, i0, ahi_in, j0, bhi_in, out, exact_cells)
    if tail:
        out.append((ahi_in, bhi_in, tail))


def _unique_anchors(a: list[str], b: list[str], alo: int, ahi: int, blo: int, bhi: int) -> list[tuple[int, int]]:
    """(i, j) of lines occurring exactly once in ``a[alo:ahi]`` and once in ``b[blo:bhi]``, the
    longest run of them in the same order on both sides (patience sorting)."""
    ca, cb = Counter(a[alo:ahi]), Counter(b[blo:bhi])
    where_b = {b[j]: j for j in range(blo, bhi) if cb[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(alo, ahi) if ca[a[i]] == 1 and a[i] in where_b]
    # longest increasing subsequence of the j's, in O(n log n)
    tails: list[int] = []          # smallest j ending a run of each length
    tail_at: list[int] = []        # index into pairs of that end
    back: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[pos] = j
            tail_at[pos] = k
        back[k] = tail_at[pos - 1] if pos else -1
    run: list[tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        run.append(pairs[k])
        k = back[k]
    return run[::-1]


def _opcodes(matches: list[tuple[int, int, int]], la: int, lb: int) -> list[tuple[str, int, int, int, int]]:
    """SequenceMatcher-style opcodes from ordered matching blocks."""
    ops: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    for ai, bj, size in [*matches, (la, lb, 0)]:
        tag = "replace" if i < ai and j < bj else "delete" if i < ai else "insert" if j < bj else ""
        if tag:
            ops.append((tag, i, ai, j, bj))
        if size:
            if ops and ops[-1][0] == "equal" and ops[-1][2] == ai and ops[-1][4] == bj:
                ops[-1] = ("equal", ops[-1][1], ai + size, ops[-1][3], bj + size)
            else:
                ops.append(("equal", ai, ai + size, bj, bj + size))
        i, j = ai + size, bj + size
    return ops
