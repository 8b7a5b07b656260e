"""Tables for people: whole and escaped in notebooks and the report; fitted to the terminal in the CLI,
with every column kept in the CSV; one path's chain in one call."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import run_cli
from forensics.analyses.restore_list import restore_list
from forensics.engine.tiers import DEFAULT_TIERS
from forensics.report.display import Table, plural, table_html
from forensics.report.results import analyse_root_cause, path_chain


@pytest.fixture(scope="module")
def plan(scanned):
    return restore_list(scanned, DEFAULT_TIERS)


def test_a_table_shows_every_row_without_an_index_and_commands_whole(plan):
    html = Table(plan[["path", "priority", "last_good_sha", "restore_command"]])._repr_html_()
    assert html.count("<tr") == len(plan) + 1                 # every row and the header, no cut at 10
    assert f"{len(plan)} rows" in html
    assert "<th" in html and ">0</th>" not in html           # no index column
    for sha in plan["last_good_sha"].dropna().unique():
        if sha:
            assert re.search(f'title="{sha}"[^>]*>{sha[:12]}</td>', html)   # 12 characters, the full SHA on hover
    for command in plan["restore_command"]:
        assert command.replace(">", "&gt;").replace("'", "&#x27;") in html


def test_table_cells_are_text_never_markup():
    df = pd.DataFrame({"subject": ["<img src=x onerror=alert(1)>", "[me](javascript:alert(2))"], "n": [1, 2]})
    html = table_html(df)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "href" not in html.split("<tbody>")[1]


def test_plurals():
    assert plural(1, "wave") == "1 wave" and plural(2, "wave") == "2 waves" and plural(0, "other breaker") == "0 other breakers"


def test_one_call_gives_one_paths_chain_as_the_truth_has_it(scanned, incident):
    rc = analyse_root_cause(scanned)
    for path, truth in list(incident["chains"].items())[:10]:
        chain = rc.chain(path).df
        assert list(chain.columns) == ["event", "state_before", "state_after", "committed_at", "sha", "author",
                                       "subject", "path", "git_show"]
        # a chain shows masking as masking: `healed` and `marked` in one change is `masked` and `marked`
        marked = {(s, p) for s, p, e in truth["events"] if e == "marked"}
        shown = [[s, p, "masked" if e == "healed" and (s, p) in marked else e] for s, p, e in truth["events"]]
        assert [[s, p, e] for s, p, e in zip(chain["sha"], chain["path"], chain["event"])] == shown, path
        assert all(cmd == f"git show --stat {sha}" for cmd, sha in zip(chain["git_show"], chain["sha"]))
        assert chain["subject"].notna().all()


def test_a_whole_chain_follows_every_event_of_a_path(scanned):
    ev = scanned.events
    path = ev["path"].value_counts().index[0]
    whole = path_chain(scanned, path, whole=True)
    assert len(whole) >= (ev["path"] == path).sum()
    assert whole["committed_at"].is_monotonic_increasing


def test_focus_narrows_the_timeline_to_a_directory(scanned):
    rc = analyse_root_cause(scanned)
    view = rc.focused("tests/unit/")
    ev = scanned.events
    in_dir = ev[ev["path"].str.startswith("tests/unit/") | ev["old_path"].fillna("").str.startswith("tests/unit/")]
    assert set(view.timeline["sha"]) == set(in_dir["sha"])
    assert (view.chains["path"].str.startswith("tests/unit/")).all()


@pytest.mark.parametrize("command", ["timeline", "events", "culprits", "restore-list", "blast-radius", "dependents"])
def test_terminal_tables_fit_the_terminal_with_short_shas(incident, command, tmp_path):
    proc = run_cli(command, incident["repo"], "--no-cache", "-q", env={"COLUMNS": "120"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 120, max(lines, key=len)
    assert not re.search(r"\b[0-9a-f]{40}\b", proc.stdout)
    wide = run_cli(command, incident["repo"], "--no-cache", "-q", "--all-columns", env={"COLUMNS": "120"})
    csv = tmp_path / "t.csv"
    run_cli(command, incident["repo"], "--no-cache", "-q", "--csv", str(csv))
    columns = list(pd.read_csv(csv, nrows=1).columns)
    header = wide.stdout.splitlines()[0].split()
    assert header == columns                                   # --all-columns: every column of the CSV
    if "sha" in columns:                                       # the CSV keeps full SHAs
        assert pd.read_csv(csv)["sha"].str.len().eq(40).all()
