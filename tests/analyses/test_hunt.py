"""Silent damage found without a hint, on the demo incident: the "Normalize string formatting" commit
replaced f-strings and comprehensions by placeholders in healthy files, which still compile and carry
no marker. Its specific signatures, hunted, find exactly those files; asked for, the placeholder state
reaches every analysis; ``--as-markers`` never prints a pattern a healthy pre-incident line matches."""
from __future__ import annotations

import re
import subprocess

import pandas as pd
import pytest

from conftest import run_cli
from forensics.analyses.blast import blast_radius
from forensics.analyses.census import census
from forensics.analyses.hunt import hunt, mine
from forensics.analyses.restore_list import restore_list
from forensics.engine.placeholders import with_placeholders
from forensics.engine.states import PLACEHOLDER


@pytest.fixture(scope="module")
def placeholder_sha(incident) -> str:
    return incident["roles"]["placeholder"][0]


@pytest.fixture(scope="module")
def hunted(scanned, placeholder_sha):
    return mine(scanned, [placeholder_sha])


@pytest.fixture(scope="module")
def restated(scanned, hunted):
    return with_placeholders(scanned, hunted.probes, hunted.since)


def test_the_placeholder_commit_yields_both_placeholder_rewrites_and_nothing_healthy_code_carries(
        incident, scanned, hunted):
    spec = hunted.specific
    assert set(spec["result"]) == {'"formatted_string"', "[item for item in []]"}
    assert (spec["background_lines"] == 0).all() and (spec["lift"] > 1).all()
    assert hunted.signatures.attrs["background_complete"]
    found = hunt(scanned, hunted)
    assert set(found["path"]) == set(incident["sets"]["placeholder"]) and (found["state"] == PLACEHOLDER).all()


def test_hunt_finds_exactly_the_placeholder_files_from_the_commit_alone(incident, repo, placeholder_sha, tmp_path):
    out = tmp_path / "hunt.csv"
    proc = run_cli("hunt", repo, "--from", placeholder_sha, "--csv", str(out), "--no-cache", "--quiet")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(out, dtype=str)
    assert list(df.columns[:4]) == ["path", "state", "signatures", "lines"]
    assert set(df["path"]) == set(incident["sets"]["placeholder"])
    assert (df["state"] == PLACEHOLDER).all()
    # it arrived unmasked: the commit that brought it is the one that surfaced it
    assert (df["brought_by"] == placeholder_sha).all() and (df["surfaced_by"] == placeholder_sha).all()
    assert df["signatures"].str.contains('"formatted_string"', regex=False).all()


def test_the_placeholder_state_reaches_census_events_chains_blast_radius_and_restore_list(
        incident, restated, placeholder_sha):
    paths = set(incident["sets"]["placeholder"])
    total = census(restated).iloc[0]
    assert total["placeholder"] == len(paths)
    assert total["damaged"] == len(incident["chains"]) + len(paths)
    ev = restated.events
    assert set(ev.loc[ev["event"] == "placeholder", "path"]) == paths
    assert set(ev.loc[ev["event"] == "placeholder", "sha"]) == {placeholder_sha}
    chains = restated.chains().set_index("path")
    assert (chains.loc[sorted(paths), "root_cause"] == placeholder_sha).all()
    blast = blast_radius(restated)
    assert blast.loc[blast["directory"] == "*", "damaged"].sum() == total["damaged"]
    plan = restore_list(restated).set_index("path")
    when = restated.commits.set_index("sha")["committed_at"]
    for path in paths:
        row = plan.loc[path]
        assert row["state"] == PLACEHOLDER and row["source"] == "git"
        assert when[row["last_good_sha"]] < when[placeholder_sha]
        good = restated.versions.set_index("blob").loc[row["last_good_blob"]]
        assert good["state"] == "healthy"


def test_signatures_from_on_the_command_line_counts_placeholders(incident, repo, placeholder_sha):
    import json

    proc = run_cli("census", repo, "--signatures-from", placeholder_sha, "--json", "--no-cache", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["placeholder"] == len(incident["sets"]["placeholder"])


def _healthy_lines_before(incident, repo) -> list[str]:
    """Every line of every healthy Python file at the tag before the incident, read with git itself."""
    tag = "sim/before-breaker"
    healthy = [p for p, s in incident["states"][tag].items() if s == "healthy"]
    text = subprocess.run(["git", "-C", repo, "cat-file", "--batch"], check=True, capture_output=True,
                          input="".join(f"{tag}:{p}\n" for p in healthy).encode()).stdout.decode("utf-8", "replace")
    return [ln for ln in text.splitlines() if ln.strip()]


@pytest.mark.parametrize("role", ["fixer", "placeholder", "bulk_script"])
def test_as_markers_prints_nothing_that_a_healthy_pre_incident_line_matches(incident, repo, role):
    proc = run_cli("signatures", repo, "--commit", incident["roles"][role][0], "--wave", "--as-markers",
                   "--no-cache", "--quiet")
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout.splitlines()
    lines = _healthy_lines_before(incident, repo)
    assert len(lines) > 1000
    for marker in printed:
        rx = re.compile(marker)
        assert not any(rx.search(ln) for ln in lines), marker
    if role == "bulk_script":       # websocket_core is in healthy code already: not specific
        assert printed == []
    else:
        assert printed


def test_hunted_placeholders_do_not_count_a_string_that_quotes_them(scanned):
    from forensics.engine.placeholders import Probe, compile_probes, placeholder_lines

    probes = compile_probes([Probe('"formatted_string"', '"formatted_string"'),
                             Probe(r"\[item for item in \[\]\]", "[item for item in []]")])
    text = ('"""Replaces f"..." with "formatted_string" and\n'
            '[item for item in []] in a docstring."""\n'
            'PLACEHOLDER = \'"formatted_string"\'\n'
            'label = "formatted_string"\n'
            '# REMOVED_SYNTAX_ERROR: values = [item for item in []]\n'
            'values = [item for item in []]\n')
    got = placeholder_lines(text, probes, scanned.settings.rules.compiled_markers)
    assert sorted(got) == [4, 6]


@pytest.mark.parametrize("args, says", [
    (["hunt", "--from", "no-such-commit"], "no-such-commit"),
    (["hunt", "--from", "HEAD", "--max-background", "2"], "--max-background"),
    (["signatures", "--commit", "HEAD", "--min-files", "0"], "--min-files"),
])
def test_bad_hunt_and_signatures_input_is_one_line_and_exit_2(repo, args, says):
    proc = run_cli(args[0], repo, *args[1:], "--no-cache", "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and says in proc.stderr and "Traceback" not in proc.stderr
