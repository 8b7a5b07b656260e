"""Damage is a change, not an era: Python 2 code born that way is legacy; a file that compiled and then fails
with a Python 2 error is damage; Python 2 code that also carries other damage is damage."""
from __future__ import annotations

import pytest

from forensics import scan
from forensics.simulate import write_model
from forensics.simulate.content import RawFile
from forensics.simulate.legacy import OldModule
from forensics.simulate.model import Model


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> dict:
    m = Model()
    m.commit("main", "alice", "Add a module", [("put", "pkg/a.py", RawFile(b"def f():\n    return 1\n"))], minutes=0)
    m.commit("main", "bob", "Debug print, Python 2 style",
             [("put", "pkg/a.py", RawFile(b"def f():\n    print 'debug'\n    return 1\n", compiles=False))], minutes=30)
    m.commit("main", "carol", "Import the old helpers",
             [("put", "pkg/old.py", OldModule("old", "except_comma")),
              ("put", "pkg/older.py", OldModule("older", "print_statement")),
              ("put", "pkg/born_broken.py", RawFile(b"x = (1,\n", compiles=False))], minutes=30)
    m.commit("main", "dave", "Edit the old helper and drop a colon",
             [("put", "pkg/old.py", RawFile(OldModule("old", "except_comma", revision=2).render()
                                             .replace(b"class Old(object):", b"class Old(object)"), compiles=False))],
             minutes=30)
    m.commit("main", "erin", "Port the older helper", [("put", "pkg/older.py", OldModule("older", "print_statement",
                                                                                         revision=2, py3=True))],
             minutes=30)
    return write_model(m, tmp_path_factory.mktemp("lineage"), seed=0, scale=1)


def test_the_scan_agrees_with_the_simulators_events_and_states(story):
    r = scan(story["repo"], cache=False, progress=False)
    got = set(map(tuple, r.events[["sha", "path", "event"]].values.tolist()))
    assert got == {(e["sha"], e["path"], e["event"]) for e in story["events"]}
    assert dict(zip(r.subjects["path"], r.subjects["state"])) == story["states"]["HEAD"]


def test_a_file_that_compiled_and_then_fails_as_python2_is_damage(story):
    r = scan(story["repo"], cache=False, progress=False)
    ev = r.events.set_index("path")
    assert ev.loc["pkg/a.py", "event"] == "broke" and ev.loc["pkg/a.py", "error_kind_after"] == "python2"
    states = dict(zip(r.subjects["path"], r.subjects["state"]))
    assert states["pkg/a.py"] == "broken"


def test_python2_born_is_legacy_and_further_damage_to_it_is_damage(story):
    r = scan(story["repo"], cache=False, progress=False)
    states = dict(zip(r.subjects["path"], r.subjects["state"]))
    assert states["pkg/old.py"] == "broken"           # legacy, then a colon dropped: broke
    assert states["pkg/older.py"] == "healthy"        # legacy, then ported: no event at all
    assert states["pkg/born_broken.py"] == "broken"   # born broken, not in a dialect: added_damaged as ever
    kinds = {(p, e) for p, e in r.events[["path", "event"]].values.tolist()}
    assert ("pkg/old.py", "broke") in kinds and ("pkg/born_broken.py", "added_damaged") in kinds
    assert not any(p == "pkg/older.py" for p, _ in kinds)
