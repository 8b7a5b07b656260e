"""``forensics suspect`` and ``summary --suspect`` from the command line, on the realistic incident."""
from __future__ import annotations

import csv
import io

from conftest import run_cli


def test_suspect_clears_the_blamed_script_and_refuses_what_matches_nothing(realistic, tmp_path_factory):
    cache = str(tmp_path_factory.mktemp("suspect-cache"))
    blamed = realistic["blamed_script"]
    done = run_cli("suspect", realistic["repo"], blamed["path"], "--cache", cache, "--quiet", "--csv", "-")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0])[:10] == ["suspect", "kind", "commits", "paths_touched", "paths_damaged", "already_damaged",
                                  "paths_healed", "root_causes", "verdict", "evidence"]
    assert rows[0]["verdict"].startswith("cleared") and rows[0]["paths_damaged"] == "0"
    assert blamed["run"][:12] in rows[0]["evidence"] and "moving is not evidence" in rows[0]["evidence"]
    summary = run_cli("summary", realistic["repo"], "--suspect", blamed["path"], "--cache", cache, "--quiet")
    assert summary.returncode == 0, summary.stderr
    assert f"**Suspect `{blamed['path']}`:** cleared" in summary.stdout
    for bad in ("no such suspect anywhere", "(unclosed"):
        done = run_cli("suspect", realistic["repo"], bad, "--cache", cache, "--quiet")
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_the_summary_reads_as_plain_text_at_a_terminal_and_as_markdown_in_a_pipe(realistic, tmp_path_factory):
    cache = str(tmp_path_factory.mktemp("summary-cache"))
    markdown = run_cli("summary", realistic["repo"], "--cache", cache, "--quiet").stdout
    plain = run_cli("summary", realistic["repo"], "--cache", cache, "--quiet", "--plain").stdout
    assert "sed 's/\\# REMOVED" in markdown                        # the unmask's subject, inert Markdown
    assert "sed 's/# REMOVED" in plain and "\\#" not in plain and "**" not in plain
    assert len(plain.splitlines()) == len(markdown.splitlines())


def test_every_cleared_script_of_the_truth_is_cleared_though_hollowed_stubs_share_its_def_main(realistic,
                                                                                                tmp_path_factory):
    # the hollowing squash writes `def main(): pass` stubs; the bulk import script also defines main():
    # Python's own words are no script's signature, so the script is not linked to the hollowing
    cache = str(tmp_path_factory.mktemp("cleared-cache"))
    scripts = [c["script"] for c in realistic["cleared_suspects"] if c["script"]]
    assert scripts
    done = run_cli("suspect", realistic["repo"], *scripts, "--cache", cache, "--quiet", "--csv", "-")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["suspect"] for r in rows] == scripts
    assert all(r["verdict"].startswith("cleared") and r["paths_damaged"] == "0" for r in rows), rows
    culprits = run_cli("culprits", realistic["repo"], "--cache", cache, "--quiet", "--csv", "-")
    linked = [r for r in csv.DictReader(io.StringIO(culprits.stdout))
              if r["kind"] == "script" and r["subject"] in scripts and r["linked_to"] != ""]
    damaging = {r["sha"] for r in csv.DictReader(io.StringIO(culprits.stdout))
                if r["kind"] in ("bulk_commit", "wave", "breaker") and r["paths_damaged"] not in ("", "0")}
    assert not [r for r in linked if r["linked_to"] in damaging], linked
