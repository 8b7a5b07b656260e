"""Damage that compiles, at the engine: the content measure is part of every judged version (and of
the cache's schema), the plugins' events on the realistic incident are exactly the truth's (``hollowed``
once, no event for the claim deletion, ``marked`` for the unconfigured comment-out prefix), a hollowed
file stays hollowed through edits until its code comes back, and a masked file is never healed."""
from __future__ import annotations

import pandas as pd
import pytest

from forensics.engine.content import measure_content
from forensics.engine.events import derive_events
from forensics.engine.health import DEFAULT_MARKERS, compile_check, rules_fingerprint
from forensics.engine.hollowing import hollowed_lineages
from forensics.engine.judge import VERSION_COLUMNS
from forensics.engine.states import DAMAGED_STATES, DAMAGING_EVENTS, HOLLOWED
from forensics.simulate.realistic_compiles import CLAIM, PREFIX, STUB_BODY, Plugin


@pytest.fixture(scope="module")
def real_scan(realistic, tmp_path_factory):
    from forensics import scan

    return scan(realistic["repo"], cache=str(tmp_path_factory.mktemp("cache")), progress=False)


def _content(data: bytes):
    return measure_content(data, compile_check(data)[4])


def test_the_content_measure_tells_a_stub_from_its_module_and_reads_the_comment_prefix():
    module = Plugin("ingest_0").render()
    stub = (CLAIM + STUB_BODY.lstrip("\n")).encode()
    commented = Plugin("ingest_0", commented=(1, 3, 5)).render()
    code, statements, definitions, hidden, prefix, prefix_lines = _content(module)
    assert code >= 30 and statements >= 30 and definitions == 8 and hidden == 0 and prefix == ""
    code_s, statements_s, definitions_s, *_ = _content(stub)
    assert code_s <= code / 4 and statements_s <= 6 and definitions_s == 1
    _, _, _, hidden_c, prefix_c, lines_c = _content(commented)
    assert prefix_c == PREFIX.strip() and lines_c == hidden_c == Plugin("ingest_0", commented=(1, 3, 5)).markers
    # a version that does not compile is still measured (statements unknown), and plain '#' is not a prefix
    broken = b"def f(:\n    return 1\n# x = compute(y)\n# import os\n"
    code_b, statements_b, definitions_b, hidden_b, prefix_b, _ = _content(broken)
    assert (code_b, statements_b, definitions_b, hidden_b, prefix_b) == (2, -1, 1, 2, "")


def test_the_versions_table_and_the_cache_key_carry_the_content_measure(real_scan):
    for col in ("code_lines", "statements", "definitions", "commented_code", "comment_prefix", "comment_prefix_lines"):
        assert col in VERSION_COLUMNS and col in real_scan.versions
    # an older cache (schema 2) is another fingerprint: rebuilt, never misread
    import hashlib
    import json

    from forensics.engine.health import INTERPRETER
    old = hashlib.sha256(json.dumps({"markers": list(DEFAULT_MARKERS), "interpreter": INTERPRETER,
                                     "schema": 2}).encode()).hexdigest()[:16]
    assert rules_fingerprint(DEFAULT_MARKERS) != old


def test_the_plugins_events_are_the_truths(realistic, real_scan):
    def is_plugin(p: str) -> bool:
        return p.startswith("plugins/")

    want = sorted((e["sha"], e["path"], e["event"]) for e in realistic["events"] if is_plugin(e["path"]))
    ev = real_scan.events
    got = sorted(zip(*ev[ev["path"].map(is_plugin)][["sha", "path", "event"]].T.values))
    assert got == want
    assert {e for _, _, e in want} == {"hollowed", "marked"}
    assert "hollowed" in DAMAGING_EVENTS and HOLLOWED in DAMAGED_STATES


def _changes(rows):
    return pd.DataFrame(rows, columns=["sha", "order", "path", "old_path", "kind", "old_blob", "new_blob",
                                       "is_backup"])


def _versions(content: dict[str, bytes]):
    from forensics.engine.health import HealthRules

    rules = HealthRules()
    rows = [(b, *rules.judge(d)) for b, d in content.items()]
    return pd.DataFrame(rows, columns=VERSION_COLUMNS[:-1])


def test_a_hollowed_lineage_stays_hollowed_until_its_code_comes_back_and_masking_is_not_healing():
    """Six files stubbed in one commit (one of them broken before: masked), the claim deleted from each,
    then one restored: the restored one heals, the others stay hollowed, the masked one is never healed."""
    full = {f"m{k}": Plugin(f"mod_{k}").render() for k in range(6)}
    broken = b"def broken(:\n" + b"\n".join(b"    x_%d = %d" % (i, i) for i in range(40)) + b"\n"
    content = {**full, "broken": broken, "stub": (CLAIM + STUB_BODY.lstrip("\n")).encode(),
               "bare": STUB_BODY.lstrip("\n").encode()}
    versions = _versions(content)
    rows = []
    for k in range(6):
        old = "broken" if k == 0 else f"m{k}"
        rows.append(("hollow", 1, f"p{k}.py", f"p{k}.py", "M", old, "stub", False))
    for k in range(6):
        rows.append(("claim", 2, f"p{k}.py", f"p{k}.py", "M", "stub", "bare", False))
    rows.append(("restore", 3, "p5.py", "p5.py", "M", "bare", "m5", False))
    changes = _changes(rows)
    lineages = hollowed_lineages(changes, versions)
    assert [c.sha for c in lineages.commits] == ["hollow"]
    changes["hollowed_before"], changes["hollowed_after"] = lineages.before, lineages.after
    commits = pd.DataFrame({"sha": ["hollow", "claim", "restore"], "committed_at": pd.to_datetime(
        ["2025-01-01", "2025-01-02", "2025-01-03"], utc=True), "author": ["bot"] * 3})
    ev = derive_events(changes, versions, commits)
    kinds = {(s, p): sorted(ev[(ev["sha"] == s) & (ev["path"] == p)]["event"]) for s, p in zip(ev["sha"], ev["path"])}
    assert kinds[("hollow", "p1.py")] == ["hollowed"]
    assert kinds[("hollow", "p0.py")] == ["healed", "hollowed"]       # masked: compiles only because hollowed
    assert not ev[ev["sha"] == "claim"].shape[0]                      # still hollowed: no event
    assert kinds[("restore", "p5.py")] == ["healed"]
    assert ("p0.py", "bare") in lineages.hollowed and ("p5.py", "m5") not in lineages.hollowed


