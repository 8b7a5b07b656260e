"""The incident report: one command, one self-contained page, the same numbers as the CLI."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pandas as pd
import pytest

from conftest import run_cli


@pytest.fixture(scope="module")
def report(incident, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    proc = run_cli("report", incident["repo"], "--out", str(out), "--no-cache", "--title", "Demo incident", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_the_report_writes_the_page_and_the_tables(report):
    for name in ("incident_report.html", "incident_report.ipynb", "report.json", "timeline.csv", "culprits.csv",
                 "restore_candidates.csv"):
        assert (report / name).stat().st_size > 0, name


def test_the_page_works_offline_and_alone(report):
    html = (report / "incident_report.html").read_text()
    assert not re.search(r"<script[^>]*\bsrc=", html)       # nothing loaded from a CDN or a file
    assert not re.search(r"<iframe", html, re.IGNORECASE)
    assert html.count("plotly.js v") == 1                     # the library embedded once
    assert 7 <= html.count("Plotly.newPlot(") <= 8            # every figure present
    assert "Demo incident" in html
    assert 'class="jp-InputArea' not in html                  # code cells hidden
    assert len(html) < 12_000_000


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.fail("headless Chromium is needed for the browser test (make test installs Debian's chromium)")


def test_every_figure_is_drawn_in_a_real_browser(report, tmp_path):
    html = report / "incident_report.html"
    proc = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                           "--no-first-run", "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=20000",
                           "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=180)
    dom = proc.stdout
    figures = html.read_text().count("Plotly.newPlot(")
    drawn = re.findall(r'<div[^>]*class="[^"]*js-plotly-plot[^"]*"[^>]*>.*?<svg[^>]*class="main-svg"', dom, re.S)
    assert dom.count('class="main-svg"') >= figures
    assert len(drawn) == figures, (len(drawn), figures)


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
    # and the page says the same
    html = (report / "incident_report.html").read_text()
    assert f"{head['damaged_now']} of {head['paths_in_scope']} paths in scope" in html


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
