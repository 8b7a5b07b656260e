"""Hostile and bad input (issue #11): strings from the analysed repository never become spreadsheet
formulas, no marker regex hangs a scan, the repository's own settings never act unseen, a killed scan
leaves no process behind, and every bad option is one line and exit 2 (or works and says so)."""
from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import git, run_cli

FORMULA_AUTHOR = '=HYPERLINK("http://evil.invalid","x")'
FORMULA_SUBJECT = "@SUM(1+1) - run: pytest"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _commit(clone: Path, message: str, author: str = "Responder <r@example.invalid>") -> None:
    git("-C", str(clone), "add", "-A")
    git("-C", str(clone), "-c", "user.name=Responder", "-c", "user.email=r@example.invalid",
        "commit", "-q", "--author", author, "-m", message)


def _one_line_error(proc) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def hostile(repo, tmp_path_factory) -> Path:
    """The demo incident, then an attacker's commits: a file named ``-evil.py`` broken by an author
    whose name is a spreadsheet formula, and a file whose line makes ``(a+)+$`` backtrack for ever."""
    clone = tmp_path_factory.mktemp("hostile") / "clone"
    git("clone", "-q", repo, str(clone))
    (clone / "-evil.py").write_text("def test_one():\n    assert True\n")
    (clone / "hang.py").write_text(f"X = 1\n# {'a' * 40}!\n# aaa\n")
    _commit(clone, "Add helpers")
    (clone / "-evil.py").write_text("def test_one(:\n    assert True\n")
    _commit(clone, FORMULA_SUBJECT, author=f"{FORMULA_AUTHOR} <evil@example.invalid>")
    return clone


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> str:
    """One cache for this module's scans: each repository is scanned once, then answered from it."""
    return str(tmp_path_factory.mktemp("cache"))


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


# -- CSV cells are text in a spreadsheet -----------------------------------------------------------

@pytest.mark.parametrize("command", ["timeline", "events", "culprits", "restore-list"])
def test_no_csv_cell_from_the_repository_starts_a_spreadsheet_formula(hostile, command, tmp_path, cache):
    out = tmp_path / f"{command}.csv"
    proc = run_cli(command, str(hostile), "--cache", cache, "-q", "--csv", str(out), "--bulk-threshold", "1")
    assert proc.returncode == 0, proc.stderr
    cells = _cells(out.read_text())
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    if command in ("timeline", "culprits"):
        assert "'" + FORMULA_AUTHOR in cells and "'" + FORMULA_SUBJECT in cells
    if command in ("events", "restore-list"):
        assert "'-evil.py" in cells


def test_raw_csv_values_for_scripts(hostile, tmp_path, cache):
    out = tmp_path / "timeline.csv"
    proc = run_cli("timeline", str(hostile), "--cache", cache, "-q", "--csv", str(out), env={"FORENSICS_RAW_CSV": "1"})
    assert proc.returncode == 0, proc.stderr
    assert FORMULA_AUTHOR in _cells(out.read_text())


def test_restore_reads_the_plan_restore_list_wrote_with_quoted_cells(hostile, tmp_path, cache):
    plan = tmp_path / "plan.csv"
    assert run_cli("restore-list", str(hostile), "--cache", cache, "-q", "--csv", str(plan)).returncode == 0
    assert "'-evil.py" in _cells(plan.read_text())
    proc = run_cli("restore", str(hostile), "--plan", str(plan))
    lines = [line.split() for line in proc.stdout.splitlines()]
    assert ["would", "restore", "-evil.py"] in [line[:3] for line in lines], proc.stdout[-2000:]


def test_the_neutralised_cells_round_trip_exactly():
    from forensics.csvsafe import neutralise_cell, restore_cell

    for value in ["=1+1", "+x", "-x", "@x", "\tx", "\rx", "'quoted", "''", "plain", "", "a=b"]:
        assert restore_cell(neutralise_cell(value)) == value
        assert not str(neutralise_cell(value)).startswith(FORMULA_STARTS)
    assert neutralise_cell(-3) == -3