def test_code_that_moved_to_new_files_in_the_same_commit_is_not_hollowing():
    full = {f"m{k}": Plugin(f"mod_{k}").render() for k in range(6)}
    shim = b"from .steps import *  # noqa\nfrom .stage import *  # noqa\n"
    content = {**full, "shim": shim, **{f"n{k}": Plugin(f"mod_{k}", part="steps").render() for k in range(6)}}
    versions = _versions(content)
    rows = [("split", 1, f"p{k}.py", f"p{k}.py", "M", f"m{k}", "shim", False) for k in range(6)]
    rows += [("split", 1, f"p{k}_steps.py", "", "A", "", f"n{k}", False) for k in range(6)]
    lineages = hollowed_lineages(_changes(rows), versions)
    assert not lineages.commits and not any(lineages.after)


def test_another_interpreter_judges_through_its_own_child_exactly_as_in_process(incident):
    """``--python`` with the running interpreter's own executable: every judgment made by the child
    equals the in-process one (compile, error, tests, statements, definitions)."""
    import os
    import sys

    from forensics import scan

    here = scan(incident["repo"], cache=False, progress=False, jobs=1)
    there = scan(incident["repo"], cache=False, progress=False, jobs=2, python=sys.executable)
    cols = ["blob", "compiles", "error_class", "error_line", "tests", "statements", "definitions", "code_lines",
            "markers", "state"]
    a = here.versions[cols].sort_values("blob").reset_index(drop=True)
    b = there.versions[cols].sort_values("blob").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert there.manifest["interpreter"] == here.manifest["interpreter"]
    assert there.settings.python == os.path.abspath(sys.executable)


@pytest.mark.parametrize("given", ["/nonexistent/python3", "/bin/true", "/etc/hostname"])
def test_a_bad_python_is_one_line_and_exit_2(incident, given, tmp_path):
    from conftest import run_cli

    proc = run_cli("scan", incident["repo"], "--python", given, "--cache", str(tmp_path), "--quiet")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "bad --python" in proc.stderr and "Traceback" not in proc.stderr


def test_the_declared_python_is_read_from_the_revision_and_compared_with_the_judge():
    from forensics.engine.declared_python import declared_python

    files = {"setup.py": b'setup(python_requires=">=3.8")\n',
             ".github/workflows/tests.yml": b"jobs:\n  t:\n    steps:\n      - uses: actions/setup-python@v5\n"
                                            b"        with:\n          python-version: '3.12'\n",
             "docker/Dockerfile": b"FROM python:3.12-slim\n", ".python-version": b"3.12.1\n"}
    said = declared_python(files, "3.11.7")
    assert said["requires"] == "3.8" and said["runs_on"] == ["3.12"] and said["minimum"] == "3.12"
    assert said["needs_newer"] and said["judging"] == "3.11"
    assert not declared_python(files, "3.12.1")["needs_newer"]
    assert not declared_python({"pyproject.toml": b'requires-python = ">=3.10"\n'}, "3.11.7")["needs_newer"]
    hostile = declared_python({"pyproject.toml": b'requires-python = ">=3.13\x1b[2J"\n'}, "3.11.7")
    assert "\x1b" not in hostile["sources"][0]["says"] and hostile["needs_newer"]


@pytest.mark.parametrize("authors, hollowed", [(["bot", "bot", "bot"], True), (["ann", "bob", "cy"], False)])
def test_a_wave_of_small_commits_by_one_author_hollows_together(authors, hollowed):
    """Six files stubbed two at a time, three commits five minutes apart: one author's wave hollows;
    three people each emptying two files do not."""
    full = {f"m{k}": Plugin(f"mod_{k}").render() for k in range(6)}
    versions = _versions({**full, "stub": (CLAIM + STUB_BODY.lstrip("\n")).encode()})
    shas = ["c0", "c1", "c2"]
    rows = [(shas[k // 2], k // 2, f"p{k}.py", f"p{k}.py", "M", f"m{k}", "stub", False) for k in range(6)]
    commits = pd.DataFrame({"sha": shas, "author": authors, "committed_at": pd.to_datetime(
        ["2025-01-01T10:00:00Z", "2025-01-01T10:05:00Z", "2025-01-01T10:10:00Z"], utc=True)})
    lineages = hollowed_lineages(_changes(rows), versions, commits)
    assert all(lineages.after) is hollowed and any(lineages.after) is hollowed
    assert sorted(c.sha for c in lineages.commits) == (shas if hollowed else [])
