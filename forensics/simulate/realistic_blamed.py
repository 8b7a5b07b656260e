"""The realistic preset's blamed script: a bulk import script (``bulk_import_tests.py`` at the top
level, named like a bulk fixer) run once over many test files, damaging none, and later renamed
into ``scripts/`` by a commit inside the fixer wave (a damaging burst). Its name and the rename make
it look guilty; nothing it wrote damaged anything: ``forensics suspect`` must clear it and
``culprits`` must link no damage to it.

Truth (``blamed_script``): ``{path, renamed_to, run, renamed_in, touched, damaged (0)}`` where
``run`` and ``renamed_in`` are SHAs and ``touched`` counts the paths the run changed (the script and the test files).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from forensics.simulate.content import RawFile

BLAMED_PATH = "bulk_import_tests.py"
BLAMED_RENAMED = "scripts/bulk_import_tests.py"
BLAMED_AT = datetime(2025, 8, 20, 11, 15, tzinfo=timezone.utc)   # a week before incident A
RENAME_BATCH = 5                                                 # the wave commit that moves it
SHARE = 0.4                                                      # of the healthy test files it rewrites

BLAMED_SCRIPT = '''"""Rewrite test imports to the fixtures package, file by file (bulk run)."""
import pathlib
import sys


def rewrite(path):
    text = pathlib.Path(path).read_text()
    pathlib.Path(path).write_text(text.replace("from conftest import", "from tests.fixtures import"))


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        rewrite(arg)
'''


def blamed_script_run(sim: Any) -> None:
    """One commit adds the script and rewrites the imports of many healthy test files (no damage)."""
    tests = sim.tests(lambda p, f: f.state == "healthy" and not sim._pinned(p))
    picks = sorted(sim.rng.sample(tests, int(len(tests) * SHARE)))
    ops: list[tuple] = [("put", BLAMED_PATH, RawFile(BLAMED_SCRIPT.encode()))]
    ops += [("put", p, sim.files[p].imports_rewritten()) for p in picks]
    idx = sim._commit("bob", f"Rewrite test imports across the suite (python {BLAMED_PATH})", ops, role="blamed_script")
    sim.story["blamed_script"] = {"path": BLAMED_PATH, "renamed_to": BLAMED_RENAMED, "run": idx, "touched": len(picks) + 1}


def blamed_rename_ops(sim: Any, batch: int) -> list[tuple]:
    """The rename the fixer wave's ``batch`` commit carries (none for the other batches)."""
    return [("mv", BLAMED_PATH, BLAMED_RENAMED)] if batch == RENAME_BATCH and "blamed_script" in sim.story else []


def blamed_renamed(sim: Any, batch: int, idx: int) -> None:
    if batch == RENAME_BATCH and "blamed_script" in sim.story:
        sim.story["blamed_script"]["renamed_in"] = idx


def blamed_truth(story: dict, shas: dict[int, str]) -> dict[str, Any]:
    b = story.get("blamed_script")
    if not b or "renamed_in" not in b:
        return {}
    return {"blamed_script": {"path": b["path"], "renamed_to": b["renamed_to"], "run": shas[b["run"]],
                              "renamed_in": shas[b["renamed_in"]], "touched": b["touched"], "damaged": 0}}
