"""A terminal gets the top of a table and one line saying how many rows more and how to see them all;
``--all`` prints them all; a CSV, JSON or ``--out`` file and a pipe always get every row (only an
explicit ``--head`` shortens them)."""
from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from conftest import run_cli, run_on_terminal
from forensics.report.tables import TERMINAL_ROWS


def _on_a_terminal(*args: str) -> list[str]:
    """The lines ``forensics ARGS`` writes to a 200x50 pseudo-terminal."""
    return [ln for ln in run_on_terminal(*args).split("\n") if ln.strip()]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def all_events(realistic, cache_dir) -> pd.DataFrame:
    proc = run_cli("events", realistic["repo"], "--csv", "-", "--cache", cache_dir, "--quiet")
    assert proc.returncode == 0, proc.stderr
    return pd.read_csv(io.StringIO(proc.stdout), dtype=str, keep_default_na=False)


def test_a_terminal_shows_the_top_rows_and_says_how_many_more_and_how_to_see_all(realistic, cache_dir, all_events):
    assert len(all_events) == len(realistic["events"]) > TERMINAL_ROWS
    lines = _on_a_terminal("events", realistic["repo"], "--cache", cache_dir, "--quiet")
    header, rows, last = lines[0], lines[1:-1], lines[-1]
    assert "path" in header and len(rows) == TERMINAL_ROWS
    more = len(all_events) - TERMINAL_ROWS
    assert last.startswith(f"… {more} more rows ({TERMINAL_ROWS} of {len(all_events)} shown")
    assert "--all" in last and "--csv" in last
    # the rows shown are the first of the command's order
    assert [r.split()[0] for r in rows] == [s[:12] for s in all_events["sha"].head(TERMINAL_ROWS)]


def test_all_prints_every_row_and_head_keeps_its_count(realistic, cache_dir, all_events):
    lines = _on_a_terminal("events", realistic["repo"], "--cache", cache_dir, "--quiet", "--all")
    assert len(lines) == 1 + len(all_events) and "more rows" not in lines[-1]
    lines = _on_a_terminal("events", realistic["repo"], "--cache", cache_dir, "--quiet", "--head", "5")
    assert len(lines) == 1 + 5 + 1 and lines[-1].startswith(f"… {len(all_events) - 5} more rows")


def test_files_and_pipes_hold_every_row(realistic, cache_dir, all_events, tmp_path):
    out = tmp_path / "events.json"
    proc = run_cli("events", realistic["repo"], "--format", "json", "--out", str(out), "--cache", cache_dir, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(out.read_text())) == len(all_events)
    proc = run_cli("events", realistic["repo"], "--format", "json", "--head", "3", "--cache", cache_dir, "--quiet")
    assert [r["sha"] for r in json.loads(proc.stdout)] == list(all_events["sha"].head(3))
    proc = run_cli("events", realistic["repo"], "--cache", cache_dir, "--quiet")     # a pipe, not a terminal
    assert proc.returncode == 0 and len(proc.stdout.strip().splitlines()) == 1 + len(all_events)
