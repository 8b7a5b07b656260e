"""Issue #15's "Must show", on the realistic incident: from the fixer wave with no hint, the marker
prefix and every placeholder rewrite the fixer applied (compounded on one line with the marker and a
re-indent) are mined; ``--as-markers`` prints nothing a healthy pre-incident line matches; ``hunt``
finds exactly the truth's placeholder paths, the otherwise healthy ones as ``placeholder``, brought by
the wave and surfaced by the sed unmask; the restore list covers them from before the placeholder."""
from __future__ import annotations

import io
import re
import subprocess
from datetime import datetime

import pandas as pd
import pytest

from conftest import run_cli
from forensics.analyses.hunt import mine
from forensics.analyses.restore_list import restore_list
from forensics.analyses.signatures import culprit_commits
from forensics.engine.placeholders import with_placeholders
from forensics.engine.states import PLACEHOLDER
from forensics.simulate.content import MARKER
from forensics.simulate.realistic_content import PLACEHOLDERS

PRE_INCIDENT = "sim/before-incident-a"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def real_scan(realistic, cache_dir):
    """The realistic incident scanned once; the command-line runs below reuse this scan's cache."""
    from forensics import scan

    return scan(realistic["repo"], cache=cache_dir, progress=False)


@pytest.fixture(scope="module")
def wave_start(realistic) -> str:
    return realistic["fixer_script"]["wave"][0]


@pytest.fixture(scope="module")
def hunted(real_scan, wave_start):
    return mine(real_scan, culprit_commits(real_scan, [wave_start], wave=True))


def _healthy_lines(realistic) -> list[str]:
    """Every non-blank line of every healthy Python file before incident A, read with git itself."""
    healthy = [p for p, s in realistic["states"][PRE_INCIDENT].items() if s == "healthy"]
    out = subprocess.run(["git", "-C", realistic["repo"], "cat-file", "--batch"], check=True, capture_output=True,
                         input="".join(f"{PRE_INCIDENT}:{p}\n" for p in healthy).encode()).stdout
    return [ln for ln in out.decode("utf-8", "replace").splitlines() if ln.strip()]


def test_the_wave_mines_the_marker_prefix_and_every_placeholder_without_a_hint(realistic, hunted):
    sig = hunted.signatures
    assert set(realistic["fixer_script"]["wave"]) <= set(hunted.culprit)
    prefix = sig[sig["signature"] == f"prefix added {MARKER!r}"]
    assert len(prefix) == 1 and prefix.iloc[0]["background_lines"] == 0
    # the compounded placeholder rewrites are signatures of their own, and specific
    assert set(PLACEHOLDERS) <= set(hunted.specific["result"])
    assert MARKER.rstrip() in set(hunted.specific["result"])
    # re-indents, blank lines and whitespace are never signatures
    assert not sig["signature"].str.fullmatch(r"'\s*' -> '\s*'|[+-] '\s*'").any()
    assert not (sig["example_before"].str.strip() == sig["example_after"].str.strip()).any()
    top = sig.iloc[0]
    assert top["signature"] == f"prefix added {MARKER!r}"


def test_as_markers_prints_nothing_a_healthy_pre_incident_line_matches(realistic, wave_start, cache_dir):
    proc = run_cli("signatures", realistic["repo"], "--commit", wave_start, "--wave", "--as-markers",
                   "--cache", cache_dir, "--quiet")
    assert proc.returncode == 0, proc.stderr
    printed = [re.compile(m) for m in proc.stdout.splitlines()]
    lines = _healthy_lines(realistic)
    assert len(lines) > 10_000
    for rx in printed:
        assert not any(rx.search(ln) for ln in lines), rx.pattern
    # and they find the damage: a marker line and each placeholder as the fixer wrote them
    for text in [f"    {MARKER}pass", *(f"label = {p}" for p in PLACEHOLDERS)]:
        assert any(rx.search(text) for rx in printed), text


def test_hunt_finds_exactly_the_placeholder_paths_and_who_brought_and_surfaced_them(realistic, wave_start, cache_dir):
    proc = run_cli("hunt", realistic["repo"], "--from", wave_start, "--csv", "-", "--cache", cache_dir, "--quiet")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(io.StringIO(proc.stdout), dtype=str, keep_default_na=False)
    assert list(df.columns[:4]) == ["path", "state", "signatures", "lines"]
    assert set(df["path"]) == set(realistic["placeholder_paths"])
    assert set(df.loc[df["state"] == PLACEHOLDER, "path"]) == set(realistic["silent_paths"])
    want = {p: v["state"] for p, v in realistic["placeholder_paths"].items() if p not in realistic["silent_paths"]}
    assert dict(zip(df.loc[df["state"] != PLACEHOLDER, "path"], df.loc[df["state"] != PLACEHOLDER, "state"])) == want
    silent = df[df["state"] == PLACEHOLDER].set_index("path")
    for path, lines in realistic["silent_paths"].items():
        assert int(silent.loc[path, "lines"]) == len(lines)
    assert set(df["brought_by"]) <= set(realistic["fixer_script"]["wave"])
    assert set(df["surfaced_by"]) == set(realistic["roles"]["sed_unmask"])


def test_the_restore_list_covers_the_silent_paths_from_before_the_placeholder(realistic, real_scan, hunted):
    restated = with_placeholders(real_scan, hunted.probes, hunted.since)
    silent = set(realistic["silent_paths"])
    assert set(restated.subjects.loc[restated.subjects["state"] == PLACEHOLDER, "path"]) == silent
    plan = restore_list(restated).set_index("path")
    assert silent <= set(plan.index)
    first = datetime.fromisoformat(realistic["fixer_script"]["wave_first_at"].replace("Z", "+00:00"))
    when = restated.commits.set_index("sha")["committed_at"]
    versions = restated.versions.set_index("blob")
    for path in silent:
        row = plan.loc[path]
        assert row["state"] == PLACEHOLDER and row["source"] in ("git", "backup")
        assert row["last_good_sha"] and when[row["last_good_sha"]] < first
        assert versions.loc[row["candidate_blob"], "state"] == "healthy"
    # the other damaged paths keep their rows: the placeholder state only adds
    assert set(real_scan.chains()["path"]) <= set(plan.index)
