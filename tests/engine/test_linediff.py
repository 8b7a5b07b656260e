"""The line diff behind signatures is bounded on any file and changes nothing on normal ones: aligned on
unique lines (patience style) instead of difflib, the realistic fixer wave gives the same signature
table; a rewrite inside a file far past the bound is found as it is in a small one; opcodes always
rebuild the new side; a string of backslashes is generalised without backtracking."""
from __future__ import annotations

import difflib
import random

import pytest

from forensics.engine import rewrites
from forensics.engine.linediff import line_opcodes
from forensics.engine.rewrites import _general, aligned_rewrites, signature_rows


@pytest.fixture(scope="module")
def wave_pairs(realistic):
    from forensics import scan

    result = scan(realistic["repo"], cache=False, progress=False)
    ch = result.changes
    ch = ch[ch["sha"].isin(realistic["fixer_script"]["wave"]) & ~ch["is_backup"] & ch["kind"].isin(["M", "R"])]
    blobs = result.read_blobs(sorted(set(ch["old_blob"]) | set(ch["new_blob"]) - {""}))
    return [(r.path, blobs.get(r.old_blob), blobs.get(r.new_blob)) for r in ch.itertuples(index=False)]


def test_anchored_alignment_gives_the_fixer_waves_signatures_exactly(wave_pairs, monkeypatch):
    exact = signature_rows(wave_pairs)
    monkeypatch.setattr(rewrites, "line_opcodes", lambda a, b: line_opcodes(a, b, exact_cells=0))
    stats: dict = {}
    anchored = signature_rows(wave_pairs, stats=stats)
    key = lambda r: (r["kind"], r["signature"])  # noqa: E731
    assert sorted(anchored, key=key) == sorted(exact, key=key)
    assert stats["diff_bounded_files"] == len(wave_pairs) > 0


def _module(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"    value_{k} = compute({rng.randint(0, 9)}, f\"item {{k}}\")" if k % 3 else f"def step_{k}(x):"
            for k in range(n)]


def test_a_rewrite_in_a_huge_file_is_found_as_in_a_small_one():
    small, huge = _module(40, 1), _module(30_000, 1)
    def rewritten(lines):
        return [ln.replace('f"item {k}"', '"formatted_string"') if i % 97 == 5 else ln for i, ln in enumerate(lines)]
    got_small, bounded_small = aligned_rewrites("\n".join(small).encode(), "\n".join(rewritten(small)).encode())
    got_huge, bounded_huge = aligned_rewrites("\n".join(huge).encode(), "\n".join(rewritten(huge)).encode())
    assert not bounded_small and bounded_huge
    assert {r.signature for r in got_small} == {r.signature for r in got_huge} == {"'f\"...\"' -> '\"formatted_string\"'"}
    assert len(got_huge) == sum(1 for i in range(30_000) if i % 97 == 5 and i % 3)


@pytest.mark.parametrize("seed", range(6))
def test_opcodes_always_rebuild_the_new_side(seed):
    rng = random.Random(seed)
    a = [f"line {rng.randint(0, 60)}" for _ in range(rng.randint(200, 900))]
    b = [x for x in a if rng.random() > 0.1]
    for _ in range(80):
        b.insert(rng.randint(0, len(b)), f"new {rng.randint(0, 30)}")
    for cells in (0, 10_000, 10**9):
        ops = line_opcodes(a, b, exact_cells=cells).opcodes
        rebuilt = []
        assert ops[0][1] == ops[0][3] == 0 and ops[-1][2] == len(a) and ops[-1][4] == len(b)
        for tag, i1, i2, j1, j2 in ops:
            if tag == "equal":
                assert a[i1:i2] == b[j1:j2]
            rebuilt += b[j1:j2]
        assert rebuilt == b
    assert line_opcodes(a, b, exact_cells=10**9).opcodes == difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def test_a_run_of_backslashes_in_an_unclosed_string_is_left_as_it_is():
    line = 'x = "' + "\\" * 64 + " tail"
    assert _general(line) == line
    assert _general('s = "a\\\\" + f"b{1}"') == 's = "a\\\\" + f"..."'