# -- marker regexes have bounded cost ---------------------------------------------------------------

def _census(clone: Path, *args: str, timeout: float = 60) -> dict:
    proc = subprocess.run([sys.executable, "-m", "forensics", "census", str(clone), "--no-cache", "-q", "--json",
                           "--paths", "hang.py", *args], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_a_catastrophic_marker_regex_does_not_hang_the_scan(hostile):
    # Python's backtracking engine takes minutes on the 40-character line; the scan takes seconds
    counts = _census(hostile, "--marker", "(a+)+$")
    assert counts["marked"] == 1  # the "# aaa" line matches; the "# aaa...a!" line does not


def test_a_catastrophic_marker_regex_from_the_analysed_repository_does_not_hang(hostile, tmp_path):
    clone = tmp_path / "clone"
    git("clone", "-q", str(hostile), str(clone))
    (clone / "pyproject.toml").write_text('[tool.forensics]\nmarkers = ["(a+)+$"]\n')
    _commit(clone, "configure markers")
    assert _census(clone)["marked"] == 1


@pytest.mark.parametrize("pattern, reason", [
    (r"(\w)\1", "back-references"),
    (r"(?<=x)y", "look-ahead and look-behind"),
    (r"(?>a+)b", "atomic groups"),
    (r"\bTODO\b", "(?a)"),
])
def test_a_marker_that_cannot_run_in_linear_time_is_refused_with_one_line(repo, pattern, reason):
    line = _one_line_error(run_cli("scan", repo, "--no-cache", "--marker", pattern))
    assert "bad marker regex" in line and reason in line


def test_marker_matches_agree_with_python_re():
    """Python's meaning is kept: Unicode classes, case folding, anchors, lazy and greedy repeats."""
    import random
    import re

    from forensics.engine.markers import compile_marker

    patterns = [r"^\s*#\s*REMOVED_SYNTAX_ERROR:", r"(?i)todo|fix(?:me)?", r"[^\d\sa-z]+", r"\w+", r"(?i)[k-s]+",
                r"(?i)i", r"(?a)\bfix\b", r"^(ab|a)(c|bcd)$", r"x*?y", r"\S\s\S", r"(?s:.)x$", r"é+|\W"]
    alphabet = list("abcdxyiks #_-@.\"1\t\n") + ["é", "É", "ß", "K", "ı", "İ", "٣", "ſ", "\u00a0", "\u2028", "\x85"]
    rng = random.Random(11)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(1500)]
    for p in patterns:
        ours, theirs = compile_marker(p), re.compile(p, re.MULTILINE)
        for t in texts:
            assert [m.span() for m in ours.finditer(t)] == [m.span() for m in theirs.finditer(t)], (p, t)


# -- the analysed repository's settings are shown and can be ignored --------------------------------

@pytest.fixture(scope="module")
def self_configured(repo, tmp_path_factory) -> Path:
    clone = tmp_path_factory.mktemp("selfconf") / "clone"
    git("clone", "-q", repo, str(clone))
    (clone / "pyproject.toml").write_text('[tool.forensics]\npaths = ["docs/*.md"]\nverdict = "clean"\n')
    _commit(clone, "Configure forensics")
    return clone


