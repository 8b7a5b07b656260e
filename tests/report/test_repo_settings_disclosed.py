"""The analysed repository's own settings never act unseen (README "Hostile repositories", classes 4
and 7): a committed ``[tool.forensics] backup_patterns = ["*.py"]`` that would empty every table is
disclosed by every command it changed (a stderr line, ``census --json``, the fleet row, report.json and
the page), every command can leave it out with ``--ignore-repo-config``, and a setting holding
backticks and an element stays text in the summary and the page."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import mistune
import pytest

from conftest import git, run_cli
from report_browser import dump_dom

EVIL = "```<img src=https://evil.invalid/x.png>```"
SVG_DIR = "<svg onload=alert(1)>"


@pytest.fixture(scope="module")
def hiding(incident, tmp_path_factory) -> Path:
    """The demo incident plus one commit of a pyproject.toml whose settings call every file a backup."""
    clone = tmp_path_factory.mktemp("hiding") / "clone"
    git("clone", "-q", incident["repo"], str(clone))
    (clone / "pyproject.toml").write_text(
        f'[tool.forensics]\nbackup_patterns = ["*.py", "{EVIL}"]\n')
    git("-C", str(clone), "add", "pyproject.toml")
    git("-C", str(clone), "-c", "user.name=Eve", "-c", "user.email=e@example.invalid", "commit", "-q", "-m", "tooling")
    return clone


def _disclosed(stderr: str) -> bool:
    notes = [line for line in stderr.splitlines() if line.startswith("forensics: note:")]
    return len(notes) == 1 and "backup_patterns" in notes[0] and "--ignore-repo-config" in notes[0]


@pytest.mark.parametrize("command", ["census", "incidents", "restore-list", "timeline", "summary"])
def test_every_command_the_settings_changed_says_so_even_when_quiet(hiding, command):
    proc = run_cli(command, str(hiding), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    assert _disclosed(proc.stderr), proc.stderr


def test_timesketch_says_so_and_ignoring_the_settings_brings_the_damage_back(hiding, incident, tmp_path):
    proc = run_cli("timesketch", str(hiding), "--no-cache", "-q", "--out", str(tmp_path / "t.jsonl"))
    assert proc.returncode == 0 and _disclosed(proc.stderr), proc.stderr
    proc = run_cli("census", str(hiding), "--no-cache", "-q", "--json", "--depth", "0")
    data = json.loads(proc.stdout)
    assert data["damaged"] == 0 and data["repo_settings"]["changed"]["backup_patterns"][0] == "*.py"
    proc = run_cli("census", str(hiding), "--no-cache", "-q", "--json", "--depth", "0", "--ignore-repo-config")
    data = json.loads(proc.stdout)
    assert data["damaged"] == incident["counts"]["damaged_at_head"] and "repo_settings" not in data
    assert "forensics: note:" not in proc.stderr
    out = tmp_path / "plan.csv"
    proc = run_cli("restore-list", str(hiding), "--no-cache", "-q", "--ignore-repo-config", "--csv", str(out))
    assert proc.returncode == 0 and "forensics: note:" not in proc.stderr
    assert len(list(csv.DictReader(open(out)))) == incident["counts"]["damaged_at_head"]


def test_the_summary_keeps_a_setting_with_backticks_inside_its_code_span(hiding):
    proc = run_cli("summary", str(hiding), "--no-cache", "-q")
    html = mistune.create_markdown(escape=False)(proc.stdout)     # a Markdown viewer that passes HTML on
    assert not re.search(r"<img", html, re.IGNORECASE), html
    assert any(EVIL.replace("<", "&lt;").replace(">", "&gt;") in code for code in re.findall(r"<code>(.*?)</code>", html))


def test_the_fleet_row_discloses_the_settings_and_its_table_escapes_what_it_shows(hiding, incident, tmp_path):
    bogus = tmp_path / SVG_DIR
    bogus.mkdir()
    out = tmp_path / "fleet"
    proc = run_cli("fleet", str(hiding), str(bogus), "--out", str(out), "--no-cache", "-q", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert _disclosed(proc.stderr), proc.stderr
    rows = {r["repo"]: r for r in csv.DictReader(open(out / "fleet_census.csv"))}
    assert "backup_patterns" in rows[str(hiding)]["repo_settings"] and rows[str(hiding)]["damaged"] == "0"
    assert SVG_DIR in rows[str(bogus)]["error"]
    from forensics.fleet.run import FleetResult
    import pandas as pd

    page = FleetResult(pd.read_csv(out / "fleet_census.csv", keep_default_na=False), pd.DataFrame(), out).display()
    shown = page._repr_html_()
    assert "<svg" not in shown and "&lt;svg onload=alert(1)&gt;" in shown
    proc = run_cli("fleet", str(hiding), "--out", str(tmp_path / "f2"), "--no-cache", "-q", "--workers", "1",
                   "--ignore-repo-config")
    assert proc.returncode == 0 and "forensics: note:" not in proc.stderr, proc.stderr
    row = next(csv.DictReader(open(tmp_path / "f2" / "fleet_census.csv")))
    assert int(row["damaged"]) == incident["counts"]["damaged_at_head"] and row["repo_settings"] == ""


def test_the_report_discloses_the_settings_as_text_and_can_leave_them_out(hiding, incident, tmp_path):
    out = tmp_path / "report"
    proc = run_cli("report", str(hiding), "--out", str(out), "--no-cache", "-q")
    assert proc.returncode == 0 and _disclosed(proc.stderr), proc.stderr
    headline = json.loads((out / "report.json").read_text())
    assert "backup_patterns" in headline["repo_settings"] and headline["damaged_now"] == 0
    dom = dump_dom(out / "incident_report.html", tmp_path / "profile")
    assert not re.search(r"<img[^>]*evil\.invalid", dom, re.IGNORECASE)       # no live element, no request
    assert "The analysed repository's own settings changed this result:</strong> backup_patterns" in dom
    escaped = EVIL.replace("<", "&lt;").replace(">", "&gt;")
    assert any(escaped in code for code in re.findall(r"<code>(.*?)</code>", dom, re.DOTALL)), "span broken"
    out2 = tmp_path / "report2"
    proc = run_cli("report", str(hiding), "--out", str(out2), "--no-cache", "-q", "--ignore-repo-config")
    assert proc.returncode == 0 and "forensics: note:" not in proc.stderr, proc.stderr
    headline = json.loads((out2 / "report.json").read_text())
    assert headline["damaged_now"] == incident["counts"]["damaged_at_head"] and headline["repo_settings"] == ""


def test_a_change_that_rewrites_the_settings_cannot_pass_the_guard_unseen(tmp_path):
    """In CI the guard reads the settings at HEAD, which the change itself may rewrite."""
    repo = tmp_path / "repo"
    git("init", "-q", str(repo))
    (repo / "app.py").write_text("def f():\n    return 1\n")
    git("-C", str(repo), "add", "-A")
    git("-C", str(repo), "-c", "user.name=R", "-c", "user.email=r@example.invalid", "commit", "-q", "-m", "app")
    (repo / "pyproject.toml").write_text('[tool.forensics]\npaths = ["docs/*.md"]\n')
    git("-C", str(repo), "add", "-A")
    git("-C", str(repo), "-c", "user.name=Eve", "-c", "user.email=e@example.invalid", "commit", "-q", "-m", "tooling")
    (repo / "app.py").write_text("def f(:\n    return 1\n")
    git("-C", str(repo), "add", "app.py")
    proc = run_cli("guard", "--repo", str(repo))
    assert proc.returncode == 0 and "forensics: note:" in proc.stderr and "docs/*.md" in proc.stderr, proc.stderr
    proc = run_cli("guard", "--repo", str(repo), "--ignore-repo-config")
    assert proc.returncode == 1 and "app.py" in proc.stdout and "forensics: note:" not in proc.stderr, proc.stderr
