"""Bad input gets one clear line and exit 2; damaged repositories are scanned as far as they allow."""
from __future__ import annotations

import os
import subprocess


from conftest import git, run_cli


def _one_line_error(proc) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_not_a_repository(tmp_path):
    line = _one_line_error(run_cli("scan", str(tmp_path), "--no-cache"))
    assert "not a git repository" in line


def test_a_path_that_does_not_exist(tmp_path):
    line = _one_line_error(run_cli("census", str(tmp_path / "nope"), "--no-cache"))
    assert "not a git repository" in line


def test_a_subdirectory_is_not_mistaken_for_the_repository(repo):
    line = _one_line_error(run_cli("scan", os.path.join(repo, "tests"), "--no-cache"))
    assert "subdirectory" in line


def test_unknown_revision(repo):
    line = _one_line_error(run_cli("scan", repo, "--rev", "no-such-branch", "--no-cache"))
    assert "unknown revision 'no-such-branch'" in line


def test_bad_marker_regex(repo):
    line = _one_line_error(run_cli("scan", repo, "--marker", "(unclosed", "--no-cache"))
    assert "bad marker regex '(unclosed'" in line


def test_bad_pathspec_magic(repo):
    line = _one_line_error(run_cli("scan", repo, "--paths", ":(nonsense)*.py", "--no-cache"))
    assert "bad pathspec" in line


def test_bad_config_file(repo, tmp_path):
    cfg = tmp_path / "f.toml"
    cfg.write_text("markers = 'not a list'\n")
    line = _one_line_error(run_cli("scan", repo, "--config", str(cfg), "--no-cache"))
    assert "markers" in line
    line = _one_line_error(run_cli("scan", repo, "--config", str(tmp_path / "missing.toml"), "--no-cache"))
    assert "missing.toml" in line


def test_missing_objects_are_counted_and_the_scan_completes(repo, incident, tmp_path):
    clone = tmp_path / "holey"
    git("clone", "-q", "--no-local", repo, str(clone))
    packs = list((clone / ".git" / "objects" / "pack").glob("*.pack"))
    for pack in packs:  # make every object loose so one can be taken away
        data = pack.read_bytes()
        pack.unlink()
        pack.with_suffix(".idx").unlink()
        subprocess.run(["git", "-C", str(clone), "unpack-objects", "-q"], input=data, check=True)
    # an older version of a test file, replaced later (not needed to walk trees)
    fixer = incident["roles"]["fixer"][0]
    old_blob = git("-C", str(clone), "rev-parse", f"{fixer}^:" + git(
        "-C", str(clone), "diff-tree", "--no-commit-id", "--name-only", "-r", fixer).split()[0]).strip()
    (clone / ".git" / "objects" / old_blob[:2] / old_blob[2:]).unlink()
    proc = run_cli("scan", str(clone), "--no-cache", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "unreadable      1 objects" in proc.stdout and old_blob in proc.stdout

    from forensics import scan

    result = scan(clone, cache=False, progress=False)
    assert result.manifest["unreadable_objects"] == [old_blob]
    # events that need the missing version are not guessed; every other event is still found
    want = {(e["sha"], e["path"], e["event"]) for e in incident["events"]}
    if not result.manifest["renames_detected"]:
        # git's rename detection needed the missing blob: the scan says so, and a rename of a damaged
        # file then reads as a deletion plus an addition
        assert "renames         not detected" in proc.stdout
        sha = next(c["sha"] for c in incident["commits"] if c["role"] == "rename")
        want |= {(sha, incident["sets"]["renamed_from"][0], "deleted_damaged"),
                 (sha, incident["sets"]["renamed_to"][0], "added_damaged")}
    got = set(map(tuple, result.events[["sha", "path", "event"]].values.tolist()))
    assert got <= want and len(want - got) <= 4


def test_a_5000_file_commit(tmp_path):
    from forensics import scan
    from forensics.simulate.bulk import simulate_bulk

    truth = simulate_bulk(tmp_path / "huge", files=5000)
    result = scan(truth["repo"], cache=False, progress=False, jobs=2)
    assert result.commits["paths_changed"].max() == 5000
    assert dict(zip(result.subjects["path"], result.subjects["state"])) == truth["states"]["HEAD"]
    want = {(e["sha"], e["path"], e["event"]) for e in truth["events"]}
    assert set(map(tuple, result.events[["sha", "path", "event"]].values.tolist())) == want


def test_non_utf8_path_and_contents_are_reported_not_lost(scanned):
    states = dict(zip(scanned.subjects["path"], scanned.subjects["state"]))
    assert states['"src/app/legacy/caf\\351_utils.py"'] == "healthy"
    assert states["src/app/legacy/latin1_names.py"] == "healthy"
    assert states["src/app/legacy/raw_bytes.py"] == "broken"
    assert states["src/app/legacy/nul_byte.py"] == "broken"
    v = scanned.versions.set_index("blob")
    nul = scanned.subjects.set_index("path").loc["src/app/legacy/nul_byte.py", "blob"]
    assert "null bytes" in v.loc[nul, "error_message"]


def test_the_quoted_path_round_trips_to_its_bytes():
    from forensics.engine.git import display_path, path_bytes

    raw = b"src/caf\xe9 \"x\".py"
    shown = display_path(raw.decode("utf-8", "surrogateescape"))
    assert shown.isprintable() and path_bytes(shown) == raw
    assert display_path("plain/ü.py") == "plain/ü.py"


def test_csv_output_and_unknown_command_line(repo, tmp_path):
    out = tmp_path / "events.csv"
    proc = run_cli("events", repo, "--csv", str(out), "--no-cache", "--quiet")
    assert proc.returncode == 0, proc.stderr
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("sha,committed_at,path,old_path,event,markers_before,markers_after,"
                             "compiles_before,compiles_after,tests_before,tests_after")
    assert "Z," in out.read_text().splitlines()[1]
    proc = run_cli("scan", repo, "--jobs", "0", "--no-cache")
    assert _one_line_error(proc)


def test_a_report_directory_that_cannot_be_made_is_one_line(repo, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("not a directory\n")
    for out in (str(afile / "sub"), "/proc/forensics-report"):
        line = _one_line_error(run_cli("report", repo, "--out", out, "--no-cache", "-q"))
        assert "cannot be made" in line and out in line


def test_report_takes_the_window_and_refuses_a_bad_date_in_one_line(repo, tmp_path):
    line = _one_line_error(run_cli("report", repo, "--since", "garbage", "--out", str(tmp_path / "r"), "--no-cache", "-q"))
    assert "since" in line and "garbage" in line