def test_settings_from_the_analysed_repository_are_shown_and_an_unknown_key_is_a_warning(self_configured, incident):
    proc = run_cli("scan", str(self_configured), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and "verdict" in warnings[0] and "warning" in warnings[0]
    assert "repo settings" in proc.stdout and "docs/*.md" in proc.stdout and "--ignore-repo-config" in proc.stdout
    ignored = run_cli("scan", str(self_configured), "--no-cache", "-q", "--ignore-repo-config")
    assert ignored.returncode == 0 and not ignored.stderr.strip()
    damaged = next(line for line in ignored.stdout.splitlines() if line.startswith("damaged now"))
    assert damaged.split()[-1] == str(incident["counts"]["damaged_at_head"])


def test_the_manifest_records_the_repository_settings(self_configured):
    from forensics import scan

    result = scan(self_configured, cache=False, progress=False)
    assert result.manifest["repo_settings"]["applied"] == {"paths": ["docs/*.md"]}
    assert "pyproject.toml" in result.manifest["repo_settings"]["source"]
    from forensics.analyses.culprits import culprits
    from forensics.analyses.summary import summarize

    summary = summarize(result, culprits(result), result.chains())
    assert any("settings from the analysed repository" in line and "docs/*.md" in line for line in summary)
    ignored = scan(self_configured, cache=False, progress=False, repo_config=False)
    assert ignored.manifest["repo_settings"] == {"ignored": True}
    assert ignored.settings.paths == ("*.py",)


def test_an_unknown_key_in_the_users_own_config_stays_an_error(repo, tmp_path):
    cfg = tmp_path / "mine.toml"
    cfg.write_text('verdict = "clean"\n')
    assert "unknown key 'verdict'" in _one_line_error(run_cli("scan", repo, "--no-cache", "--config", str(cfg)))


# -- a killed scan leaves no process behind ----------------------------------------------------------

def _session_processes(sid: int) -> set[int]:
    """Live processes of session ``sid`` (from /proc)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.add(int(entry))
    return found


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture(scope="module")
def larger(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("larger")
    proc = run_cli("simulate", str(out), "--scale", "5")
    assert proc.returncode == 0, proc.stderr
    return str(out / "repo")


def _start_scan(repo: str, tmp_path: Path) -> subprocess.Popen:
    err = open(tmp_path / "scan.err", "w")  # a file, not a pipe: an orphan holding a pipe would block us
    return subprocess.Popen([sys.executable, "-m", "forensics", "scan", repo, "--no-cache", "--jobs", "2"],
                            stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_scan_killed_mid_scan_leaves_no_process_behind(larger, tmp_path):
    scan = _start_scan(larger, tmp_path)
    try:
        # mid-scan: the two pool workers and their cat-file readers are running
        assert _wait_for(lambda: len(_session_processes(scan.pid)) >= 5, 120), "the pool never started"
        os.kill(scan.pid, signal.SIGKILL)
        scan.wait(10)
        assert _wait_for(lambda: not _session_processes(scan.pid), 10), _session_processes(scan.pid)
    finally:
        for pid in _session_processes(scan.pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_stops_a_scan_at_once(larger, tmp_path):
    # (before #11 a scan also stopped here, after its queued work; what did not stop was a scan whose
    # marker regex backtracked for ever, which the regex tests above cover)
    scan = _start_scan(larger, tmp_path)
    try:
        assert _wait_for(lambda: len(_session_processes(scan.pid)) >= 5, 120), "the pool never started"
        os.killpg(scan.pid, signal.SIGINT)   # what a terminal's Ctrl-C does: the whole process group
        # at once: the judging still queued is dropped, not finished first, and the workers end
        assert _wait_for(lambda: "forensics: interrupted" in (tmp_path / "scan.err").read_text()
                         and _session_processes(scan.pid) <= {scan.pid}, 2), _session_processes(scan.pid)
        assert scan.wait(60) == 130  # (the interpreter's own exit takes its time on a loaded machine)
        assert _wait_for(lambda: not _session_processes(scan.pid), 10), _session_processes(scan.pid)
    finally:
        for pid in _session_processes(scan.pid):
            os.kill(pid, signal.SIGKILL)


# -- bad options: one line and exit 2, or it works and says so --------------------------------------

@pytest.mark.parametrize("args, expected", [
    (["scan", "--since", "notadate"], "--since"),
    (["scan", "--paths", ""], "bad pathspec ''"),
    (["scan", "--paths", "../x"], "outside the repository"),
    (["scan", "--paths", "/etc/*.py"], "absolute path"),
    (["timeline", "--head", "-1"], "--head"),
    (["culprits", "--wave-window", "nan"], "--wave-window"),
    (["culprits", "--wave-window", "inf"], "--wave-window"),
])
def test_a_bad_option_is_one_line_and_exit_2(repo, args, expected):
    line = _one_line_error(run_cli(args[0], repo, "--no-cache", "-q", *args[1:]))
    assert expected in line


def test_a_date_after_every_commit_says_the_window_is_empty(repo, cache):
    proc = run_cli("scan", repo, "--cache", cache, "-q", "--since", "2999-01-01")
    assert proc.returncode == 0, proc.stderr
    assert "window          commits after 2999-01-01T00:00:00Z  (none: the window is empty)" in proc.stdout
    proc = run_cli("timeline", repo, "--cache", cache, "-q", "--since", "2999-01-01")
    assert proc.returncode == 0 and "the window is empty" in proc.stderr


def test_since_takes_iso_dates_and_relative_ones(repo):
    from forensics.engine.settings import parse_since

    assert parse_since("2025-09-06") == "2025-09-06T00:00:00Z"
    assert parse_since("2025-09-06T22:02:59+02:00") == "2025-09-06T20:02:59Z"
    assert parse_since("@0") == "1970-01-01T00:00:00Z"
    from datetime import datetime, timezone

    now = datetime(2025, 9, 20, tzinfo=timezone.utc)
    assert parse_since("2 weeks ago", now) == parse_since("2.weeks.ago", now) == "2025-09-06T00:00:00Z"


def test_a_csv_that_cannot_be_written_is_one_line(repo, tmp_path, cache):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for target in (str(tmp_path), str(a_file / "t.csv"), "/proc/forensics-cannot-write-here.csv"):
        line = _one_line_error(run_cli("timeline", repo, "--cache", cache, "-q", "--csv", target))
        assert "cannot write" in line


def test_report_out_on_an_existing_file_is_one_line(repo, tmp_path):
    a_file = tmp_path / "report.html"
    a_file.write_text("keep me")
    line = _one_line_error(run_cli("report", repo, "--no-cache", "-q", "--out", str(a_file)))
    assert "--out takes a directory" in line and a_file.read_text() == "keep me"


def test_a_config_that_is_not_utf8_is_one_line(repo, tmp_path):
    cfg = tmp_path / "latin1.toml"
    cfg.write_bytes('markers = ["caf\xe9"]\n'.encode("latin-1"))
    assert "not UTF-8" in _one_line_error(run_cli("scan", repo, "--no-cache", "--config", str(cfg)))


def test_simulate_works_at_scale_3(tmp_path):
    proc = run_cli("simulate", str(tmp_path / "s3"), "--scale", "3")
    assert proc.returncode == 0, proc.stderr
    truth = json.loads((tmp_path / "s3" / "truth.json").read_text())
    assert truth["counts"]["commits"] > 200


HUGE_MARKERS = "[tool.forensics]\nmarkers = [" + ",".join(['"^Z"'] * 200_000) + "]\n"
NESTED = "[tool.forensics]\nx = " + "[" * 5000 + "]" * 5000 + "\n"


@pytest.mark.parametrize("pyproject, said", [
    (HUGE_MARKERS, "200000 entries (at most 64"),
    ("[tool.forensics]\nmarkers = [" + ",".join(f'"^M{i}"' for i in range(65)) + "]\n", "65 entries (at most 64"),
    ('[tool.forensics]\nmarkers = ["' + "x" * 2000 + '"]\n', "over 1024 bytes"),
    ('[tool.forensics]\nmarkers = ["^Z"]\n' + "# " + "x" * (1 << 20) + "\n", "over 1 MiB"),
    (NESTED, "nested too deeply"),
    ("[tool\nforensics = 1\n", "cannot be read"),
    ("[tool]\nforensics = 5\n", "must be a table"),
])
def test_a_bad_or_oversized_repository_table_is_a_warning_and_ignored(tmp_path, pyproject, said):
    """What the repository's own table sets is bounded (entries, bytes per entry, the file's size) and
    read safely: beyond the bounds, or broken, it is one warning and the defaults judge (the marked
    file is still marked); never a stall or exit 3."""
    repo = tmp_path / "r"
    git("init", "-q", str(repo))
    (repo / "a.py").write_text("x = 1\n")
    (repo / "b.py").write_text("# REMOVED_SYNTAX_ERROR: y = (\ny = 2\n")
    (repo / "pyproject.toml").write_text(pyproject)
    _commit(repo, "a table of the repository's own")
    proc = subprocess.run([sys.executable, "-m", "forensics", "census", str(repo), "--no-cache", "-q", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("forensics: warning:")]
    assert len(warnings) == 1 and said in warnings[0], proc.stderr[-2000:]
    counts = json.loads(proc.stdout)
    assert counts["marked"] == 1 and counts["total"] == 2


@pytest.fixture(scope="module")
def excluding(tmp_path_factory) -> tuple[Path, str]:
    """A repository whose own table narrows the scope with exclusion pathspecs (broken files in src/
    and elsewhere), and a cache shared by the commands."""
    repo = tmp_path_factory.mktemp("excluding") / "r"
    git("init", "-q", str(repo))
    for d in ("src", "lib"):
        (repo / d).mkdir()
        (repo / d / "ok.py").write_text("x = 1\n")
        (repo / d / "bad.py").write_text("x = 1\n")
    _commit(repo, "healthy")
    for d in ("src", "lib"):
        (repo / d / "bad.py").write_text("def broken(:\n")
    (repo / "pyproject.toml").write_text('[tool.forensics]\npaths = [":(exclude)*.py", ":!src"]\n')
    _commit(repo, "break two files; narrow the scope")
    return repo, str(tmp_path_factory.mktemp("excluding-cache"))


@pytest.mark.parametrize("command", ["census", "summary", "restore-list", "culprits", "incidents", "timeline",
                                     "events", "blast-radius", "dependents", "hunt"])
def test_exclusions_in_the_repository_settings_are_said_by_every_command(excluding, command):
    repo, cache = excluding
    proc = run_cli(command, str(repo), "--cache", cache, "-q")
    assert proc.returncode == 0, proc.stderr[-2000:]
    notes = [line for line in proc.stderr.splitlines() if "own settings changed this result" in line]
    assert len(notes) == 1 and ":(exclude)*.py" in notes[0] and "--ignore-repo-config" in notes[0], proc.stderr
    if command == "summary":   # the Markdown says it as well
        assert "settings from the analysed repository itself" in proc.stdout and ":(exclude)*.py" in proc.stdout


def test_urls_in_commit_subjects_never_become_autolinks_in_the_summary(tmp_path):
    """GFM links bare ``https://…``, ``www.…`` and e-mail addresses with no markup at all: in the
    summary, repository text keeps each of them text (a backslash before the ':', '.' or '@')."""
    import re

    repo = tmp_path / "r"
    git("init", "-q", str(repo))
    for i in range(3):
        (repo / f"m{i}.py").write_text("x = 1\n")
    _commit(repo, "healthy")
    for i in range(3):
        (repo / f"m{i}.py").write_text("def broken(:\n")
    subject = "cleanup, see https://evil.example/a and www.evil.example and ops@evil.example"
    _commit(repo, subject, author="Mallory https://evil.example/me <m@evil.example>")
    proc = run_cli("summary", str(repo), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    assert "evil.example/a" in proc.stdout        # the subject is quoted ...
    assert not re.search(r"(?<!\\)://", proc.stdout)  # ... but nothing in it links
    assert not re.search(r"(?<![\\A-Za-z0-9])www\.", proc.stdout)
    assert not re.search(r"(?<!\\)@evil", proc.stdout)
