"""Issue 21 item 4: placeholder rewrites found with no hint. ``forensics hunt REPO`` with no ``--from``
mines every bulk culprit, keeps the rewrites that put one text in place of many (placeholders, not new
code nor renames), checks them against healthy code written before each culprit in one pass, and lists
exactly the realistic incident's placeholder paths, the silent ones as ``placeholder``, each with the
fixer wave as the culprit that brought it."""
from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from conftest import run_cli
from forensics.analyses.background import PatternSet, measure
from forensics.analyses.hunt import bulk_culprits, hunt_bulk, mine_bulk
from forensics.engine.states import PLACEHOLDER
from forensics.simulate.realistic_content import PLACEHOLDERS


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def real_scan(realistic, cache_dir):
    from forensics import scan

    return scan(realistic["repo"], cache=cache_dir, progress=False)


def test_hunt_without_from_lists_exactly_the_placeholder_paths_with_the_wave_that_brought_them(realistic, cache_dir):
    proc = run_cli("hunt", realistic["repo"], "--csv", "-", "--cache", cache_dir)
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(io.StringIO(proc.stdout), dtype=str, keep_default_na=False)
    assert set(df["path"]) == set(realistic["placeholder_paths"])
    assert set(df.loc[df["state"] == PLACEHOLDER, "path"]) == set(realistic["silent_paths"])
    silent = df[df["state"] == PLACEHOLDER].set_index("path")
    for path, lines in realistic["silent_paths"].items():
        assert int(silent.loc[path, "lines"]) == len(lines)
    wave = realistic["fixer_script"]["wave"]
    assert set(df["culprit"]) == {wave[0]}
    assert set(df["brought_by"]) <= set(wave)
    assert set(df["surfaced_by"]) == set(realistic["roles"]["sed_unmask"])
    # the note says how many culprits were mined and how large the background sample was
    assert re.search(r"mined \d+ of \d+ bulk culprits", proc.stderr) and "stratified sample" in proc.stderr


def test_only_placeholder_rewrites_are_hunted_and_the_wave_ranks_among_the_culprits_mined(realistic, real_scan):
    mined = mine_bulk(real_scan)
    carrying = [h for h in mined.hunted if len(h.specific)]
    assert [h.label for h in carrying] == [realistic["fixer_script"]["wave"][0]]
    spec = carrying[0].specific
    assert set(spec["result"]) == set(PLACEHOLDERS)
    assert (spec["kind"] == "replaced").all() and (spec["sources"] >= 2).all() and (spec["background_lines"] == 0).all()
    labels = [label for label, _ in bulk_culprits(real_scan)]
    assert realistic["fixer_script"]["wave"][0] in labels[:len(mined.hunted)]
    assert mined.background["versions"] <= mined.background["sample"] <= mined.background["candidates"]
    table = hunt_bulk(real_scan, mined)
    assert set(table["path"]) == set(realistic["placeholder_paths"])


def _naive_counts(texts: list[str], patterns: list[str]) -> dict[str, int]:
    """What the background used to do: every pattern over every non-blank line, in Python."""
    out = {}
    for p in patterns:
        rx = re.compile(p, re.MULTILINE)
        out[p] = sum(1 for t in texts for ln in t.splitlines() if ln.strip() and rx.search(ln))
    return out


def test_one_pass_background_counts_the_same_lines_as_each_pattern_over_each_line(realistic, real_scan):
    patterns = [r"^\s*pass\s*$", r"(?:^|\W)self(?:$|\W)", r"^\s*#", r"(?:^|[^\\'\"])\"formatted_string\"(?:$|[^'\"\w])",
                r"\[item for item in \[\]\]", r"^\s*def test_", r"\):$", r"f\"", r"^\s*$"]
    when = real_scan.commits.set_index("sha")["committed_at"]
    first = min(when[s] for s in realistic["fixer_script"]["wave"])
    texts: list[str] = []

    def read(blobs):
        got = real_scan.read_blobs(blobs)
        texts.extend(d.decode("utf-8", "replace") for b in blobs if (d := got.get(b)) is not None)
        return got

    bg = measure(real_scan, [(first, patterns)], budget_seconds=1e9, read=read, max_versions=400)[0]
    assert bg.versions == len(texts) == bg.sample == 400 < bg.candidates
    assert bg.counts == _naive_counts(texts, patterns)
    assert bg.lines == sum(1 for t in texts for ln in t.splitlines() if ln.strip())


def test_a_pattern_the_linear_engine_refuses_is_left_out_not_fatal():
    ps = PatternSet([r"(?<=a)b", r"^\s*x"])
    assert ps.refused == [r"(?<=a)b"] and ps.line_counts("x\n  x\ny\n") == {0: 2}
