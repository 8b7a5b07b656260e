"""The drill-down, step by step, against the simulator's truth: the breaker damaged what it broke, the
bulk script found its files already damaged, the fixer wave masked what it commented out; each
damaged file's damaging change is its chain's root cause and its diff is the blobs' own; the last good
version and the edits a restore loses are the truth's. Every string from the repository stays text."""
from __future__ import annotations

import difflib
import re
import subprocess
from pathlib import Path

import pytest

from conftest import git
from forensics import scan
from forensics.analyses.culprits import culprits
from forensics.analyses.drilldown import (change_diff, culprit_files, damaging_change, incident_culprits,
                                          last_good_beside_current)
from forensics.report.drilldown import investigate


def _files(scanned, sha):
    f = culprit_files(scanned, {"kind": "bulk_commit", "sha": sha})
    return f, f.groupby("verdict")["path"].agg(set).to_dict()


def test_the_breaker_damaged_what_it_broke(incident, scanned):
    files, by = _files(scanned, incident["roles"]["breaker"][0])
    assert by["damaged"] == set(incident["sets"]["breaker_broke"])
    assert set(incident["sets"]["breaker_touched"]) <= set(files["path"])
    assert set(files.loc[~files["path"].isin(incident["sets"]["breaker_touched"]), "verdict"]) <= {"touched"}


def test_the_bulk_script_found_its_files_already_damaged(incident, scanned):
    _, by = _files(scanned, incident["roles"]["bulk_script"][0])
    assert by["already damaged"] == set(incident["sets"]["bulk_touched_already_damaged"])
    assert "damaged" not in by


def test_the_fixer_wave_masked_what_it_commented_out(incident, scanned):
    table = culprits(scanned)
    wave = table[(table["kind"] == "wave") & (table["sha"] == incident["roles"]["fixer"][0])].iloc[0]
    files = culprit_files(scanned, wave)
    masked = set(files.loc[files["verdict"] == "masked", "path"])
    assert masked and masked <= set(incident["sets"]["fixer_fixed"])
    assert set(files.loc[files["verdict"] == "masked", "state_after"]) == {"marked"}
    assert masked == {p for p in incident["sets"]["fixer_fixed"]
                      if files.set_index("path").loc[p, "state_after"] == "marked"}


def test_an_incident_opens_on_its_culprits_and_root_causes(scanned):
    inv = investigate(scanned)
    for n in inv.incidents["incident"]:
        rows = incident_culprits(scanned, inv.incidents, inv.culprit_table, n)
        listed = set(inv.incidents.set_index("incident").loc[n, "root_causes"].split())
        wave_members = {s for r in rows.itertuples() if r.kind == "wave" for s in listed}
        assert listed <= set(rows["sha"]) | wave_members
        assert rows["role"].iloc[0] == "culprit" or "culprit" not in set(rows["role"])


def test_the_damaging_change_is_the_chains_root_cause_and_its_diff_is_the_blobs_own(incident, scanned):
    repo = incident["repo"]
    for path, truth in list(incident["chains"].items())[:25]:
        change = damaging_change(scanned, path)
        assert (change.sha, change.event) == (truth["root_cause"], truth["root_cause_event"]), path
        diff = change_diff(scanned, change)
        before = _blob(repo, change.old_blob) if change.old_blob else ""
        after = _blob(repo, change.new_blob)
        expected = [ln for ln in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
                    if not ln.startswith(("---", "+++"))]
        assert (diff.added, diff.removed) == (sum(ln.startswith("+") for ln in expected),
                                              sum(ln.startswith("-") for ln in expected)), path
        assert diff.added + diff.removed > 0 or change.old_blob == change.new_blob, path   # a copy: same text


def _blob(repo: str, blob: str) -> str:
    raw = subprocess.run(["git", "-C", repo, "cat-file", "blob", blob], check=True, capture_output=True).stdout
    return raw.decode("utf-8", "replace")


def test_the_last_good_version_and_the_edits_a_restore_loses(incident, scanned):
    for path, truth in incident["chains"].items():
        r = last_good_beside_current(scanned, path)
        assert r.last_good_blob == (truth["last_good"]["blob"] if truth["last_good"] else ""), path
        assert r.edits["sha"].tolist() == truth["edits_since_damage"], path
    assert last_good_beside_current(scanned, "no/such/file.py") is None


@pytest.fixture(scope="module")
def hostile(repo, tmp_path_factory) -> Path:
    """The demo incident, then a file whose name, content, author and subject are markup."""
    clone = tmp_path_factory.mktemp("hostile-drill") / "clone"
    git("clone", "-q", repo, str(clone))
    name = "tests/<img src=x onerror=alert(1)>.py"
    (clone / name).write_text("def test_one():\n    x = '<script>alert(1)</script>'\n")
    git("-C", str(clone), "add", "-A")
    git("-C", str(clone), "-c", "user.name=R", "-c", "user.email=r@x.invalid", "commit", "-qm", "add")
    (clone / name).write_text("def test_one(:\n    x = '<script>alert(2)</script>'\n")
    git("-C", str(clone), "add", "-A")
    git("-C", str(clone), "-c", "user.name=<b>Mallory</b>", "-c", "user.email=m@x.invalid", "commit", "-qm",
        "<img src=x onerror=alert(3)> break it")
    return clone


def test_every_html_output_escapes_the_repositorys_strings(hostile):
    inv = investigate(scan(hostile, cache=False, progress=False))
    path = "tests/<img src=x onerror=alert(1)>.py"
    pages = [inv.chain(path)._repr_html_(), inv.diff(path)._repr_html_(), inv.last_good(path)._repr_html_()]
    sha = damaging_change(inv.result, path).sha
    pages.append(inv.commit_view(sha, path)._repr_html_())
    for n in inv.incidents["incident"]:
        pages.append(inv.culprits(n)._repr_html_())
        for i in range(len(inv.culprits_of(n))):
            pages.append(inv.files(n, i)._repr_html_())
    html = "".join(pages)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert not re.search(r"<img|<script>alert|<b>Mallory", html)


def test_a_file_healthy_again_shows_the_change_that_had_damaged_it(incident, scanned):
    healed = [e for e in incident["events"] if e["event"] == "healed" and e["path"] not in incident["chains"]]
    path = healed[0]["path"]
    damaging = [e for e in incident["events"] if e["path"] == path and e["event"] in ("broke", "marked", "added_damaged")]
    change = damaging_change(scanned, path)
    assert (change.sha, change.event) == (damaging[-1]["sha"], damaging[-1]["event"])
    html = investigate(scanned).diff(path)._repr_html_()
    assert "healthy again since" in html and change.sha[:12] in html
