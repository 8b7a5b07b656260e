"""The incident report: one command, one self-contained page, the same numbers as the CLI, drawn in a
real browser, quiet when asked, and safe against the strings of a hostile repository."""
from __future__ import annotations

import json
import re
from html import escape as html_escape
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from conftest import git, run_cli
from report_browser import drawn_figures, dump_dom

SUBJECT = "[me](javascript:alert(2)) <img src=x onerror=alert(1)> breaks three files"
AUTHOR = "Eve &amp; [x](javascript:alert(3))"   # git drops < and > from names: an entity and a link instead
HOSTILE_PATH = "tests/unit/<img src=x onerror=alert(4)>.py"


@pytest.fixture(scope="module")
def report(incident, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    proc = run_cli("report", incident["repo"], "--out", str(out), "--no-cache", "--title", "Demo incident", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == "" and proc.stderr == ""          # -q: nothing on success, no kernel chatter
    return out


def test_the_report_writes_the_page_and_the_tables(report):
    for name in ("incident_report.html", "incident_report.ipynb", "report.json", "timeline.csv", "culprits.csv",
                 "restore_candidates.csv", "chains.csv", "blast_radius.csv", "dependents.csv"):
        assert (report / name).stat().st_size > 0, name
    assert not (report / "data").exists()                   # the cache is not made inside the report directory


def test_the_page_works_offline_and_alone(report):
    html = (report / "incident_report.html").read_text()
    assert not re.search(r"<script[^>]*\bsrc=", html)       # nothing loaded from a CDN or a file
    assert not re.search(r"<iframe", html, re.IGNORECASE)
    assert html.count("plotly.js v") == 1                     # the library embedded once
    assert html.count("Plotly.newPlot(") == 7                 # every figure present
    assert 'class="jp-InputArea' not in html                  # code cells hidden
    assert len(html) < 10_000_000


def test_the_page_says_what_when_and_with_what(report):
    from forensics import __version__

    html = (report / "incident_report.html").read_text()
    assert "<title>Demo incident</title>" in html and '<h1 id="top">Demo incident</h1>' in html
    assert re.search(r"generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ by forensics " + re.escape(__version__), html)
    assert "analysed with CPython 3." in html
    from forensics.report.incident import SECTIONS

    for anchor, _ in SECTIONS:                                # the contents link to sections that exist
        assert f'href="#{anchor}"' in html and f'id="{anchor}"' in html, anchor
    for name in ("restore_candidates.csv", "timeline.csv", "culprits.csv", "chains.csv", "report.json"):
        assert f'href="{name}"' in html and (report / name).exists()
    assert "1 waves" not in html and "1 other breakers" not in html and "1 wave," in html


def test_the_restore_list_is_whole_with_whole_commands(report):
    html = (report / "incident_report.html").read_text()
    plan = pd.read_csv(report / "restore_candidates.csv")
    for command in plan["restore_command"].dropna():
        assert html_escape(command) in html, command
    assert f"{len(plan)} rows" in html
    assert "…" not in html.split('id="restoration"')[1].split('id="chains"')[0]   # nothing cut


def test_report_json_states_what_the_cli_states(incident, report, tmp_path):
    repo = incident["repo"]
    head = json.loads((report / "report.json").read_text())
    census = json.loads(run_cli("census", repo, "--json", "--no-cache", "-q").stdout)
    assert head["damaged_now"] == census["damaged"] and head["paths_in_scope"] == census["total"]
    assert head["marked_now"] == census["marked"] and head["broken_now"] == census["broken"]
    assert head["root_cause"]["sha"] == incident["roles"]["breaker"][0]
    run_cli("culprits", repo, "--csv", str(tmp_path / "c.csv"), "--no-cache", "-q")
    assert head["culprits"] == pd.read_csv(tmp_path / "c.csv")["kind"].value_counts().sort_index().to_dict()
    run_cli("restore-list", repo, "--csv", str(tmp_path / "r.csv"), "--no-cache", "-q")
    plan = pd.read_csv(tmp_path / "r.csv")
    assert head["restorable_high"] == (plan["confidence"] == "high").sum()
    assert head["restore_by_source"] == {k: int((plan["source"] == k).sum()) for k in ("git", "backup", "none")}
    run_cli("blast-radius", repo, "--csv", str(tmp_path / "b.csv"), "--no-cache", "-q")
    blast = pd.read_csv(tmp_path / "b.csv")
    assert head["tests_lost"] == blast.loc[blast["directory"] == "*", "tests_lost"].sum()
    html = (report / "incident_report.html").read_text()
    assert f"{head['damaged_now']} of {head['paths_in_scope']} paths in scope" in html


def test_every_figure_is_drawn_in_a_real_browser_with_visible_bars(report, tmp_path):
    dom = dump_dom(report / "incident_report.html", tmp_path / "profile")
    figures = drawn_figures(dom)
    assert len(figures) == 7
    assert all(f.has_svg for f in figures), [f.title for f in figures if not f.has_svg]
    bar_charts = [f for f in figures if f.bar_widths]
    assert len(bar_charts) >= 3                               # timeline, touched vs damaged, restoration
    for f in bar_charts:
        assert min(f.bar_widths) >= 2, (f.title, min(f.bar_widths))


def test_unknown_and_mistyped_parameters_are_refused_before_running(incident, tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("rev: HEAD\nnot_a_parameter: 3\n")
    proc = run_cli("report", incident["repo"], "--out", str(tmp_path / "o"), "-f", str(params))
    assert proc.returncode == 2 and "unknown report parameter 'not_a_parameter'" in proc.stderr
    params.write_text("paths: 7\n")
    proc = run_cli("report", incident["repo"], "--out", str(tmp_path / "o"), "-f", str(params))
    assert proc.returncode == 2 and "report parameter 'paths' must be list" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "o" / "incident_report.html").exists()


def test_a_failed_run_still_writes_a_page_showing_where(incident, tmp_path):
    out = tmp_path / "o"
    proc = run_cli("report", incident["repo"], "--out", str(out), "--no-cache", "-q",
                   env={"FORENSICS_FAULT": "report.build:1"})
    assert proc.returncode == 1
    assert "the report failed in cell" in proc.stderr and "injected fault" in proc.stderr
    assert "IPKernelApp" not in proc.stderr and "KeyboardInterrupt" not in proc.stderr
    html = (out / "incident_report.html").read_text()
    assert "injected fault at report.build" in html and "An Exception was encountered" in html


def test_the_report_shows_the_error_kind_breakdown_the_cli_counts(incident, report, tmp_path):
    head = json.loads((report / "report.json").read_text())
    run_cli("census", incident["repo"], "--error-kinds", "--csv", str(tmp_path / "k.csv"), "--no-cache", "-q")
    kinds = pd.read_csv(tmp_path / "k.csv")
    kinds = kinds[(kinds["error_kind"] != "*") & (kinds["paths_now"] > 0)]
    assert head["error_kinds"] == dict(zip(kinds["error_kind"], kinds["paths_now"].astype(int)))
    assert sum(head["error_kinds"].values()) == head["broken_now"] and head["legacy_now"] == 0
    html = (report / "incident_report.html").read_text()
    assert "Compile errors now, by kind:" in html and "invalid decimal literal" in html


# -- a hostile repository --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile(incident, tmp_path_factory):
    """The incident, cloned, plus one commit by an author named like markup whose subject is a
    Markdown link and an HTML element: it marks three healthy files and adds a damaged file whose
    path is markup too."""
    work = tmp_path_factory.mktemp("hostile")
    repo = work / "repo"
    git("clone", "-q", incident["repo"], str(repo))
    healthy = [p for p, s in incident["states"]["sim/before-breaker"].items()
               if s == "healthy" and p.startswith("src/app/") and p in incident["tests_at_head"]][:3]
    for p in healthy:
        f = repo / p
        f.write_text(f.read_text() + "\n# REMOVED_SYNTAX_ERROR: x = (\n")
    (repo / HOSTILE_PATH).write_text("# REMOVED_SYNTAX_ERROR: def broken(\n")
    git("add", "-A", cwd=repo)
    git("-c", f"user.name={AUTHOR}", "-c", "user.email=evil@example.invalid", "commit", "-q", "-m", SUBJECT, cwd=repo)
    out = work / "report"
    proc = run_cli("report", str(repo), "--out", str(out), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    return out


def test_repository_strings_are_text_in_the_page_never_markup(hostile, tmp_path):
    html = (hostile / "incident_report.html").read_text()
    dom = dump_dom(hostile / "incident_report.html", tmp_path / "profile")
    assert not re.search(r"<img[^>]*onerror", dom, re.IGNORECASE)           # no live element
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", dom, re.IGNORECASE)   # no live link
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom                      # the subject, shown as text
    assert "Eve &amp;amp; [x](javascript:alert(3))" in dom                   # the author, entity and all
    assert "&lt;img src=x onerror=alert(4)&gt;.py" in dom                   # the path
    assert "[me](javascript:alert(2))" in dom                                # Markdown left as typed
    assert not re.search(r"<img[^>]*onerror", html, re.IGNORECASE)


def test_repository_strings_are_text_in_plotly_labels_and_hovers(incident, tmp_path):
    """Plotly renders a subset of HTML in labels and hover text: every repository string is escaped."""
    from forensics.report.figures import timeline_figure, touched_vs_damaged_figure, event_heatmap, blast_treemap

    tl = pd.DataFrame({"sha": ["a" * 40], "committed_at": [pd.Timestamp("2025-09-06T20:00:00Z")], "author": [AUTHOR],
                       "subject": [SUBJECT], "broke": [3], "healed": [0], "marked": [1], "unmarked": [0],
                       "added_damaged": [1], "deleted_damaged": [0]})
    cul = tl.assign(kind="breaker", paths_damaged=4, paths_touched=4, paths_healed=0)
    ev = pd.DataFrame({"path": [HOSTILE_PATH], "committed_at": tl["committed_at"]})
    paths = pd.DataFrame({"path": [HOSTILE_PATH], "directory": ["tests/<b>unit</b>"], "damaged": [True]})
    for fig in (timeline_figure(tl, cul), touched_vs_damaged_figure(cul), event_heatmap(ev), blast_treemap(paths)):
        text = fig.to_json()
        assert "<img" not in text and "\\u003cimg" not in text and "<b>unit" not in text and "\\u003cb\\u003eunit" not in text
        assert "Eve &amp; [x]" not in text                          # the author's entity is escaped too


# -- the realistic incident ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def realistic_report(realistic, tmp_path_factory):
    out = tmp_path_factory.mktemp("realistic-report")
    proc = run_cli("report", realistic["repo"], "--out", str(out), "--no-cache", "-q")
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == "", proc.stderr
    return out


def test_the_realistic_incident_is_drawn_whole_in_a_real_browser(realistic, realistic_report, tmp_path):
    page = realistic_report / "incident_report.html"
    assert page.stat().st_size < 10_000_000
    dom = dump_dom(page, tmp_path / "profile")
    figures = drawn_figures(dom)
    assert len(figures) == 7 and all(f.has_svg for f in figures), [f.title for f in figures if not f.has_svg]
    bar_charts = [f for f in figures if f.bar_widths]
    assert len(bar_charts) >= 3
    for f in bar_charts:
        assert min(f.bar_widths) >= 2, (f.title, min(f.bar_widths))
    # the restore list is whole: one row per damaged path at HEAD, as the truth has them
    plan = pd.read_csv(realistic_report / "restore_candidates.csv")
    assert f"{len(plan)} rows" in dom and len(plan) == realistic["counts"]["damaged_at_head"]
